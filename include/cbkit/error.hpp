#pragma once

#include <stdexcept>
#include <string>

namespace cbkit {

// What went wrong, from the user's side. Each kind maps to one stable exit code
// (documented in cbkit(1)); scripts rely on these numbers, so never renumber them.
enum class ErrorKind {
  usage = 2,         // invalid option value or argument
  input = 3,         // an input file or text cannot be taken as evidence
  case_ = 4,         // no case, case exists, manifest torn or corrupt, no such entry
  locked = 5,        // another cbkit process holds the case lock
  io = 6,            // writing to the case failed (disk full, permissions)
  partial = 8,       // interrupted after some entries of a multi-entry command were committed
  unavailable = 69,  // a shared library the command needs cannot be loaded (EX_UNAVAILABLE)
  interrupted = 130, // SIGINT/SIGTERM arrived; the command rolled back
  internal = 70      // a bug
};

// The one exception type the core throws. The message is a single line that names the
// input and, where there is one, what the user can do about it.
class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}

  ErrorKind kind() const { return m_kind; }
  int exit_code() const { return static_cast<int>(m_kind); }

private:
  ErrorKind m_kind;
};

// Builds "<subject>: <strerror(errnum)>" for failed system calls.
std::string errno_message(const std::string& subject, int errnum);

// Set by the SIGINT/SIGTERM handler that cli::run installs; long loops poll it.
bool interrupted();
// Installs that handler (first signal: request a clean stop; the default action returns).
void install_interrupt_handler();
// Throws Error(interrupted) when a stop was requested.
void throw_if_interrupted(const std::string& what);

// Throws Error(kind, subject + ": " + strerror(errno)).
[[noreturn]] void throw_errno(ErrorKind kind, const std::string& subject);

// What throw_errno adds to a full-disk error: a step that appends to the case says the
// entry was not recorded; a caller that already recorded something replaces this text.
inline constexpr const char* k_disk_full_not_recorded = "; free space and run the command again (the entry being written was not recorded)";
inline constexpr const char* k_disk_full_hint = "; free space";

} // namespace cbkit
