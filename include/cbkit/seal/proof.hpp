#pragma once

// Inclusion proofs: one manifest line shown to belong to a sealed checkpoint (RFC 9162
// 2.1.3), so a single item can be handed to a platform or the Ombudsman without the rest of
// the case. The proof file is one JSON object:
//
//   {"format":"cbkit-inclusion-proof-v1","case_id":..,"seq":N,"line":"<the line's exact
//    bytes>","tree_size":T,"seal_seq":S,"proof":["<hex>",...],"checkpoint":"<signed note>"}
//
// Checking it needs only that file and the examiner's public key.

#include "cbkit/seal/keys.hpp"
#include "cbkit/store/case.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::seal {

struct ProofResult {
  std::string json; // the proof file's content
  std::uint64_t seq = 0;
  std::uint64_t seal_seq = 0;
  std::uint64_t tree_size = 0;
  std::string root; // hex
};

// The proof of line `seq` in the checkpoint of seal line `seal_seq` (default: the oldest
// seal that covers it). Throws Error(usage) when `seq` or `seal_seq` name no such line or
// the seal does not cover it, Error(case_) when the case no longer matches the checkpoint.
ProofResult make_inclusion_proof(const store::Case& c, std::uint64_t seq, std::optional<std::uint64_t> seal_seq);

struct ProofCheck {
  bool ok = false;
  std::vector<std::string> problems; // sentences; empty when ok
  std::string line;                  // the proven line's bytes
  std::uint64_t seq = 0;
  std::uint64_t tree_size = 0;
  std::string origin;
  std::string root; // hex, from the checkpoint
  std::string key_fingerprint;
  std::vector<std::pair<std::string, bool>> files; // given file, its SHA-256 is recorded by the line
};

// Checks a proof file's text with `key`; `files` are optional files whose SHA-256 must be
// one the line records. Never throws for a bad proof (the reasons are in problems); throws
// Error(input) when a given file cannot be read.
ProofCheck check_inclusion_proof(const std::string& text, const PublicKey& key, const std::vector<std::filesystem::path>& files);

} // namespace cbkit::seal
