#pragma once

// Starting a helper program (the browser, libmagic's helper) the one way cbkit does it:
// posix_spawn, chosen descriptors only, a process group of its own, default signals.

#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace cbkit::util {

// Starts `exe` with `argv` and `env` (no shell, no PATH search). The child's descriptor i
// is fds[i] (i = 0, 1, ...); every other descriptor is closed in it. It runs in a process
// group of its own (a Ctrl-C on the terminal reaches cbkit only, which ends the child; one
// kill(-pid) ends the child with all its own children), with no signal blocked and the
// termination signals (INT, TERM, PIPE, HUP, QUIT) at their default action. Returns the
// child's pid, or -1 with the posix_spawn error in `error` (nothing is thrown: callers differ
// in what a failure means).
pid_t spawn_process(const std::string& exe, const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    std::span<const int> fds, int& error);

// The environment of this process without the variables whose names `drop` lists, for a
// child's env: NAME=value strings.
std::vector<std::string> environment_without(std::span<const std::string_view> drop);

} // namespace cbkit::util
