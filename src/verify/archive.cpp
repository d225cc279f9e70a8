// verify_archive: every check of a sealed archive in one streaming pass (libarchive), never
// extracting. The payload (data/) goes through the same Checker as a case folder; BagIt,
// the seal files and the archive's own structure are checked here.

#include "cbkit/error.hpp"
#include "cbkit/seal/hasher.hpp"
#include "cbkit/seal/keys.hpp"
#include "cbkit/seal/locale.hpp"
#include "cbkit/seal/seal.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/lazy_library.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "checker.hpp"
#include "seal_check.hpp"
#include "tar_prefetch.hpp"
#include "zip_layout.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace cbkit::verify {

namespace fs = std::filesystem;

namespace {

// A decompression bomb: more bytes out than this ratio times the archive's size (plus a
// floor, so that small archives of text are never refused). Legitimate evidence compresses
// far less; gzip cannot exceed ~1032:1 at all. Reading stops there.
constexpr std::uint64_t k_bomb_ratio = 1000;
constexpr std::uint64_t k_bomb_floor = 256ull << 20;
// Tag files (bagit.txt, bag-info.txt, manifests, seal files) are read into memory; a
// payload manifest grows with the number of files (about 100 bytes each), not their size.
constexpr std::uint64_t k_max_tag_file = 64ull << 20;
// What verify holds in memory at once, whatever the archive says (the man page promises
// constant memory): the tag files the checks read and the small payload files that came
// before data/manifest.jsonl, together; every other tag file is only hashed.
constexpr std::uint64_t k_max_held_bytes = 64ull << 20;
// A payload file before data/manifest.jsonl is held (for its content check) up to this size.
constexpr std::uint64_t k_max_early_file = 1ull << 20;
// Entries and the bytes of their names (and link targets): each costs memory (the name
// sets) and time; a cbkit bag has a few entries per recorded file.
constexpr std::uint64_t k_max_entries = 1000000;
constexpr std::uint64_t k_max_name_bytes = 64ull << 20;
// Each header counts this much (plus its names) against the decompression-bomb limit, so an
// archive of nothing but headers is stopped like one of large files.
constexpr std::uint64_t k_header_bytes = 512;
// In a plain tar, payload members from this size on are hashed ahead by worker threads
// (tar_prefetch.hpp); smaller ones are read in the pass, where a thread hand-off costs more
// than it saves.
constexpr std::uint64_t k_prefetch_min = 1ull << 20;

// Splits a stream into manifest lines as manifest::LineReader does for a file.
class LineSplitter {
public:
  template <class F> void feed(const char* p, std::size_t n, F&& on_line) {
    while (n > 0) {
      const char* lf = static_cast<const char*>(std::memchr(p, '\n', n));
      const std::size_t take = lf ? static_cast<std::size_t>(lf - p) : n;
      append(p, take);
      if (!lf) return;
      emit(true, on_line);
      p += take + 1;
      n -= take + 1;
    }
  }
  template <class F> void end(F&& on_line) {
    if (m_started) emit(false, on_line);
  }

private:
  void append(const char* p, std::size_t n) {
    if (n == 0) return;
    m_started = true;
    m_hash.update(p, n);
    m_line.size += n;
    if (!m_line.too_long) {
      if (m_line.bytes.size() + n > manifest::k_max_line_bytes) {
        m_line.too_long = true;
        m_line.bytes.clear();
      } else {
        m_line.bytes.append(p, n);
      }
    }
  }
  template <class F> void emit(bool has_lf, F&& on_line) {
    m_line.index = m_index++;
    m_line.has_lf = has_lf;
    m_line.sha256 = util::to_hex(m_hash.finish());
    on_line(m_line);
    m_line = manifest::RawLine{};
    m_hash.~Sha256();
    new (&m_hash) util::Sha256();
    m_started = false;
  }

  manifest::RawLine m_line;
  util::Sha256 m_hash;
  std::uint64_t m_index = 0;
  bool m_started = false;
};

// BagIt manifest line "checksum path" with the path's %0A %0D %25 decoded.
bool parse_manifest_line(const std::string& line, std::string& hash, std::string& path) {
  const std::size_t sp = line.find_first_of(" \t");
  if (sp == std::string::npos) return false;
  hash = util::to_lower_ascii(line.substr(0, sp));
  const std::size_t start = line.find_first_not_of(" \t*", sp);
  if (start == std::string::npos) return false;
  const std::string enc = line.substr(start);
  path.clear();
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] == '%' && i + 2 < enc.size()) {
      const std::string code = util::to_lower_ascii(enc.substr(i + 1, 2));
      if (code == "0a" || code == "0d" || code == "25") {
        path.push_back(code == "0a" ? '\n' : code == "0d" ? '\r' : '%');
        i += 2;
        continue;
      }
    }
    path.push_back(enc[i]);
  }
  return true;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// An entry name as extraction resolves it: empty and '.' parts dropped, so "a/b", "a/b/",
// "./a/b" and "a//b" are one name (tar -x would put all of them at one place).
std::string normalized_name(const std::string& name) {
  std::string out;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    const std::string_view part(name.data() + start, slash - start);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out.push_back('/');
      out.append(part);
    }
    start = slash + 1;
  }
  return out;
}

// The tag files the checks read (kept in memory, bounded); any other tag file is hashed.
bool tag_is_read(const std::string& rel) {
  static const std::set<std::string> read = {"bagit.txt",
                                             "bag-info.txt",
                                             "manifest-sha256.txt",
                                             "manifest-sha512.txt",
                                             "tagmanifest-sha256.txt",
                                             "seal/checkpoint",
                                             "seal/public-key.pem",
                                             "seal/public-key.minisign.pub",
                                             "seal/timestamp.tsr",
                                             "seal/tsa-chain.pem",
                                             "seal/tagmanifest-sha256.txt.minisig",
                                             "seal/tagmanifest-sha256.txt.sig"};
  return read.count(rel) != 0;
}

