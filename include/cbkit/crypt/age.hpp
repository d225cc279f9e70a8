#pragma once

// age v1 file encryption (C2SP age spec, age-encryption.org/v1), streaming and in constant
// memory, on OpenSSL 3 only: X25519 recipients (several) or one scrypt passphrase; a
// 16-byte file key wrapped per recipient with ChaCha20-Poly1305 under a zero nonce; the
// header MAC (HMAC-SHA-256 under HKDF(file key, "header")); the payload in 64 KiB chunks
// (ChaCha20-Poly1305 under HKDF(file key, nonce, "payload"), nonce = 11-byte big-endian
// counter || last-chunk flag). Files written here decrypt with `age -d`, and files `age`
// writes (X25519 or passphrase, not armored) decrypt here.
//
// Decryption never releases bytes of a chunk before its tag checked; the end of the stream
// is only reported after a valid final chunk, so a truncated file is always an error.

#include "cbkit/error.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::crypt {

using Key32 = std::array<unsigned char, 32>;

// One X25519 identity (the secret) and its recipient (the public key).
class X25519Identity {
public:
  // A fresh identity from OpenSSL's CSPRNG.
  static X25519Identity generate();
  // From its text "AGE-SECRET-KEY-1..." (Bech32, either case). Throws Error(input) naming
  // `where` when the text is not an age X25519 identity.
  static X25519Identity parse(std::string_view text, const std::string& where);

  // "AGE-SECRET-KEY-1..." in uppercase, as age-keygen writes it.
  std::string encode() const;
  // "age1..." in lowercase.
  std::string recipient() const;
  const Key32& secret() const { return m_secret; }
  const Key32& public_key() const { return m_public; }

private:
  Key32 m_secret{};
  Key32 m_public{};
};

// The public key of a recipient "age1..." (lowercase or uppercase Bech32 with HRP "age"),
// or nullopt with `error` set to the reason.
std::optional<Key32> parse_recipient(std::string_view text, std::string& error);
std::string encode_recipient(const Key32& public_key);

// The identities of an identity file as age-keygen writes it (and cbkit keygen --age): one
// AGE-SECRET-KEY-1... per line, '#' comments and blank lines ignored. Throws Error(usage)
// when it cannot be read or holds no identity, Error(input) for a line that is none.
std::vector<X25519Identity> load_identity_file(const std::filesystem::path& path);

// The recipients of a recipients file: one age1... per line, '#' comments and blank lines
// ignored, white space around a recipient trimmed. Throws Error(usage) naming the file and
// line for anything else, or when it holds no recipient.
std::vector<std::string> load_recipient_file(const std::filesystem::path& path);

// The passphrase in a file: its first line without the line end (LF or CRLF). Throws
// Error(usage) when the file cannot be read or the passphrase is empty.
std::string load_passphrase_file(const std::filesystem::path& path);

// Whom a file is encrypted to: X25519 recipients (age1..., one or more) or, alone, a
// passphrase (the spec allows an scrypt stanza only as the header's one stanza).
struct Recipients {
  std::vector<std::string> x25519; // age1... texts
  std::optional<std::string> passphrase;
  int scrypt_log_n = 18; // age's default work factor: N = 2^18
};

// Writes an age file into `sink` as the clear bytes arrive: the header at construction,
// then one sealed chunk per 64 KiB (the last one held back until finish(), which marks it
// final). Memory: one chunk. The sink throws on failure; nothing is retried.
class AgeEncryptor {
public:
  using Sink = std::function<void(const char* data, std::size_t size)>;

  // Throws Error(usage) for no recipient, a bad recipient, or a passphrase with recipients.
  AgeEncryptor(const Recipients& to, Sink sink);
  ~AgeEncryptor();
  AgeEncryptor(const AgeEncryptor&) = delete;
  AgeEncryptor& operator=(const AgeEncryptor&) = delete;

  void write(const char* data, std::size_t size);
  // Seals the final chunk (empty only when nothing was written). Call once.
  void finish();

  // The recipient public keys written into the header, in order ("scrypt" for a passphrase).
  const std::vector<std::string>& recipients() const { return m_recipients; }

private:
  void seal_chunk(bool last);

  Sink m_sink;
  std::array<unsigned char, 32> m_payload_key{};
  std::uint64_t m_counter = 0;
  std::string m_chunk;
  std::string m_out;
  std::vector<std::string> m_recipients;
  bool m_finished = false;
};

