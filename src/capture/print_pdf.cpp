// A document of cbkit's own printed to PDF by the headless browser that --browser captures
// use (browser_process: own process group, throw-away profile; devtools: CDP on the pipe).
// Unlike a capture, nothing here is evidence: no network log, no screenshot, no DOM.

#include "cbkit/capture/browser.hpp"

#include "browser_process.hpp"
#include "devtools.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/base64.hpp"
#include "cbkit/util/fs.hpp"

#include <cctype>
#include <unistd.h>

namespace cbkit::capture {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// A4 portrait, in inches (CDP's unit).
constexpr double k_a4_width_in = 210.0 / 25.4;
constexpr double k_a4_height_in = 297.0 / 25.4;
constexpr double mm_to_in(double mm) { return mm / 25.4; }

// Removes the folder holding the document on every way out.
class TempDir {
public:
  TempDir() : m_path(make_temp_dir("cbkit-print")) {}
  ~TempDir() { util::remove_tree_forcibly(m_path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return m_path; }

private:
  fs::path m_path;
};

fs::path locate(const std::string& browser) {
  const auto exe = find_browser(browser);
  if (exe) return *exe;
  if (browser.empty()) {
    throw Error(ErrorKind::input,
                "PDF: 'chromium' not found on PATH; install the Debian package chromium (apt-get install chromium) or write the "
                "report as HTML");
  }
  throw Error(ErrorKind::input, "PDF: '" + browser + "' is not an executable file; install the Debian package chromium");
}

// Headless, CDP on the pipe, nothing that phones home, and no name resolves: the document
// is self-contained, so a reference that slipped through fetches nothing.
std::vector<std::string> print_args() {
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
      "--mute-audio",
      "--host-resolver-rules=MAP * ~NOTFOUND",
  };
  // Chromium's sandbox refuses to run as root.
  if (::geteuid() == 0) args.push_back("--no-sandbox");
  args.push_back("about:blank");
  return args;
}

// file:// URL of an absolute path, every byte outside [A-Za-z0-9/._~-] percent-encoded
// ($TMPDIR may hold spaces or '#').
std::string file_url(const fs::path& path) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string url = "file://";
  for (const char ch : path.string()) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '/' || c == '.' || c == '_' || c == '~' || c == '-') {
      url += ch;
    } else {
      url += '%';
      url += k_hex[c >> 4];
      url += k_hex[c & 15];
    }
  }
  return url;
}

} // namespace

std::string print_html_to_pdf(const std::string& html, const PdfPrintOptions& options) {
  const fs::path exe = locate(options.browser);
  const auto deadline = Clock::now() + options.timeout;

  const TempDir dir;
  const fs::path doc = dir.path() / "report.html";
  util::write_file_atomic(doc, html, 0600);

  BrowserProcess proc(exe, print_args());
  Cdp cdp(proc, 512u << 20);
  std::string session;
  bool loaded = false;
  cdp.on_event = [&](const Json& msg) {
    if (!session.empty() && msg.value("sessionId", std::string()) == session && msg.value("method", std::string()) == "Page.loadEventFired")
      loaded = true;
  };

  cdp.call("Browser.getVersion", Json::object(), "", deadline, "starting the browser");
  const Json target = cdp.call("Target.createTarget", {{"url", "about:blank"}}, "", deadline, "opening a tab");
  const Json attached = cdp.call("Target.attachToTarget", {{"targetId", target.value("targetId", std::string())}, {"flatten", true}}, "",
                                 deadline, "attaching to the tab");
  session = attached.value("sessionId", std::string());
  if (session.empty()) throw Error(ErrorKind::input, "PDF: attaching to the tab gave no session id");
  cdp.call("Page.enable", Json::object(), session, deadline, "enabling page events");

  const Json nav = cdp.call("Page.navigate", {{"url", file_url(doc)}}, session, deadline, "loading the report");
  if (!nav.value("errorText", std::string()).empty())
    throw Error(ErrorKind::input, "PDF: the browser could not load the document: " + nav.value("errorText", std::string()));
  while (!loaded) {
    auto msg = cdp.next(deadline);
    if (!msg) throw Error(ErrorKind::input, "PDF: the document did not finish loading in time");
    if (!msg->contains("id")) cdp.on_event(*msg);
  }

  Json params = {
      {"printBackground", true},
      {"preferCSSPageSize", true},
      {"paperWidth", k_a4_width_in},
      {"paperHeight", k_a4_height_in},
      {"marginTop", mm_to_in(options.margin_top_mm)},
      {"marginBottom", mm_to_in(options.margin_bottom_mm)},
      {"marginLeft", mm_to_in(options.margin_side_mm)},
      {"marginRight", mm_to_in(options.margin_side_mm)},
      {"displayHeaderFooter", !options.footer_html.empty()},
      // An empty element: Chromium's default header is the date and the title.
      {"headerTemplate", "<span></span>"},
      {"footerTemplate", options.footer_html.empty() ? std::string("<span></span>") : options.footer_html},
  };
  const Json pdf = cdp.call("Page.printToPDF", params, session, deadline, "printing the report to PDF");
  auto bytes = util::base64_decode(pdf.value("data", std::string()));
  if (!bytes || !bytes->starts_with("%PDF-")) throw Error(ErrorKind::input, "PDF: the browser's answer is not a PDF");
  proc.stop();
  return std::move(*bytes);
}

} // namespace cbkit::capture
