#include "cbkit/store/media_type.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/spawn.hpp"

#include <magic.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

// libmagic runs in a helper process: cbkit's own binary, started again with
// CBKIT_MEDIA_TYPE_HELPER=1, which a constructor below turns into the helper before main().
// Why not in cbkit's process:
// - it parses hostile bytes (the evidence) with a long history of memory-safety and
//   run-time bugs; in the helper a crash, a hang or a runaway allocation costs the media
//   type of one file ("application/octet-stream"), never the command or the case;
// - matching an unknown file walks its whole database, about 6 MiB of pages, which would
//   otherwise stay in cbkit's process for the rest of the run (add-file's peak memory).
// The helper answers one request at a time over a socket pair: [u64 size][bytes] in,
// [u32 length][type] out. It is started on first use, serves the whole run, and is
// killed when the run ends.

namespace cbkit::store {

namespace {

constexpr const char* k_unknown = "application/octet-stream";
constexpr const char* k_helper_env = "CBKIT_MEDIA_TYPE_HELPER";
constexpr const char* k_helper_name = "cbkit-media-type";
// Far above any head cbkit passes (one copy block, 1 MiB); a bigger request is a bug.
constexpr std::uint64_t k_max_request = 16u << 20;
// The helper's address space: the binary, its libraries, the mapped database and one
// request, with room to spare; libmagic's own limits keep a normal file far below it.
constexpr rlim_t k_helper_address_space = 1024ull << 20;

struct MagicCloser {
  void operator()(magic_set* m) const { magic_close(m); }
};

// libmagic's answer for these bytes, its database loaded once per thread (a magic_set is
// not thread-safe). The helper's one way to answer; cbkit's own where no helper can start.
std::string detect_here(const void* head, std::size_t size) {
  thread_local const std::unique_ptr<magic_set, MagicCloser> m = [] {
    std::unique_ptr<magic_set, MagicCloser> h(magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR));
    if (h && magic_load(h.get(), nullptr) != 0) h.reset();
    return h;
  }();
  const char* type = m ? magic_buffer(m.get(), head, size) : nullptr;
  return type != nullptr ? type : k_unknown;
}

// ------------------------------------------------------------------ the helper process

[[noreturn]] void helper_main() {
  ::prctl(PR_SET_NAME, "cbkit-magic"); // its name in ps and top
  // No core file: its memory holds evidence bytes. A bounded address space, except under
  // the sanitizers, which reserve terabytes of shadow memory.
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  const rlimit space{k_helper_address_space, k_helper_address_space};
  ::setrlimit(RLIMIT_AS, &space);
#endif
  // The request socket ends, or a read fails: cbkit is gone or gave up on this helper.
  try {
    std::vector<char> buf;
    for (;;) {
      std::uint64_t size = 0;
      if (util::read_full(0, &size, sizeof size, "request") != sizeof size || size > k_max_request) break;
      buf.resize(static_cast<std::size_t>(size));
      if (util::read_full(0, buf.data(), buf.size(), "request") != buf.size()) break;
      const std::string answer = detect_here(buf.data(), buf.size());
      const auto length = static_cast<std::uint32_t>(answer.size());
      if (!util::send_all(0, &length, sizeof length) || !util::send_all(0, answer.data(), answer.size())) break;
    }
  } catch (...) {
  }
  ::_exit(0);
}

// Runs before main() in every program that links this file (glibc passes argc and argv to
// constructors). Only the helper has both marks that start() below gives it: the variable
// set to "1" and the program name; a variable left set in a user's shell does not turn
// cbkit into a helper.
__attribute__((constructor)) void become_helper_if_asked(int argc, char** argv) {
  const char* v = std::getenv(k_helper_env);
  if (v == nullptr || std::strcmp(v, "1") != 0 || argc != 1 || argv == nullptr || argv[0] == nullptr) return;
  if (std::strcmp(argv[0], k_helper_name) == 0) helper_main();
}

// ------------------------------------------------------------------ cbkit's side

class Helper {
public:
  ~Helper() { stop(); }

  std::string type_of(const void* head, std::size_t size) {
    const std::lock_guard lock(m_mutex);
    std::string answer;
    for (int attempt = 0; attempt < 2; ++attempt) {
      // No helper can be started (no /proc, no processes left): libmagic here, as cbkit
      // did before it had a helper; the type is right, only the isolation is lost.
      if (m_pid < 0 && !start()) return detect_here(head, size);
      const Outcome outcome = ask(head, size, answer);
      if (outcome == Outcome::answered) return answer;
      stop();
      // It hung on these bytes, or the run is being interrupted: their type is unknown.
      // It died or answered nonsense: once more with a new helper, as it may have died
      // before this request (killed by the system); a second failure is these bytes' doing.
      if (outcome != Outcome::failed) break;
    }
    return k_unknown;
  }

