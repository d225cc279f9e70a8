#include "cbkit/error.hpp"
#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/seal/checkpoint.hpp"
#include "cbkit/seal/hasher.hpp"
#include "cbkit/seal/locale.hpp"
#include "cbkit/seal/seal.hpp"
#include "cbkit/store/recorded.hpp"
#include "cbkit/util/block_writer.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/lazy_library.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fcntl.h>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace cbkit::seal {

namespace fs = std::filesystem;
using manifest::Json;

namespace {

std::string display(const fs::path& p) { return util::utf8_lossy(p.string()); }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// BagIt (RFC 8493 2.1.3): CR, LF and % in a manifest's file path are percent-encoded.
std::string bagit_path(const std::string& p) {
  std::string out;
  for (char ch : p) {
    if (ch == '%') {
      out += "%25";
    } else if (ch == '\n') {
      out += "%0A";
    } else if (ch == '\r') {
      out += "%0D";
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// A bag-info value on one line.
std::string one_line_value(const std::string& s) {
  std::string out;
  for (unsigned char ch : util::utf8_lossy(s))
    out.push_back(ch < 0x20 || ch == 0x7f ? ' ' : static_cast<char>(ch));
  return out;
}

struct PayloadFile {
  std::string archive_path; // below the top folder, e.g. "data/evidence/000001-file/a.jpg"
  fs::path source;
  std::uint64_t size = 0;
  std::string sha256; // recorded; empty for data/manifest.jsonl
  std::uint64_t recorded_by = 0;
  Digests digests;
};

// Everything the archive of a sealed state is made of, read from manifest lines 0..seq.
struct SealedState {
  SealInfo seal;
  std::string seal_head; // SHA-256 of the seal line
  std::uint64_t manifest_bytes = 0;
  std::vector<PayloadFile> files; // data/manifest.jsonl first, then sorted by path
  std::string case_id, examiner, organisation, title;
  std::string tool_version;
};

SealedState read_sealed_state(const store::Case& c, std::uint64_t seal_seq) {
  SealedState st;
  const store::CaseInfo info = c.info();
  st.case_id = info.id;
  st.examiner = info.examiner;
  st.organisation = info.organisation;
  st.title = info.title;
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  std::vector<PayloadFile> recorded;
  std::string report_path;
  std::uint64_t report_size = 0;
  std::string report_sha;
  bool found = false;
  const std::string where = display(c.manifest_path());
  while (reader.next(raw)) {
    if (raw.index > seal_seq) break;
    if (!raw.has_lf || raw.too_long)
      throw Error(ErrorKind::case_, where + ": line " + std::to_string(raw.index) + " is torn or too long; run 'cbkit verify'");
    st.manifest_bytes += raw.size + 1;
    const auto j = manifest::parse_line(raw.bytes);
    if (!j || !j->contains("kind") || !(*j)["kind"].is_string() || !j->contains("files") || !(*j)["files"].is_array()) {
      throw Error(ErrorKind::case_, where + ": line " + std::to_string(raw.index) + " is not a valid entry; run 'cbkit verify'");
    }
    const std::string kind = (*j)["kind"].get<std::string>();
    for (const Json& f : (*j)["files"]) {
      if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("sha256") || !f["sha256"].is_string() ||
          !f.contains("size") || !f["size"].is_number_unsigned() ||
          !manifest::is_safe_entry_path(f["path"].get<std::string>(), kinds::area_of(kind))) {
        throw Error(ErrorKind::case_, where + ": line " + std::to_string(raw.index) + " records an invalid file; run 'cbkit verify'");
      }
      PayloadFile p;
      p.archive_path = "data/" + f["path"].get<std::string>();
      p.source = c.root() / f["path"].get<std::string>();
      p.size = f["size"].get<std::uint64_t>();
      p.sha256 = f["sha256"].get<std::string>();
      p.recorded_by = raw.index;
      recorded.push_back(p);
    }
    if (kind == "report") {
      // The newest report wins; its first HTML file is the report.
      for (const Json& f : (*j)["files"]) {
        if (ends_with(f["path"].get<std::string>(), ".html")) {
          report_path = f["path"].get<std::string>();
          report_size = f["size"].get<std::uint64_t>();
          report_sha = f["sha256"].get<std::string>();
          break;
        }
      }
    }
    if (raw.index == seal_seq) {
      if (kind != "seal") {
        throw Error(ErrorKind::usage, "--seal " + std::to_string(seal_seq) + ": line " + std::to_string(seal_seq) + " is a " + kind +
                                          " entry, not a seal; 'cbkit log' lists the seals");
      }
      std::string error;
      const auto s = parse_seal_line(*j, seal_seq, error);
      if (!s) throw Error(ErrorKind::case_, where + ": seal line " + std::to_string(seal_seq) + ": " + error + "; run 'cbkit verify'");
      st.seal = *s;
      st.seal_head = raw.sha256;
      st.tool_version =
          (*j).contains("tool") && (*j)["tool"].is_object() && (*j)["tool"].contains("version") && (*j)["tool"]["version"].is_string()
              ? (*j)["tool"]["version"].get<std::string>()
              : "";
      found = true;
    }
  }
  if (!found) {
    throw Error(ErrorKind::usage, "--seal " + std::to_string(seal_seq) + ": the case has no line " + std::to_string(seal_seq) +
                                      "; 'cbkit log' lists the seals");
  }
  PayloadFile m;
  m.archive_path = "data/manifest.jsonl";
  m.source = c.manifest_path();
  m.size = st.manifest_bytes;
  st.files.push_back(m);
  if (!report_path.empty()) {
    PayloadFile r;
    r.archive_path = "data/report.html";
    r.source = c.root() / report_path;
    r.size = report_size;
    r.sha256 = report_sha;
    recorded.push_back(r);
  }
  std::sort(recorded.begin(), recorded.end(), [](const PayloadFile& a, const PayloadFile& b) { return a.archive_path < b.archive_path; });
  for (auto& r : recorded)
    st.files.push_back(std::move(r));
  return st;
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// The sink gets libarchive's output 1 MiB at a time (tar formats).
constexpr int k_sink_block = 1 << 20;
// Payload chunks in flight: read ahead, in the hash lanes, queued for the archive thread.
constexpr std::size_t k_payload_buffers = 8;
// The archive file is written in blocks of this size, this many in flight.
constexpr std::size_t k_out_block = 1u << 20;
constexpr std::size_t k_out_buffers = 4;

// Where libarchive's output goes: the temporary file, through a BlockWriter that gathers the
// bytes into 1 MiB blocks and, on its own thread, hashes each (SHA-256, for the receipt) and
// writes it (O_DIRECT where the file system has it) while libarchive compresses the next;
// or, for an encrypted archive, the age encryptor, whose output goes to the file.
struct Sink {
  util::BlockWriter* file = nullptr;
  std::string name;
  std::uint64_t size = 0;
  int error = 0;
  crypt::AgeEncryptor* encryptor = nullptr;
  util::Sha256 clear_hash; // the clear archive (encrypted archives only)
  std::uint64_t clear_size = 0;
  std::string encrypt_error;

  // Writes to the file; false (errno in `error`) when that fails.
  bool raw_write(const void* buf, std::size_t n) {
    if (!file->write(buf, n)) {
      error = file->error();
      return false;
    }
    size += n;
    return true;
  }
};

la_ssize_t sink_write(struct archive*, void* client, const void* buf, size_t n) {
  auto* s = static_cast<Sink*>(client);
  if (s->encryptor == nullptr) return s->raw_write(buf, n) ? static_cast<la_ssize_t>(n) : -1;
  // No exception may cross libarchive's C frames: the encryptor's failure is kept for the
  // caller, and libarchive sees a failed write.
  try {
    s->encryptor->write(static_cast<const char*>(buf), n);
  } catch (const std::exception& e) {
    if (s->error == 0) s->encrypt_error = e.what();
    return -1;
  }
  s->clear_hash.update(buf, n);
  s->clear_size += n;
  return static_cast<la_ssize_t>(n);
}

// Writes entries in the fixed order the caller gives, each folder once before its first
// file; every entry is owned by uid/gid 0 (root), mode 0644 (files) or 0755 (folders),
// dated `mtime`, with no atime, ctime or other per-machine data.
//
// libarchive (tar framing, the compression filter) and the sink (write(2), the archive's
// SHA-256) run on a thread of their own: file(), data() and small_file() queue the call and
// return, so the caller reads the next chunk and the hash lanes hash it while the previous
// one is compressed and written. The calls run in the order they were made, so the bytes are
// those of the same calls made in line. A failure on the archive thread is thrown by the
// next call (or close()); the calls queued after it only give their buffers back.
class ArchiveWriter {
public:
  // Called once the archive thread is done with data()'s bytes (written or skipped).
  using Done = std::function<void()>;

  ArchiveWriter(ArchiveFormat format, Sink& sink, std::int64_t mtime, std::string top)
      : m_a(archive_write_new()), m_sink(sink), m_mtime(mtime), m_top(std::move(top)) {
    if (!m_a) throw Error(ErrorKind::internal, "libarchive: out of memory");
    int r = ARCHIVE_OK;
    if (format == ArchiveFormat::zip) {
      r = archive_write_set_format_zip(m_a.get());
      if (r == ARCHIVE_OK) r = archive_write_set_format_option(m_a.get(), "zip", "compression", "deflate");
    } else {
      // Restricted pax: plain ustar headers, a pax header only for what ustar cannot hold
      // (long or non-ASCII names), never one carrying times.
      r = archive_write_set_format_pax_restricted(m_a.get());
      // The sink gets 1 MiB at a time instead of libarchive's default 10 KiB: a hundred
      // times fewer write(2) calls and hash updates, the same bytes since the last block is
      // not padded (below). Zip keeps the default.
      if (r == ARCHIVE_OK) r = archive_write_set_bytes_per_block(m_a.get(), k_sink_block);
    }
    if (r == ARCHIVE_OK && format == ArchiveFormat::tar_gz) {
      r = archive_write_add_filter_gzip(m_a.get());
      // No time stamp and no file name in the gzip header.
      if (r == ARCHIVE_OK) r = archive_write_set_filter_option(m_a.get(), "gzip", "timestamp", nullptr);
    } else if (r == ARCHIVE_OK && format == ArchiveFormat::tar_zst) {
      r = archive_write_add_filter_zstd(m_a.get());
    }
    // No padding of the last block: for zip, bytes after the end record are what other
    // readers may take for a comment (verify rejects them in new archives).
    if (r == ARCHIVE_OK) r = archive_write_set_bytes_in_last_block(m_a.get(), 1);
    if (r == ARCHIVE_OK) r = archive_write_open(m_a.get(), &m_sink, nullptr, sink_write, nullptr);
    check(r, "cannot start the archive");
    m_thread = std::thread([this] { run(); });
  }
  ~ArchiveWriter() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_closing = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  void file(const std::string& rel, std::uint64_t size) {
    queue([this, rel, size] { do_file(rel, size); }, nullptr);
  }
  // Queues n bytes at p, which must stay valid until `done` is called (on the archive
  // thread, or on this one when the call throws).
  void data(const char* p, std::size_t n, Done done) {
    queue([this, p, n] { do_data(p, n); }, std::move(done));
  }
  void small_file(const std::string& rel, const std::string& content) {
    queue(
        [this, rel, content] {
          do_file(rel, content.size());
          if (!content.empty()) do_data(content.data(), content.size());
        },
        nullptr);
  }
  // Writes the end of the archive and waits for every queued call; throws the first failure.
  void close() {
    queue([this] { check(archive_write_close(m_a.get()), "cannot finish the archive"); }, nullptr);
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [&] { return m_tasks.empty() && !m_busy; });
    if (m_error) std::rethrow_exception(m_error);
  }

private:
  struct Task {
    std::function<void()> work;
    Done done;
  };

  void queue(std::function<void()> work, Done done) {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (m_error) {
      lock.unlock();
      if (done) done();
      std::rethrow_exception(m_error);
    }
    // A bounded queue: the caller's buffers bound it already; this bounds the small calls.
    m_cv.wait(lock, [&] { return m_tasks.size() < k_max_tasks || m_error; });
    m_tasks.push_back(Task{std::move(work), std::move(done)});
    lock.unlock();
    m_cv.notify_all();
  }

  void run() {
    // The locale is per thread: libarchive converts names on this one.
    const ScopedUtf8Locale utf8;
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
      m_cv.wait(lock, [&] { return !m_tasks.empty() || m_closing; });
      if (m_tasks.empty()) return;
      Task t = std::move(m_tasks.front());
      m_tasks.pop_front();
      // After a failure, or when the writer is destroyed before close(), the archive is
      // abandoned: the remaining calls only give their buffers back.
      const bool skip = m_error || m_closing;
      m_busy = true;
      lock.unlock();
      std::exception_ptr error;
      if (!skip) {
        try {
          t.work();
        } catch (...) {
          error = std::current_exception();
        }
      }
      if (t.done) t.done();
      lock.lock();
      if (error && !m_error) m_error = error;
      m_busy = false;
      m_cv.notify_all();
    }
  }

  void do_data(const char* p, std::size_t n) {
    const la_ssize_t w = archive_write_data(m_a.get(), p, n);
    if (w < 0 || static_cast<std::size_t>(w) != n) check(ARCHIVE_FATAL, "cannot write to the archive");
  }
  void do_file(const std::string& rel, std::uint64_t size) {
    folders_of(rel);
    header(m_top + "/" + rel, AE_IFREG, 0644, size);
  }
  void check(int r, const std::string& what) {
    if (r >= ARCHIVE_WARN) return;
    if (m_sink.error != 0) {
      errno = m_sink.error;
      throw_errno(ErrorKind::io, m_sink.name);
    }
    if (!m_sink.encrypt_error.empty()) throw Error(ErrorKind::io, m_sink.name + ": " + what + ": " + m_sink.encrypt_error);
    const char* msg = archive_error_string(m_a.get());
    throw Error(ErrorKind::io, m_sink.name + ": " + what + ": " + (msg != nullptr ? msg : "libarchive error"));
  }
  void folders_of(const std::string& rel) {
    if (m_folders.insert("").second) header(m_top, AE_IFDIR, 0755, 0);
    std::size_t slash = 0;
    while ((slash = rel.find('/', slash)) != std::string::npos) {
      const std::string dir = rel.substr(0, slash);
      if (m_folders.insert(dir).second) header(m_top + "/" + dir, AE_IFDIR, 0755, 0);
      ++slash;
    }
  }
  void header(const std::string& path, unsigned type, unsigned mode, std::uint64_t size) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_copy_pathname(e.get(), type == AE_IFDIR ? (path + "/").c_str() : path.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), mode);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_uname(e.get(), "root");
    archive_entry_set_gname(e.get(), "root");
    archive_entry_set_mtime(e.get(), m_mtime, 0);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    check(archive_write_header(m_a.get(), e.get()), "cannot write the entry of " + util::utf8_lossy(path));
  }

