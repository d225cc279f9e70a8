#include "cbkit/capture/wacz.hpp"

#include "cbkit/capture/warc.hpp"
#include "cbkit/error.hpp"
#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/recorded.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/lazy_library.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cbkit/version.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::capture {

namespace fs = std::filesystem;
using util::Json;

namespace {

constexpr const char* k_wacz_version = "1.1.1";
// What the index reads of each record's block: the HTTP status line and Content-Type.
constexpr std::size_t k_keep_head = 16384;

std::string display(const fs::path& p) { return util::utf8_lossy(p.string()); }

// A web entry chosen for export, read from its manifest line.
struct Selected {
  std::uint64_t seq = 0;
  std::string time;        // the line's time
  std::string line_sha256; // SHA-256 of the line's bytes
  std::string url;
  Json warc_file; // the line's file record of role "warc" (null when none)
  Json browser_file;
  Json body_file;
  std::string archive_name; // file name under archive/
};

struct ManifestScan {
  std::string case_id;
  std::string case_title;
  std::string case_created;
  std::vector<Selected> web;
};

// Reads every line once: the case line, and the web entries (all, or the seqs asked for).
ManifestScan scan_manifest(const store::Case& c, const std::vector<std::uint64_t>& seqs) {
  const std::set<std::uint64_t> wanted(seqs.begin(), seqs.end());
  std::set<std::uint64_t> found;
  ManifestScan scan;
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (reader.next(raw)) {
    if (raw.too_long || !raw.has_lf) continue;
    const auto line = manifest::parse_line(raw.bytes);
    if (!line) continue;
    const auto seq = util::unsigned_field(*line, "seq");
    const std::string kind = util::string_field(*line, "kind");
    if (!seq) continue;
    if (*seq == 0) {
      scan.case_created = util::string_field(*line, "time");
      if (const Json* cs = util::field(*line, "case"); cs != nullptr && cs->is_object()) {
        scan.case_id = util::string_field(*cs, "id");
        scan.case_title = util::string_field(*cs, "title");
      }
      if (scan.case_id.empty()) scan.case_id = util::string_field(*line, "case_id");
    }
    if (!wanted.empty() && wanted.count(*seq) == 0) continue;
    if (!wanted.empty()) found.insert(*seq);
    if (kind != "web") {
      if (!wanted.empty())
        throw Error(ErrorKind::input, "seq " + std::to_string(*seq) + ": a " + util::utf8_lossy(kind) +
                                          " entry, not a web capture; export-wacz takes web entries");
      continue;
    }
    Selected s;
    s.seq = *seq;
    s.time = util::string_field(*line, "time");
    s.line_sha256 = raw.sha256;
    if (const Json* w = util::field(*line, "web"); w != nullptr && w->is_object()) s.url = util::string_field(*w, "url");
    if (const Json* files = util::field(*line, "files"); files != nullptr && files->is_array()) {
      for (const Json& f : *files) {
        const std::string role = util::string_field(f, "role");
        if (role == "warc" && s.warc_file.is_null()) s.warc_file = f;
        if (role == "browser" && s.browser_file.is_null()) s.browser_file = f;
        if (role == "body" && s.body_file.is_null()) s.body_file = f;
      }
    }
    scan.web.push_back(std::move(s));
  }
  for (const auto seq : wanted)
    if (found.count(seq) == 0) throw Error(ErrorKind::input, "seq " + std::to_string(seq) + ": no such entry in the case");
  return scan;
}

// The folder name of an entry's file ("000002-web") joined to its base name, so that the
// WACZ's file names are unique and lead back to the case.
std::string archive_name_of(const std::string& path) {
  const auto last = path.rfind('/');
  const auto before = last == std::string::npos ? std::string::npos : path.rfind('/', last - 1);
  if (last == std::string::npos) return path;
  const std::string folder =
      path.substr(before == std::string::npos ? 0 : before + 1, last - (before == std::string::npos ? 0 : before + 1));
  return folder + "-" + path.substr(last + 1);
}

// Opens a recorded WARC for reading: a safe path inside evidence/, a regular file with the
// recorded size (no link followed). Throws Error(case_) naming the path otherwise.
util::UniqueFd open_recorded(const store::Case& c, const Selected& s, const std::string& path, std::uint64_t size) {
  if (!manifest::is_safe_entry_path(path, kinds::area_of("web")))
    throw Error(ErrorKind::case_, "seq " + std::to_string(s.seq) + ": recorded path " + util::utf8_lossy(path) + " leaves evidence/");
  util::UniqueFd fd(::open((c.root() / path).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(ErrorKind::case_,
                util::utf8_lossy(path) + " (seq " + std::to_string(s.seq) + "): missing or not a regular file; run 'cbkit verify'");
  if (static_cast<std::uint64_t>(st.st_size) != size)
    throw Error(ErrorKind::case_,
                util::utf8_lossy(path) + " (seq " + std::to_string(s.seq) + "): not the recorded size; run 'cbkit verify'");
  return fd;
}

// One record of the index.
struct IndexLine {
  std::string key;       // SURT
  std::string timestamp; // 14 digits
  std::string json;      // the rest of the line
};

std::string cdx_timestamp(const std::string& warc_date) {
  std::string ts;
  for (const char ch : warc_date.substr(0, 19))
    if (ch >= '0' && ch <= '9') ts += ch;
  return ts;
}

// The status code and media type from an HTTP response head (as much of it as was kept).
void read_http_head(const std::string& head, std::string& status, std::string& mime) {
  // "HTTP/1.1 200 OK"
  if (head.starts_with("HTTP/")) {
    const auto sp = head.find(' ');
    if (sp != std::string::npos && sp + 4 <= head.size()) {
      const std::string code = head.substr(sp + 1, 3);
      if (std::all_of(code.begin(), code.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) status = code;
    }
  }
  const auto end = head.find("\r\n\r\n");
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && (end == std::string::npos || pos < end)) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string field = head.substr(pos + 2, (next == std::string::npos ? head.size() : next) - pos - 2);
    const auto colon = field.find(':');
    if (colon != std::string::npos && util::iequals(util::trim(field.substr(0, colon), " \t"), "content-type")) {
      std::string v(util::trim(field.substr(colon + 1), " \t"));
      if (const auto semi = v.find(';'); semi != std::string::npos) v = v.substr(0, semi);
      mime = util::to_lower_ascii(util::trim(v, " \t"));
      break;
    }
    pos = next;
  }
}

struct Indexed {
  std::vector<IndexLine> lines;
  std::string page_date; // WARC-Date of the first response for the captured URL
};

// Reads one WARC (the manifest's bytes, checked) into index lines. A record's length is the
// distance to the next record's gzip member (the last: to the end of the file).
Indexed index_warc(const store::Case& c, const Selected& s) {
  const std::string path = util::string_field(s.warc_file, "path");
  const std::uint64_t size = util::unsigned_field(s.warc_file, "size").value_or(0);
  util::UniqueFd fd = open_recorded(c, s, path, size);
  std::vector<WarcRecordInfo> records;
  WarcReader reader([&records](const WarcRecordInfo& r) { records.push_back(r); }, k_keep_head);
  const util::FileDigest d =
      util::sha256_fd(fd.get(), util::utf8_lossy(path), [&reader](const char* p, std::size_t n) { reader.update(p, n); });
  reader.finish();
  if (d.sha256 != util::string_field(s.warc_file, "sha256") || d.size != size)
    throw Error(ErrorKind::case_,
                util::utf8_lossy(path) + " (seq " + std::to_string(s.seq) + "): not the recorded SHA-256; run 'cbkit verify'");
  if (!reader.error().empty())
    throw Error(ErrorKind::case_, util::utf8_lossy(path) + " (seq " + std::to_string(s.seq) + "): not a readable WARC: " + reader.error());

  Indexed out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const WarcRecordInfo& r = records[i];
    const std::string type = r.field("WARC-Type").value_or("");
    const std::string uri = r.field("WARC-Target-URI").value_or("");
    if (type != "response" && type != "resource" && type != "revisit") continue;
    if (!uri.starts_with("http://") && !uri.starts_with("https://")) continue; // cbkit's renderings are urn: records
    const std::string date = r.field("WARC-Date").value_or("");
    const std::uint64_t end = i + 1 < records.size() ? records[i + 1].member_offset : size;
    std::string status, mime;
    if (type == "resource") {
      status = "200";
      mime = util::to_lower_ascii(r.field("Content-Type").value_or(""));
    } else {
      read_http_head(r.block_head, status, mime);
    }
    Json j = Json::object();
    j["url"] = uri;
    j["mime"] = mime.empty() ? "unk" : mime;
    if (!status.empty()) j["status"] = status;
    if (const auto pd = r.field("WARC-Payload-Digest")) j["digest"] = *pd;
    j["length"] = std::to_string(end - r.member_offset);
    j["offset"] = std::to_string(r.member_offset);
    j["filename"] = s.archive_name;
    out.lines.push_back(IndexLine{surt_key(uri), cdx_timestamp(date), j.dump(-1, ' ', false, Json::error_handler_t::replace)});
    if (type == "response" && uri == s.url && out.page_date.empty()) out.page_date = date;
  }
  return out;
}

// The page's title: the rendered page's (browser.json) when there is one, else the
// <title> of the stored body when it is HTML. Empty when neither says.
std::string page_title(const store::Case& c, const Selected& s) {
  if (!s.browser_file.is_null()) {
    const store::RecordedBytes b = store::read_recorded(c.root(), s.browser_file, "web", 64u << 20);
    if (b.bytes) {
      const Json j = Json::parse(*b.bytes, nullptr, false);
      if (j.is_object()) {
        const std::string t = util::string_field(j, "title");
        if (!t.empty()) return t;
      }
    }
  }
  if (!s.body_file.is_null() && util::string_field(s.body_file, "path").ends_with(".html")) {
    const store::RecordedBytes b = store::read_recorded(c.root(), s.body_file, "web", 16u << 20);
    if (b.bytes) {
      const std::string lower = util::to_lower_ascii(*b.bytes);
      const auto open = lower.find("<title");
      const auto gt = open == std::string::npos ? open : lower.find('>', open);
      const auto close = gt == std::string::npos ? gt : lower.find("</title", gt);
      if (close != std::string::npos) {
        std::string t = util::utf8_lossy(b.bytes->substr(gt + 1, close - gt - 1));
        std::string collapsed;
        bool space = false;
        for (const char ch : t) {
          const bool ws = ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
          if (ws) {
            space = !collapsed.empty();
            continue;
          }
          if (space) collapsed += ' ';
          space = false;
          collapsed += ch;
        }
        return collapsed;
      }
    }
  }
  return "";
}

// --- the zip, through libarchive ---

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

struct ZipSink {
  int fd = -1;
  std::string name;
  util::Sha256 hash;
  std::uint64_t size = 0;
  int error = 0;
};

la_ssize_t zip_sink_write(struct archive*, void* client, const void* buf, size_t n) {
  auto* s = static_cast<ZipSink*>(client);
  const char* p = static_cast<const char*>(buf);
  std::size_t left = n;
  while (left > 0) {
    const ssize_t w = ::write(s->fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      s->error = w < 0 ? errno : ENOSPC;
      return -1;
    }
    p += w;
    left -= static_cast<std::size_t>(w);
  }
  s->hash.update(buf, n);
  s->size += n;
  return static_cast<la_ssize_t>(n);
}

// Every member stored (the WARCs are gzip already, and a reader must be able to seek into
// them), mode 0644, uid/gid 0, dated `mtime`.
class ZipWriter {
public:
  ZipWriter(ZipSink& sink, std::int64_t mtime) : m_a(archive_write_new()), m_sink(sink), m_mtime(mtime) {
    if (!m_a) throw Error(ErrorKind::internal, "libarchive: out of memory");
    int r = archive_write_set_format_zip(m_a.get());
    if (r == ARCHIVE_OK) r = archive_write_set_format_option(m_a.get(), "zip", "compression", "store");
    if (r == ARCHIVE_OK) r = archive_write_set_bytes_in_last_block(m_a.get(), 1);
    if (r == ARCHIVE_OK) r = archive_write_open(m_a.get(), &m_sink, nullptr, zip_sink_write, nullptr);
    check(r, "cannot start the zip");
  }
  void file(const std::string& path, std::uint64_t size) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_copy_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_mtime(e.get(), m_mtime, 0);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    check(archive_write_header(m_a.get(), e.get()), "cannot write the entry of " + path);
  }
  void data(const char* p, std::size_t n) {
    const la_ssize_t w = archive_write_data(m_a.get(), p, n);
    if (w < 0 || static_cast<std::size_t>(w) != n) check(ARCHIVE_FATAL, "cannot write to the zip");
  }
  void small_file(const std::string& path, const std::string& content) {
    file(path, content.size());
    if (!content.empty()) data(content.data(), content.size());
  }
  void close() { check(archive_write_close(m_a.get()), "cannot finish the zip"); }

private:
  void check(int r, const std::string& what) {
    if (r >= ARCHIVE_WARN) return;
    if (m_sink.error != 0) {
      errno = m_sink.error;
      throw_errno(ErrorKind::io, m_sink.name);
    }
    const char* msg = archive_error_string(m_a.get());
    throw Error(ErrorKind::io, m_sink.name + ": " + what + ": " + (msg != nullptr ? msg : "libarchive error"));
  }

