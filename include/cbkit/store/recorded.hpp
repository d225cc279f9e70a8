#pragma once

// The one reader of recorded files for show, report and seal: a file that a manifest line
// records is read only when its path stays inside its kind's storage area
// (manifest::is_safe_entry_path), it is a regular file (no link followed), at most a given
// size, and its bytes have the recorded size and SHA-256. A hostile or damaged case can then
// neither make a reader leave the case nor feed it bytes other than the recorded ones.

#include "cbkit/manifest/line.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace cbkit::store {

struct RecordedBytes {
  std::optional<std::string> bytes; // the file, when every check held
  std::string problem;              // else why not, in words ("not the recorded SHA-256", ...)
};

// Reads `file` (an element of a line's "files", written by an entry of `kind`) under `root`.
// Never throws for a bad case: what is wrong is in `problem`.
RecordedBytes read_recorded(const std::filesystem::path& root, const manifest::Json& file, const std::string& kind, std::uint64_t max_size);

} // namespace cbkit::store
