#include "cbkit/error.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

namespace cbkit {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int sig) {
  g_interrupted = 1;
  // A second signal ends the process at once.
  std::signal(sig, SIG_DFL);
}
} // namespace

bool interrupted() { return g_interrupted != 0; }

void install_interrupt_handler() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

void throw_if_interrupted(const std::string& what) {
  if (interrupted()) throw Error(ErrorKind::interrupted, what + ": interrupted; nothing was recorded");
}

std::string errno_message(const std::string& subject, int errnum) { return subject + ": " + std::strerror(errnum); }

void throw_errno(ErrorKind kind, const std::string& subject) {
  const int errnum = errno;
  // A full disk is an I/O problem wherever it shows up, whatever the caller guessed.
  if (errnum == ENOSPC || errnum == EDQUOT) {
    throw Error(ErrorKind::io, errno_message(subject, errnum) + k_disk_full_not_recorded);
  }
  throw Error(kind, errno_message(subject, errnum));
}

} // namespace cbkit
