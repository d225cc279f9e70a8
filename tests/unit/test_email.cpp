#include "cbkit/email/analyze.hpp"
#include "cbkit/email/headers.hpp"
#include "cbkit/email/mime.hpp"
#include "tmpdir.hpp"

#include <algorithm>

using namespace cbkit;
using namespace cbkit::email;

namespace {

bool has_defect(const HeaderBlock& b, const std::string& code) {
  return std::any_of(b.defects.begin(), b.defects.end(), [&](const HeaderDefect& d) { return d.code == code; });
}

std::vector<std::string> anomaly_codes(const std::string& message, std::int64_t now = 1795330862) {
  const HeaderBlock block = split_headers(message);
  const Analysis a = analyze_message(message, "00", block, MimeReport{}, {}, now);
  std::vector<std::string> codes;
  for (const auto& x : a.headers_json["anomalies"])
    codes.push_back(x["code"].get<std::string>());
  return codes;
}

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

const std::string k_base =
    "Received: from a.example (a.example [81.82.83.84]) by mx.example with ESMTPS; Fri, 20 Nov 2026 21:14:05 +0100\r\n"
    "Date: Fri, 20 Nov 2026 21:14:00 +0100\r\n"
    "Message-ID: <1@a.example>\r\n"
    "From: X <x@a.example>\r\n"
    "To: victim@b.example\r\n"
    "Subject: =?UTF-8?B?aMOpbGxv?=\r\n"
    "\r\n"
    "body\r\n";

} // namespace

TEST_CASE("header fields are split without changing a byte", "[email]") {
  const std::string msg = "Subject: one\r\n two\r\nX-A:b\r\n\r\nbody";
  const HeaderBlock b = split_headers(msg);
  REQUIRE(b.fields.size() == 2);
  CHECK(b.crlf);
  CHECK(b.has_separator);
  CHECK(b.fields[0].name == "Subject");
  CHECK(b.fields[0].raw == "Subject: one\r\n two");
  CHECK(b.fields[0].raw_value == " one\r\n two");
  CHECK(b.fields[0].unfolded == "one two");
  CHECK(b.fields[1].offset == msg.find("X-A"));
  CHECK(b.fields[1].line == 3);
  CHECK(msg.substr(b.body_offset) == "body");
  CHECK(b.defects.empty());
}

TEST_CASE("broken header sections are reported as defects", "[email]") {
  CHECK(has_defect(split_headers("From someone Fri Nov 20\nSubject: x\n\nb"), "mbox-from-line"));
  CHECK(has_defect(split_headers("From a@b.example Mon May  2 16:07:05 2005\r\nSubject: x\r\n\r\nb"), "mbox-from-line"));
  CHECK(has_defect(split_headers("%PDF-1.4\n\x01\x02\xff: binary\n\nb"), "header-invalid-name"));
  CHECK(has_defect(split_headers("Subject: x\nthis line has no colon\n\nb"), "header-line-without-colon"));
  CHECK(has_defect(split_headers(" leading\nSubject: x\n\nb"), "header-leading-continuation"));
  CHECK(has_defect(split_headers("Subject : x\n\nb"), "header-space-before-colon"));
  CHECK(has_defect(split_headers("Subject: x"), "header-no-separator"));
  HeaderLimits small;
  small.max_fields = 3;
  CHECK(has_defect(split_headers("A: 1\nB: 2\nC: 3\nD: 4\n\n", small), "header-count-limit"));
  CHECK(split_headers("").fields.empty());
}

TEST_CASE("RFC 2047 values are decoded and address lists parsed", "[email]") {
  CHECK(decode_header_value("=?UTF-8?B?aMOpbGxv?=") == "h\xC3\xA9llo");
  CHECK(decode_header_value("=?ISO-8859-1?Q?caf=E9?=") == "caf\xC3\xA9");
  std::string bad;
  decode_header_value("=?x-no-such-charset?Q?abc?=", &bad);
  CHECK(bad == "x-no-such-charset");
  const auto list = parse_addresses("\"Doe, J.\" <j@x.org>, k@y.org");
  REQUIRE(list.size() == 2);
  CHECK(list[0]["name"] == "Doe, J.");
  CHECK(list[1]["address"] == "k@y.org");
  CHECK(first_address_domain("A <a@Mail.Example.ORG>") == "mail.example.org");
}

TEST_CASE("a clean message has no anomalies and a summary", "[email]") {
  const HeaderBlock block = split_headers(k_base);
  const Analysis a = analyze_message(k_base, "00", block, MimeReport{}, {}, 1795330862);
  CHECK(a.headers_json["anomalies"].empty());
  CHECK(a.summary["subject"] == "h\xC3\xA9llo");
  CHECK(a.summary["date_utc"] == "2026-11-20T20:14:00Z");
  CHECK(a.summary["originating_ip"] == "81.82.83.84");
  CHECK(a.headers_json["headers"].size() == 6);
  CHECK(a.headers_json["headers"][5]["raw"] == " =?UTF-8?B?aMOpbGxv?=");
}

