#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace cbkit::util {

using Digest = std::array<std::uint8_t, 32>;

// Incremental SHA-256 over OpenSSL EVP. Feed bytes with update(), then call finish() once.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Returns the digest; the object must not be used afterwards.
  Digest finish();

private:
  evp_md_ctx_st* m_ctx;
};

// Size and SHA-256 of everything read from `fd` until end of file (1 MiB buffer).
struct FileDigest {
  std::uint64_t size = 0;
  std::string sha256;
};
// Throws Error(io) naming `what` when a read fails. `observe`, when given, sees every chunk
// read (in order) so another check can run in the same pass.
FileDigest sha256_fd(int fd, const std::string& what, const std::function<void(const char*, std::size_t)>& observe = {});

// Lowercase hex of bytes.
std::string to_hex(const std::uint8_t* data, std::size_t size);
inline std::string to_hex(const Digest& d) { return to_hex(d.data(), d.size()); }

// Lowercase hex SHA-256 of a byte string.
std::string sha256_hex(std::string_view bytes);

// True when s is exactly 64 lowercase hex digits.
bool is_sha256_hex(std::string_view s);

} // namespace cbkit::util
