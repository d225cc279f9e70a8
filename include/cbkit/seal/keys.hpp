#pragma once

// Ed25519 seal keys (OpenSSL EVP): PEM PKCS#8 private keys, PEM SPKI public keys, the
// minisign public key and signature formats (so `minisign -V` checks a seal with no cbkit
// installed), and the key's fingerprint (SHA-256 of the raw 32-byte public key, hex).

#include "cbkit/util/openssl.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace cbkit::seal {

using util::PkeyPtr;

// A public key: the raw 32 bytes.
struct PublicKey {
  std::string raw;

  std::string fingerprint() const; // SHA-256 of raw, lowercase hex
  // minisign key number: the first 8 bytes of SHA-256(raw), so the same key always gets the
  // same id (minisign itself draws it at random when it makes a key).
  std::string key_number() const;
  std::string key_id() const;   // as minisign prints it: 16 uppercase hex digits (little-endian)
  std::string pem() const;      // -----BEGIN PUBLIC KEY----- (SPKI)
  std::string minisign() const; // "untrusted comment: ...\n" + base64("Ed" + keynum + raw) + "\n"
  bool verify(std::string_view message, std::string_view signature) const;
};

// A private key held in memory.
class PrivateKey {
public:
  static PrivateKey generate();
  // Reads a PEM PKCS#8 Ed25519 key. Throws Error(input) naming the file when it cannot be
  // read or is not an unencrypted Ed25519 private key.
  static PrivateKey load(const std::filesystem::path& file);

  PublicKey public_key() const;
  std::string pem() const; // -----BEGIN PRIVATE KEY----- (PKCS#8)
  // Ed25519 signature (64 bytes) of message: deterministic (RFC 8032).
  std::string sign(std::string_view message) const;

private:
  explicit PrivateKey(PkeyPtr key) : m_key(std::move(key)) {}
  PkeyPtr m_key;
};

// Reads a public key file: PEM SPKI (BEGIN PUBLIC KEY), a minisign public key (.pub, with
// or without the comment line) or a PEM private key (its public half). Throws Error(input)
// naming the file otherwise.
PublicKey load_public_key(const std::filesystem::path& file);
// The same from text; throws Error(input) naming `what`.
PublicKey parse_public_key(const std::string& text, const std::string& what);

// minisign signature (prehashed "ED": Ed25519 over BLAKE2b-512 of the file, then a global
// signature over the signature and the trusted comment). Deterministic.
std::string minisign_sign(const PrivateKey& key, std::string_view file, const std::string& untrusted_comment,
                          const std::string& trusted_comment);
// Checks a .minisig text against the file bytes. Returns an empty string when it holds,
// else the reason (a sentence). Accepts "ED" and the legacy "Ed".
std::string minisign_verify(const PublicKey& key, std::string_view file, const std::string& minisig);

} // namespace cbkit::seal
