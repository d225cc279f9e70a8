#include "cbkit/capture/capture.hpp"

#include "cbkit/capture/body.hpp"
#include "cbkit/capture/browser_stage.hpp"
#include "cbkit/capture/identity.hpp"
#include "cbkit/capture/warc.hpp"
#include "cbkit/error.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/tsa/record.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cbkit/version.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace cbkit::capture {

namespace fs = std::filesystem;
using manifest::Json;

namespace {

std::string lossy(const std::string& s) { return util::utf8_lossy(s); }

std::string lower(std::string s) { return util::to_lower_ascii(s); }

// scheme of an absolute URL, lower case; empty when there is none.
std::string scheme_of(const std::string& url) {
  const auto colon = url.find(':');
  if (colon == std::string::npos || colon == 0) return "";
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = url[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return "";
  }
  return lower(url.substr(0, colon));
}

// Throws Error(usage) unless `url` is an absolute http(s) URL with a host that curl parses.
void check_http_url(const std::string& url, const std::string& what) {
  const std::string shown = "'" + util::one_line(lossy(url), 200) + "'";
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      throw Error(ErrorKind::usage, what + " " + shown + ": contains spaces or control characters; percent-encode them (%20)");
  }
  const std::string scheme = scheme_of(url);
  if (scheme != "http" && scheme != "https") {
    throw Error(ErrorKind::usage, what + " " + shown + ": only http:// and https:// URLs can be captured" +
                                      (scheme.empty() ? " (no scheme given; write e.g. https://" + util::one_line(lossy(url), 60) + ")"
                                                      : " (not " + scheme + "://)"));
  }
  CURLU* u = curl_url();
  const CURLUcode rc = curl_url_set(u, CURLUPART_URL, url.c_str(), 0);
  char* host = nullptr;
  const bool has_host = rc == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr && host[0] != '\0';
  if (host) curl_free(host);
  curl_url_cleanup(u);
  if (rc != CURLUE_OK || !has_host) {
    throw Error(ErrorKind::usage, what + " " + shown + ": not a valid URL (" + (rc != CURLUE_OK ? curl_url_strerror(rc) : "no host") + ")");
  }
}

// Netscape cookie file: comments, blank lines, and lines of 7 TAB-separated fields
// (domain, subdomains flag, path, secure, expiry, name, value); "#HttpOnly_" prefixes a domain.
void check_cookie_file(const fs::path& path) {
  const std::string shown = lossy(path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path)) throw Error(ErrorKind::input, shown + ": cannot read the cookie file");
  std::string line;
  std::size_t n = 0;
  std::size_t cookies = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#HttpOnly_", 0) == 0)
      line = line.substr(10);
    else if (line.empty() || line[0] == '#')
      continue;
    if (std::count(line.begin(), line.end(), '\t') != 6) {
      throw Error(ErrorKind::input, shown + ": line " + std::to_string(n) +
                                        " is not a Netscape cookie line (7 TAB-separated fields: domain, flag, path, secure, expiry, name, "
                                        "value); export cookies in Netscape/cookies.txt format");
    }
    ++cookies;
  }
  if (cookies == 0) throw Error(ErrorKind::input, shown + ": no cookie in the file (Netscape cookies.txt format expected)");
}

std::string ext_for(const std::string& content_type) {
  std::string t = lower(content_type.substr(0, content_type.find(';')));
  t.erase(std::remove_if(t.begin(), t.end(), [](char c) { return c == ' ' || c == '\t'; }), t.end());
  static const std::pair<const char*, const char*> map[] = {{"text/html", "html"},
                                                            {"application/xhtml+xml", "xhtml"},
                                                            {"application/json", "json"},
                                                            {"text/plain", "txt"},
                                                            {"text/css", "css"},
                                                            {"text/javascript", "js"},
                                                            {"application/javascript", "js"},
                                                            {"application/xml", "xml"},
                                                            {"text/xml", "xml"},
                                                            {"application/rss+xml", "xml"},
                                                            {"application/atom+xml", "xml"},
                                                            {"image/png", "png"},
                                                            {"image/jpeg", "jpg"},
                                                            {"image/gif", "gif"},
                                                            {"image/webp", "webp"},
                                                            {"image/svg+xml", "svg"},
                                                            {"image/avif", "avif"},
                                                            {"application/pdf", "pdf"},
                                                            {"video/mp4", "mp4"},
                                                            {"video/webm", "webm"},
                                                            {"audio/mpeg", "mp3"},
                                                            {"text/csv", "csv"},
                                                            {"application/ld+json", "json"},
                                                            {"text/calendar", "ics"}};
  for (const auto& [type, ext] : map) {
    if (t == type) return ext;
  }
  return "bin";
}

