#include "cbkit/email/dkim.hpp"

#include "cbkit/util/base64.hpp"
#include "cbkit/util/openssl.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>

namespace cbkit::email {

namespace {

// Work limits for hostile input: at most this many signatures are checked, and at most this
// many distinct body canonicalizations (canonicalization, l=) are computed per message.
constexpr std::size_t k_max_signatures = 64;
constexpr std::size_t k_max_body_passes = 8;
constexpr std::size_t k_max_header_bytes = 256u << 20; // canonicalized header data over all signatures
// RFC 8301 section 3.2: RSA keys under 1024 bits must not be considered valid.
constexpr int k_min_rsa_bits = 1024;

using util::BioPtr;
using util::MdCtxPtr;
using util::PkeyPtr;

// RFC 6376 base64string: folding white space may stand anywhere and the '=' padding may be
// left out (its ABNF makes it optional).
constexpr util::Base64Options k_tag_base64{.skip_whitespace = true, .padding_optional = true};

// ---------------------------------------------------------------------------------------
// Small text helpers

bool is_wsp(char c) { return c == ' ' || c == '\t'; }
bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string remove_fws(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (!is_fws(c)) out += c;
  }
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t next = s.find(sep, pos);
    out.emplace_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

// A domain compared without case and without a trailing dot.
std::string domain_key(std::string_view d) {
  std::string s = util::to_lower_ascii(util::trim(d));
  while (!s.empty() && s.back() == '.')
    s.pop_back();
  return s;
}

// Shortens text quoted in a detail sentence.
std::string quote(std::string_view s) {
  constexpr std::size_t k_max = 60;
  std::string out = "\"";
  out += s.size() > k_max ? std::string(s.substr(0, k_max)) + "..." : std::string(s);
  out += '"';
  return out;
}

// Decimal digits only (RFC 6376 uses 1*76DIGIT), into an unsigned 64-bit value.
std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), is_digit)) return std::nullopt;
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------------------------------
// tag=value lists (RFC 6376 section 3.2), used by signatures and key records

struct TagList {
  std::vector<std::pair<std::string, std::string>> tags; // value with FWS removed
  std::map<std::string, std::string> first;              // first value of each tag
  std::vector<std::string> problems;
};

bool valid_tag_name(std::string_view n) {
  if (n.empty() || !is_alpha(n.front())) return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
}

// `signature`: white space inside the value of a tag other than b=, bh=, h=, z= (where RFC
// 6376 allows folding) is reported; key records allow FWS around their ':' lists.
TagList parse_tag_list(std::string_view text, bool signature) {
  TagList tl;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view spec = util::trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (spec.empty()) continue; // a trailing ';' (or an empty spec, tolerated)
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos) {
      tl.problems.push_back("malformed tag " + quote(spec) + " (no '=')");
      continue;
    }
    const std::string name(util::trim(spec.substr(0, eq)));
    if (!valid_tag_name(name)) {
      tl.problems.push_back("invalid tag name " + quote(name));
      continue;
    }
    const std::string_view raw = util::trim(spec.substr(eq + 1));
    std::string value = remove_fws(raw);
    if (signature && value.size() != raw.size() && name != "b" && name != "bh" && name != "h" && name != "z") {
      tl.problems.push_back("tag " + name + "= contains white space");
    }
    if (tl.first.count(name) != 0) {
      tl.problems.push_back("duplicate tag " + name + "=");
    } else {
      tl.first.emplace(name, value);
    }
    tl.tags.emplace_back(name, std::move(value));
  }
  return tl;
}

// ---------------------------------------------------------------------------------------
// Body canonicalization (RFC 6376 section 3.4.3 and 3.4.4), streamed into SHA-256.

struct BodyHash {
  util::Digest digest{};
  std::uint64_t length = 0; // canonicalized body length (before any l= cut)
  bool bare_lf = false;     // the body used bare LF line ends (treated as CRLF)
};

// Feeds canonicalized bytes into the hash through a bounded buffer, stopping at `limit`.
class HashSink {
public:
  explicit HashSink(std::optional<std::uint64_t> limit) : m_limit(limit) { m_buf.reserve(k_buf); }

  void put(std::string_view s) {
    m_total += s.size();
    if (m_limit) {
      const std::uint64_t room = *m_limit > m_hashed ? *m_limit - m_hashed : 0;
      if (room < s.size()) s = s.substr(0, static_cast<std::size_t>(room));
    }
    if (s.empty()) return;
    m_hashed += s.size();
    if (m_buf.size() + s.size() > k_buf) flush();
    if (s.size() >= k_buf) {
      m_hash.update(s);
    } else {
      m_buf.append(s);
    }
  }

