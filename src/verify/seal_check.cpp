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
#include "cbkit/util/json.hpp"
#include "cbkit/util/sha256.hpp"

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
    if (!m_options.pubkeys.empty()) {
      // Several pinned keys (a rotation): the seal must be signed by the one its line names.
      std::optional<seal::PublicKey> match;
      std::string pinned_list;
      for (const auto& path : m_options.pubkeys) {
        try {
          const seal::PublicKey pinned = seal::load_public_key(path);
          pinned_list += (pinned_list.empty() ? "" : ", ") + pinned.fingerprint().substr(0, 16) + "…";
          if (pinned.fingerprint() == m_info.fingerprint) match = pinned;
        } catch (const Error& e) {
          add("seal-key-mismatch", std::string("--pubkey: ") + e.what());
        }
      }
      if (!match) {
        add("seal-key-mismatch", where + " was made with key " + m_info.fingerprint.substr(0, 16) + "…, not with " +
                                     (m_options.pubkeys.size() == 1 ? "the pinned key " : "any of the pinned keys ") + pinned_list +
                                     " (--pubkey)");
        // Checked with the first pinned key that reads, so the signature check fails too.
        for (const auto& path : m_options.pubkeys) {
          try {
            match = seal::load_public_key(path);
            break;
          } catch (const Error&) {
          }
        }
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
