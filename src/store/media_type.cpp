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
  std::unique_ptr<magic_set, MagicCloser> m(magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR));
  if (!m || magic_load(m.get(), nullptr) != 0) return k_unknown;
  if (size == 0) return "application/x-empty";
  const char* type = magic_buffer(m.get(), head, size);
  return type != nullptr ? type : k_unknown;
}

} // namespace cbkit::store