// Header fields of a header block as "Name: value" lines (status or request line excluded).
struct ParsedHead {
  std::string first_line;
  std::vector<std::string> lines;
};

ParsedHead split_head(const std::string& block) {
  ParsedHead p;
  std::size_t pos = 0;
  bool first = true;
  while (pos < block.size()) {
    std::size_t eol = block.find('\n', pos);
    if (eol == std::string::npos) eol = block.size();
    std::string line = block.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (first) continue;
      break;
    }
    if (first) {
      p.first_line = lossy(line);
      first = false;
    } else {
      p.lines.push_back(lossy(line));
    }
  }
  return p;
}

// The last value of field `name` (case-insensitive), or empty.
std::string header_value(const ParsedHead& h, const std::string& name) {
  std::string out;
  const std::string want = lower(name) + ":";
  for (const auto& l : h.lines) {
    if (lower(l.substr(0, want.size())) == want) {
      const auto v = l.find_first_not_of(" \t", want.size());
      out = v == std::string::npos ? "" : l.substr(v);
    }
  }
  return out;
}

// Every value of a field that may repeat, joined with ", " (RFC 9110 section 5.3).
std::string joined_values(const ParsedHead& h, const std::string& name) {
  std::string out;
  const std::string want = lower(name) + ":";
  for (const auto& l : h.lines) {
    if (lower(l.substr(0, want.size())) == want) {
      const auto v = l.find_first_not_of(" \t", want.size());
      if (v == std::string::npos) continue;
      if (!out.empty()) out += ", ";
      out += l.substr(v);
    }
  }
  return out;
}

Json cert_json(const CertSummary& c) {
  return Json{{"subject", c.subject},       {"issuer", c.issuer},       {"serial", c.serial},
              {"not_before", c.not_before}, {"not_after", c.not_after}, {"sha256", c.sha256}};
}

Json tls_json(const TlsDetails& t, bool insecure) {
  Json j = Json::object();
  j["version"] = t.version;
  j["cipher"] = t.cipher;
  j["chain_verified"] = t.chain_verified;
  if (!t.verify_error.empty()) j["verify_error"] = t.verify_error;
  if (t.name_matches) j["name_matches"] = *t.name_matches;
  j["verification"] = insecure ? "disabled (--insecure): the certificate was not required to verify" : "required";
  Json chain = Json::array();
  for (const auto& c : t.chain)
    chain.push_back(cert_json(c));
  j["chain"] = chain;
  return j;
}

std::vector<std::string> default_headers() {
  return {"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
          "Accept-Language: en-US,en;q=0.9",
          // Only the codings cbkit can decode for body.<ext>; the WARC keeps them encoded.
          "Accept-Encoding: gzip, deflate"};
}

std::string field_name(const std::string& h) { return lower(h.substr(0, h.find(':'))); }

std::vector<std::string> merged_headers(const std::vector<std::string>& user) {
  std::vector<std::string> out;
  std::set<std::string> given;
  for (const auto& h : user)
    given.insert(field_name(h));
  for (const auto& h : default_headers()) {
    if (!given.count(field_name(h))) out.push_back(h);
  }
  out.insert(out.end(), user.begin(), user.end());
  return out;
}

util::FileDigest write_small_file(const fs::path& path, const std::string& bytes) {
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) throw_errno(ErrorKind::io, lossy(path.string()));
  util::write_all(fd.get(), bytes.data(), bytes.size(), lossy(path.string()));
  return util::FileDigest{bytes.size(), util::sha256_hex(bytes)};
}

util::FileDigest digest_of_file(const fs::path& path) {
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(ErrorKind::io, lossy(path.string()));
  return util::sha256_fd(fd.get(), lossy(path.string()));
}

std::string file_sha256(const fs::path& path) {
  try {
    return digest_of_file(path).sha256;
  } catch (const Error&) {
    return "";
  }
}

std::int64_t micros_now() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::string fmt_micros(std::int64_t m) { return util::format_utc(m / 1000000, m % 1000000); }

} // namespace

