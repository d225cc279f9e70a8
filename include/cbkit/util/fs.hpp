#pragma once

#include "cbkit/error.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace cbkit::util {

namespace fs = std::filesystem;

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return m_fd; }
  bool valid() const { return m_fd >= 0; }
  int release() {
    const int fd = m_fd;
    m_fd = -1;
    return fd;
  }
  void reset(int fd = -1);

private:
  int m_fd = -1;
};

// Writes every byte or throws Error(kind) naming `what` (ENOSPC always maps to ErrorKind::io).
void write_all(int fd, const void* data, std::size_t size, const std::string& what, ErrorKind kind = ErrorKind::io);
// Sends every byte on a socket without raising SIGPIPE (MSG_NOSIGNAL); false, with errno
// set, when the peer is gone or the send fails (EAGAIN/EWOULDBLOCK: its SO_SNDTIMEO ran out).
bool send_all(int fd, const void* data, std::size_t size);
// Reads until `size` bytes are in `data` or the input ends; returns how many were read.
// Throws Error(kind) naming `what` when a read fails.
std::size_t read_full(int fd, void* data, std::size_t size, const std::string& what, ErrorKind kind = ErrorKind::io);

// fsync() a descriptor or throw Error(io) naming `what`.
void fsync_or_throw(int fd, const std::string& what);

// fsync() a folder so that renames and creations inside it are durable.
void fsync_dir(const fs::path& dir);

// syncfs() on the file system holding `dir`: makes every file written there durable.
void sync_filesystem(const fs::path& dir);

// Opens a file of a case folder without following a symbolic link in its last component:
// `flags` plus O_NOFOLLOW and O_CLOEXEC (callers that create a file pass O_CREAT | O_EXCL).
// Throws Error(case_) naming the path when it is a symbolic link (dangling or not), and
// Error(`kind`) with errno's message for any other failure.
UniqueFd open_no_follow(const fs::path& path, int flags, unsigned mode = 0, ErrorKind kind = ErrorKind::io);

// Creates `path` with `content` atomically: temporary file in the same folder, fsync,
// rename over `path` (which must not exist unless `replace`), fsync of the folder.
void write_file_atomic(const fs::path& path, std::string_view content, unsigned mode, bool replace = false);

// Removes a folder tree that cbkit itself created (clears read-only bits first).
// Never used on recorded evidence: only to roll back an append that did not commit.
void remove_tree_forcibly(const fs::path& dir) noexcept;

// Makes a file 0444 and a folder 0555 (stored evidence is read-only).
void make_read_only(const fs::path& path, bool is_dir);

// An unnamed scratch file in `dir` (O_TMPFILE; where the file system lacks it, a file
// created with a random name and unlinked at once): never visible in the folder, gone when
// the descriptor is closed, whatever happens. For bulky intermediate data that must not sit
// in memory (a decoded e-mail body, a parse copy).
UniqueFd scratch_file(const fs::path& dir);

// Random lowercase hex string of `bytes` random bytes (OpenSSL RAND).
std::string random_hex(std::size_t bytes);

// An exclusive flock() on a lock file, held until destruction. Waits up to `timeout`,
// then throws Error(locked). The lock file is opened with open_no_follow and must be a
// regular file: a symbolic link or anything else there is refused with Error(case_).
class FileLock {
public:
  FileLock(const fs::path& lock_file, std::chrono::milliseconds timeout);
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

private:
  UniqueFd m_fd;
};

} // namespace cbkit::util
