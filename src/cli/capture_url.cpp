#include "cbkit/capture/capture.hpp"
#include "cbkit/capture/identity.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/lazy_library.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/version.hpp"
#include "cli/common.hpp"
#include "cli/progress.hpp"

#include <fstream>
#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

// What capture-url's options hold before they become capture::CaptureOptions. Engine
// options added later (e.g. --browser) belong here and in to_capture_options().
struct CaptureUrlArgs {
  std::vector<std::string> urls;
  std::string from_file;
  std::vector<std::string> headers;
  std::string cookie_file;
  std::string user_agent = capture::k_default_user_agent;
  double timeout_seconds = 30;
  std::string max_size = "512M";
  std::string max_decoded_size = "512M";
  double deadline_seconds = 300;
  int max_redirects = 10;
  std::string proxy;
  bool insecure = false;
  std::string cacert;
  std::string tsa_url;
  std::string tsa_ca;
  ContextArgs context;
  std::string examiner;
  std::string browser; // --browser[=PATH]: "" when not given
  std::optional<std::string> viewport;
  std::optional<double> browser_timeout_seconds;
  std::string browser_profile;
};

// "512M", "1G", "100000", "64K" (binary multiples).
std::uint64_t parse_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  const std::string unit = util::to_lower_ascii(text.substr(digits));
  int shift = -1;
  if (unit.empty() || unit == "b")
    shift = 0;
  else if (unit == "k" || unit == "kib")
    shift = 10;
  else if (unit == "m" || unit == "mib")
    shift = 20;
  else if (unit == "g" || unit == "gib")
    shift = 30;
  if (digits == 0 || digits > 12 || shift < 0)
    throw Error(ErrorKind::usage, "--max-size '" + util::utf8_lossy(text) + "': expected a size such as 512M, 2G, 64K or 100000");
  return std::stoull(text.substr(0, digits)) << shift;
}

capture::CaptureOptions to_capture_options(const CaptureUrlArgs& a, const GlobalOptions& g) {
  capture::CaptureOptions o;
  o.headers = a.headers;
  if (!a.cookie_file.empty()) o.cookie_file = a.cookie_file;
  o.user_agent = a.user_agent;
  if (!(a.timeout_seconds >= 0.1 && a.timeout_seconds <= 3600))
    throw Error(ErrorKind::usage, "--timeout " + std::to_string(a.timeout_seconds) + ": must be between 0.1 and 3600 seconds");
  o.timeout_ms = static_cast<long>(a.timeout_seconds * 1000);
  o.max_size = parse_size(a.max_size);
  o.max_decoded_size = parse_size(a.max_decoded_size);
  if (!(a.deadline_seconds >= 1 && a.deadline_seconds <= 86400))
    throw Error(ErrorKind::usage, "--deadline " + std::to_string(a.deadline_seconds) + ": must be between 1 and 86400 seconds");
  o.deadline_ms = static_cast<long>(a.deadline_seconds * 1000);
  o.max_redirects = a.max_redirects;
  o.proxy = a.proxy;
  o.insecure = a.insecure;
  if (!a.cacert.empty()) o.ca_file = a.cacert;
  if (!a.tsa_ca.empty() && a.tsa_url.empty()) throw Error(ErrorKind::usage, "--tsa-ca needs --tsa URL");
  if (!a.tsa_url.empty()) {
    tsa::ObtainOptions t;
    t.url = a.tsa_url;
    if (!a.tsa_ca.empty()) t.ca = a.tsa_ca;
    t.timeout_seconds = std::max(1L, o.timeout_ms / 1000);
    t.proxy = a.proxy;
    t.user_agent = std::string("cbkit/") + k_version;
    o.tsa = t;
  }
  o.context = to_context(a.context, g);
  o.examiner = examiner_or_env(a.examiner);
  o.lock_timeout = g.lock_timeout();
  if (a.browser.empty() && (a.viewport || a.browser_timeout_seconds || !a.browser_profile.empty()))
    throw Error(ErrorKind::usage, std::string(a.viewport                  ? "--viewport"
                                              : a.browser_timeout_seconds ? "--browser-timeout"
                                                                          : "--browser-profile") +
                                      " only applies with --browser");
  if (!a.browser.empty()) {
    capture::BrowserOptions b;
    b.browser = a.browser;
    if (a.viewport) {
      const auto v = capture::parse_viewport(*a.viewport);
      if (!v)
        throw Error(ErrorKind::usage,
                    "--viewport '" + util::utf8_lossy(*a.viewport) + "': expected WIDTHxHEIGHT, each 100 to 10000 (e.g. 390x844)");
      b.viewport_width = v->first;
      b.viewport_height = v->second;
    }
    if (a.browser_timeout_seconds) {
      if (!(*a.browser_timeout_seconds >= 1 && *a.browser_timeout_seconds <= 3600))
        throw Error(ErrorKind::usage,
                    "--browser-timeout " + std::to_string(*a.browser_timeout_seconds) + ": must be between 1 and 3600 seconds");
      b.settle_timeout = std::chrono::milliseconds(static_cast<long long>(*a.browser_timeout_seconds * 1000));
    }
    if (!a.browser_profile.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_directory(a.browser_profile, ec))
        throw Error(ErrorKind::usage, "--browser-profile '" + util::utf8_lossy(a.browser_profile) +
                                          "': not a folder (give the folder Chromium was started with as --user-data-dir)");
      b.profile = std::filesystem::absolute(a.browser_profile);
      capture::check_browser_profile(b.profile);
    }
    o.browser = b;
  }
  return o;
}

