// The kinds that state structured facts: person, call, checklist decisions.

#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "view.hpp"

namespace cbkit::kinds {

namespace {

// "a, b, c" of the strings of an array (others skipped).
std::string joined(const Json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const Json& v : list) {
    if (!v.is_string()) continue;
    out += (out.empty() ? "" : ", ") + v.get<std::string>();
  }
  return out;
}

// The number of a call's side, or that it was withheld / unknown (in the report's language
// when `t` is given).
std::string call_party(const Json& side, const Translator* t = nullptr) {
  if (member(side, "withheld") == true) return t != nullptr ? t->text("call_withheld", {}) : "withheld number";
  if (member(side, "unknown") == true) return t != nullptr ? t->text("call_unknown", {}) : "unknown number";
  const Json& n = member(side, "number");
  return str(n, "e164").empty() ? str(n, "as_typed") : str(n, "e164");
}

// The identifiers of a person entry, comma-separated.
std::string person_identifiers(const Json& p) {
  std::string ids = joined(member(p, "names"));
  const auto add = [&ids](const std::string& v) {
    if (!v.empty()) ids += (ids.empty() ? "" : ", ") + v;
  };
  add(joined(member(p, "emails")));
  if (member(p, "phones").is_array()) {
    for (const Json& ph : member(p, "phones"))
      add(str(ph, "e164").empty() ? str(ph, "as_typed") : str(ph, "e164"));
  }
  if (member(p, "accounts").is_array()) {
    for (const Json& a : member(p, "accounts"))
      add(str(a, "platform") + " " + (str(a, "id").empty() ? str(a, "url") : str(a, "id")));
  }
  add(joined(member(p, "handles")));
  add(joined(member(p, "profile_urls")));
  return ids;
}

} // namespace

std::string summarize_person(const Json& line) {
  const Json& p = member(line, "person");
  const std::string s = member(p, "adds_to").is_null() ? str(p, "role") : "adds to person " + scalar(member(p, "adds_to")) + ":";
  const std::string ids = person_identifiers(p);
  return s + (ids.empty() ? "" : " " + ids);
}

std::string summarize_call(const Json& line) {
  const Json& c = member(line, "call");
  std::string s = str(c, "direction") + " call from " + call_party(member(c, "from")) + " to " + call_party(member(c, "to")) + " at " +
                  str(member(c, "at"), "as_typed");
  const std::string duration = scalar(member(c, "duration_seconds"));
  if (!duration.empty()) s += ", " + duration + " s";
  if (!str(c, "sms").empty()) s += ", SMS: " + str(c, "sms");
  if (!str(c, "recording").empty()) s += ", recorded";
  return s;
}

std::string summarize_checklist(const Json& line) {
  const Json& d = member(line, "checklist");
  return "checklist point " + scalar(member(d, "point")) + ": " + str(d, "status") + " \xE2\x80\x94 " + str(d, "because");
}

TimelineEvent timeline_person(const Json& line, const Json*, const Translator& t) {
  const Json& p = member(line, "person");
  std::string who;
  if (!member(p, "adds_to").is_null()) {
    who = t.text("role_other", {}) + " #" + scalar(member(p, "adds_to"));
  } else {
    const std::string role = str(p, "role");
    const bool known = role == "victim" || role == "suspect" || role == "witness" || role == "reporter";
    who = t.text(known ? "role_" + role : "role_other", {});
  }
  const std::string ids = person_identifiers(p);
  return {t.text("ev_person", {util::one_line(who + (ids.empty() ? "" : " \xE2\x80\x94 " + ids), 90)}), "", ""};
}

TimelineEvent timeline_call(const Json& line, const Json*, const Translator& t) {
  TimelineEvent ev;
  const Json& c = member(line, "call");
  // The call's own time is the better witness than when it was recorded.
  const std::string utc = str(member(c, "at"), "utc");
  if (!utc.empty() && util::parse_rfc3339(utc)) {
    ev.utc = utc;
    ev.source = "src_call_time";
  }
  ev.what = t.text("ev_call", {str(c, "direction") == "outgoing" ? t.text("call_outgoing", {}) : t.text("call_incoming", {}),
                               call_party(member(c, "from"), &t), call_party(member(c, "to"), &t)});
  return ev;
}

TimelineEvent timeline_checklist(const Json& line, const Json*, const Translator& t) {
  const Json& d = member(line, "checklist");
  return {t.text("ev_checklist_na", {scalar(member(d, "point")), util::one_line(str(d, "because"), 80)}), "", ""};
}

} // namespace cbkit::kinds
