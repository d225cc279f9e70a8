// The "web" kind: a page captured by capture-url.

#include "cbkit/capture/identity.hpp"
#include "cbkit/util/time.hpp"
#include "view.hpp"

namespace cbkit::kinds {

namespace {

// A key of the line's "web" summary, else of capture.json.
std::string web_field(const Json& line, const Json* derived, const char* key) {
  std::string v = scalar(member(member(line, "web"), key));
  if (v.empty() && derived != nullptr) v = scalar(member(*derived, key));
  return v;
}

} // namespace

std::string summarize_web(const Json& line) {
  const Json& w = member(line, "web");
  std::string s = str(w, "url").empty() ? "(no URL)" : str(w, "url");
  const std::string status = scalar(member(w, "status"));
  s += status.empty() ? " \xE2\x80\x94 no HTTP response" : " \xE2\x80\x94 HTTP " + status;
  const std::string redirects = scalar(member(w, "redirects"));
  if (!redirects.empty() && redirects != "0") s += " after " + redirects + " redirect(s) to " + str(w, "final_url");
  const std::string outcome = str(w, "outcome");
  if (!outcome.empty() && outcome != "complete") {
    s += ", " + outcome;
    if (!str(w, "error").empty()) s += ": " + str(w, "error");
  }
  if (member(w, "truncated").is_string() || member(w, "truncated") == true) s += ", truncated";
  if (member(w, "insecure") == true) s += ", TLS not verified (--insecure)";
  if (member(w, "browser").is_object()) s += ", rendered in a browser";
  // Who the page is about, as capture/identity found it (the subject only, never the viewer).
  if (const std::string who = capture::identity_summary(member(w, "identity")); !who.empty()) s += ", " + who;
  if (member(w, "tsa").is_object()) s += ", RFC 3161 token " + str(member(member(w, "tsa"), "tsa"), "time");
  return s;
}

TimelineEvent timeline_web(const Json& line, const Json* derived, const Translator& t) {
  TimelineEvent ev;
  const std::string started = web_field(line, derived, "started");
  if (!started.empty() && util::parse_rfc3339(started)) {
    ev.utc = started;
    ev.source = "src_capture";
  }
  std::string url = web_field(line, derived, "url");
  if (url.empty()) url = web_field(line, derived, "requested_url");
  ev.what = t.text("ev_web", {url, web_field(line, derived, "status")});
  return ev;
}

} // namespace cbkit::kinds
