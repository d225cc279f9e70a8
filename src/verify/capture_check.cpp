// verify's content check of "web" entries (capture-url): the WARC file is gunzipped member
// by member and parsed as it streams past (constant memory), every record's block and
// payload digest is recomputed, the record sequence is checked (warcinfo first, each
// response paired with its request, metadata last), and the RFC 3161 token is checked
// against the WARC's recorded SHA-256. The identity findings (capture/identity) are read
// again from the same bytes and must be the ones capture.json and the line record.

#include "capture_check.hpp"

#include "cbkit/capture/identity.hpp"
#include "cbkit/capture/warc.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/verify/token_check.hpp"

#include <map>
#include <optional>
#include <set>

namespace cbkit::verify {

namespace {

using manifest::Json;

class CaptureCheck : public EntryCheck {
public:
  CaptureCheck(const Json& line, std::uint64_t seq, const Options& options) : m_seq(seq) {
    for (const Json& f : line["files"]) {
      const std::string path = util::string_field(f, "path");
      const std::string role = util::string_field(f, "role");
      if (role == "warc") {
        m_warc = path;
        m_warc_sha256 = util::string_field(f, "sha256");
      } else if (role == "token") {
        m_tsr = path;
      } else if (role == "tsa-chain") {
        m_chain = path;
      } else if (role == "capture") {
        m_capture_json = path;
      }
    }
    if (line.contains("web") && line["web"].is_object() && line["web"].contains("tsa") && line["web"]["tsa"].is_object()) {
      m_tsa_recorded = true;
      m_tsa_record = line["web"]["tsa"];
    }
    if (line.contains("web") && line["web"].is_object() && line["web"].contains("identity")) m_line_identity = line["web"]["identity"];
    if (!m_tsr.empty()) m_tokens = std::make_unique<TokenCheck>(seq, m_tsr, m_chain, options);
  }

  bool wants(const std::string& path) const override {
    return path == m_warc || (!m_capture_json.empty() && path == m_capture_json) || (m_tokens && m_tokens->wants(path));
  }

  void begin_file(const std::string& path) override {
    m_current = path;
    if (path == m_warc) {
      m_records.clear();
      m_record_problems.clear();
      m_reader = std::make_unique<capture::WarcReader>([this](const capture::WarcRecordInfo& r) { on_record(r); });
      m_identity_scanner = std::make_unique<capture::IdentityScanner>();
    } else if (path == m_capture_json) {
      m_capture_bytes.clear();
    } else {
      m_tokens->begin_file(path);
    }
  }

  void update(const char* data, std::size_t size) override {
    if (m_current == m_warc) {
      m_reader->update(data, size);
      m_identity_scanner->update(data, size);
    } else if (m_current == m_capture_json) {
      if (m_capture_bytes.size() < k_max_capture_json)
        m_capture_bytes.append(data, std::min(size, k_max_capture_json - m_capture_bytes.size()));
    } else {
      m_tokens->update(data, size);
    }
  }

  void end_file(bool intact) override {
    if (m_current == m_warc) {
      m_reader->finish();
      // Bytes that are not the recorded ones already have their finding; nothing is built on them.
      if (intact) {
        m_warc_checked = true;
        m_warc_error = m_reader->error();
        check_sequence();
        if (m_warc_error.empty()) {
          try {
            m_identity = m_identity_scanner->finish();
          } catch (const std::exception&) {
            m_identity.reset();
          }
        }
      }
      m_reader.reset();
      m_identity_scanner.reset();
    } else if (m_current == m_capture_json) {
      if (intact) m_capture_record = util::parse_untrusted_json(m_capture_bytes);
      m_capture_bytes.clear();
    } else {
      m_tokens->end_file(intact);
    }
    m_current.clear();
  }

  void finish(const CaseView&, std::vector<Finding>& out) override {
    if (m_warc_checked) {
      if (!m_warc_error.empty())
        out.push_back(Finding{"warc-invalid", Severity::error, m_seq, m_warc, "the WARC file is not valid: " + m_warc_error});
      for (const auto& [code, message] : m_record_problems)
        out.push_back(Finding{code, Severity::error, m_seq, m_warc, message});
    }
    check_identity(out);
    if (m_tsa_recorded && m_tsr.empty()) {
      out.push_back(Finding{"timestamp-missing", Severity::error, m_seq, "",
                            "the entry records a trusted timestamp (web.tsa) but no timestamp.tsr file"});
    }
    if (m_tokens && !m_warc_sha256.empty()) {
      // The token must cover the WARC's recorded SHA-256 (verify checks the file against it).
      TokenExpectation expect;
      expect.sha256 = m_warc_sha256;
      expect.covers = "the WARC file " + m_warc;
      if (m_tsa_recorded) expect.record = &m_tsa_record;
      m_tokens->finish(expect, out);
    }
  }

private:
  static constexpr std::size_t k_max_capture_json = 64u << 20;