  void crlf(std::size_t n = 1) {
    for (std::size_t i = 0; i < n; ++i)
      put("\r\n");
  }

  BodyHash finish() {
    flush();
    BodyHash r;
    r.digest = m_hash.finish();
    r.length = m_total;
    return r;
  }

private:
  static constexpr std::size_t k_buf = 64 * 1024;
  void flush() {
    if (!m_buf.empty()) m_hash.update(m_buf);
    m_buf.clear();
  }
  std::optional<std::uint64_t> m_limit;
  std::uint64_t m_total = 0;
  std::uint64_t m_hashed = 0;
  std::string m_buf;
  util::Sha256 m_hash;
};

BodyHash hash_body(std::string_view body, bool relaxed, std::optional<std::uint64_t> limit) {
  HashSink sink(limit);
  bool bare_lf = false;
  bool any_line = false;         // a non-empty line was written
  std::size_t pending_empty = 0; // empty lines held back until a non-empty line follows
  std::size_t pos = 0;
  while (pos < body.size()) {
    const void* hit = std::memchr(body.data() + pos, '\n', body.size() - pos);
    std::string_view line;
    if (hit == nullptr) {
      line = body.substr(pos); // last line without a line break: one is added
      pos = body.size();
    } else {
      const auto nl = static_cast<std::size_t>(static_cast<const char*>(hit) - body.data());
      std::size_t end = nl;
      if (end > pos && body[end - 1] == '\r') {
        --end;
      } else {
        bare_lf = true;
      }
      line = body.substr(pos, end - pos);
      pos = nl + 1;
    }
    if (!relaxed) {
      if (line.empty()) {
        ++pending_empty;
        continue;
      }
      sink.crlf(pending_empty);
      pending_empty = 0;
      sink.put(line);
      sink.crlf();
      any_line = true;
      continue;
    }
    // relaxed: WSP runs become one SP, WSP at the line end goes, empty lines at the end go.
    bool started = false;
    bool space = false;
    std::size_t i = 0;
    while (i < line.size()) {
      if (is_wsp(line[i])) {
        space = true;
        while (i < line.size() && is_wsp(line[i]))
          ++i;
        continue;
      }
      std::size_t j = i;
      while (j < line.size() && !is_wsp(line[j]))
        ++j;
      if (!started) {
        sink.crlf(pending_empty);
        pending_empty = 0;
        started = true;
      }
      if (space) sink.put(" ");
      space = false;
      sink.put(line.substr(i, j - i));
      i = j;
    }
    if (started) {
      sink.crlf();
      any_line = true;
    } else {
      ++pending_empty;
    }
  }
  if (!relaxed && !any_line) sink.crlf(); // simple: an empty body is one CRLF
  BodyHash r = sink.finish();
  r.bare_lf = bare_lf;
  return r;
}

// ---------------------------------------------------------------------------------------
// Header canonicalization (RFC 6376 section 3.4.1 and 3.4.2)

// Simple: the field unchanged, except that bare LF line breaks (a file stored with LF line
// ends) become CRLF as on the wire.
std::string canon_header_simple(std::string_view raw, bool& bare_lf) {
  std::string out;
  out.reserve(raw.size() + 8);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) {
      out += '\r';
      bare_lf = true;
    }
    out += raw[i];
  }
  return out;
}

// Relaxed: lowercase name, no WSP around the colon, unfolded, WSP runs to one SP, no WSP at
// the ends of the value.
std::string canon_header_relaxed(std::string_view raw, bool& bare_lf) {
  const std::size_t colon = raw.find(':');
  std::string_view name = raw.substr(0, colon);
  while (!name.empty() && is_wsp(name.back()))
    name.remove_suffix(1);
  std::string out = util::to_lower_ascii(name);
  out += ':';
  if (colon == std::string_view::npos) return out;
  bool space = false;
  bool started = false;
  for (std::size_t i = colon + 1; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\n') {
      if (i == 0 || raw[i - 1] != '\r') bare_lf = true;
      continue;
    }
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    if (is_wsp(c)) {
      space = true;
      continue;
    }
    if (space && started) out += ' ';
    space = false;
    started = true;
    out += c;
  }
  return out;
}

