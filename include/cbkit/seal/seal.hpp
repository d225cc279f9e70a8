#pragma once

// `cbkit seal` and `cbkit pack`: the seal line, and the deterministic BagIt archive of a
// sealed state.
//
// What is signed, and why every byte of the archive is checkable:
//  - the checkpoint (C2SP signed note, stored in the case as seals/<seq>-seal/checkpoint and
//    recorded by the seal line) signs the RFC 9162 root over manifest lines 0..n-1, where n
//    is the seal line's seq: every entry and, through the recorded hashes, every evidence
//    file before the seal;
//  - the seal line itself (line n) records the checkpoint's hash, the key fingerprint, the
//    tree size and root; it is the last line of the bag's data/manifest.jsonl;
//  - the bag's manifest-sha256/512.txt cover every payload file (manifest, evidence, seal
//    files, report), tagmanifest-sha256.txt covers those manifests, bag-info.txt and the
//    seal/ files, and the Ed25519 signature over tagmanifest-sha256.txt (raw and in minisign
//    format) covers it all, including line n. The signatures are the only files not listed
//    in the tag manifest (they cannot list themselves).
// Ed25519 is deterministic, so `pack` with the same key rewrites the same bytes.

#include "cbkit/crypt/age.hpp"
#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/seal/keys.hpp"
#include "cbkit/store/case.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace cbkit::seal {

enum class ArchiveFormat { tar, tar_gz, tar_zst, zip };

// The format named by a file's extension (.tar, .tar.gz/.tgz, .tar.zst/.tzst, .zip), or
// nullopt; a trailing .age (an age-encrypted archive) is looked through.
std::optional<ArchiveFormat> archive_format_of(const std::filesystem::path& name);
// True when the name ends with .age.
bool is_age_name(const std::filesystem::path& name);
std::string format_name(ArchiveFormat f);

// What a seal line says (its "seal" object), read back.
struct SealInfo {
  std::uint64_t seq = 0;       // the seal line's seq
  std::uint64_t tree_size = 0; // lines covered: 0..tree_size-1
  std::string root;            // lowercase hex
  std::string covers_head;     // SHA-256 of line tree_size-1
  std::string origin;
  std::string fingerprint; // key fingerprint, hex
  std::string key_id;
  std::string time; // the seal line's time
  std::string checkpoint_path;
  std::string public_key_path;
  std::string token_path;     // empty without --tsa
  std::string tsa_chain_path; // empty without --tsa
};

// Reads the "seal" object of a seal line; nullopt with `error` set when a field is missing
// or of the wrong type.
std::optional<SealInfo> parse_seal_line(const manifest::Json& line, std::uint64_t seq, std::string& error);

struct ArchiveResult {
  std::filesystem::path path;
  ArchiveFormat format = ArchiveFormat::tar;
  std::string top; // the bag's folder name
  std::string sha256;
  std::uint64_t size = 0;
  std::uint64_t payload_files = 0;
  std::uint64_t payload_bytes = 0;
  std::filesystem::path receipt;
  // Encrypted with age (ArchiveOptions::encrypt_to): the recipients written into its header
  // ("scrypt" for a passphrase), and the clear archive's SHA-256 and size (the bytes `cbkit
  // decrypt` or `age -d` give back; `sha256` and `size` are those of the encrypted file).
  std::vector<std::string> recipients;
  std::string clear_sha256;
  std::uint64_t clear_size = 0;
};

// How to write the archive: in clear, or encrypted to age recipients (the name must then
// end with .age, e.g. case.tar.zst.age; without them it must not).
struct ArchiveOptions {
  std::optional<crypt::Recipients> encrypt_to;
};

// Writes the archive of the state sealed by line `seal_seq` (manifest lines 0..seal_seq and
// the files they record, the newest report's HTML) to `out`, and the receipt beside it
// (<out>.receipt.txt). Streams every file once, checking its recorded SHA-256; writes to a
// temporary file renamed into place at the end. Throws Error(usage) when `out` exists or
// its extension names no format, or when `key` did not make that seal; Error(case_) when a
// recorded file is missing or differs from its record, Error(io) when writing fails.
// Encrypted (options.encrypt_to), libarchive writes into the age encryptor, which writes the
// temporary file: no clear byte of the archive ever reaches the disk. bag-info.txt then
// lists the recipients (Cbkit-Encrypted-To), and the receipt too.
ArchiveResult write_archive(const store::Case& c, std::uint64_t seal_seq, const PrivateKey& key, const std::filesystem::path& out,
                            const ArchiveOptions& options = {});

// Throws Error(usage) when `out` names no archive format, or its .age ending does not match
// whether the archive is encrypted.
void check_archive_name(const std::filesystem::path& out, bool encrypted);

struct SealOptions {
  std::filesystem::path key;
  std::filesystem::path out;
  std::optional<std::string> tsa_url;
  std::optional<std::filesystem::path> tsa_ca;
  std::string examiner; // empty: the case's examiner
  std::chrono::milliseconds lock_timeout{60000};
  ArchiveOptions archive; // encryption of the archive
  // Called after every check of the options and of the log, before the seal line is made:
  // records an entry (the CLI records the report of the state being sealed) and returns its
  // head, which the seal line must follow directly. When another command appends in
  // between, the attempt starts again and this is called again (it may throw HeadMoved too).
  std::function<std::string()> before_seal;
};

struct SealResult {
  manifest::Appended appended;
  SealInfo info;
  ArchiveResult archive;
};

// Checks the chain, (calls options.before_seal,) signs a checkpoint over every line so far, (asks the TSA for a token
// over the head), appends the seal line with those files under seals/<seq>-seal/, then
// writes the archive. Throws Error(usage) for a bad --out before anything is written,
// Error(case_) when the chain is broken or a recorded file is missing, Error(input) for a
// bad key or an unreachable TSA. When the archive fails after the seal line was recorded,
// the error says so and how to write it again (`cbkit pack`).
SealResult seal_case(const store::Case& c, const SealOptions& options);

// The seal lines of the case, oldest first (reads the whole manifest).
std::vector<SealInfo> list_seals(const store::Case& c);

} // namespace cbkit::seal
