#pragma once

// The rendered capture of a web page: what a person saw in a browser, after the page's
// scripts ran. cbkit drives Debian's headless Chromium over the Chrome DevTools Protocol
// (CDP) on `--remote-debugging-pipe` (file descriptors 3 and 4, NUL-delimited JSON): no
// TCP port is opened, so nothing else on the machine can talk to the browser.
//
// The browser runs in its own process group with a fresh profile in a temporary folder;
// the group is killed (SIGKILL) and the profile removed on every way out: success, error,
// deadline, SIGINT/SIGTERM (cbkit::interrupted()) and exceptions.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cbkit::capture {

// One cookie of a Netscape cookie file (the format of curl, wget and browser exports).
struct BrowserCookie {
  std::string domain; // as written: a leading '.' means the subdomains too
  bool include_subdomains = false;
  std::string path;
  bool secure = false;
  bool http_only = false;   // the line carried the "#HttpOnly_" prefix
  std::int64_t expires = 0; // seconds since the epoch; 0 = session cookie
  std::string name;
  std::string value;
};

// Reads a Netscape cookie file: one cookie per line, 7 TAB-separated fields
// (domain, include-subdomains TRUE/FALSE, path, secure TRUE/FALSE, expiry, name, value);
// '#' lines are comments except the "#HttpOnly_" prefix; blank lines are skipped.
// Throws Error(input) naming the file and the line number for a malformed line, and
// Error(input) when the file cannot be read.
std::vector<BrowserCookie> read_netscape_cookie_file(const std::filesystem::path& file);

struct BrowserOptions {
  // The browser to run. Empty: "chromium" looked up on $PATH. A value without '/' is also
  // looked up on $PATH.
  std::string browser;
  int viewport_width = 1280;
  int viewport_height = 800;
  // Sent as the User-Agent (Network.setUserAgentOverride). Empty: the browser's own, with
  // "HeadlessChrome/" written as "Chrome/" (sites serve headless browsers differently).
  std::string user_agent;
  std::vector<BrowserCookie> cookies;
  // Extra request headers (name, value) for every request of the page.
  std::vector<std::pair<std::string, std::string>> headers;
  // How long to wait for the page to settle: the load event and then `idle_time` with no
  // request in flight. When it passes, the page is captured as it is and flagged.
  std::chrono::milliseconds settle_timeout{30000};
  std::chrono::milliseconds idle_time{500};
  // Time allowed after settling for the screenshot, PDF, DOM and response bodies. Together
  // with settle_timeout and startup_timeout it bounds the whole browser session.
  std::chrono::milliseconds capture_timeout{60000};
  std::chrono::milliseconds startup_timeout{20000};
  // V8 heap limit of the page (--js-flags=--max-old-space-size). RLIMIT_AS cannot bound
  // Chromium: its sandbox and V8 reserve terabytes of address space up front.
  unsigned js_heap_mb = 1024;
  // A response body larger than this is not fetched from the browser (flagged per request).
  std::uint64_t max_body_size = 64ull << 20;
  // Full-page screenshots are cut at this height in CSS pixels (flagged).
  int max_screenshot_height = 16384;
  // Passed as --proxy-server when not empty.
  std::string proxy;
  // --ignore-certificate-errors (recorded).
  bool insecure = false;
  // --browser-profile: a Chromium user-data-dir (e.g. one the user logged in with) that is
  // copied into the throw-away profile, never written to. Empty: a fresh profile. The copy
  // (source, file-list hash) and the names and domains of the cookies the browser then holds
  // are recorded in browser.json as "profile", never a cookie's value.
  std::filesystem::path profile;
};

// One request the page made, from the Network domain's events. A redirect is its own
// request (the hop's response comes with the next request's requestWillBeSent).
struct BrowserRequest {
  std::string request_id;
  std::string url;
  std::string method;
  std::string resource_type;      // Document, Script, Image, ...
  nlohmann::json request_headers; // object; as sent when CDP reports them; Cookie values redacted
  std::string post_data;          // request body when CDP gives it
  std::string started_utc;        // wall time of requestWillBeSent
  double started_monotonic = 0;   // CDP timestamp (seconds), for durations
  std::optional<int> status;      // absent when no response arrived
  std::string status_text;
  std::string protocol;            // "http/1.1", "h2", ...
  nlohmann::json response_headers; // object
  std::string mime_type;
  std::string remote_ip;
  int remote_port = 0;
  std::string error;     // loadingFailed errorText ("" when none)
  bool finished = false; // loadingFinished arrived
  bool from_cache = false;
  double duration_ms = -1;          // requestWillBeSent -> loadingFinished/Failed
  std::uint64_t encoded_length = 0; // bytes on the wire (CDP encodedDataLength)
  // The decoded response body (Network.getResponseBody), stored in the session's scratch
  // folder; empty path when not available, with the reason in body_note.
  std::filesystem::path body_file;
  std::uint64_t body_size = 0;
  std::string body_sha256;
  std::string body_note;
};