  static constexpr std::size_t k_max_tasks = 64;

  std::unique_ptr<struct archive, ArchiveFree> m_a;
  Sink& m_sink;
  std::int64_t m_mtime;
  std::string m_top;
  std::set<std::string> m_folders;
  std::deque<Task> m_tasks;
  bool m_busy = false;
  bool m_closing = false;
  std::exception_ptr m_error;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::thread m_thread;
};

// Copies one payload file into the archive, hashing it on the hash threads meanwhile; its
// digests are take_digests()'s, once the lanes are done (the next file is read meanwhile).
void copy_payload(ArchiveWriter& w, ParallelHasher& hasher, PayloadFile& f) {
  const std::string name = util::utf8_lossy(f.source.string());
  const std::string rec = f.sha256.empty() ? "" : " (recorded by line " + std::to_string(f.recorded_by) + ")";
  util::UniqueFd fd(::open(f.source.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw Error(ErrorKind::case_, name + rec + ": missing, unreadable or not a regular file; run 'cbkit verify'");
  }
  if (static_cast<std::uint64_t>(st.st_size) < f.size || (!f.sha256.empty() && static_cast<std::uint64_t>(st.st_size) != f.size)) {
    throw Error(ErrorKind::case_,
                name + rec + ": is " + std::to_string(st.st_size) + " bytes, recorded " + std::to_string(f.size) + "; run 'cbkit verify'");
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  w.file(f.archive_path, f.size);
  std::uint64_t left = f.size;
  while (left > 0) {
    throw_if_interrupted(name);
    char* buf = hasher.acquire();
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, ParallelHasher::k_chunk));
    std::size_t got = 0;
    while (got < want) {
      const ssize_t n = ::read(fd.get(), buf + got, want - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        hasher.release(buf);
        if (n < 0) throw_errno(ErrorKind::case_, name);
        throw Error(ErrorKind::case_, name + rec + ": shorter than recorded; run 'cbkit verify'");
      }
      got += static_cast<std::size_t>(n);
    }
    hasher.submit(buf, got);
    // The archive thread gives the buffer back once libarchive has taken its bytes.
    w.data(buf, got, [&hasher, buf] { hasher.release(buf); });
    left -= got;
  }
  hasher.end_stream();
}

