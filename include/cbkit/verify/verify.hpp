#pragma once

#include "cbkit/crypt/age.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::verify {

enum class Severity { error, warning };

// One problem. `code` is stable (documented in cbkit-verify(1)); `message` is a sentence.
struct Finding {
  std::string code;
  Severity severity = Severity::error;
  std::optional<std::uint64_t> seq; // manifest line it concerns, when it concerns one
  std::string path;                 // case-relative path it concerns, when it concerns one
  std::string message;
};

// A signer of --allowed-signers: a pinned seal key, with the window of time in which its
// seals are accepted (a seal line's time t must satisfy valid_after <= t < valid_before,
// to the microsecond; an absent bound does not limit).
struct AllowedSigner {
  std::string name;                          // as the file gives it
  std::string key_raw;                       // the raw 32-byte Ed25519 public key
  std::string fingerprint;                   // SHA-256 of key_raw, lowercase hex
  std::optional<std::string> valid_after;    // RFC 3339 as written
  std::optional<std::string> valid_before;   // RFC 3339 as written
  std::optional<std::int64_t> after_micros;  // valid_after, microseconds since the epoch (UTC)
  std::optional<std::int64_t> before_micros; // valid_before, likewise
  std::string where;                         // "FILE:LINE", for messages
};

// Reads an allowed-signers file: one signer a line, `NAME KEY [valid-after=RFC3339]
// [valid-before=RFC3339]`, KEY a minisign public key's base64 line or the path of a public
// key file (.pub: minisign or PEM), relative to the file's folder; `#` comments and blank
// lines are skipped. Throws Error(usage) naming the file and line when a line is not one, and
// Error(input) when the file cannot be read.
std::vector<AllowedSigner> load_allowed_signers(const std::filesystem::path& file);

struct Options {
  std::optional<std::string> expect_head;      // lowercase hex; the receipt's head
  std::optional<std::filesystem::path> tsa_ca; // trust anchors (PEM) for RFC 3161 tokens
  // Pinned seal keys (PEM SPKI or minisign .pub), repeatable for a key rotation: each seal
  // must be signed by one of them (the one its line names).
  std::vector<std::filesystem::path> pubkeys;
  // Pinned seal keys from --allowed-signers, with their names and windows of validity; with
  // pubkeys, the union is pinned (a --pubkey key has no window).
  std::vector<AllowedSigner> signers;
  // verify_archive: the archive is age-encrypted; decrypt it with these keys as it is read.
  std::optional<crypt::DecryptKeys> decrypt;
  // Threads reading and hashing a case folder's files (0: one per core, at most 4). The
  // report is the same for every value; an archive is one stream and ignores it.
  unsigned jobs = 0;
};

// Where the receipt's head was found in the chain.
struct ExpectHead {
  std::string hash;
  std::optional<std::uint64_t> found_at_seq;
  std::uint64_t entries_after = 0;
};

// A seal line as verify found it.
struct SealSummary {
  std::uint64_t seq = 0;
  std::uint64_t tree_size = 0;
  std::string root;
  std::string key_fingerprint;
  bool pinned = false; // checked against --pubkey or --allowed-signers
  std::string signer;  // the --allowed-signers name of the key the line names; empty otherwise
  bool ok = false;     // no error finding concerns this line
};

// What verify learned about an archive (verify_archive only).
struct ArchiveSummary {
  std::string path;
  std::string format; // libarchive's name of the format and filter
  std::string top;    // the bag's folder
  std::string sha256; // of the archive file
  std::uint64_t size = 0;
  std::uint64_t payload_files = 0;
  std::uint64_t payload_bytes = 0;
  bool signature_ok = false; // tagmanifest signatures (raw and minisign) hold
  bool pinned = false;       // ... checked with --pubkey, not the embedded key
  std::string key_fingerprint;
};

struct Report {
  std::uint64_t entries = 0;       // manifest lines read
  std::uint64_t files_checked = 0; // recorded files hashed
  std::uint64_t bytes_checked = 0;
  std::optional<std::string> head;  // hash of the last line, when there is one
  std::optional<std::uint64_t> seq; // seq of the last line, when it parsed
  std::optional<ExpectHead> expect_head;
  std::vector<Finding> findings;
  std::vector<SealSummary> seals;
  // Entries added after the last seal (seq, kind): not covered by any seal yet.
  std::vector<std::pair<std::uint64_t, std::string>> after_last_seal;
  std::optional<ArchiveSummary> archive;

  // True when no finding has severity error.
  bool ok() const;
};

// Checks a case folder: the manifest (every line parses, canonical, ends with LF, seq
// contiguous, prev chain), every recorded file (exists, regular, size, SHA-256), nothing
// unrecorded under evidence/, and the --expect-head pin. Reports every problem; never
// stops at the first. Reads files in constant memory. Throws only when `case_root` has
// no manifest at all (Error(case_)).
Report verify_case(const std::filesystem::path& case_root, const Options& options);

// Checks a sealed archive (tar, tar.gz, tar.zst, tar.bz2, tar.xz or zip) in one streaming
// pass without extracting anything: the same checks on data/ as verify_case on a folder,
// plus BagIt (bagit.txt, bag-info.txt and its Payload-Oxum, both payload manifests, the tag
// manifest, nothing unlisted), the seal (checkpoint, signatures over tagmanifest-sha256.txt,
// key pinned by options.pubkey or the embedded one, reported unpinned), and archive attacks
// (absolute or '..' paths, links, devices, duplicates, entries outside the one top folder,
// decompression bombs, truncation), each as a finding. With options.decrypt, the file is an
// age-encrypted archive, decrypted in the same pass (nothing clear is written): a header that
// is not age, keys that open no stanza, an altered header, a truncated, altered or reordered
// chunk are findings archive-age-header, -no-match, -mac, -truncated, -payload (the checks
// that need the rest are then not run). Throws Error(input) only when the file cannot be
// opened.
Report verify_archive(const std::filesystem::path& archive, const Options& options);

// The bag folder when `dir` is an extracted cbkit archive: a folder holding bagit.txt, the
// data/ folder (holding manifest.jsonl) of such a folder, or the folder it was extracted into
// (whose one entry is such a folder); nullopt otherwise.
std::optional<std::filesystem::path> bag_folder_of(const std::filesystem::path& dir);

// Checks an extracted bag folder like verify_archive checks the archive (BagIt manifests and
// Payload-Oxum, tag manifest, seal signatures, the case in data/, nothing unlisted, links and
// special files), reading its files in constant memory. File modes and times are not checked:
// extraction sets them. The summary's format is "folder", its sha256 empty and size 0.
// Throws Error(input) when `bag` is not a folder.
Report verify_bag_folder(const std::filesystem::path& bag, const Options& options);

} // namespace cbkit::verify