// The DKIM-Signature field with the value of its b= tag deleted (RFC 6376 section 3.7).
std::string without_b_value(std::string_view raw) {
  const std::size_t colon = raw.find(':');
  if (colon == std::string_view::npos) return std::string(raw);
  std::size_t pos = colon + 1;
  while (pos <= raw.size()) {
    std::size_t end = raw.find(';', pos);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view spec = raw.substr(pos, end - pos);
    const std::size_t eq = spec.find('=');
    if (eq != std::string_view::npos && util::trim(spec.substr(0, eq)) == "b") {
      std::string out(raw.substr(0, pos + eq + 1));
      out.append(raw.substr(end));
      return out;
    }
    pos = end + 1;
  }
  return std::string(raw);
}

// ---------------------------------------------------------------------------------------
// Keys

struct KeyInfo {
  PkeyPtr pkey;
  std::string type;  // "rsa" | "ed25519"
  std::string error; // why the key cannot be used (revoked, malformed, ...)
  bool testing = false;
  bool strict_identity = false; // t=s
};

PkeyPtr der_to_rsa_or_spki(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const long n = static_cast<long>(der.size());
  if (n <= 0) return nullptr;
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, n));
  if (key && p == reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return key;
  key.reset();
  p = reinterpret_cast<const unsigned char*>(der.data());
  key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, n)); // a raw RSAPublicKey
  if (key && p == reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return key;
  return nullptr;
}

std::string pkey_type(const EVP_PKEY* k) {
  switch (EVP_PKEY_get_base_id(k)) {
  case EVP_PKEY_RSA:
    return "rsa";
  case EVP_PKEY_ED25519:
    return "ed25519";
  default:
    return "";
  }
}

KeyInfo parse_pem_key(std::string_view text) {
  KeyInfo ki;
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(std::min<std::size_t>(text.size(), 1u << 24))));
  if (!bio) {
    ki.error = "the PEM key cannot be read";
    return ki;
  }
  char* name_raw = nullptr;
  char* header_raw = nullptr;
  unsigned char* data_raw = nullptr;
  long len = 0;
  const int ok = PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len);
  util::OpensslStringPtr name(name_raw);
  util::OpensslStringPtr header(header_raw);
  util::OpensslBytesPtr data(data_raw);
  if (ok != 1 || len <= 0) {
    ki.error = "the PEM key cannot be decoded";
    return ki;
  }
  const std::string der(reinterpret_cast<const char*>(data.get()), static_cast<std::size_t>(len));
  ki.pkey = der_to_rsa_or_spki(der);
  if (!ki.pkey) {
    ki.error = std::string("the PEM block \"") + name.get() + "\" is not a public key";
    return ki;
  }
  ki.type = pkey_type(ki.pkey.get());
  if (ki.type.empty()) {
    ki.error = "the PEM key is neither RSA nor Ed25519";
    ki.pkey.reset();
  }
  return ki;
}

// A TXT record as copied from a DNS tool may be split into quoted strings: join them.
std::string unquote_txt(std::string_view text) {
  const std::string_view t = util::trim(text);
  if (t.empty() || t.front() != '"') return std::string(t);
  std::string out;
  bool in = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '"') {
      in = !in;
    } else if (in && c == '\\' && i + 1 < t.size()) {
      out += t[++i];
    } else if (in) {
      out += c;
    }
  }
  return out;
}