// Takes the digests of a file copy_payload() copied (in the order copied) and checks its
// SHA-256 against the record.
void take_digests(ParallelHasher& hasher, PayloadFile& f) {
  f.digests = hasher.take();
  if (!f.sha256.empty() && f.digests.sha256 != f.sha256) {
    const std::string rec = " (recorded by line " + std::to_string(f.recorded_by) + ")";
    throw Error(ErrorKind::case_,
                util::utf8_lossy(f.source.string()) + rec + ": its SHA-256 no longer matches the record; run 'cbkit verify'");
  }
}

// A file the seal line records (checkpoint, token, TSA chain), read through the one reader
// of recorded files: only the recorded bytes are copied into seal/.
std::string read_seal_file(const store::Case& c, const SealedState& st, const std::string& path, std::uint64_t limit) {
  for (const PayloadFile& f : st.files) {
    if (f.archive_path != "data/" + path) continue;
    const Json record{{"path", path}, {"sha256", f.sha256}, {"size", f.size}};
    store::RecordedBytes r = store::read_recorded(c.root(), record, "seal", limit);
    if (!r.bytes) throw Error(ErrorKind::case_, display(c.root() / path) + ": " + r.problem + "; run 'cbkit verify'");
    return std::move(*r.bytes);
  }
  throw Error(ErrorKind::case_, display(c.root() / path) + ": not recorded by the seal line; run 'cbkit verify'");
}

