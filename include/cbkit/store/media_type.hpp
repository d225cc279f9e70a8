#pragma once

#include <cstddef>
#include <string>

namespace cbkit::store {

// The media type (e.g. "image/jpeg") of content that starts with `head`, by libmagic;
// "application/octet-stream" when it cannot tell. libmagic runs in a helper process
// (cbkit's binary started again, once per run): a crash, a hang (20 s) or a runaway
// allocation in it on hostile bytes makes that one type "application/octet-stream" and
// costs nothing else. Where no helper can be started (no /proc), libmagic runs in this
// process as it did before, without that isolation. Thread-safe (one request at a time).
std::string media_type_of(const void* head, std::size_t size);

namespace detail {
// For tests: the helper's process id (-1 when none runs), its answer deadline, and the
// program started as the helper (normally /proc/self/exe; stops the running helper).
int media_type_helper_pid();
void set_media_type_timeout(int milliseconds);
void set_media_type_helper_program(const std::string& program);
} // namespace detail

} // namespace cbkit::store
