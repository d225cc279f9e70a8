#include "browser_process.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/spawn.hpp"
#include "cbkit/util/text.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace cbkit::capture {

namespace fs = std::filesystem;

namespace {

std::string lossy(const fs::path& p) { return util::utf8_lossy(p.string()); }

} // namespace

fs::path make_temp_dir(const char* prefix, const char* parent) {
  const char* tmp = parent != nullptr ? parent : std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw_errno(ErrorKind::io, "creating a temporary folder " + templ);
  return templ;
}

std::string last_log_line(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  std::string line, last, fatal;
  while (std::getline(in, line)) {
    // The Debian wrapper script's shell noise and crash-reporter chatter are not the reason.
    if (line.find_first_not_of(" \t\r") == std::string::npos || line.find("unexpected operator") != std::string::npos ||
        line.find("crashpad") != std::string::npos)
      continue;
    last = line;
    if (line.find(":FATAL:") != std::string::npos) fatal = line;
  }
  if (!fatal.empty()) last = fatal;
  if (last.size() > 300) last = last.substr(0, 300) + "...";
  return util::utf8_lossy(last);
}

std::vector<std::string> proc_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> out;
  std::string arg;
  while (std::getline(in, arg, '\0'))
    out.push_back(util::utf8_lossy(arg));
  return out;
}

BrowserProcess::BrowserProcess(const fs::path& exe, std::vector<std::string> args, std::function<void(const fs::path&)> prepare)
    : m_exe(exe), m_args(std::move(args)), m_prepare(std::move(prepare)) {
  m_temp = make_temp_dir("cbkit-browser");
  try {
    start();
  } catch (...) {
    stop();
    throw;
  }
}

bool BrowserProcess::exited() {
  if (m_pid <= 0) return true;
  int status = 0;
  const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
  if (r == m_pid) {
    m_status = status;
    m_reaped = true;
    return true;
  }
  return false;
}

std::string BrowserProcess::exit_description() {
  if (!m_reaped) return "still running";
  if (WIFEXITED(m_status)) return "exited with status " + std::to_string(WEXITSTATUS(m_status));
  if (WIFSIGNALED(m_status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(m_status));
  return "ended";
}

void BrowserProcess::stop() noexcept {
  if (m_pid > 0) {
    ::kill(-m_pid, SIGKILL);
    if (!m_reaped) {
      int status = 0;
      while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
      }
      m_reaped = true;
      m_status = status;
    }
    // Renderer, GPU and zygote processes are in the same group (they were not given
    // their own session); they may outlive the leader by a moment.
    for (int i = 0; i < 200 && ::kill(-m_pid, SIGKILL) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    m_pid = -1;
  }
  m_sock.reset();
  if (!m_temp.empty()) {
    util::remove_tree_forcibly(m_temp);
    if (!m_short_tmp.empty()) util::remove_tree_forcibly(m_short_tmp);
    m_short_tmp.clear();
    m_temp.clear();
  }
}

void BrowserProcess::start() {
  const fs::path profile = m_temp / "profile";
  const fs::path home = m_temp / "home";
  // Chromium puts its singleton socket in $TMPDIR; a socket path is limited to 107 bytes
  // and the browser aborts beyond it, so a long $TMPDIR gets a short folder in /tmp.
  fs::path tmp = m_temp / "tmp";
  if (tmp.string().size() > 60) {
    m_short_tmp = make_temp_dir("cbkit-btmp", "/tmp");
    tmp = m_short_tmp;
  } else {
    fs::create_directories(tmp);
  }
  fs::create_directories(profile);
  if (m_prepare) m_prepare(profile);
  fs::create_directories(home);
  m_log = m_temp / "browser.log";

  m_argv.push_back(m_exe.string());
  m_argv.push_back("--user-data-dir=" + profile.string());
  for (auto& a : m_args)
    m_argv.push_back(a);

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno(ErrorKind::io, "socketpair for the browser");
  m_sock = util::UniqueFd(sv[0]);
  const util::UniqueFd child_sock(sv[1]);
  const util::UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull.valid()) throw_errno(ErrorKind::io, "/dev/null");
  const util::UniqueFd log(::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!log.valid()) throw_errno(ErrorKind::io, lossy(m_log));

  // The environment, with HOME, TMPDIR and the XDG folders inside the temporary folder so
  // the browser leaves nothing behind (NSS database, caches, its singleton socket folder)
  // even when it is killed.
  static constexpr std::string_view k_private[] = {"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "TMPDIR"};
  std::vector<std::string> env = util::environment_without(k_private);
  env.push_back("HOME=" + home.string());
  env.push_back("XDG_CONFIG_HOME=" + (home / ".config").string());
  env.push_back("XDG_CACHE_HOME=" + (home / ".cache").string());
  env.push_back("XDG_DATA_HOME=" + (home / ".local/share").string());
  env.push_back("TMPDIR=" + tmp.string());

  // stdin /dev/null, stdout and stderr the log, the DevTools pipe on 3 (in) and 4 (out).
  const int fds[] = {devnull.get(), log.get(), log.get(), child_sock.get(), child_sock.get()};
  int error = 0;
  const pid_t pid = util::spawn_process(m_exe.string(), m_argv, env, fds, error);
  if (pid < 0) throw Error(ErrorKind::input, errno_message("starting the browser " + lossy(m_exe), error));
  m_pid = pid;
}

} // namespace cbkit::capture