  // capture.json's "identity" and the line's web.identity against the findings read again
  // from the WARC. Captures made before identity findings existed have neither: nothing to
  // compare. Findings made with other rules than this version's are not compared.
  void check_identity(std::vector<Finding>& out) const {
    const Json* stored = m_capture_record && m_capture_record->is_object() ? util::field(*m_capture_record, "identity") : nullptr;
    if (stored == nullptr && m_line_identity.is_null()) return;
    const std::string version = util::string_field(stored != nullptr ? *stored : m_line_identity, "rules_version");
    if (version != capture::k_identity_rules_version || !m_identity) return;
    const std::string again = capture::identity_summary(capture::identity_json(*m_identity));
    if (stored != nullptr && *stored != capture::identity_json(*m_identity)) {
      out.push_back(Finding{"capture-identity-differs", Severity::error, m_seq, m_capture_json,
                            "the identity findings in capture.json are not the ones the stored WARC gives with the rules " + version +
                                " (read again: " + (again.empty() ? "no subject" : again) + ")"});
    }
    if (!m_line_identity.is_null() && m_line_identity != capture::identity_brief(*m_identity)) {
      out.push_back(Finding{"capture-identity-differs", Severity::error, m_seq, "",
                            "the identity the manifest line records (web.identity) is not the one the stored WARC gives with the rules " +
                                version + " (read again: " + (again.empty() ? "no subject" : again) + ")"});
    }
  }

  void on_record(const capture::WarcRecordInfo& r) {
    const std::string where = "record " + std::to_string(r.index + 1) + " (" + r.field("WARC-Type").value_or("?") +
                              ", gzip member at byte " + std::to_string(r.member_offset) + ")";
    for (const auto& p : r.digest_mismatches)
      m_record_problems.emplace_back("warc-digest-mismatch", where + ": " + p + ": the record's content changed after it was written");
    for (const auto& p : r.problems)
      m_record_problems.emplace_back("warc-invalid", where + " " + p);
    // capture-url --browser's renderings (resource) and browser.json (metadata), marked
    // WARC-Cbkit-Source: browser-cdp, stand outside the request/response sequence.
    const std::string type = r.field("WARC-Type").value_or("");
    const bool rendering = r.field("WARC-Cbkit-Source").value_or("") == "browser-cdp" && (type == "resource" || type == "metadata");
    if (m_records.size() < 100000 && !rendering)
      m_records.push_back(Rec{r.field("WARC-Type").value_or(""), r.field("WARC-Record-ID").value_or(""),
                              r.field("WARC-Concurrent-To").value_or(""), r.field("WARC-Target-URI").value_or("")});
  }

  // The shape capture-url writes: warcinfo, then request/response pairs linked by
  // WARC-Concurrent-To with the same target, then one metadata record.
  void check_sequence() {
    if (!m_warc_error.empty() || m_records.empty()) return;
    auto bad = [&](const std::string& msg) { m_record_problems.emplace_back("warc-invalid", msg); };
    if (m_records.front().type != "warcinfo") bad("the first record is '" + m_records.front().type + "', not warcinfo");
    if (m_records.back().type != "metadata") bad("the last record is '" + m_records.back().type + "', not the capture's metadata record");
    std::set<std::string> ids;
    for (const Rec& r : m_records) {
      if (!r.id.empty() && !ids.insert(r.id).second) bad("the WARC-Record-ID " + r.id + " is used twice");
    }
    // Every request is followed at once by the response it names, and every response has its
    // request just before it; other records (resource, metadata of --browser) may sit between pairs.
    bool any_response = false;
    for (std::size_t i = 0; i < m_records.size(); ++i) {
      const Rec& r = m_records[i];
      const std::string where = "record " + std::to_string(i + 1);
      if (r.type == "request") {
        const Rec* next = i + 1 < m_records.size() ? &m_records[i + 1] : nullptr;
        if (next == nullptr || next->type != "response" || r.concurrent_to != next->id || r.target != next->target)
          bad(where + " (request) is not followed by the response it names (WARC-Concurrent-To, WARC-Target-URI)");
      } else if (r.type == "response") {
        any_response = true;
        if (i == 0 || m_records[i - 1].type != "request" || m_records[i - 1].concurrent_to != r.id)
          bad(where + " (response) is not preceded by its request");
      }
    }
    if (!any_response) bad("the WARC holds no response record");
  }

  struct Rec {
    std::string type;
    std::string id;
    std::string concurrent_to;
    std::string target;
  };

  std::uint64_t m_seq;
  std::string m_warc;
  std::string m_warc_sha256;
  std::string m_tsr;
  std::string m_chain;
  bool m_tsa_recorded = false;
  Json m_tsa_record;
  std::unique_ptr<TokenCheck> m_tokens;
  std::string m_current;
  std::unique_ptr<capture::WarcReader> m_reader;
  std::vector<Rec> m_records;
  std::vector<std::pair<std::string, std::string>> m_record_problems;
  bool m_warc_checked = false;
  std::string m_warc_error;
  std::string m_capture_json;
  std::string m_capture_bytes;
  std::optional<Json> m_capture_record;
  Json m_line_identity;
  std::unique_ptr<capture::IdentityScanner> m_identity_scanner;
  std::optional<capture::IdentityResult> m_identity;
};

} // namespace

std::unique_ptr<EntryCheck> make_capture_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                               std::vector<Finding>& out) {
  const Json web = line.contains("web") && line["web"].is_object() ? line["web"] : Json::object();
  const std::string url = util::string_field(web, "url");
  if (web.contains("insecure") && web["insecure"] == true) {
    out.push_back(Finding{"capture-insecure", Severity::warning, seq, "",
                          "the capture of " + url + " was made with --insecure: the server's certificate was not required to verify"});
  }
  if (web.contains("complete") && web["complete"] == false) {
    out.push_back(Finding{"capture-incomplete", Severity::warning, seq, "",
                          "records a failed capture attempt of " + url + ": " + util::string_field(web, "error")});
  }
  if (web.contains("truncated") && web["truncated"] == true) {
    out.push_back(Finding{"capture-truncated", Severity::warning, seq, "", "the response body of " + url + " was cut at the size limit"});
  }
  return std::make_unique<CaptureCheck>(line, seq, options);
}

} // namespace cbkit::verify