std::string verify_text(const SealedState& st, const PublicKey& pub, const std::string& top, const std::vector<std::string>& encrypted_to) {
  const SealInfo& s = st.seal;
  std::string root_raw;
  for (std::size_t i = 0; i + 1 < s.root.size(); i += 2)
    root_raw.push_back(static_cast<char>(std::stoi(s.root.substr(i, 2), nullptr, 16)));
  std::string t;
  t += "How to check this package\n=========================\n\n";
  t += "This folder is a BagIt bag (RFC 8493) sealed by cbkit for case " + st.case_id + ".\n";
  t += "data/manifest.jsonl is the case's hash-chained log up to and including the seal (line " + std::to_string(s.seq) + ");\n";
  t += "data/evidence/ and data/seals/ hold every file it records, byte for byte.\n\n";
  t += "Seal\n----\n";
  t += "  head (SHA-256 of the seal line):      " + st.seal_head + "\n";
  t += "  seq of the seal line:                 " + std::to_string(s.seq) + "\n";
  t += "  sealed lines (checkpoint tree size):  " + std::to_string(s.tree_size) + " (lines 0.." + std::to_string(s.tree_size - 1) + ")\n";
  t += "  sealed head (SHA-256 of line " + std::to_string(s.tree_size - 1) + "):   " + s.covers_head + "\n";
  t += "  RFC 9162 Merkle root (hex):           " + s.root + "\n";
  t += "  RFC 9162 Merkle root (base64):        " + util::base64(root_raw) + "\n";
  t += "  checkpoint origin:                    " + s.origin + "\n";
  t += "  Ed25519 key fingerprint (SHA-256):    " + s.fingerprint + "\n";
  t += "  minisign key id:                      " + pub.key_id() + "\n";
  t += "  signed-note verifier key:             " + note_verifier_key(s.origin, pub) + "\n";
  t += "  sealed at (UTC):                      " + s.time + "\n\n";
  if (!encrypted_to.empty()) {
    t += "Encryption\n----------\n";
    t += "This archive was handed over encrypted with age (age-encryption.org/v1, ARCHIVE.age), to:\n";
    for (const std::string& r : encrypted_to)
      t += "  " + (r == "scrypt" ? std::string("a passphrase (age scrypt)") : r) + "\n";
    t += "Decrypt it with the standard age tool (https://age-encryption.org, Debian package age):\n\n";
    t += encrypted_to.front() == "scrypt" ? "     age -d -o ARCHIVE ARCHIVE.age                  # asks for the passphrase\n"
                                          : "     age -d -i RECIPIENT.age.key -o ARCHIVE ARCHIVE.age\n";
    t += "\n   or check it without writing the clear archive anywhere:\n\n";
    t += encrypted_to.front() == "scrypt" ? "     cbkit verify ARCHIVE.age --passphrase-file FILE --pubkey examiner.pub\n\n"
                                          : "     cbkit verify ARCHIVE.age --identity RECIPIENT.age.key --pubkey examiner.pub\n\n";
  }
  t += "Trust the key, not the package: compare the fingerprint above with the one the examiner\n"
       "gave you (receipt, letter, phone). seal/public-key.pem only says which key claims to have\n"
       "signed; pass your own copy with --pubkey / -p.\n\n";
  t += "1. With cbkit (every check at once, without extracting):\n\n";
  t += "     cbkit verify ARCHIVE --pubkey examiner.pub --expect-head " + st.seal_head + "\n\n";
  t += "2. With standard tools, after extracting the archive (bsdtar -xf / tar -xf / unzip):\n\n";
  t += "     cd " + top + "\n";
  t += "     sed 's/%25/%/g' manifest-sha256.txt | sha256sum -c   # every payload file\n";
  t += "     sed 's/%25/%/g' manifest-sha512.txt | sha512sum -c\n";
  t += "       # (BagIt writes a '%' in a file name as %25; sed turns it back for sha256sum)\n";
  t += "     sha256sum -c tagmanifest-sha256.txt    # bag-info, manifests, seal files\n";
  t += "     bagit.py --validate .                  # or any BagIt validator (bagit-python: pip install bagit)\n";
  t += "     minisign -Vm tagmanifest-sha256.txt -x seal/tagmanifest-sha256.txt.minisig -p examiner.minisign.pub\n";
  t += "     openssl pkeyutl -verify -pubin -inkey examiner.pub -rawin -in tagmanifest-sha256.txt \\\n"
       "         -sigfile seal/tagmanifest-sha256.txt.sig\n";
  if (!s.token_path.empty()) {
    t += "     openssl ts -verify -digest " + s.covers_head + " -in data/" + s.token_path + " \\\n" +
         "         -CAfile tsa-ca.pem -untrusted data/" + s.tsa_chain_path + "\n";
    t += "       # the RFC 3161 token covers the sealed head: the TSA saw lines 0.." + std::to_string(s.tree_size - 1) + " at its time\n";
  }
  t += "\n   The head of the log is the SHA-256 of its last line without the LF:\n\n";
  t += "     tail -n1 data/manifest.jsonl | head -c -1 | sha256sum      # = head above\n\n";
  t += "   The checkpoint seal/checkpoint (C2SP signed note) signs the Merkle root of lines\n"
       "   0.." +
       std::to_string(s.tree_size - 1) +
       "; each leaf is SHA-256(0x00 || line bytes without LF), each node\n"
       "   SHA-256(0x01 || left || right) (RFC 9162 section 2.1). 'cbkit verify' recomputes it; so can\n"
       "   any transparency-log library given the verifier key above.\n";
  return t;
}

