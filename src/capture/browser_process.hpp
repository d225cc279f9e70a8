#pragma once

// Private to capture/: the headless browser as a process. Spawned in its own process
// group with a fresh profile, HOME, TMPDIR and XDG folders in a temporary folder, stdin on
// /dev/null, stdout and stderr into a log file, and one end of a socket pair on fds 3 and 4
// (Chromium's --remote-debugging-pipe). Whatever happens, the whole group is killed and
// the temporary folder removed (stop(), also run by the destructor).

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cbkit/util/fs.hpp"

namespace cbkit::capture {

// A new folder "<prefix>-XXXXXX" in `parent`, else in $TMPDIR, else in /tmp.
// Throws Error(io) naming the template when it cannot be made.
std::filesystem::path make_temp_dir(const char* prefix, const char* parent = nullptr);

// The line of the browser's log that says why it ended: its last ":FATAL:" line, else its
// last line that is not shell or crash-reporter noise; cut at 300 bytes, UTF-8. Empty when
// the log is empty or unreadable.
std::string last_log_line(const std::filesystem::path& log);

// The NUL-separated argv of /proc/<pid>/cmdline (the real browser's, after the Debian
// wrapper script exec'ed it with the flags of /etc/chromium.d); empty when unreadable.
std::vector<std::string> proc_cmdline(pid_t pid);

// A headless browser in its own process group, talking CDP over a socket pair on fds
// 3 (browser reads) and 4 (browser writes). The destructor kills the whole group and
// removes the profile folder, whatever happened before.
class BrowserProcess {
public:
  // Starts `exe` with "--user-data-dir=<profile>" followed by `args`. `prepare`, when
  // given, fills the empty profile folder first (--browser-profile: a copy of the user's);
  // what it throws is thrown. Throws Error(io) when the temporary folder, socket pair or
  // log cannot be made, Error(input) when the program cannot be started; nothing is left
  // behind then.
  BrowserProcess(const std::filesystem::path& exe, std::vector<std::string> args,
                 std::function<void(const std::filesystem::path&)> prepare = {});
  ~BrowserProcess() { stop(); }
  BrowserProcess(const BrowserProcess&) = delete;
  BrowserProcess& operator=(const BrowserProcess&) = delete;

  // cbkit's end of the socket pair; -1 after stop().
  int fd() const { return m_sock.get(); }
  pid_t pid() const { return m_pid; }
  const std::filesystem::path& log_file() const { return m_log; }
  // The command line as started (program, --user-data-dir, args).
  const std::vector<std::string>& argv() const { return m_argv; }

  // True when the browser process has exited (reaped here).
  bool exited();
  // "exited with status N", "killed by signal NAME", "still running" (not reaped yet).
  std::string exit_description();

  // Kills the process group (SIGKILL), reaps the leader, then waits (up to 2 s) until
  // no process of the group is left, and removes the temporary folder. Idempotent.
  void stop() noexcept;

private:
  void start();

  std::filesystem::path m_exe;
  std::vector<std::string> m_args;
  std::function<void(const std::filesystem::path&)> m_prepare;
  std::vector<std::string> m_argv;
  std::filesystem::path m_temp;
  std::filesystem::path m_short_tmp;
  std::filesystem::path m_log;
  util::UniqueFd m_sock;
  pid_t m_pid = -1;
  bool m_reaped = false;
  int m_status = 0;
};

} // namespace cbkit::capture
