#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cbkit::util {

// Writes blocks to a file on a thread of its own, in order, so that writing overlaps with
// whatever the caller does next (reading, hashing, compressing). Buffers are aligned for
// O_DIRECT: where the file system has it (the caller opened the file so), the disk reads
// them without a copy into the page cache, and a large file leaves no gigabyte of dirty
// pages for the final fsync. A file system that takes O_DIRECT but refuses a write of it
// (EINVAL), and the short last block, are written through the page cache; then writeback is
// started at once and waited for a block behind, so dirty pages stay bounded. Memory is
// buffers x block bytes whatever the file size.
//
// Used by add-file's copy (store/ingest) and by the archive of seal and pack (its bytes go
// through write(), which gathers them into blocks).
class BlockWriter {
public:
  static constexpr std::size_t k_align = 4096;

  // Called on the writer thread with each block, in order, before it is written (e.g. to
  // hash the bytes where they are instead of copying them); it must not throw.
  using OnBlock = std::function<void(const char*, std::size_t)>;

  // `block` must be a multiple of k_align. `name` names the file in error messages.
  BlockWriter(int fd, bool direct, std::string name, std::size_t block, std::size_t buffers, OnBlock on_block = {});
  ~BlockWriter();
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  std::size_t block_size() const { return m_block; }

  // A free buffer of block_size() bytes; waits while all are queued. Throws a write error.
  char* acquire();
  // Queues `len` bytes of `buf` (from acquire()) for writing at the end of the file.
  void submit(char* buf, std::size_t len);
  // Copies n bytes into blocks, queueing each full one; false (errno in error()) when a
  // block could not be written. Never throws (it may run inside a C library's callback).
  bool write(const void* data, std::size_t n) noexcept;
  // Queues what write() gathered and waits until every block is written. Throws a write error.
  void finish();
  // The errno of the first failed write, or 0.
  int error();

private:
  void raise_if_failed();
  int write_block(const char* buf, std::size_t len); // 0 or errno
  void loop();

  struct FreeDeleter {
    void operator()(char* p) const;
  };

  int m_fd;
  bool m_direct;
  std::string m_name;
  std::size_t m_block;
  OnBlock m_on_block;
  std::uint64_t m_written = 0; // by the writer thread
  char* m_filling = nullptr;   // write()'s block being filled
  std::size_t m_fill = 0;
  std::vector<std::unique_ptr<char, FreeDeleter>> m_storage;
  std::vector<char*> m_free;
  std::deque<std::pair<char*, std::size_t>> m_queue;
  bool m_busy = false;
  bool m_closing = false;
  int m_errno = 0;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::thread m_thread;
};

} // namespace cbkit::util
