#include "cbkit/util/block_writer.hpp"

#include "cbkit/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace cbkit::util {

namespace {

// 0, or the errno of the failed write (ENOSPC when the file system took nothing); `done`
// counts the bytes written.
int write_raw(int fd, const char* p, std::size_t left, std::size_t& done) {
  done = 0;
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return ENOSPC;
    p += w;
    left -= static_cast<std::size_t>(w);
    done += static_cast<std::size_t>(w);
  }
  return 0;
}

} // namespace

void BlockWriter::FreeDeleter::operator()(char* p) const { std::free(p); }

BlockWriter::BlockWriter(int fd, bool direct, std::string name, std::size_t block, std::size_t buffers, OnBlock on_block)
    : m_fd(fd), m_direct(direct), m_name(std::move(name)), m_block(block), m_on_block(std::move(on_block)) {
  if (block == 0 || block % k_align != 0 || buffers == 0) throw Error(ErrorKind::internal, "BlockWriter: invalid block size");
  for (std::size_t i = 0; i < buffers; ++i) {
    void* p = nullptr;
    if (::posix_memalign(&p, k_align, block) != 0) throw Error(ErrorKind::io, m_name + ": out of memory");
    m_storage.emplace_back(static_cast<char*>(p));
    m_free.push_back(m_storage.back().get());
  }
  m_thread = std::thread([this] { loop(); });
}

BlockWriter::~BlockWriter() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_closing = true;
  }
  m_cv.notify_all();
  m_thread.join();
}

char* BlockWriter::acquire() {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait(lock, [this] { return !m_free.empty() || m_errno != 0; });
  raise_if_failed();
  char* b = m_free.back();
  m_free.pop_back();
  return b;
}

void BlockWriter::submit(char* buf, std::size_t len) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_queue.emplace_back(buf, len);
  }
  m_cv.notify_all();
}

bool BlockWriter::write(const void* data, std::size_t n) noexcept {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    if (m_filling == nullptr) {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_cv.wait(lock, [this] { return !m_free.empty() || m_errno != 0; });
      if (m_errno != 0) return false;
      m_filling = m_free.back();
      m_free.pop_back();
      m_fill = 0;
    }
    const std::size_t k = std::min(n, m_block - m_fill);
    std::memcpy(m_filling + m_fill, p, k);
    m_fill += k;
    p += k;
    n -= k;
    if (m_fill == m_block) {
      submit(m_filling, m_fill);
      m_filling = nullptr;
    }
  }
  return true;
}

void BlockWriter::finish() {
  if (m_filling != nullptr) {
    submit(m_filling, m_fill);
    m_filling = nullptr;
  }
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait(lock, [this] { return (m_queue.empty() && !m_busy) || m_errno != 0; });
  raise_if_failed();
}

int BlockWriter::error() {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_errno;
}

void BlockWriter::raise_if_failed() {
  if (m_errno != 0) {
    errno = m_errno;
    throw_errno(ErrorKind::io, m_name);
  }
}

int BlockWriter::write_block(const char* buf, std::size_t len) {
  int err = 0;
  std::size_t done = 0;
  if (m_direct) {
    // O_DIRECT wants whole aligned blocks: only the last one can be short; its aligned part
    // goes directly, the rest through the page cache below. A file system that takes
    // O_DIRECT but wants other alignments (EINVAL) gets the rest buffered from here on.
    err = write_raw(m_fd, buf, len - len % k_align, done);
    if (err == EINVAL) err = 0;
    if (err == 0 && done < len) {
      ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) & ~O_DIRECT);
      m_direct = false;
    }
  }
  if (err == 0 && done < len) {
    std::size_t rest = 0;
    err = write_raw(m_fd, buf + done, len - done, rest);
    if (err == 0) {
      // Start writeback at once and wait for the block before last, so dirty pages stay
      // bounded and the final fsync has little left to do.
      ::sync_file_range(m_fd, static_cast<off_t>(m_written), static_cast<off_t>(len), SYNC_FILE_RANGE_WRITE);
      if (m_written >= m_block) {
        const auto prev = static_cast<off_t>(m_written - m_block);
        ::sync_file_range(m_fd, prev, static_cast<off_t>(m_block),
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        ::posix_fadvise(m_fd, prev, static_cast<off_t>(m_block), POSIX_FADV_DONTNEED);
      }
    }
  }
  if (err == 0) m_written += len;
  return err;
}

void BlockWriter::loop() {
  std::unique_lock<std::mutex> lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [this] { return !m_queue.empty() || m_closing; });
    if (m_queue.empty()) return;
    const auto [buf, len] = m_queue.front();
    m_queue.pop_front();
    const bool skip = m_errno != 0; // after a failure, blocks are only given back
    m_busy = true;
    lock.unlock();
    int err = 0;
    if (!skip) {
      if (m_on_block) m_on_block(buf, len);
      err = write_block(buf, len);
    }
    lock.lock();
    if (err != 0 && m_errno == 0) m_errno = err;
    m_busy = false;
    m_free.push_back(buf);
    m_cv.notify_all();
  }
}

} // namespace cbkit::util
