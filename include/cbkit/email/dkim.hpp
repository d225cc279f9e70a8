#pragma once

#include "cbkit/email/headers.hpp"
#include "cbkit/util/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::email {

// A DKIM public key given offline (no DNS lookups: evidence work must be reproducible).
struct DkimKey {
  std::string domain;   // d=
  std::string selector; // s=
  std::string text;     // the TXT record text ("v=DKIM1; k=rsa; p=MIIB...") or a PEM public key
  std::string origin;   // where it came from, e.g. "file sel1.txt"
};

// One DKIM-Signature header, parsed (RFC 6376 section 3.5).
struct DkimSignature {
  std::size_t header_index = 0;
  std::vector<std::pair<std::string, std::string>> tags; // every tag in order, value with FWS removed
  std::string version, algorithm, domain, selector, header_canon, body_canon, identity, query;
  std::vector<std::string> signed_headers;  // h=
  std::string body_hash_b64;                // bh=
  std::string signature_b64;                // b=
  std::optional<std::uint64_t> body_length; // l=
  std::optional<std::int64_t> timestamp;    // t=
  std::optional<std::int64_t> expiration;   // x=
  std::vector<std::string> problems;        // missing/invalid tags
};

// The result for one signature. Body hash and signature are reported separately.
struct DkimResult {
  DkimSignature signature;
  std::string body_hash; // "pass" | "fail" | "not-checked" (unsupported algorithm or invalid tags)
  std::string computed_body_hash_b64;
  std::string signature_result; // "pass" | "fail" | "unverified" (no key given) | "invalid" (bad tags,
                                // unsupported algorithm or key) | "expired" (x= before the check time;
                                // the cryptographic result is in `detail`)
  std::string key_source;       // DkimKey::origin, or "no key"
  std::string detail;           // a sentence explaining the result
};

// Parses a DKIM-Signature value (the raw value, folding allowed). Never throws.
DkimSignature parse_dkim_signature(std::string_view raw_value);

// Checks every DKIM-Signature of `message` (whose header section is `block`): supports
// rsa-sha256 and ed25519-sha256 (RFC 8463), simple and relaxed canonicalization, l=, x=.
// Keys are looked up in `keys` by domain and selector (case-insensitive). `now` is the
// checking time (epoch seconds) for x=. Never throws on bad input.
std::vector<DkimResult> verify_dkim(std::string_view message, const HeaderBlock& block, const std::vector<DkimKey>& keys, std::int64_t now);

// A signature's t= and x= read against the time the message was delivered (the date of the
// topmost Received line, written by the recipient's own server) and against the time of
// checking (ingestion). For evidence what counts is whether the signature held when the
// message arrived; an expiry after that is information.
struct DkimTime {
  std::optional<std::int64_t> delivered_at;           // unknown when there is no usable topmost Received date
  std::optional<std::size_t> delivery_header_index;   // the Received field it was read from
  std::optional<std::size_t> delivery_received_index; // its index in the chain (0 = oldest)
  std::int64_t now = 0;                               // the time of checking
  std::optional<std::int64_t> signed_at;              // t=
  std::optional<std::int64_t> expires_at;             // x=
  std::optional<bool> valid_at_delivery;              // x= absent or not before delivery; unknown without delivery
  bool valid_now = true;                              // x= absent or not before now
  std::optional<std::int64_t> expired_since;          // x=, when it is before now
  std::optional<bool> signed_after_delivery;          // t= more than `tolerance` after delivery
};

// Evaluates `s`'s t= and x= against `delivered_at` and `now`; t= counts as after the delivery
// only when more than `tolerance` seconds after it (clocks differ). Never throws.
DkimTime dkim_time(const DkimSignature& s, std::optional<std::int64_t> delivered_at, std::int64_t now, std::int64_t tolerance);

// {"delivered_at":"...Z"|null,"delivery_header_index":int|null,"delivery_received_index":int|null,
//  "checked_at":"...Z","signed_at":"...Z"|null,"expires_at":"...Z"|null,"valid_at_delivery":bool|null,
//  "valid_now":bool,"expired_since":"...Z"|null,"signed_after_delivery":bool|null}
util::Json to_json(const DkimTime& t);

// {"header_index":..,"domain":..,"selector":..,"algorithm":..,"canonicalization":"relaxed/simple",
//  "signed_headers":[..],"identity":..|null,"body_length":int|null,"timestamp":int|null,
//  "expiration":int|null,"tags":{..},"body_hash":"pass",
//  "computed_body_hash":"..","signature":"unverified","key_source":"no key","detail":"..",
//  "problems":[..]}
util::Json to_json(const DkimResult& r);

} // namespace cbkit::email