KeyInfo parse_key(std::string_view text) {
  if (text.find("-----BEGIN") != std::string_view::npos) return parse_pem_key(text);
  KeyInfo ki;
  const std::string record = unquote_txt(text);
  const TagList tl = parse_tag_list(record, false);
  if (!tl.problems.empty()) {
    ki.error = "the key record is malformed (" + tl.problems.front() + ")";
    return ki;
  }
  if (const auto v = tl.first.find("v"); v != tl.first.end()) {
    if (v->second != "DKIM1") {
      ki.error = "the key record has v=" + quote(v->second) + ", not DKIM1";
      return ki;
    }
    if (tl.tags.front().first != "v") {
      ki.error = "the key record's v= tag is not the first tag";
      return ki;
    }
  }
  ki.type = "rsa";
  if (const auto k = tl.first.find("k"); k != tl.first.end()) ki.type = util::to_lower_ascii(k->second);
  if (ki.type != "rsa" && ki.type != "ed25519") {
    ki.error = "the key record has an unknown key type k=" + quote(ki.type);
    return ki;
  }
  if (const auto h = tl.first.find("h"); h != tl.first.end()) {
    const auto algs = split(h->second, ':');
    if (std::none_of(algs.begin(), algs.end(), [](const std::string& a) { return util::to_lower_ascii(a) == "sha256"; })) {
      ki.error = "the key record's h=" + quote(h->second) + " does not allow sha256";
      return ki;
    }
  }
  if (const auto s = tl.first.find("s"); s != tl.first.end()) {
    const auto svcs = split(s->second, ':');
    if (std::none_of(svcs.begin(), svcs.end(), [](const std::string& x) { return x == "*" || util::to_lower_ascii(x) == "email"; })) {
      ki.error = "the key record's service type s=" + quote(s->second) + " does not include email";
      return ki;
    }
  }
  if (const auto t = tl.first.find("t"); t != tl.first.end()) {
    for (const auto& flag : split(t->second, ':')) {
      if (flag == "y") ki.testing = true;
      if (flag == "s") ki.strict_identity = true;
    }
  }
  const auto p = tl.first.find("p");
  if (p == tl.first.end()) {
    ki.error = "the key record has no p= tag";
    return ki;
  }
  if (p->second.empty()) {
    ki.error = "the key has been revoked (empty p=)";
    return ki;
  }
  const auto der = util::base64_decode(p->second, k_tag_base64);
  if (!der) {
    ki.error = "the key record's p= is not valid base64";
    return ki;
  }
  if (ki.type == "ed25519") {
    if (der->size() == 32) {
      ki.pkey.reset(
          EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(der->data()), der->size()));
    } else {
      ki.pkey = der_to_rsa_or_spki(*der); // some publish a SubjectPublicKeyInfo
      if (ki.pkey && pkey_type(ki.pkey.get()) != "ed25519") ki.pkey.reset();
    }
    if (!ki.pkey) ki.error = "the key record's p= is not a 32-byte Ed25519 public key (" + std::to_string(der->size()) + " bytes)";
    return ki;
  }
  ki.pkey = der_to_rsa_or_spki(*der);
  if (ki.pkey && pkey_type(ki.pkey.get()) != "rsa") {
    ki.pkey.reset();
    ki.error = "the key record says k=rsa but p= holds another kind of key";
  } else if (!ki.pkey) {
    ki.error = "the key record's p= is not a valid RSA public key";
  }
  return ki;
}

// 1: valid, 0: invalid, -1: error (message in `error`).
int verify_signature(EVP_PKEY* key, bool ed25519, std::string_view data, const std::string& sig, std::string& error) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) {
    error = "OpenSSL cannot allocate a digest context";
    return -1;
  }
  std::string ed_hash;
  if (ed25519) { // RFC 8463 section 3: Ed25519 signs the SHA-256 of the header data
    const util::Digest d = [&] {
      util::Sha256 h;
      h.update(data);
      return h.finish();
    }();
    ed_hash.assign(reinterpret_cast<const char*>(d.data()), d.size());
    data = ed_hash;
  }
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, ed25519 ? nullptr : EVP_sha256(), nullptr, key) != 1) {
    ERR_clear_error();
    error = "OpenSSL refused the key for verification";
    return -1;
  }
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                  reinterpret_cast<const unsigned char*>(data.data()), data.size());
  ERR_clear_error();
  if (rc == 1) return 1;
  return 0; // a wrong signature or a malformed signature value: both do not verify
}

// ---------------------------------------------------------------------------------------
// Verification of one signature

struct Context {
  std::string_view message;
  const HeaderBlock& block;
  const std::vector<DkimKey>& keys;
  std::int64_t now;
  std::string_view body;
  std::unordered_map<std::string, std::vector<std::size_t>> by_name; // lowercase name -> field indices
  std::map<std::pair<bool, std::optional<std::uint64_t>>, BodyHash> body_cache;
  std::size_t header_bytes = 0; // header data canonicalized so far, over all signatures
};

const DkimKey* find_key(const Context& ctx, const DkimSignature& sig) {
  const std::string d = domain_key(sig.domain);
  for (const auto& k : ctx.keys) {
    if (domain_key(k.domain) == d && iequals(util::trim(k.selector), sig.selector)) return &k;
  }
  return nullptr;
}

