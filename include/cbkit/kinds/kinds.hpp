#pragma once

// What a kind of entry is, in one table (src/kinds/kinds.cpp): its storage area, its verify
// content check, its one-line summary for `log`/`show`, and its line in the report's
// timeline. Everything that treats entries by kind looks the kind up here; adding a kind
// adds a row to that table and the kind's own functions in its folder, nothing else.
//
// Unknown kinds (written by a newer cbkit, or by hand) are not an error for readers: they
// get the generic behaviour (evidence/ area, no content check, a summary from their files).

#include "cbkit/manifest/line.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::verify {
class EntryCheck;
struct Finding;
struct Options;
} // namespace cbkit::verify

namespace cbkit::kinds {

// The storage areas of a case (DESIGN: evidence/ for what was collected, seals/ for what
// witnesses the log itself).
inline constexpr std::string_view k_evidence_area = "evidence";
inline constexpr std::string_view k_seals_area = "seals";

// A translation lookup for report hooks: key -> text in the report's language, with its
// {1}, {2}, ... placeholders replaced by args[0], args[1], ... (as report::trf does).
struct Translator {
  virtual ~Translator() = default;
  virtual std::string text(const std::string& key, const std::vector<std::string>& args) const = 0;
};

// The kind's line in the report's timeline.
struct TimelineEvent {
  std::string what;   // already translated, one line
  std::string utc;    // a better time than the line's own, when the evidence carries one
  std::string source; // translation key saying where `utc` comes from (src_email_date, ...)
};

using Summarize = std::string (*)(const manifest::Json& line);
using MakeCheck = std::unique_ptr<verify::EntryCheck> (*)(const manifest::Json& line, std::uint64_t seq, const verify::Options& options,
                                                          std::vector<verify::Finding>& out);
// `derived` is the entry's derived file (headers.json, capture.json) when the report could
// read it intact, else nullptr.
using Timeline = TimelineEvent (*)(const manifest::Json& line, const manifest::Json* derived, const Translator& t);

struct Kind {
  std::string_view name;
  std::string_view area; // k_evidence_area or k_seals_area
  Summarize summarize;   // one line, in words, from the line alone (never null)
  MakeCheck make_check;  // the content check, or nullptr when the generic checks suffice
  Timeline timeline;     // the report's timeline line
};

// Every known kind, in the order they were introduced.
std::span<const Kind> all();

// The kind named `name`, or nullptr when unknown.
const Kind* find(std::string_view name);

// The storage area of `name` (unknown kinds: evidence).
std::string area_of(std::string_view name);

// The kind's line in the report's timeline (unknown kinds: the names of their files).
TimelineEvent timeline(const manifest::Json& line, const manifest::Json* derived, const Translator& t);

// The one-line summary of a line for `log` and `show`: the kind's words, prefixed with the
// collector's [context kind] and followed by the context note, cut to `width` characters.
std::string summarize(const manifest::Json& line, std::size_t width = 100);

} // namespace cbkit::kinds
