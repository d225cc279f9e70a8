#pragma once

// What the JSON chat parsers (Telegram Desktop, Meta "Download your information") share:
// reading one export file with a size cap, UTC texts, and counting defects so that a
// problem repeated on every message is reported once with its count.

#include "cbkit/chat/chat.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::chat::detail {

// The largest JSON file a chat parser reads. The file is read whole and parsed into a DOM,
// which takes several times its size in memory; real exports stay far below (a Telegram
// chat of a million messages is about 300 MiB, Meta splits threads into 10 000-message
// files). A larger file is refused (Error input) rather than risking the memory.
inline constexpr std::uint64_t k_max_json_file = 512ULL * 1024 * 1024;

// The most messages one conversation holds; the rest is cut with a defect.
inline constexpr std::size_t k_max_messages = 2'000'000;

// The bytes of `file`. Throws Error(input) when it is larger than k_max_json_file or
// cannot be read.
std::string read_export_file(const ExportFile& file);

// Epoch seconds -> "YYYY-MM-DDTHH:MM:SSZ"; with `millis` (0-999) kept ->
// "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string utc_seconds_text(std::int64_t seconds);
std::string utc_millis_text(std::int64_t seconds, int millis);

// Counts defects by code: each code is reported once, with how often it happened and the
// first few places, so a file with a problem on every message gives one readable defect.
class DefectTally {
public:
  // Records one occurrence of `code`; `where` ("message 12") is kept for the first five.
  void add(const std::string& code, const std::string& what, const std::string& where);
  // Appends one Defect per code, in the order the codes first occurred.
  void flush(std::vector<Defect>& out) const;

private:
  struct Entry {
    std::string what;
    std::uint64_t count = 0;
    std::vector<std::string> places;
  };
  std::vector<std::string> m_order;
  std::map<std::string, Entry> m_entries;
};

// "a, b, c and 4 more": at most `max` names, for error messages.
std::string name_list(const std::vector<std::string>& names, std::size_t max = 10);

} // namespace cbkit::chat::detail