std::string join_sentences(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

void check_one(Context& ctx, DkimResult& r) {
  DkimSignature& sig = r.signature;
  r.key_source = "no key";
  r.body_hash = "not-checked";
  if (!sig.problems.empty()) {
    r.signature_result = "invalid";
    std::string list;
    for (const auto& p : sig.problems)
      list += (list.empty() ? "" : "; ") + p;
    r.detail = "The DKIM-Signature field is malformed (" + list + "), so neither the body hash nor the signature was checked.";
    return;
  }
  const std::string alg = util::to_lower_ascii(sig.algorithm);
  if (alg == "rsa-sha1") {
    r.signature_result = "invalid";
    r.detail = "The signature uses rsa-sha1, which is historic and no longer accepted (RFC 8301); it was not checked.";
    return;
  }
  if (alg != "rsa-sha256" && alg != "ed25519-sha256") {
    r.signature_result = "invalid";
    r.detail = "The signature uses the unsupported algorithm a=" + quote(sig.algorithm) + "; it was not checked.";
    return;
  }
  const bool ed25519 = alg == "ed25519-sha256";
  const bool body_relaxed = sig.body_canon == "relaxed";
  const bool header_relaxed = sig.header_canon == "relaxed";
  std::vector<std::string> notes;
  bool bare_lf = false;

  // Body hash.
  const auto cache_key = std::make_pair(body_relaxed, sig.body_length);
  auto it = ctx.body_cache.find(cache_key);
  if (it == ctx.body_cache.end()) {
    if (ctx.body_cache.size() >= k_max_body_passes) {
      r.signature_result = "unverified";
      r.detail = "Not checked: the message has signatures with more than " + std::to_string(k_max_body_passes) +
                 " different body canonicalizations or l= values, and only that many are computed.";
      return;
    }
    it = ctx.body_cache.emplace(cache_key, hash_body(ctx.body, body_relaxed, sig.body_length)).first;
  }
  const BodyHash& bh = it->second;
  bare_lf = bare_lf || bh.bare_lf;
  r.computed_body_hash_b64 = util::base64(std::string_view(reinterpret_cast<const char*>(bh.digest.data()), bh.digest.size()));
  const auto claimed = util::base64_decode(sig.body_hash_b64, k_tag_base64);
  const bool length_ok = !sig.body_length || *sig.body_length <= bh.length;
  const bool digest_ok =
      claimed && claimed->size() == bh.digest.size() && std::memcmp(claimed->data(), bh.digest.data(), bh.digest.size()) == 0;
  r.body_hash = length_ok && digest_ok ? "pass" : "fail";
  std::string body_sentence;
  const std::string bc = body_relaxed ? "relaxed" : "simple";
  if (!length_ok) {
    body_sentence = "Body hash fail: l=" + std::to_string(*sig.body_length) + " is longer than the " + bc + "-canonicalized body (" +
                    std::to_string(bh.length) + " bytes): the body is shorter than the signed one.";
  } else if (!digest_ok) {
    body_sentence = "Body hash fail: the " + bc +
                    "-canonicalized body does not hash to bh=: the body differs from the signed one (changed after "
                    "signing, possibly by a forwarding system or a mail program that re-encoded it).";
  } else {
    body_sentence = "Body hash pass (" + bc + " canonicalization).";
  }
  if (sig.body_length) {
    if (length_ok && *sig.body_length < bh.length) {
      notes.push_back("Only the first " + std::to_string(*sig.body_length) + " of " + std::to_string(bh.length) +
                      " canonicalized body bytes are covered (l=); the " + std::to_string(bh.length - *sig.body_length) +
                      " bytes after them are not signed and may have been added later.");
    } else if (length_ok) {
      notes.push_back("The l= tag covers the whole canonicalized body.");
    }
  }

  // Header data: the signed fields (bottom-up for repeated names), then this field.
  if (ctx.header_bytes > k_max_header_bytes) {
    r.signature_result = "unverified";
    r.detail = join_sentences({body_sentence, "The signature was not checked: the signed header data of the earlier signatures "
                                              "already exceeds the work limit of " +
                                                  std::to_string(k_max_header_bytes >> 20) + " MiB."});
    return;
  }
  std::string data;
  std::unordered_map<std::string, std::size_t> used;
  std::set<std::string> unsigned_extra;
  for (const auto& h : sig.signed_headers) {
    const std::string name = util::to_lower_ascii(h);
    const auto f = ctx.by_name.find(name);
    std::size_t& n = used[name];
    if (f == ctx.by_name.end() || n >= f->second.size()) continue; // a missing field adds nothing
    const RawHeader& field = ctx.block.fields[f->second[f->second.size() - 1 - n]];
    ++n;
    data += header_relaxed ? canon_header_relaxed(field.raw, bare_lf) : canon_header_simple(field.raw, bare_lf);
    data += "\r\n";
  }
  for (const auto& [name, n] : used) {
    const auto f = ctx.by_name.find(name);
    if (f != ctx.by_name.end() && f->second.size() > n) unsigned_extra.insert(name);
  }
  {
    const std::string self = without_b_value(ctx.block.fields[sig.header_index].raw);
    data += header_relaxed ? canon_header_relaxed(self, bare_lf) : canon_header_simple(self, bare_lf);
  }
  ctx.header_bytes += data.size();
  for (const auto& name : unsigned_extra) {
    const std::size_t total = ctx.by_name.find(name)->second.size();
    notes.push_back("The message has " + std::to_string(total) + " \"" + name + "\" fields but the signature covers only " +
                    std::to_string(used[name]) + "; the other " + std::to_string(total - used[name]) +
                    " (the topmost) are not signed and may have been added later.");
  }
  if (sig.timestamp && *sig.timestamp > ctx.now) notes.push_back("The signing time t= is later than the checking time.");
  if (bare_lf) notes.push_back("The file uses bare LF line ends; they were treated as CRLF for canonicalization.");

  // Key and signature.
  const bool expired = sig.expiration && ctx.now > *sig.expiration;
  const std::string expired_sentence = expired ? "The signature expired (x=" + std::to_string(*sig.expiration) +
                                                     " is before the checking time " + std::to_string(ctx.now) + ")."
                                               : "";
  const DkimKey* key = find_key(ctx, sig);
  const std::string key_name = sig.selector + "._domainkey." + sig.domain;
  if (key == nullptr) {
    r.signature_result = expired ? "expired" : "unverified";
    r.detail = join_sentences({expired_sentence, body_sentence,
                               "No public key for " + key_name + " was given, so the signature was not checked (this is not a failure).",
                               join_sentences(notes)});
    return;
  }
  r.key_source = key->origin.empty() ? "key for " + key_name : key->origin;
  KeyInfo ki = parse_key(key->text);
  if (ki.pkey && ki.type != (ed25519 ? "ed25519" : "rsa")) {
    ki.error = "the key is of type " + ki.type + " but the signature uses " + alg;
    ki.pkey.reset();
  }
  if (ki.pkey && ki.strict_identity && !sig.identity.empty()) {
    const std::size_t at = sig.identity.rfind('@');
    if (domain_key(sig.identity.substr(at + 1)) != domain_key(sig.domain))
      ki.error = "the key has t=s but the identity i=" + quote(sig.identity) + " is in a subdomain of d=";
  }
  if (!ki.pkey || !ki.error.empty()) {
    r.signature_result = "invalid";
    r.detail = join_sentences({body_sentence, "The key for " + key_name + " cannot be used: " + ki.error + ".", join_sentences(notes)});
    return;
  }
  const auto sig_bytes = util::base64_decode(sig.signature_b64, k_tag_base64);
  std::string error;
  const int rc = sig_bytes ? verify_signature(ki.pkey.get(), ed25519, data, *sig_bytes, error) : 0;
  if (rc < 0) {
    r.signature_result = "invalid";
    r.detail = join_sentences({body_sentence, "The signature could not be checked: " + error + ".", join_sentences(notes)});
    return;
  }
  std::string crypto = rc == 1 ? "pass" : "fail";
  std::string sig_sentence =
      rc == 1 ? "Signature pass: the signed header fields and the DKIM-Signature field (with bh=) are unchanged since they were "
                "signed with the private key of " +
                    key_name + " (public key " + r.key_source + ")."
              : "Signature fail: a signed header field or the DKIM-Signature field differs from what was signed (changed after "
                "signing, possibly by a forwarding system), or the given key is not the one that signed.";
  if (!ed25519) {
    const int bits = EVP_PKEY_get_bits(ki.pkey.get());
    if (bits < k_min_rsa_bits) {
      r.signature_result = "invalid";
      r.detail = join_sentences({body_sentence,
                                 "The RSA key has only " + std::to_string(bits) +
                                     " bits; RFC 8301 forbids accepting keys under 1024 bits (cryptographic result: " + crypto + ").",
                                 join_sentences(notes)});
      return;
    }
  }
  if (ki.testing) notes.push_back("The key record has t=y: the domain marked this key as being tested.");
  if (expired) {
    r.signature_result = "expired";
    r.detail =
        join_sentences({expired_sentence, "Cryptographic result: " + crypto + ".", body_sentence, sig_sentence, join_sentences(notes)});
    return;
  }
  r.signature_result = crypto;
  r.detail = join_sentences({body_sentence, sig_sentence, join_sentences(notes)});
}

} // namespace