// The URLs of --from-file: one per line; blank lines and lines starting with '#' skipped.
std::vector<std::string> read_url_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, util::utf8_lossy(path) + ": cannot read the URL list (--from-file)");
  std::vector<std::string> urls;
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view url = util::trim(line, " \t\r");
    if (url.empty() || url.front() == '#') continue;
    urls.emplace_back(url);
  }
  if (urls.empty()) throw Error(ErrorKind::input, util::utf8_lossy(path) + ": no URL in the file (one per line)");
  return urls;
}

int run_capture_url(const CaptureUrlArgs& args, const GlobalOptions& g) {
  // libcurl first: the URL checks below use it, and without it every URL would become a
  // failed attempt.
  util::require_curl();
  std::vector<std::string> urls = args.urls;
  if (!args.from_file.empty()) {
    const auto more = read_url_file(args.from_file);
    urls.insert(urls.end(), more.begin(), more.end());
  }
  if (urls.empty()) throw Error(ErrorKind::usage, "capture-url: no URL given (a URL argument or --from-file FILE)");
  const capture::CaptureOptions base = to_capture_options(args, g);
  // Every URL and option is checked before the first fetch: a typo on line 9 stores nothing.
  std::vector<capture::CaptureOptions> all;
  for (const auto& u : urls) {
    capture::CaptureOptions o = base;
    o.url = u;
    capture::validate_capture_options(o);
    all.push_back(std::move(o));
  }
  store::validate_context(base.context);
  const store::Case c = open_case(g);
  // A case that another process keeps locked is found now, before anything is fetched (a
  // capture would otherwise be made and then not recorded).
  { const util::FileLock probe(c.lock_path(), g.lock_timeout()); }

  manifest::Json entries = manifest::Json::array();
  manifest::Json failed_attempts = manifest::Json::array();
  std::string first_failure;
  manifest::Appended last;
  int failures = 0;
  CommittedRange committed;
  std::vector<std::string> not_committed;
  // The --json document: run() prints it (with `error` when a capture throws part-way).
  auto fill_document = [&] {
    g.out["entries"] = entries;
    g.out["entry_count"] = entries.size();
    g.out["failed_attempts"] = failed_attempts;
    g.out["committed"] = committed.to_json();
    g.out["not_committed"] = not_committed;
  };
  std::size_t next = 0; // the URLs before it are committed
  try {
    for (const auto& o : all) {
      const capture::CaptureResult r = capture::capture_url(c, o);
      ++next;
      committed.add(r.appended);
      last = r.appended;
      g.out.add_appended(r.appended, r.files);
      const auto& w = r.staged.web;
      if (g.json) {
        manifest::Json e = manifest::Json::object();
        e["seq"] = r.appended.seq;
        e["head"] = r.appended.head;
        e["entry"] = r.appended.entry_dir; // kept for one release: "dir"
        e["dir"] = r.appended.entry_dir;
        e["url"] = o.url;
        e["complete"] = r.staged.complete;
        e["outcome"] = w["outcome"];
        e["status"] = w["status"];
        e["final_url"] = w["final_url"];
        e["truncated"] = w["truncated"];
        if (w.contains("browser")) e["browser"] = w["browser"];
        if (!r.staged.identity.is_null()) e["identity"] = r.staged.identity;
        if (!r.staged.error.empty()) e["error"] = r.staged.error;
        manifest::Json files = manifest::Json::array();
        for (const auto& f : r.files)
          files.push_back(manifest::Json{{"path", f.path}, {"sha256", f.sha256}, {"size", f.size}, {"role", f.role}});
        e["files"] = files;
        entries.push_back(std::move(e));
      } else {
        for (const auto& f : r.files)
          std::cout << "  " << f.sha256 << "  " << f.size << "  " << util::terminal_text(f.path, false) << "\n";
        if (r.staged.complete) {
          std::cout << "    " << w["status"].get<long>() << " " << util::terminal_text(w["final_url"].get<std::string>(), false);
          if (w["redirects"].get<std::size_t>() > 0) std::cout << " (after " << w["redirects"].get<std::size_t>() << " redirect(s))";
          if (w["truncated"].get<bool>()) std::cout << "; body cut at --max-size";
          std::cout << "\n";
          if (w.contains("identity")) {
            const std::string who = capture::identity_summary(w["identity"]);
            if (!who.empty()) std::cout << "    about: " << util::terminal_text(who, false) << "\n";
          }
        }
        print_receipt(r.appended);
      }
      if (!r.staged.complete) {
        ++failures;
        failed_attempts.push_back(r.appended.seq);
        if (first_failure.empty())
          first_failure = o.url + ": " + r.staged.error + "; recorded as a failed attempt (seq " + std::to_string(r.appended.seq) + ")";
        std::cerr << "cbkit: error: " << util::terminal_text(r.staged.error, false) << "; recorded as a failed attempt (seq "
                  << r.appended.seq << ")\n";
      } else if (w["truncated"].get<bool>()) {
        g.out.warn("body-truncated", "the body was cut at --max-size " + std::to_string(o.max_size) + " bytes (flagged as truncated)",
                   o.url);
        std::cerr << "cbkit: warning: " << util::terminal_text(o.url, false) << ": the body was cut at --max-size " << o.max_size
                  << " bytes (flagged as truncated)\n";
      }
      if (r.staged.decoded_cut_at) {
        g.out.warn("decoded-body-cut",
                   "the decoded body was cut at --max-decoded-size " + std::to_string(*r.staged.decoded_cut_at) + " bytes", o.url);
        std::cerr << "cbkit: warning: " << util::terminal_text(o.url, false) << ": the decoded body was cut at --max-decoded-size "
                  << *r.staged.decoded_cut_at << " bytes (capture.json says so; the WARC keeps the response whole)\n";
      }
      if (r.staged.complete && w.contains("browser") && !w["browser"].value("ok", true)) {
        ++failures;
        if (first_failure.empty())
          first_failure = o.url + ": " + util::string_field(w["browser"], "error") + "; the raw capture was recorded (seq " +
                          std::to_string(r.appended.seq) + ")";
        std::cerr << "cbkit: error: " << util::terminal_text(util::string_field(w["browser"], "error"), false)
                  << "; the raw capture was recorded (seq " << r.appended.seq << ")\n";
      }
      std::cout.flush();
    }
  } catch (const Error& e) {
    for (std::size_t i = next; i < all.size(); ++i)
      not_committed.push_back(all[i].url);
    if (g.json) fill_document();
    if (committed.count == 0) throw;
    if (e.kind() != ErrorKind::interrupted) throw;
    // Some captures are in the case: say which, with the code for "partly done".
    throw Error(ErrorKind::partial, "capture-url: interrupted after " + std::to_string(committed.count) + " of " +
                                        std::to_string(all.size()) + " URLs were recorded (seq " + std::to_string(committed.first->seq) +
                                        " to " + std::to_string(committed.last->seq) + ", head " + committed.last->head + "); the other " +
                                        std::to_string(not_committed.size()) + " were not: capture only those again");
  } catch (...) {
    if (g.json) fill_document();
    throw;
  }
  if (g.json) {
    fill_document();
    // Exit 3: error.recorded says the failed attempt is in the case (failed_attempts[]).
    if (failures > 0) g.out.print_failure(Error(ErrorKind::input, first_failure), true);
  }
  return failures == 0 ? 0 : static_cast<int>(ErrorKind::input);
}

} // namespace

