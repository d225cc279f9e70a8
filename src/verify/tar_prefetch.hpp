#pragma once

// verify's fast path for a plain tar (uncompressed, unencrypted, a regular file): its
// members' data lie at fixed offsets of the file, so they can be hashed ahead of the
// streaming pass, several at once, while the archive's own SHA-256 runs beside them. The
// streaming pass (archive.cpp) still reads every header and makes every check in archive
// order; it only takes a member's digests from here instead of reading its bytes.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct archive;

namespace cbkit::verify {

// A longer member name cannot be extracted on Linux (PATH_MAX): the pass reports it and
// never uses it, and the index leaves it out.
constexpr std::size_t k_max_name = 4096;

struct ArchiveReadFree {
  void operator()(struct archive* a) const;
};

// What verify reads: tar and zip, raw or compressed with gzip, zstd, bzip2 or xz. Offered
// alike to the streaming pass and to the index, so that both read the file the same way.
void offer_archive_formats(struct archive* a);

// A regular member of a plain tar: where its data lies in the file.
struct TarMember {
  std::uint64_t offset = 0; // of its first data byte in the file
  std::uint64_t size = 0;
  std::string name; // as libarchive reads it (UTF-8 when it can), as verify's pass names it
};

// The regular, non-sparse members of at least `min_size` bytes of the tar read from `fd`
// (with pread: fd's offset is not moved), in archive order, when libarchive, offered the
// formats and filters verify offers, reads the file as a tar with no compression filter;
// nullopt otherwise. Reads headers only; stops quietly at a damaged header or after
// `max_entries` entries (the streaming pass reports those), or at 16 MiB of names. A member
// is listed only when its data and padding lie within `file_size` and its name is at most
// 4096 bytes.
std::optional<std::vector<TarMember>> index_plain_tar(int fd, std::uint64_t file_size, std::uint64_t min_size, std::uint64_t max_entries);

enum class RegionDigest { sha256, sha512 };

// Digests of regions of one file, computed by worker threads that map the file a window at
// a time (or, when it cannot be mapped, read it with pread into a buffer of their own):
// memory is threads * (k_window + k_chunk), whatever the regions' sizes. Jobs start in the
// order they were queued.
class RegionHasher {
public:
  static constexpr std::size_t k_window = 4u << 20;
  static constexpr std::size_t k_chunk = 256u << 10; // stays in the core's cache while hashed
  static constexpr std::size_t k_page = 4096;        // mmap offsets are multiples of it

  // `fd` must stay open until the hasher is destroyed.
  RegionHasher(int fd, unsigned threads);
  // Drops the jobs not started; running ones stop at their next chunk.
  ~RegionHasher();
  RegionHasher(const RegionHasher&) = delete;
  RegionHasher& operator=(const RegionHasher&) = delete;

  // Queues the digest of `size` bytes at `offset`; returns the job's number for wait().
  std::size_t queue(std::uint64_t offset, std::uint64_t size, RegionDigest digest);
  // The job's lowercase hex digest once it is done; nullopt when the region could not be
  // read whole (a read error, or the file is now shorter) or hashing failed.
  std::optional<std::string> wait(std::size_t job);

private:
  struct Job {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    RegionDigest digest = RegionDigest::sha256;
    bool done = false;
    std::optional<std::string> result;
  };
  void run();
  std::optional<std::string> hash(const Job& job, char* buf);

  int m_fd;
  std::deque<Job> m_jobs; // every job queued; m_next is the first not started
  std::size_t m_next = 0;
  std::atomic<bool> m_closing{false}; // read by running jobs between chunks
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<std::thread> m_threads;
};

} // namespace cbkit::verify