void validate_capture_options(const CaptureOptions& o) {
  check_http_url(o.url, "URL");
  for (const auto& h : o.headers) {
    const auto colon = h.find(':');
    const bool bad_name = colon == std::string::npos || colon == 0 ||
                          std::any_of(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(colon == std::string::npos ? 0 : colon),
                                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == ':'; });
    if (bad_name || h.find_first_of("\r\n") != std::string::npos) {
      throw Error(ErrorKind::usage, "--header '" + util::one_line(lossy(h), 80) + "': expected 'Name: value' on one line");
    }
    if (field_name(h) == "host" || field_name(h) == "content-length" || field_name(h) == "transfer-encoding") {
      throw Error(ErrorKind::usage,
                  "--header '" + util::one_line(lossy(h), 80) + "': this field is set by the HTTP client and cannot be replaced");
    }
  }
  if (!util::is_valid_utf8(o.user_agent) || o.user_agent.find_first_of("\r\n") != std::string::npos)
    throw Error(ErrorKind::usage, "--user-agent: must be one line of UTF-8");
  if (o.timeout_ms < 100 || o.timeout_ms > 3600 * 1000)
    throw Error(ErrorKind::usage,
                "--timeout: " + std::to_string(o.timeout_ms) + " ms is out of range; it must be between 0.1 and 3600 seconds");
  if (o.max_size == 0) throw Error(ErrorKind::usage, "--max-size 0: give a positive size, e.g. 512M");
  if (o.max_decoded_size == 0) throw Error(ErrorKind::usage, "--max-decoded-size 0: give a positive size, e.g. 512M");
  if (o.deadline_ms < 1000 || o.deadline_ms > 86400L * 1000)
    throw Error(ErrorKind::usage,
                "--deadline: " + std::to_string(o.deadline_ms) + " ms is out of range; it must be between 1 and 86400 seconds");
  if (o.max_redirects < 0 || o.max_redirects > 100) throw Error(ErrorKind::usage, "--max-redirects: must be between 0 and 100");
  if (!o.proxy.empty() && o.proxy.find_first_of(" \r\n") != std::string::npos)
    throw Error(ErrorKind::usage, "--proxy '" + util::one_line(lossy(o.proxy), 80) + "': not a proxy URL");
  if (o.cookie_file) check_cookie_file(*o.cookie_file);
  if (o.ca_file) {
    std::ifstream in(*o.ca_file);
    if (!in || fs::is_directory(*o.ca_file))
      throw Error(ErrorKind::input, lossy(o.ca_file->string()) + ": cannot read the CA file (--cacert)");
  }
  if (o.tsa) {
    check_http_url(o.tsa->url, "--tsa");
    if (o.tsa->ca) {
      std::ifstream in(*o.tsa->ca);
      if (!in || fs::is_directory(*o.tsa->ca))
        throw Error(ErrorKind::input, lossy(o.tsa->ca->string()) + ": cannot read the TSA CA file (--tsa-ca)");
    }
  }
}

// ---------------------------------------------------------------- the steps of a capture