  std::unique_ptr<struct archive, ArchiveFree> m_a;
  ZipSink& m_sink;
  std::int64_t m_mtime;
};

Json resource(const std::string& path, const std::string& sha256, std::uint64_t size) {
  const auto slash = path.rfind('/');
  return Json{
      {"name", slash == std::string::npos ? path : path.substr(slash + 1)}, {"path", path}, {"hash", "sha256:" + sha256}, {"bytes", size}};
}

void check_out_path(const store::Case& c, const WaczOptions& o) {
  if (o.out.empty() || !o.out.filename().string().ends_with(".wacz"))
    throw Error(ErrorKind::usage, "--out '" + display(o.out) + "': the file name must end in .wacz (ReplayWeb.page and pywb go by it)");
  // A file under evidence/ or seals/ would be one that no line records (verify reports it).
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::absolute(o.out.parent_path().empty() ? fs::path(".") : o.out.parent_path()), ec);
  for (const fs::path& area : {c.evidence_dir(), c.root() / "seals"}) {
    const fs::path a = fs::weakly_canonical(fs::absolute(area), ec);
    const auto rel = dir.lexically_relative(a);
    if (!rel.empty() && *rel.begin() != "..")
      throw Error(ErrorKind::usage, "--out '" + display(o.out) + "': inside the case's " + area.filename().string() +
                                        "/ folder, where every file must be recorded; write it elsewhere");
  }
  const auto st = fs::symlink_status(o.out, ec);
  if (fs::exists(st) && !o.force)
    throw Error(ErrorKind::usage, "--out " + display(o.out) + ": exists; give --force to replace it, or choose a new name");
  if (fs::exists(st) && !fs::is_regular_file(st))
    throw Error(ErrorKind::usage, "--out " + display(o.out) + ": exists and is not a regular file; nothing is replaced");
}

} // namespace