DkimSignature parse_dkim_signature(std::string_view raw_value) {
  DkimSignature sig;
  sig.header_canon = "simple";
  sig.body_canon = "simple";
  TagList tl;
  try {
    tl = parse_tag_list(raw_value, true);
  } catch (const std::exception&) {
    sig.problems.push_back("the tag list cannot be parsed");
    return sig;
  }
  sig.tags = tl.tags;
  sig.problems = tl.problems;
  const auto get = [&](const char* name) -> const std::string* {
    const auto it = tl.first.find(name);
    return it == tl.first.end() ? nullptr : &it->second;
  };
  const auto required = [&](const char* name) -> const std::string* {
    const std::string* v = get(name);
    if (v == nullptr) {
      sig.problems.push_back(std::string("missing required tag ") + name + "=");
    } else if (v->empty()) {
      sig.problems.push_back(std::string("empty required tag ") + name + "=");
    }
    return v;
  };
  if (const auto* v = required("v")) {
    sig.version = *v;
    if (!v->empty() && *v != "1") sig.problems.push_back("unsupported version v=" + quote(*v));
  }
  if (const auto* a = required("a")) sig.algorithm = *a;
  if (const auto* b = required("b")) {
    sig.signature_b64 = *b;
    if (!b->empty() && !util::base64_decode(*b, k_tag_base64)) sig.problems.push_back("b= is not valid base64");
  }
  if (const auto* bh = required("bh")) {
    sig.body_hash_b64 = *bh;
    if (!bh->empty() && !util::base64_decode(*bh, k_tag_base64)) sig.problems.push_back("bh= is not valid base64");
  }
  if (const auto* d = required("d")) sig.domain = *d;
  if (const auto* s = required("s")) sig.selector = *s;
  if (const auto* h = required("h")) {
    if (!h->empty()) {
      bool from = false;
      for (auto& name : split(*h, ':')) {
        if (name.empty()) {
          sig.problems.push_back("h= has an empty field name");
          continue;
        }
        if (iequals(name, "from")) from = true;
        sig.signed_headers.push_back(std::move(name));
      }
      if (!from) sig.problems.push_back("h= does not include From (RFC 6376 section 5.4)");
    }
  }
  if (const auto* c = get("c")) {
    const std::string lc = util::to_lower_ascii(*c);
    const std::size_t slash = lc.find('/');
    sig.header_canon = lc.substr(0, slash);
    sig.body_canon = slash == std::string::npos ? "simple" : lc.substr(slash + 1);
    for (const auto* part : {&sig.header_canon, &sig.body_canon}) {
      if (*part != "simple" && *part != "relaxed") {
        sig.problems.push_back("unknown canonicalization c=" + quote(*c));
        break;
      }
    }
  }
  if (const auto* i = get("i")) {
    sig.identity = *i;
    const std::size_t at = i->rfind('@');
    if (at == std::string::npos) {
      sig.problems.push_back("i= has no '@'");
    } else if (!sig.domain.empty()) {
      const std::string id = domain_key(std::string_view(*i).substr(at + 1));
      const std::string d = domain_key(sig.domain);
      if (id != d && !(id.size() > d.size() && id.compare(id.size() - d.size(), d.size(), d) == 0 && id[id.size() - d.size() - 1] == '.'))
        sig.problems.push_back("the domain of i=" + quote(*i) + " is not d= or a subdomain of it");
    }
  }
  if (const auto* q = get("q")) sig.query = *q;
  if (const auto* l = get("l")) {
    sig.body_length = parse_u64(*l);
    if (!sig.body_length) sig.problems.push_back("l=" + quote(*l) + " is not a decimal number in range");
  }
  const auto time_tag = [&](const char* name, std::optional<std::int64_t>& out) {
    if (const auto* v = get(name)) {
      const auto n = parse_u64(*v);
      if (!n || *n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        sig.problems.push_back(std::string(name) + "=" + quote(*v) + " is not a decimal number in range");
      } else {
        out = static_cast<std::int64_t>(*n);
      }
    }
  };
  time_tag("t", sig.timestamp);
  time_tag("x", sig.expiration);
  if (sig.timestamp && sig.expiration && *sig.expiration < *sig.timestamp)
    sig.problems.push_back("x=" + std::to_string(*sig.expiration) + " is before t=" + std::to_string(*sig.timestamp));
  return sig;
}

