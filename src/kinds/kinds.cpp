// The table of entry kinds (see include/cbkit/kinds/kinds.hpp). One row per kind; the
// functions a row names are in this folder (summaries, timeline lines: one file per kind
// family) or in the area that owns the logic (verify/ for content checks).

#include "cbkit/kinds/kinds.hpp"

#include "../verify/capture_check.hpp"
#include "../verify/chat_check.hpp"
#include "../verify/seal_check.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/verify/token_check.hpp"
#include "view.hpp"

#include <array>

namespace cbkit::kinds {

namespace {

// Kinds with no content check of their own beyond the generic file hashes.
constexpr MakeCheck k_no_check = nullptr;

const std::array<Kind, 12> k_kinds = {{
    // name, area, summary, content check, timeline line
    {"case", k_evidence_area, summarize_case, k_no_check, timeline_case},
    {"file", k_evidence_area, summarize_file, k_no_check, timeline_files},
    {"note", k_evidence_area, summarize_note, k_no_check, timeline_note},
    {"email", k_evidence_area, summarize_email, k_no_check, timeline_email},
    {"web", k_evidence_area, summarize_web, verify::make_capture_check, timeline_web},
    {"timestamp", k_seals_area, summarize_timestamp, verify::make_timestamp_check, timeline_timestamp},
    {"report", k_evidence_area, summarize_report, k_no_check, timeline_report},
    {"seal", k_seals_area, summarize_seal, verify::make_seal_check, timeline_seal},
    {"person", k_evidence_area, summarize_person, k_no_check, timeline_person},
    {"call", k_evidence_area, summarize_call, k_no_check, timeline_call},
    {"checklist", k_evidence_area, summarize_checklist, k_no_check, timeline_checklist},
    {"chat", k_evidence_area, summarize_chat, verify::make_chat_check, timeline_chat},
}};

} // namespace

std::span<const Kind> all() { return k_kinds; }

const Kind* find(std::string_view name) {
  for (const Kind& k : k_kinds) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string area_of(std::string_view name) {
  const Kind* k = find(name);
  return std::string(k != nullptr ? k->area : k_evidence_area);
}

TimelineEvent timeline(const manifest::Json& line, const manifest::Json* derived, const Translator& t) {
  const Kind* k = find(str(line, "kind"));
  return (k != nullptr ? k->timeline : timeline_files)(line, derived, t);
}

std::string summarize(const manifest::Json& line, std::size_t width) {
  const Kind* k = find(str(line, "kind"));
  std::string s = k != nullptr ? k->summarize(line) : summarize_file(line);
  const manifest::Json& context = member(line, "context");
  if (!str(context, "kind").empty()) s = "[" + str(context, "kind") + "] " + s;
  if (!str(context, "note").empty()) s += " \xE2\x80\x94 " + str(context, "note");
  return util::one_line(s, width);
}

} // namespace cbkit::kinds
