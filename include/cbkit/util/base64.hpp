#pragma once

// Base64 (RFC 4648 section 4, the standard alphabet): the one encoder and decoder of the
// project. Decoding is strict by default: only the alphabet, '=' padding to a multiple of
// four characters, nothing after the padding. Formats that allow more say so through
// Base64Options (DKIM's b= and bh= tags allow folding white space and, by their ABNF,
// omitted padding).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cbkit::util {

// Standard base64 of bytes, with padding and without line breaks.
std::string base64(std::string_view bytes);

struct Base64Options {
  bool skip_whitespace = false;  // ignore space, tab, CR and LF anywhere in the text
  bool padding_optional = false; // accept a last group of 2 or 3 characters without '='
};

// Decodes base64 text in pieces, so a large payload never sits in memory whole; the pieces
// together are checked exactly as base64_decode checks one text.
class Base64Decoder {
public:
  explicit Base64Decoder(Base64Options options = {}) : m_options(options) {}

  // Appends the bytes decoded so far to `out`. Returns false (and stays failed) at the
  // first character the options do not allow, or data after the padding.
  bool update(std::string_view text, std::string& out);
  // Ends the text: false when its length or padding is not valid base64.
  bool finish();

private:
  Base64Options m_options;
  std::uint32_t m_acc = 0;
  int m_bits = 0;
  std::size_t m_chars = 0; // alphabet characters seen
  std::size_t m_pad = 0;   // '=' seen
  bool m_failed = false;
};

// The bytes `text` encodes, or nullopt when it is not base64 under `options`. Bits below
// the last whole byte are ignored, as RFC 4648 section 3.5 permits.
std::optional<std::string> base64_decode(std::string_view text, Base64Options options = {});

// Unpadded base64 ("raw", as age and other C2SP formats use it): the standard alphabet
// without '=' padding, always canonical (RFC 4648 section 3.5: unused low bits are zero).
std::string base64_unpadded(std::string_view bytes);
// The bytes of unpadded canonical base64 text, or nullopt for any '=' padding, white space,
// a character outside the alphabet, a length that cannot be base64 (4k+1) or non-zero
// unused bits (non-canonical: two texts would decode to the same bytes).
std::optional<std::string> base64_decode_unpadded(std::string_view text);

} // namespace cbkit::util
