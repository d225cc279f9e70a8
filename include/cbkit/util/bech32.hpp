#pragma once

// Bech32 (BIP 173) as age uses it for its keys: no limit on the length of the data part
// (age's post-quantum keys are far longer than BIP 173's 90 characters), the checksum
// always computed over the lowercase text, and a text either all lowercase or all
// uppercase. The data is whole bytes regrouped into 5-bit values, padded with zero bits.

#include <optional>
#include <string>
#include <string_view>

namespace cbkit::util {

// The Bech32 text of `bytes` under the human-readable part `hrp` (printable ASCII, 1 or more
// characters, taken in lowercase), in lowercase: hrp + '1' + data + 6 checksum characters.
std::string bech32_encode(std::string_view hrp, std::string_view bytes);

struct Bech32 {
  std::string hrp; // lowercase
  std::string bytes;
};

// Decodes Bech32 text; nullopt for mixed case, a character outside the charset, no '1'
// separator, an empty or non-printable hrp, a wrong checksum, or padding bits that are not
// zero (or more than 4 of them: not a whole number of bytes).
std::optional<Bech32> bech32_decode(std::string_view text);

} // namespace cbkit::util