// Where cbkit seal (src/seal/archive_writer.cpp) puts a file of the bag: bagit.txt,
// bag-info.txt, data/manifest.jsonl, the rest of data/ sorted by name, the payload
// manifests, seal/, the tag manifest and its signatures. Names seal never writes have no
// place (they are findings of their own).
std::optional<std::pair<int, std::string>> canonical_place(const std::string& rel) {
  static const std::vector<std::string> order = {"bagit.txt",
                                                 "bag-info.txt",
                                                 "data/manifest.jsonl",
                                                 "data/",
                                                 "manifest-sha256.txt",
                                                 "manifest-sha512.txt",
                                                 "seal/VERIFY.txt",
                                                 "seal/checkpoint",
                                                 "seal/public-key.minisign.pub",
                                                 "seal/public-key.pem",
                                                 "seal/timestamp.tsr",
                                                 "seal/tsa-chain.pem",
                                                 "tagmanifest-sha256.txt",
                                                 "seal/tagmanifest-sha256.txt.minisig",
                                                 "seal/tagmanifest-sha256.txt.sig"};
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (rel == order[i]) return std::make_pair(static_cast<int>(i), std::string());
  }
  if (rel.rfind("data/", 0) == 0) return std::make_pair(3, rel);
  return std::nullopt;
}

struct TagFile {
  std::string sha256;
  std::optional<std::string> content; // when the checks read it
};

struct PayloadSeen {
  std::uint64_t size = 0;
  std::string sha256;
  std::string sha512;
};

class ArchiveChecker {
public:
  ArchiveChecker(fs::path path, const Options& options) : m_path(std::move(path)), m_options(options), m_ck(options) {}