std::vector<DkimResult> verify_dkim(std::string_view message, const HeaderBlock& block, const std::vector<DkimKey>& keys,
                                    std::int64_t now) {
  std::vector<DkimResult> out;
  Context ctx{message, block, keys, now, {}, {}, {}};
  ctx.body = block.body_offset < message.size() ? message.substr(block.body_offset) : std::string_view();
  bool indexed = false;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < block.fields.size(); ++i) {
    const RawHeader& field = block.fields[i];
    if (!iequals(field.name, "DKIM-Signature")) continue;
    DkimResult r;
    try {
      r.signature = parse_dkim_signature(field.raw_value);
      r.signature.header_index = i;
      if (++seen > k_max_signatures) {
        r.body_hash = "not-checked";
        r.signature_result = "unverified";
        r.key_source = "no key";
        r.detail = "Not checked: the message has more than " + std::to_string(k_max_signatures) +
                   " DKIM-Signature fields and only the topmost ones are checked.";
        out.push_back(std::move(r));
        continue;
      }
      if (!indexed) {
        for (std::size_t j = 0; j < block.fields.size(); ++j)
          ctx.by_name[util::to_lower_ascii(block.fields[j].name)].push_back(j);
        indexed = true;
      }
      check_one(ctx, r);
    } catch (const std::exception& e) {
      r.body_hash = r.body_hash.empty() ? "not-checked" : r.body_hash;
      r.signature_result = "invalid";
      if (r.key_source.empty()) r.key_source = "no key";
      r.detail = std::string("The signature could not be checked: ") + e.what() + ".";
    }
    out.push_back(std::move(r));
  }
  return out;
}

