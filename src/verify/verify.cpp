#include "cbkit/verify/verify.hpp"

#include "cbkit/error.hpp"
#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cbkit/verify/entry_check.hpp"
#include "checker.hpp"
#include "seal_check.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fcntl.h>
#include <map>
#include <memory>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace cbkit::verify {

namespace fs = std::filesystem;
using manifest::Json;

bool Report::ok() const {
  for (const auto& f : findings) {
    if (f.severity == Severity::error) return false;
  }
  return true;
}

namespace {

// The common keys must come first and in the fixed order; so must the keys of actor and
// tool, and path, sha256, size in each file object. Other tools rely on this order.
bool starts_with_keys(const Json& obj, std::initializer_list<const char*> keys) {
  if (!obj.is_object()) return true; // wrong types are reported as line-invalid
  auto it = obj.items().begin();
  for (const char* key : keys) {
    if (it == obj.items().end() || it.key() != key) return false;
    ++it;
  }
  return true;
}

bool has_fixed_key_order(const Json& j) {
  if (!starts_with_keys(j, {"seq", "prev", "time", "kind", "actor", "tool", "files"})) return false;
  if (!starts_with_keys(j["actor"], {"examiner", "user", "host"}) || !starts_with_keys(j["tool"], {"name", "version"})) return false;
  if (j["files"].is_array()) {
    for (const Json& f : j["files"]) {
      if (!starts_with_keys(f, {"path", "sha256", "size"})) return false;
    }
  }
  return true;
}

} // namespace

Checker::Checker(const Options& options) : m_options(options), m_prev(manifest::k_zero_hash) {
  if (m_options.expect_head) m_report.expect_head = ExpectHead{*m_options.expect_head, std::nullopt, 0};
}

void Checker::add(const std::string& code, std::optional<std::uint64_t> seq, const std::string& path, const std::string& message,
                  Severity severity) {
  m_report.findings.push_back(Finding{code, severity, seq, path, message});
}

void Checker::line(const manifest::RawLine& raw) {
  const std::uint64_t at = raw.index;
  ++m_report.entries;
  m_report.head = raw.sha256;
  m_report.seq.reset();
  m_line_hashes.push_back(raw.sha256);
  util::Sha256 leaf;
  leaf.update("\0", 1);
  leaf.update(raw.bytes);
  const util::Digest d = leaf.finish();
  m_leaf_hashes.emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
  if (m_report.expect_head && m_report.expect_head->hash == raw.sha256) m_report.expect_head->found_at_seq = at;
  m_last_kind.clear();
  check_line(raw, at);
  m_prev = raw.sha256;
}

void Checker::end_manifest() {
  if (m_report.entries == 0) add("manifest-empty", {}, "manifest.jsonl", "the manifest has no lines: the case was emptied");
}

