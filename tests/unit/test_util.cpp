#include "cbkit/util/base64.hpp"
#include "cbkit/util/curl.hpp"
#include "cbkit/util/json.hpp"
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

TEST_CASE("stored names lose C1 controls and bidirectional formatting characters") {
  // x<U+202E>gnp.exe would show as xexe.png
  CHECK(sanitize_file_name("x\xE2\x80\xAEgnp.exe") == "x_gnp.exe");
  CHECK(sanitize_file_name("a\xE2\x80\xAA"
                           "b\xE2\x80\xAB"
                           "c\xE2\x80\xAC"
                           "d\xE2\x80\xAD"
                           "e.txt") == "a_b_c_d_e.txt");
  CHECK(sanitize_file_name("\xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9.pdf") == "____.pdf");
  CHECK(sanitize_file_name("l\xE2\x80\x8Er\xE2\x80\x8F\xD8\x9C.doc") == "l_r__.doc");
  CHECK(sanitize_file_name("c1\xC2\x9B"
                           "31m.txt") == "c1_31m.txt");
  // neighbours that are ordinary characters stay
  CHECK(sanitize_file_name("\xE2\x80\x94"
                           "dash\xC2\xA0nbsp\xD8\xA8.txt") == "\xE2\x80\x94"
                                                              "dash\xC2\xA0nbsp\xD8\xA8.txt");
  CHECK(sanitize_file_name("\xE2\x80\x8Dzwj\xE2\x81\xA5.txt") == "\xE2\x80\x8Dzwj\xE2\x81\xA5.txt");
}

TEST_CASE("terminal_text lets no control reach a terminal") {
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(terminal_text("\x1B[2J\x1B[32mverify: OK\x07") == fffd + "[2J" + fffd + "[32mverify: OK" + fffd);
  CHECK(terminal_text("a\nb\tc") == "a\nb c");
  CHECK(terminal_text("a\nb\r", false) == "a b" + fffd);
  CHECK(terminal_text("\xC2\x9B"
                      "31m\x7F") == fffd + "31m" + fffd);
  CHECK(terminal_text("x\xE2\x80\xAEgnp.exe") == "x" + fffd + "gnp.exe");
  CHECK(terminal_text("bad\xFF") == "bad" + fffd);
  CHECK(terminal_text("r\xC3\xA9sum\xC3\xA9 \xE2\x80\x94 ok") == "r\xC3\xA9sum\xC3\xA9 \xE2\x80\x94 ok");
  // one_line applies the same rule, with spaces for a table cell
  CHECK(one_line("a\x1B[2J\xC2\x9B\xE2\x81\xA6z", 20) == "a [2J  z");
}

TEST_CASE("base64 and one-line helpers") {
  CHECK(base64("") == "");
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(base64("fo") == "Zm8=");
  CHECK(one_line("a\nb", 10) == "a b");
  CHECK(one_line("abcdef", 3) == "abc\xE2\x80\xA6");
}

TEST_CASE("base64 encodes and decodes the RFC 4648 section 10 test vectors") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(base64(plain) == encoded);
    const auto decoded = base64_decode(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == plain);
  }
  // Every byte value survives the round trip, and both characters 62 and 63 are used.
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  CHECK(base64(all).find('+') != std::string::npos);
  CHECK(base64(all).find('/') != std::string::npos);
  CHECK(base64_decode(base64(all)) == all);
  CHECK(base64(std::string("\xfb\xff", 2)) == "+/8=");
}

TEST_CASE("strict base64 decoding refuses what is not base64") {
  for (const char* bad : {"Zm9v!", "Zm9-", "Zm9_", "Zm 9v", "Zm9v\n", "Zg", "Zm8", "Z", "Zg=", "Zg===", "Z===", "====", "Zg==Zm8=", "Zm=8",
                          "=Zm8", "Zm9v="}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad));
  }
  CHECK_FALSE(base64_decode(std::string("Zm\0v", 4)));
  CHECK_FALSE(base64_decode("Zm9v\xc3\xa9"));
}

