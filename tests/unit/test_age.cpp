#include "bytes.hpp"
#include "cbkit/crypt/age.hpp"
#include "cbkit/util/base64.hpp"
#include "cbkit/util/bech32.hpp"
#include "cbkit/util/sha256.hpp"
#include "tmpdir.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace cbkit;

namespace {

std::string encrypt(const crypt::Recipients& to, const std::string& clear, std::size_t piece = 1000) {
  std::string out;
  crypt::AgeEncryptor e(to, [&](const char* p, std::size_t n) { out.append(p, n); });
  for (std::size_t i = 0; i < clear.size(); i += piece)
    e.write(clear.data() + i, std::min(piece, clear.size() - i));
  e.finish();
  return out;
}

std::string decrypt(const crypt::DecryptKeys& keys, const std::string& file) {
  std::size_t pos = 0;
  crypt::AgeDecryptor d(keys, [&](char* buf, std::size_t n) {
    const std::size_t k = std::min(n, file.size() - pos);
    std::memcpy(buf, file.data() + pos, k);
    pos += k;
    return k;
  });
  std::string out;
  char buf[7000];
  while (const std::size_t n = d.read(buf, sizeof buf))
    out.append(buf, n);
  return out;
}

crypt::AgeFailure failure_of(const crypt::DecryptKeys& keys, const std::string& file) {
  try {
    decrypt(keys, file);
  } catch (const crypt::AgeError& e) {
    return e.failure();
  }
  FAIL("decryption succeeded");
  return crypt::AgeFailure::header;
}

} // namespace