std::string bag_info_text(const SealedState& st, std::uint64_t oxum_bytes, std::uint64_t oxum_count,
                          const std::vector<std::string>& encrypted_to) {
  const SealInfo& s = st.seal;
  std::string t;
  auto field = [&](const char* name, const std::string& value) {
    if (!value.empty()) t += std::string(name) + ": " + one_line_value(value) + "\n";
  };
  field("Source-Organization", st.organisation);
  field("Contact-Name", st.examiner);
  field("External-Identifier", st.case_id);
  field("External-Description", st.title);
  field("Bagging-Date", s.time.substr(0, 10));
  field("Bag-Software-Agent", "cbkit " + st.tool_version);
  field("Payload-Oxum", std::to_string(oxum_bytes) + "." + std::to_string(oxum_count));
  field("Cbkit-Case-Id", st.case_id);
  field("Cbkit-Examiner", st.examiner);
  field("Cbkit-Organisation", st.organisation);
  field("Cbkit-Head", st.seal_head);
  field("Cbkit-Seq", std::to_string(s.seq));
  field("Cbkit-Sealed-Head", s.covers_head);
  field("Cbkit-Tree-Size", std::to_string(s.tree_size));
  field("Cbkit-Root", s.root);
  field("Cbkit-Origin", s.origin);
  field("Cbkit-Key-Fingerprint", s.fingerprint);
  field("Cbkit-Seal-Time", s.time);
  // Whom the archive was encrypted to (public keys only): the one place a recipient who
  // cannot open it learns whose key can, since age's X25519 stanzas name nobody.
  for (const std::string& r : encrypted_to)
    field("Cbkit-Encrypted-To", r == "scrypt" ? "passphrase (age scrypt)" : r);
  return t;
}

} // namespace

