#include "cbkit/error.hpp"

#include <cerrno>
#include <cstring>

namespace cbkit {

std::string errno_message(const std::string& subject, int errnum) { return subject + ": " + std::strerror(errnum); }

void throw_errno(ErrorKind kind, const std::string& subject) {
  const int errnum = errno;
  // A full disk is an I/O problem wherever it shows up, whatever the caller guessed.
  if (errnum == ENOSPC || errnum == EDQUOT) {
    throw Error(ErrorKind::io, errno_message(subject, errnum) + "; free space and run the command again (nothing was recorded)");
  }
  throw Error(kind, errno_message(subject, errnum));
}

} // namespace cbkit