namespace {

// The HTTP client's settings from capture-url's options (`headers`: defaults merged in).
HttpClientOptions http_options(const CaptureOptions& o, const std::vector<std::string>& headers) {
  HttpClientOptions ho;
  ho.headers = headers;
  ho.user_agent = o.user_agent;
  ho.cookie_file = o.cookie_file;
  ho.proxy = o.proxy;
  ho.ca_file = o.ca_file;
  ho.insecure = o.insecure;
  ho.timeout_ms = o.timeout_ms;
  ho.max_size = o.max_size;
  ho.deadline_ms = monotonic_ms() + o.deadline_ms; // the clock starts with the first hop
  return ho;
}

// capture.json's "client": the tool, its libcurl, what it sent and its limits.
Json client_json(const CaptureOptions& o, const std::vector<std::string>& headers) {
  Json client = Json::object();
  client["tool"] = "cbkit";
  client["version"] = k_version;
  client["curl"] = curl_version_text();
  client["user_agent"] = o.user_agent;
  client["request_headers_added"] = headers;
  client["http_version_requested"] = "1.1";
  client["proxy"] = o.proxy.empty() ? Json(nullptr) : Json(o.proxy);
  client["insecure"] = o.insecure;
  if (o.ca_file) {
    std::error_code ec;
    client["ca_file"] = Json{{"path", lossy(fs::absolute(*o.ca_file, ec).string())}, {"sha256", file_sha256(*o.ca_file)}};
  }
  if (o.cookie_file) {
    std::error_code ec;
    client["cookie_file"] = Json{{"path", lossy(fs::absolute(*o.cookie_file, ec).string())}, {"sha256", file_sha256(*o.cookie_file)}};
  }
  client["limits"] = Json{{"timeout_ms", o.timeout_ms},
                          {"deadline_ms", o.deadline_ms},
                          {"max_size", o.max_size},
                          {"max_decoded_size", o.max_decoded_size},
                          {"max_redirects", o.max_redirects}};
  return client;
}

// The warcinfo record's block (application/warc-fields): software, operator, host, the
// URL and the options that shaped the requests.
std::string warcinfo_block(const CaptureOptions& o, const std::vector<std::string>& headers, const std::string& examiner) {
  std::string info;
  info += "software: cbkit/" + std::string(k_version) + " (" + curl_version_text() + ")\r\n";
  info += "format: WARC File Format 1.1\r\n";
  info += "conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n";
  info += "operator: " + examiner + "\r\n";
  info += "hostname: " + manifest::current_actor(examiner).host + "\r\n";
  info += "isPartOf: " + o.url + "\r\n";
  info += "http-header-user-agent: " + o.user_agent + "\r\n";
  for (const auto& h : headers)
    info += "http-header: " + h + "\r\n";
  info += "cbkit-options: timeout_ms=" + std::to_string(o.timeout_ms) + " deadline_ms=" + std::to_string(o.deadline_ms) +
          " max_size=" + std::to_string(o.max_size) + " max_decoded_size=" + std::to_string(o.max_decoded_size) +
          " max_redirects=" + std::to_string(o.max_redirects) + " insecure=" + (o.insecure ? "yes" : "no") +
          " proxy=" + (o.proxy.empty() ? "none" : o.proxy) + " cookie_file=" + (o.cookie_file ? "yes" : "no") + "\r\n";
  return info;
}

// capture.warc.gz, created with its warcinfo record at the first response: a capture that
// got no response has no WARC.
class CaptureWarc {
public:
  CaptureWarc(fs::path path, std::string warcinfo) : m_path(std::move(path)), m_warcinfo(std::move(warcinfo)) {}

  // Creates the file and writes the warcinfo record dated `date`, unless already done.
  void open(const std::string& date) {
    if (m_writer) return;
    m_writer = std::make_unique<WarcWriter>(m_path);
    WarcRecord r;
    r.type = "warcinfo";
    r.date = date;
    r.content_type = "application/warc-fields";
    r.fields = {{"WARC-Filename", "capture.warc.gz"}};
    r.prefix = m_warcinfo;
    m_warcinfo_id = m_writer->append(r).record_id;
    ++records;
  }
  bool is_open() const { return m_writer != nullptr; }
  WarcWriter& writer() { return *m_writer; }
  const std::string& warcinfo_id() const { return m_warcinfo_id; }