TEST_CASE("base64 decoding skips white space and accepts missing padding only when asked") {
  const Base64Options dkim{.skip_whitespace = true, .padding_optional = true};
  CHECK(base64_decode(" Zm9v\r\n\tYmFy ", dkim) == "foobar");
  CHECK(base64_decode("Zm9vYg = =", dkim) == "foob");
  CHECK(base64_decode("Zm9vYg", dkim) == "foob");
  CHECK(base64_decode("Zm9vYmE", dkim) == "fooba");
  CHECK_FALSE(base64_decode("Zm9vY", dkim));   // one character cannot hold a byte
  CHECK_FALSE(base64_decode("Zm9vYg=", dkim)); // padding, when given, completes the group
  CHECK_FALSE(base64_decode("Zg==Zm8", dkim)); // nothing after the padding
  CHECK_FALSE(base64_decode("Zm9v.Yg", dkim)); // white space only, not any separator
  const Base64Options spaces{.skip_whitespace = true};
  CHECK(base64_decode("Zm9v\nYg==\n", spaces) == "foob");
  CHECK_FALSE(base64_decode("Zm9vYg", spaces)); // padding still required
}

TEST_CASE("the streaming base64 decoder equals the one-shot decoder over any split") {
  const std::string text = base64("streamed in pieces, e.g. a PDF read 1 MiB at a time");
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    Base64Decoder d;
    std::string out;
    REQUIRE(d.update(text.substr(0, cut), out));
    REQUIRE(d.update(text.substr(cut), out));
    REQUIRE(d.finish());
    CHECK(out == "streamed in pieces, e.g. a PDF read 1 MiB at a time");
  }
  Base64Decoder d;
  std::string out;
  CHECK(d.update("Zm9v", out));
  CHECK_FALSE(d.update("Y!", out));
  CHECK_FALSE(d.update("Zm9v", out)); // stays failed
  CHECK_FALSE(d.finish());
  Base64Decoder short_text;
  CHECK(short_text.update("Zm9vY", out));
  CHECK_FALSE(short_text.finish());
}

TEST_CASE("trim removes white space or the given characters at both ends") {
  CHECK(trim("  a b \t\r\n") == "a b");
  CHECK(trim("\r\n\t ") == "");
  CHECK(trim("") == "");
  CHECK(trim("x") == "x");
  CHECK(trim("\r\n value \r\n", " \t") == "\r\n value \r\n");
  CHECK(trim(" \tvalue\t ", " \t") == "value");
  CHECK(trim("\xc2\xa0x\xc2\xa0") == "\xc2\xa0x\xc2\xa0"); // only ASCII white space
  CHECK(trim_end("  line \r") == "  line");
  CHECK(trim_end("line\r\n", "\r\n") == "line");
  CHECK(trim_end("   ") == "");
}

TEST_CASE("case-insensitive comparison is ASCII-only") {
  CHECK(iequals("Content-Type", "content-TYPE"));
  CHECK(iequals("", ""));
  CHECK_FALSE(iequals("Received", "Receive"));
  CHECK_FALSE(iequals("a", "b"));
  CHECK_FALSE(iequals("@", "`")); // 0x40 and 0x60 differ by the case bit but are not letters
  CHECK_FALSE(iequals("[", "{"));
  CHECK(iequals("\xc3\xa9", "\xc3\xa9"));
  CHECK_FALSE(iequals("\xc3\xa9", "\xc3\x89")); // é and É: not ASCII, compared exactly
  CHECK(istarts_with("HTTPS://example", "https://"));
  CHECK_FALSE(istarts_with("http", "https://"));
  CHECK(istarts_with("x", ""));
}

TEST_CASE("JSON accessors read typed fields and never throw") {
  const Json j = Json::parse(R"({"s":"text","n":42,"neg":-1,"f":1.5,"a":[1],"o":{"k":"v"},"null":null})");
  CHECK(string_field(j, "s") == "text");
  CHECK(string_field(j, "n").empty());
  CHECK(string_field(j, "missing", "fallback") == "fallback");
  CHECK(string_field(j, "n", "fallback") == "fallback");
  CHECK(string_field(Json("not an object"), "s", "fb") == "fb");
  CHECK(string_field(Json::array({"s"}), "s").empty());
  CHECK(optional_string(j, "s") == "text");
  CHECK_FALSE(optional_string(j, "null"));
  CHECK(unsigned_field(j, "n") == 42u);
  CHECK_FALSE(unsigned_field(j, "neg"));
  CHECK_FALSE(unsigned_field(j, "f"));
  CHECK_FALSE(unsigned_field(j, "s"));
  CHECK_FALSE(unsigned_field(Json(), "n"));
  CHECK(has_string(j, "s"));
  CHECK_FALSE(has_string(j, "o"));
  CHECK(has_unsigned(j, "n"));
  CHECK(has_array(j, "a"));
  CHECK_FALSE(has_array(j, "o"));
  CHECK(has_object(j, "o"));
  REQUIRE(field(j, "o") != nullptr);
  CHECK(string_field(*field(j, "o"), "k") == "v");
  CHECK(field(j, "missing") == nullptr);
  CHECK(field(Json(3), "s") == nullptr);
}