// A file written into the output folder.
struct BrowserFile {
  std::string name; // relative to the output folder
  std::uint64_t size = 0;
  std::string sha256;
};

// The result of one rendered capture. Holds the scratch folder with the response bodies
// (removed on destruction), so write the WARC records before it goes away.
class BrowserCapture {
public:
  BrowserCapture() = default;
  ~BrowserCapture();
  BrowserCapture(BrowserCapture&& other) noexcept;
  BrowserCapture& operator=(BrowserCapture&&) = delete;
  BrowserCapture(const BrowserCapture&) = delete;
  BrowserCapture& operator=(const BrowserCapture&) = delete;

  // Files written into the output folder, in this order: screenshot.png, page.pdf,
  // rendered.html, browser.json (names relative to the folder).
  std::vector<BrowserFile> files;
  // browser.json's content (also written to the file).
  nlohmann::json record;
  std::vector<BrowserRequest> requests;
  bool settled = false; // load + network idle reached before settle_timeout

  std::filesystem::path scratch;
};

// Renders `url` in a fresh headless browser and writes screenshot.png (full page),
// page.pdf, rendered.html (the DOM after scripts ran, UTF-8) and browser.json into
// `out_dir` (an existing staging folder; the names must not exist there yet), each
// fsync'ed and hashed while written.
//
// Throws Error(input) when no browser is found (naming the Debian package "chromium"),
// Error(input) when the browser fails to start or dies, when the session's deadline
// passes before the capture files are written (the message says which step), Error(io)
// when a file cannot be written, Error(interrupted) on SIGINT/SIGTERM. The browser is dead
// and its profile removed when this returns or throws.
BrowserCapture capture_rendered(const std::string& url, const BrowserOptions& options, const std::filesystem::path& out_dir);

// "WIDTHxHEIGHT" (e.g. "390x844"), each 100..10000 CSS pixels; nullopt otherwise.
std::optional<std::pair<int, int>> parse_viewport(std::string_view text);

// Checks a --browser-profile folder as the copy will (a folder, not in use by a running
// Chromium, no symbolic link leading out of it, at most 2 GiB without caches) without
// copying anything, so a bad profile is refused before anything is fetched. Throws
// Error(input) naming the path, Error(io) when it cannot be read.
void check_browser_profile(const std::filesystem::path& dir);

// Where `browser` (as in BrowserOptions::browser) resolves to, or nullopt when it is not
// an executable file.
std::optional<std::filesystem::path> find_browser(const std::string& browser);

// Printing a document of cbkit's own (the report) to PDF with the same headless browser.
struct PdfPrintOptions {
  std::string browser; // as BrowserOptions::browser
  // Chromium's footer template: its own small HTML document in which elements of class
  // "pageNumber" and "totalPages" are filled in per page. Empty: no footer. The header is
  // always empty (no date, title or file path).
  std::string footer_html;
  // The page's own @page size and margins win (preferCSSPageSize); these are the fallback
  // (A4 portrait, margins in millimetres).
  double margin_top_mm = 15;
  double margin_bottom_mm = 18;
  double margin_side_mm = 14;
  // The whole browser session: start, load and print.
  std::chrono::milliseconds timeout{120000};
};

// `html` (a self-contained document: no network is used, every host name resolves to
// nothing) printed to PDF by headless Chromium (Page.printToPDF over the DevTools pipe,
// backgrounds printed). Returns the PDF's bytes. The document is loaded from a file in a
// temporary folder that is removed on every way out, as is the browser's profile.
// Throws Error(input) naming the Debian package chromium when the browser is not found, or
// when it fails or `timeout` passes (the message says at which step), Error(io) when the
// temporary folder cannot be written, Error(interrupted) on SIGINT/SIGTERM.
std::string print_html_to_pdf(const std::string& html, const PdfPrintOptions& options);

// Reconstructed HTTP/1.1 message heads for a WARC request/response record. The bytes
// are NOT what went over the wire: CDP reports parsed headers and the decoded body. The
// response head therefore drops Content-Encoding, Transfer-Encoding and Content-Length
// (kept as X-Archive-Orig-<Name>, pywb's convention) and states the stored body's length.
std::string http_request_head(const BrowserRequest& r);
std::string http_response_head(const BrowserRequest& r);

} // namespace cbkit::capture
