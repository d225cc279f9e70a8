#include "cbkit/seal/hasher.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/sha256.hpp"

#include "cbkit/util/openssl.hpp"

#include <algorithm>
#include <cstring>

namespace cbkit::seal {

// One hash thread: its queue (a null buffer marks the end of a stream) and its results.
struct ParallelHasher::Lane {
  const EVP_MD* md = nullptr;
  util::MdCtxPtr ctx;
  std::deque<std::pair<char*, std::size_t>> queue;
  std::deque<std::string> results;
  bool failed = false;
  std::thread thread;

  void reset() {
    if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) failed = true;
  }
};

ParallelHasher::ParallelHasher(std::size_t buffers) {
  for (std::size_t i = 0; i < std::max<std::size_t>(buffers, 1); ++i) {
    m_storage.emplace_back(new char[k_chunk]);
    m_free.push_back(m_storage.back().get());
    m_refs.emplace_back(m_storage.back().get(), 0);
  }
  const EVP_MD* mds[2] = {EVP_sha256(), EVP_sha512()};
  for (int i = 0; i < 2; ++i) {
    m_lanes[i] = std::make_unique<Lane>();
    m_lanes[i]->md = mds[i];
    m_lanes[i]->ctx.reset(EVP_MD_CTX_new());
    if (!m_lanes[i]->ctx) throw Error(ErrorKind::internal, "OpenSSL: out of memory");
    m_lanes[i]->reset();
  }
  for (auto& lane : m_lanes) {
    Lane* l = lane.get();
    l->thread = std::thread([this, l] { run(*l); });
  }
}

ParallelHasher::~ParallelHasher() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_closing = true;
  }
  m_cv.notify_all();
  for (auto& lane : m_lanes)
    lane->thread.join();
}

void ParallelHasher::run(Lane& lane) {
  std::unique_lock<std::mutex> lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [&] { return !lane.queue.empty() || m_closing; });
    if (lane.queue.empty()) return;
    const auto [buf, size] = lane.queue.front();
    lane.queue.pop_front();
    lock.unlock();
    std::string result;
    if (buf != nullptr) {
      if (EVP_DigestUpdate(lane.ctx.get(), buf, size) != 1) lane.failed = true;
    } else {
      unsigned char out[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      if (EVP_DigestFinal_ex(lane.ctx.get(), out, &len) != 1) lane.failed = true;
      result = util::to_hex(out, len);
      lane.reset();
    }
    lock.lock();
    if (buf != nullptr) {
      unref(buf);
    } else {
      lane.results.push_back(std::move(result));
    }
    m_cv.notify_all();
  }
}

void ParallelHasher::unref(char* buf) {
  for (auto& [b, n] : m_refs) {
    if (b == buf && --n == 0) m_free.push_back(buf);
  }
}

char* ParallelHasher::acquire() {
  std::unique_lock<std::mutex> lock(m_mutex);
  m_cv.wait(lock, [&] { return !m_free.empty(); });
  char* b = m_free.back();
  m_free.pop_back();
  for (auto& [rb, n] : m_refs) {
    if (rb == b) n = 1; // the caller
  }
  return b;
}

void ParallelHasher::submit(char* buf, std::size_t size) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (auto& [b, n] : m_refs) {
      if (b == buf) n += 2;
    }
    for (auto& lane : m_lanes)
      lane->queue.emplace_back(buf, size);
    m_size += size;
  }
  m_cv.notify_all();
}

void ParallelHasher::release(char* buf) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    unref(buf);
  }
  m_cv.notify_all();
}

Digests ParallelHasher::finish() {
  end_stream();
  return take();
}

void ParallelHasher::end_stream() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (auto& lane : m_lanes)
      lane->queue.emplace_back(nullptr, 0);
    m_sizes.push_back(m_size);
    m_size = 0;
  }
  m_cv.notify_all();
}

Digests ParallelHasher::take() {
  std::unique_lock<std::mutex> lock(m_mutex);
  if (m_sizes.empty()) throw Error(ErrorKind::internal, "ParallelHasher::take without end_stream");
  m_cv.wait(lock, [&] { return !m_lanes[0]->results.empty() && !m_lanes[1]->results.empty(); });
  Digests d;
  d.size = m_sizes.front();
  m_sizes.pop_front();
  d.sha256 = std::move(m_lanes[0]->results.front());
  d.sha512 = std::move(m_lanes[1]->results.front());
  m_lanes[0]->results.pop_front();
  m_lanes[1]->results.pop_front();
  if (m_lanes[0]->failed || m_lanes[1]->failed) throw Error(ErrorKind::internal, "OpenSSL: hashing failed");
  return d;
}

} // namespace cbkit::seal
