#include "cbkit/seal/keys.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/base64.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <fstream>
#include <openssl/pem.h>
#include <sstream>

namespace cbkit::seal {

namespace {

using util::BioPtr;
using util::MdCtxPtr;

constexpr std::size_t k_max_key_file = 64 * 1024;

std::string read_small(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, util::utf8_lossy(file.string()) + ": cannot be read; give an existing key file");
  std::string s(k_max_key_file + 1, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<std::size_t>(in.gcount()));
  if (s.size() > k_max_key_file) throw Error(ErrorKind::input, util::utf8_lossy(file.string()) + ": too large to be a key file");
  return s;
}

PublicKey raw_public(EVP_PKEY* k) {
  PublicKey p;
  p.raw.assign(32, '\0');
  std::size_t len = 32;
  if (EVP_PKEY_get_raw_public_key(k, reinterpret_cast<unsigned char*>(p.raw.data()), &len) != 1 || len != 32) {
    throw Error(ErrorKind::internal, "OpenSSL: cannot read an Ed25519 public key");
  }
  return p;
}

std::string blake2b512(std::string_view data) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char out[64];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_blake2b512(), nullptr) != 1 || EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &len) != 1 || len != 64) {
    throw Error(ErrorKind::internal, "OpenSSL: BLAKE2b-512 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), 64);
}

} // namespace

std::string PublicKey::fingerprint() const { return util::sha256_hex(raw); }

std::string PublicKey::key_number() const {
  util::Sha256 h;
  h.update(raw);
  const util::Digest d = h.finish();
  return std::string(reinterpret_cast<const char*>(d.data()), 8);
}

std::string PublicKey::key_id() const {
  static constexpr char k_digits[] = "0123456789ABCDEF";
  const std::string n = key_number();
  std::string out;
  for (std::size_t i = 8; i-- > 0;) {
    const auto b = static_cast<unsigned char>(n[i]);
    out.push_back(k_digits[b >> 4]);
    out.push_back(k_digits[b & 0xf]);
  }
  return out;
}

std::string PublicKey::pem() const {
  PkeyPtr k(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!k || !b || PEM_write_bio_PUBKEY(b.get(), k.get()) != 1) throw Error(ErrorKind::internal, "OpenSSL: cannot write a public key");
  return util::bio_contents(b.get());
}

std::string PublicKey::minisign() const {
  return "untrusted comment: minisign public key " + key_id() + "\n" + util::base64("Ed" + key_number() + raw) + "\n";
}

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != 64 || raw.size() != 32) return false;
  PkeyPtr k(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!k || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, k.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

PrivateKey PrivateKey::generate() {
  PkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!k) throw Error(ErrorKind::internal, "OpenSSL: cannot generate an Ed25519 key");
  return PrivateKey(std::move(k));
}

PrivateKey PrivateKey::load(const std::filesystem::path& file) {
  const std::string name = util::utf8_lossy(file.string());
  const std::string text = read_small(file);
  BioPtr b(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  // An empty passphrase callback: an encrypted key fails instead of prompting.
  PkeyPtr k(PEM_read_bio_PrivateKey(
      b.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!k) {
    throw Error(ErrorKind::input, name + ": not an unencrypted PEM private key; give the .key file written by 'cbkit keygen'");
  }
  if (EVP_PKEY_get_id(k.get()) != EVP_PKEY_ED25519)
    throw Error(ErrorKind::input, name + ": not an Ed25519 key; make one with 'cbkit keygen'");
  return PrivateKey(std::move(k));
}

PublicKey PrivateKey::public_key() const { return raw_public(m_key.get()); }

std::string PrivateKey::pem() const {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PrivateKey(b.get(), m_key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw Error(ErrorKind::internal, "OpenSSL: cannot write a private key");
  }
  return util::bio_contents(b.get());
}

std::string PrivateKey::sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, m_key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      len != 64) {
    throw Error(ErrorKind::internal, "OpenSSL: Ed25519 signing failed");
  }
  return sig;
}

PublicKey parse_public_key(const std::string& text, const std::string& what) {
  if (text.find("-----BEGIN") != std::string::npos) {
    BioPtr b(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    PkeyPtr k(PEM_read_bio_PUBKEY(b.get(), nullptr, nullptr, nullptr));
    if (!k) {
      BioPtr b2(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
      k.reset(PEM_read_bio_PrivateKey(
          b2.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
    }
    if (!k || EVP_PKEY_get_id(k.get()) != EVP_PKEY_ED25519) {
      throw Error(ErrorKind::input, what + ": not an Ed25519 public key (PEM); give the .pub file written by 'cbkit keygen'");
    }
    return raw_public(k.get());
  }
  // minisign: optional "untrusted comment:" line, then base64("Ed" + keynum + key).
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line.resize(util::trim_end(line).size());
    if (line.empty() || line.rfind("untrusted comment:", 0) == 0) continue;
    const auto raw = util::base64_decode(line);
    if (raw && raw->size() == 42 && raw->compare(0, 2, "Ed") == 0) {
      PublicKey p;
      p.raw = raw->substr(10);
      return p;
    }
    break;
  }
  throw Error(ErrorKind::input,
              what + ": not a public key (PEM SPKI or minisign); give the .pub or .minisign.pub file written by 'cbkit keygen'");
}

PublicKey load_public_key(const std::filesystem::path& file) { return parse_public_key(read_small(file), util::utf8_lossy(file.string())); }

std::string minisign_sign(const PrivateKey& key, std::string_view file, const std::string& untrusted_comment,
                          const std::string& trusted_comment) {
  const PublicKey pub = key.public_key();
  const std::string sig = key.sign(blake2b512(file));
  const std::string global = key.sign(sig + trusted_comment);
  return "untrusted comment: " + untrusted_comment + "\n" + util::base64("ED" + pub.key_number() + sig) + "\n" +
         "trusted comment: " + trusted_comment + "\n" + util::base64(global) + "\n";
}

std::string minisign_verify(const PublicKey& key, std::string_view file, const std::string& minisig) {
  std::istringstream in(minisig);
  std::string l1, l2, l3, l4;
  if (!std::getline(in, l1) || !std::getline(in, l2) || !std::getline(in, l3) || !std::getline(in, l4)) {
    return "the signature file does not have the four lines of the minisign format";
  }
  if (l1.rfind("untrusted comment:", 0) != 0 || l3.rfind("trusted comment: ", 0) != 0) return "not in minisign format";
  const auto sigbox_bytes = util::base64_decode(util::trim_end(l2));
  if (!sigbox_bytes || sigbox_bytes->size() != 74) return "the signature line is not base64 of 74 bytes";
  const auto global = util::base64_decode(util::trim_end(l4));
  if (!global || global->size() != 64) return "the global signature is not base64 of 64 bytes";
  const std::string& sigbox = *sigbox_bytes;
  const std::string alg = sigbox.substr(0, 2);
  if (alg != "ED" && alg != "Ed") return "unknown signature algorithm";
  if (sigbox.substr(2, 8) != key.key_number()) return "signed by another key (key id differs)";
  const std::string sig = sigbox.substr(10);
  const bool ok = alg == "ED" ? key.verify(blake2b512(file), sig) : key.verify(file, sig);
  if (!ok) return "the signature does not match the file";
  if (!key.verify(sig + std::string(util::trim_end(l3.substr(17))), *global)) return "the trusted comment's signature does not hold";
  return "";
}

} // namespace cbkit::seal