bool is_age_name(const fs::path& name) { return ends_with(util::to_lower_ascii(name.filename().string()), ".age"); }

void check_archive_name(const fs::path& out, bool encrypted) {
  if (!archive_format_of(out)) {
    throw Error(ErrorKind::usage, "--out " + display(out) +
                                      ": unknown archive format; end the name with .tar, .tar.gz, .tgz, .tar.zst or .zip" +
                                      (encrypted ? " and then .age (e.g. case.tar.zst.age)" : ""));
  }
  if (encrypted && !is_age_name(out))
    throw Error(ErrorKind::usage,
                "--out " + display(out) + ": an encrypted archive's name ends with .age (e.g. " + display(out.filename()) + ".age)");
  if (!encrypted && is_age_name(out))
    throw Error(ErrorKind::usage,
                "--out " + display(out) + ": a name ending with .age needs --recipient, --recipient-file or --passphrase-file");
}

std::optional<ArchiveFormat> archive_format_of(const fs::path& name) {
  std::string n = util::to_lower_ascii(name.filename().string());
  if (ends_with(n, ".age")) n.resize(n.size() - 4);
  if (ends_with(n, ".tar.gz") || ends_with(n, ".tgz")) return ArchiveFormat::tar_gz;
  if (ends_with(n, ".tar.zst") || ends_with(n, ".tzst")) return ArchiveFormat::tar_zst;
  if (ends_with(n, ".tar")) return ArchiveFormat::tar;
  if (ends_with(n, ".zip")) return ArchiveFormat::zip;
  return std::nullopt;
}

std::string format_name(ArchiveFormat f) {
  switch (f) {
  case ArchiveFormat::tar:
    return "tar";
  case ArchiveFormat::tar_gz:
    return "tar.gz";
  case ArchiveFormat::tar_zst:
    return "tar.zst";
  case ArchiveFormat::zip:
    return "zip";
  }
  return "tar";
}

std::optional<SealInfo> parse_seal_line(const Json& line, std::uint64_t seq, std::string& error) {
  SealInfo s;
  s.seq = seq;
  if (!line.contains("seal") || !line["seal"].is_object()) {
    error = "no \"seal\" object";
    return std::nullopt;
  }
  const Json& j = line["seal"];
  auto str = [&](const Json& o, const char* key, std::string& out) {
    if (!o.is_object() || !o.contains(key) || !o[key].is_string()) {
      error = std::string("seal.") + key + " is missing or not a string";
      return false;
    }
    out = o[key].get<std::string>();
    return true;
  };
  if (!j.contains("tree_size") || !j["tree_size"].is_number_unsigned()) {
    error = "seal.tree_size is missing or not an integer";
    return std::nullopt;
  }
  s.tree_size = j["tree_size"].get<std::uint64_t>();
  if (!str(j, "root", s.root) || !str(j, "origin", s.origin)) return std::nullopt;
  if (!j.contains("covers") || !j["covers"].is_object() || !str(j["covers"], "head", s.covers_head)) {
    error = "seal.covers.head is missing";
    return std::nullopt;
  }
  if (!j.contains("key") || !str(j["key"], "fingerprint", s.fingerprint) || !str(j["key"], "key_id", s.key_id)) return std::nullopt;
  if (!util::is_sha256_hex(s.root) || !util::is_sha256_hex(s.covers_head) || !util::is_sha256_hex(s.fingerprint)) {
    error = "seal.root, seal.covers.head or seal.key.fingerprint is not 64 lowercase hex digits";
    return std::nullopt;
  }
  if (line.contains("time") && line["time"].is_string()) s.time = line["time"].get<std::string>();
  if (line.contains("files") && line["files"].is_array()) {
    for (const Json& f : line["files"]) {
      if (!f.is_object() || !f.contains("path") || !f["path"].is_string()) continue;
      const std::string p = f["path"].get<std::string>();
      // By role (the unified token record); seals of earlier versions have no roles, only names.
      const std::string base = p.substr(p.rfind('/') + 1);
      const std::string role = f.contains("role") && f["role"].is_string() ? f["role"].get<std::string>() : "";
      if (role == "checkpoint" || (role.empty() && base == "checkpoint")) s.checkpoint_path = p;
      if (role == "public-key" || (role.empty() && base == "public-key.pem")) s.public_key_path = p;
      if (role == "token" || (role.empty() && base == "timestamp.tsr")) s.token_path = p;
      if (role == "tsa-chain" || (role.empty() && base == "tsa-chain.pem")) s.tsa_chain_path = p;
    }
  }
  if (s.checkpoint_path.empty() || s.public_key_path.empty()) {
    error = "the seal line records no checkpoint or public-key.pem file";
    return std::nullopt;
  }
  return s;
}