// How an age file failed to decrypt; each is also the stable suffix of verify's finding code
// (archive-age-<what>).
enum class AgeFailure {
  header,    // not an age v1 file, or a header the spec forbids (limits, syntax, stanzas)
  no_match,  // no stanza opens with the identities or passphrase given
  mac,       // a stanza opened but the header MAC is wrong: the header was altered
  truncated, // the file ends before a final chunk
  payload,   // a chunk fails its tag (altered, swapped, reordered) or data follows the final chunk
};
std::string age_failure_code(AgeFailure f); // "header", "no-match", "mac", "truncated", "payload"

// The one error decryption throws: Error(input) with what failed.
class AgeError : public Error {
public:
  AgeError(AgeFailure failure, const std::string& message) : Error(ErrorKind::input, message), m_failure(failure) {}
  AgeFailure failure() const { return m_failure; }

private:
  AgeFailure m_failure;
};

// What to decrypt with: identities (from one file, named for messages), or a passphrase.
struct DecryptKeys {
  std::vector<X25519Identity> identities;
  std::string identity_name; // e.g. the identity file's name, for messages
  std::optional<std::string> passphrase;
  int max_scrypt_log_n = 22; // the highest work factor accepted (age's own limit)
};

// What a header says about its recipients (X25519 stanzas carry no recipient: only how many
// there are can be known).
struct AgeHeaderInfo {
  std::size_t x25519_stanzas = 0;
  std::size_t scrypt_stanzas = 0;
  std::size_t other_stanzas = 0; // types cbkit does not implement (plugins, post-quantum)
  std::vector<std::string> other_types;
  std::optional<int> scrypt_log_n;
};

// Reads an age file from `source` (returns 0 at the end of the input) and gives back its
// clear bytes. The header is read and checked at construction: limits (a line of at most
// 8 KiB, at most 1000 stanzas, a header of at most 1 MiB), the syntax, canonical base64, the
// stanza rules (an scrypt stanza alone; X25519 shares of 32 bytes; bodies of 32 bytes), an
// all-zero X25519 shared secret, then the MAC. Memory: one chunk.
class AgeDecryptor {
public:
  using Source = std::function<std::size_t(char* buffer, std::size_t size)>;

  // Throws AgeError (header, no_match, mac, truncated).
  AgeDecryptor(const DecryptKeys& keys, Source source);
  ~AgeDecryptor();
  AgeDecryptor(const AgeDecryptor&) = delete;
  AgeDecryptor& operator=(const AgeDecryptor&) = delete;

  // Up to `size` clear bytes into `out`; 0 only after the final chunk checked and nothing
  // followed it. Throws AgeError (truncated, payload).
  std::size_t read(char* out, std::size_t size);

  const AgeHeaderInfo& header() const { return m_info; }
  // Clear bytes released so far.
  std::uint64_t clear_bytes() const { return m_clear_bytes; }

private:
  bool fill(std::size_t want);
  std::string header_line(std::size_t& header_bytes);
  void next_chunk();

  Source m_source;
  AgeHeaderInfo m_info;
  std::string m_in; // read ahead from the source
  std::size_t m_in_pos = 0;
  bool m_eof = false;
  std::array<unsigned char, 32> m_payload_key{};
  std::uint64_t m_counter = 0;
  std::string m_clear; // the current chunk's clear bytes
  std::size_t m_clear_pos = 0;
  bool m_done = false;
  std::uint64_t m_clear_bytes = 0;
};

} // namespace cbkit::crypt

namespace cbkit::crypt {

// True when the file starts like an age v1 file ("age-encryption.org/"); false when it
// cannot be read or starts otherwise.
bool looks_like_age_file(const std::filesystem::path& path);

// The keys given on the command line: an identity file (--identity) or a passphrase file
// (--passphrase-file), exactly one of them. Throws Error(usage) for none or both, or a file
// that cannot be used.
DecryptKeys load_decrypt_keys(const std::optional<std::filesystem::path>& identity_file,
                              const std::optional<std::filesystem::path>& passphrase_file);

struct DecryptedFile {
  std::uint64_t encrypted_bytes = 0;
  std::uint64_t clear_bytes = 0;
  std::string clear_sha256; // lowercase hex
  AgeHeaderInfo header;
};

// Decrypts the age file `in` into `out`: a temporary file beside `out`, linked into place
// only after the final chunk checked (so `out` never holds unauthenticated or partial
// bytes), then removed. Throws Error(usage) when `out` exists (nothing is overwritten),
// AgeError when the file does not decrypt, Error(input) when `in` cannot be read, Error(io)
// when writing fails.
DecryptedFile decrypt_file(const std::filesystem::path& in, const std::filesystem::path& out, const DecryptKeys& keys);

} // namespace cbkit::crypt
