#pragma once

#include "cbkit/verify/entry_check.hpp"

namespace cbkit::verify {

// The content check of a "chat" entry (add-chat): messages.json is re-derived from the stored
// export files with the options the line records and must have the recorded SHA-256
// (finding chat-messages-differ; chat-rederive-failed when the export no longer parses).
std::unique_ptr<EntryCheck> make_chat_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                            std::vector<Finding>& out);

} // namespace cbkit::verify
