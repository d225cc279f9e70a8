#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace cbkit::util;

TEST_CASE("sha256 matches the FIPS 180-2 test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h; // the same input fed in pieces gives the same digest
  h.update("a");
  h.update("bc");
  CHECK(to_hex(h.finish()) == sha256_hex("abc"));
  CHECK(is_sha256_hex(sha256_hex("x")));
  CHECK_FALSE(is_sha256_hex(std::string(64, 'A')));
  CHECK_FALSE(is_sha256_hex(std::string(63, 'a')));
}

TEST_CASE("RFC 3339 date-times are parsed with their offset and converted to UTC") {
  auto t = parse_rfc3339("2026-11-20T21:14:00+01:00");
  REQUIRE(t);
  CHECK(t->as_given == "2026-11-20T21:14:00+01:00");
  CHECK(t->utc == "2026-11-20T20:14:00Z");
  t = parse_rfc3339("2026-01-01T00:30:00.250-02:30");
  REQUIRE(t);
  CHECK(t->utc == "2026-01-01T03:00:00.250Z");
  t = parse_rfc3339("2024-02-29T23:59:59Z");
  REQUIRE(t);
  CHECK(t->epoch_seconds == 1709251199);
  t = parse_rfc3339("2026-03-01T00:30:00+01:00"); // crosses back into February
  REQUIRE(t);
  CHECK(t->utc == "2026-02-28T23:30:00Z");
}

TEST_CASE("invalid date-times are refused") {
  for (const char* bad :
       {"2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-20T21:14:00", "2026-11-20 21:14:00Z", "2026-11-20T24:00:00Z",
        "2026-11-20T21:14:00+1:00", "yesterday", "", "2026-11-20T21:14:00.Z", "2026-11-20T21:14:00Z trailing"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339(bad));
  }
}

TEST_CASE("manifest times have exactly one form") {
  std::int64_t micros = 0;
  CHECK(is_manifest_time("2026-11-22T07:01:02.123456Z", &micros));
  CHECK(micros == 1795330862123456LL);
  CHECK_FALSE(is_manifest_time("2026-11-22T07:01:02Z"));
  CHECK_FALSE(is_manifest_time("2026-11-22T07:01:02.123456+00:00"));
  CHECK_FALSE(is_manifest_time("2026-11-31T07:01:02.123456Z"));
  const std::string now = utc_now();
  CHECK(is_manifest_time(now));
  CHECK(format_utc(0, 5) == "1970-01-01T00:00:00.000005Z");
}

TEST_CASE("UTF-8 validation rejects malformed sequences") {
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xC3"));             // truncated
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));         // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));     // surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // > U+10FFFF
  CHECK(utf8_lossy("a\xFF"
                   "b") == "a\xEF\xBF\xBD"
                           "b");
}

TEST_CASE("file names are sanitized for storage") {
  CHECK(sanitize_file_name("IMG_0042.jpg") == "IMG_0042.jpg");
  CHECK(sanitize_file_name("/home/u/../etc/passwd") == "passwd");
  CHECK(sanitize_file_name("a\nb\tc\x7f.txt") == "a_b_c_.txt");
  CHECK(sanitize_file_name("what?<is>:this|\\\"*.png") == "what__is__this____.png");
  CHECK(sanitize_file_name(".bashrc") == "_.bashrc");
  CHECK(sanitize_file_name("-rf") == "_-rf");
  CHECK(sanitize_file_name("..") == "file");
  CHECK(sanitize_file_name("") == "file");
  CHECK(sanitize_file_name("bad\xFFname") == "bad_name");
  CHECK(sanitize_file_name("r\xC3\xA9sum\xC3\xA9.pdf") == "r\xC3\xA9sum\xC3\xA9.pdf");

  std::string longname;
  for (int i = 0; i < 150; ++i)
    longname += "\xC3\xA9"; // 300 bytes of 'é'
  const std::string cut = sanitize_file_name(longname + ".jpeg");
  CHECK(cut.size() <= 200);
  CHECK(cut.substr(cut.size() - 5) == ".jpeg");
  CHECK(is_valid_utf8(cut));
}

TEST_CASE("name collisions are resolved case-insensitively before the extension") {
  std::set<std::string> taken;
  CHECK(unique_name("a.jpg", taken) == "a.jpg");
  CHECK(unique_name("A.JPG", taken) == "A-2.JPG");
  CHECK(unique_name("a.jpg", taken) == "a-3.jpg");
  CHECK(unique_name("noext", taken) == "noext");
  CHECK(unique_name("noext", taken) == "noext-2");
}

TEST_CASE("base64 and one-line helpers") {
  CHECK(base64("") == "");
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(base64("fo") == "Zm8=");
  CHECK(one_line("a\nb", 10) == "a b");
  CHECK(one_line("abcdef", 3) == "abc\xE2\x80\xA6");
}
