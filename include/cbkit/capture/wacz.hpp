#pragma once

// `export-wacz`: the case's web captures as one WACZ 1.1.1 file (Web Archive Collection
// Zipped, specs.webrecorder.net/wacz/1.1.1) that ReplayWeb.page and pywb open. It is a copy
// for replay, not evidence of its own: the WARCs inside are the case's files byte for byte
// (their SHA-256 in datapackage.json is the manifest's), and everything else in it is
// derived from them and from the manifest lines.
//
//   archive/<entry>-capture.warc.gz  each capture's WARC, stored (not deflated), so a reader
//                                    can seek to a record with an HTTP range request
//   indexes/index.cdxj               one line per response/resource record: SURT key,
//                                    14-digit time, JSON with url, mime, status, digest,
//                                    the gzip member's offset and length, and the file name
//   pages/pages.jsonl                one page per capture: the captured URL, its time, title
//   datapackage.json                 every file above with its SHA-256 and size, dated by the
//                                    case (never by the clock), and which manifest lines
//   datapackage-digest.json          the SHA-256 of datapackage.json
//
// The same case and selection give the same bytes: zip members in a fixed order, all dated
// by the newest exported entry's line, owned by uid/gid 0.

#include "cbkit/store/case.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::capture {

struct WaczOptions {
  std::vector<std::uint64_t> seqs; // the web entries to export; empty: every web entry with a WARC
  std::filesystem::path out;       // must end in .wacz
  bool force = false;              // replace an existing file
};

// One capture in the WACZ.
struct WaczEntry {
  std::uint64_t seq = 0;
  std::string url;          // the captured URL (the page)
  std::string warc;         // its path in the case
  std::string archive_path; // its path in the WACZ ("archive/...")
  std::string sha256;       // of the WARC: the manifest's, checked while copied
  std::uint64_t size = 0;
  std::uint64_t index_lines = 0; // CDXJ lines for this WARC
  bool page = false;             // a page was listed (the WARC holds a response for the URL)
};

struct WaczResult {
  std::filesystem::path path;
  std::string sha256; // of the .wacz file
  std::uint64_t size = 0;
  std::string created, modified; // as datapackage.json states them
  std::vector<WaczEntry> entries;
  std::vector<std::uint64_t> skipped; // web entries without a WARC (only when no seq was given)
  std::uint64_t pages = 0;
  std::uint64_t index_lines = 0;
};

// Writes the WACZ to options.out atomically (a temporary file in the same folder, fsync,
// then link or, with force, rename). Each WARC is read twice (index, copy) through a
// no-follow descriptor, and both times its bytes must have the manifest's size and SHA-256.
// Throws Error(usage) for an output name not ending in .wacz, an output inside the case's
// evidence/ or seals/, or one that exists without force; Error(input) naming the seq for a
// seq that is not a web entry, a web entry without a WARC, or no web entry at all;
// Error(case_) when a WARC is missing, is not what the manifest records or cannot be
// parsed; Error(io) when writing fails. Nothing is left at options.out on error.
WaczResult export_wacz(const store::Case& c, const WaczOptions& options);

// The SURT form of a URL as CDXJ indexes sort it (pywb's convention): scheme and "www."
// dropped, host labels reversed and comma-joined, a non-default port kept, ")" then the
// path and the query with its parameters sorted, all lower case. A URL that is not http(s)
// comes back lower-cased.
std::string surt_key(std::string_view url);

} // namespace cbkit::capture
