#include "netlog.hpp"

#include "cbkit/util/text.hpp"

#include "cbkit/util/time.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace cbkit::capture {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string wall_time_utc(double wall) {
  if (!(wall > 0)) return "";
  const auto micros = static_cast<std::int64_t>(std::llround(wall * 1e6));
  return util::format_utc(micros / 1000000, micros % 1000000);
}

// Split a CDP header value: several header lines of one name arrive joined by '\n'.
void append_header_lines(std::string& out, const std::string& name, const Json& value) {
  const std::string v = value.is_string() ? value.get<std::string>() : value.dump();
  std::size_t start = 0;
  for (;;) {
    const auto nl = v.find('\n', start);
    out += name + ": " + v.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\r\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

using util::iequals;

// "a=1; b=2" -> "a=<redacted>; b=<redacted>"
std::string redact_cookie_header(const std::string& v) {
  std::string out;
  std::size_t start = 0;
  while (start < v.size()) {
    auto end = v.find(';', start);
    if (end == std::string::npos) end = v.size();
    std::string part = v.substr(start, end - start);
    const auto b = part.find_first_not_of(' ');
    part = b == std::string::npos ? "" : part.substr(b);
    if (!part.empty()) {
      if (!out.empty()) out += "; ";
      out += part.substr(0, part.find('=')) + "=<redacted>";
    }
    start = end + 1;
  }
  return out;
}

} // namespace

std::vector<std::string> NetworkLog::in_flight_urls() const {
  std::vector<std::string> urls;
  for (const auto& id : m_in_flight) {
    const auto it = m_current.find(id);
    if (it != m_current.end()) urls.push_back(requests[it->second].url);
  }
  return urls;
}

std::optional<std::size_t> NetworkLog::current(const std::string& id) const {
  const auto it = m_current.find(id);
  if (it == m_current.end()) return std::nullopt;
  return it->second;
}

void NetworkLog::handle(const std::string& method, const Json& p) {
  const std::string id = p.value("requestId", std::string());
  if (id.empty()) return;
  if (method == "Network.requestWillBeSent") {
    last_activity = Clock::now();
    if (p.contains("redirectResponse")) {
      if (auto idx = current(id)) {
        set_response(requests[*idx], p["redirectResponse"]);
        requests[*idx].finished = true;
        set_end(requests[*idx], p.value("timestamp", 0.0));
      }
    }
    BrowserRequest r;
    r.request_id = id;
    const Json& req = p.value("request", Json::object());
    r.url = req.value("url", std::string());
    if (r.url.starts_with("data:") && r.url.size() > 120) {
      // The bytes of a data: URL are in the page itself (rendered.html); keep a readable head.
      r.url = r.url.substr(0, 100) + "...(" + std::to_string(r.url.size()) + " characters)";
    }
    if (req.value("urlFragment", std::string()).size() > 0) r.url += req.value("urlFragment", std::string());
    r.method = req.value("method", std::string("GET"));
    r.request_headers = req.value("headers", Json::object());
    r.post_data = req.value("postData", std::string());
    r.resource_type = p.value("type", std::string());
    r.started_utc = wall_time_utc(p.value("wallTime", 0.0));
    r.started_monotonic = p.value("timestamp", 0.0);
    requests.push_back(std::move(r));
    m_current[id] = requests.size() - 1;
    m_hops[id].push_back(requests.size() - 1);
    m_in_flight.insert(id);
    auto& pend = m_pending[id].request_extra;
    if (!pend.empty()) {
      requests.back().request_headers = pend.front();
      pend.erase(pend.begin());
    } else {
      m_wants_request_extra.insert(id);
    }
  } else if (method == "Network.requestWillBeSentExtraInfo") {
    // The headers as actually sent (cookies included); may come before or after.
    const Json headers = p.value("headers", Json::object());
    if (m_wants_request_extra.erase(id) != 0) {
      if (auto idx = current(id)) requests[*idx].request_headers = headers;
    } else {
      m_pending[id].request_extra.push_back(headers);
    }
  } else if (method == "Network.responseReceived") {
    last_activity = Clock::now();
    if (auto idx = current(id)) {
      set_response(requests[*idx], p.value("response", Json::object()));
      if (requests[*idx].resource_type.empty()) requests[*idx].resource_type = p.value("type", std::string());
    }
  } else if (method == "Network.responseReceivedExtraInfo") {
    // The network's headers (Set-Cookie included) win over the filtered ones. Redirect
    // hops share one requestId and this event may come before or after its response, so
    // it goes to the newest hop with that status still lacking them, else waits.
    const Json headers = p.value("headers", Json::object());
    const int code = p.value("statusCode", 0);
    const auto& hops = m_hops[id];
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
      auto& r = requests[*it];
      if (r.status && (code == 0 || *r.status == code) && m_raw_response_set.count(*it) == 0) {
        r.response_headers = headers;
        m_raw_response_set.insert(*it);
        return;
      }
    }
    m_pending[id].response_extra.emplace_back(code, headers);
  } else if (method == "Network.dataReceived") {
    last_activity = Clock::now();
    const auto len = p.value("dataLength", std::int64_t{0});
    if (len > 0) decoded_length[id] += static_cast<std::uint64_t>(len);
  } else if (method == "Network.loadingFinished") {
    last_activity = Clock::now();
    m_in_flight.erase(id);
    if (auto idx = current(id)) {
      auto& r = requests[*idx];
      r.finished = true;
      const double enc = p.value("encodedDataLength", 0.0);
      if (enc > 0) r.encoded_length = static_cast<std::uint64_t>(enc);
      set_end(r, p.value("timestamp", 0.0));
    }
  } else if (method == "Network.loadingFailed") {
    last_activity = Clock::now();
    m_in_flight.erase(id);
    if (auto idx = current(id)) {
      auto& r = requests[*idx];
      r.error = p.value("errorText", std::string("failed"));
      if (p.value("canceled", false)) r.error += " (canceled)";
      if (p.contains("blockedReason")) r.error += " (blocked: " + p.value("blockedReason", std::string()) + ")";
      set_end(r, p.value("timestamp", 0.0));
    }
  } else if (method == "Network.requestServedFromCache") {
    if (auto idx = current(id)) requests[*idx].from_cache = true;
  }
}

