// The `chat` kind (add-chat): its summary and its line in the report's timeline, from the
// line's "chat" object alone.

#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "view.hpp"

namespace cbkit::kinds {

namespace {

// "1 204": thousands set apart by a space, as the summary shows counts.
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ' ';
    out += digits[i];
  }
  return out;
}

// A recorded UTC time shown in `zone` ("2026-11-20 21:14 +01:00"), or in UTC when there is no
// zone; "?" when the time is missing or not one.
std::string local_time(const std::string& utc, const std::string& zone) {
  const auto t = util::parse_rfc3339(utc);
  if (!t) return "?";
  if (zone.empty() || !util::is_known_timezone(zone)) return utc.substr(0, 10) + " " + utc.substr(11, 5) + " UTC";
  const std::string s = util::format_in_zone(t->epoch_seconds, zone); // "2026-11-22 08:01:02 +01:00 (Europe/Brussels)"
  return s.size() >= 26 ? s.substr(0, 16) + s.substr(19, 7) : s;
}

// More than `max` names end with "+N" and `more` ("more" in English; nothing in the
// translated report, where "+N" reads the same in every language).
std::string participants_text(const Json& list, std::size_t max, const std::string& more = " more") {
  std::vector<std::string> names;
  if (list.is_array()) {
    for (const Json& p : list) {
      if (names.size() == max) {
        names.push_back("+" + std::to_string(list.size() - max) + more);
        break;
      }
      names.push_back(scalar(p));
    }
  }
  return util::join(names, ", ");
}

std::string zone_words(const Json& c) {
  const std::string zone = str(c, "zone");
  if (zone.empty()) return "UTC from the export";
  const std::string source = str(c, "zone_source");
  return zone + (source == "option" ? ", --tz" : source == "case-zone" ? ", case zone" : source.empty() ? "" : ", " + source);
}

} // namespace

std::string summarize_chat(const Json& line) {
  const Json& c = member(line, "chat");
  const Json& participants = member(c, "participants");
  const std::size_t n = participants.is_array() ? participants.size() : 0;
  const std::uint64_t count = util::unsigned_field(c, "message_count").value_or(0);
  const std::string zone = str(c, "zone");
  const auto date = [&](const char* key) {
    const std::string t = local_time(str(c, key), zone);
    return t == "?" ? t : t.substr(0, 10);
  };
  std::string s = str(c, "platform") + " chat, " + std::to_string(n) + " participant" + (n == 1 ? "" : "s");
  if (n > 0) s += " (" + participants_text(participants, 5) + ")";
  s += ", " + grouped(count) + " message" + (count == 1 ? "" : "s") + ", " + date("first_utc") + " .. " + date("last_utc") + " (" +
       zone_words(c) + ")";
  return s;
}

TimelineEvent timeline_chat(const Json& line, const Json*, const Translator& t) {
  TimelineEvent ev;
  const Json& c = member(line, "chat");
  const std::string first = str(c, "first_utc");
  if (!first.empty() && util::parse_rfc3339(first)) {
    ev.utc = first;
    ev.source = "src_chat_first";
  }
  const std::string zone = str(c, "zone");
  ev.what = t.text("ev_chat", {str(c, "platform"), util::one_line(participants_text(member(c, "participants"), 3, ""), 60),
                               grouped(util::unsigned_field(c, "message_count").value_or(0)), local_time(first, zone),
                               local_time(str(c, "last_utc"), zone)});
  return ev;
}

} // namespace cbkit::kinds