std::string surt_key(std::string_view url) {
  const auto sep = url.find("://");
  const std::string scheme = sep == std::string_view::npos ? "" : util::to_lower_ascii(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return util::to_lower_ascii(url);
  std::string_view rest = url.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  std::string host(authority), port;
  if (!host.starts_with("[")) {
    if (const auto colon = host.rfind(':'); colon != std::string::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
  } else if (const auto close = host.find(']'); close != std::string::npos && close + 1 < host.size() && host[close + 1] == ':') {
    port = host.substr(close + 2);
    host = host.substr(0, close + 1);
  }
  host = util::to_lower_ascii(host);
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port.clear();
  // "www." (and "www2." ...) is dropped, as pywb does, so both forms share a key.
  if (host.starts_with("www")) {
    std::size_t i = 3;
    while (i < host.size() && host[i] >= '0' && host[i] <= '9')
      ++i;
    if (i < host.size() && host[i] == '.' && host.find('.', i + 1) != std::string::npos) host = host.substr(i + 1);
  }
  std::string key;
  if (host.starts_with("[")) {
    key = host;
  } else {
    std::vector<std::string> labels;
    std::size_t start = 0;
    while (true) {
      const auto dot = host.find('.', start);
      labels.push_back(host.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!labels.empty() && labels.back().empty()) labels.pop_back(); // "example.com."
    for (auto it = labels.rbegin(); it != labels.rend(); ++it)
      key += (key.empty() ? "" : ",") + *it;
  }
  if (!port.empty()) key += ":" + port;
  key += ")";
  std::string path(tail.substr(0, tail.find('?')));
  if (path.empty()) path = "/";
  key += util::to_lower_ascii(path);
  if (const auto q = tail.find('?'); q != std::string_view::npos && q + 1 < tail.size()) {
    std::vector<std::string> params;
    std::string_view query = tail.substr(q + 1);
    std::size_t start = 0;
    while (start <= query.size()) {
      const auto amp = query.find('&', start);
      const std::string_view p = query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
      if (!p.empty()) params.emplace_back(util::to_lower_ascii(p));
      if (amp == std::string_view::npos) break;
      start = amp + 1;
    }
    std::sort(params.begin(), params.end());
    for (std::size_t i = 0; i < params.size(); ++i)
      key += (i == 0 ? "?" : "&") + params[i];
  }
  return key;
}

WaczResult export_wacz(const store::Case& c, const WaczOptions& o) {
  util::require_archive();
  check_out_path(c, o);
  ManifestScan scan = scan_manifest(c, o.seqs);
  WaczResult result;
  std::vector<Selected> chosen;
  for (auto& s : scan.web) {
    if (s.warc_file.is_null()) {
      if (!o.seqs.empty())
        throw Error(ErrorKind::input,
                    "seq " + std::to_string(s.seq) + ": this web entry stores no WARC (the capture failed before any response)");
      result.skipped.push_back(s.seq);
      continue;
    }
    s.archive_name = archive_name_of(util::string_field(s.warc_file, "path"));
    chosen.push_back(std::move(s));
  }
  if (chosen.empty())
    throw Error(ErrorKind::input, "the case holds no web capture with a WARC; nothing to export (capture-url makes them)");
  std::sort(chosen.begin(), chosen.end(), [](const Selected& a, const Selected& b) { return a.seq < b.seq; });

  // Dated by the case: created when it was opened, modified at the newest exported capture.
  std::string modified;
  for (const auto& s : chosen)
    if (s.time > modified) modified = s.time;
  std::int64_t micros = 0;
  if (!util::is_manifest_time(modified, &micros))
    throw Error(ErrorKind::case_, "seq " + std::to_string(chosen.back().seq) + ": invalid time");
  const std::int64_t mtime = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  result.created = scan.case_created.empty() ? modified : scan.case_created;
  result.modified = modified;

  // Index and pages, reading each WARC once (its hash checked).
  std::vector<IndexLine> index;
  std::string pages = "{\"format\":\"json-pages-1.0\",\"id\":\"pages\",\"title\":\"cbkit captures\"}\n";
  for (auto& s : chosen) {
    Indexed ix = index_warc(c, s);
    WaczEntry e;
    e.seq = s.seq;
    e.url = s.url;
    e.warc = util::string_field(s.warc_file, "path");
    e.archive_path = "archive/" + s.archive_name;
    e.sha256 = util::string_field(s.warc_file, "sha256");
    e.size = util::unsigned_field(s.warc_file, "size").value_or(0);
    e.index_lines = ix.lines.size();
    if (!ix.page_date.empty()) {
      Json p = Json::object();
      p["id"] = "seq-" + std::to_string(s.seq);
      p["url"] = s.url;
      p["ts"] = ix.page_date;
      const std::string title = page_title(c, s);
      if (!title.empty()) p["title"] = title;
      pages += p.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
      e.page = true;
      ++result.pages;
    }
    index.insert(index.end(), std::make_move_iterator(ix.lines.begin()), std::make_move_iterator(ix.lines.end()));
    result.entries.push_back(std::move(e));
  }
  // Sorted as CDXJ readers binary-search it: by key, then time, then the rest (so equal keys
  // and times still come in one fixed order).
  std::sort(index.begin(), index.end(), [](const IndexLine& a, const IndexLine& b) {
    if (a.key != b.key) return a.key < b.key;
    if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
    return a.json < b.json;
  });
  std::string cdxj;
  for (const auto& l : index)
    cdxj += l.key + " " + l.timestamp + " " + l.json + "\n";
  result.index_lines = index.size();

  Json resources = Json::array();
  for (const auto& e : result.entries)
    resources.push_back(resource(e.archive_path, e.sha256, e.size));
  resources.push_back(resource("indexes/index.cdxj", util::sha256_hex(cdxj), cdxj.size()));
  resources.push_back(resource("pages/pages.jsonl", util::sha256_hex(pages), pages.size()));
  Json dp = Json::object();
  dp["profile"] = "data-package";
  dp["wacz_version"] = k_wacz_version;
  dp["title"] = "cbkit case " + scan.case_id + (scan.case_title.empty() ? "" : ": " + scan.case_title);
  dp["description"] = "Web captures of the cbkit case " + scan.case_id +
                      ", exported for replay. The WARC files are the case's evidence files byte for byte: their SHA-256 is the one its "
                      "manifest.jsonl records on the lines listed under cbkit.entries.";
  dp["created"] = result.created;
  dp["modified"] = result.modified;
  dp["software"] = std::string("cbkit ") + k_version;
  if (result.pages == 1) {
    for (const auto& e : result.entries)
      if (e.page) dp["mainPageUrl"] = e.url;
  }
  dp["resources"] = resources;
  Json cb_entries = Json::array();
  for (std::size_t i = 0; i < chosen.size(); ++i)
    cb_entries.push_back(Json{{"seq", chosen[i].seq},
                              {"line_sha256", chosen[i].line_sha256},
                              {"url", chosen[i].url},
                              {"warc", result.entries[i].warc},
                              {"path", result.entries[i].archive_path}});
  dp["cbkit"] = Json{{"case_id", scan.case_id}, {"entries", cb_entries}, {"skipped_without_warc", result.skipped}};
  const std::string datapackage = dp.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  const Json digest{{"path", "datapackage.json"}, {"hash", "sha256:" + util::sha256_hex(datapackage)}};
  const std::string datapackage_digest = digest.dump(2) + "\n";

  // Written next to the target, then linked (or renamed over it with --force).
  const fs::path dir = o.out.parent_path().empty() ? fs::path(".") : o.out.parent_path();
  const fs::path tmp = dir / ("." + o.out.filename().string() + ".tmp-" + util::random_hex(6));
  ZipSink sink;
  sink.name = display(o.out);
  util::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) throw_errno(ErrorKind::io, display(o.out));
  sink.fd = fd.get();
  struct Cleanup {
    fs::path p;
    bool keep = false;
    ~Cleanup() {
      if (!keep) ::unlink(p.c_str());
    }
  } cleanup{tmp};
  {
    ZipWriter zip(sink, mtime);
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      const WaczEntry& e = result.entries[i];
      util::UniqueFd in = open_recorded(c, chosen[i], e.warc, e.size);
      zip.file(e.archive_path, e.size);
      const util::FileDigest d =
          util::sha256_fd(in.get(), util::utf8_lossy(e.warc), [&zip](const char* p, std::size_t n) { zip.data(p, n); });
      if (d.sha256 != e.sha256 || d.size != e.size)
        throw Error(ErrorKind::case_,
                    util::utf8_lossy(e.warc) + " (seq " + std::to_string(e.seq) + "): changed while it was exported; run 'cbkit verify'");
    }
    zip.small_file("indexes/index.cdxj", cdxj);
    zip.small_file("pages/pages.jsonl", pages);
    zip.small_file("datapackage.json", datapackage);
    zip.small_file("datapackage-digest.json", datapackage_digest);
    zip.close();
  }
  util::fsync_or_throw(fd.get(), display(o.out));
  fd.reset();
  if (o.force) {
    if (::rename(tmp.c_str(), o.out.c_str()) != 0) throw_errno(ErrorKind::io, display(o.out));
  } else {
    if (::link(tmp.c_str(), o.out.c_str()) != 0) {
      if (errno == EEXIST)
        throw Error(ErrorKind::usage, "--out " + display(o.out) + ": exists; give --force to replace it, or choose a new name");
      throw_errno(ErrorKind::io, display(o.out));
    }
  }
  if (o.force) cleanup.keep = true;
  util::fsync_dir(dir);
  result.path = o.out;
  result.sha256 = util::to_hex(sink.hash.finish());
  result.size = sink.size;
  return result;
}

} // namespace cbkit::capture
