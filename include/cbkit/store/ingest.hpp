#pragma once

#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/time.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cbkit::store {

// What the collector says about the evidence (the police checklist's context).
struct Context {
  std::string kind; // e.g. screenshot, chat-export, recording, phone-call
  std::string note;
  std::string source_url; // exact URL of the post, profile or account
  std::optional<util::Rfc3339> observed_at;
  std::string platform;
  std::string account_id; // the account's unique id on the platform
  // With observed_at: the offset that applied ("+01:00") and how it was known
  // ("offset-given" or "case-zone"); written after the fields above.
  std::string observed_at_offset;
  std::string observed_at_zone_source;
  // Who the evidence comes from / is about: ids (seqs) of person entries.
  std::optional<std::uint64_t> from_person;
  std::optional<std::uint64_t> about_person;
};

// Throws Error(usage) naming the option when a field is not valid UTF-8 or the URL has no
// scheme or contains spaces or control characters.
void validate_context(const Context& context);

// validate_context(context), and the persons it names must be person entries of `c` (the
// entry that created the person, not an update). Throws Error(usage) naming the option.
void validate_context(const Case& c, const Context& context);

// The role of person `id` (the seq of the entry that created it) in case `c`, or nullopt when
// line `id` is not such an entry.
std::optional<std::string> person_role(const Case& c, std::uint64_t id);

// The manifest's "context" object: only the fields given, in the fixed order.
manifest::Json context_json(const Context& context);

// One file as stored in the case (see store/entry.hpp).
using StoredFile = FileRecord;

struct AddFileOptions {
  std::vector<std::filesystem::path> files;
  Context context;
  bool follow_symlinks = false;
  std::string examiner; // empty: the case's examiner
  std::chrono::milliseconds lock_timeout{60000};
  // A file whose SHA-256 is already an original in the case (or that of a file given before
  // it) is not stored again but reported as a duplicate.
  bool skip_existing = false;
};

// An input not stored again (--skip-existing) and the entry that holds the same bytes.
struct DuplicateInput {
  std::string input;
  std::string sha256;
  std::uint64_t duplicate_of = 0;
};

struct AddFileResult {
  bool committed = false; // false only when every file was a duplicate (nothing appended)
  manifest::Appended appended;
  std::vector<StoredFile> files;
  std::vector<DuplicateInput> duplicates;
};

// Stores every file of `options.files` in one new entry (kind "file"), all or nothing.
// Each file is copied and hashed in one streaming pass (constant memory), fsynced and made
// read-only before the manifest line is written. Throws Error(input) naming the file when a
// source is missing, unreadable, not a regular file, a symbolic link (unless followed) or
// changes while being copied; Error(io) when the case cannot be written (disk full).
// On any error nothing is recorded and no file is left in the case. With skip_existing, the
// duplicates are listed and, when every file is one, nothing is appended.
AddFileResult add_files(const Case& c, const AddFileOptions& options);

// The SHA-256 of every original file recorded in the case (files of role "original", and the
// files of "file" entries, which carry no role) mapped to the seq of the first entry that
// recorded it: what --skip-existing compares inputs with. Streams the manifest once
// (constant memory besides the map); lines that do not parse are passed over (verify
// reports them). Throws Error(case_) when the manifest cannot be read.
std::unordered_map<std::string, std::uint64_t> recorded_originals(const Case& c);

struct NoteOptions {
  std::string text;
  Context context;
  std::string examiner;
  std::chrono::milliseconds lock_timeout{60000};
};

// Maximum note size kept in a manifest line; longer texts belong in a file (add-file).
inline constexpr std::size_t k_max_note_bytes = 1u << 20;

// Appends a "note" entry. Throws Error(input) when the text is empty, too long or not UTF-8.
manifest::Appended add_note(const Case& c, const NoteOptions& options);

// Opens an input to be stored: a regular file, readable, and a symbolic link only when
// `follow_symlinks`. Never blocks (a FIFO is opened non-blocking, then refused). Fills `st`
// and, for a followed link, `link_target`. Throws Error(input) naming the path.
util::UniqueFd open_evidence_source(const std::filesystem::path& path, bool follow_symlinks, struct stat& st, std::string* link_target);

// Streams `src_fd` into a new file `dest` (created exclusively, mode 0600), hashing as it
// goes; fsyncs it (unless sync is false). Returns size, SHA-256 and the media type of the first bytes.
struct CopyResult {
  std::uint64_t size = 0;
  std::string sha256;
  std::string media_type;
};
// With sync=false the caller makes the file durable itself (util::sync_filesystem); with
// detect_type=false media_type stays empty (the caller knows it).
CopyResult copy_and_hash(int src_fd, const std::string& src_name, const std::filesystem::path& dest, bool sync = true,
                         bool detect_type = true);

} // namespace cbkit::store
