#pragma once

#include "cbkit/manifest/line.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

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

// Appends one entry to the case at `case_root` under its exclusive lock:
//  1. takes the flock on .cbkit.lock (waiting up to lock_timeout, else Error(locked));
//  2. reads only the last line to learn seq and head (Error(case_) if torn or corrupt);
//  3. when `staged_dir` is given, renames it to <area>/<seq>-<kind> (the kind's storage area,
//     kinds::area_of) (Error(case_) if a
//     folder of that name exists: left by an interrupted append) and fsyncs evidence/;
//  4. calls build(slot) for the complete line, writes it with one write() on an O_APPEND
//     descriptor and fsyncs it.
// If anything fails after step 3, the manifest is cut back to its old size and the entry
// folder is removed, so nothing half-written stays in the case.
// Writers use store::EntryBuilder, which calls this.
Appended append_entry(const std::filesystem::path& case_root, const std::string& kind, const std::string& area,
                      const std::optional<std::filesystem::path>& staged_dir, const std::function<Json(const EntrySlot&)>& build,
                      std::chrono::milliseconds lock_timeout);

} // namespace cbkit::manifest
