// libFuzzer target: verify_archive on the input as an archive file (tar, compressed tar or
// zip; the zip layout check included), as `cbkit verify ARCHIVE` runs it. The input is
// put in an anonymous memory file and opened through /proc/self/fd, so nothing is written
// to disk. Verify must report, never crash, hang or leak, whatever the bytes.
#include "cbkit/error.hpp"
#include "cbkit/verify/verify.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = [] {
    const int f = ::memfd_create("fuzz_archive", MFD_CLOEXEC);
    if (f < 0) std::abort();
    return f;
  }();
  if (::ftruncate(fd, 0) != 0) std::abort();
  std::size_t done = 0;
  while (done < size) {
    const ssize_t w = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (w <= 0) std::abort();
    done += static_cast<std::size_t>(w);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const cbkit::verify::Report r = cbkit::verify::verify_archive(path, cbkit::verify::Options{});
    (void)r.ok();
  } catch (const cbkit::Error&) {
    // Reported errors (unreadable input) are fine.
  }
  return 0;
}
