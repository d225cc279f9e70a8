// Content check of a `seal` line (DESIGN "Verify" 3): the stored checkpoint is a signed note
// for exactly the lines before the seal (tree size, RFC 9162 root recomputed from the lines
// as they are now), signed by the key the line names (pinned with --pubkey, else the stored
// public key, reported as unpinned); the RFC 3161 token, when there is one, covers the
// sealed head.

#include "seal_check.hpp"
#include "cbkit/error.hpp"
#include "cbkit/seal/checkpoint.hpp"
#include "cbkit/seal/keys.hpp"
#include "cbkit/seal/merkle.hpp"
#include "cbkit/seal/seal.hpp"
#include "cbkit/tsa/rfc3161.hpp"
#include "cbkit/util/base64.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <fstream>
#include <map>

namespace cbkit::verify {

namespace {

constexpr std::size_t k_max_seal_file = 1u << 20;

std::string hex(const std::string& raw) { return util::to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()); }

class SealCheck : public EntryCheck {
public:
  // `record`: the line's seal.timestamp when it is the unified token record (an object with
  // a "tsa" object); null for seals of earlier versions, which recorded no nonce.
  SealCheck(seal::SealInfo info, manifest::Json record, const Options& options)
      : m_info(std::move(info)), m_record(std::move(record)), m_options(options) {}

  bool wants(const std::string& path) const override {
    return path == m_info.checkpoint_path || path == m_info.public_key_path || path == m_info.token_path || path == m_info.tsa_chain_path;
  }
  void begin_file(const std::string& path) override {
    m_path = path;
    m_buf.clear();
    m_too_big = false;
  }
  void update(const char* data, std::size_t size) override {
    if (m_buf.size() + size > k_max_seal_file) {
      m_too_big = true;
      return;
    }
    m_buf.append(data, size);
  }
  void end_file(bool intact) override {
    if (intact && !m_too_big) m_content[m_path] = std::move(m_buf);
    m_buf.clear();
  }