  Report run() {
    const std::string name = util::utf8_lossy(m_path.string());
    util::UniqueFd fd(::open(m_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throw_errno(ErrorKind::input, name);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno(ErrorKind::input, name);
    if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::input, name + ": not a regular file or a case folder");
    m_summary.path = name;
    m_summary.size = static_cast<std::uint64_t>(st.st_size);
    m_fd = fd.get();
    // An encrypted archive: libarchive reads the decryptor, which reads the file.
    if (m_options.decrypt) {
      try {
        m_decryptor.emplace(*m_options.decrypt, [this](char* buf, std::size_t n) { return raw_read(buf, n); });
      } catch (const crypt::AgeError& e) {
        age_failed(e); // stops: nothing can be read
      }
    }

    const seal::ScopedUtf8Locale utf8;
    // A plain tar: the archive's SHA-256 and its large members' digests are computed by
    // worker threads reading the file at offsets, beside the pass below (declared after fd,
    // so the workers stop before it is closed).
    std::optional<RegionHasher> prefetch;
    if (!m_options.decrypt) {
      if (auto index = index_plain_tar(fd.get(), m_summary.size, k_prefetch_min, k_max_entries)) {
        prefetch.emplace(fd.get(), std::clamp(std::thread::hardware_concurrency(), 2u, 8u));
        m_prefetch = &*prefetch;
        m_archive_job = prefetch->queue(0, m_summary.size, RegionDigest::sha256);
        m_index = std::move(*index);
      }
    }
    std::unique_ptr<struct archive, ArchiveReadFree> a(archive_read_new());
    offer_archive_formats(a.get());
    archive_read_set_read_callback(a.get(), read_cb);
    if (!m_options.decrypt) archive_read_set_seek_callback(a.get(), seek_cb); // a stream cannot seek
    archive_read_set_skip_callback(a.get(), skip_cb);
    archive_read_set_callback_data(a.get(), this);
    m_a = a.get();
    if (m_stopped) {
      // the age header failed: no archive to open
    } else if (archive_read_open1(a.get()) != ARCHIVE_OK) {
      read_error("its start");
    } else {
      read_entries();
    }
    if (m_decryptor && !m_stopped) drain_decryptor();
    if (m_options.decrypt) {
      // The central directory check reads the clear zip at random offsets, which a
      // streaming decryption cannot give without writing clear text: say so.
      if (m_is_zip && !m_stopped) {
        add("archive-zip-layout-unchecked", "",
            "the zip inside this age file was read as a stream; its central directory was not compared with its members. "
            "Decrypt it (cbkit decrypt) and verify the clear zip to know that unzip extracts what was verified",
            Severity::warning);
      }
      m_summary.format += m_summary.format.empty() ? "age" : "+age";
    } else if (m_is_zip || starts_like_zip(fd.get())) {
      check_zip(fd.get());
    }
    const std::string linear_hash = util::to_hex(m_file_hash.h.finish());
    const std::optional<std::string> ahead = m_prefetch ? m_prefetch->wait(m_archive_job) : std::nullopt;
    if (ahead) {
      m_summary.sha256 = *ahead;
    } else if (!m_prefetch && m_file_hash.linear && m_file_hash.next == m_summary.size) {
      m_summary.sha256 = linear_hash;
    } else {
      // zip is read through its central directory (seeks), or reading stopped early: hash
      // the file in a pass of its own.
      util::UniqueFd again(::open(m_path.c_str(), O_RDONLY | O_CLOEXEC));
      if (again.valid()) m_summary.sha256 = util::sha256_fd(again.get(), name).sha256;
    }
    if (m_stopped) {
      // The rest could not be read: no completeness checks on what is missing.
      m_ck.finish_checks();
      m_ck.finish_expect_head();
    } else {
      after_read();
    }
    Report r = m_ck.take();
    r.archive = m_summary;
    return r;
  }

  // An extracted bag (a folder): the same checks as on the archive, its entries read from the
  // folder (data/manifest.jsonl first, as cbkit writes it, then in sorted order). Permissions
  // and times are not checked: extraction sets them, not the sender.
  Report run_folder() {
    m_summary.path = util::utf8_lossy(m_path.string());
    m_summary.format = "folder";
    m_check_order = false; // listed in our own order, not the archive's
    m_top = m_path.filename().string();
    std::vector<std::string> rels;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(m_path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      rels.push_back(it->path().lexically_relative(m_path).generic_string());
    }
    if (ec) add("file-unreadable", m_summary.path, "cannot list the folder: " + ec.message());
    std::sort(rels.begin(), rels.end(), [](const std::string& a, const std::string& b) {
      const bool am = a == "data/manifest.jsonl";
      const bool bm = b == "data/manifest.jsonl";
      return am != bm ? am : a < b;
    });
    for (const std::string& rel : rels) {
      const std::string shown = util::utf8_lossy(m_top + "/" + rel);
      const fs::path p = m_path / rel;
      struct stat st {};
      if (::lstat(p.c_str(), &st) != 0) {
        add("file-unreadable", shown, errno_message("cannot be read", errno));
        continue;
      }
      ++m_entries;
      if (S_ISLNK(st.st_mode)) {
        add("archive-link", shown, "is a symbolic link; links are never followed");
      } else if (S_ISDIR(st.st_mode)) {
        continue;
      } else if (!S_ISREG(st.st_mode)) {
        add("archive-special", shown, "is a device, FIFO or socket; a bag holds only files and folders");
      } else {
        util::UniqueFd fd(::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd.valid()) {
          add("file-unreadable", shown, errno_message("cannot be read", errno));
          continue;
        }
        m_seen.insert(rel);
        m_entry_fd = fd.get();
        entry(rel, shown);
        m_entry_fd = -1;
      }
    }
    after_read();
    Report r = m_ck.take();
    r.archive = m_summary;
    return r;
  }

private:
  // The archive file is read once, hashed as it is read (the receipt's archive SHA-256).
  // Seeks (zip's central directory) make that hash meaningless; it is then recomputed.
  struct FileHash {
    util::Sha256 h;
    std::uint64_t next = 0;
    bool linear = true;
  };

  // Reads the archive file into `out`, hashing what is read in order; -1 on a read error.
  ssize_t raw_read_fd(char* out, std::size_t size) {
    for (;;) {
      const ssize_t n = ::read(m_fd, out, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -1;
      if (m_file_hash.linear && !m_prefetch) {
        const off_t pos = ::lseek(m_fd, 0, SEEK_CUR);
        if (static_cast<std::uint64_t>(pos) - static_cast<std::uint64_t>(n) == m_file_hash.next) {
          m_file_hash.h.update(out, static_cast<std::size_t>(n));
          m_file_hash.next += static_cast<std::uint64_t>(n);
        } else {
          m_file_hash.linear = false;
        }
      }
      m_raw_read += static_cast<std::uint64_t>(n);
      return n;
    }
  }
  // The decryptor's source: a read error ends it like a truncation would, with the reason.
  std::size_t raw_read(char* out, std::size_t size) {
    const ssize_t n = raw_read_fd(out, size);
    if (n < 0) throw crypt::AgeError(crypt::AgeFailure::truncated, errno_message("cannot be read", errno));
    return static_cast<std::size_t>(n);
  }

  static la_ssize_t read_cb(struct archive*, void* self_v, const void** buf) {
    auto* self = static_cast<ArchiveChecker*>(self_v);
    *buf = self->m_readbuf.data();
    if (!self->m_decryptor) return self->raw_read_fd(self->m_readbuf.data(), self->m_readbuf.size());
    // No exception may cross libarchive's C frames: the failure is kept and reported as the
    // finding, libarchive sees a failed read.
    try {
      return static_cast<la_ssize_t>(self->m_decryptor->read(self->m_readbuf.data(), self->m_readbuf.size()));
    } catch (const crypt::AgeError& e) {
      self->m_age_error = e;
      return -1;
    } catch (const std::exception& e) {
      self->m_age_error = crypt::AgeError(crypt::AgeFailure::payload, e.what());
      return -1;
    }
  }

  void age_failed(const crypt::AgeError& e) {
    fatal("archive-age-" + crypt::age_failure_code(e.failure()), std::string("does not decrypt: ") + e.what());
  }

  // libarchive may stop before the end of the stream (the tar end blocks): the rest is read
  // so the final chunk is checked, and a truncated or extended file is found.
  void drain_decryptor() {
    try {
      while (m_decryptor->read(m_readbuf.data(), m_readbuf.size()) > 0) {
      }
    } catch (const crypt::AgeError& e) {
      age_failed(e);
    }
  }
  static la_int64_t seek_cb(struct archive*, void* self_v, la_int64_t offset, int whence) {
    auto* self = static_cast<ArchiveChecker*>(self_v);
    const off_t r = ::lseek(self->m_fd, static_cast<off_t>(offset), whence);
    return r < 0 ? ARCHIVE_FATAL : static_cast<la_int64_t>(r);
  }
  static la_int64_t skip_cb(struct archive*, void* self_v, la_int64_t request) {
    // Read through, so the archive's hash covers every byte; only the data of a member
    // whose digests were computed ahead (the archive's hash too) is passed with a seek.
    auto* self = static_cast<ArchiveChecker*>(self_v);
    if (!self->m_seek_skips || request <= 0) return 0;
    return ::lseek(self->m_fd, static_cast<off_t>(request), SEEK_CUR) < 0 ? 0 : request;
  }

  static bool starts_like_zip(int fd) {
    char magic[4] = {};
    return ::pread(fd, magic, sizeof magic, 0) == 4 && magic[0] == 'P' && magic[1] == 'K' &&
           ((magic[2] == 3 && magic[3] == 4) || (magic[2] == 5 && magic[3] == 6));
  }

  // A zip is what unzip and Python's zipfile extract: its central directory (the last end
  // record's) and its local headers must agree member for member, and libarchive, whose
  // entries were checked above, must have read as many members as that directory lists.
  void check_zip(int fd) {
    const ZipLayout z = check_zip_layout(fd, m_summary.size, k_max_entries);
    for (const std::string& p : z.problems)
      add("archive-zip-inconsistent", "", "the zip is not one standard tools extract the same way: " + p);
    if (z.problems_cut) add("archive-zip-inconsistent", "", "the zip has more inconsistencies than are listed");
    if (z.problems.empty() && !m_stopped && z.members != m_entries) {
      add("archive-zip-inconsistent", "",
          "the zip's central directory lists " + std::to_string(z.members) + " members, where " + std::to_string(m_entries) +
              " were read and checked");
    }
  }

  std::string err() const {
    const char* e = archive_error_string(m_a);
    return e ? e : "unknown error";
  }

  void add(const std::string& code, const std::string& path, const std::string& message, Severity sev = Severity::error) {
    m_ck.add(code, std::nullopt, path, message, sev);
  }

  void fatal(const std::string& code, const std::string& message) {
    add(code, "", "the archive " + message);
    m_stopped = true;
  }

  void read_error(const std::string& where) {
    if (m_age_error) {
      age_failed(*m_age_error);
      return;
    }
    const std::string e = err();
    const bool truncated = e.find("runcat") != std::string::npos || e.find("premature") != std::string::npos ||
                           e.find("end of file") != std::string::npos || e.find("EOF") != std::string::npos;
    const std::string what =
        truncated ? "ends too early, at " + where
                  : (where == "its start" ? std::string("is not a tar or zip archive cbkit can read") : "is damaged at " + where);
    fatal(truncated ? "archive-truncated" : "archive-corrupt", what + " (" + e + "); the checks that need the rest were not run");
  }

  // Classifies an entry name; returns false (with a finding) when it must not be used.
  bool safe_name(const std::string& name, std::string& rel) {
    if (name.empty()) {
      add("archive-path-unsafe", name, "an entry has an empty name");
      return false;
    }
    if (name[0] == '/' || (name.size() >= 2 && name[1] == ':') || name[0] == '\\') {
      add("archive-path-absolute", util::utf8_lossy(name), "is an absolute path; it was not followed");
      return false;
    }
    std::string n = name;
    while (n.size() > 1 && n.back() == '/')
      n.pop_back();
    std::vector<std::string> parts;
    std::size_t start = 0;
    bool bad = false;
    bool dotdot = false;
    for (;;) {
      const std::size_t slash = n.find('/', start);
      const std::string part = n.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (part == "..") dotdot = true;
      if (part.empty() || part == "." || part.find('\\') != std::string::npos || part.find('\0') != std::string::npos) bad = true;
      parts.push_back(part);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (dotdot) {
      add("archive-path-dotdot", util::utf8_lossy(name), "contains '..'; it was not followed");
      return false;
    }
    if (bad) {
      add("archive-path-unsafe", util::utf8_lossy(name), "has empty, '.' or backslash parts; it was not used");
      return false;
    }
    if (m_top.empty()) m_top = parts[0];
    if (parts[0] != m_top) {
      add("archive-outside-top", util::utf8_lossy(name), "is outside the single top folder " + util::utf8_lossy(m_top) + "/");
      return false;
    }
    rel = parts.size() == 1 ? "" : n.substr(m_top.size() + 1);
    return true;
  }

  void read_entries() {
    archive_entry* e = nullptr;
    for (;;) {
      const int r = archive_read_next_header(m_a, &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        read_error("entry " + std::to_string(m_entries + 1));
        return;
      }
      ++m_entries;
      if (m_summary.format.empty()) {
        m_summary.format = std::string(archive_format_name(m_a)) + filters();
        m_is_zip = (archive_format(m_a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP;
      }
      const char* u = archive_entry_pathname_utf8(e);
      const char* raw = u ? u : archive_entry_pathname(e);
      const std::string name = raw ? raw : "";
      const char* link = archive_entry_hardlink(e) ? archive_entry_hardlink(e) : archive_entry_symlink(e);
      if (!within_limits(name.size() + (link ? std::strlen(link) : 0))) return;
      const auto type = archive_entry_filetype(e);
      const std::string shown = util::utf8_lossy(name.size() > k_max_name ? name.substr(0, 200) + "…" : name);
      if (name.size() > k_max_name) {
        add("archive-path-unsafe", shown,
            "is a name of " + std::to_string(name.size()) + " bytes, longer than any path can be (" + std::to_string(k_max_name) +
                "); it was not used");
        if (!skip()) return;
        continue;
      }
      // One name, one entry, whatever its type and spelling: a folder, a link or a second
      // file of the same name replaces the evidence on extraction.
      if (!m_names.insert(normalized_name(name)).second) {
        add("archive-duplicate", shown,
            "appears twice in the archive (as a file, folder or link, spelled with or without a trailing '/' or './'); only the first "
            "was checked");
        if (!skip()) return;
        continue;
      }
      std::string rel;
      const bool usable = safe_name(name, rel);
      if (archive_entry_hardlink(e) != nullptr || type == AE_IFLNK) {
        add("archive-link", shown, std::string("is a ") + (type == AE_IFLNK ? "symbolic" : "hard") + " link; links are never followed");
        if (!skip()) return;
        continue;
      }
      if (type != AE_IFREG && type != AE_IFDIR) {
        add("archive-special", shown, "is a device, FIFO or socket; a bag holds only files and folders");
        if (!skip()) return;
        continue;
      }
      if (!usable) {
        if (!skip()) return;
        continue;
      }
      if (type == AE_IFDIR) {
        check_folder_order(rel, shown);
        continue;
      }
      if (rel.empty()) {
        add("archive-outside-top", shown, "is a file at the archive's root; a bag is one folder");
        if (!skip()) return;
        continue;
      }
      m_seen.insert(rel);
      check_file_order(rel, shown);
      m_entry = e;
      const bool go_on = entry(rel, shown);
      m_entry = nullptr;
      if (!go_on) return;
    }
  }

  // Counts one entry header against the limits on entries, names and output; false (with
  // a finding, reading stopped) when one is exceeded.
  bool within_limits(std::size_t name_bytes) {
    m_name_bytes += name_bytes;
    if (m_entries > k_max_entries) {
      fatal("archive-limit-exceeded", "has more than " + std::to_string(k_max_entries) + " entries; reading stopped there");
      return false;
    }
    if (m_name_bytes > k_max_name_bytes) {
      fatal("archive-limit-exceeded", "has more than " + std::to_string(k_max_name_bytes >> 20) +
                                          " MiB of entry names; reading stopped at entry " + std::to_string(m_entries));
      return false;
    }
    return count_output(k_header_bytes + name_bytes, "entry " + std::to_string(m_entries));
  }

  // Adds n bytes to what the archive expanded to; false (a finding, reading stopped) past
  // the decompression-bomb limit.
  bool count_output(std::uint64_t n, const std::string& where) {
    m_out_bytes += n;
    const std::uint64_t limit = std::max(k_bomb_floor, k_bomb_ratio * m_summary.size);
    if (m_entry_fd < 0 && m_out_bytes > limit) {
      fatal("archive-bomb", "expands to more than " + std::to_string(limit >> 20) + " MiB (over " + std::to_string(k_bomb_ratio) +
                                " times its size): a decompression bomb; reading stopped at " + where);
      return false;
    }
    return true;
  }

  // Member order (cbkit seal writes one order; see canonical_place). Reported once, at the
  // first member out of place: a repacked archive, not necessarily an altered one.
  void check_file_order(const std::string& rel, const std::string& shown) {
    if (!m_check_order || m_order_reported) return;
    const auto place = canonical_place(rel);
    if (!place) return;
    if (m_last_place && *place < m_last_place->first) {
      // Either the last member came too early or this one too late: the last one, when this
      // one still follows the member before it (one member moved forward), else this one.
      if (!m_before_last_place || !(*place < m_before_last_place->first)) {
        order_finding(util::utf8_lossy(m_top + "/" + m_last_place->second), "comes before " + shown);
      } else {
        order_finding(shown, "comes after " + util::utf8_lossy(m_top + "/" + m_last_place->second));
      }
      return;
    }
    m_before_last_place = std::move(m_last_place);
    m_last_place = std::make_pair(*place, rel);
  }
  void check_folder_order(const std::string& rel, const std::string& shown) {
    if (!m_check_order || m_order_reported) return;
    const std::string prefix = rel.empty() ? "" : rel + "/";
    const auto it = m_seen.lower_bound(prefix);
    if (it != m_seen.end() && it->compare(0, prefix.size(), prefix) == 0) {
      order_finding(shown, "is a folder that comes after " + util::utf8_lossy(m_top + "/" + *it) + ", which it holds");
    }
  }
  void order_finding(const std::string& shown, const std::string& why) {
    m_order_reported = true;
    add("archive-member-order", shown,
        "is out of the order cbkit seal writes (bagit.txt, bag-info.txt, data/manifest.jsonl, the rest of data/ sorted, the "
        "payload manifests, seal/, the tag manifest and its signatures; each folder before its contents): it " +
            why + ". The archive was repacked; the first member out of place is named");
  }

  std::string filters() const {
    std::string f;
    for (int i = archive_filter_count(m_a) - 1; i >= 0; --i) {
      const int code = archive_filter_code(m_a, i);
      if (code != ARCHIVE_FILTER_NONE) f += std::string("+") + archive_filter_name(m_a, i);
    }
    return f;
  }

  // Reads the data of the current entry through `sink`; false when reading must stop.
  template <class F> bool read_data(const std::string& where, F&& sink) {
    for (;;) {
      char* buf = m_hasher.acquire();
      if (m_entry_fd >= 0) {
        // A file of an extracted bag: no archive, no decompression bomb.
        const ssize_t n = ::read(m_entry_fd, buf, seal::ParallelHasher::k_chunk);
        if (n < 0 && errno == EINTR) {
          m_hasher.release(buf);
          continue;
        }
        if (n <= 0) {
          m_hasher.release(buf);
          if (n < 0) add("file-unreadable", where, errno_message("read failed", errno));
          return n == 0;
        }
        m_out_bytes += static_cast<std::uint64_t>(n);
        sink(buf, static_cast<std::size_t>(n));
        m_hasher.release(buf);
        continue;
      }
      const la_ssize_t n = archive_read_data(m_a, buf, seal::ParallelHasher::k_chunk);
      if (n < 0) {
        m_hasher.release(buf);
        read_error(where);
        return false;
      }
      if (n == 0) {
        m_hasher.release(buf);
        return true;
      }
      if (!count_output(static_cast<std::uint64_t>(n), where)) {
        m_hasher.release(buf);
        return false;
      }
      sink(buf, static_cast<std::size_t>(n));
      m_hasher.release(buf);
    }
  }

  bool skip() {
    return read_data("a skipped entry", [](char*, std::size_t) {});
  }

  bool entry(const std::string& rel, const std::string& shown) {
    if (rel.rfind("data/", 0) == 0) return payload(rel, shown);
    // A tag file: hashed for the tag manifest; read whole (bounded) when a check reads it.
    const bool keep = tag_is_read(rel);
    std::string content;
    util::Sha256 hash;
    std::uint64_t size = 0;
    if (!read_data(shown, [&](char* p, std::size_t n) {
          hash.update(p, n);
          size += n;
          if (keep && size <= k_max_tag_file && m_held + size <= k_max_held_bytes) content.append(p, n);
        }))
      return false;
    if (keep && size > k_max_tag_file) {
      add("bag-file-too-large", shown, "is larger than " + std::to_string(k_max_tag_file >> 20) + " MiB; not a cbkit tag file");
      return true;
    }
    if (keep && m_held + size > k_max_held_bytes) {
      add("archive-limit-exceeded", shown,
          "was not read: with it the tag files would take more than " + std::to_string(k_max_held_bytes >> 20) + " MiB of memory");
      return true;
    }
    m_held += content.size();
    m_tags[rel] = TagFile{util::to_hex(hash.finish()), keep ? std::optional<std::string>(std::move(content)) : std::nullopt};
    return true;
  }

  bool payload(const std::string& rel, const std::string& shown) {
    const std::string case_path = rel.substr(5);
    const bool is_manifest = case_path == "manifest.jsonl";
    const RecordedFile* rec = m_manifest_done ? m_ck.recorded(case_path) : nullptr;
    EntryCheck* check = rec ? m_ck.content_check(*rec) : nullptr;
    if (check) check->begin_file(case_path);
    LineSplitter lines;
    auto on_line = [&](const manifest::RawLine& raw) { m_ck.line(raw); };
    // A file before the manifest (a repacked archive): small ones are held, within the
    // memory bound, so that their content check can still run once the manifest is read.
    std::optional<std::string> early;
    if (!m_manifest_done && !is_manifest) early.emplace();
    // A member no check reads, hashed ahead: counted as read, its data passed.
    std::optional<seal::Digests> ahead;
    if (!is_manifest && !check && !early) ahead = take_prefetched();
    bool ok = false;
    seal::Digests d;
    if (ahead) {
      ok = count_output(ahead->size, shown) && pass_data(shown);
      d = std::move(*ahead);
    } else {
      ok = read_data(shown, [&](char* p, std::size_t n) {
        m_hasher.submit(p, n);
        if (is_manifest) lines.feed(p, n, on_line);
        if (check) check->update(p, n);
        if (early) {
          if (early->size() + n > k_max_early_file || m_held + early->size() + n > k_max_held_bytes) {
            early.reset();
          } else {
            early->append(p, n);
          }
        }
      });
      d = m_hasher.finish();
    }
    if (!ok) return false;
    m_payload[rel] = PayloadSeen{d.size, d.sha256, d.sha512};
    if (early) {
      m_held += early->size();
      m_early[rel] = std::move(*early);
    }
    if (is_manifest) {
      lines.end(on_line);
      m_ck.end_manifest();
      m_manifest_done = true;
      prefetch_members();
      // Files before the manifest: compare now, and run the content checks of those held.
      for (const auto& [early_rel, seen] : m_payload) {
        if (early_rel == rel) continue;
        if (const RecordedFile* f = m_ck.recorded(early_rel.substr(5))) {
          if (EntryCheck* c = m_ck.content_check(*f)) {
            const auto held = m_early.find(early_rel);
            if (held != m_early.end()) {
              c->begin_file(f->path);
              c->update(held->second.data(), held->second.size());
              c->end_file(f->size == seen.size && f->sha256 == seen.sha256);
            } else {
              add("archive-order", util::utf8_lossy(early_rel),
                  "came before data/manifest.jsonl, so its content check was skipped (cbkit writes the manifest first)", Severity::warning);
            }
          }
          m_ck.file_read(*f, seen.size, seen.sha256);
        }
      }
      for (const auto& [early_rel, bytes] : m_early)
        m_held -= bytes.size();
      m_early.clear();
      return true;
    }
    if (check) check->end_file(rec->size == d.size && rec->sha256 == d.sha256);
    if (rec) m_ck.file_read(*rec, d.size, d.sha256);
    return true;
  }

  // Once the manifest is read: queues the digests of the plain tar's large members after it
  // whose bytes no content check reads (those are read in the pass, and hashed there).
  void prefetch_members() {
    // The pass must read the file as the index did: a tar, no filter (offsets are the file's).
    if (!m_prefetch || m_is_zip || !filters().empty()) return;
    const auto here = static_cast<std::uint64_t>(archive_filter_bytes(m_a, 0));
    const std::string prefix = m_top + "/data/";
    for (const TarMember& m : m_index) {
      if (m.offset <= here) continue;
      const std::string n = normalized_name(m.name);
      if (n.rfind(prefix, 0) != 0) continue;
      const RecordedFile* rec = m_ck.recorded(n.substr(prefix.size()));
      if (rec && m_ck.content_check(*rec)) continue;
      // SHA-512 first: the longer job, so the workers end together.
      const std::size_t sha512 = m_prefetch->queue(m.offset, m.size, RegionDigest::sha512);
      const std::size_t sha256 = m_prefetch->queue(m.offset, m.size, RegionDigest::sha256);
      m_ahead[m.offset] = Ahead{m.size, sha256, sha512};
    }
    m_index.clear();
  }

  // The digests of the current entry when they were computed ahead (it is the member at
  // the offset where the pass stands, of the same size); nullopt when its bytes must be read.
  std::optional<seal::Digests> take_prefetched() {
    if (!m_prefetch || m_entry == nullptr) return std::nullopt;
    const auto it = m_ahead.find(static_cast<std::uint64_t>(archive_filter_bytes(m_a, 0)));
    if (it == m_ahead.end()) return std::nullopt;
    const Ahead job = it->second;
    m_ahead.erase(it);
    if (archive_entry_filetype(m_entry) != AE_IFREG || !archive_entry_size_is_set(m_entry) || archive_entry_sparse_count(m_entry) != 0 ||
        static_cast<std::uint64_t>(archive_entry_size(m_entry)) != job.size)
      return std::nullopt;
    std::optional<std::string> sha512 = m_prefetch->wait(job.sha512);
    std::optional<std::string> sha256 = m_prefetch->wait(job.sha256);
    if (!sha512 || !sha256) return std::nullopt; // not read whole: the pass reads it and says why
    return seal::Digests{job.size, std::move(*sha256), std::move(*sha512)};
  }

  // Passes the current entry's data with a seek; false (a finding) when libarchive fails.
  bool pass_data(const std::string& where) {
    m_seek_skips = true;
    const int r = archive_read_data_skip(m_a);
    m_seek_skips = false;
    if (r != ARCHIVE_OK) {
      read_error(where);
      return false;
    }
    return true;
  }

  // The content of a tag file the checks read, when the bag holds it.
  const std::string* tag(const std::string& rel) const {
    const auto it = m_tags.find(rel);
    if (it == m_tags.end() || !it->second.content) return nullptr;
    return &*it->second.content;
  }

  std::string top_path(const std::string& rel) const { return util::utf8_lossy(m_top + "/" + rel); }

  void after_read() {
    if (m_entries == 0 || m_top.empty()) {
      add("archive-not-bag", "", "the archive is empty; a sealed package holds one bag folder");
      m_ck.finish_checks();
      m_ck.finish_expect_head();
      return;
    }
    m_summary.top = util::utf8_lossy(m_top);
    if (!m_manifest_done) {
      add("archive-manifest-missing", top_path("data/manifest.jsonl"),
          "is missing: the package has no case log, so nothing in it can be checked against a record");
    }
    // Check 2 on the payload: every recorded file present, nothing unrecorded.
    for (const RecordedFile& f : m_ck.files()) {
      if (m_payload.count("data/" + f.path) == 0) {
        m_ck.add("file-missing", f.seq, f.path, "recorded by line " + std::to_string(f.seq) + " but missing from the archive's data/");
      }
    }
    for (const auto& [rel, seen] : m_payload) {
      const std::string p = rel.substr(5);
      if (p == "manifest.jsonl" || (m_manifest_done && m_ck.recorded(p))) continue;
      if (p == "report.html") {
        const RecordedFile* r = m_ck.report_html();
        if (!r) {
          add("bag-report-unexpected", top_path(rel), "is not the HTML file of any report entry");
        } else if (r->sha256 != seen.sha256) {
          add("bag-report-mismatch", top_path(rel), "differs from the newest report entry's " + r->path);
        }
        continue;
      }
      add("unrecorded-file", top_path(rel), "is in the archive's data/ but no manifest line records it");
    }
    if (m_manifest_done && m_ck.report_html() && m_payload.count("data/report.html") == 0) {
      add("bag-report-missing", top_path("data/report.html"), "is missing; the case has a report (" + m_ck.report_html()->path + ")");
    }
    m_ck.finish_checks();
    check_bagit();
    check_seal_files();
    if (m_manifest_done && m_ck.last_kind() != "seal") {
      add("archive-not-sealed", top_path("data/manifest.jsonl"), "does not end with a seal line: this is not the state a seal covers");
    }
    m_ck.finish_expect_head();
    std::uint64_t bytes = 0;
    for (const auto& [rel, seen] : m_payload)
      bytes += seen.size;
    m_summary.payload_files = m_payload.size();
    m_summary.payload_bytes = bytes;
  }

  void check_bagit() {
    const auto bagit = tag("bagit.txt");
    if (!bagit) {
      add("bag-file-missing", top_path("bagit.txt"), "is missing: not a BagIt bag");
    } else {
      const auto lines = split_lines(*bagit);
      if (lines.size() != 2 || lines[0].rfind("BagIt-Version: ", 0) != 0 || lines[1] != "Tag-File-Character-Encoding: UTF-8") {
        add("bag-declaration-invalid", top_path("bagit.txt"),
            "is not a BagIt declaration (BagIt-Version, Tag-File-Character-Encoding: UTF-8)");
      }
    }
    std::map<std::string, std::string> info;
    if (const auto bi = tag("bag-info.txt")) {
      for (const auto& l : split_lines(*bi)) {
        const std::size_t colon = l.find(':');
        if (colon == std::string::npos || l[0] == ' ' || l[0] == '\t') continue;
        std::string v = l.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        info[l.substr(0, colon)] = v;
      }
      std::uint64_t bytes = 0;
      std::uint64_t count = 0;
      for (const auto& [rel, seen] : m_payload) {
        bytes += seen.size;
        ++count;
      }
      const std::string oxum = std::to_string(bytes) + "." + std::to_string(count);
      if (info["Payload-Oxum"] != oxum) {
        add("bag-oxum-mismatch", top_path("bag-info.txt"),
            "says Payload-Oxum " + (info["Payload-Oxum"].empty() ? std::string("(none)") : info["Payload-Oxum"]) + "; the payload is " +
                oxum);
      }
      const Report& r = m_ck.report();
      if (m_manifest_done && (info["Cbkit-Head"] != r.head.value_or("") || info["Cbkit-Seq"] != (r.seq ? std::to_string(*r.seq) : ""))) {
        add("bag-info-mismatch", top_path("bag-info.txt"),
            "names head/seq " + info["Cbkit-Head"].substr(0, 16) + "… " + info["Cbkit-Seq"] + ", not the last line of data/manifest.jsonl");
      }
    } else {
      add("bag-file-missing", top_path("bag-info.txt"), "is missing");
    }
    // Both payload manifests: every payload file listed with its digest, nothing else.
    for (const char* algo : {"sha256", "sha512"}) {
      const std::string mname = std::string("manifest-") + algo + ".txt";
      const auto m = tag(mname);
      if (!m) {
        add("bag-file-missing", top_path(mname), "is missing");
        continue;
      }
      std::set<std::string> listed;
      for (const auto& l : split_lines(*m)) {
        std::string hash, path;
        if (!parse_manifest_line(l, hash, path)) {
          add("bag-manifest-invalid", top_path(mname), "has a line that is not 'checksum path'");
          continue;
        }
        listed.insert(path);
        const auto it = m_payload.find(path);
        if (it == m_payload.end()) {
          add("bag-manifest-extra", top_path(mname), "lists " + util::utf8_lossy(path) + ", which is not in the payload");
          continue;
        }
        if (hash != (algo == std::string("sha256") ? it->second.sha256 : it->second.sha512)) {
          add("bag-manifest-mismatch", top_path(path), std::string("its ") + algo + " differs from " + mname);
        }
      }
      for (const auto& [rel, seen] : m_payload) {
        if (listed.count(rel) == 0) add("bag-payload-unlisted", top_path(rel), "is in data/ but not listed in " + mname);
      }
    }
    const auto tm = tag("tagmanifest-sha256.txt");
    if (!tm) {
      add("bag-file-missing", top_path("tagmanifest-sha256.txt"), "is missing");
      return;
    }
    std::set<std::string> listed;
    for (const auto& l : split_lines(*tm)) {
      std::string hash, path;
      if (!parse_manifest_line(l, hash, path)) {
        add("bag-manifest-invalid", top_path("tagmanifest-sha256.txt"), "has a line that is not 'checksum path'");
        continue;
      }
      listed.insert(path);
      const auto t = m_tags.find(path);
      if (t == m_tags.end()) {
        add("bag-manifest-extra", top_path("tagmanifest-sha256.txt"), "lists " + util::utf8_lossy(path) + ", which is not in the bag");
      } else if (t->second.sha256 != hash) {
        add("bag-tagmanifest-mismatch", top_path(path), "its sha256 differs from tagmanifest-sha256.txt");
      }
    }
    for (const auto& [rel, file] : m_tags) {
      if (rel == "tagmanifest-sha256.txt" || rel == k_minisig || rel == k_rawsig) continue;
      if (listed.count(rel) == 0) add("bag-unlisted-file", top_path(rel), "is a tag file not listed in tagmanifest-sha256.txt");
    }
  }

  // seal/: the signatures over the tag manifest, and the copies of what the seal line records.
  void check_seal_files() {
    std::optional<seal::PublicKey> embedded;
    if (const auto pem = tag("seal/public-key.pem")) {
      try {
        embedded = seal::parse_public_key(*pem, "seal/public-key.pem");
      } catch (const Error& e) {
        add("archive-seal-copy-mismatch", top_path("seal/public-key.pem"), std::string("cannot be read: ") + e.what());
      }
    } else {
      add("bag-file-missing", top_path("seal/public-key.pem"), "is missing");
    }
    if (const auto mpub = tag("seal/public-key.minisign.pub"); mpub && embedded) {
      try {
        if (seal::parse_public_key(*mpub, "seal/public-key.minisign.pub").raw != embedded->raw)
          add("archive-seal-copy-mismatch", top_path("seal/public-key.minisign.pub"), "is not the same key as seal/public-key.pem");
      } catch (const Error& e) {
        add("archive-seal-copy-mismatch", top_path("seal/public-key.minisign.pub"), std::string("cannot be read: ") + e.what());
      }
    }
    std::optional<seal::SealInfo> last;
    if (m_manifest_done && m_ck.last_kind() == "seal") {
      // The seal line's recorded files, for comparing the seal/ copies.
      last = last_seal_info();
    }
    if (last) {
      if (embedded && embedded->fingerprint() != last->fingerprint) {
        add("archive-seal-copy-mismatch", top_path("seal/public-key.pem"), "is not the key the seal line names");
      }
      compare_copy("seal/checkpoint", last->checkpoint_path);
      if (!last->token_path.empty()) compare_copy("seal/timestamp.tsr", last->token_path);
      if (!last->tsa_chain_path.empty()) compare_copy("seal/tsa-chain.pem", last->tsa_chain_path);
    }
    std::optional<seal::PublicKey> key = embedded;
    if (has_pinned_keys(m_options)) {
      // The pinned key the last seal line names (a rotation pins several); without a match
      // the first pinned key, so the signature check fails (the line's check says why, and
      // whether the seal lies in the key's window of --allowed-signers).
      key.reset();
      m_summary.pinned = true;
      // A --pubkey file that cannot be read is reported by the seal line's check.
      for (const PinnedKey& k : pinned_keys(m_options, nullptr)) {
        if (!key || (last && k.fingerprint == last->fingerprint)) key = k.key;
      }
    }
    if (key) m_summary.key_fingerprint = key->fingerprint();
    const auto tm = tag("tagmanifest-sha256.txt");
    const auto raw = tag(k_rawsig);
    const auto mini = tag(k_minisig);
    if (!raw) add("archive-signature-missing", top_path(k_rawsig), "is missing: the tag manifest is not signed");
    if (!mini) add("archive-signature-missing", top_path(k_minisig), "is missing: the tag manifest is not signed in minisign format");
    bool ok = key.has_value() && tm != nullptr && raw != nullptr && mini != nullptr;
    if (key && tm && raw && !key->verify(*tm, *raw)) {
      add("archive-signature-invalid", top_path(k_rawsig),
          "does not verify tagmanifest-sha256.txt with key " + key->fingerprint().substr(0, 16) + "…" +
              (m_summary.pinned ? " (pinned)" : ""));
      ok = false;
    }
    if (key && tm && mini) {
      const std::string why = seal::minisign_verify(*key, *tm, *mini);
      if (!why.empty()) {
        add("archive-signature-invalid", top_path(k_minisig), "does not verify tagmanifest-sha256.txt: " + why);
        ok = false;
      }
    }
    m_summary.signature_ok = ok;
  }

  std::optional<seal::SealInfo> last_seal_info() {
    // The recorded files of the last line are the seal's: find its checkpoint and token.
    seal::SealInfo s;
    const Report& r = m_ck.report();
    if (!r.seq) return std::nullopt;
    for (const RecordedFile& f : m_ck.files()) {
      if (f.seq != *r.seq) continue;
      const std::string base = f.path.substr(f.path.rfind('/') + 1);
      if (base == "checkpoint") s.checkpoint_path = f.path;
      if (base == "timestamp.tsr") s.token_path = f.path;
      if (base == "tsa-chain.pem") s.tsa_chain_path = f.path;
    }
    if (!m_ck.report().seals.empty()) s.fingerprint = m_ck.report().seals.back().key_fingerprint;
    return s;
  }

  void compare_copy(const std::string& tag_rel, const std::string& recorded_path) {
    const auto copy = tag(tag_rel);
    const RecordedFile* f = m_ck.recorded(recorded_path);
    if (!copy) {
      add("bag-file-missing", top_path(tag_rel), "is missing");
    } else if (f && util::sha256_hex(*copy) != f->sha256) {
      add("archive-seal-copy-mismatch", top_path(tag_rel), "differs from data/" + recorded_path + ", which the seal line records");
    }
  }

  static constexpr const char* k_minisig = "seal/tagmanifest-sha256.txt.minisig";
  static constexpr const char* k_rawsig = "seal/tagmanifest-sha256.txt.sig";

  fs::path m_path;
  Options m_options;
  Checker m_ck;
  ArchiveSummary m_summary;
  struct archive* m_a = nullptr;
  int m_fd = -1;
  int m_entry_fd = -1; // run_folder: the file being read
  std::vector<char> m_readbuf = std::vector<char>(1u << 20);
  FileHash m_file_hash;
  std::optional<crypt::AgeDecryptor> m_decryptor;
  std::optional<crypt::AgeError> m_age_error;
  std::uint64_t m_raw_read = 0;
  std::uint64_t m_out_bytes = 0;
  std::uint64_t m_entries = 0;
  bool m_stopped = false;
  bool m_manifest_done = false;
  std::string m_top;
  std::set<std::string> m_seen;
  std::set<std::string> m_names; // every entry's normalized name (duplicates in any form)
  std::map<std::string, TagFile> m_tags;
  std::map<std::string, std::string> m_early; // payload files held until the manifest is read
  std::uint64_t m_held = 0;                   // bytes in m_tags' contents and m_early
  std::uint64_t m_name_bytes = 0;
  bool m_is_zip = false;
  bool m_check_order = true;
  bool m_order_reported = false;
  // Place and name of the last file and the one before it, while they are in order.
  std::optional<std::pair<std::pair<int, std::string>, std::string>> m_last_place;
  std::optional<std::pair<std::pair<int, std::string>, std::string>> m_before_last_place;
  std::map<std::string, PayloadSeen> m_payload;
  seal::ParallelHasher m_hasher;
  // The plain-tar fast path (tar_prefetch.hpp): the workers, the archive's hash job, the
  // large members until the manifest is read, then the queued jobs by data offset.
  struct Ahead {
    std::uint64_t size = 0;
    std::size_t sha256 = 0;
    std::size_t sha512 = 0;
  };
  RegionHasher* m_prefetch = nullptr;
  std::size_t m_archive_job = 0;
  std::vector<TarMember> m_index;
  std::map<std::uint64_t, Ahead> m_ahead;
  archive_entry* m_entry = nullptr; // the entry being read (the archive pass)
  bool m_seek_skips = false;
};

} // namespace

Report verify_archive(const fs::path& archive, const Options& options) {
  // Before any check: a missing libarchive must be an error of this machine, never a finding
  // about the archive.
  util::require_archive();
  return ArchiveChecker(archive, options).run();
}

std::optional<fs::path> bag_folder_of(const fs::path& dir) {
  std::error_code ec;
  fs::path d = fs::absolute(dir, ec).lexically_normal();
  if (d.has_parent_path() && d.filename().empty()) d = d.parent_path(); // "x/data/" -> "x/data"
  if (fs::is_regular_file(d / "bagit.txt", ec)) return d;
  if (d.filename() == "data" && fs::is_regular_file(d / "manifest.jsonl", ec) && fs::is_regular_file(d.parent_path() / "bagit.txt", ec))
    return d.parent_path();
  // The folder the archive was extracted into: its one entry is the bag.
  if (!fs::exists(d / "manifest.jsonl", ec)) {
    fs::directory_iterator it(d, ec);
    if (!ec && it != fs::directory_iterator()) {
      const fs::path only = it->path();
      const bool is_dir = it->is_directory(ec) && !it->is_symlink(ec);
      if (is_dir && it.increment(ec) == fs::directory_iterator() && !ec && fs::is_regular_file(only / "bagit.txt", ec)) return only;
    }
  }
  return std::nullopt;
}

Report verify_bag_folder(const fs::path& bag, const Options& options) {
  std::error_code ec;
  if (!fs::is_directory(bag, ec)) throw Error(ErrorKind::input, util::utf8_lossy(bag.string()) + ": not a folder");
  return ArchiveChecker(bag, options).run_folder();
}

} // namespace cbkit::verify
