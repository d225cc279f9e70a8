// The kinds a collector adds by hand: the case itself, files, notes, e-mails.

#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "view.hpp"

namespace cbkit::kinds {

std::string summarize_case(const Json& line) {
  const Json& c = member(line, "case");
  std::string s = "case " + str(c, "id") + " opened by " + str(c, "examiner");
  if (!str(c, "organisation").empty()) s += ", " + str(c, "organisation");
  return s;
}

std::string summarize_file(const Json& line) { return file_names(line); }

std::string summarize_note(const Json& line) { return str(member(line, "note"), "text"); }

std::string summarize_email(const Json& line) {
  const Json& e = member(line, "email");
  const Json& from_list = member(e, "from");
  const std::string from = from_list.is_array() && !from_list.empty() ? scalar(from_list[0]) : "";
  std::string s = (from.empty() ? "(no From)" : from) + ": " + (str(e, "subject").empty() ? "(no subject)" : str(e, "subject"));
  const Json& anomalies = member(e, "anomalies");
  if (anomalies.is_array() && !anomalies.empty()) {
    s += " [" + std::to_string(anomalies.size()) + " anomal" + (anomalies.size() == 1 ? "y" : "ies") + "]";
  }
  return s;
}

TimelineEvent timeline_case(const Json& line, const Json*, const Translator& t) {
  const Json& c = member(line, "case");
  return {t.text("ev_case_opened", {str(c, "id"), str(c, "examiner")}), "", ""};
}

TimelineEvent timeline_files(const Json& line, const Json*, const Translator&) { return {util::one_line(file_names(line), 90), "", ""}; }

TimelineEvent timeline_note(const Json& line, const Json*, const Translator&) {
  return {util::one_line(str(member(line, "note"), "text"), 90), "", ""};
}

TimelineEvent timeline_email(const Json& line, const Json* derived, const Translator& t) {
  TimelineEvent ev;
  const Json& e = member(line, "email");
  const std::string date = str(e, "date_utc");
  if (!date.empty() && util::parse_rfc3339(date)) {
    ev.utc = date;
    ev.source = "src_email_date";
  }
  // The sender as headers.json decodes it (name and address), else as the line lists it.
  std::string from;
  const auto add = [&from](const std::string& part) { from += (from.empty() ? "" : ", ") + part; };
  if (derived != nullptr) {
    const Json& list = member(member(*derived, "summary"), "from");
    if (list.is_array()) {
      for (const Json& a : list) {
        const std::string name = str(a, "name");
        const std::string addr = str(a, "address");
        add(name.empty() ? addr : name + " <" + addr + ">");
      }
    }
  }
  if (from.empty() && member(e, "from").is_array()) {
    for (const Json& a : member(e, "from"))
      add(scalar(a));
  }
  ev.what = t.text("ev_email", {from, str(e, "subject")});
  return ev;
}

} // namespace cbkit::kinds