  int pid() {
    const std::lock_guard lock(m_mutex);
    return m_pid;
  }

  void set_program(const std::string& program) {
    const std::lock_guard lock(m_mutex);
    stop();
    m_program = program;
    m_cannot_start = false;
  }

  void set_timeout(int milliseconds) {
    const std::lock_guard lock(m_mutex);
    m_timeout_ms = milliseconds;
    if (m_sock.valid()) set_send_timeout();
  }

private:
  bool start() {
    if (m_cannot_start) return false;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
    util::UniqueFd mine(sv[0]);
    util::UniqueFd theirs(sv[1]);
    const util::UniqueFd devnull(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!devnull.valid()) return false;
    static constexpr std::string_view k_drop[] = {k_helper_env};
    std::vector<std::string> env = util::environment_without(k_drop);
    env.push_back(std::string(k_helper_env) + "=1");
    // The request socket on 0 (in and out), nothing on 1 and 2.
    const int fds[] = {theirs.get(), devnull.get(), devnull.get()};
    int error = 0;
    const pid_t pid = util::spawn_process(m_program, {k_helper_name}, env, fds, error);
    if (pid < 0) {
      // No /proc (a bare chroot) or no such program: not again for every file of the run.
      // A passing shortage (EAGAIN, EMFILE) is tried again with the next file.
      if (error == ENOENT || error == EACCES || error == ENOEXEC || error == ENOSYS) m_cannot_start = true;
      return false;
    }
    m_pid = pid;
    m_sock = std::move(mine);
    set_send_timeout();
    return true;
  }

  // A helper that stops reading (stopped, or stuck) cannot block a request either.
  void set_send_timeout() {
    const timeval send_timeout{m_timeout_ms / 1000, (m_timeout_ms % 1000) * 1000};
    ::setsockopt(m_sock.get(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  }

  enum class Outcome { answered, failed, timed_out, interrupted };

  Outcome ask(const void* head, std::size_t size, std::string& answer) {
    const std::uint64_t n = size;
    if (n > k_max_request) return Outcome::timed_out; // never sent: no retry either
    if (!util::send_all(m_sock.get(), &n, sizeof n) || !util::send_all(m_sock.get(), head, size)) {
      return errno == EAGAIN || errno == EWOULDBLOCK ? Outcome::timed_out : Outcome::failed;
    }
    std::uint32_t length = 0;
    if (const Outcome o = receive(&length, sizeof length); o != Outcome::answered) return o;
    if (length == 0 || length > 255) return Outcome::failed;
    answer.assign(length, '\0');
    if (const Outcome o = receive(answer.data(), length); o != Outcome::answered) return o;
    // A media type is printable ASCII; anything else is not an answer to trust.
    for (const char ch : answer) {
      if (ch <= 0x20 || ch >= 0x7f) return Outcome::failed;
    }
    return Outcome::answered;
  }

  // Reads n bytes, waiting at most m_timeout_ms in all.
  Outcome receive(void* p, std::size_t n) {
    auto* c = static_cast<char*>(p);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_timeout_ms);
    while (n > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return Outcome::timed_out;
      pollfd pfd{m_sock.get(), POLLIN, 0};
      const int r = ::poll(&pfd, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) {
        if (interrupted()) return Outcome::interrupted; // Ctrl-C: the caller rolls back now
        continue;
      }
      if (r == 0) return Outcome::timed_out;
      if (r < 0) return Outcome::failed;
      const ssize_t got = ::recv(m_sock.get(), c, n, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Outcome::failed;
      c += got;
      n -= static_cast<std::size_t>(got);
    }
    return Outcome::answered;
  }

  void stop() {
    m_sock.reset();
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      while (::waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    m_pid = -1;
  }

  std::mutex m_mutex;
  pid_t m_pid = -1;
  util::UniqueFd m_sock;
  bool m_cannot_start = false;
  std::string m_program = "/proc/self/exe";
  int m_timeout_ms = 20000;
};

Helper& helper() {
  static Helper h;
  return h;
}

} // namespace

std::string media_type_of(const void* head, std::size_t size) {
  if (size == 0) return "application/x-empty";
  return helper().type_of(head, size);
}

namespace detail {
int media_type_helper_pid() { return helper().pid(); }
void set_media_type_timeout(int milliseconds) { helper().set_timeout(milliseconds); }
void set_media_type_helper_program(const std::string& program) { helper().set_program(program); }
} // namespace detail

} // namespace cbkit::store