void NetworkLog::set_response(BrowserRequest& r, const Json& resp) {
  if (resp.contains("status") && resp["status"].is_number()) r.status = resp["status"].get<int>();
  r.status_text = resp.value("statusText", std::string());
  r.protocol = resp.value("protocol", std::string());
  r.mime_type = resp.value("mimeType", std::string());
  r.remote_ip = resp.value("remoteIPAddress", std::string());
  r.remote_port = resp.value("remotePort", 0);
  r.from_cache = r.from_cache || resp.value("fromDiskCache", false) || resp.value("fromPrefetchCache", false);
  const std::size_t idx = static_cast<std::size_t>(&r - requests.data());
  if (m_raw_response_set.count(idx) == 0) {
    auto& pend = m_pending[r.request_id].response_extra;
    const auto match =
        std::find_if(pend.begin(), pend.end(), [&](const auto& e) { return e.first == 0 || e.first == r.status.value_or(-1); });
    if (match != pend.end()) {
      r.response_headers = match->second;
      pend.erase(match);
      m_raw_response_set.insert(idx);
    } else {
      r.response_headers = resp.value("headers", Json::object());
    }
  }
  // Headers the browser reports for the request as it went out (fills in when no
  // ExtraInfo event came, e.g. for cached responses).
  if (resp.contains("requestHeaders") && r.request_headers.empty()) r.request_headers = resp["requestHeaders"];
}

void NetworkLog::set_end(BrowserRequest& r, double ts) {
  if (ts > 0 && r.started_monotonic > 0) r.duration_ms = std::round((ts - r.started_monotonic) * 1e6) / 1e3;
}

void NetworkLog::redact_cookies() {
  for (auto& r : requests) {
    for (auto& [name, value] : r.request_headers.items()) {
      if (iequals(name, "cookie") && value.is_string()) value = redact_cookie_header(value.get<std::string>());
    }
  }
}

Json NetworkLog::requests_json() const {
  Json out = Json::array();
  for (const auto& r : requests) {
    // What was asked, what came back, from where, and when.
    Json j = {{"url", r.url}, {"method", r.method}, {"resource_type", r.resource_type}, {"request_headers", r.request_headers}};
    j.update({{"status", r.status ? Json(*r.status) : Json(nullptr)}, {"protocol", r.protocol}, {"mime_type", r.mime_type}});
    j.update({{"response_headers", r.response_headers}, {"encoded_length", r.encoded_length}, {"from_cache", r.from_cache}});
    j.update({{"remote_ip", r.remote_ip}, {"remote_port", r.remote_port}, {"started", r.started_utc}, {"finished", r.finished}});
    j.update({{"duration_ms", r.duration_ms >= 0 ? Json(r.duration_ms) : Json(nullptr)}, {"error", r.error}});
    if (r.status) j["status_text"] = r.status_text;
    if (!r.body_file.empty()) {
      j["body"] = {{"size", r.body_size}, {"sha256", r.body_sha256}};
    } else {
      j["body"] = nullptr;
      j["body_note"] = r.body_note;
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string http_request_head(const BrowserRequest& r) {
  std::string target = r.url;
  // Origin-form request target: the path and query of the URL.
  const auto scheme = target.find("://");
  if (scheme != std::string::npos) {
    const auto slash = target.find('/', scheme + 3);
    target = slash == std::string::npos ? "/" : target.substr(slash);
  }
  const auto hash = target.find('#');
  if (hash != std::string::npos) target.erase(hash);
  std::string out = r.method + " " + target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : r.request_headers.items()) {
    if (!name.empty() && name[0] == ':') continue; // HTTP/2 pseudo-headers
    if (iequals(name, "host")) has_host = true;
    append_header_lines(out, name, value);
  }
  if (!has_host && scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto end = r.url.find_first_of("/?#", start);
    out += "Host: " + r.url.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string http_response_head(const BrowserRequest& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status.value_or(0)) + (r.status_text.empty() ? "" : " " + r.status_text) + "\r\n";
  for (const auto& [name, value] : r.response_headers.items()) {
    if (!name.empty() && name[0] == ':') continue;
    if (iequals(name, "content-encoding") || iequals(name, "transfer-encoding") || iequals(name, "content-length")) {
      append_header_lines(out, "X-Archive-Orig-" + name, value);
      continue;
    }
    append_header_lines(out, name, value);
  }
  out += "Content-Length: " + std::to_string(r.body_size) + "\r\n\r\n";
  return out;
}

} // namespace cbkit::capture