void setup_capture_url(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<CaptureUrlArgs>();
  CLI::App* sub = app.add_subcommand("capture-url", "Capture web pages (WARC, TLS chain, body, times) as evidence, one entry per URL");
  sub->add_option("URL", args->urls, "http:// or https:// URLs to capture");
  sub->add_option("--from-file", args->from_file, "A file with one URL per line (# comments)");
  sub->add_option("--header", args->headers, "Extra request header 'Name: value' (repeatable; replaces a default of that name)")
      ->allow_extra_args(false);
  sub->add_option("--cookie-file", args->cookie_file, "Netscape cookies.txt to send (e.g. a logged-in view)");
  sub->add_option("--user-agent", args->user_agent, "User-Agent to send (default: a current desktop browser's; always recorded)");
  sub->add_option("--timeout", args->timeout_seconds, "Seconds to wait for a connection and for data to arrive (default 30)");
  sub->add_option("--deadline", args->deadline_seconds,
                  "Seconds the whole capture of one URL may take, redirects included (default 300); what arrived by then is kept, "
                  "marked cut");
  sub->add_option("--max-size", args->max_size, "Largest body kept per response (default 512M); beyond it the body is cut and flagged");
  sub->add_option("--max-decoded-size", args->max_decoded_size,
                  "Largest body.<ext> after gzip/deflate decoding (default 512M); beyond it the decoded copy is cut and flagged, "
                  "the WARC keeps the response whole");
  sub->add_option("--max-redirects", args->max_redirects, "Redirects followed, each one recorded (default 10)");
  sub->add_option("--proxy", args->proxy, "Proxy URL (recorded); proxy environment variables are ignored");
  sub->add_flag("--insecure", args->insecure, "Do not require a valid certificate (recorded; verify warns about it)");
  sub->add_option("--cacert", args->cacert, "Trust these CA certificates (PEM) instead of the system's");
  sub->add_option("--tsa", args->tsa_url, "RFC 3161 time-stamping authority URL: trusted time over the WARC file");
  sub->add_option("--tsa-ca", args->tsa_ca, "CA certificates (PEM) the TSA's token must chain to");
  // A flag, so "--browser URL" never takes the URL as the browser's path: give a path as --browser=PATH.
  sub->add_flag("--browser{chromium}", args->browser,
                "Also render the page in headless Chromium: full-page screenshot, PDF, rendered DOM, the page's requests "
                "(--browser=PATH: that browser; default: chromium on $PATH)");
  sub->add_option("--viewport", args->viewport, "With --browser: window size WIDTHxHEIGHT in CSS pixels (default 1280x800)");
  sub->add_option("--browser-timeout", args->browser_timeout_seconds,
                  "With --browser: seconds to wait for the page to settle (load + 500 ms without requests; default 30); then it "
                  "is captured as it is and flagged");
  sub->add_option("--browser-profile", args->browser_profile,
                  "With --browser: run on a copy of this Chromium profile (--user-data-dir), e.g. one logged in to the site; the "
                  "folder is only read; its cookies' names and domains are recorded, never their values");
  add_context_options(*sub, args->context, true);
  sub->add_option("--examiner", args->examiner, "Who makes this capture (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_capture_url(*args, g); }; });
}

} // namespace cbkit::cli