  void finish(const CaseView& view, std::vector<Finding>& out) override {
    const std::uint64_t seq = m_info.seq;
    auto add = [&](const char* code, const std::string& msg, Severity sev = Severity::error) {
      out.push_back(Finding{code, sev, seq, "manifest.jsonl", msg});
    };
    const std::string where = "seal " + std::to_string(seq);
    const auto& lines = *view.line_hashes;
    if (m_info.tree_size != seq) {
      add("seal-size-mismatch", where + " says it covers " + std::to_string(m_info.tree_size) +
                                    " lines; a seal covers every line before it (" + std::to_string(seq) +
                                    "): lines were removed or inserted before it");
    }
    // The root is still checked over the lines the seal claims, when there are that many.
    const bool lines_ok = m_info.tree_size > 0 && m_info.tree_size <= lines.size();
    if (lines_ok) {
      if (lines[m_info.tree_size - 1] != m_info.covers_head) {
        add("seal-head-mismatch", where + ": line " + std::to_string(m_info.tree_size - 1) +
                                      " is not the line that was sealed (its hash differs from seal.covers.head)");
      }
      const std::string root = seal::root_of(*view.leaf_hashes, m_info.tree_size);
      if (hex(root) != m_info.root) {
        add("seal-root-mismatch", where + ": the Merkle root of lines 0.." + std::to_string(m_info.tree_size - 1) +
                                      " differs from the sealed root: a sealed line was changed, removed or inserted");
      }
    }

    // The key: pinned, else the one stored with the seal.
    std::optional<seal::PublicKey> key;
    if (const auto it = m_content.find(m_info.public_key_path); it != m_content.end()) {
      try {
        const seal::PublicKey stored = seal::parse_public_key(it->second, m_info.public_key_path);
        if (stored.fingerprint() != m_info.fingerprint) {
          add("seal-key-mismatch",
              where + ": the stored public key is not the key the seal line names (fingerprint " + m_info.fingerprint.substr(0, 16) + "…)");
        } else {
          key = stored;
        }
      } catch (const Error& e) {
        add("seal-key-mismatch", where + ": the stored public key cannot be read: " + e.what());
      }
    }
    if (has_pinned_keys(m_options)) {
      // Several pinned keys (a rotation): the seal must be signed by the one its line names,
      // and, for an allowed signer with a window, at a time within it.
      std::vector<std::string> errors;
      const std::vector<PinnedKey> pinned = pinned_keys(m_options, &errors);
      for (const auto& e : errors)
        add("seal-key-mismatch", "--pubkey: " + e);
      std::optional<seal::PublicKey> match;
      std::vector<const AllowedSigner*> outside; // signers naming the key whose window excludes the seal
      std::string pinned_list;
      for (const auto& p : pinned) {
        pinned_list += (pinned_list.empty() ? "" : ", ") + (p.signer ? "\"" + p.signer->name + "\" (" : std::string()) +
                       p.fingerprint.substr(0, 16) + "…" + (p.signer ? ")" : "");
        if (p.fingerprint != m_info.fingerprint) continue;
        if (!p.signer || within_window(*p.signer, m_info.time)) {
          match = p.key;
          outside.clear();
        } else if (!match) {
          outside.push_back(p.signer);
          key = p.key; // the signature is still checked with it
        }
      }
      const std::string source = m_options.signers.empty()   ? " (--pubkey)"
                                 : m_options.pubkeys.empty() ? " (--allowed-signers)"
                                                             : " (--pubkey, --allowed-signers)";
      if (!match && !outside.empty()) {
        std::string who;
        for (const AllowedSigner* a : outside)
          who += (who.empty() ? "" : "; ") + ("signer \"" + a->name + "\" (" + a->where + "), " + window_text(*a));
        add("seal-key-outside-validity", where + " was made at " + (m_info.time.empty() ? "an unknown time" : m_info.time) + " with key " +
                                             m_info.fingerprint.substr(0, 16) + "… of " + who +
                                             ": outside the time in which that key is allowed to seal (--allowed-signers)");
        match = key;
      } else if (!match) {
        add("seal-key-mismatch", where + " was made with key " + m_info.fingerprint.substr(0, 16) + "…, not with " +
                                     (pinned.size() == 1 ? "the pinned key " : "any of the pinned keys ") + pinned_list + source);
        // Checked with the first pinned key, so the signature check fails too.
        if (!pinned.empty()) match = pinned.front().key;
      }
      key = match;
    } else if (key) {
      add("seal-unpinned",
          where + " is signed by key " + m_info.fingerprint.substr(0, 16) +
              "…, which came with the case; pass --pubkey with the examiner's public key to pin it",
          Severity::warning);
    }

    const auto cp_text = m_content.find(m_info.checkpoint_path);
    if (cp_text == m_content.end()) {
      add("seal-checkpoint-missing",
          where + ": the checkpoint " + m_info.checkpoint_path + " is missing or altered, so the seal cannot be checked");
    } else {
      std::string error;
      const auto note = seal::parse_checkpoint(cp_text->second, error);
      if (!note) {
        add("seal-checkpoint-invalid", where + ": the checkpoint is not a signed note: " + error);
      } else {
        const auto& c = note->checkpoint;
        if (c.origin != m_info.origin || c.size != m_info.tree_size || hex(c.root) != m_info.root) {
          add("seal-checkpoint-mismatch", where + ": the checkpoint's origin, tree size or root differ from the seal line");
        }
        if (key && !seal::checkpoint_signed_by(*note, *key)) {
          add("seal-signature-invalid",
              where + ": the checkpoint's Ed25519 signature does not verify with key " + key->fingerprint().substr(0, 16) + "…");
        }
      }
    }

    if (!m_info.token_path.empty()) {
      const auto tok = m_content.find(m_info.token_path);
      if (tok == m_content.end()) {
        add("seal-token-invalid", where + ": the timestamp token " + m_info.token_path + " is missing or altered");
      } else {
        std::string chain;
        if (const auto c = m_content.find(m_info.tsa_chain_path); c != m_content.end()) chain = c->second;
        const std::optional<std::string> nonce = util::optional_string(m_record, "nonce");
        tsa::TokenInfo ti;
        const tsa::Verification v = tsa::verify(tok->second, m_info.covers_head, nonce, m_options.tsa_ca, chain, &ti);
        if (!v.ok) add("seal-token-invalid", where + ": the RFC 3161 token does not verify: " + v.error);
        // What the line records of the token must be what the token says.
        const manifest::Json& tsa = util::member(m_record, "tsa");
        if (v.parsed && tsa.is_object() &&
            (util::string_field(tsa, "time") != ti.gen_time || util::string_field(tsa, "serial") != ti.serial)) {
          add("seal-token-invalid", where + ": the line records TSA time " + util::string_field(tsa, "time") + " and serial " +
                                        util::string_field(tsa, "serial") + ", but the token says " + ti.gen_time + " and " + ti.serial +
                                        ": the line was edited");
        }
      }
    }
  }

private:
  seal::SealInfo m_info;
  manifest::Json m_record;
  Options m_options;
  std::string m_path;
  std::string m_buf;
  bool m_too_big = false;
  std::map<std::string, std::string> m_content;
};

} // namespace

std::vector<PinnedKey> pinned_keys(const Options& options, std::vector<std::string>* errors) {
  std::vector<PinnedKey> out;
  for (const auto& path : options.pubkeys) {
    try {
      seal::PublicKey k = seal::load_public_key(path);
      std::string fp = k.fingerprint();
      out.push_back(PinnedKey{std::move(k), std::move(fp), nullptr});
    } catch (const Error& e) {
      if (errors) errors->push_back(e.what());
    }
  }
  for (const auto& s : options.signers)
    out.push_back(PinnedKey{seal::PublicKey{s.key_raw}, s.fingerprint, &s});
  return out;
}

bool within_window(const AllowedSigner& signer, const std::string& time) {
  if (!signer.after_micros && !signer.before_micros) return true;
  std::int64_t t = 0;
  if (!util::is_manifest_time(time, &t)) return false;
  if (signer.after_micros && t < *signer.after_micros) return false;
  if (signer.before_micros && t >= *signer.before_micros) return false;
  return true;
}