void Checker::check_line(const manifest::RawLine& raw, std::uint64_t at) {
  const std::string& prev = m_prev;
  std::optional<std::int64_t>& prev_time = m_prev_time;
  const std::string where = "line " + std::to_string(at);
  if (!raw.has_lf) add("line-torn", at, "manifest.jsonl", where + " has no final LF: the last write was interrupted or the file was cut");
  if (raw.too_long) {
    add("line-too-long", at, "manifest.jsonl", where + " is longer than 16 MiB; no cbkit entry is that long");
    return;
  }
  std::string bytes = raw.bytes;
  if (!bytes.empty() && bytes.back() == '\r') {
    add("line-crlf", at, "manifest.jsonl", where + " ends with CR LF; manifest lines end with a single LF");
    bytes.pop_back();
  }
  if (util::json_too_deep(bytes)) {
    add("line-too-deep", at, "manifest.jsonl",
        where + " nests arrays or objects more than " + std::to_string(util::k_max_json_depth) +
            " levels deep; no cbkit entry does (it is not read further)");
    return;
  }
  const auto parsed = manifest::parse_line(bytes);
  if (!parsed) {
    add("line-invalid-json", at, "manifest.jsonl", where + " is not a valid UTF-8 JSON object");
    return;
  }
  const Json& j = *parsed;
  if (manifest::serialize(j) != bytes || !has_fixed_key_order(j)) {
    add("line-not-canonical", at, "manifest.jsonl",
        where + " is not in canonical form (extra whitespace or escapes): it was not written by cbkit as is");
  }
  auto require = [&](const char* key, bool ok_type, const char* type) {
    if (!j.contains(key)) {
      add("line-invalid", at, "manifest.jsonl", where + " has no \"" + key + "\" field");
      return false;
    }
    if (!ok_type) {
      add("line-invalid", at, "manifest.jsonl", where + ": \"" + key + "\" is not " + type);
      return false;
    }
    return true;
  };
  auto get = [&](const char* key) -> const Json& {
    static const Json k_null;
    return j.contains(key) ? j.at(key) : k_null;
  };
  if (require("seq", get("seq").is_number_unsigned(), "a non-negative integer")) {
    const auto seq = get("seq").get<std::uint64_t>();
    m_report.seq = seq;
    if (seq != at) {
      add("seq-mismatch", at, "manifest.jsonl",
          where + " has seq " + std::to_string(seq) + "; expected " + std::to_string(at) +
              " (a line was removed, inserted, duplicated or moved)");
    }
  }
  if (require("prev", get("prev").is_string(), "a string") && get("prev").get<std::string>() != prev) {
    add("prev-mismatch", at, "manifest.jsonl",
        where + ": prev does not match the SHA-256 of the line before it (" + prev.substr(0, 16) + "…): the chain is broken there");
  }
  if (require("time", get("time").is_string(), "a string")) {
    std::int64_t micros = 0;
    if (!util::is_manifest_time(get("time").get<std::string>(), &micros)) {
      add("time-invalid", at, "manifest.jsonl", where + ": time is not UTC RFC 3339 with microseconds (YYYY-MM-DDTHH:MM:SS.uuuuuuZ)");
    } else {
      if (prev_time && micros < *prev_time) {
        add("time-not-monotonic", at, "manifest.jsonl",
            where + " is dated before the line before it (the system clock was set back, or lines were moved)", Severity::warning);
      }
      prev_time = micros;
    }
  }
  if (require("kind", get("kind").is_string(), "a string")) {
    const std::string kind = get("kind").get<std::string>();
    m_last_kind = kind;
    if (at == 0 && kind != "case")
      add("first-line-not-case", at, "manifest.jsonl", "line 0 has kind \"" + kind + "\"; it must open the case");
    if (at != 0 && kind == "case") add("case-line-repeated", at, "manifest.jsonl", where + " opens a case again; only line 0 may");
    if (kind == "seal") {
      m_after_seal.clear();
      SealSummary s;
      s.seq = at;
      const Json& sj = get("seal");
      if (const auto tree_size = util::unsigned_field(sj, "tree_size")) s.tree_size = *tree_size;
      s.root = util::string_field(sj, "root");
      if (const Json* key = util::field(sj, "key")) s.key_fingerprint = util::string_field(*key, "fingerprint");
      s.pinned = has_pinned_keys(m_options);
      // The allowed signer the line names (the first whose window holds its time, else the first).
      const std::string line_time = get("time").is_string() ? get("time").get<std::string>() : std::string();
      for (const AllowedSigner& a : m_options.signers) {
        if (a.fingerprint != s.key_fingerprint) continue;
        if (s.signer.empty()) s.signer = a.name;
        if (within_window(a, line_time)) {
          s.signer = a.name;
          break;
        }
      }
      m_seals.push_back(s);
    } else if (!m_seals.empty()) {
      m_after_seal.emplace_back(at, kind);
    }
  }
  require("actor", get("actor").is_object(), "an object");
  require("tool", get("tool").is_object(), "an object");
  if (require("files", get("files").is_array(), "an array")) {
    for (const Json& f : get("files"))
      record_file(f, at, where, kinds::area_of(get("kind").is_string() ? get("kind").get<std::string>() : ""));
    if (get("kind").is_string() && get("kind").get<std::string>() == "report") {
      for (const Json& f : get("files")) {
        if (!f.is_object() || !f.contains("path") || !f["path"].is_string()) continue;
        const std::string p = f["path"].get<std::string>();
        if (p.size() > 5 && p.compare(p.size() - 5, 5, ".html") == 0) {
          if (const RecordedFile* r = recorded(p)) m_report_html = *r;
          break;
        }
      }
    }
  }
  if (get("kind").is_string() && get("files").is_array()) {
    if (auto check = make_entry_check(j, at, m_options, m_report.findings)) {
      m_checks.emplace_back(at, std::move(check));
      m_check_of_seq[at] = m_checks.back().second.get();
    }
  }
}

