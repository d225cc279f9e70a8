#include "tar_prefetch.hpp"

#include "cbkit/util/openssl.hpp"
#include "cbkit/util/sha256.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>

namespace cbkit::verify {

namespace {

constexpr std::uint64_t k_max_index_names = 16ull << 20;

// libarchive's source for the index: pread at a position of its own, so the caller's
// descriptor offset is untouched. Skips of the data become seeks (no skip callback).
struct ScanSource {
  int fd = -1;
  std::uint64_t size = 0;
  std::uint64_t pos = 0;
  std::vector<char> buf = std::vector<char>(64u << 10);

  static la_ssize_t read(struct archive*, void* self_v, const void** out) {
    auto* self = static_cast<ScanSource*>(self_v);
    *out = self->buf.data();
    for (;;) {
      const ssize_t n = ::pread(self->fd, self->buf.data(), self->buf.size(), static_cast<off_t>(self->pos));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -1;
      self->pos += static_cast<std::uint64_t>(n);
      return n;
    }
  }
  static la_int64_t seek(struct archive*, void* self_v, la_int64_t offset, int whence) {
    auto* self = static_cast<ScanSource*>(self_v);
    const std::int64_t base = whence == SEEK_SET   ? 0
                              : whence == SEEK_CUR ? static_cast<std::int64_t>(self->pos)
                                                   : static_cast<std::int64_t>(self->size);
    if (base + offset < 0) return ARCHIVE_FATAL;
    self->pos = static_cast<std::uint64_t>(base + offset);
    return static_cast<la_int64_t>(self->pos);
  }
};

// A mapped page the file no longer holds (it was truncated meanwhile) or cannot read (an I/O
// error) raises SIGBUS in the thread touching it. While a worker hashes a mapped window, its
// handler jumps back to guarded_update, which reports the window unread; the pass then reads
// the member itself and reports why it could not. A SIGBUS anywhere else goes to the handler
// that was there before (by default: the process ends, as without this one).
thread_local sigjmp_buf* t_sigbus_guard = nullptr;
struct sigaction g_previous_sigbus {};

void on_sigbus(int sig, siginfo_t* info, void* context) {
  if (t_sigbus_guard != nullptr) siglongjmp(*t_sigbus_guard, 1);
  if (g_previous_sigbus.sa_flags & SA_SIGINFO) {
    g_previous_sigbus.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous_sigbus.sa_handler != SIG_DFL && g_previous_sigbus.sa_handler != SIG_IGN) {
    g_previous_sigbus.sa_handler(sig);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);
  ::raise(SIGBUS);
}

void install_sigbus_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous_sigbus);
  });
}

// EVP_DigestUpdate over mapped bytes; false when a page could not be read (SIGBUS) or
// OpenSSL failed. Nothing here is live across the jump but the context, which the caller
// then discards.
bool guarded_update(EVP_MD_CTX* ctx, const char* p, std::size_t n) {
  sigjmp_buf env;
  if (sigsetjmp(env, 1) != 0) {
    t_sigbus_guard = nullptr;
    return false;
  }
  t_sigbus_guard = &env;
  const int ok = EVP_DigestUpdate(ctx, p, n);
  t_sigbus_guard = nullptr;
  return ok == 1;
}

bool plain_tar(struct archive* a) {
  if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR) return false;
  for (int i = 0; i < archive_filter_count(a); ++i) {
    if (archive_filter_code(a, i) != ARCHIVE_FILTER_NONE) return false;
  }
  return true;
}

} // namespace

void ArchiveReadFree::operator()(struct archive* a) const { archive_read_free(a); }

