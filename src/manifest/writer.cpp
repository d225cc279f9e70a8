#include "cbkit/manifest/writer.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/time.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::manifest {

namespace fs = std::filesystem;

bool is_safe_entry_path(const std::string& path, const std::string& area) {
  if (path.rfind(area + "/", 0) != 0 || path.find('\\') != std::string::npos || path.find('\0') != std::string::npos) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

std::vector<Appended> append_entries(const fs::path& case_root, const std::vector<PendingEntry>& entries,
                                     std::chrono::milliseconds lock_timeout) {
  std::vector<Appended> out;
  if (entries.empty()) return out;
  const fs::path manifest = case_root / k_manifest_name;
  util::FileLock lock(case_root / ".cbkit.lock", lock_timeout);

  const Tail tail = read_tail(manifest);
  out.reserve(entries.size());
  std::vector<fs::path> placed;   // entry folders renamed into place, to remove on failure
  std::vector<std::string> areas; // storage areas to fsync once each
  util::UniqueFd fd;
  try {
    std::string bytes;
    std::string prev = tail.head;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const PendingEntry& e = entries[i];
      EntrySlot slot;
      slot.seq = tail.seq + 1 + i;
      slot.prev = prev;
      slot.time = util::utc_now();
      if (e.staged_dir) {
        char name[64];
        std::snprintf(name, sizeof name, "%06llu-%s", static_cast<unsigned long long>(slot.seq), e.kind.c_str());
        slot.entry_dir = e.area + "/" + name;
        const fs::path entry_abs = case_root / e.area / name;
        std::error_code ec;
        if (fs::exists(fs::symlink_status(entry_abs, ec))) {
          throw Error(ErrorKind::case_, entry_abs.string() +
                                            " exists but no manifest line records it (left by an interrupted command); "
                                            "check it with 'cbkit verify', then move it out of " +
                                            e.area + "/ to continue");
        }
        if (::rename(e.staged_dir->c_str(), entry_abs.c_str()) != 0) throw_errno(ErrorKind::io, entry_abs.string());
        placed.push_back(entry_abs);
        util::make_read_only(entry_abs, true);
        if (std::find(areas.begin(), areas.end(), e.area) == areas.end()) areas.push_back(e.area);
      }
      const std::size_t line_start = bytes.size();
      bytes += serialize(e.build(slot));
      Appended a;
      a.seq = slot.seq;
      a.head = util::sha256_hex(std::string_view(bytes).substr(line_start));
      a.entry_dir = std::move(slot.entry_dir);
      bytes += '\n';
      prev = a.head;
      out.push_back(std::move(a));
    }
    for (const std::string& area : areas)
      util::fsync_dir(case_root / area);
    fd = util::open_no_follow(manifest, O_WRONLY | O_APPEND);
    // One write() on an O_APPEND descriptor: the lines land whole or, on a short write
    // (disk full), are cut back below.
    const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
    if (n != static_cast<ssize_t>(bytes.size())) {
      if (n >= 0) errno = ENOSPC;
      throw_errno(ErrorKind::io, manifest.string());
    }
    util::fsync_or_throw(fd.get(), manifest.string());
    return out;
  } catch (...) {
    // Roll back under the lock: nothing else can have appended meanwhile.
    // Through the descriptor written to: never a file a link in its place points at.
    if (fd.valid() && ::ftruncate(fd.get(), static_cast<off_t>(tail.size)) == 0) ::fsync(fd.get());
    for (const fs::path& p : placed)
      util::remove_tree_forcibly(p);
    for (const std::string& area : areas) {
      try {
        util::fsync_dir(case_root / area);
      } catch (const Error&) {
        // The original error is the one worth reporting.
      }
    }
    throw;
  }
}

Appended append_entry(const fs::path& case_root, const std::string& kind, const std::string& area,
                      const std::optional<fs::path>& staged_dir, const std::function<Json(const EntrySlot&)>& build,
                      std::chrono::milliseconds lock_timeout) {
  std::vector<PendingEntry> one(1);
  one[0].kind = kind;
  one[0].area = area;
  one[0].staged_dir = staged_dir;
  one[0].build = build;
  return std::move(append_entries(case_root, one, lock_timeout).front());
}

} // namespace cbkit::manifest
