#include "cbkit/verify/token_check.hpp"

#include "cbkit/tsa/record.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

namespace cbkit::verify {

using manifest::Json;

TokenCheck::TokenCheck(std::uint64_t seq, std::string token_path, std::string chain_path, const Options& options)
    : m_seq(seq), m_token_path(std::move(token_path)), m_chain_path(std::move(chain_path)), m_ca(options.tsa_ca) {}

bool TokenCheck::wants(const std::string& path) const { return path == m_token_path || (!m_chain_path.empty() && path == m_chain_path); }

TokenCheck::Buffer* TokenCheck::current() {
  if (m_current == m_token_path) return &m_token;
  if (!m_chain_path.empty() && m_current == m_chain_path) return &m_chain;
  return nullptr;
}

void TokenCheck::begin_file(const std::string& path) {
  m_current = path;
  if (Buffer* b = current()) *b = Buffer{};
}

void TokenCheck::update(const char* data, std::size_t size) {
  Buffer* b = current();
  if (b == nullptr || b->too_large) return;
  if (b->bytes.size() + size > k_max_token_file) {
    b->too_large = true;
    b->bytes.clear();
    return;
  }
  b->bytes.append(data, size);
}

void TokenCheck::end_file(bool intact) {
  if (Buffer* b = current()) {
    b->fed = true;
    b->intact = intact;
  }
  m_current.clear();
}

namespace {

std::string string_at(const Json* obj, const char* key) { return obj != nullptr ? util::string_field(*obj, key) : ""; }

} // namespace

std::optional<tsa::Verification> TokenCheck::finish(const TokenExpectation& expect, std::vector<Finding>& out, tsa::TokenInfo* info) {
  auto add = [&](const char* code, const std::string& message, Severity severity = Severity::error) {
    out.push_back(Finding{code, severity, m_seq, m_token_path, message});
  };
  // A missing or altered file is already a finding of its own; checking its bytes would
  // only repeat it.
  if (!m_token.fed || !m_token.intact) return std::nullopt;
  if (m_token.too_large) {
    add("timestamp-invalid", "is larger than 1 MiB; an RFC 3161 token is a few KiB, so this is not one");
    return std::nullopt;
  }
  // The stored chain only helps to find the signer; a damaged one is reported by its hash.
  const std::string chain = m_chain.fed && m_chain.intact && !m_chain.too_large ? m_chain.bytes : std::string();
  std::optional<std::string> nonce = expect.nonce;
  if (!nonce && !string_at(expect.record, "nonce").empty()) nonce = string_at(expect.record, "nonce");

  tsa::TokenInfo local;
  tsa::TokenInfo& ti = info != nullptr ? *info : local;
  const tsa::Verification v = tsa::verify(m_token.bytes, expect.sha256, nonce, m_ca, chain, &ti);
  const std::string ca = m_ca ? util::utf8_lossy(m_ca->string()) : "";

  if (!v.parsed) {
    add("timestamp-invalid", "is not a usable RFC 3161 token: " + v.error);
  } else if (!v.imprint_ok) {
    add("timestamp-imprint-mismatch", "does not timestamp " + expect.covers + ": " + v.error);
  } else if (!v.nonce_ok || !v.signature_ok || (!v.ok && !(v.chain_checked && !v.chain_ok))) {
    add("timestamp-invalid", "does not verify: " + v.error);
  } else if (v.chain_checked && !v.chain_ok) {
    add("timestamp-untrusted", "is signed by " + (ti.signer_subject.empty() ? "an unknown TSA" : "\"" + ti.signer_subject + "\"") +
                                   ", which --tsa-ca does not trust: " + v.error);
  } else if (!v.chain_checked) {
    add("timestamp-unpinned",
        "the signature by the TSA certificate it carries (" + ti.signer_subject +
            ") holds, but no --tsa-ca was given: who that TSA is was not checked",
        Severity::warning);
  }

  if (v.parsed && expect.record != nullptr && expect.record->is_object() && expect.record->contains("tsa")) {
    const Json& tsa = (*expect.record)["tsa"];
    const std::string time = string_at(&tsa, "time");
    const std::string serial = string_at(&tsa, "serial");
    if (time != ti.gen_time || serial != ti.serial) {
      add("timestamp-record-mismatch", "the line records TSA time " + time + " and serial " + serial + ", but the token says " +
                                           ti.gen_time + " and " + ti.serial + ": the line was edited");
    }
  }
  return v;
}

// ---------------------------------------------------------------- kind "timestamp"

namespace {

class TimestampCheck : public EntryCheck {
public:
  TimestampCheck(std::uint64_t seq, std::string prev, std::optional<std::uint64_t> covers_seq, std::string covers_head, Json record,
                 std::string token_path, std::string chain_path, const Options& options)
      : m_seq(seq), m_prev(std::move(prev)), m_covers_seq(covers_seq), m_covers_head(std::move(covers_head)), m_record(std::move(record)),
        m_tokens(seq, std::move(token_path), std::move(chain_path), options) {}

