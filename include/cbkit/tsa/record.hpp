#pragma once

// How a manifest line records an obtained token, the same for every kind that stores one
// (timestamp, capture-url --tsa, seal --tsa), and how verify reads it back.

#include "cbkit/manifest/line.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/tsa/rfc3161.hpp"

#include <string>

namespace cbkit::tsa {

// One RFC 3161 token record, the same wherever a token is stored (DESIGN "Entry kinds"):
// the files timestamp.tsr (role token), timestamp.tsq (role token-request) and, when the TSA
// sent certificates, tsa-chain.pem (role tsa-chain); and in the line, token_record():
// covers first (what the hash is of, and the hash), then stamp_record()'s keys.
//
// Earlier versions recorded the request of a `timestamp` entry with role "request", and a
// seal's token with no roles, no request file and seal.timestamp {tsa, gen_time, serial,
// imprint, skew_micros}; readers keep accepting those.

// Stores the stamp's files in `entry`.
void add_token_files(store::EntryBuilder& entry, const Stamp& stamp);

// {covers, tsa, nonce, local_before, local_after, skew_micros, proxy?, verification}.
manifest::Json token_record(const manifest::Json& covers, const Stamp& stamp, const ObtainOptions& options, const std::string& ca_sha256);

// The stamp's object for a manifest line, keys in this fixed order:
//   tsa {url, time, serial, policy, name?, signer_subject, signer_issuer, accuracy?},
//   nonce, local_before, local_after, skew_micros, proxy? (when one was used),
//   verification {imprint, nonce, signature, chain_checked, chain, ca_sha256?}
// `ca_sha256` is the SHA-256 of the --tsa-ca file when one was given (empty: none).
// Optional keys are left out when empty.
manifest::Json stamp_record(const Stamp& stamp, const ObtainOptions& options, const std::string& ca_sha256);

// The SHA-256 of a --tsa-ca file, read whole (it is small). Throws Error(input) naming it.
std::string ca_file_sha256(const std::filesystem::path& ca);

// File names of the stored stamp inside an entry folder, and their media types.
inline constexpr const char* k_token_file = "timestamp.tsr";
inline constexpr const char* k_request_file = "timestamp.tsq";
inline constexpr const char* k_chain_file = "tsa-chain.pem";
inline constexpr const char* k_token_media_type = "application/timestamp-reply";
inline constexpr const char* k_request_media_type = "application/timestamp-query";
inline constexpr const char* k_chain_media_type = "application/pem-certificate-chain";

} // namespace cbkit::tsa
