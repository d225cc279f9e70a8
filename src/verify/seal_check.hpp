#pragma once

#include "cbkit/verify/entry_check.hpp"

namespace cbkit::verify {

// The content check of a `seal` line (see seal_check.cpp); reports seal-invalid and returns
// nullptr when the line's seal object is unusable.
std::unique_ptr<EntryCheck> make_seal_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                            std::vector<Finding>& out);

} // namespace cbkit::verify
