#pragma once

// messages.json: the derived file of a `chat` entry (cbkit-messages.json(5)). The same
// Conversation and the same stored files give the same bytes, so verify can re-derive the
// file from the stored export and compare it with the recorded SHA-256.

#include "cbkit/chat/chat.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cbkit::chat {

// The version written in "format_version"; a change of layout increments it (verify only
// re-derives files of its own version).
inline constexpr std::uint64_t k_messages_format_version = 1;

// One file of the export as the entry stores it.
struct StoredExportFile {
  std::string rel;    // its path inside the export (ExportFile::rel)
  std::string path;   // where the entry stores it, relative to the entry folder ("export/_chat.txt")
  std::string sha256; // lowercase hex
  std::uint64_t size = 0;
};

// The text of messages.json for `c`: one JSON object, keys in a fixed order, one message per
// line, LF at the end. An attachment whose `rel` is one of `stored` carries that file's path,
// SHA-256 and size; one that resolved to no stored file is marked "missing": true.
std::string messages_json(const Conversation& c, const std::vector<StoredExportFile>& stored);

// The first and last resolved UTC time of `c` ("" when none resolved).
std::pair<std::string, std::string> utc_range(const Conversation& c);

} // namespace cbkit::chat