  std::size_t records = 0; // written so far

private:
  fs::path m_path;
  std::string m_warcinfo;
  std::unique_ptr<WarcWriter> m_writer;
  std::string m_warcinfo_id;
};

// How the chain of hops went.
struct HopChain {
  Json hops = Json::array(); // capture.json's "hops"
  std::string outcome = "complete";
  std::string error; // a sentence naming the URL; empty when complete
  std::string error_kind;
  std::optional<HopResult> last;    // the last hop that got a response
  std::optional<fs::path> last_raw; // its body as received (the raw bodies before it are removed)
  std::string last_response_id;
  TlsDetails last_tls; // the last hop's (for a refused certificate: the one refused)
  bool any_tls = false;
};

// A hop's entry in capture.json: where it went and what it sent.
Json hop_json(const HopResult& r, bool insecure) {
  const ParsedHead req = split_head(r.request_bytes);
  Json h = {{"url", r.url}, {"started", r.started}, {"ended", r.ended}};
  h["remote_ip"] = r.remote_ip;
  h["remote_port"] = r.remote_port;
  h["local_ip"] = r.local_ip;
  h["local_port"] = r.local_port;
  h["request"] = Json{{"line", req.first_line}, {"headers", req.lines}, {"size", r.request_bytes.size()}};
  if (!r.proxy_connect.empty()) h["proxy_connect"] = lossy(r.proxy_connect);
  if (r.tls.used) h["tls"] = tls_json(r.tls, insecure);
  return h;
}

// The raw request and response of a hop, byte for byte, as a WARC request/response pair.
WarcExchangeIds write_hop(CaptureWarc& warc, const HopResult& r, const fs::path& raw) {
  warc.open(r.started);
  WarcExchange x;
  x.target_uri = r.url;
  x.ip_address = r.remote_ip;
  x.date = r.started;
  x.warcinfo_id = warc.warcinfo_id();
  x.request = r.request_bytes;
  x.response_head = r.response_header_bytes;
  x.response_body = raw;
  x.response_block_digest = r.block_sha256;
  x.response_payload_digest = r.payload_sha256;
  if (!r.truncated.empty()) x.response_fields = {{"WARC-Truncated", r.truncated}};
  const WarcExchangeIds ids = append_exchange(warc.writer(), x);
  warc.records += 2;
  return ids;
}

// Adds what the hop received to its entry `h`: the response, the server's clock, the WARC
// records and where it redirects.
void record_response(Json& h, const HopResult& r, const WarcExchangeIds& ids) {
  const ParsedHead resp = split_head(r.response_header_bytes);
  Json rj = Json::object();
  rj["status"] = r.status;
  rj["status_line"] = resp.first_line;
  rj["headers"] = resp.lines;
  if (!r.interim_headers.empty()) {
    Json interim = Json::array();
    for (const auto& b : r.interim_headers)
      interim.push_back(split_head(b).first_line);
    rj["interim"] = interim;
  }
  rj["body_size"] = r.body_size;
  rj["body_sha256"] = util::to_hex(r.payload_sha256);
  rj["truncated"] = r.truncated.empty() ? Json(false) : Json(r.truncated);
  h["response"] = rj;
  h["http_version"] = r.http_version;
  const std::string date = header_value(resp, "Date");
  if (!date.empty()) {
    h["server_date"] = date;
    if (const auto secs = parse_http_date(date)) {
      h["server_date_utc"] = util::format_utc(*secs, 0);
      h["server_date_skew_micros"] = *secs * 1000000 - r.headers_received_micros;
    }
  }
  h["warc"] = Json{{"request_record_id", ids.request_id}, {"response_record_id", ids.response_id}};
  if (!r.redirect_url.empty()) h["location"] = r.redirect_url;
}

// Whether the chain goes on from `url` (hop number `hop`) to `next`; when it stops short,
// says why in chain.outcome and chain.error.
bool follow_redirect(HopChain& chain, const CaptureOptions& o, const std::set<std::string>& visited, int hop, const std::string& url,
                     const std::string& next) {
  if (next.empty()) return false;
  if (hop >= o.max_redirects) {
    chain.outcome = "too-many-redirects";
    chain.error =
        o.url + ": more than " + std::to_string(o.max_redirects) + " redirects (--max-redirects); the chain was recorded up to " + url;
    return false;
  }
  const std::string scheme = scheme_of(next);
  if (scheme != "http" && scheme != "https") {
    chain.outcome = "redirect-refused";
    chain.error = url + " redirects to '" + util::one_line(lossy(next), 200) + "', which is not http(s); it was not followed";
    return false;
  }
  if (visited.count(next)) {
    chain.outcome = "redirect-loop";
    chain.error = url + " redirects to " + next + ", which was already fetched: a redirect loop; the chain was recorded";
    return false;
  }
  return true;
}

// Fetches o.url hop by hop (redirects followed by hand, each hop its own exchange) into
// the WARC. Only the last response's raw body is kept (in chain.last_raw).
HopChain fetch_hops(const CaptureOptions& o, const std::vector<std::string>& headers, const fs::path& dir, CaptureWarc& warc) {
  HttpClient client(http_options(o, headers));
  HopChain chain;
  std::set<std::string> visited;
  std::string url = o.url;
  for (int hop = 0;; ++hop) {
    throw_if_interrupted("capture-url");
    visited.insert(url);
    const fs::path raw = dir / (".hop-" + std::to_string(hop) + ".raw");
    HopResult r = client.fetch(url, raw);
    if (r.error_kind == "interrupted") throw Error(ErrorKind::interrupted, "capture-url: interrupted; nothing was recorded");
    chain.last_tls = r.tls;
    chain.any_tls = r.tls.used;

    Json h = hop_json(r, o.insecure);
    std::error_code ec;
    if (r.response_received) {
      const WarcExchangeIds ids = write_hop(warc, r, raw);
      record_response(h, r, ids);
      if (chain.last_raw) fs::remove(*chain.last_raw, ec); // its bytes are in the WARC now
      chain.last_raw = raw;
      chain.last_response_id = ids.response_id;
    } else {
      fs::remove(raw, ec);
    }
    if (!r.error.empty()) h["error"] = Json{{"kind", r.error_kind}, {"message", r.error}};
    if (!r.log.empty()) h["curl_log"] = r.log;
    chain.hops.push_back(h);

    const bool got = r.response_received;
    const std::string next = r.redirect_url;
    const bool failed = !r.error.empty() && !(got && !r.truncated.empty() && r.truncated == "length");
    if (got) chain.last = std::move(r);
    if (failed) {
      chain.outcome = "failed";
      chain.error_kind = chain.hops.back()["error"]["kind"];
      chain.error = url + ": " + chain.hops.back()["error"]["message"].get<std::string>();
      return chain;
    }
    if (!follow_redirect(chain, o, visited, hop, url, next)) return chain;
    url = next;
  }
}

// --browser: the rendered capture joins this entry and its WARC (before the metadata
// record). nullopt without --browser.
std::optional<BrowserStaged> run_browser_stage(const CaptureOptions& o, const fs::path& dir, CaptureWarc& warc) {
  if (!o.browser) return std::nullopt;
  if (!warc.is_open()) return BrowserStaged{{}, Json{{"ok", false}, {"error", "not run: the raw capture got no response"}}, ""};
  return stage_browser(o, dir, warc.writer(), warc.warcinfo_id(), warc.records);
}

// The body a person opens: body.<ext>, de-chunked and content-decoded.
struct BodyOutput {
  Json json = nullptr; // capture.json's "body"
  std::optional<StagedFile> file;
};

// Makes body.<ext> from the last response's raw body (renamed when it needs no decoding)
// and removes the raw file.
BodyOutput extract_body(const HopChain& chain, const fs::path& dir, const CaptureOptions& o) {
  BodyOutput out;
  if (!chain.last_raw) return out;
  if (!chain.last) {
    std::error_code ec;
    fs::remove(*chain.last_raw, ec);
    return out;
  }
  const HopResult& last = *chain.last;
  const fs::path& raw = *chain.last_raw;
  const ParsedHead resp = split_head(last.response_header_bytes);
  const std::string ctype = header_value(resp, "Content-Type");
  const std::vector<std::string> te = parse_codings(joined_values(resp, "Transfer-Encoding"));
  const bool chunked = !te.empty() && te.back() == "chunked";
  const std::vector<std::string> ce = parse_codings(joined_values(resp, "Content-Encoding"));
  const std::string ext = ext_for(ctype);
  std::string name = "body." + ext;
  DecodedBody d;
  if (!chunked && ce.empty()) {
    // Identity: the raw body is the body; the WARC already holds a copy, so rename.
    fs::rename(raw, dir / name);
    d.digest = util::FileDigest{last.body_size, util::to_hex(last.payload_sha256)};
  } else {
    d = decode_body(raw, dir / name, chunked, ce, o.max_decoded_size);
    if (!d.still_encoded.empty()) {
      std::string suffix;
      for (const auto& c : d.still_encoded)
        suffix += "." + c;
      fs::rename(dir / name, dir / (name + suffix));
      name += suffix;
    }
    std::error_code ec;
    fs::remove(raw, ec);
  }
  Json body = Json::object();
  body["file"] = name;
  body["size"] = d.digest.size;
  body["sha256"] = d.digest.sha256;
  body["content_type"] = ctype;
  body["transfer_encoding"] = te;
  body["content_encoding"] = ce;
  body["dechunked"] = d.dechunked;
  body["decoded"] = d.decoded;
  if (!d.still_encoded.empty()) body["still_encoded"] = d.still_encoded;
  if (!d.problem.empty()) body["decode_problem"] = d.problem;
  if (d.cut) body["decoded_cut_at"] = d.digest.size; // the decoded body was longer than --max-decoded-size
  body["truncated"] = !last.truncated.empty();
  out.json = std::move(body);
  out.file = StagedFile{name, "body", ctype.empty() ? "application/octet-stream" : ctype, d.digest};
  return out;
}

// capture.json: the whole capture (also the WARC's metadata record).
Json capture_record(const CaptureOptions& o, const HopChain& chain, const BodyOutput& body, const Json& client, const CaptureWarc& warc,
                    const std::optional<BrowserStaged>& rendered, std::int64_t started, std::int64_t ended) {
  const auto& last = chain.last;
  const Json& hops = chain.hops;
  Json cj = Json::object();
  cj["format"] = "cbkit-capture 1";
  cj["requested_url"] = o.url;
  cj["final_url"] = last ? Json(last->url) : Json(nullptr);
  cj["outcome"] = chain.outcome;
  cj["complete"] = chain.outcome == "complete";
  if (!chain.error.empty())
    cj["error"] = Json{{"kind", chain.error_kind.empty() ? chain.outcome : chain.error_kind}, {"message", chain.error}};
  cj["status"] = last ? Json(last->status) : Json(nullptr);
  cj["started"] = fmt_micros(started);
  cj["ended"] = fmt_micros(ended);
  cj["timezone"] = util::local_timezone_name();
  cj["redirects"] = hops.empty() ? 0 : hops.size() - 1;
  cj["truncated"] = last ? !last->truncated.empty() : false;
  if (last) {
    cj["remote_ip"] = last->remote_ip;
    cj["remote_port"] = last->remote_port;
    cj["http_version"] = last->http_version;
    const Json& lh = hops[hops.size() - (chain.outcome == "failed" && !hops.back().contains("response") ? 2 : 1)];
    if (lh.contains("server_date")) cj["server_date"] = lh["server_date"];
    if (lh.contains("server_date_utc")) cj["server_date_utc"] = lh["server_date_utc"];
    if (lh.contains("server_date_skew_micros")) cj["server_date_skew_micros"] = lh["server_date_skew_micros"];
  }
  cj["tls"] = chain.any_tls ? tls_json(chain.last_tls, o.insecure) : Json(nullptr);
  cj["body"] = body.json;
  cj["hops"] = hops;
  cj["client"] = client;
  cj["warc"] = warc.is_open()
                   ? Json{{"file", "capture.warc.gz"}, {"records", warc.records + 1}, {"final_response_record_id", chain.last_response_id}}
                   : Json(nullptr);
  if (rendered) cj["browser"] = rendered->summary;
  return cj;
}

// Ends the WARC with capture.json as its metadata record and closes it (not synced: the
// caller syncs the folder). Returns the file's size and SHA-256.
util::FileDigest finish_warc(CaptureWarc& warc, const CaptureOptions& o, const std::string& capture_json, std::int64_t ended,
                             const std::string& last_response_id) {
  WarcRecord meta;
  meta.type = "metadata";
  meta.date = fmt_micros(ended);
  meta.content_type = "application/json";
  meta.fields = {{"WARC-Target-URI", o.url}, {"WARC-Warcinfo-ID", warc.warcinfo_id()}};
  if (!last_response_id.empty()) meta.fields.emplace_back("WARC-Refers-To", last_response_id);
  meta.prefix = capture_json;
  warc.writer().append(meta);
  return warc.writer().close(false);
}

// The manifest's "web" object: the capture in brief.
Json web_summary(const CaptureOptions& o, const Json& cj, const HopChain& chain, const std::optional<BrowserStaged>& rendered) {
  Json web = Json::object();
  web["url"] = o.url;
  web["final_url"] = cj["final_url"];
  web["status"] = cj["status"];
  web["complete"] = chain.outcome == "complete";
  web["outcome"] = chain.outcome;
  if (!chain.error.empty()) web["error"] = chain.error;
  web["redirects"] = cj["redirects"];
  web["started"] = cj["started"];
  web["ended"] = cj["ended"];
  if (chain.last) web["remote_ip"] = chain.last->remote_ip;
  if (cj.contains("server_date_utc")) web["server_date_utc"] = cj["server_date_utc"];
  if (cj.contains("server_date_skew_micros")) web["server_date_skew_micros"] = cj["server_date_skew_micros"];
  if (chain.any_tls) web["tls"] = Json{{"version", chain.last_tls.version}, {"chain_verified", chain.last_tls.chain_verified}};
  web["insecure"] = o.insecure;
  web["truncated"] = cj["truncated"];
  web["max_size"] = o.max_size;
  web["user_agent"] = o.user_agent;
  if (rendered) web["browser"] = rendered->summary;
  if (!o.proxy.empty()) web["proxy"] = o.proxy;
  return web;
}

// --tsa: trusted time over the WARC's SHA-256, recorded as the one token record (its files
// are added to the entry by capture_url). A failure throws and nothing is recorded.
tsa::Stamp timestamp_warc(const CaptureOptions& o, const util::FileDigest& warc_digest, Json& web) {
  const std::string ca_sha256 = o.tsa->ca ? tsa::ca_file_sha256(*o.tsa->ca) : "";
  tsa::Stamp s = tsa::obtain(*o.tsa, warc_digest.sha256);
  web["tsa"] = tsa::token_record(Json{{"file", "capture.warc.gz"}, {"sha256", warc_digest.sha256}}, s, *o.tsa, ca_sha256);
  return s;
}

} // namespace