std::string window_text(const AllowedSigner& signer) {
  std::string w;
  if (signer.valid_after) w = "valid-after " + *signer.valid_after;
  if (signer.valid_before) w += (w.empty() ? "" : ", ") + ("valid-before " + *signer.valid_before);
  return w.empty() ? "no window" : w;
}

namespace {

// Microseconds since the epoch of an RFC 3339 time (fraction digits past the sixth dropped).
std::int64_t micros_of(const util::Rfc3339& t) {
  std::int64_t frac = 0;
  const auto dot = t.utc.find('.');
  if (dot != std::string::npos) {
    int digits = 0;
    for (std::size_t i = dot + 1; i < t.utc.size() && t.utc[i] >= '0' && t.utc[i] <= '9'; ++i) {
      if (digits < 6) {
        frac = frac * 10 + (t.utc[i] - '0');
        ++digits;
      }
    }
    for (; digits < 6; ++digits)
      frac *= 10;
  }
  return t.epoch_seconds * 1000000 + frac;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i]))
      ++i;
    const std::size_t b = i;
    while (i < line.size() && !is_space(line[i]))
      ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

} // namespace

std::vector<AllowedSigner> load_allowed_signers(const std::filesystem::path& file) {
  const std::string name = util::utf8_lossy(file.string());
  std::ifstream in(file, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(file, ec)) {
    throw Error(ErrorKind::input, name + ": cannot read the allowed-signers file; give a text file with one signer a line");
  }
  std::vector<AllowedSigner> out;
  std::string line;
  std::size_t number = 0;
  const std::string form = "; the form is 'NAME KEY [valid-after=RFC3339] [valid-before=RFC3339]'";
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = name + ":" + std::to_string(number);
    auto bad = [&](const std::string& what) { throw Error(ErrorKind::usage, "--allowed-signers " + where + ": " + what + form); };
    const auto fields = split_fields(line);
    if (fields.empty() || fields[0][0] == '#') continue;
    if (!util::is_valid_utf8(line)) bad("the line is not UTF-8 text");
    if (fields.size() < 2) bad("a signer needs a name and a key");
    AllowedSigner s;
    s.name = fields[0];
    s.where = where;
    const std::string& key = fields[1];
    const auto decoded = util::base64_decode(key);
    try {
      if (decoded && decoded->size() == 42 && decoded->compare(0, 2, "Ed") == 0) {
        s.key_raw = seal::parse_public_key(key, where).raw;
      } else {
        std::filesystem::path p = key;
        if (p.is_relative()) p = file.parent_path() / p;
        if (!std::filesystem::is_regular_file(p, ec)) {
          bad("'" + util::utf8_lossy(key) + "' is neither a minisign public key (base64) nor a public key file (" +
              util::utf8_lossy(p.string()) + " does not exist)");
        }
        s.key_raw = seal::load_public_key(p).raw;
      }
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::usage) throw;
      bad(e.what());
    }
    s.fingerprint = seal::PublicKey{s.key_raw}.fingerprint();
    for (std::size_t i = 2; i < fields.size(); ++i) {
      const std::string& f = fields[i];
      const auto eq = f.find('=');
      const std::string opt = f.substr(0, eq);
      if (eq == std::string::npos || (opt != "valid-after" && opt != "valid-before")) {
        bad("'" + util::utf8_lossy(f) + "' is not valid-after=TIME or valid-before=TIME");
      }
      const std::string value = f.substr(eq + 1);
      const auto t = util::parse_rfc3339(value);
      if (!t) bad(opt + " '" + util::utf8_lossy(value) + "' is not an RFC 3339 date-time with offset (e.g. 2026-11-20T21:14:00+01:00)");
      auto& text = opt == "valid-after" ? s.valid_after : s.valid_before;
      auto& micros = opt == "valid-after" ? s.after_micros : s.before_micros;
      if (text) bad(opt + " is given twice");
      text = value;
      micros = micros_of(*t);
    }
    if (s.after_micros && s.before_micros && *s.after_micros >= *s.before_micros) {
      bad("valid-after must be before valid-before");
    }
    out.push_back(std::move(s));
  }
  if (in.bad()) throw Error(ErrorKind::input, name + ": cannot read the allowed-signers file");
  if (out.empty()) {
    throw Error(ErrorKind::usage, "--allowed-signers " + name + ": lists no signer; give one signer a line" + form);
  }
  return out;
}

std::unique_ptr<EntryCheck> make_seal_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                            std::vector<Finding>& out) {
  std::string error;
  auto info = seal::parse_seal_line(line, seq, error);
  if (!info) {
    out.push_back(Finding{"seal-invalid", Severity::error, seq, "manifest.jsonl", "seal " + std::to_string(seq) + ": " + error});
    return nullptr;
  }
  manifest::Json record = util::member(util::member(line, "seal"), "timestamp");
  if (!util::has_object(record, "tsa")) record = manifest::Json();
  return std::make_unique<SealCheck>(std::move(*info), std::move(record), options);
}

} // namespace cbkit::verify