void offer_archive_formats(struct archive* a) {
  archive_read_support_format_tar(a);
  archive_read_support_format_zip(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_filter_xz(a);
}

std::optional<std::vector<TarMember>> index_plain_tar(int fd, std::uint64_t file_size, std::uint64_t min_size, std::uint64_t max_entries) {
  ScanSource src;
  src.fd = fd;
  src.size = file_size;
  std::unique_ptr<struct archive, ArchiveReadFree> a(archive_read_new());
  if (!a) return std::nullopt;
  // The same offer as verify's pass, so that libarchive picks the same format.
  offer_archive_formats(a.get());
  archive_read_set_read_callback(a.get(), ScanSource::read);
  archive_read_set_seek_callback(a.get(), ScanSource::seek);
  archive_read_set_callback_data(a.get(), &src);
  if (archive_read_open1(a.get()) != ARCHIVE_OK) return std::nullopt;
  std::vector<TarMember> out;
  std::uint64_t name_bytes = 0;
  archive_entry* e = nullptr;
  for (std::uint64_t n = 0; n < max_entries; ++n) {
    const int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF || r < ARCHIVE_WARN) {
      if (n == 0) return std::nullopt; // nothing read: no format to rely on
      break;
    }
    if (n == 0 && !plain_tar(a.get())) return std::nullopt;
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != nullptr || !archive_entry_size_is_set(e) ||
        archive_entry_sparse_count(e) != 0 || archive_entry_size(e) < 0)
      continue;
    const auto size = static_cast<std::uint64_t>(archive_entry_size(e));
    // After the header, what the format has consumed is the offset of the entry's data.
    const auto offset = static_cast<std::uint64_t>(archive_filter_bytes(a.get(), 0));
    const std::uint64_t padded = (size + 511) / 512 * 512;
    if (size < min_size || offset > file_size || padded > file_size - offset) continue;
    const char* u = archive_entry_pathname_utf8(e);
    const char* raw = u ? u : archive_entry_pathname(e);
    const std::size_t name_size = raw ? std::strlen(raw) : 0;
    if (name_size > k_max_name) continue; // the pass does not use such a name
    // The index's memory is bounded, whatever the archive: the members past the bound are
    // read in the pass.
    name_bytes += name_size;
    if (name_bytes > k_max_index_names) break;
    out.push_back(TarMember{offset, size, raw ? raw : ""});
  }
  return out;
}

RegionHasher::RegionHasher(int fd, unsigned threads) : m_fd(fd) {
  install_sigbus_guard();
  for (unsigned i = 0; i < std::max(1u, threads); ++i)
    m_threads.emplace_back([this] { run(); });
}

RegionHasher::~RegionHasher() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_closing = true;
  }
  m_cv.notify_all();
  for (std::thread& t : m_threads)
    t.join();
}

std::size_t RegionHasher::queue(std::uint64_t offset, std::uint64_t size, RegionDigest digest) {
  std::size_t id = 0;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    id = m_jobs.size();
    m_jobs.push_back(Job{offset, size, digest, false, std::nullopt});
  }
  m_cv.notify_all();
  return id;
}

std::optional<std::string> RegionHasher::wait(std::size_t job) {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait(lock, [&] { return m_jobs.at(job).done; });
  return m_jobs[job].result;
}

void RegionHasher::run() {
  const std::unique_ptr<char[]> buf(new char[k_chunk]);
  std::unique_lock<std::mutex> lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [&] { return m_next < m_jobs.size() || m_closing; });
    if (m_closing) return;
    Job& job = m_jobs[m_next++]; // a deque: references stay valid as jobs are queued
    lock.unlock();
    std::optional<std::string> result = hash(job, buf.get());
    lock.lock();
    job.result = std::move(result);
    job.done = true;
    m_cv.notify_all();
  }
}

std::optional<std::string> RegionHasher::hash(const Job& job, char* buf) {
  util::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), job.digest == RegionDigest::sha256 ? EVP_sha256() : EVP_sha512(), nullptr) != 1)
    return std::nullopt;
  std::uint64_t at = job.offset;
  std::uint64_t left = job.size;
  while (left > 0) {
    if (m_closing) return std::nullopt;
    // Mapped: the bytes are hashed where the page cache holds them, not copied first (a
    // third of the CPU time of reading them). pread when the file cannot be mapped.
    const std::uint64_t start = at / k_page * k_page;
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left, k_window - (at - start)));
    const std::size_t span = static_cast<std::size_t>(at - start) + take;
    void* map = ::mmap(nullptr, span, PROT_READ, MAP_SHARED, m_fd, static_cast<off_t>(start));
    if (map != MAP_FAILED) {
      ::madvise(map, span, MADV_SEQUENTIAL);
      const bool ok = guarded_update(ctx.get(), static_cast<const char*>(map) + (at - start), take);
      ::munmap(map, span);
      if (!ok) return std::nullopt;
      at += take;
      left -= take;
      continue;
    }
    const std::size_t want = left < k_chunk ? static_cast<std::size_t>(left) : k_chunk;
    const ssize_t n = ::pread(m_fd, buf, want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    if (EVP_DigestUpdate(ctx.get(), buf, static_cast<std::size_t>(n)) != 1) return std::nullopt;
    at += static_cast<std::uint64_t>(n);
    left -= static_cast<std::uint64_t>(n);
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) return std::nullopt;
  return util::to_hex(out, len);
}

} // namespace cbkit::verify