StagedCapture stage_capture(const CaptureOptions& o, const fs::path& dir, const std::string& examiner) {
  const std::int64_t started = micros_now();
  const std::vector<std::string> headers = merged_headers(o.headers);
  const Json client = client_json(o, headers);
  CaptureWarc warc(dir / "capture.warc.gz", warcinfo_block(o, headers, examiner));

  const HopChain chain = fetch_hops(o, headers, dir, warc);
  const std::int64_t ended = micros_now();
  const std::optional<BrowserStaged> rendered = run_browser_stage(o, dir, warc);
  const BodyOutput body = extract_body(chain, dir, o);
  Json cj = capture_record(o, chain, body, client, warc, rendered, started, ended);
  // Who the page is about, read from the responses the WARC holds so far (every record is
  // its own complete gzip member on disk): what verify re-derives from the stored WARC. The
  // evidence matters more than the analysis: should reading fail, the capture is recorded
  // without identity findings (as before they existed), never lost.
  std::optional<IdentityResult> identity;
  if (warc.is_open()) {
    try {
      identity = scan_identity_warc(dir / "capture.warc.gz");
      cj["identity"] = identity_json(*identity);
    } catch (const std::exception&) {
      identity.reset();
    }
  }
  const std::string capture_json = cj.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";

  // The files, in the order the manifest line lists them.
  StagedCapture out;
  util::FileDigest warc_digest;
  if (warc.is_open()) {
    warc_digest = finish_warc(warc, o, capture_json, ended, chain.last_response_id);
    out.files.push_back(StagedFile{"capture.warc.gz", "warc", "application/warc", warc_digest});
  }
  out.files.push_back(StagedFile{"capture.json", "capture", "application/json", write_small_file(dir / "capture.json", capture_json)});
  if (chain.any_tls && !chain.last_tls.chain_pem.empty())
    out.files.push_back(StagedFile{"tls-chain.pem", "tls-chain", "application/x-pem-file",
                                   write_small_file(dir / "tls-chain.pem", chain.last_tls.chain_pem)});
  if (body.file) out.files.push_back(*body.file);
  if (rendered) out.files.insert(out.files.end(), rendered->files.begin(), rendered->files.end());

  out.web = web_summary(o, cj, chain, rendered);
  if (identity) {
    out.web["identity"] = identity_brief(*identity);
    out.identity = cj["identity"];
  }
  if (o.tsa && warc.is_open()) out.stamp = timestamp_warc(o, warc_digest, out.web);
  out.complete = chain.outcome == "complete";
  out.error = chain.error;
  if (body.json.is_object() && body.json.contains("decoded_cut_at")) out.decoded_cut_at = body.json["decoded_cut_at"].get<std::uint64_t>();
  return out;
}

CaptureResult capture_url(const store::Case& c, const CaptureOptions& o) {
  validate_capture_options(o);
  store::validate_context(c, o.context);
  const std::string examiner = o.examiner.empty() ? c.info().examiner : o.examiner;
  store::EntryBuilder entry(c, "web", examiner, o.lock_timeout);
  CaptureResult r;
  r.staged = stage_capture(o, entry.dir(), examiner);
  for (const auto& f : r.staged.files)
    entry.add_written(f.name, f.digest.sha256, f.digest.size, f.role, f.media_type);
  if (r.staged.stamp) tsa::add_token_files(entry, *r.staged.stamp);
  Json fields = Json::object();
  fields["web"] = r.staged.web;
  const Json context = store::context_json(o.context);
  if (!context.empty()) fields["context"] = context;
  store::Committed committed = entry.commit(fields);
  r.appended = committed.appended;
  r.files = std::move(committed.files);
  return r;
}

} // namespace cbkit::capture
