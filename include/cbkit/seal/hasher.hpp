#pragma once

// SHA-256 and SHA-512 of a stream on two threads of their own, while the caller does its
// own work on the same chunks (compressing them into the archive, or feeding a content
// check). Memory is buffers * k_chunk whatever the stream's size. BagIt's two payload
// manifests need both digests of every file; this way seal and verify use both cores.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cbkit/util/sha256.hpp"

namespace cbkit::seal {

struct Digests {
  std::uint64_t size = 0;
  std::string sha256; // lowercase hex
  std::string sha512; // lowercase hex
};

class ParallelHasher {
public:
  static constexpr std::size_t k_chunk = 1u << 20;
  static constexpr std::size_t k_buffers = 4;

  ParallelHasher() : ParallelHasher(k_buffers) {}
  // With `buffers` chunks of k_chunk bytes instead of k_buffers (at least 1).
  explicit ParallelHasher(std::size_t buffers);
  ~ParallelHasher();
  ParallelHasher(const ParallelHasher&) = delete;
  ParallelHasher& operator=(const ParallelHasher&) = delete;

  // A free buffer of k_chunk bytes (waits while the hash threads are behind).
  char* acquire();
  // Hands `size` bytes of `buf` to the hash threads. The caller may still read buf until it
  // calls release(buf).
  void submit(char* buf, std::size_t size);
  // The caller is done with buf (it was submitted, or is given back unused).
  void release(char* buf);
  // Waits for every submitted chunk and returns the digests of everything since the last
  // finish(); the next chunk starts a new stream. Same as end_stream() then take().
  Digests finish();
  // Ends the current stream without waiting for its hashes: the caller goes on reading the
  // next stream while the lanes finish this one (no pause at every file boundary).
  void end_stream();
  // Waits for the digests of the oldest stream ended and not yet taken (end_stream() must
  // have been called for it). Throws cbkit::Error if OpenSSL failed.
  Digests take();

private:
  struct Lane;
  void run(Lane& lane);
  void unref(char* buf);

  std::vector<std::unique_ptr<char[]>> m_storage;
  std::vector<char*> m_free;
  std::vector<std::pair<char*, int>> m_refs; // buffer, outstanding users
  std::uint64_t m_size = 0;                  // of the current stream
  std::deque<std::uint64_t> m_sizes;         // of the streams ended and not yet taken
  std::unique_ptr<Lane> m_lanes[2];
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_closing = false;
};

} // namespace cbkit::seal
