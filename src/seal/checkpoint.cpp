#include "cbkit/seal/checkpoint.hpp"

#include "cbkit/util/base64.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

namespace cbkit::seal {

namespace {

constexpr const char* k_dash = "\xE2\x80\x94 "; // U+2014 EM DASH and a space

std::string key_hash(const std::string& name, const PublicKey& key) {
  util::Sha256 h;
  h.update(name);
  h.update("\n\x01", 2);
  h.update(key.raw);
  const util::Digest d = h.finish();
  return std::string(reinterpret_cast<const char*>(d.data()), 4);
}

bool valid_origin(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '+') return false;
  }
  return true;
}

} // namespace

std::string Checkpoint::body() const { return origin + "\n" + std::to_string(size) + "\n" + util::base64(root) + "\n"; }

std::string sign_checkpoint(const Checkpoint& c, const PrivateKey& key) {
  const std::string body = c.body();
  const PublicKey pub = key.public_key();
  return body + "\n" + k_dash + c.origin + " " + util::base64(key_hash(c.origin, pub) + key.sign(body)) + "\n";
}

std::string note_verifier_key(const std::string& name, const PublicKey& key) {
  return name + "+" + util::to_hex(reinterpret_cast<const std::uint8_t*>(key_hash(name, key).data()), 4) + "+" +
         util::base64("\x01" + key.raw);
}

std::optional<ParsedNote> parse_checkpoint(const std::string& text, std::string& error) {
  const std::size_t sep = text.find("\n\n");
  if (sep == std::string::npos) {
    error = "no blank line between the checkpoint and its signatures";
    return std::nullopt;
  }
  ParsedNote n;
  n.body = text.substr(0, sep + 1);
  // Body: origin, size, root, then optional extension lines.
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < n.body.size()) {
    const std::size_t lf = n.body.find('\n', start);
    lines.push_back(n.body.substr(start, lf - start));
    start = lf + 1;
  }
  if (lines.size() < 3 || !valid_origin(lines[0])) {
    error = "the checkpoint body needs an origin, a tree size and a root hash";
    return std::nullopt;
  }
  n.checkpoint.origin = lines[0];
  const std::string& size = lines[1];
  if (size.empty() || size.size() > 19 || size.find_first_not_of("0123456789") != std::string::npos ||
      (size.size() > 1 && size[0] == '0')) {
    error = "the tree size is not a decimal number";
    return std::nullopt;
  }
  n.checkpoint.size = std::stoull(size);
  const auto root = util::base64_decode(lines[2]);
  if (!root || root->size() != 32) {
    error = "the root hash is not base64 of 32 bytes";
    return std::nullopt;
  }
  n.checkpoint.root = *root;
  std::string rest = text.substr(sep + 2);
  if (rest.empty() || rest.back() != '\n') {
    error = "the signature lines do not end with a line feed";
    return std::nullopt;
  }
  start = 0;
  while (start < rest.size()) {
    const std::size_t lf = rest.find('\n', start);
    const std::string line = rest.substr(start, lf - start);
    start = lf + 1;
    if (line.rfind(k_dash, 0) != 0) {
      error = "a signature line does not start with an em dash";
      return std::nullopt;
    }
    const std::string tail = line.substr(std::string(k_dash).size());
    const std::size_t sp = tail.rfind(' ');
    const auto blob = sp == std::string::npos ? std::nullopt : util::base64_decode(tail.substr(sp + 1));
    if (!blob || blob->size() < 5) {
      error = "a signature line is not '— <name> <base64>'";
      return std::nullopt;
    }
    n.signatures.push_back({tail.substr(0, sp), blob->substr(0, 4), blob->substr(4)});
  }
  if (n.signatures.empty()) {
    error = "the checkpoint has no signature";
    return std::nullopt;
  }
  return n;
}

bool checkpoint_signed_by(const ParsedNote& note, const PublicKey& key) {
  const std::string want = key_hash(note.checkpoint.origin, key);
  for (const auto& s : note.signatures) {
    if (s.name == note.checkpoint.origin && s.key_hash == want && key.verify(note.body, s.signature)) return true;
  }
  return false;
}

} // namespace cbkit::seal
