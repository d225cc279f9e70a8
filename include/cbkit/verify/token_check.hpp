#pragma once

// The check of an RFC 3161 token stored in an entry (timestamp.tsr and tsa-chain.pem),
// for any EntryCheck to embed: a capture's token over its WARC file, a `timestamp` entry's
// token over the head before it, a seal's token.
//
// Findings (stable codes, documented in cbkit-verify(1)):
//   timestamp-invalid           error: the token does not parse, is not granted, is too
//                               large, its nonce is not the recorded one, or its signature
//                               (by the certificate it names) does not verify
//   timestamp-imprint-mismatch  error: the token covers another hash than it should
//   timestamp-untrusted         error: --tsa-ca was given and the TSA certificate does not
//                               chain to it (or the file cannot be read)
//   timestamp-unpinned          warning: no --tsa-ca: only the signature by the embedded
//                               TSA certificate was checked, not who that TSA is
//   timestamp-record-mismatch   error: what the line records of the token (TSA time,
//                               serial) is not what the token says
// A token file that is missing or whose bytes differ from the recorded hash gets no finding
// here: verify already reports file-missing / file-hash-mismatch for it.

#include "cbkit/manifest/line.hpp"
#include "cbkit/tsa/rfc3161.hpp"
#include "cbkit/verify/entry_check.hpp"
#include "cbkit/verify/verify.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::verify {

// Stored tokens and chains are a few KiB; a larger file is reported, not buffered.
inline constexpr std::size_t k_max_token_file = 1u << 20;

// What a stored token must cover.
struct TokenExpectation {
  std::string sha256;               // lowercase hex of the data it covers
  std::optional<std::string> nonce; // the nonce the entry recorded, hex; nullopt: not checked
  std::string covers;               // what that hash is, for messages ("the WARC file", "the head of line 4")
  // The line's record of the stamp (tsa::stamp_record), when it has one: its tsa.time and
  // tsa.serial must be the token's (else timestamp-record-mismatch), and its nonce is the
  // one expected when `nonce` is not given.
  const manifest::Json* record = nullptr;
};

class TokenCheck {
public:
  // `token_path` and `chain_path` are case-relative paths as the line records them
  // (`chain_path` may be empty). `options.tsa_ca` pins the TSA.
  TokenCheck(std::uint64_t seq, std::string token_path, std::string chain_path, const Options& options);

  // The EntryCheck protocol, for the token and chain files only.
  bool wants(const std::string& path) const;
  void begin_file(const std::string& path);
  void update(const char* data, std::size_t size);
  void end_file(bool intact);

  // Checks the token if it was read whole and intact, adds the findings above, and returns
  // the verification (nullopt when the token was not read, or was not the recorded bytes).
  // `info`, when given, receives what the token says.
  std::optional<tsa::Verification> finish(const TokenExpectation& expect, std::vector<Finding>& out, tsa::TokenInfo* info = nullptr);

private:
  struct Buffer {
    std::string bytes;
    bool fed = false;
    bool intact = false;
    bool too_large = false;
  };
  Buffer* current();

  std::uint64_t m_seq;
  std::string m_token_path;
  std::string m_chain_path;
  std::optional<std::filesystem::path> m_ca;
  Buffer m_token;
  Buffer m_chain;
  std::string m_current;
};

// The content check of a `timestamp` entry (registered in make_entry_check): its token must
// cover timestamp.covers.head, which must be the line's own prev and the hash of line
// covers.seq (= seq - 1); what the line records of the token (TSA time, serial, nonce) must
// be what the token says. Adds, besides the TokenCheck findings:
//   timestamp-missing          error: the entry records no token file (role "token")
//   timestamp-covers-mismatch  error: covers is absent or does not name the line before
std::unique_ptr<EntryCheck> make_timestamp_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                                 std::vector<Finding>& out);

} // namespace cbkit::verify