TEST_CASE("anomalies are found", "[email]") {
  std::string m = k_base;
  m.replace(m.find("Message-ID: <1@a.example>\r\n"), 27, "");
  CHECK(contains(anomaly_codes(m), "missing-message-id"));

  m = "Return-Path: <bounce@other.example>\r\nReply-To: z@third.example\r\n" + k_base;
  CHECK(contains(anomaly_codes(m), "from-return-path-domain-mismatch"));
  CHECK(contains(anomaly_codes(m), "from-reply-to-domain-mismatch"));

  m = "From: Y <y@a.example>\r\n" + k_base;
  CHECK(contains(anomaly_codes(m), "duplicate-header"));

  // A newer hop (top) dated before the older one (bottom): time travel.
  m = "Received: from mx.example by inbox.example; Fri, 20 Nov 2026 21:00:00 +0100\r\n" + k_base;
  CHECK(contains(anomaly_codes(m), "received-time-travel"));

  // Date far from the first hop, and a Date in the future.
  m = k_base;
  m.replace(m.find("Date: Fri, 20 Nov 2026 21:14:00"), 31, "Date: Fri, 20 Nov 2026 11:14:00");
  CHECK(contains(anomaly_codes(m), "date-far-from-first-hop"));
  CHECK(contains(anomaly_codes(k_base, 1795330862 - 400 * 86400), "date-in-future"));

  m = k_base;
  m.replace(m.find("Date: Fri, 20 Nov 2026 21:14:00 +0100"), 37, "Date: sometime last week");
  CHECK(contains(anomaly_codes(m), "date-unparsable"));

  CHECK(contains(anomaly_codes("%PDF-1.4\n%binary"), "not-an-email"));
  CHECK(contains(anomaly_codes("%PDF-1.4\n\x8f\x01: x\nSubject: y\n\n"), "not-an-email"));
  CHECK_FALSE(contains(anomaly_codes("From a@b.example Mon May  2 16:07:05 2005\n" + k_base), "not-an-email"));
  CHECK(contains(anomaly_codes(""), "empty-message"));
}

TEST_CASE("header fields too long for the MIME parse are found in every header block", "[email]") {
  const std::size_t max = 16;
  SECTION("a short message has none") { CHECK(find_long_header_fields(k_base, 64).size() == 1); } // the Received field only
  SECTION("top-level field, folded, with its continuation lines") {
    const std::string m = "A: 1\r\nLong: 0123456789\r\n abcdefghij\r\nB: 2\r\n\r\nbody line that is long but in a body\r\n";
    const auto f = find_long_header_fields(m, max);
    REQUIRE(f.size() == 1);
    CHECK(f[0].offset == 6);
    CHECK(m.substr(f[0].offset, f[0].length) == "Long: 0123456789\r\n abcdefghij\r\n");
  }
  SECTION("a part's header after a boundary, not the part's body") {
    const std::string m = "Content-Type: multipart/mixed; b=\"B\"\n\n--B\nX-P: 0123456789abcdef\n\nbody 0123456789abcdef\n--B--\n";
    const auto f = find_long_header_fields(m, max);
    REQUIRE(f.size() == 2); // the top Content-Type (over 16) and X-P
    CHECK(m.substr(f[1].offset, f[1].length) == "X-P: 0123456789abcdef\n");
  }
  SECTION("a nested message's header right after a part's header block") {
    const std::string m = "A: 1\n\n--B\nContent-Type: message/rfc822\n\nSubject: 0123456789abcdef\n\nbody 0123456789abcdefgh\n";
    const auto f = find_long_header_fields(m, 27);
    REQUIRE(f.size() == 1);
    CHECK(m.substr(f[0].offset, f[0].length) == "Content-Type: message/rfc822\n");
    const auto g = find_long_header_fields(m, 20);
    REQUIRE(g.size() == 2);
    CHECK(m.substr(g[1].offset, g[1].length) == "Subject: 0123456789abcdef\n");
  }
  SECTION("a body line is never taken for a field") {
    const std::string m = "A: 1\n\ntext\nNot-a-field: 0123456789abcdefghijklmnop\n";
    CHECK(find_long_header_fields(m, max).empty());
  }
}

TEST_CASE("a message with a huge header field is parsed with the field cut, and says so", "[email]") {
  cbkit::test::TempDir dir;
  const std::string big(3u << 20, 'z');
  const std::string m = "X-Big: " + big + "\r\nFrom: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nthe body\r\n";
  const auto file = dir.path() / "m.eml";
  cbkit::test::write_file(file, m);
  const auto entry = dir.path() / "entry";
  std::filesystem::create_directory(entry);
  const MimeReport r = extract_mime(file, entry);
  REQUIRE(r.parsed);
  REQUIRE(!r.defects.empty());
  CHECK(r.defects[0].code == "mime-header-field-cut");
  CHECK(r.defects[0].offset == 0);
  REQUIRE(r.files.size() == 1);
  CHECK(r.files[0].rel_path == "body.txt");
  std::ifstream body(entry / "body.txt", std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(body), {}) == "the body\r\n");
  // Nothing but the derived files is left in the entry folder (the parse copy is unnamed).
  CHECK(std::distance(std::filesystem::directory_iterator(entry), {}) == 1);
}
