#include "cbkit/util/sha256.hpp"

#include "cbkit/error.hpp"

#include <cerrno>
#include <openssl/evp.h>
#include <unistd.h>

namespace cbkit::util {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
  if (m_ctx == nullptr || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(m_ctx);
    throw Error(ErrorKind::internal, "OpenSSL: cannot initialise SHA-256");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(m_ctx); }

void Sha256::update(const void* data, std::size_t size) {
  if (EVP_DigestUpdate(m_ctx, data, size) != 1) {
    throw Error(ErrorKind::internal, "OpenSSL: SHA-256 update failed");
  }
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(m_ctx, out.data(), &len) != 1 || len != out.size()) {
    throw Error(ErrorKind::internal, "OpenSSL: SHA-256 final failed");
  }
  return out;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = k_digits[data[i] >> 4];
    out[2 * i + 1] = k_digits[data[i] & 0x0f];
  }
  return out;
}

FileDigest sha256_fd(int fd, const std::string& what, const std::function<void(const char*, std::size_t)>& observe) {
  constexpr std::size_t k_buf = 1u << 20;
  std::unique_ptr<char[]> buf(new char[k_buf]);
  Sha256 hash;
  FileDigest out;
  for (;;) {
    const ssize_t n = ::read(fd, buf.get(), k_buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(ErrorKind::io, what);
    if (n == 0) break;
    hash.update(buf.get(), static_cast<std::size_t>(n));
    if (observe) observe(buf.get(), static_cast<std::size_t>(n));
    out.size += static_cast<std::uint64_t>(n);
  }
  out.sha256 = to_hex(hash.finish());
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return to_hex(h.finish());
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

} // namespace cbkit::util
