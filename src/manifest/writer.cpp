#include "cbkit/manifest/writer.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/time.hpp"

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

Appended append_entry(const fs::path& case_root, const std::string& kind, const std::string& area,
                      const std::optional<fs::path>& staged_dir, const std::function<Json(const EntrySlot&)>& build,
                      std::chrono::milliseconds lock_timeout) {
  const fs::path manifest = case_root / k_manifest_name;
  util::FileLock lock(case_root / ".cbkit.lock", lock_timeout);

  const Tail tail = read_tail(manifest);
  EntrySlot slot;
  slot.seq = tail.seq + 1;
  slot.prev = tail.head;
  slot.time = util::utc_now();

  fs::path entry_abs;
  if (staged_dir) {
    char name[64];
    std::snprintf(name, sizeof name, "%06llu-%s", static_cast<unsigned long long>(slot.seq), kind.c_str());
    slot.entry_dir = area + "/" + name;
    entry_abs = case_root / area / name;
    std::error_code ec;
    if (fs::exists(fs::symlink_status(entry_abs, ec))) {
      throw Error(ErrorKind::case_, entry_abs.string() +
                                        " exists but no manifest line records it (left by an interrupted command); "
                                        "check it with 'cbkit verify', then move it out of " +
                                        area + "/ to continue");
    }
    if (::rename(staged_dir->c_str(), entry_abs.c_str()) != 0) throw_errno(ErrorKind::io, entry_abs.string());
  }

  util::UniqueFd fd;
  try {
    if (staged_dir) {
      util::make_read_only(entry_abs, true);
      util::fsync_dir(case_root / area);
    }
    const std::string bytes = serialize(build(slot)) + "\n";
    fd = util::open_no_follow(manifest, O_WRONLY | O_APPEND);
    // One write() on an O_APPEND descriptor: the line lands whole or, on a short write
    // (disk full), is cut back below.
    const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
    if (n != static_cast<ssize_t>(bytes.size())) {
      if (n >= 0) errno = ENOSPC;
      throw_errno(ErrorKind::io, manifest.string());
    }
    util::fsync_or_throw(fd.get(), manifest.string());
    Appended out;
    out.seq = slot.seq;
    out.head = util::sha256_hex(std::string_view(bytes).substr(0, bytes.size() - 1));
    out.entry_dir = slot.entry_dir;
    return out;
  } catch (...) {
    // Roll back under the lock: nothing else can have appended meanwhile.
    // Through the descriptor written to: never a file a link in its place points at.
    if (fd.valid() && ::ftruncate(fd.get(), static_cast<off_t>(tail.size)) == 0) ::fsync(fd.get());
    if (staged_dir) {
      util::remove_tree_forcibly(entry_abs);
      try {
        util::fsync_dir(case_root / area);
      } catch (const Error&) {
        // The original error is the one worth reporting.
      }
    }
    throw;
  }
}

} // namespace cbkit::manifest
