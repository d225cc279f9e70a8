#pragma once

// capture-url --browser: the rendered capture as part of a "web" entry. Runs the browser
// (capture/browser.hpp) on the captured URL, with the raw capture's user agent (when the
// user chose one), extra headers, cookies, proxy and --insecure, and adds to the entry:
//   screenshot.png  rendered.html  page.pdf  browser.json
// and to the entry's capture.warc.gz (so a --tsa token over the WARC covers them too):
//   - a `resource` record for each of the three renderings (WARC-Target-URI
//     urn:cbkit:screenshot:<url>, urn:cbkit:pdf:<url>, urn:cbkit:rendered-dom:<url>);
//   - a `metadata` record holding browser.json;
//   - a `request` and a `response` record per network request the page made whose body
//     the browser kept (and per redirect). These are RECONSTRUCTED from what the DevTools
//     protocol reports, not the bytes on the wire: each carries the field
//     "WARC-Cbkit-Source: browser-cdp", the header block is rebuilt from the reported
//     headers, and the body is the browser's decoded body (http_response_head() explains
//     the Content-Encoding/Content-Length rewriting). The raw capture's own records, made
//     by libcurl, remain the byte-exact ones.

#include "cbkit/capture/browser.hpp"
#include "cbkit/capture/capture.hpp"
#include "cbkit/capture/warc.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace cbkit::capture {

struct BrowserStaged {
  std::vector<StagedFile> files; // roles: screenshot, pdf, rendered-dom, browser
  nlohmann::json summary;        // the manifest's web.browser / capture.json's "browser"
  std::string error;             // why the rendering failed (the raw capture stands); "" when it worked
};

// Runs the rendered capture of options.url (options.browser must be set) into `dir` and
// appends its records to `warc` (warc_records counts them). A failure of the browser (not
// installed, crashed, deadline) does not throw: it comes back in `error` with no file
// left behind. Throws Error(interrupted) on SIGINT/SIGTERM and Error(io) when the WARC
// cannot be written.
BrowserStaged stage_browser(const CaptureOptions& options, const std::filesystem::path& dir, WarcWriter& warc,
                            const std::string& warcinfo_id, std::size_t& warc_records);

} // namespace cbkit::capture