void Checker::record_file(const Json& f, std::uint64_t at, const std::string& where, const std::string& area) {
  if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("sha256") || !f["sha256"].is_string() ||
      !util::is_sha256_hex(f["sha256"].get<std::string>()) || !f.contains("size") || !f["size"].is_number_unsigned()) {
    add("line-invalid", at, "manifest.jsonl", where + ": a files[] object lacks a valid path, sha256 (64 lowercase hex) or size");
    return;
  }
  const std::string path = f["path"].get<std::string>();
  if (!manifest::is_safe_entry_path(path, area)) {
    add("file-path-invalid", at, path,
        where + " records a path outside " + area + "/ (absolute, '..', '\\' or empty parts); it was not followed");
    return;
  }
  if (const auto it = m_recorded_at.find(path); it != m_recorded_at.end()) {
    add("file-recorded-twice", at, path, where + " records a file already recorded by line " + std::to_string(it->second));
    return;
  }
  m_recorded_at.emplace(path, at);
  m_file_index.emplace(path, m_files.size());
  m_files.push_back(RecordedFile{path, f["sha256"].get<std::string>(), f["size"].get<std::uint64_t>(), at});
}

const RecordedFile* Checker::recorded(const std::string& path) const {
  const auto it = m_file_index.find(path);
  return it == m_file_index.end() ? nullptr : &m_files[it->second];
}

EntryCheck* Checker::content_check(const RecordedFile& f) const {
  if (const auto c = m_check_of_seq.find(f.seq); c != m_check_of_seq.end() && c->second->wants(f.path)) return c->second;
  return nullptr;
}

void Checker::file_read(const RecordedFile& f, std::uint64_t size, const std::string& sha256) {
  ++m_report.files_checked;
  m_report.bytes_checked += size;
  if (size != f.size) {
    add("file-size-mismatch", f.seq, f.path,
        "is " + std::to_string(size) + " bytes; line " + std::to_string(f.seq) + " recorded " + std::to_string(f.size));
  }
  if (sha256 != f.sha256) {
    add("file-hash-mismatch", f.seq, f.path,
        "its SHA-256 differs from the one recorded by line " + std::to_string(f.seq) + ": the content changed");
  }
}

void Checker::finish_checks() {
  const CaseView view{&m_line_hashes, &m_leaf_hashes};
  for (auto& [seq, check] : m_checks)
    check->finish(view, m_report.findings);
  for (auto& s : m_seals) {
    s.ok = true;
    for (const auto& f : m_report.findings) {
      if (f.severity == Severity::error && f.seq == s.seq) s.ok = false;
    }
  }
  m_report.seals = m_seals;
  m_report.after_last_seal = m_after_seal;
}

void Checker::finish_expect_head() {
  if (!m_report.expect_head) return;
  auto& e = *m_report.expect_head;
  if (e.found_at_seq) {
    e.entries_after = m_report.entries - 1 - *e.found_at_seq;
  } else {
    add("expect-head-not-found", {}, "",
        "the expected head " + e.hash +
            " is not the hash of any manifest line: the log was truncated, rolled back or rewritten since that receipt");
  }
}

namespace {

// Checks of the files of a case folder (the archive verifier reads them from its stream).
class FolderChecker {
public:
  FolderChecker(fs::path root, const Options& options) : m_root(std::move(root)), m_ck(options), m_jobs(effective_jobs(options.jobs)) {}

  Report run() {
    manifest::LineReader reader(m_root / manifest::k_manifest_name);
    manifest::RawLine raw;
    while (reader.next(raw))
      m_ck.line(raw);
    m_ck.end_manifest();
    check_files();
    m_ck.finish_checks();
    check_unrecorded();
    check_private_keys();
    m_ck.finish_expect_head();
    return m_ck.take();
  }

private:
  void add(const std::string& code, std::optional<std::uint64_t> seq, const std::string& path, const std::string& message,
           Severity severity = Severity::error) {
    m_ck.add(code, seq, path, message, severity);
  }

  // What reading one recorded file found: the findings in the order they arose and, when
  // the file could be read to its end, its size and SHA-256.
  struct FileOutcome {
    std::vector<Finding> findings;
    std::optional<util::FileDigest> digest;
    std::exception_ptr error; // anything but a cbkit::Error, rethrown on the main thread
  };

