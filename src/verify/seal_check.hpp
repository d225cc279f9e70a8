#pragma once

#include "cbkit/seal/keys.hpp"
#include "cbkit/verify/entry_check.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cbkit::verify {

// The content check of a `seal` line (see seal_check.cpp); reports seal-invalid and returns
// nullptr when the line's seal object is unusable.
std::unique_ptr<EntryCheck> make_seal_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                            std::vector<Finding>& out);

// A key pinned by options: a --pubkey file (no name, no window) or an allowed signer.
struct PinnedKey {
  seal::PublicKey key;
  std::string fingerprint;
  const AllowedSigner* signer = nullptr; // null for a --pubkey key
};

// The keys options pin: the --pubkey files first (one that cannot be read is added to
// `errors` as a sentence), then options.signers.
std::vector<PinnedKey> pinned_keys(const Options& options, std::vector<std::string>* errors);

// True when any key is pinned (--pubkey or --allowed-signers).
inline bool has_pinned_keys(const Options& options) { return !options.pubkeys.empty() || !options.signers.empty(); }

// True when the time of a seal line (manifest form) lies within the signer's window. A time
// that cannot be read lies within no window that has a bound.
bool within_window(const AllowedSigner& signer, const std::string& time);

// "valid-after X, valid-before Y" (the bounds given), for messages.
std::string window_text(const AllowedSigner& signer);

} // namespace cbkit::verify