TEST_CASE("bech32 round trip and the spec's age keys", "[age]") {
  const std::string bytes = "\x01\x02\xff\x00 abc";
  const std::string t = util::bech32_encode("age", bytes);
  const auto d = util::bech32_decode(t);
  REQUIRE(d);
  CHECK(d->hrp == "age");
  CHECK(d->bytes == bytes);
  // BIP 173's valid test strings.
  CHECK(util::bech32_decode("A12UEL5L"));
  CHECK(util::bech32_decode("a12uel5l"));
  CHECK(util::bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"));
  CHECK_FALSE(util::bech32_decode("A12uEL5L"));  // mixed case
  CHECK_FALSE(util::bech32_decode("a12uel5m"));  // checksum
  CHECK_FALSE(util::bech32_decode("1qzzfhee"));  // empty hrp
  CHECK_FALSE(util::bech32_decode("a1b2uel5l")); // 'b' is not in the charset

  // The identity and recipient of the C2SP age spec's X25519 section.
  const auto id = crypt::X25519Identity::parse("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX", "spec");
  CHECK(id.recipient() == "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
  CHECK(id.encode() == "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX");
  std::string error;
  CHECK(crypt::parse_recipient("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", error));
  CHECK_FALSE(crypt::parse_recipient("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwq", error));
  CHECK_THROWS_AS(crypt::X25519Identity::parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", "x"), Error);
}

TEST_CASE("unpadded canonical base64", "[age]") {
  CHECK(util::base64_unpadded("") == "");
  CHECK(util::base64_unpadded("f") == "Zg");
  CHECK(util::base64_unpadded("fo") == "Zm8");
  CHECK(util::base64_unpadded("foo") == "Zm9v");
  CHECK(util::base64_decode_unpadded("Zm8") == std::optional<std::string>("fo"));
  CHECK(util::base64_decode_unpadded("Zg") == std::optional<std::string>("f"));
  CHECK_FALSE(util::base64_decode_unpadded("Zg=="));  // padding
  CHECK_FALSE(util::base64_decode_unpadded("Zh"));    // non-canonical: low bits set
  CHECK_FALSE(util::base64_decode_unpadded("Zm9"));   // non-canonical
  CHECK_FALSE(util::base64_decode_unpadded("Zm9vY")); // 4k+1 characters
  CHECK_FALSE(util::base64_decode_unpadded("Zm 9"));
}

TEST_CASE("age round trips: sizes, several recipients, passphrase", "[age]") {
  const auto a = crypt::X25519Identity::generate();
  const auto b = crypt::X25519Identity::generate();
  const auto c = crypt::X25519Identity::generate();
  crypt::Recipients to;
  to.x25519 = {a.recipient(), b.recipient()};
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{65535}, std::size_t{65536}, std::size_t{65537},
                              std::size_t{3 * 65536}, std::size_t{200000}}) {
    const std::string clear = test::pseudo_random_bytes(n);
    const std::string file = encrypt(to, clear, n % 3 == 0 ? 65536 : 4099);
    crypt::DecryptKeys with_b;
    with_b.identities = {b};
    CHECK(decrypt(with_b, file) == clear);
    crypt::DecryptKeys with_c;
    with_c.identities = {c};
    with_c.identity_name = "c.age.key";
    try {
      decrypt(with_c, file);
      FAIL("a wrong identity decrypted");
    } catch (const crypt::AgeError& e) {
      CHECK(e.failure() == crypt::AgeFailure::no_match);
      const std::string m = e.what();
      CHECK(m.find("2 X25519 recipients") != std::string::npos);
      CHECK(m.find(c.recipient()) != std::string::npos);
    }
  }
  crypt::Recipients pw;
  pw.passphrase = "correct horse";
  pw.scrypt_log_n = 10;
  const std::string clear = test::pseudo_random_bytes(70000);
  const std::string file = encrypt(pw, clear);
  crypt::DecryptKeys k;
  k.passphrase = "correct horse";
  CHECK(decrypt(k, file) == clear);
  k.passphrase = "wrong";
  CHECK(failure_of(k, file) == crypt::AgeFailure::no_match);
  crypt::Recipients both = to;
  both.passphrase = "x";
  CHECK_THROWS_AS(crypt::AgeEncryptor(both, [](const char*, std::size_t) {}), Error);
}

TEST_CASE("age decryption catches every altered byte, truncation and swapped chunks", "[age]") {
  const auto a = crypt::X25519Identity::generate();
  crypt::Recipients to;
  to.x25519 = {a.recipient()};
  crypt::DecryptKeys keys;
  keys.identities = {a};
  const std::string clear = test::pseudo_random_bytes(3 * 65536 + 10);
  const std::string file = encrypt(to, clear);
  REQUIRE(decrypt(keys, file) == clear);
  // Every byte of the header and a sample of the payload.
  const std::size_t header_end = file.find("\n", file.find("--- ")) + 1;
  for (std::size_t i = 0; i < file.size(); i += i < header_end + 40 ? 1 : 997) {
    std::string t = file;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    CHECK_THROWS_AS(decrypt(keys, t), crypt::AgeError);
  }
  // Truncation at every chunk boundary and inside chunks.
  for (const std::size_t cut : {header_end, header_end + 16, header_end + 16 + 65552, header_end + 16 + 2 * 65552, file.size() - 1}) {
    CHECK_THROWS_AS(decrypt(keys, file.substr(0, cut)), crypt::AgeError);
  }
  // Chunks 0 and 1 swapped; trailing data.
  const std::size_t p0 = header_end + 16;
  std::string swapped = file.substr(0, p0) + file.substr(p0 + 65552, 65552) + file.substr(p0, 65552) + file.substr(p0 + 2 * 65552);
  CHECK(failure_of(keys, swapped) == crypt::AgeFailure::payload);
  CHECK(failure_of(keys, file + "x") == crypt::AgeFailure::payload);
  CHECK(failure_of(keys, file.substr(0, p0 + 65552)) == crypt::AgeFailure::truncated);
}

// The C2SP CCTV age vectors in tests/fixtures/age (see the README there).
TEST_CASE("age CCTV test vectors", "[age]") {
  const std::filesystem::path dir = std::filesystem::path(CBKIT_FIXTURES) / "age";
  std::size_t ran = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename() == "README") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string all = ss.str();
    const std::size_t split = all.find("\n\n");
    REQUIRE(split != std::string::npos);
    std::string expect, payload;
    crypt::DecryptKeys keys;
    std::istringstream head(all.substr(0, split));
    for (std::string line; std::getline(head, line);) {
      const std::size_t colon = line.find(": ");
      const std::string k = line.substr(0, colon);
      const std::string v = line.substr(colon + 2);
      if (k == "expect") expect = v;
      if (k == "payload") payload = v;
      if (k == "identity") keys.identities.push_back(crypt::X25519Identity::parse(v, "vector"));
      if (k == "passphrase") keys.passphrase = v;
    }
    const std::string file = all.substr(split + 2);
    INFO("vector " << e.path().filename().string() << " expects " << expect);
    if (expect == "success") {
      CHECK(util::sha256_hex(decrypt(keys, file)) == payload);
    } else {
      crypt::AgeFailure f = crypt::AgeFailure::header;
      bool failed = false;
      try {
        decrypt(keys, file);
      } catch (const crypt::AgeError& err) {
        failed = true;
        f = err.failure();
      }
      REQUIRE(failed);
      // cbkit names a missing or short nonce and a missing final chunk "truncated".
      if (expect == "header failure") CHECK((f == crypt::AgeFailure::header || f == crypt::AgeFailure::truncated));
      if (expect == "no match") CHECK(f == crypt::AgeFailure::no_match);
      if (expect == "HMAC failure") CHECK(f == crypt::AgeFailure::mac);
      if (expect == "payload failure") CHECK((f == crypt::AgeFailure::payload || f == crypt::AgeFailure::truncated));
    }
    ++ran;
  }
  CHECK(ran >= 70);
}