  // Reads one recorded file (lstat, type, mode, open, hash), feeding `check` when given.
  // Touches nothing shared but `check`, so files without a check can be read on any thread.
  FileOutcome examine(const RecordedFile& f, EntryCheck* check) const {
    FileOutcome out;
    const auto add = [&](const char* code, const std::string& message, Severity severity = Severity::error) {
      out.findings.push_back(Finding{code, severity, f.seq, f.path, message});
    };
    const fs::path p = m_root / f.path;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      add("file-missing", "recorded by line " + std::to_string(f.seq) + " but missing from the case");
      return out;
    }
    if (!S_ISREG(st.st_mode)) {
      add("file-not-regular", "is no longer a regular file (a link, folder or device took its place)");
      return out;
    }
    if ((st.st_mode & 0222) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      add("file-writable",
          std::string("is writable (mode ") + mode + "); cbkit stores evidence read-only, so someone changed its permissions",
          Severity::warning);
    }
    util::UniqueFd fd(::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      add("file-unreadable", errno_message("cannot be read", errno));
      return out;
    }
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    // The content check sees the bytes in the same pass, then learns whether they were the
    // recorded ones.
    try {
      if (check) check->begin_file(f.path);
      out.digest = util::sha256_fd(
          fd.get(), f.path,
          check ? std::function<void(const char*, std::size_t)>([&](const char* data, std::size_t n) { check->update(data, n); })
                : std::function<void(const char*, std::size_t)>());
    } catch (const Error& e) {
      add("file-unreadable", std::string("read failed: ") + e.what());
    }
    return out;
  }

  // Adds what examine() found to the report, in the order of the recorded files.
  void apply(const RecordedFile& f, EntryCheck* check, FileOutcome& o) {
    if (o.error) std::rethrow_exception(o.error);
    for (Finding& finding : o.findings)
      m_ck.add(finding.code, finding.seq, finding.path, finding.message, finding.severity);
    if (!o.digest) return;
    if (check) check->end_file(o.digest->size == f.size && o.digest->sha256 == f.sha256);
    m_ck.file_read(f, o.digest->size, o.digest->sha256);
  }

  void check_files() {
    const std::vector<RecordedFile>& files = m_ck.files();
    std::vector<EntryCheck*> checks(files.size());
    std::vector<std::size_t> unchecked; // read by the worker threads, in this order
    for (std::size_t i = 0; i < files.size(); ++i) {
      checks[i] = m_ck.content_check(files[i]);
      if (checks[i] == nullptr) unchecked.push_back(i);
    }
    const unsigned jobs = m_jobs;
    if (jobs <= 1 || unchecked.size() < 2) {
      for (std::size_t i = 0; i < files.size(); ++i) {
        FileOutcome o = examine(files[i], checks[i]);
        apply(files[i], checks[i], o);
      }
      return;
    }
    ParallelReads reads(*this, files, unchecked, jobs);
    for (std::size_t i = 0; i < files.size(); ++i) {
      // A content check keeps state across the files of its entry: its files are read here,
      // in order, while the workers read ahead the files without one.
      FileOutcome o = checks[i] != nullptr ? examine(files[i], checks[i]) : reads.take(i);
      apply(files[i], checks[i], o);
    }
  }

  // Worker threads reading the files without a content check, at most k_window files ahead
  // of the one the main thread applies, so memory stays bounded (one 1 MiB read buffer per
  // thread plus k_window small outcomes) however many files the case holds. The report does
  // not depend on the number of threads: outcomes are applied in the order of the files.
  class ParallelReads {
  public:
    static constexpr std::size_t k_window = 64;

    ParallelReads(const FolderChecker& owner, const std::vector<RecordedFile>& files, const std::vector<std::size_t>& todo, unsigned jobs)
        : m_owner(owner), m_files(files), m_todo(todo) {
      for (unsigned t = 0; t < jobs; ++t)
        m_threads.emplace_back([this] { work(); });
    }
    ~ParallelReads() {
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
      }
      m_cv.notify_all();
      for (std::thread& t : m_threads)
        t.join();
    }
    ParallelReads(const ParallelReads&) = delete;
    ParallelReads& operator=(const ParallelReads&) = delete;

    // The outcome of file `index` (one of `todo`, asked for in increasing order).
    FileOutcome take(std::size_t index) {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_applied = index;
      m_cv.notify_all();
      m_cv.wait(lock, [&] { return m_ready.count(index) != 0; });
      FileOutcome o = std::move(m_ready[index]);
      m_ready.erase(index);
      return o;
    }

  private:
    void work() {
      std::unique_lock<std::mutex> lock(m_mutex);
      for (;;) {
        m_cv.wait(lock, [&] { return m_stop || m_next == m_todo.size() || m_todo[m_next] < m_applied + k_window; });
        if (m_stop || m_next == m_todo.size()) return;
        const std::size_t index = m_todo[m_next++];
        lock.unlock();
        FileOutcome o;
        try {
          o = m_owner.examine(m_files[index], nullptr);
        } catch (...) {
          o.error = std::current_exception();
        }
        lock.lock();
        m_ready.emplace(index, std::move(o));
        m_cv.notify_all();
      }
    }

