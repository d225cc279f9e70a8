#pragma once

// RFC 3161 trusted timestamps (OpenSSL ts.h): request, obtain over HTTP(S) with libcurl,
// verify. Used by `capture-url --tsa`, `timestamp` and `seal --tsa`, and by verify.
//
// The message imprint is always SHA-256 and the "data" it covers is given as its lowercase
// hex SHA-256: the WARC file's hash for a capture, the head (SHA-256 of the last manifest
// line) for `timestamp` and `seal`. So `openssl ts -verify -digest <hex> -in timestamp.tsr
// -CAfile ca.pem -untrusted tsa-chain.pem` checks a stored token with no cbkit installed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::tsa {

struct ObtainOptions {
  std::string url;                         // http:// or https:// of the TSA
  std::optional<std::filesystem::path> ca; // trust anchors for the token (PEM); none: only the signature by the embedded cert is checked
  long timeout_seconds = 60;               // whole exchange (connect, send, answer)
  std::string proxy;                       // as for curl; empty: none (environment ignored)
  std::string user_agent;                  // empty: "cbkit/<version>"
};

// What a token says, as read back from the DER.
struct TokenInfo {
  std::string gen_time;             // the TSA's time, UTC RFC 3339 with the precision the TSA gave
  std::int64_t gen_time_micros = 0; // the same, microseconds since the epoch (fraction cut to µs)
  std::string serial;               // hex
  std::string policy;               // OID text
  std::string tsa_name;             // GeneralName text, may be empty
  std::string imprint_sha256;       // lowercase hex (empty when the imprint is not SHA-256)
  std::string imprint_algorithm;    // OID name of the imprint's hash, e.g. "sha256"
  std::string nonce;                // hex, empty when none
  std::string signer_subject;       // subject of the certificate that signed (RFC 2253)
  std::string signer_issuer;
  std::string accuracy; // e.g. "1.000000 s" or empty
};

struct Verification {
  bool ok = false;     // every check below passed (chain_ok only counts when chain_checked)
  bool parsed = false; // the bytes are a granted TimeStampResp or a bare TimeStampToken
  bool imprint_ok = false;
  bool nonce_ok = false;      // true when no nonce was expected
  bool signature_ok = false;  // CMS signature by the embedded/attached TSA certificate (ESS binding, timeStamping EKU)
  bool chain_checked = false; // a CA was given
  bool chain_ok = false;
  std::string error; // first reason it failed, a sentence
};

struct Stamp {
  std::string response_der; // the TimeStampResp as received (stored as timestamp.tsr)
  std::string chain_pem;    // certificates the token carries (TSA chain), PEM; stored as tsa-chain.pem
  std::string request_der;  // the TimeStampReq sent (stored as timestamp.tsq)
  TokenInfo info;
  Verification verification;
  std::string local_before;     // local UTC time when the request was sent (RFC 3339 micro)
  std::string local_after;      // ... and when the answer arrived
  std::int64_t skew_micros = 0; // TSA time minus the local midpoint
};

// A TimeStampReq (DER) over the SHA-256 `sha256_hex` (64 lowercase hex digits), with a
// fresh random 64-bit nonce and certReq set. Throws Error(usage) when the hex is not a
// SHA-256.
struct Request {
  std::string der;
  std::string nonce_hex; // lowercase hex of the nonce, as TokenInfo::nonce reads it back
};
Request make_request(const std::string& sha256_hex);

// Throws Error(usage) naming the URL unless it is an absolute http:// or https:// URL with
// a host (the only schemes a TSA is asked over).
void check_url(const std::string& url);

// Sends a request (SHA-256 imprint of `sha256_hex`, random 64-bit nonce, certReq) and
// verifies the answer at once. Throws Error(usage) for a URL that is not http(s),
// Error(input) naming the CA file when it cannot be read, and Error(input) naming the TSA
// URL when it cannot be reached, does not answer 200 with application/timestamp-reply, or
// answers something that is not a granted token for this imprint and nonce, or whose
// signature or chain does not verify. Error(interrupted) on SIGINT/SIGTERM.
Stamp obtain(const ObtainOptions& options, const std::string& sha256_hex);

// Reads a stored TimeStampResp (or a bare TimeStampToken) and checks it against the hash it
// must cover; `untrusted_pem` is the stored TSA chain (may be empty). Never throws for bad
// input: the reason is in Verification::error. `info` is filled as far as the token parses.
// The signer certificate is checked at the token's own time (so a token stays verifiable
// after the TSA certificate expires); without `ca` it is taken as its own trust anchor, so
// only the signature, the ESS binding and the timeStamping key usage are checked.
Verification verify(const std::string& response_der, const std::string& sha256_hex, const std::optional<std::string>& nonce_hex,
                    const std::optional<std::filesystem::path>& ca, const std::string& untrusted_pem, TokenInfo* info = nullptr);

// The certificates a stored response or token carries, as PEM (empty when it does not parse).
std::string embedded_chain_pem(const std::string& response_der);

} // namespace cbkit::tsa