  bool wants(const std::string& path) const override { return m_tokens.wants(path); }
  void begin_file(const std::string& path) override { m_tokens.begin_file(path); }
  void update(const char* data, std::size_t size) override { m_tokens.update(data, size); }
  void end_file(bool intact) override { m_tokens.end_file(intact); }

  void finish(const CaseView& view, std::vector<Finding>& out) override {
    auto add = [&](const std::string& message) {
      out.push_back(Finding{"timestamp-covers-mismatch", Severity::error, m_seq, "", message});
    };
    const std::string where = "line " + std::to_string(m_seq);
    if (!m_covers_seq || !util::is_sha256_hex(m_covers_head)) {
      add(where + " has no valid timestamp.covers (seq and head): what its token covers is not recorded");
    } else {
      if (*m_covers_seq + 1 != m_seq) {
        add(where + " says its token covers line " + std::to_string(*m_covers_seq) + "; a timestamp covers the line just before it");
      } else if (m_covers_head != m_prev) {
        add(where + ": timestamp.covers.head is not the line's prev; the token was recorded over another head");
      }
      if (view.line_hashes != nullptr && *m_covers_seq < view.line_hashes->size() && (*view.line_hashes)[*m_covers_seq] != m_covers_head) {
        add(where + ": timestamp.covers.head is not the hash of line " + std::to_string(*m_covers_seq) +
            " as stored: that line changed since it was timestamped");
      }
    }
    if (!util::is_sha256_hex(m_covers_head)) return;
    TokenExpectation expect;
    expect.sha256 = m_covers_head;
    expect.covers =
        "the head of line " + (m_covers_seq ? std::to_string(*m_covers_seq) : std::string("?")) + " (" + m_covers_head.substr(0, 16) + "…)";
    expect.record = &m_record;
    m_tokens.finish(expect, out);
  }

private:
  std::uint64_t m_seq;
  std::string m_prev;
  std::optional<std::uint64_t> m_covers_seq;
  std::string m_covers_head;
  Json m_record;
  TokenCheck m_tokens;
};

// The path of the entry's file with `role`, else "".
std::string path_of_role(const Json& files, const char* role) {
  for (const Json& f : files) {
    if (util::optional_string(f, "role") == role && util::has_string(f, "path")) return f["path"].get<std::string>();
  }
  return "";
}

} // namespace

std::unique_ptr<EntryCheck> make_timestamp_check(const Json& line, std::uint64_t seq, const Options& options, std::vector<Finding>& out) {
  const Json& files = line["files"];
  const std::string token = path_of_role(files, "token");
  if (token.empty()) {
    out.push_back(Finding{"timestamp-missing", Severity::error, seq, "",
                          "line " + std::to_string(seq) + " is a timestamp entry that records no token file (role \"token\")"});
    return nullptr;
  }
  const Json record = util::has_object(line, "timestamp") ? line["timestamp"] : Json::object();
  std::optional<std::uint64_t> covers_seq;
  std::string covers_head;
  if (const Json* c = util::field(record, "covers")) {
    covers_seq = util::unsigned_field(*c, "seq");
    covers_head = util::string_field(*c, "head");
  }
  const std::string prev = util::string_field(line, "prev");
  return std::make_unique<TimestampCheck>(seq, prev, covers_seq, covers_head, record, token, path_of_role(files, "tsa-chain"), options);
}

} // namespace cbkit::verify
