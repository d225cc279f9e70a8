#include "cbkit/store/media_type.hpp"

#include <magic.h>
#include <memory>

namespace cbkit::store {

namespace {
struct MagicCloser {
  void operator()(magic_set* m) const { magic_close(m); }
};
} // namespace

std::string media_type_of(const void* head, std::size_t size) {
  static constexpr const char* k_unknown = "application/octet-stream";
  if (size == 0) return "application/x-empty";
  // Loading the magic database costs milliseconds: do it once per thread (a magic_set is
  // not thread-safe, so no sharing across threads).
  thread_local const std::unique_ptr<magic_set, MagicCloser> m = [] {
    std::unique_ptr<magic_set, MagicCloser> h(magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR));
    if (h && magic_load(h.get(), nullptr) != 0) h.reset();
    return h;
  }();
  if (!m) return k_unknown;
  const char* type = magic_buffer(m.get(), head, size);
  return type != nullptr ? type : k_unknown;
}

} // namespace cbkit::store
