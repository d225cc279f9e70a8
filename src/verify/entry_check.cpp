#include "cbkit/verify/entry_check.hpp"

namespace cbkit::verify {

std::unique_ptr<EntryCheck> make_entry_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                             std::vector<Finding>& out) {
  (void)seq;
  (void)options;
  (void)out;
  if (!line.contains("kind") || !line["kind"].is_string()) return nullptr;
  // Each kind with content checks adds its factory here.
  return nullptr;
}

} // namespace cbkit::verify
