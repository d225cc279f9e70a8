#include "cbkit/util/fs.hpp"

#include "cbkit/util/sha256.hpp"

#include <cerrno>
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cbkit::util {

void UniqueFd::reset(int fd) {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = fd;
}

bool send_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::size_t read_full(int fd, void* data, std::size_t size, const std::string& what, ErrorKind kind) {
  auto* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, p + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(kind, what);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

void write_all(int fd, const void* data, std::size_t size, const std::string& what, ErrorKind kind) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(kind, what);
    }
    if (n == 0) {
      errno = ENOSPC;
      throw_errno(kind, what);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

void fsync_or_throw(int fd, const std::string& what) {
  if (::fsync(fd) != 0) throw_errno(ErrorKind::io, what + ": fsync failed");
}

void fsync_dir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(ErrorKind::io, dir.string());
  fsync_or_throw(fd.get(), dir.string());
}

void sync_filesystem(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(ErrorKind::io, dir.string());
  if (::syncfs(fd.get()) != 0) throw_errno(ErrorKind::io, dir.string() + ": syncfs failed");
}

UniqueFd open_no_follow(const fs::path& path, int flags, unsigned mode, ErrorKind kind) {
  UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.valid()) return fd;
  const int e = errno;
  struct stat st {};
  if (e == ELOOP || (e == EEXIST && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))) {
    throw Error(ErrorKind::case_, path.string() + ": is a symbolic link; cbkit does not write through links in a case folder "
                                                  "(remove the link and run the command again)");
  }
  errno = e;
  throw_errno(kind, path.string());
}

UniqueFd scratch_file(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.valid()) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) throw_errno(ErrorKind::io, dir.string());
  const fs::path named = dir / (".scratch-" + random_hex(8));
  fd = open_no_follow(named, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (::unlink(named.c_str()) != 0) throw_errno(ErrorKind::io, named.string());
  return fd;
}

void write_file_atomic(const fs::path& path, std::string_view content, unsigned mode, bool replace) {
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const fs::path tmp = dir / ("." + path.filename().string() + ".tmp-" + random_hex(6));
  {
    UniqueFd fd = open_no_follow(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
    try {
      write_all(fd.get(), content.data(), content.size(), tmp.string());
      fsync_or_throw(fd.get(), tmp.string());
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  int rc = 0;
  if (replace) {
    rc = ::rename(tmp.c_str(), path.c_str());
  } else {
    // link()+unlink() instead of rename(): fails with EEXIST rather than replacing.
    rc = ::link(tmp.c_str(), path.c_str());
    if (rc == 0) ::unlink(tmp.c_str());
  }
  if (rc != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    throw_errno(ErrorKind::io, path.string());
  }
  fsync_dir(dir);
}

void remove_tree_forcibly(const fs::path& dir) noexcept {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return;
  ::chmod(dir.c_str(), 0755);
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0755);
  }
  fs::remove_all(dir, ec);
}

void make_read_only(const fs::path& path, bool is_dir) {
  if (::chmod(path.c_str(), is_dir ? 0555 : 0444) != 0) throw_errno(ErrorKind::io, path.string());
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw Error(ErrorKind::internal, "OpenSSL: no random bytes available");
  }
  return to_hex(buf.data(), buf.size());
}

FileLock::FileLock(const fs::path& lock_file, std::chrono::milliseconds timeout) {
  // O_NONBLOCK: a FIFO put in the lock's place must not hang the open.
  m_fd = open_no_follow(lock_file, O_RDWR | O_CREAT | O_NONBLOCK, 0644);
  struct stat st {};
  if (::fstat(m_fd.get(), &st) != 0) throw_errno(ErrorKind::io, lock_file.string());
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorKind::case_, lock_file.string() + ": is not a regular file; remove it and run the command again");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(2);
  while (::flock(m_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) throw_errno(ErrorKind::io, lock_file.string() + ": flock");
    throw_if_interrupted(lock_file.parent_path().string() + ": waiting for the case lock");
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(ErrorKind::locked, lock_file.parent_path().string() +
                                         ": the case is locked by another cbkit process; wait for it to finish or raise --lock-timeout");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(10));
  }
}

} // namespace cbkit::util