    const FolderChecker& m_owner;
    const std::vector<RecordedFile>& m_files;
    const std::vector<std::size_t>& m_todo;
    std::size_t m_next = 0;    // next position in m_todo to claim
    std::size_t m_applied = 0; // index of the file the main thread waits for or applies
    std::map<std::size_t, FileOutcome> m_ready;
    bool m_stop = false;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<std::thread> m_threads;
  };

  void check_unrecorded() {
    check_unrecorded_in("evidence");
    check_unrecorded_in("seals");
  }

  void check_unrecorded_in(const char* area) {
    const fs::path evidence = m_root / area;
    std::error_code ec;
    if (!fs::is_directory(evidence, ec)) return;
    for (auto it = fs::recursive_directory_iterator(evidence, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code ec2;
      if (it->is_directory(ec2) && !it->is_symlink(ec2)) continue;
      const std::string rel = util::utf8_lossy(it->path().lexically_relative(m_root).generic_string());
      if (m_ck.recorded(rel) == nullptr) {
        add("unrecorded-file", {}, rel,
            std::string("is under ") + area + "/ but no manifest line records it (added afterwards, or left by an interrupted command)");
      }
    }
    if (ec) add("file-unreadable", {}, area, std::string("cannot list the ") + area + " folder: " + ec.message());
  }

  // A private key left in the case folder travels with every copy of it, and whoever holds
  // it can sign a seal in the examiner's name. Bounded: only files of at most
  // k_key_scan_max_size bytes are opened (a PEM key is a few hundred bytes), links are not
  // followed, and only their first k_key_scan_max_size bytes are read.
  void check_private_keys() {
    static constexpr std::uintmax_t k_key_scan_max_size = 64 * 1024;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(m_root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code ec2;
      if (it->is_symlink(ec2) || !it->is_regular_file(ec2)) continue;
      const std::string rel = util::utf8_lossy(it->path().lexically_relative(m_root).generic_string());
      const std::string name = it->path().filename().string();
      const std::uintmax_t size = it->file_size(ec2);
      std::string why;
      if (!ec2 && size <= k_key_scan_max_size && holds_pem_private_key(it->path())) {
        why = "holds a PEM private key (\"PRIVATE KEY\")";
      } else if (m_ck.recorded(rel) == nullptr && is_cbkit_key_name(name)) {
        why = "has the name of a cbkit private key (NAME.key from 'cbkit keygen')";
      }
      if (why.empty()) continue;
      add("private-key-in-case", {}, rel,
          why + ": a key kept in the case folder travels with every copy of it, and whoever has it can sign seals in the examiner's "
                "name; move it out of the case (if it is not recorded evidence) and keep it elsewhere",
          Severity::warning);
    }
  }

  static bool is_cbkit_key_name(const std::string& name) {
    return name.size() > 4 && name.compare(name.size() - 4, 4, ".key") == 0 && name[0] != '.';
  }

  static bool holds_pem_private_key(const fs::path& p) {
    util::UniqueFd fd(::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) return false;
    std::string buf(64 * 1024, '\0');
    std::size_t got = 0;
    while (got < buf.size()) {
      const ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    buf.resize(got);
    // "-----BEGIN PRIVATE KEY-----", and the RSA, EC, ENCRYPTED and OPENSSH variants.
    for (std::size_t at = buf.find("-----BEGIN "); at != std::string::npos; at = buf.find("-----BEGIN ", at + 1)) {
      const std::size_t eol = buf.find("-----", at + 11);
      if (eol == std::string::npos || eol - at > 80) continue;
      const std::string_view label(buf.data() + at + 11, eol - at - 11);
      if (label.size() >= 11 && label.substr(label.size() - 11) == "PRIVATE KEY") return true;
    }
    return false;
  }

  // 0 (automatic): one reader per core, at most 4 (hashing is CPU-bound; more readers than
  // cores would only compete for them and for the disk).
  static unsigned effective_jobs(unsigned jobs) {
    if (jobs != 0) return jobs;
    const unsigned cores = std::thread::hardware_concurrency();
    return std::clamp(cores, 1u, 4u);
  }

  fs::path m_root;
  Checker m_ck;
  unsigned m_jobs;
};

} // namespace

Report verify_case(const fs::path& case_root, const Options& options) {
  std::error_code ec;
  if (!fs::is_regular_file(case_root / manifest::k_manifest_name, ec)) {
    throw Error(ErrorKind::case_, case_root.string() + ": not a cbkit case (no manifest.jsonl); pass the case folder");
  }
  return FolderChecker(case_root, options).run();
}

} // namespace cbkit::verify