DkimTime dkim_time(const DkimSignature& s, std::optional<std::int64_t> delivered_at, std::int64_t now, std::int64_t tolerance) {
  DkimTime t;
  t.delivered_at = delivered_at;
  t.now = now;
  t.signed_at = s.timestamp;
  t.expires_at = s.expiration;
  if (delivered_at) t.valid_at_delivery = !s.expiration || *s.expiration >= *delivered_at;
  t.valid_now = !s.expiration || *s.expiration >= now;
  if (!t.valid_now) t.expired_since = s.expiration;
  if (delivered_at && s.timestamp) t.signed_after_delivery = *s.timestamp > *delivered_at + tolerance;
  return t;
}

util::Json to_json(const DkimTime& t) {
  // "YYYY-MM-DDTHH:MM:SSZ", or null
  const auto utc = [](const std::optional<std::int64_t>& v) -> util::Json {
    if (!v) return nullptr;
    const std::string s = util::format_utc(*v, 0);
    return s.substr(0, s.find('.')) + "Z";
  };
  const auto opt = [](const auto& v) -> util::Json { return v ? util::Json(*v) : util::Json(nullptr); };
  util::Json j = util::Json::object();
  j["delivered_at"] = utc(t.delivered_at);
  j["delivery_header_index"] = opt(t.delivery_header_index);
  j["delivery_received_index"] = opt(t.delivery_received_index);
  j["checked_at"] = utc(t.now);
  j["signed_at"] = utc(t.signed_at);
  j["expires_at"] = utc(t.expires_at);
  j["valid_at_delivery"] = opt(t.valid_at_delivery);
  j["valid_now"] = t.valid_now;
  j["expired_since"] = utc(t.expired_since);
  j["signed_after_delivery"] = opt(t.signed_after_delivery);
  return j;
}

util::Json to_json(const DkimResult& r) {
  const DkimSignature& s = r.signature;
  const auto str = [](const std::string& v) { return util::Json(util::utf8_lossy(v)); };
  const auto str_or_null = [&](const std::string& v) { return v.empty() ? util::Json(nullptr) : str(v); };
  util::Json j = util::Json::object();
  j["header_index"] = s.header_index;
  j["domain"] = str(s.domain);
  j["selector"] = str(s.selector);
  j["algorithm"] = str(s.algorithm);
  j["canonicalization"] = str(s.header_canon + "/" + s.body_canon);
  util::Json signed_headers = util::Json::array();
  for (const auto& h : s.signed_headers)
    signed_headers.push_back(str(h));
  j["signed_headers"] = std::move(signed_headers);
  j["identity"] = str_or_null(s.identity);
  j["body_length"] = s.body_length ? util::Json(*s.body_length) : util::Json(nullptr);
  j["timestamp"] = s.timestamp ? util::Json(*s.timestamp) : util::Json(nullptr);
  j["expiration"] = s.expiration ? util::Json(*s.expiration) : util::Json(nullptr);
  util::Json tags = util::Json::object();
  for (const auto& [name, value] : s.tags) {
    const std::string key = util::utf8_lossy(name);
    if (!tags.contains(key)) tags[key] = str(value); // the first of duplicated tags
  }
  j["tags"] = std::move(tags);
  j["body_hash"] = str(r.body_hash);
  j["computed_body_hash"] = str_or_null(r.computed_body_hash_b64);
  j["signature"] = str(r.signature_result);
  j["key_source"] = str(r.key_source);
  j["detail"] = str(r.detail);
  util::Json problems = util::Json::array();
  for (const auto& p : s.problems)
    problems.push_back(str(p));
  j["problems"] = std::move(problems);
  return j;
}

} // namespace cbkit::email
