#include "cbkit/error.hpp"
#include "cbkit/seal/checkpoint.hpp"
#include "cbkit/seal/hasher.hpp"
#include "cbkit/seal/keys.hpp"
#include "cbkit/seal/merkle.hpp"
#include "cbkit/seal/seal.hpp"
#include "cbkit/util/base64.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "tmpdir.hpp"

using namespace cbkit;
using cbkit::test::TempDir;
using cbkit::test::write_file;

namespace {
// Decodes into `out`; false when the text is not strict base64.
bool decode_base64(std::string_view text, std::string& out) {
  const auto bytes = util::base64_decode(text);
  if (bytes) out = *bytes;
  return bytes.has_value();
}
} // namespace

TEST_CASE("checkpoint body and signed note follow C2SP tlog-checkpoint and signed-note") {
  const seal::PrivateKey key = seal::PrivateKey::generate();
  seal::Checkpoint c;
  c.origin = "cbkit/BE-1/0123456789abcdef";
  c.size = 7;
  c.root = seal::leaf_hash("x");
  CHECK(c.body() == "cbkit/BE-1/0123456789abcdef\n7\n" + util::base64(c.root) + "\n");
  const std::string note = seal::sign_checkpoint(c, key);
  // body, blank line, "— <name> <base64(4-byte key hash || 64-byte signature)>"
  REQUIRE(note.rfind(c.body() + "\n\xE2\x80\x94 cbkit/BE-1/0123456789abcdef ", 0) == 0);
  const std::string sigline = note.substr(c.body().size() + 1);
  std::string blob;
  REQUIRE(decode_base64(sigline.substr(sigline.rfind(' ') + 1, sigline.size() - sigline.rfind(' ') - 2), blob));
  CHECK(blob.size() == 68);

  std::string error;
  const auto parsed = seal::parse_checkpoint(note, error);
  REQUIRE(parsed);
  CHECK(parsed->checkpoint.origin == c.origin);
  CHECK(parsed->checkpoint.size == 7);
  CHECK(parsed->checkpoint.root == c.root);
  CHECK(seal::checkpoint_signed_by(*parsed, key.public_key()));
  CHECK_FALSE(seal::checkpoint_signed_by(*parsed, seal::PrivateKey::generate().public_key()));

  // The key hash in the verifier key is the one in the signature line.
  const std::string vkey = seal::note_verifier_key(c.origin, key.public_key());
  CHECK(vkey.rfind(c.origin + "+" + util::to_hex(reinterpret_cast<const std::uint8_t*>(blob.data()), 4) + "+", 0) == 0);

  // Any change to the signed body breaks the signature.
  std::string altered = note;
  altered.replace(altered.find("\n7\n"), 3, "\n8\n");
  const auto p2 = seal::parse_checkpoint(altered, error);
  REQUIRE(p2);
  CHECK_FALSE(seal::checkpoint_signed_by(*p2, key.public_key()));

  CHECK_FALSE(seal::parse_checkpoint("origin\n7\n", error));
  CHECK_FALSE(seal::parse_checkpoint("origin\nseven\n" + util::base64(c.root) + "\n\n\xE2\x80\x94 origin AAAA\n", error));
}

TEST_CASE("minisign public key and signature formats, round trip") {
  const seal::PrivateKey key = seal::PrivateKey::generate();
  const seal::PublicKey pub = key.public_key();
  const std::string text = pub.minisign();
  REQUIRE(text.rfind("untrusted comment: minisign public key " + pub.key_id() + "\n", 0) == 0);
  std::string raw;
  REQUIRE(decode_base64(text.substr(text.find('\n') + 1, text.size() - text.find('\n') - 2), raw));
  REQUIRE(raw.size() == 42);
  CHECK(raw.substr(0, 2) == "Ed");
  CHECK(raw.substr(2, 8) == pub.key_number());
  CHECK(raw.substr(10) == pub.raw);
  // minisign prints the key number as a little-endian 64-bit integer.
  const std::string kn = pub.key_number();
  CHECK(pub.key_id().find_first_not_of("0123456789ABCDEF") == std::string::npos);
  CHECK(util::to_lower_ascii(pub.key_id()) ==
        util::to_hex(reinterpret_cast<const std::uint8_t*>(std::string(kn.rbegin(), kn.rend()).data()), 8));
  CHECK(seal::parse_public_key(text, "minisign").raw == pub.raw);
  CHECK(seal::parse_public_key(pub.pem(), "pem").raw == pub.raw);

  const std::string file = "tagmanifest bytes\n";
  const std::string sig = seal::minisign_sign(key, file, "cbkit test", "trusted text");
  // untrusted comment, base64("ED" || keynum || sig), trusted comment, base64(global sig)
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < sig.size()) {
    lines.push_back(sig.substr(start, sig.find('\n', start) - start));
    start = sig.find('\n', start) + 1;
  }
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "untrusted comment: cbkit test");
  REQUIRE(decode_base64(lines[1], raw));
  CHECK(raw.size() == 74);
  CHECK(raw.substr(0, 10) == "ED" + pub.key_number());
  CHECK(lines[2] == "trusted comment: trusted text");
  CHECK(seal::minisign_verify(pub, file, sig).empty());
  // Deterministic: the same key signs the same bytes the same way (pack relies on it).
  CHECK(seal::minisign_sign(key, file, "cbkit test", "trusted text") == sig);
  CHECK_FALSE(seal::minisign_verify(pub, file + "x", sig).empty());
  std::string forged = sig;
  forged.replace(forged.find("trusted text"), 12, "trusted TEXT");
  CHECK(seal::minisign_verify(pub, file, forged).find("trusted comment") != std::string::npos);
  CHECK_FALSE(seal::minisign_verify(seal::PrivateKey::generate().public_key(), file, sig).empty());
}

