#include "cbkit/verify/entry_check.hpp"

#include "cbkit/kinds/kinds.hpp"

namespace cbkit::verify {

std::unique_ptr<EntryCheck> make_entry_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                             std::vector<Finding>& out) {
  if (!line.contains("kind") || !line["kind"].is_string()) return nullptr;
  // A kind's content check is named by its row in the table of kinds.
  const kinds::Kind* kind = kinds::find(line["kind"].get<std::string>());
  return kind != nullptr && kind->make_check != nullptr ? kind->make_check(line, seq, options, out) : nullptr;
}

} // namespace cbkit::verify
