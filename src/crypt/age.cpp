#include "cbkit/crypt/age.hpp"

#include "cbkit/util/base64.hpp"
#include "cbkit/util/bech32.hpp"
#include "cbkit/util/openssl.hpp"
#include "cbkit/util/text.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace cbkit::crypt {

namespace {

constexpr std::size_t k_chunk = 64 * 1024;
constexpr std::size_t k_tag = 16;
constexpr std::size_t k_file_key = 16;
constexpr std::size_t k_nonce = 16;
constexpr std::size_t k_max_line = 8 * 1024;
constexpr std::size_t k_max_header = 1024 * 1024;
constexpr std::size_t k_max_stanzas = 1000;
constexpr const char* k_version_line = "age-encryption.org/v1";
constexpr const char* k_secret_hrp = "age-secret-key-";
constexpr const char* k_recipient_hrp = "age";

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

[[noreturn]] void crypto_failed(const std::string& what) { throw Error(ErrorKind::internal, "age: " + what + ": " + openssl_error()); }

std::string bytes_of(const unsigned char* p, std::size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

void random_fill(unsigned char* p, std::size_t n) {
  if (RAND_bytes(p, static_cast<int>(n)) != 1) crypto_failed("no random bytes");
}

// Wipes an array holding key material when it goes out of scope, on every way out.
template <class T> struct Wipe {
  T& v;
  ~Wipe() { OPENSSL_cleanse(v.data(), v.size()); }
};

util::PkeyPtr x25519_private(const Key32& secret) {
  util::PkeyPtr k(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret.data(), secret.size()));
  if (!k) crypto_failed("X25519 private key");
  return k;
}

Key32 x25519_public_of(const Key32& secret) {
  const util::PkeyPtr k = x25519_private(secret);
  Key32 pub{};
  std::size_t n = pub.size();
  if (EVP_PKEY_get_raw_public_key(k.get(), pub.data(), &n) != 1 || n != pub.size()) crypto_failed("X25519 public key");
  return pub;
}

// X25519(secret, peer); nullopt when the result is all zero (a low-order peer share), which
// OpenSSL reports as a failed derivation.
std::optional<Key32> x25519(const Key32& secret, const Key32& peer) {
  const util::PkeyPtr priv = x25519_private(secret);
  const util::PkeyPtr pub(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size()));
  if (!pub) crypto_failed("X25519 public key");
  const util::PkeyCtxPtr ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), pub.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  Key32 out{};
  std::size_t n = out.size();
  if (EVP_PKEY_derive(ctx.get(), out.data(), &n) != 1 || n != out.size()) {
    ERR_clear_error();
    return std::nullopt;
  }
  unsigned char any = 0;
  for (const unsigned char b : out)
    any |= b;
  if (any == 0) return std::nullopt;
  return out;
}

Key32 hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info) {
  const util::KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) crypto_failed("HKDF");
  const util::KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) crypto_failed("HKDF");
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  std::size_t i = 0;
  params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size());
  // An absent salt is HashLen zero bytes (RFC 5869 2.2), the same HMAC key as an empty one.
  if (!salt.empty()) params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size());
  params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size());
  params[i] = OSSL_PARAM_construct_end();
  Key32 out{};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) crypto_failed("HKDF");
  return out;
}

Key32 scrypt_key(const std::string& passphrase, std::string_view salt, int log_n) {
  const util::KdfPtr kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) crypto_failed("scrypt");
  const util::KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) crypto_failed("scrypt");
  const std::string full_salt = std::string("age-encryption.org/v1/scrypt") + std::string(salt);
  std::uint64_t n = std::uint64_t{1} << log_n;
  std::uint32_t r = 8;
  std::uint32_t p = 1;
  // OpenSSL refuses more than 32 MiB by default; the spec's work factors need 128 * r * N
  // bytes (256 MiB at age's default N = 2^18), plus a little for the other buffers.
  std::uint64_t maxmem = 128u * r * (n + p + 2) + (1u << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(passphrase.data()), passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(full_salt.data()), full_salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  Key32 out{};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) crypto_failed("scrypt (not enough memory?)");
  return out;
}

