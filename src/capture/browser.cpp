// The rendering steps of a --browser capture: start the browser (browser_process), talk
// to it over CDP (devtools), collect the page's requests (netlog), and in between tell it
// what to do: open a tab, set viewport, user agent, cookies and headers, load the page and
// wait for it to settle, then take the screenshot, print the PDF, read the DOM and keep
// the response bodies. browser.json records each step.

#include "cbkit/capture/browser.hpp"

#include "browser_process.hpp"
#include "browser_profile.hpp"
#include "devtools.hpp"
#include "netlog.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <tuple>
#include <unistd.h>

namespace cbkit::capture {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string lossy(const fs::path& p) { return util::utf8_lossy(p.string()); }

// ---------------------------------------------------------------- base64 (streaming)

// Decodes base64 text in pieces (OpenSSL EVP_Decode*), so a PDF read in chunks never
// sits in memory whole.
class Base64Decoder {
public:
  Base64Decoder() : m_ctx(EVP_ENCODE_CTX_new()) {
    if (m_ctx == nullptr) throw std::bad_alloc();
    EVP_DecodeInit(m_ctx);
  }
  ~Base64Decoder() { EVP_ENCODE_CTX_free(m_ctx); }
  Base64Decoder(const Base64Decoder&) = delete;
  Base64Decoder& operator=(const Base64Decoder&) = delete;

