#include "cbkit/store/recorded.hpp"

#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::store {

RecordedBytes read_recorded(const std::filesystem::path& root, const manifest::Json& file, const std::string& kind,
                            std::uint64_t max_size) {
  RecordedBytes out;
  if (!file.is_object() || !file.contains("path") || !file["path"].is_string() || !file.contains("size") ||
      !file["size"].is_number_unsigned() || !file.contains("sha256") || !file["sha256"].is_string()) {
    out.problem = "not a valid file record (path, sha256, size)";
    return out;
  }
  const std::string path = file["path"].get<std::string>();
  if (!manifest::is_safe_entry_path(path, kinds::area_of(kind))) {
    out.problem = "recorded path leaves the " + kinds::area_of(kind) + "/ folder";
    return out;
  }
  const auto size = file["size"].get<std::uint64_t>();
  if (size > max_size) {
    out.problem = "larger than " + std::to_string(max_size) + " bytes";
    return out;
  }
  const std::filesystem::path abs = root / path;
  util::UniqueFd fd(::open(abs.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    out.problem = "missing or not a regular file";
    return out;
  }
  if (static_cast<std::uint64_t>(st.st_size) != size) {
    out.problem = "not the recorded size";
    return out;
  }
  std::string bytes(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd.get(), bytes.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out.problem = "cannot be read";
      return out;
    }
    got += static_cast<std::size_t>(n);
  }
  if (util::sha256_hex(bytes) != file["sha256"].get<std::string>()) {
    out.problem = "not the recorded SHA-256";
    return out;
  }
  out.bytes = std::move(bytes);
  return out;
}

} // namespace cbkit::store