TEST_CASE("curl_url_host reads the host as libcurl parses it") {
  CHECK(curl_url_host("https://example.org:8443/a?b") == "example.org");
  CHECK(curl_url_host("http://[::1]:8080/") == "[::1]");
  std::string why;
  CHECK_FALSE(curl_url_host("https://", &why));
  CHECK_FALSE(why.empty());
  CHECK_FALSE(curl_url_host("no scheme or host at all"));
}

TEST_CASE("json_too_deep counts brackets outside strings only") {
  CHECK_FALSE(json_too_deep("{}", 1));
  CHECK(json_too_deep("{}", 0));
  CHECK_FALSE(json_too_deep(R"({"a":[1,{"b":[]}]})", 4));
  CHECK(json_too_deep(R"({"a":[1,{"b":[]}]})", 3));
  // Siblings do not add up: depth is nesting, not count.
  CHECK_FALSE(json_too_deep("[[],[],[],[]]", 2));
  // Brackets inside strings are text.
  CHECK_FALSE(json_too_deep(R"({"s":"[[[[{{{{"})", 1));
  // An escaped quote does not end the string; an escaped backslash before a quote does.
  CHECK_FALSE(json_too_deep(R"({"s":"\"[[[["})", 1));
  CHECK(json_too_deep(R"({"s":"\\","t":[[[]]]})", 3));
  CHECK_FALSE(json_too_deep(R"({"s":"\\","t":[[[]]]})", 4));
  // Closers without openers do not drive the count below zero (and so cannot hide depth).
  CHECK(json_too_deep("]]]]][[", 1));
  const std::string deep = std::string(80000, '[') + std::string(80000, ']');
  CHECK(json_too_deep(deep));
  CHECK(json_too_deep(std::string(65, '[') + std::string(65, ']')));
  CHECK_FALSE(json_too_deep(std::string(64, '[') + std::string(64, ']')));
}

TEST_CASE("parse_untrusted_json refuses what is too deep or not JSON, never throws") {
  const std::string deep = "{\"x\":" + std::string(80000, '[') + std::string(80000, ']') + "}";
  CHECK_FALSE(parse_untrusted_json(deep).has_value());
  CHECK_FALSE(parse_untrusted_json("{\"a\":").has_value());
  CHECK_FALSE(parse_untrusted_json("").has_value());
  const auto ok = parse_untrusted_json(R"({"b":1,"a":"[{"})");
  REQUIRE(ok.has_value());
  CHECK(ok->dump() == R"({"b":1,"a":"[{"})");
  CHECK(parse_untrusted_json("[[1]]", 2).has_value());
  CHECK_FALSE(parse_untrusted_json("[[1]]", 1).has_value());
}

TEST_CASE("utf8_lossy over a stream in pieces equals utf8_lossy of the whole") {
  const std::string samples[] = {
      "plain ascii",
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 end",
      "bad \xC3 \xE2\x82 \xF0\x9F\x98 \xFF\xFE \xED\xA0\x80 surrogate \xC0\xAF overlong",
      "\xF0\x9F\x98",
      "\xE2",
  };
  for (const std::string& s : samples) {
    const std::string whole = utf8_lossy(s);
    for (std::size_t piece = 1; piece <= 5; ++piece) {
      Utf8LossyStream stream;
      std::string out;
      for (std::size_t i = 0; i < s.size(); i += piece)
        stream.feed(std::string_view(s).substr(i, piece), false, out);
      stream.feed({}, true, out);
      CHECK(out == whole);
    }
  }
}