std::string hmac_sha256(const Key32& key, std::string_view data) {
  unsigned char out[32];
  std::size_t n = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), reinterpret_cast<const unsigned char*>(data.data()),
                 data.size(), out, sizeof out, &n) ||
      n != sizeof out) {
    crypto_failed("HMAC-SHA-256");
  }
  return bytes_of(out, n);
}

const EVP_CIPHER* chacha() {
  static const util::CipherPtr c(EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr));
  if (!c) crypto_failed("ChaCha20-Poly1305");
  return c.get();
}

// ChaCha20-Poly1305 with no associated data: ciphertext || 16-byte tag.
std::string aead_seal(const Key32& key, const unsigned char nonce[12], const char* clear, std::size_t n) {
  const util::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(n + k_tag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int fin = 0;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), chacha(), key.data(), nonce, nullptr) != 1 ||
      (n > 0 && EVP_EncryptUpdate(ctx.get(), o, &len, reinterpret_cast<const unsigned char*>(clear), static_cast<int>(n)) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), o + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(k_tag), o + n) != 1) {
    crypto_failed("ChaCha20-Poly1305 encryption");
  }
  return out;
}

// The clear bytes of ciphertext || tag, or nullopt when the tag does not match.
std::optional<std::string> aead_open(const Key32& key, const unsigned char nonce[12], const char* sealed, std::size_t n) {
  if (n < k_tag) return std::nullopt;
  const std::size_t clear_n = n - k_tag;
  const util::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(clear_n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int fin = 0;
  std::array<unsigned char, k_tag> tag{};
  std::memcpy(tag.data(), sealed + clear_n, k_tag);
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), chacha(), key.data(), nonce, nullptr) != 1) crypto_failed("ChaCha20-Poly1305 decryption");
  if ((clear_n > 0 &&
       EVP_DecryptUpdate(ctx.get(), o, &len, reinterpret_cast<const unsigned char*>(sealed), static_cast<int>(clear_n)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(k_tag), tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), o + len, &fin) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

constexpr unsigned char k_zero_nonce[12] = {};

void chunk_nonce(std::uint64_t counter, bool last, unsigned char nonce[12]) {
  std::memset(nonce, 0, 12);
  for (int i = 0; i < 8; ++i)
    nonce[10 - i] = static_cast<unsigned char>(counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
}

// A stanza's body in lines of 64 columns, the last one shorter (empty when the body's
// base64 is a multiple of 64).
std::string stanza_body(std::string_view bytes) {
  const std::string b = util::base64_unpadded(bytes);
  std::string out;
  std::size_t i = 0;
  for (; i + 64 <= b.size(); i += 64)
    out += b.substr(i, 64) + "\n";
  out += b.substr(i) + "\n";
  return out;
}

bool is_vchar_text(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t sp = s.find(' ', start);
    out.emplace_back(s.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

std::string trim(std::string s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.back()))
    s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && ws(s[i]))
    ++i;
  return s.substr(i);
}

std::vector<std::string> read_lines(const std::filesystem::path& path, const char* what, std::uint64_t limit) {
  const std::string name = util::utf8_lossy(path.string());
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(ErrorKind::usage, std::string(what) + " " + name + ": not a readable file");
  if (std::filesystem::file_size(path, ec) > limit)
    throw Error(ErrorKind::usage, std::string(what) + " " + name + ": too large for a key file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::usage, std::string(what) + " " + name + ": cannot be read");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return lines;
}

struct Stanza {
  std::vector<std::string> args; // args[0] is the type
  std::string body;
};

} // namespace

X25519Identity X25519Identity::generate() {
  X25519Identity id;
  random_fill(id.m_secret.data(), id.m_secret.size());
  id.m_public = x25519_public_of(id.m_secret);
  return id;
}

X25519Identity X25519Identity::parse(std::string_view text, const std::string& where) {
  const auto b = util::bech32_decode(text);
  if (!b || b->hrp != k_secret_hrp || b->bytes.size() != 32) {
    throw Error(ErrorKind::input,
                where + ": not an age X25519 identity (AGE-SECRET-KEY-1..., as age-keygen and cbkit keygen --age write it)");
  }
  X25519Identity id;
  std::memcpy(id.m_secret.data(), b->bytes.data(), 32);
  id.m_public = x25519_public_of(id.m_secret);
  return id;
}

std::string X25519Identity::encode() const {
  std::string s = util::bech32_encode(k_secret_hrp, bytes_of(m_secret.data(), m_secret.size()));
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string X25519Identity::recipient() const { return encode_recipient(m_public); }

std::string encode_recipient(const Key32& public_key) {
  return util::bech32_encode(k_recipient_hrp, bytes_of(public_key.data(), public_key.size()));
}

std::optional<Key32> parse_recipient(std::string_view text, std::string& error) {
  const auto b = util::bech32_decode(text);
  if (!b) {
    error = "not a Bech32 text (an age recipient looks like age1 followed by 58 letters and digits)";
    return std::nullopt;
  }
  if (b->hrp != k_recipient_hrp) {
    error = b->hrp.rfind("age1", 0) == 0 ? "an age recipient of a type cbkit does not support (only X25519 age1... recipients)"
                                         : "not an age recipient (age1...)";
    return std::nullopt;
  }
  if (b->bytes.size() != 32) {
    error = "not an X25519 recipient (32 bytes)";
    return std::nullopt;
  }
  Key32 k{};
  std::memcpy(k.data(), b->bytes.data(), 32);
  return k;
}

std::vector<X25519Identity> load_identity_file(const std::filesystem::path& path) {
  const std::string name = util::utf8_lossy(path.string());
  std::vector<X25519Identity> ids;
  std::size_t n = 0;
  for (const std::string& raw : read_lines(path, "--identity", 1u << 20)) {
    ++n;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    ids.push_back(X25519Identity::parse(line, name + " line " + std::to_string(n)));
  }
  if (ids.empty()) throw Error(ErrorKind::usage, "--identity " + name + ": holds no AGE-SECRET-KEY-1... identity");
  return ids;
}

std::vector<std::string> load_recipient_file(const std::filesystem::path& path) {
  const std::string name = util::utf8_lossy(path.string());
  std::vector<std::string> out;
  std::size_t n = 0;
  for (const std::string& raw : read_lines(path, "--recipient-file", 1u << 20)) {
    ++n;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    std::string error;
    if (!parse_recipient(line, error))
      throw Error(ErrorKind::usage, "--recipient-file " + name + " line " + std::to_string(n) + ": " + error);
    out.push_back(util::to_lower_ascii(line));
  }
  if (out.empty()) throw Error(ErrorKind::usage, "--recipient-file " + name + ": holds no age1... recipient");
  return out;
}

std::string load_passphrase_file(const std::filesystem::path& path) {
  const std::string name = util::utf8_lossy(path.string());
  std::vector<std::string> lines = read_lines(path, "--passphrase-file", 1u << 16);
  std::string p = lines.empty() ? std::string() : lines.front();
  if (!p.empty() && p.back() == '\r') p.pop_back();
  if (p.empty()) throw Error(ErrorKind::usage, "--passphrase-file " + name + ": the first line (the passphrase) is empty");
  return p;
}

std::string age_failure_code(AgeFailure f) {
  switch (f) {
  case AgeFailure::header:
    return "header";
  case AgeFailure::no_match:
    return "no-match";
  case AgeFailure::mac:
    return "mac";
  case AgeFailure::truncated:
    return "truncated";
  case AgeFailure::payload:
    return "payload";
  }
  return "header";
}

// ---- encryption ----

AgeEncryptor::AgeEncryptor(const Recipients& to, Sink sink) : m_sink(std::move(sink)) {
  if (to.passphrase && !to.x25519.empty())
    throw Error(ErrorKind::usage, "a passphrase cannot be combined with recipients (the age format allows a passphrase only alone)");
  if (!to.passphrase && to.x25519.empty()) throw Error(ErrorKind::usage, "age: no recipient to encrypt to");
  if (to.scrypt_log_n < 1 || to.scrypt_log_n > 30) throw Error(ErrorKind::usage, "age: scrypt work factor out of range");
  std::array<unsigned char, k_file_key> file_key{};
  Wipe<decltype(file_key)> wipe_fk{file_key};
  random_fill(file_key.data(), file_key.size());
  const std::string fk = bytes_of(file_key.data(), file_key.size());

  std::string header = std::string(k_version_line) + "\n";
  for (const std::string& r : to.x25519) {
    std::string error;
    const auto pub = parse_recipient(r, error);
    if (!pub) throw Error(ErrorKind::usage, "--recipient " + util::utf8_lossy(r) + ": " + error);
    const X25519Identity eph = X25519Identity::generate();
    const auto shared = x25519(eph.secret(), *pub);
    if (!shared) throw Error(ErrorKind::usage, "--recipient " + util::utf8_lossy(r) + ": not a usable X25519 public key (low order)");
    const std::string share = bytes_of(eph.public_key().data(), 32);
    Key32 wrap = hkdf_sha256(bytes_of(shared->data(), 32), share + bytes_of(pub->data(), 32), "age-encryption.org/v1/X25519");
    Wipe<Key32> wipe_wrap{wrap};
    header += "-> X25519 " + util::base64_unpadded(share) + "\n" + stanza_body(aead_seal(wrap, k_zero_nonce, fk.data(), fk.size()));
    m_recipients.push_back(encode_recipient(*pub));
  }
  if (to.passphrase) {
    unsigned char salt[16];
    random_fill(salt, sizeof salt);
    Key32 wrap = scrypt_key(*to.passphrase, bytes_of(salt, sizeof salt), to.scrypt_log_n);
    Wipe<Key32> wipe_wrap{wrap};
    header += "-> scrypt " + util::base64_unpadded(bytes_of(salt, sizeof salt)) + " " + std::to_string(to.scrypt_log_n) + "\n" +
              stanza_body(aead_seal(wrap, k_zero_nonce, fk.data(), fk.size()));
    m_recipients.emplace_back("scrypt");
  }
  header += "---";
  Key32 mac_key = hkdf_sha256(fk, "", "header");
  Wipe<Key32> wipe_mac{mac_key};
  header += " " + util::base64_unpadded(hmac_sha256(mac_key, header)) + "\n";
  unsigned char nonce[k_nonce];
  random_fill(nonce, sizeof nonce);
  m_payload_key = hkdf_sha256(fk, bytes_of(nonce, sizeof nonce), "payload");
  header += bytes_of(nonce, sizeof nonce);
  m_sink(header.data(), header.size());
  m_chunk.reserve(k_chunk);
}

AgeEncryptor::~AgeEncryptor() {
  OPENSSL_cleanse(m_payload_key.data(), m_payload_key.size());
  if (!m_chunk.empty()) OPENSSL_cleanse(m_chunk.data(), m_chunk.size());
}

void AgeEncryptor::seal_chunk(bool last) {
  unsigned char nonce[12];
  chunk_nonce(m_counter, last, nonce);
  m_out = aead_seal(m_payload_key, nonce, m_chunk.data(), m_chunk.size());
  ++m_counter;
  m_chunk.clear();
  m_sink(m_out.data(), m_out.size());
}

void AgeEncryptor::write(const char* data, std::size_t size) {
  if (m_finished) throw Error(ErrorKind::internal, "age: write after finish");
  while (size > 0) {
    // A full chunk is sealed only when more data follows: the final chunk may be full.
    if (m_chunk.size() == k_chunk) seal_chunk(false);
    const std::size_t take = std::min(size, k_chunk - m_chunk.size());
    m_chunk.append(data, take);
    data += take;
    size -= take;
  }
}

void AgeEncryptor::finish() {
  if (m_finished) return;
  seal_chunk(true);
  m_finished = true;
}

// ---- decryption ----

bool AgeDecryptor::fill(std::size_t want) {
  if (m_in_pos > 0 && m_in_pos >= m_in.size() / 2) {
    m_in.erase(0, m_in_pos);
    m_in_pos = 0;
  }
  char buf[16384];
  while (!m_eof && m_in.size() - m_in_pos < want) {
    const std::size_t n = m_source(buf, sizeof buf);
    if (n == 0) {
      m_eof = true;
    } else {
      m_in.append(buf, n);
    }
  }
  return m_in.size() - m_in_pos >= want;
}

// One header line without its LF; counts its bytes (with the LF) into `header_bytes`.
std::string AgeDecryptor::header_line(std::size_t& header_bytes) {
  for (;;) {
    const std::size_t lf = m_in.find('\n', m_in_pos);
    if (lf != std::string::npos) {
      if (lf - m_in_pos > k_max_line) break;
      std::string line = m_in.substr(m_in_pos, lf - m_in_pos);
      m_in_pos = lf + 1;
      header_bytes += line.size() + 1;
      if (header_bytes > k_max_header) throw AgeError(AgeFailure::header, "the age header is larger than 1 MiB");
      return line;
    }
    if (m_in.size() - m_in_pos > k_max_line) break;
    const std::size_t have = m_in.size() - m_in_pos;
    if (!fill(have + 1)) {
      throw AgeError(AgeFailure::header,
                     m_in.empty() ? "the file is empty: not an age file" : "the age header ends before its MAC line (truncated)");
    }
  }
  throw AgeError(AgeFailure::header, "an age header line is longer than 8 KiB");
}

AgeDecryptor::AgeDecryptor(const DecryptKeys& keys, Source source) : m_source(std::move(source)) {
  std::size_t header_bytes = 0;
  const std::string version = header_line(header_bytes);
  if (version != k_version_line) {
    throw AgeError(AgeFailure::header, version.rfind("age-encryption.org/", 0) == 0
                                           ? "an age file of an unsupported version (only age-encryption.org/v1)"
                                           : "not an age v1 file (it does not start with age-encryption.org/v1)");
  }
  std::string mac_input = version + "\n";
  std::vector<Stanza> stanzas;
  std::string mac_b64;
  std::string line = header_line(header_bytes);
  for (;;) {
    if (line.rfind("--- ", 0) == 0) {
      mac_input += "---";
      mac_b64 = line.substr(4);
      break;
    }
    if (line.rfind("-> ", 0) != 0)
      throw AgeError(AgeFailure::header, "the age header has a line that is neither a stanza (->) nor the MAC (---)");
    if (stanzas.size() == k_max_stanzas) throw AgeError(AgeFailure::header, "the age header has more than 1000 stanzas");
    mac_input += line + "\n";
    Stanza s;
    s.args = split_spaces(std::string_view(line).substr(3));
    for (const auto& a : s.args)
      if (!is_vchar_text(a))
        throw AgeError(AgeFailure::header, "an age stanza has an empty argument or one with a space or control character");
    std::string body_b64;
    for (;;) {
      const std::string b = header_line(header_bytes);
      mac_input += b + "\n";
      if (b.size() > 64) throw AgeError(AgeFailure::header, "an age stanza body line is longer than 64 columns");
      body_b64 += b;
      if (b.size() < 64) break;
    }
    const auto body = util::base64_decode_unpadded(body_b64);
    if (!body) throw AgeError(AgeFailure::header, "an age stanza body is not canonical unpadded base64");
    s.body = *body;
    stanzas.push_back(std::move(s));
    line = header_line(header_bytes);
  }
  if (stanzas.empty()) throw AgeError(AgeFailure::header, "the age header has no recipient stanza");
  const auto mac = util::base64_decode_unpadded(mac_b64);
  if (!mac || mac->size() != 32 || mac_b64.size() != 43)
    throw AgeError(AgeFailure::header, "the age header MAC is not 32 bytes of canonical base64");

  // Check every stanza of the types cbkit implements, then try the keys.
  for (const Stanza& s : stanzas) {
    const std::string& type = s.args[0];
    if (type == "X25519") {
      ++m_info.x25519_stanzas;
      const auto share = s.args.size() == 2 ? util::base64_decode_unpadded(s.args[1]) : std::nullopt;
      if (!share || share->size() != 32) throw AgeError(AgeFailure::header, "an X25519 stanza does not hold one 32-byte share");
      if (s.body.size() != k_file_key + k_tag) throw AgeError(AgeFailure::header, "an X25519 stanza body is not 32 bytes");
    } else if (type == "scrypt") {
      ++m_info.scrypt_stanzas;
      const auto salt = s.args.size() == 3 ? util::base64_decode_unpadded(s.args[1]) : std::nullopt;
      if (!salt || salt->size() != 16)
        throw AgeError(AgeFailure::header, "an scrypt stanza does not hold one 16-byte salt and a work factor");
      const std::string& wf = s.args[2];
      if (wf.empty() || wf.size() > 2 || wf[0] < '1' || wf[0] > '9' ||
          !std::all_of(wf.begin(), wf.end(), [](char c) { return c >= '0' && c <= '9'; }))
        throw AgeError(AgeFailure::header, "an scrypt stanza's work factor is not a decimal number from 1 to 99");
      m_info.scrypt_log_n = std::stoi(wf);
      if (s.body.size() != k_file_key + k_tag) throw AgeError(AgeFailure::header, "an scrypt stanza body is not 32 bytes");
    } else {
      ++m_info.other_stanzas;
      if (m_info.other_types.size() < 8) m_info.other_types.push_back(util::one_line(type, 40));
    }
  }
  if (m_info.scrypt_stanzas > 0 && stanzas.size() > 1)
    throw AgeError(AgeFailure::header, "the age header mixes a passphrase (scrypt) stanza with other stanzas, which the spec forbids");

  std::optional<std::string> file_key;
  for (const Stanza& s : stanzas) {
    if (file_key) break;
    if (s.args[0] == "X25519") {
      Key32 share{};
      const std::string sh = *util::base64_decode_unpadded(s.args[1]);
      std::memcpy(share.data(), sh.data(), 32);
      for (const X25519Identity& id : keys.identities) {
        auto shared = x25519(id.secret(), share);
        if (!shared)
          throw AgeError(AgeFailure::header,
                         "an X25519 stanza's share gives an all-zero shared secret (a low-order point); the file is rejected");
        Wipe<Key32> wipe_shared{*shared};
        Key32 wrap = hkdf_sha256(bytes_of(shared->data(), 32), sh + bytes_of(id.public_key().data(), 32), "age-encryption.org/v1/X25519");
        Wipe<Key32> wipe_wrap{wrap};
        if (auto fk = aead_open(wrap, k_zero_nonce, s.body.data(), s.body.size())) {
          file_key = std::move(fk);
          break;
        }
      }
    } else if (s.args[0] == "scrypt" && keys.passphrase) {
      const int log_n = *m_info.scrypt_log_n;
      if (log_n > keys.max_scrypt_log_n) {
        throw AgeError(AgeFailure::header, "the passphrase stanza asks for scrypt work factor 2^" + std::to_string(log_n) +
                                               ", above the limit 2^" + std::to_string(keys.max_scrypt_log_n));
      }
      Key32 wrap = scrypt_key(*keys.passphrase, *util::base64_decode_unpadded(s.args[1]), log_n);
      Wipe<Key32> wipe_wrap{wrap};
      file_key = aead_open(wrap, k_zero_nonce, s.body.data(), s.body.size());
    }
  }
  if (!file_key) {
    std::string m;
    if (m_info.scrypt_stanzas > 0) {
      m = keys.passphrase ? "the file is encrypted with a passphrase, and the passphrase given does not open it"
                          : "the file is encrypted with a passphrase (age -p): give --passphrase-file, not --identity";
    } else {
      m = "the file was made for " + std::to_string(m_info.x25519_stanzas) + " X25519 recipient" + (m_info.x25519_stanzas == 1 ? "" : "s");
      if (m_info.other_stanzas > 0) m += " and " + std::to_string(m_info.other_stanzas) + " recipient(s) of other types";
      if (keys.identities.empty()) {
        m += "; give --identity (the recipient's AGE-SECRET-KEY file)";
      } else {
        m += "; none matched " + (keys.identity_name.empty() ? std::string("the identity") : keys.identity_name) + "'s recipient";
        m += keys.identities.size() == 1 ? " " : "s ";
        for (std::size_t i = 0; i < keys.identities.size(); ++i)
          m += (i ? ", " : "") + keys.identities[i].recipient();
        m += " (age stanzas do not name their recipients: the sender's receipt lists them)";
      }
    }
    throw AgeError(AgeFailure::no_match, m);
  }
  Key32 mac_key = hkdf_sha256(*file_key, "", "header");
  Wipe<Key32> wipe_mac{mac_key};
  const std::string want = hmac_sha256(mac_key, mac_input);
  if (CRYPTO_memcmp(want.data(), mac->data(), 32) != 0)
    throw AgeError(AgeFailure::mac, "the age header MAC does not match: the header was altered after it was written");
  if (!fill(k_nonce)) throw AgeError(AgeFailure::truncated, "the age file ends before its payload nonce (truncated)");
  m_payload_key = hkdf_sha256(*file_key, std::string_view(m_in).substr(m_in_pos, k_nonce), "payload");
  OPENSSL_cleanse(file_key->data(), file_key->size());
  m_in_pos += k_nonce;
}

AgeDecryptor::~AgeDecryptor() {
  OPENSSL_cleanse(m_payload_key.data(), m_payload_key.size());
  if (!m_clear.empty()) OPENSSL_cleanse(m_clear.data(), m_clear.size());
}

void AgeDecryptor::next_chunk() {
  constexpr std::size_t sealed = k_chunk + k_tag;
  const bool more = fill(sealed + 1); // one byte more tells a non-final chunk from the final one
  const std::size_t avail = m_in.size() - m_in_pos;
  const char* p = m_in.data() + m_in_pos;
  const std::string where = "chunk " + std::to_string(m_counter) + " (bytes " + std::to_string(m_counter * k_chunk) + "..)";
  unsigned char nonce[12];
  if (more) {
    chunk_nonce(m_counter, false, nonce);
    auto clear = aead_open(m_payload_key, nonce, p, sealed);
    if (!clear) {
      chunk_nonce(m_counter, true, nonce);
      if (aead_open(m_payload_key, nonce, p, sealed))
        throw AgeError(AgeFailure::payload, "data follows the final age chunk (" + where + "): the file was altered");
      throw AgeError(AgeFailure::payload, "age " + where + " fails its authentication tag: altered, swapped or reordered");
    }
    m_clear = std::move(*clear);
    m_in_pos += sealed;
  } else {
    if (avail < k_tag) {
      throw AgeError(AgeFailure::truncated, avail == 0 && m_counter > 0 ? "the age file ends after " + std::to_string(m_counter) +
                                                                              " chunks without a final chunk (truncated)"
                                                                        : "the age file ends inside " + where + " (truncated)");
    }
    chunk_nonce(m_counter, true, nonce);
    auto clear = aead_open(m_payload_key, nonce, p, avail);
    if (!clear) {
      chunk_nonce(m_counter, false, nonce);
      if (avail == sealed && aead_open(m_payload_key, nonce, p, avail))
        throw AgeError(AgeFailure::truncated,
                       "the age file ends after " + std::to_string(m_counter + 1) + " chunks without a final chunk (truncated)");
      throw AgeError(AgeFailure::payload, "age " + where + " (the last) fails its authentication tag: altered, truncated or swapped");
    }
    if (clear->empty() && m_counter > 0) throw AgeError(AgeFailure::payload, "the final age chunk is empty, which the spec forbids");
    m_clear = std::move(*clear);
    m_in_pos += avail;
    m_done = true;
  }
  m_clear_pos = 0;
  ++m_counter;
}

std::size_t AgeDecryptor::read(char* out, std::size_t size) {
  while (m_clear_pos == m_clear.size()) {
    if (m_done) return 0;
    next_chunk();
  }
  const std::size_t n = std::min(size, m_clear.size() - m_clear_pos);
  std::memcpy(out, m_clear.data() + m_clear_pos, n);
  m_clear_pos += n;
  m_clear_bytes += n;
  return n;
}

} // namespace cbkit::crypt
