#include "browser_profile.hpp"

#include "cbkit/capture/browser.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace cbkit::capture {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// Folders of a Chromium user-data-dir (at any depth) that are not copied: rebuilt by the
// browser when missing, often large, and they hold no login (cookies live in
// "<profile>/Cookies", or "<profile>/Network/Cookies" since Chromium 96; local storage,
// IndexedDB and service workers are copied).
constexpr std::array<std::string_view, 12> k_skipped_folders = {
    "Cache",               // HTTP cache of the profile
    "Code Cache",          // compiled JavaScript
    "GPUCache",            // compiled GPU programs
    "GrShaderCache",       // Skia's shaders
    "GraphiteDawnCache",   // Skia Graphite's shaders
    "ShaderCache",         // GPU shaders (older versions)
    "DawnCache",           // WebGPU (older name)
    "DawnGraphiteCache",   // WebGPU
    "DawnWebGPUCache",     // WebGPU
    "Crashpad",            // crash reports of this machine
    "component_crx_cache", // downloaded browser components
    "Safe Browsing",       // the Safe Browsing lists
};

constexpr int k_max_depth = 64;

std::string lossy(const fs::path& p) { return util::utf8_lossy(p.string()); }

struct Walk {
  fs::path root;
  fs::path to;
  bool dry = false; // check only: nothing is opened for writing
  std::uint64_t max_bytes = 0;
  std::uint64_t bytes = 0;
  std::uint64_t links = 0;
  std::vector<std::pair<std::string, std::string>> files; // relative path, sha256
  std::vector<std::string> skipped;
};

// Copies one regular file (opened without following links), hashing it.
void copy_file(Walk& w, const fs::path& src, const fs::path& dst, const std::string& rel) {
  util::UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (!in.valid() || ::fstat(in.get(), &st) != 0) throw_errno(ErrorKind::io, "--browser-profile: " + lossy(src));
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::input, "--browser-profile: " + lossy(src) + ": changed while it was copied");
  if (w.bytes + static_cast<std::uint64_t>(st.st_size) > w.max_bytes)
    throw Error(ErrorKind::input, "--browser-profile " + lossy(w.root) + ": larger than " + std::to_string(w.max_bytes >> 20) +
                                      " MiB without its caches; use a profile made for the capture (see cbkit-capture-url(1))");
  if (w.dry) {
    w.bytes += static_cast<std::uint64_t>(st.st_size);
    return;
  }
  util::UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!out.valid()) throw_errno(ErrorKind::io, lossy(dst));
  const int out_fd = out.get();
  const std::string what = lossy(dst);
  const util::FileDigest d = util::sha256_fd(in.get(), "--browser-profile: " + lossy(src),
                                             [out_fd, &what](const char* p, std::size_t n) { util::write_all(out_fd, p, n, what); });
  w.bytes += d.size;
  if (w.bytes > w.max_bytes)
    throw Error(ErrorKind::input,
                "--browser-profile " + lossy(w.root) + ": larger than " + std::to_string(w.max_bytes >> 20) + " MiB without its caches");
  w.files.emplace_back(rel, d.sha256);
}

void copy_dir(Walk& w, const fs::path& src, const fs::path& dst, const std::string& rel, int depth) {
  if (depth > k_max_depth) throw Error(ErrorKind::input, "--browser-profile: " + lossy(src) + ": folders nested deeper than 64");
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(src, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(*it);
  if (ec) throw Error(ErrorKind::io, "--browser-profile: " + lossy(src) + ": " + ec.message());
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    const std::string r = rel.empty() ? name : rel + "/" + name;
    const fs::file_status st = e.symlink_status(ec);
    if (ec) throw Error(ErrorKind::io, "--browser-profile: " + lossy(e.path()) + ": " + ec.message());
    if (fs::is_symlink(st)) {
      // Chromium's lock of a running instance: its socket and cookie live in /tmp.
      if (rel.empty() && (name == "SingletonSocket" || name == "SingletonCookie")) {
        w.skipped.push_back(r);
        continue;
      }
      const fs::path target = fs::read_symlink(e.path(), ec);
      if (ec) throw Error(ErrorKind::io, "--browser-profile: " + lossy(e.path()) + ": " + ec.message());
      const fs::path resolved = (target.is_absolute() ? target : e.path().parent_path() / target).lexically_normal();
      const fs::path inside = resolved.lexically_relative(w.root);
      if (inside.empty() || *inside.begin() == "..")
        throw Error(ErrorKind::input, "--browser-profile: " + lossy(e.path()) + ": a symbolic link to " + lossy(target) +
                                          ", outside the profile; nothing is copied from outside it");
      if (!w.dry) fs::create_symlink(target, dst / name, ec);
      if (ec) throw Error(ErrorKind::io, lossy(dst / name) + ": " + ec.message());
      ++w.links;
    } else if (fs::is_directory(st)) {
      if (std::find(k_skipped_folders.begin(), k_skipped_folders.end(), name) != k_skipped_folders.end()) {
        w.skipped.push_back(r + "/");
        continue;
      }
      if (!w.dry && ::mkdir((dst / name).c_str(), 0700) != 0) throw_errno(ErrorKind::io, lossy(dst / name));
      copy_dir(w, e.path(), dst / name, r, depth + 1);
    } else if (fs::is_regular_file(st)) {
      copy_file(w, e.path(), dst / name, r);
    } else {
      w.skipped.push_back(r); // a socket or FIFO: nothing to copy
    }
  }
}

} // namespace

namespace {

Walk walk_profile(const fs::path& from, const fs::path& to, std::uint64_t max_bytes, bool dry) {
  std::error_code ec;
  // The folder given may itself be reached through links; inside it, no link may lead out.
  const fs::path root = fs::weakly_canonical(fs::absolute(from, ec), ec);
  const fs::file_status st = fs::symlink_status(root, ec);
  if (!fs::is_directory(st))
    throw Error(ErrorKind::input, "--browser-profile " + lossy(from) + ": not a folder (give Chromium's --user-data-dir folder)");
  // A live or crashed browser's profile: its databases may be half-written.
  if (fs::is_symlink(fs::symlink_status(root / "SingletonLock", ec)))
    throw Error(ErrorKind::input, "--browser-profile " + lossy(from) +
                                      ": in use by a running Chromium (SingletonLock); close it first (if none runs, it crashed: "
                                      "remove the SingletonLock link)");
  Walk w;
  w.root = root.has_filename() ? root : root.parent_path();
  w.to = to;
  w.max_bytes = max_bytes;
  w.dry = dry;
  copy_dir(w, w.root, to, "", 0);
  return w;
}

} // namespace

void check_browser_profile(const fs::path& dir) { walk_profile(dir, fs::path(), k_max_profile_bytes, true); }

Json copy_profile(const fs::path& from, const fs::path& to, std::uint64_t max_bytes) {
  Walk w = walk_profile(from, to, max_bytes, false);
  std::sort(w.files.begin(), w.files.end());
  std::string list;
  for (const auto& [rel, sha] : w.files)
    list += sha + "  " + rel + "\n";
  Json rec = Json::object();
  rec["source"] = w.root.string();
  rec["files"] = w.files.size();
  rec["bytes"] = w.bytes;
  rec["links"] = w.links;
  rec["file_list_sha256"] = util::sha256_hex(list);
  rec["file_list"] = "sha256sum lines (\"<sha256>  <path>\") of every copied file, sorted by path";
  rec["skipped"] = w.skipped;
  rec["copy"] = "the browser ran on a copy in its throw-away profile folder, removed afterwards; the source was only read";
  return rec;
}

} // namespace cbkit::capture
