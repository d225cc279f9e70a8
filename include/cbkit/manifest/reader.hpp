#pragma once

#include "cbkit/manifest/line.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace cbkit::manifest {

// Lines longer than this are not kept in memory (they are still hashed).
inline constexpr std::size_t k_max_line_bytes = 16u << 20;

// One physical line of the manifest, as stored.
struct RawLine {
  std::uint64_t index = 0; // position in the file, from 0
  std::string bytes;       // the line without its LF (empty when too_long)
  std::string sha256;      // lowercase hex SHA-256 of all the line's bytes without LF
  std::uint64_t size = 0;  // number of bytes without LF
  bool has_lf = true;      // false only for a torn last line
  bool too_long = false;   // more than k_max_line_bytes
};

// Streams the manifest line by line in constant memory (bounded by k_max_line_bytes).
class LineReader {
public:
  // Throws Error(case_) when the file cannot be opened.
  explicit LineReader(const std::filesystem::path& manifest);
  // Reads the next line; false at end of file.
  bool next(RawLine& line);

private:
  bool fill();

  util::UniqueFd m_fd;
  std::filesystem::path m_path;
  std::string m_buf;
  std::size_t m_pos = 0;
  bool m_eof = false;
  std::uint64_t m_index = 0;
};

// The last line, read from the end of the file without reading the rest.
struct Tail {
  std::uint64_t seq = 0;  // seq of the last line
  std::string head;       // SHA-256 of the last line's bytes (without LF)
  std::uint64_t size = 0; // file size in bytes
};

// Reads and checks the last line so that an append can continue the chain. Costs the same
// whatever the number of lines. Throws Error(case_) naming the manifest when the file is
// empty, the last line is torn (no LF) or is not a JSON object with an integer seq.
Tail read_tail(const std::filesystem::path& manifest);

// Parses a line's bytes into JSON (keys in stored order); nullopt when invalid, not an
// object or nested deeper than util::k_max_json_depth (checked before parsing, so a hostile
// line cannot exhaust the stack of whoever reads it). The one parser of manifest lines.
std::optional<Json> parse_line(const std::string& bytes);

} // namespace cbkit::manifest
