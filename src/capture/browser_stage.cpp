#include "cbkit/capture/browser_stage.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <optional>
#include <tuple>

namespace cbkit::capture {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr const char* k_source_field = "WARC-Cbkit-Source";
constexpr const char* k_source_value = "browser-cdp";

std::string trim(std::string_view s) { return std::string(util::trim(s, " \t")); }

// The browser's options from capture-url's: one set of headers, cookies, proxy and
// certificate policy for both captures.
BrowserOptions merged_options(const CaptureOptions& o) {
  BrowserOptions b = *o.browser;
  // The default desktop user agent of the raw capture names another Chrome version than
  // the browser's own; only a user agent the user chose is imposed on the browser.
  if (o.user_agent != k_default_user_agent) b.user_agent = o.user_agent;
  for (const auto& h : o.headers) {
    const auto colon = h.find(':');
    if (colon == std::string::npos) continue;
    b.headers.emplace_back(trim(h.substr(0, colon)), trim(h.substr(colon + 1)));
  }
  if (o.cookie_file) b.cookies = read_netscape_cookie_file(*o.cookie_file);
  b.proxy = o.proxy;
  b.insecure = o.insecure;
  return b;
}

std::string record_date(const BrowserRequest& r, const std::string& fallback) {
  return util::is_manifest_time(r.started_utc) ? r.started_utc : fallback;
}

} // namespace

BrowserStaged stage_browser(const CaptureOptions& o, const fs::path& dir, WarcWriter& warc, const std::string& warcinfo_id,
                            std::size_t& warc_records) {
  BrowserStaged out;
  std::optional<BrowserCapture> rendered;
  try {
    rendered.emplace(capture_rendered(o.url, merged_options(o), dir));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::interrupted || e.kind() == ErrorKind::io) throw;
    out.error = o.url + ": the browser capture failed: " + e.what();
    out.summary = Json{{"ok", false}, {"error", out.error}};
    return out;
  }
  const BrowserCapture& cap = *rendered;
  const Json& rec = cap.record;
  const std::string settled = rec["times"].value("settled", util::utc_now());

  // The page's own requests: a request/response pair where the browser kept the body, or
  // where there is none to keep (redirects, 204, 304).
  std::size_t pairs = 0;
  for (const auto& r : cap.requests) {
    if (!r.status || !(r.url.starts_with("http://") || r.url.starts_with("https://"))) continue;
    const int status = *r.status;
    const bool bodiless = (status >= 300 && status < 400) || status == 204 || status == 304 || r.method == "HEAD";
    if (r.body_file.empty() && !bodiless) continue;
    // A response without a kept body (redirect, 204, 304) says so: Content-Length 0.
    BrowserRequest reported = r;
    if (r.body_file.empty()) reported.body_size = 0;
    WarcExchange x;
    x.target_uri = r.url;
    x.ip_address = r.remote_ip;
    x.date = record_date(r, settled);
    x.warcinfo_id = warcinfo_id;
    x.request = http_request_head(r) + r.post_data;
    x.response_head = http_response_head(reported);
    if (!r.body_file.empty()) x.response_body = r.body_file;
    x.common_fields = {{k_source_field, k_source_value}};
    append_exchange(warc, x);
    warc_records += 2;
    ++pairs;
  }

  // The renderings themselves, so a timestamp over the WARC covers them.
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> renderings = {
      {"screenshot.png", "screenshot", "image/png", "urn:cbkit:screenshot:"},
      {"page.pdf", "pdf", "application/pdf", "urn:cbkit:pdf:"},
      {"rendered.html", "rendered-dom", "text/html; charset=utf-8", "urn:cbkit:rendered-dom:"},
  };
  for (const auto& [name, role, type, urn] : renderings) {
    WarcRecord r;
    r.type = "resource";
    r.date = settled;
    r.content_type = type;
    r.fields = {{"WARC-Target-URI", urn + o.url}, {"WARC-Warcinfo-ID", warcinfo_id}, {k_source_field, k_source_value}};
    r.body_file = dir / name;
    warc.append(r);
    ++warc_records;
  }
  std::string metadata_id;
  {
    WarcRecord r;
    r.type = "metadata";
    r.date = settled;
    r.content_type = "application/json";
    r.fields = {{"WARC-Target-URI", o.url}, {"WARC-Warcinfo-ID", warcinfo_id}, {k_source_field, k_source_value}};
    r.body_file = dir / "browser.json";
    metadata_id = warc.append(r).record_id;
    ++warc_records;
  }

  for (const auto& f : cap.files) {
    std::string role = "browser", type = "application/json";
    for (const auto& [name, rrole, rtype, urn] : renderings) {
      if (name == f.name) {
        role = rrole;
        type = rtype;
      }
    }
    out.files.push_back(StagedFile{f.name, role, type, util::FileDigest{f.size, f.sha256}});
  }
  out.summary =
      Json{{"ok", true},
           {"browser", rec["browser"].value("product", std::string())},
           {"viewport", std::to_string(rec["viewport"].value("width", 0)) + "x" + std::to_string(rec["viewport"].value("height", 0))},
           {"user_agent", rec["user_agent"]},
           {"cookies", rec["cookies"]},
           {"sandbox", rec["sandbox"]},
           {"final_url", rec["final_url"]},
           {"navigation_error", rec["navigation_error"]},
           {"load_event", rec["load_event"]},
           {"network_idle", rec["network_idle"]},
           {"settle", rec["settle"]},
           {"screenshot", rec["screenshot"]},
           {"requests", rec["requests"].size()},
           {"warc_pairs", pairs},
           {"warc_metadata_record_id", metadata_id}};
  if (rec.contains("profile")) out.summary["profile"] = rec["profile"];
  return out;
}

} // namespace cbkit::capture
