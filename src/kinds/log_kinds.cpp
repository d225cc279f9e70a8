// The kinds that describe or witness the log itself: timestamp, report, seal.

#include "view.hpp"

namespace cbkit::kinds {

std::string summarize_timestamp(const Json& line) {
  const Json& ts = member(line, "timestamp");
  const Json& tsa = member(ts, "tsa");
  const Json& covers = member(ts, "covers");
  return "RFC 3161 token from " + (str(tsa, "url").empty() ? std::string("(unknown TSA)") : str(tsa, "url")) + ", TSA time " +
         (str(tsa, "time").empty() ? std::string("?") : str(tsa, "time")) + ", over the head after line " + scalar(member(covers, "seq")) +
         " (" + short_hash(str(covers, "head")) + ")";
}

std::string summarize_report(const Json& line) {
  const Json& r = member(line, "report");
  const Json& d = member(r, "describes");
  return "report (" + str(r, "lang") + ", " + str(r, "format") + ") of lines 0 to " + scalar(member(d, "seq")) + " (head " +
         short_hash(str(d, "head")) + ")";
}

std::string summarize_seal(const Json& line) {
  const Json& s = member(line, "seal");
  const Json& covers = member(s, "covers");
  std::string out = "seal of lines 0 to " + scalar(member(covers, "seq")) + " (head " + short_hash(str(covers, "head")) + ")";
  const std::string key = str(member(s, "key"), "key_id");
  if (!key.empty()) out += ", Ed25519 key " + key;
  const std::string archive = str(member(s, "archive"), "name");
  if (!archive.empty()) out += ", archive " + archive;
  const Json& ts = member(s, "timestamp");
  if (ts.is_object()) {
    // Written before the unified token record: {tsa, gen_time, ...}; since: {tsa {url, time}, ...}.
    const std::string time = member(ts, "tsa").is_object() ? str(member(ts, "tsa"), "time") : str(ts, "gen_time");
    out += ", RFC 3161 token " + time;
  }
  return out;
}

TimelineEvent timeline_timestamp(const Json& line, const Json*, const Translator& t) {
  const Json& ts = member(line, "timestamp");
  return {
      t.text("ev_timestamp", {str(member(ts, "tsa"), "url"), str(member(ts, "tsa"), "time"), scalar(member(member(ts, "covers"), "seq"))}),
      "", ""};
}

TimelineEvent timeline_report(const Json& line, const Json*, const Translator& t) {
  const Json& r = member(line, "report");
  return {t.text("ev_report", {str(r, "lang"), str(r, "format"), scalar(member(member(r, "describes"), "seq"))}), "", ""};
}

TimelineEvent timeline_seal(const Json& line, const Json*, const Translator& t) {
  const Json& s = member(line, "seal");
  return {t.text("ev_seal", {scalar(member(member(s, "covers"), "seq")), str(member(s, "key"), "key_id")}), "", ""};
}

} // namespace cbkit::kinds