ArchiveResult write_archive(const store::Case& c, std::uint64_t seal_seq, const PrivateKey& key, const fs::path& out,
                            const ArchiveOptions& options) {
  check_archive_name(out, options.encrypt_to.has_value());
  const auto format = archive_format_of(out);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(out, ec)))
    throw Error(ErrorKind::usage, "--out " + display(out) + ": exists; choose a new name (nothing is overwritten)");
  util::require_archive(); // here, not on the writer thread that makes the first call
  SealedState st = read_sealed_state(c, seal_seq);
  const PublicKey pub = key.public_key();
  if (pub.fingerprint() != st.seal.fingerprint) {
    throw Error(ErrorKind::usage, "--key: this key (fingerprint " + pub.fingerprint().substr(0, 16) + "…) did not make seal " +
                                      std::to_string(seal_seq) + " (" + st.seal.fingerprint.substr(0, 16) +
                                      "…); give the key that sealed it");
  }
  // Every entry is dated at the seal: the archive's bytes depend on the sealed state only.
  std::int64_t micros = 0;
  if (!util::is_manifest_time(st.seal.time, &micros))
    throw Error(ErrorKind::case_, "seal line " + std::to_string(seal_seq) + ": invalid time");
  const std::int64_t mtime = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  const std::string top = "cbkit-" + st.case_id + "-" + st.seal.time.substr(0, 10);

  const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  const fs::path tmp = dir / ("." + out.filename().string() + ".tmp-" + util::random_hex(6));
  Sink sink;
  sink.name = display(out);
  util::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) throw_errno(ErrorKind::io, display(out));
  // O_DIRECT where the file system has it (not every tmpfs does); buffered otherwise.
  const int flags = ::fcntl(fd.get(), F_GETFL);
  const bool direct = flags >= 0 && ::fcntl(fd.get(), F_SETFL, flags | O_DIRECT) == 0;
  struct Cleanup {
    fs::path p;
    bool keep = false;
    ~Cleanup() {
      if (!keep) ::unlink(p.c_str());
    }
  } cleanup{tmp};
  util::Sha256 archive_hash; // on the writer thread, block by block, in order
  bool hash_failed = false;
  util::BlockWriter file(fd.get(), direct, sink.name, k_out_block, k_out_buffers, [&](const char* p, std::size_t n) {
    try {
      archive_hash.update(p, n);
    } catch (const Error&) {
      hash_failed = true;
    }
  });
  sink.file = &file;

  // The encryptor writes the age header into the file at once; libarchive's output then
  // goes through it (sink_write).
  std::optional<crypt::AgeEncryptor> encryptor;
  if (options.encrypt_to) {
    encryptor.emplace(*options.encrypt_to, [&sink](const char* p, std::size_t n) {
      if (!sink.raw_write(p, n)) throw Error(ErrorKind::io, errno_message(sink.name, sink.error));
    });
    sink.encryptor = &*encryptor;
  }
  const std::vector<std::string> recipients = encryptor ? encryptor->recipients() : std::vector<std::string>{};

  std::uint64_t oxum_bytes = 0;
  for (const auto& f : st.files)
    oxum_bytes += f.size;
  const std::string bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
  const std::string bag_info = bag_info_text(st, oxum_bytes, st.files.size(), recipients);

  const ScopedUtf8Locale utf8;
  // Declared before the writer, which is destroyed first: its queued calls may still hold
  // the hasher's buffers. More buffers than verify's: they are held until the archive thread
  // is done with them too.
  ParallelHasher hasher(k_payload_buffers);
  ArchiveWriter w(*format, sink, mtime, top);
  w.small_file("bagit.txt", bagit);
  w.small_file("bag-info.txt", bag_info);
  // The digests of a file are taken after the next one is read, so that reading does not
  // wait for the hash lanes at every file boundary; a file whose SHA-256 no longer matches
  // is still refused before the archive is finished.
  for (std::size_t i = 0; i < st.files.size(); ++i) {
    copy_payload(w, hasher, st.files[i]);
    if (i > 0) take_digests(hasher, st.files[i - 1]);
  }
  if (!st.files.empty()) take_digests(hasher, st.files.back());
  std::string m256, m512;
  for (const auto& f : st.files) {
    m256 += f.digests.sha256 + "  " + bagit_path(f.archive_path) + "\n";
    m512 += f.digests.sha512 + "  " + bagit_path(f.archive_path) + "\n";
  }
  w.small_file("manifest-sha256.txt", m256);
  w.small_file("manifest-sha512.txt", m512);

  // seal/: copies of the recorded checkpoint and token (so standard tools find them at a
  // fixed place), the public key in both formats, and how to check it all.
  std::vector<std::pair<std::string, std::string>> seal_files;
  seal_files.emplace_back("seal/VERIFY.txt", verify_text(st, pub, top, recipients));
  seal_files.emplace_back("seal/checkpoint", read_seal_file(c, st, st.seal.checkpoint_path, 1u << 16));
  seal_files.emplace_back("seal/public-key.minisign.pub", pub.minisign());
  seal_files.emplace_back("seal/public-key.pem", pub.pem());
  if (!st.seal.token_path.empty()) {
    seal_files.emplace_back("seal/timestamp.tsr", read_seal_file(c, st, st.seal.token_path, 1u << 20));
    if (!st.seal.tsa_chain_path.empty())
      seal_files.emplace_back("seal/tsa-chain.pem", read_seal_file(c, st, st.seal.tsa_chain_path, 1u << 20));
  }
  std::string tag = util::sha256_hex(bagit) + "  bagit.txt\n" + util::sha256_hex(bag_info) + "  bag-info.txt\n" + util::sha256_hex(m256) +
                    "  manifest-sha256.txt\n" + util::sha256_hex(m512) + "  manifest-sha512.txt\n";
  for (const auto& [name, content] : seal_files) {
    w.small_file(name, content);
    tag += util::sha256_hex(content) + "  " + name + "\n";
  }
  w.small_file("tagmanifest-sha256.txt", tag);
  const std::string trusted = "cbkit seal of case " + st.case_id + " head " + st.seal_head + " seq " + std::to_string(st.seal.seq) +
                              " tree_size " + std::to_string(st.seal.tree_size) + " root " + st.seal.root + " time " + st.seal.time;
  w.small_file("seal/tagmanifest-sha256.txt.minisig", minisign_sign(key, tag, "cbkit seal signature of tagmanifest-sha256.txt", trusted));
  w.small_file("seal/tagmanifest-sha256.txt.sig", key.sign(tag));
  w.close();
  if (encryptor) encryptor->finish();
  file.finish();
  if (hash_failed) throw Error(ErrorKind::internal, "OpenSSL: hashing failed");
  util::fsync_or_throw(fd.get(), display(out));
  fd.reset();

  if (::link(tmp.c_str(), out.c_str()) != 0) {
    if (errno == EEXIST) throw Error(ErrorKind::usage, "--out " + display(out) + ": exists; choose a new name (nothing is overwritten)");
    throw_errno(ErrorKind::io, display(out));
  }
  util::fsync_dir(dir);

  ArchiveResult r;
  r.path = out;
  r.format = *format;
  r.top = top;
  r.sha256 = util::to_hex(archive_hash.finish());
  r.size = sink.size;
  r.payload_files = st.files.size();
  r.payload_bytes = oxum_bytes;
  r.receipt = out.string() + ".receipt.txt";
  r.recipients = recipients;
  if (encryptor) {
    r.clear_sha256 = util::to_hex(sink.clear_hash.finish());
    r.clear_size = sink.clear_size;
  }
  std::string receipt = "cbkit seal receipt\n";
  receipt += "archive: " + out.filename().string() + "\n";
  receipt += "archive-sha256: " + r.sha256 + "\n";
  receipt += "archive-size: " + std::to_string(r.size) + "\n";
  receipt += "format: " + format_name(*format) + (encryptor ? " encrypted with age" : "") + "\n";
  if (encryptor) {
    receipt += "clear-archive-sha256: " + r.clear_sha256 + "\n";
    receipt += "clear-archive-size: " + std::to_string(r.clear_size) + "\n";
    for (const std::string& rcp : recipients)
      receipt += "encrypted-to: " + (rcp == "scrypt" ? std::string("passphrase (age scrypt)") : rcp) + "\n";
  }
  receipt += "case: " + st.case_id + "\n";
  receipt += "head: " + st.seal_head + "\n";
  receipt += "seq: " + std::to_string(st.seal.seq) + "\n";
  receipt += "tree-size: " + std::to_string(st.seal.tree_size) + "\n";
  receipt += "root: " + st.seal.root + "\n";
  receipt += "sealed-head: " + st.seal.covers_head + "\n";
  receipt += "origin: " + st.seal.origin + "\n";
  receipt += "key-fingerprint: " + st.seal.fingerprint + "\n";
  receipt += "key-id: " + pub.key_id() + "\n";
  receipt += "sealed-at: " + st.seal.time + "\n";
  receipt += "check: cbkit verify " + out.filename().string() +
             (encryptor ? (options.encrypt_to->passphrase ? " --passphrase-file FILE" : " --identity RECIPIENT.age.key") : "") +
             " --pubkey KEY.pub --expect-head " + st.seal_head + "\n";
  if (encryptor) receipt += "decrypt: age -d -i RECIPIENT.age.key -o " + out.stem().string() + " " + out.filename().string() + "\n";
  util::write_file_atomic(r.receipt, receipt, 0644, true);
  return r;
}

} // namespace cbkit::seal
