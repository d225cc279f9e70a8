#pragma once

// The one way to write a manifest entry. Every kind (file, note, email, web, timestamp,
// seal, report, and those to come) goes through EntryBuilder:
//
//   store::EntryBuilder b(c, "web", examiner);
//   b.add_bytes("capture.json", json_text, "capture", "application/json");
//   b.commit(fields);              // the kind's own keys after the common ones
//
// The builder owns the staging folder (<area>/.incoming-<random>/, removed unless the entry
// is committed), returns one FileRecord per stored file with one canonical JSON form, and
// commits under the case lock with manifest::append_entry. When the caller needs the line to
// follow a known head (a token or a checkpoint over that head), commit() throws HeadMoved if
// another command appended meanwhile; retry_on_head_move() is the one retry loop.

#include "cbkit/error.hpp"
#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::store {

// One file as a manifest line records it. to_json() writes, in this fixed order, path, sha256,
// size (always) and then role, name, source_path, source_path_base64, symlink, mtime,
// media_type, part, each only when not empty. Every kind written before this builder used a
// subset of this order, so the same bytes come out.
struct FileRecord {
  std::string path; // relative to the entry folder until commit(), to the case afterwards
  std::string sha256;
  std::uint64_t size = 0;
  std::string role;            // what the file is to its entry: original, token, warc, ...
  std::string name;            // the original base name (lossy UTF-8)
  std::string source_path;     // absolute path it was read from
  std::string source_path_raw; // its exact bytes when not valid UTF-8 (written as base64)
  std::string symlink;         // the link that was followed, if any
  std::string mtime;           // source modification time, UTC
  std::string media_type;
  std::string part; // MIME part number of an e-mail's body or attachment

  manifest::Json to_json() const;
};

// Thrown by EntryBuilder::commit() when the case's head is no longer the expected one.
class HeadMoved : public Error {
public:
  explicit HeadMoved(const std::string& message) : Error(ErrorKind::locked, message) {}
};

// What a commit gives back: the receipt and the records as written (paths case-relative).
struct Committed {
  manifest::Appended appended;
  std::string time; // the line's time
  std::vector<FileRecord> files;
};

struct StagedEntry;

class EntryBuilder {
public:
  // `examiner` empty: the case's examiner. The staging folder is made on the first file, in
  // the kind's storage area (kinds::area_of). Throws Error(io) when it cannot be made.
  EntryBuilder(const Case& c, std::string kind, const std::string& examiner,
               std::chrono::milliseconds lock_timeout = std::chrono::milliseconds(60000));
  // The same with the line's actor given (from actor_of): for callers that build many
  // entries, so the OS user and host name are looked up once, not per entry.
  EntryBuilder(const Case& c, std::string kind, manifest::Actor actor, std::chrono::milliseconds lock_timeout);
  // The actor an EntryBuilder made with `examiner` records (`examiner` empty: the case's).
  static manifest::Actor actor_of(const Case& c, const std::string& examiner);
  ~EntryBuilder();
  EntryBuilder(const EntryBuilder&) = delete;
  EntryBuilder& operator=(const EntryBuilder&) = delete;

  const std::string& kind() const { return m_kind; }
  // The staging folder (made on first use). Code that writes a file itself (a WARC, MIME
  // parts) writes it here and then records it with add_written().
  const std::filesystem::path& dir();

  // Streams `fd` into `rel_name` (created exclusively, mode 0600, then read-only), hashing as
  // it goes; the media type is sniffed from the first bytes unless `media_type` is given.
  // Throws Error(input) naming `source_name` when reading fails.
  FileRecord& add_stream(int fd, const std::string& source_name, const std::string& rel_name, const std::string& role = "",
                         const std::string& media_type = "");
  // Writes `bytes` to `rel_name` and records it.
  FileRecord& add_bytes(const std::string& rel_name, std::string_view bytes, const std::string& role = "",
                        const std::string& media_type = "");
  // Records a file already written under dir() with its digest (its writer hashed it).
  FileRecord& add_written(const std::string& rel_name, const std::string& sha256, std::uint64_t size, const std::string& role = "",
                          const std::string& media_type = "");

  std::vector<FileRecord>& files() { return m_files; }
  // Removes the file added last from the staging folder and from files() (an input found to
  // be a duplicate once hashed).
  void drop_last_file();

  // Makes the staged files read-only and durable, takes the case lock and appends the line:
  // the common keys, files[], then the keys of `fields` in their order (the kind's object
  // first, then "context" and the like). With `expected_prev`, throws HeadMoved (nothing
  // written) if the line would not follow that head. Call it once.
  Committed commit(const manifest::Json& fields, const std::optional<std::string>& expected_prev = std::nullopt);

  // The bytes of the files staged so far (what a group commit bounds).
  std::uint64_t staged_bytes() const;

private:
  friend std::vector<Committed> commit_batch(std::vector<StagedEntry>& batch);
  // Makes the staged files read-only (the caller then makes them durable).
  void seal_staged_files();
  // The pending append of this entry: its line is built into `out` once its slot is known.
  manifest::PendingEntry pending(const manifest::Json& fields, const std::optional<std::string>& expected_prev, Committed& out);

  const Case& m_case;
  std::string m_kind;
  std::string m_area;
  manifest::Actor m_actor;
  std::chrono::milliseconds m_lock_timeout;
  std::optional<std::filesystem::path> m_dir;
  std::vector<FileRecord> m_files;
  bool m_committed = false;
};

// One staged entry waiting for a group commit: its builder (files staged) and the kind's
// fields of its line, as EntryBuilder::commit() takes them.
struct StagedEntry {
  std::unique_ptr<EntryBuilder> builder;
  manifest::Json fields;
};

// How much one group commit takes at most (multi-entry ingest: add-email).
inline constexpr std::size_t k_batch_max_entries = 64;
inline constexpr std::uint64_t k_batch_max_bytes = 64ull << 20;

// Group commit: makes every staged file of `batch` read-only and durable (one syncfs), then
// appends all the entries under one lock with manifest::append_entries (one write, one
// fsync). Each entry gets its own seq, line and place in the hash chain, exactly as if it
// were committed alone. All or nothing: on any error (Error(interrupted) before the lock
// when a stop was requested) no entry of the batch is recorded and their staged folders are
// removed with their builders. The builders must write to the same case. Returns one
// Committed per entry, in order.
std::vector<Committed> commit_batch(std::vector<StagedEntry>& batch);

// Runs `attempt` until it does not throw HeadMoved, at most `attempts` times; then throws
// Error(locked) saying that `what` gave up because the case kept changing. Each attempt
// builds its own EntryBuilder, so a dropped attempt leaves nothing in the case.
template <class F> auto retry_on_head_move(int attempts, const std::string& what, F&& attempt) -> decltype(attempt()) {
  for (int i = 1;; ++i) {
    try {
      return attempt();
    } catch (const HeadMoved&) {
      if (i >= attempts) {
        throw Error(ErrorKind::locked, what + ": other commands kept appending to the case meanwhile (" + std::to_string(attempts) +
                                           " tries); nothing recorded: run it again when the case is quiet");
      }
    }
  }
}

} // namespace cbkit::store
