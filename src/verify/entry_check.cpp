#include "cbkit/verify/entry_check.hpp"

#include "capture_check.hpp"
#include "cbkit/verify/token_check.hpp"
#include "seal_check.hpp"

namespace cbkit::verify {

std::unique_ptr<EntryCheck> make_entry_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                             std::vector<Finding>& out) {
  (void)seq;
  (void)options;
  (void)out;
  if (!line.contains("kind") || !line["kind"].is_string()) return nullptr;
  // Each kind with content checks adds its factory here.
  if (line["kind"] == "web") return make_capture_check(line, seq, options, out);
  if (line["kind"] == "seal") return make_seal_check(line, seq, options, out);
  if (line["kind"] == "timestamp") return make_timestamp_check(line, seq, options, out);
  return nullptr;
}

} // namespace cbkit::verify
