#pragma once

// The seal's checkpoint in the transparency-log signed-note format (C2SP tlog-checkpoint
// and signed-note):
//
//   <origin>\n<tree size>\n<base64 RFC 9162 root>\n\n— <key name> <base64(key hash || signature)>\n
//
// The Ed25519 signature covers the note text (the three body lines with their LFs); the
// key name is the origin; the key hash is the first 4 bytes of
// SHA-256(name || "\n" || 0x01 || public key), as C2SP signed-note defines it.

#include "cbkit/seal/keys.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::seal {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  std::string root; // raw 32 bytes

  std::string body() const; // the signed note text
};

// The signed note: body, blank line, one signature line by `key` named `origin`.
std::string sign_checkpoint(const Checkpoint& c, const PrivateKey& key);

// The C2SP verifier key string "<name>+<key hash hex>+<base64(0x01 || key)>".
std::string note_verifier_key(const std::string& name, const PublicKey& key);

struct ParsedNote {
  Checkpoint checkpoint;
  std::string body;
  struct Signature {
    std::string name;
    std::string key_hash; // 4 bytes
    std::string signature;
  };
  std::vector<Signature> signatures;
};

// Parses a signed checkpoint; nullopt with `error` set when it is not one.
std::optional<ParsedNote> parse_checkpoint(const std::string& text, std::string& error);

// True when one signature line named after the origin verifies with `key`.
bool checkpoint_signed_by(const ParsedNote& note, const PublicKey& key);

} // namespace cbkit::seal