  // Appends the decoded bytes of `in` to `out`; false on invalid base64.
  bool update(std::string_view in, std::string& out) {
    while (!in.empty()) {
      const int n = static_cast<int>(std::min<std::size_t>(in.size(), 1 << 20));
      const std::size_t at = out.size();
      out.resize(at + static_cast<std::size_t>(n) / 4 * 3 + 80);
      int got = 0;
      if (EVP_DecodeUpdate(m_ctx, reinterpret_cast<unsigned char*>(out.data() + at), &got,
                           reinterpret_cast<const unsigned char*>(in.data()), n) < 0) {
        return false;
      }
      out.resize(at + static_cast<std::size_t>(got));
      in.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  bool finish(std::string& out) {
    const std::size_t at = out.size();
    out.resize(at + 80);
    int got = 0;
    if (EVP_DecodeFinal(m_ctx, reinterpret_cast<unsigned char*>(out.data() + at), &got) < 0) return false;
    out.resize(at + static_cast<std::size_t>(got));
    return true;
  }

private:
  EVP_ENCODE_CTX* m_ctx;
};

std::string decode_base64(std::string_view text, const std::string& what) {
  Base64Decoder d;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  if (!d.update(text, out) || !d.finish(out)) throw Error(ErrorKind::input, "browser: " + what + " is not valid base64");
  return out;
}

// ---------------------------------------------------------------- output files

// A new file in the output folder, hashed while written; commit() fsyncs it.
class OutputFile {
public:
  // `created`, when given, gets the path once the file exists (to remove it on failure).
  OutputFile(const fs::path& dir, std::string name, std::vector<fs::path>* created = nullptr)
      : m_path(dir / name), m_name(std::move(name)) {
    m_fd = util::UniqueFd(::open(m_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!m_fd.valid()) throw_errno(ErrorKind::io, lossy(m_path));
    if (created != nullptr) created->push_back(m_path);
  }
  void write(std::string_view bytes) {
    util::write_all(m_fd.get(), bytes.data(), bytes.size(), lossy(m_path));
    m_sha.update(bytes);
    m_size += bytes.size();
  }
  BrowserFile commit() {
    util::fsync_or_throw(m_fd.get(), lossy(m_path));
    m_fd.reset();
    return BrowserFile{m_name, m_size, util::to_hex(m_sha.finish())};
  }

private:
  fs::path m_path;
  std::string m_name;
  util::UniqueFd m_fd;
  util::Sha256 m_sha;
  std::uint64_t m_size = 0;
};

BrowserFile write_output(const fs::path& dir, const std::string& name, std::string_view bytes, std::vector<fs::path>* created = nullptr) {
  OutputFile f(dir, name, created);
  f.write(bytes);
  return f.commit();
}

// ---------------------------------------------------------------- helpers

int png_dimension(const std::string& png, std::size_t at) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return -1;
  return (static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
         (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
}

bool running_as_root() { return ::geteuid() == 0; }

// ---------------------------------------------------------------- the rendering steps

// The browser to run (BrowserOptions::browser), or Error(input) naming the Debian package.
fs::path locate_browser(const BrowserOptions& options) {
  const auto exe = find_browser(options.browser);
  if (!exe) {
    if (options.browser.empty()) {
      throw Error(ErrorKind::input,
                  "browser: 'chromium' not found on PATH; install the Debian package chromium (apt-get install chromium) or give "
                  "--browser PATH");
    }
    throw Error(ErrorKind::input,
                "browser: '" + options.browser + "' is not an executable file; install the Debian package chromium or fix --browser");
  }
  return *exe;
}

// The browser's flags (after --user-data-dir): headless, CDP on the pipe, nothing that
// phones home, the page's heap limit and window size, and the user's proxy and certificate
// policy. It opens about:blank; the page is loaded once the tab is set up.
std::vector<std::string> browser_args(const BrowserOptions& options, bool root) {
  std::vector<std::string> args = {
      "--headless",
      "--remote-debugging-pipe",
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-breakpad",
      "--metrics-recording-only",
      "--disable-quic",
      "--mute-audio",
      "--hide-scrollbars",
      "--js-flags=--max-old-space-size=" + std::to_string(options.js_heap_mb),
      "--window-size=" + std::to_string(options.viewport_width) + "," + std::to_string(options.viewport_height),
  };
  // Chromium's sandbox refuses to run as root; the capture still works, and this is recorded.
  if (root) args.push_back("--no-sandbox");
  // A copied profile's cookies are encrypted with a key from the desktop's keyring, or
  // with Chromium's fixed key under "basic", the only store a headless browser reaches.
  if (!options.profile.empty()) args.push_back("--password-store=basic");
  if (!options.proxy.empty()) args.push_back("--proxy-server=" + options.proxy);
  if (options.insecure) args.push_back("--ignore-certificate-errors");
  args.push_back("about:blank");
  return args;
}

// The largest CDP message accepted: a response body of max_body_size in base64, plus room.
std::size_t max_message_size(const BrowserOptions& options) {
  return std::max<std::size_t>(256u << 20, static_cast<std::size_t>(options.max_body_size / 3 * 4 + (16u << 20)));
}

// The tab the page is rendered in, and what its events said. The event handler refers to
// it, so it stays where it was made.
struct Tab {
  explicit Tab(Cdp& c) : cdp(c) {}
  Tab(const Tab&) = delete;
  Tab& operator=(const Tab&) = delete;

  Json call(const std::string& method, const Json& params, Clock::time_point deadline, const std::string& what) {
    return cdp.call(method, params, session, deadline, what);
  }

  Cdp& cdp;
  std::string session; // empty until attached
  NetworkLog net;
  bool load_fired = false;
  Json dialogs = Json::array();
  std::string page_crash;
};

// Feeds the tab's events into `tab`: the network log, the load event, dialogs (recorded
// and dismissed) and a renderer crash. Events of other sessions are ignored.
void listen(Tab& tab) {
  tab.cdp.on_event = [&tab](const Json& msg) {
    const std::string method = msg.value("method", std::string());
    if (msg.value("sessionId", std::string()) != tab.session || tab.session.empty()) return;
    const Json& p = msg.contains("params") ? msg["params"] : Json::object();
    if (method.starts_with("Network.")) {
      tab.net.handle(method, p);
    } else if (method == "Page.loadEventFired") {
      tab.load_fired = true;
      tab.net.last_activity = Clock::now();
    } else if (method == "Page.javascriptDialogOpening") {
      // alert()/confirm() would block the page for ever: record the text, dismiss it.
      tab.dialogs.push_back({{"type", p.value("type", std::string())}, {"message", p.value("message", std::string())}});
      tab.cdp.send("Page.handleJavaScriptDialog", {{"accept", false}}, tab.session);
    } else if (method == "Inspector.targetCrashed") {
      tab.page_crash = "the page's renderer crashed (out of memory?)";
    }
  };
}

// Asks the browser who it is, opens a tab and attaches to it. Records the real command
// line (process_command_line) and returns Browser.getVersion's answer.
Json open_tab(Tab& tab, const BrowserProcess& proc, Clock::time_point deadline, Json& rec) {
  const Json version = tab.cdp.call("Browser.getVersion", Json::object(), "", deadline, "starting the browser");
  rec["process_command_line"] = proc_cmdline(proc.pid());
  const Json target = tab.cdp.call("Target.createTarget", {{"url", "about:blank"}}, "", deadline, "opening a tab");
  const std::string target_id = target.value("targetId", std::string());
  const Json attached =
      tab.cdp.call("Target.attachToTarget", {{"targetId", target_id}, {"flatten", true}}, "", deadline, "attaching to the tab");
  tab.session = attached.value("sessionId", std::string());
  if (tab.session.empty()) throw Error(ErrorKind::input, "browser: attaching to the tab gave no session id");
  return version;
}

// Turns on the page, network (with buffers for the bodies) and crash events and sets the
// viewport. Records the viewport.
void enable_events(Tab& tab, const BrowserOptions& options, Clock::time_point deadline, Json& rec) {
  tab.call("Page.enable", Json::object(), deadline, "enabling page events");
  tab.call("Network.enable",
           {{"maxTotalBufferSize", static_cast<std::int64_t>(std::min<std::uint64_t>(options.max_body_size * 4, 1ull << 30))},
            {"maxResourceBufferSize", static_cast<std::int64_t>(options.max_body_size)}},
           deadline, "enabling network events");
  tab.call("Inspector.enable", Json::object(), deadline, "enabling crash events");
  const Json viewport = {
      {"width", options.viewport_width}, {"height", options.viewport_height}, {"deviceScaleFactor", 1}, {"mobile", false}};
  tab.call("Emulation.setDeviceMetricsOverride", viewport, deadline, "setting the viewport");
  rec["viewport"] = viewport;
}

// Sets the user agent: the user's, else the browser's own without "Headless". Records it.
void set_user_agent(Tab& tab, const BrowserOptions& options, const Json& version, Clock::time_point deadline, Json& rec) {
  std::string user_agent = options.user_agent;
  if (user_agent.empty()) {
    user_agent = version.value("userAgent", std::string());
    const auto at = user_agent.find("HeadlessChrome/");
    if (at != std::string::npos) user_agent.replace(at, 15, "Chrome/");
  }
  tab.call("Network.setUserAgentOverride", {{"userAgent", user_agent}}, deadline, "setting the user agent");
  rec["user_agent"] = user_agent;
}

// --browser-profile: the cookies the copied profile gave the browser, before the page is
// loaded (--cookie-file's come after), by name, domain and path: never a value, which is a
// credential. Recorded with the copy's record as browser.json's "profile".
void record_profile_cookies(Tab& tab, Clock::time_point deadline, Json profile, Json& rec) {
  const Json all = tab.call("Network.getAllCookies", Json::object(), deadline, "reading the profile's cookies");
  Json cookies = Json::array();
  if (all.contains("cookies") && all["cookies"].is_array()) {
    for (const Json& c : all["cookies"]) {
      if (!c.is_object()) continue;
      cookies.push_back({{"name", c.value("name", std::string())},
                         {"domain", c.value("domain", std::string())},
                         {"path", c.value("path", std::string())},
                         {"secure", c.value("secure", false)},
                         {"http_only", c.value("httpOnly", false)},
                         {"session", c.value("session", false)}});
    }
  }
  std::sort(cookies.begin(), cookies.end(), [](const Json& a, const Json& b) {
    return std::tie(a["domain"].get_ref<const std::string&>(), a["name"].get_ref<const std::string&>(),
                    a["path"].get_ref<const std::string&>()) < std::tie(b["domain"].get_ref<const std::string&>(),
                                                                        b["name"].get_ref<const std::string&>(),
                                                                        b["path"].get_ref<const std::string&>());
  });
  profile["cookies"] = std::move(cookies);
  rec["profile"] = std::move(profile);
}

// Sets the user's cookies. Records their names only (the values are credentials).
void set_cookies(Tab& tab, const BrowserOptions& options, Clock::time_point deadline, Json& rec) {
  Json cookie_names = Json::array();
  if (!options.cookies.empty()) {
    Json cookies = Json::array();
    for (const auto& c : options.cookies) {
      Json j = {{"name", c.name}, {"value", c.value}, {"path", c.path}, {"secure", c.secure}, {"httpOnly", c.http_only}};
      std::string domain = c.domain;
      if (c.include_subdomains) {
        if (!domain.starts_with(".")) domain = "." + domain;
        j["domain"] = domain;
      } else {
        // A host-only cookie is set through a URL (CDP makes a domain cookie from "domain").
        if (domain.starts_with(".")) domain.erase(0, 1);
        j["url"] = std::string(c.secure ? "https://" : "http://") + domain + c.path;
      }
      if (c.expires > 0) j["expires"] = c.expires;
      cookies.push_back(std::move(j));
      cookie_names.push_back(c.name);
    }
    tab.call("Network.setCookies", {{"cookies", cookies}}, deadline, "setting the cookies");
  }
  rec["cookies"] = cookie_names;
}

// Sets the user's extra request headers. Records their names.
void set_extra_headers(Tab& tab, const BrowserOptions& options, Clock::time_point deadline, Json& rec) {
  Json header_names = Json::array();
  if (!options.headers.empty()) {
    Json h = Json::object();
    for (const auto& [name, value] : options.headers) {
      h[name] = value;
      header_names.push_back(name);
    }
    tab.call("Network.setExtraHTTPHeaders", {{"headers", h}}, deadline, "setting extra headers");
  }
  rec["extra_headers"] = header_names;
}

// Navigates, then waits for the load event and a quiet network, or until settle_timeout.
// Records navigation_error, network_idle, settle and the requests still in flight.
// Returns whether the page settled; throws Error(input) when the renderer crashed.
bool navigate_and_settle(Tab& tab, const std::string& url, const BrowserOptions& options, Json& rec) {
  const auto settle_deadline = Clock::now() + options.settle_timeout;
  std::string navigation_error;
  // Page.navigate answers once the response starts; a server that never answers must not
  // stop the capture, so its answer is awaited in the same loop as the settling.
  const int nav_id = tab.cdp.send("Page.navigate", {{"url", url}}, tab.session);
  bool nav_answered = false;
  bool settled = false;
  for (;;) {
    const auto now = Clock::now();
    if (nav_answered && tab.load_fired && tab.net.in_flight() == 0 && now - tab.net.last_activity >= options.idle_time) {
      settled = true;
      break;
    }
    if (now >= settle_deadline || !tab.page_crash.empty()) break;
    const auto wake = std::min(settle_deadline, now + std::chrono::milliseconds(50));
    auto msg = tab.cdp.next(wake);
    if (!msg) continue;
    if (!msg->contains("id")) {
      tab.cdp.on_event(*msg);
    } else if ((*msg)["id"] == nav_id) {
      nav_answered = true;
      if (msg->contains("error")) {
        navigation_error = msg->at("error").value("message", std::string("error"));
      } else {
        navigation_error = msg->value("result", Json::object()).value("errorText", std::string());
      }
    }
  }
  if (!nav_answered) navigation_error = "the server did not answer within the settle time";
  if (!tab.page_crash.empty()) throw Error(ErrorKind::input, "browser: " + tab.page_crash + " while loading " + url);
  rec["navigation_error"] = navigation_error;
  rec["network_idle"] = settled;
  rec["settle"] = settled ? "network-idle" : "timeout";
  rec["in_flight_at_capture"] = tab.net.in_flight_urls();
  return settled;
}

// Full-page screenshot: clip to the whole content (captureBeyondViewport renders what
// is below the fold), cut at max_screenshot_height. Writes screenshot.png; records its
// size and whether it was cut.
BrowserFile take_screenshot(Tab& tab, const BrowserOptions& options, Clock::time_point deadline, const fs::path& out_dir,
                            std::vector<fs::path>& created, Json& rec) {
  const Json metrics = tab.call("Page.getLayoutMetrics", Json::object(), deadline, "measuring the page");
  const Json& size = metrics.contains("cssContentSize") ? metrics["cssContentSize"] : metrics.value("contentSize", Json::object());
  const int content_w = static_cast<int>(std::ceil(size.value("width", 0.0)));
  const int content_h = static_cast<int>(std::ceil(size.value("height", 0.0)));
  const int shot_w = std::clamp(content_w, options.viewport_width, std::max(options.viewport_width, 16384));
  const int shot_h = std::clamp(content_h, options.viewport_height, std::max(options.viewport_height, options.max_screenshot_height));
  const Json shot = tab.call("Page.captureScreenshot",
                             {{"format", "png"},
                              {"captureBeyondViewport", true},
                              {"fromSurface", true},
                              {"clip", {{"x", 0}, {"y", 0}, {"width", shot_w}, {"height", shot_h}, {"scale", 1}}}},
                             deadline, "taking the screenshot");
  const std::string png = decode_base64(shot.value("data", std::string()), "the screenshot");
  if (png_dimension(png, 16) < 0) throw Error(ErrorKind::input, "browser: the screenshot is not a PNG image");
  BrowserFile file = write_output(out_dir, "screenshot.png", png, &created);
  rec["screenshot"] = {{"file", "screenshot.png"},         {"width", png_dimension(png, 16)},
                       {"height", png_dimension(png, 20)}, {"content_width", content_w},
                       {"content_height", content_h},      {"truncated", content_h > shot_h || content_w > shot_w}};
  return file;
}

// The page printed to page.pdf, streamed in 1 MiB pieces through the IO domain.
BrowserFile print_pdf(Tab& tab, Clock::time_point deadline, const fs::path& out_dir, std::vector<fs::path>& created, Json& rec) {
  const Json pdf =
      tab.call("Page.printToPDF", {{"printBackground", true}, {"transferMode", "ReturnAsStream"}}, deadline, "printing the PDF");
  const std::string handle = pdf.value("stream", std::string());
  OutputFile f(out_dir, "page.pdf", &created);
  if (handle.empty()) {
    f.write(decode_base64(pdf.value("data", std::string()), "the PDF"));
  } else {
    Base64Decoder dec;
    std::string bytes;
    for (;;) {
      const Json piece = tab.call("IO.read", {{"handle", handle}, {"size", 1 << 20}}, deadline, "reading the PDF");
      const std::string data = piece.value("data", std::string());
      bytes.clear();
      if (piece.value("base64Encoded", false)) {
        if (!dec.update(data, bytes)) throw Error(ErrorKind::input, "browser: the PDF is not valid base64");
      } else {
        bytes = data;
      }
      f.write(bytes);
      if (piece.value("eof", false)) break;
    }
    bytes.clear();
    if (!dec.finish(bytes)) throw Error(ErrorKind::input, "browser: the PDF is not valid base64");
    f.write(bytes);
    tab.cdp.try_call("IO.close", {{"handle", handle}}, tab.session, deadline, "closing the PDF stream", nullptr);
  }
  rec["pdf"] = {{"file", "page.pdf"}, {"method", "Page.printToPDF (printBackground)"}};
  return f.commit();
}

// The DOM after scripts ran, with its doctype, into rendered.html.
BrowserFile read_dom(Tab& tab, Clock::time_point deadline, const fs::path& out_dir, std::vector<fs::path>& created, Json& rec) {
  const std::string dom_js =
      "(() => { const d = document; let s = ''; if (d.doctype) s = new XMLSerializer().serializeToString(d.doctype) + '\\n';"
      " return s + (d.documentElement ? d.documentElement.outerHTML : ''); })()";
  const Json dom = tab.call("Runtime.evaluate", {{"expression", dom_js}, {"returnByValue", true}}, deadline, "reading the DOM");
  if (dom.contains("exceptionDetails")) throw Error(ErrorKind::input, "browser: reading the DOM failed in the page");
  rec["rendered_dom"] = {{"file", "rendered.html"}, {"method", "Runtime.evaluate: doctype + document.documentElement.outerHTML"}};
  return write_output(out_dir, "rendered.html", dom.value("result", Json::object()).value("value", std::string()), &created);
}

// Where the page ended up (after redirects and scripts) and its title.
void read_location(Tab& tab, Clock::time_point deadline, Json& rec) {
  const Json loc = tab.call("Runtime.evaluate", {{"expression", "({url: location.href, title: document.title})"}, {"returnByValue", true}},
                            deadline, "reading the page's address");
  const Json loc_value = loc.value("result", Json::object()).value("value", Json::object());
  rec["final_url"] = loc_value.value("url", std::string());
  rec["title"] = loc_value.value("title", std::string());
}

// The response bodies (decoded by the browser) into the scratch folder for the WARC, each
// request's body_file set, or its body_note saying why not. Returns how many were kept.
std::size_t keep_response_bodies(Tab& tab, const BrowserOptions& options, Clock::time_point deadline, const fs::path& scratch) {
  NetworkLog& net = tab.net;
  std::size_t body_count = 0;
  for (std::size_t i = 0; i < net.requests.size(); ++i) {
    auto& r = net.requests[i];
    if (net.current(r.request_id) != i) {
      r.body_note = "redirect: no body kept";
      continue;
    }
    if (!r.url.starts_with("http:") && !r.url.starts_with("https:")) {
      r.body_note = "not an http(s) request";
      continue;
    }
    if (!r.finished || !r.error.empty()) {
      r.body_note = r.error.empty() ? "the response did not finish before the capture" : "the request failed";
      continue;
    }
    const auto dl = net.decoded_length.find(r.request_id);
    if (dl != net.decoded_length.end() && dl->second > options.max_body_size) {
      r.body_note = "larger than the body limit (" + std::to_string(options.max_body_size) + " bytes): not kept";
      continue;
    }
    if (Clock::now() >= deadline) {
      r.body_note = "the capture time ran out before this body was read";
      continue;
    }
    std::string err;
    const auto body =
        tab.cdp.try_call("Network.getResponseBody", {{"requestId", r.request_id}}, tab.session, deadline, "reading response bodies", &err);
    if (!body) {
      r.body_note = "the browser did not keep the body: " + err;
      continue;
    }
    std::string bytes = body->value("body", std::string());
    if (body->value("base64Encoded", false)) bytes = decode_base64(bytes, "a response body");
    const fs::path file = scratch / ("body-" + std::to_string(i));
    const BrowserFile bf = write_output(scratch, file.filename().string(), bytes);
    r.body_file = file;
    r.body_size = bf.size;
    r.body_sha256 = bf.sha256;
    ++body_count;
  }
  return body_count;
}

// What browser.json says about the browser and the session's settings.
void record_browser(Json& rec, const fs::path& exe, const Json& version, const BrowserProcess& proc, bool root,
                    const BrowserOptions& options) {
  rec["browser"] = {{"path", exe.string()},
                    {"product", version.value("product", std::string())},
                    {"revision", version.value("revision", std::string())},
                    {"protocol_version", version.value("protocolVersion", std::string())},
                    {"js_version", version.value("jsVersion", std::string())},
                    {"default_user_agent", version.value("userAgent", std::string())},
                    {"transport", "CDP over --remote-debugging-pipe (no TCP port)"}};
  rec["command_line"] = proc.argv();
  rec["sandbox"] = !root;
  if (root) rec["sandbox_note"] = "running as root: Chromium's sandbox cannot start, so --no-sandbox was given";
  rec["proxy"] = options.proxy;
  rec["insecure"] = options.insecure;
  rec["limits"] = {{"startup_timeout_ms", options.startup_timeout.count()},
                   {"settle_timeout_ms", options.settle_timeout.count()},
                   {"network_idle_ms", options.idle_time.count()},
                   {"capture_timeout_ms", options.capture_timeout.count()},
                   {"js_heap_mb", options.js_heap_mb},
                   {"max_body_size", options.max_body_size},
                   {"max_screenshot_height", options.max_screenshot_height}};
}

BrowserCapture capture_rendered_into(const std::string& url, const BrowserOptions& options, const fs::path& out_dir,
                                     std::vector<fs::path>& created) {
  const fs::path exe = locate_browser(options);
  if (options.viewport_width < 1 || options.viewport_height < 1)
    throw Error(ErrorKind::usage, "browser: the viewport must be at least 1x1");

  // browser.json, filled in by the steps below (its keys are written sorted).
  Json rec;
  rec["url"] = url;
  const std::string started = util::utc_now();
  const bool root = running_as_root();

  // The response bodies outlive the browser: the caller writes them into the WARC.
  BrowserCapture result;
  result.scratch = make_temp_dir("cbkit-bodies");

  const auto startup_deadline = Clock::now() + options.startup_timeout;
  Json profile;
  std::function<void(const fs::path&)> prepare;
  if (!options.profile.empty()) prepare = [&](const fs::path& dir) { profile = copy_profile(options.profile, dir); };
  BrowserProcess proc(exe, browser_args(options, root), prepare);
  Cdp cdp(proc, max_message_size(options));
  Tab tab(cdp);
  listen(tab);

  const Json version = open_tab(tab, proc, startup_deadline, rec);
  enable_events(tab, options, startup_deadline, rec);
  if (!options.profile.empty()) record_profile_cookies(tab, startup_deadline, profile, rec);
  set_user_agent(tab, options, version, startup_deadline, rec);
  set_cookies(tab, options, startup_deadline, rec);
  set_extra_headers(tab, options, startup_deadline, rec);

  const std::string navigated = util::utc_now();
  const bool settled = navigate_and_settle(tab, url, options, rec);
  const std::string settled_at = util::utc_now();

  const auto capture_deadline = Clock::now() + options.capture_timeout;
  result.files.push_back(take_screenshot(tab, options, capture_deadline, out_dir, created, rec));
  result.files.push_back(print_pdf(tab, capture_deadline, out_dir, created, rec));
  result.files.push_back(read_dom(tab, capture_deadline, out_dir, created, rec));
  read_location(tab, capture_deadline, rec);
  rec["bodies_kept"] = keep_response_bodies(tab, options, capture_deadline, result.scratch);

  proc.stop();
  tab.net.redact_cookies();
  const std::string finished = util::utc_now();

  record_browser(rec, exe, version, proc, root, options);
  rec["times"] = {{"started", started}, {"navigated", navigated}, {"settled", settled_at}, {"finished", finished}};
  rec["load_event"] = tab.load_fired;
  rec["dialogs"] = tab.dialogs;
  rec["requests"] = tab.net.requests_json();
  result.files.push_back(write_output(out_dir, "browser.json", rec.dump(2, ' ', false, Json::error_handler_t::replace) + "\n", &created));
  result.record = std::move(rec);
  result.requests = std::move(tab.net.requests);
  result.settled = settled;
  return result;
}

} // namespace

// ---------------------------------------------------------------- public

BrowserCapture::~BrowserCapture() {
  if (!scratch.empty()) util::remove_tree_forcibly(scratch);
}

BrowserCapture::BrowserCapture(BrowserCapture&& other) noexcept
    : files(std::move(other.files)), record(std::move(other.record)), requests(std::move(other.requests)), settled(other.settled),
      scratch(std::move(other.scratch)) {
  other.scratch.clear();
}

std::optional<std::pair<int, int>> parse_viewport(std::string_view text) {
  const auto x = text.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  const auto number = [](std::string_view s) -> std::optional<int> {
    int v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < 100 || v > 10000) return std::nullopt;
    return v;
  };
  const auto w = number(text.substr(0, x));
  const auto h = number(text.substr(x + 1));
  if (!w || !h) return std::nullopt;
  return std::make_pair(*w, *h);
}

std::optional<fs::path> find_browser(const std::string& browser) {
  const std::string name = browser.empty() ? "chromium" : browser;
  const auto usable = [](const fs::path& p) { return ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); };
  if (name.find('/') != std::string::npos) {
    if (usable(name)) return fs::path(name);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (usable(candidate)) return candidate;
  }
  return std::nullopt;
}

BrowserCapture capture_rendered(const std::string& url, const BrowserOptions& options, const fs::path& out_dir) {
  std::vector<fs::path> created;
  try {
    return capture_rendered_into(url, options, out_dir, created);
  } catch (...) {
    // Nothing half-written stays in the staging folder: a failed rendering leaves no files.
    std::error_code ec;
    for (const auto& p : created)
      fs::remove(p, ec);
    throw;
  }
}

} // namespace cbkit::capture