TEST_CASE("keys round-trip through PEM files; bad key files are input errors") {
  TempDir t;
  const seal::PrivateKey key = seal::PrivateKey::generate();
  write_file(t / "k.key", key.pem());
  write_file(t / "k.pub", key.public_key().pem());
  write_file(t / "bad.pub", "not a key\n");
  const seal::PrivateKey loaded = seal::PrivateKey::load(t / "k.key");
  CHECK(loaded.public_key().raw == key.public_key().raw);
  CHECK(seal::load_public_key(t / "k.pub").fingerprint() == key.public_key().fingerprint());
  CHECK(seal::load_public_key(t / "k.key").raw == key.public_key().raw);
  const std::string sig = loaded.sign("m");
  CHECK(key.public_key().verify("m", sig));
  CHECK_FALSE(key.public_key().verify("n", sig));
  try {
    seal::load_public_key(t / "bad.pub");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::input);
  }
  CHECK_THROWS_AS(seal::PrivateKey::load(t / "k.pub"), Error);
}

TEST_CASE("archive format from the file name") {
  CHECK(seal::archive_format_of("a.tar") == seal::ArchiveFormat::tar);
  CHECK(seal::archive_format_of("x/A.TAR.GZ") == seal::ArchiveFormat::tar_gz);
  CHECK(seal::archive_format_of("a.tgz") == seal::ArchiveFormat::tar_gz);
  CHECK(seal::archive_format_of("a.tar.zst") == seal::ArchiveFormat::tar_zst);
  CHECK(seal::archive_format_of("a.zip") == seal::ArchiveFormat::zip);
  CHECK_FALSE(seal::archive_format_of("a.rar"));
  CHECK_FALSE(seal::archive_format_of("a.gz"));
}

TEST_CASE("ParallelHasher: streams ended without waiting give their digests in order") {
  std::string a, b;
  for (std::size_t i = 0; a.size() < 2 * seal::ParallelHasher::k_chunk + 99; ++i)
    a += std::to_string(i * 40503u) + ";";
  b = "abc";
  seal::ParallelHasher h(2);
  const auto feed = [&h](const std::string& s) {
    for (std::size_t at = 0; at < s.size(); at += seal::ParallelHasher::k_chunk) {
      char* buf = h.acquire();
      const std::size_t n = std::min(seal::ParallelHasher::k_chunk, s.size() - at);
      std::copy(s.data() + at, s.data() + at + n, buf);
      h.submit(buf, n);
      h.release(buf);
    }
    h.end_stream();
  };
  feed(a);
  feed(b);
  feed("");
  const seal::Digests da = h.take();
  CHECK(da.size == a.size());
  CHECK(da.sha256 == util::sha256_hex(a));
  const seal::Digests db = h.take();
  CHECK(db.size == 3);
  CHECK(db.sha256 == util::sha256_hex(b));
  CHECK(db.sha512 == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  const seal::Digests de = h.take();
  CHECK(de.size == 0);
  CHECK(de.sha256 == util::sha256_hex(""));
  // finish() is still end_stream() then take().
  char* buf = h.acquire();
  std::copy(b.begin(), b.end(), buf);
  h.submit(buf, b.size());
  h.release(buf);
  CHECK(h.finish().sha256 == util::sha256_hex(b));
}
