#pragma once

#include "cbkit/manifest/line.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::manifest {

// What the line builder learns once the case is locked.
struct EntrySlot {
  std::uint64_t seq = 0;
  std::string prev;      // head before this entry
  std::string time;      // UTC, microseconds
  std::string entry_dir; // "evidence/000003-file" (relative, '/'-separated) or empty
};

// The receipt of an append.
struct Appended {
  std::uint64_t seq = 0;
  std::string head;      // SHA-256 of the new line
  std::string entry_dir; // as in EntrySlot
};

// True when a recorded path stays inside `area` ("evidence" or "seals") whatever a hostile
// manifest says: it starts with "<area>/", has no '\\' or NUL, and no empty, "." or ".." part.
bool is_safe_entry_path(const std::string& path, const std::string& area);

// One entry of a group commit: its kind and storage area, its staged folder (if it stores
// files) and the builder of its complete line, called once the entry's slot is known.
struct PendingEntry {
  std::string kind;
  std::string area;
  std::optional<std::filesystem::path> staged_dir;
  std::function<Json(const EntrySlot&)> build;
};

// Appends several entries to the case at `case_root` under one exclusive lock (group commit):
//  1. takes the flock on .cbkit.lock (waiting up to lock_timeout, else Error(locked));
//  2. reads only the last line to learn seq and head (Error(case_) if torn or corrupt);
//  3. for each entry in order: gives it the next seq and the previous entry's head as prev
//     (exactly the chain that appending them one by one would give), renames its staged
//     folder to <area>/<seq>-<kind> (Error(case_) if a folder of that name exists: left by an
//     interrupted append), makes it read-only and calls build(slot) for its line;
//  4. fsyncs each storage area once, writes all the lines with one write() on an O_APPEND
//     descriptor and fsyncs the manifest once.
// The staged files must already be durable (EntryBuilder syncs them before). All or nothing:
// if anything fails after the lock is taken, the manifest is cut back to its old size and
// every folder of the group is removed, so only whole entries stay in the case.
// Returns one receipt per entry, in order. Writers use store::EntryBuilder, which calls this.
std::vector<Appended> append_entries(const std::filesystem::path& case_root, const std::vector<PendingEntry>& entries,
                                     std::chrono::milliseconds lock_timeout);

// append_entries() with one entry.
Appended append_entry(const std::filesystem::path& case_root, const std::string& kind, const std::string& area,
                      const std::optional<std::filesystem::path>& staged_dir, const std::function<Json(const EntrySlot&)>& build,
                      std::chrono::milliseconds lock_timeout);

} // namespace cbkit::manifest
