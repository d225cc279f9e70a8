#include "cbkit/util/spawn.hpp"

#include "cbkit/util/fs.hpp"
#include "cbkit/util/time.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <mutex>
#include <spawn.h>
#include <string_view>
#include <unistd.h>

extern char** environ;

namespace cbkit::util {

pid_t spawn_process(const std::string& exe, const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    std::span<const int> fds, int& error) {
  // Every descriptor handed over is first copied above the child's targets, so no dup2
  // below lands on itself (which would leave FD_CLOEXEC set and the child without it).
  const int above = static_cast<int>(fds.size()) + 3;
  std::vector<UniqueFd> copies;
  for (const int fd : fds) {
    const int c = ::fcntl(fd, F_DUPFD_CLOEXEC, above);
    if (c < 0) {
      error = errno;
      return -1;
    }
    copies.emplace_back(c);
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  for (std::size_t i = 0; i < copies.size(); ++i)
    posix_spawn_file_actions_adddup2(&fa, copies[i].get(), static_cast<int>(i));
  posix_spawn_file_actions_addclosefrom_np(&fa, static_cast<int>(copies.size()));
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT})
    sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> a = argv, e = env;
  std::vector<char*> cargv, cenv;
  for (auto& s : a)
    cargv.push_back(s.data());
  cargv.push_back(nullptr);
  for (auto& s : e)
    cenv.push_back(s.data());
  cenv.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &fa, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    error = rc;
    return -1;
  }
  return pid;
}

std::vector<std::string> environment_without(std::span<const std::string_view> drop) {
  const std::lock_guard lock(environment_mutex()); // no $TZ switch while environ is read
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    const std::string_view name = v.substr(0, v.find('='));
    bool keep = true;
    for (const std::string_view d : drop)
      keep = keep && name != d;
    if (keep) env.emplace_back(v);
  }
  return env;
}

} // namespace cbkit::util
