#pragma once

#include "cbkit/verify/entry_check.hpp"

namespace cbkit::verify {

// The content check of a "web" entry (capture-url). Adds the warnings that the line alone
// shows: capture-insecure, capture-incomplete, capture-truncated.
std::unique_ptr<EntryCheck> make_capture_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                               std::vector<Finding>& out);

} // namespace cbkit::verify
