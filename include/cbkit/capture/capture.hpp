#pragma once

// `capture-url`: fetch a URL hop by hop and store what a court asks for as one manifest
// entry of kind "web" in evidence/<seq>-web/:
//   capture.warc.gz  WARC/1.1: warcinfo, request+response per hop, metadata (= capture.json)
//   capture.json     requested and final URL, every hop, peer, TLS, times, limits, client
//   tls-chain.pem    the certificate chain the final hop's server sent (https only)
//   body.<ext>       the final response's body, de-chunked and content-decoded
//   timestamp.tsr, timestamp.tsq, tsa-chain.pem  with --tsa: RFC 3161 token over the WARC's SHA-256
//
// A response with any status (404, 500, ...) is evidence and a complete capture. A hop that
// gets no response (DNS, refused, TLS, timeout) ends the capture as a failed attempt: it is
// still recorded (capture.json, and the WARC of the hops before it), marked incomplete.

#include "cbkit/capture/browser.hpp"
#include "cbkit/capture/http.hpp"
#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/ingest.hpp"
#include "cbkit/tsa/rfc3161.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::capture {

// Sent unless --user-agent gives another: what a current desktop browser sends, so the
// site serves what a person would have seen. Recorded in capture.json and the WARC.
inline constexpr const char* k_default_user_agent =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

struct CaptureOptions {
  std::string url;
  std::vector<std::string> headers; // extra "Name: value" fields; replace the defaults of the same name
  std::optional<std::filesystem::path> cookie_file;
  std::string user_agent = k_default_user_agent;
  long timeout_ms = 30000;   // idle: connect, and the longest stall without data
  long deadline_ms = 300000; // total for the URL's hops (--deadline); what arrived by then is kept, marked cut
  std::uint64_t max_size = 512ull << 20;
  std::uint64_t max_decoded_size = 512ull << 20; // body.<ext> after content decoding (--max-decoded-size)
  int max_redirects = 10;
  std::string proxy;
  bool insecure = false;
  std::optional<std::filesystem::path> ca_file;
  std::optional<tsa::ObtainOptions> tsa; // --tsa/--tsa-ca
  store::Context context;
  std::string examiner; // empty: the case's
  std::chrono::milliseconds lock_timeout{60000};
  // --browser: also render the page in headless Chromium (capture/browser_stage.hpp).
  std::optional<BrowserOptions> browser;
};

// Throws Error(usage) naming the value: a URL that is not absolute http(s) (file://, ftp://,
// malformed, spaces, no host), a header without "Name: value" or with CR/LF, limits out of
// range, a TSA URL that is not http(s). Throws Error(input) for an unreadable cookie file or
// CA file, or a cookie file that is not in Netscape format.
void validate_capture_options(const CaptureOptions& options);

// One file written into the staging folder.
struct StagedFile {
  std::string name; // relative to the entry folder
  std::string role; // warc, capture, tls-chain, body, timestamp, timestamp-request, tsa-chain
  std::string media_type;
  util::FileDigest digest;
};

// What a capture put in a staging folder: the files and the manifest's "web" object.
struct StagedCapture {
  std::vector<StagedFile> files;   // written in the staging folder (the token's files are not)
  std::optional<tsa::Stamp> stamp; // with --tsa: the token over the WARC (tsa::add_token_files)
  manifest::Json web;              // the entry's summary (url, final_url, status, complete, error, ...)
  bool complete = false;
  std::optional<std::uint64_t> decoded_cut_at; // body.<ext> was cut at --max-decoded-size
  std::string error;                           // why the attempt failed (a sentence naming the URL); empty when complete
  manifest::Json identity;                     // capture.json's "identity" (capture/identity.hpp); null without a WARC
};

// Fetches options.url into `dir` and writes the files above (not synced; the caller syncs
// the folder). Network failures do not throw: they make an incomplete StagedCapture. Throws
// Error(input) when --tsa fails (nothing must then be recorded), Error(io) when writing
// fails, Error(interrupted) on SIGINT/SIGTERM.
StagedCapture stage_capture(const CaptureOptions& options, const std::filesystem::path& dir, const std::string& examiner);

struct CaptureResult {
  manifest::Appended appended;
  StagedCapture staged;
  std::vector<store::FileRecord> files; // every recorded file, as the line lists it
};

// validate, stage, append: one capture, one entry (also for a failed attempt).
CaptureResult capture_url(const store::Case& c, const CaptureOptions& options);

} // namespace cbkit::capture
