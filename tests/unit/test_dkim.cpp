#include "cbkit/email/analyze.hpp"
#include "cbkit/email/dkim.hpp"
#include "cbkit/email/headers.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "corpora.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace cbkit::email;

namespace {

std::string corpus(const std::string& name) {
  const std::string path = cbkit::test::corpora_dir() + "/dkim-dkimpy/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

std::vector<DkimResult> check(const std::string& msg, const std::vector<DkimKey>& keys, std::int64_t now = 1700000000) {
  return verify_dkim(msg, split_headers(msg), keys, now);
}

// Replaces the first occurrence of `from` (which must exist) after position `after`.
std::string replace_once(std::string s, const std::string& from, const std::string& to, std::size_t after = 0) {
  const std::size_t pos = s.find(from, after);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
  return s;
}

// The keys dkimpy's tests publish for the corpus messages.
const char* const k_brisbane = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const char* const k_gmail =
    "k=rsa; "
    "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/UeJjenpabgbFwh+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/"
    "m40KF+yzMn1skyoxcTUGCQs8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+07wlNWwIt8svnxgdxGkVbbhzY8i+RQ9DpSVpPbF7ykQxtKXkv/"
    "ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5OctMEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598HY+"
    "vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB";

// ---------------------------------------------------------------------------------------
// An independent signer for the tests: naive canonicalization on whole strings.

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

bool wsp(char c) { return c == ' ' || c == '\t'; }

std::string to_crlf(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

std::string collapse_wsp(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (wsp(c)) {
      if (out.empty() || out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string naive_body_simple(std::string b) {
  while (b.size() >= 4 && b.compare(b.size() - 4, 4, "\r\n\r\n") == 0)
    b.resize(b.size() - 2);
  if (b.size() < 2 || b.compare(b.size() - 2, 2, "\r\n") != 0) b += "\r\n";
  return b;
}

std::string naive_body_relaxed(const std::string& b) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < b.size()) {
    const std::size_t e = b.find("\r\n", pos);
    if (e == std::string::npos) {
      lines.push_back(b.substr(pos));
      break;
    }
    lines.push_back(b.substr(pos, e - pos));
    pos = e + 2;
  }
  std::string out;
  for (auto& l : lines) {
    l = collapse_wsp(l);
    if (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\r\n";
  }
  while (out == "\r\n" || (out.size() >= 4 && out.compare(out.size() - 4, 4, "\r\n\r\n") == 0))
    out.resize(out.size() - 2);
  return out;
}

std::string naive_header(const std::string& field, bool relaxed) {
  if (!relaxed) return field + "\r\n";
  const std::size_t colon = field.find(':');
  std::string name = field.substr(0, colon);
  while (!name.empty() && wsp(name.back()))
    name.pop_back();
  std::string value;
  for (char c : field.substr(colon + 1))
    if (c != '\r' && c != '\n') value += c;
  value = collapse_wsp(value);
  if (!value.empty() && value.front() == ' ') value.erase(0, 1);
  if (!value.empty() && value.back() == ' ') value.pop_back();
  return cbkit::util::to_lower_ascii(name) + ":" + value + "\r\n";
}

std::string b64(const std::string& bytes) { return cbkit::util::base64(bytes); }

std::string sha256_bytes(const std::string& s) {
  cbkit::util::Sha256 h;
  h.update(s);
  const auto d = h.finish();
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string sign_bytes(EVP_PKEY* key, bool ed25519, const std::string& data) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  REQUIRE(ctx);
  const std::string input = ed25519 ? sha256_bytes(data) : data;
  REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, ed25519 ? nullptr : EVP_sha256(), nullptr, key) == 1);
  std::size_t len = 0;
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
  sig.resize(len);
  return sig;
}

struct Spec {
  std::string domain = "example.org";
  std::string selector = "sel";
  std::string header_canon = "relaxed";
  std::string body_canon = "relaxed";
  std::vector<std::string> headers{"from", "to", "subject", "date"};
  bool length = false; // add l= with the canonicalized body length
  std::optional<std::int64_t> t, x;
  bool ed25519 = false;
};

// Signs `message` (LF or CRLF) and returns it in CRLF form with the DKIM-Signature on top.
std::string sign_message(const std::string& message, EVP_PKEY* key, const Spec& spec) {
  const std::string msg = to_crlf(message);
  const std::size_t sep = msg.find("\r\n\r\n");
  REQUIRE(sep != std::string::npos);
  const std::string head = msg.substr(0, sep + 2);
  const std::string body = msg.substr(sep + 4);
  std::vector<std::string> fields;
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t e = head.find("\r\n", pos);
    while (e + 2 < head.size() && wsp(head[e + 2]))
      e = head.find("\r\n", e + 2);
    fields.push_back(head.substr(pos, e - pos));
    pos = e + 2;
  }
  const bool hr = spec.header_canon == "relaxed";
  const std::string cbody = spec.body_canon == "relaxed" ? naive_body_relaxed(body) : naive_body_simple(body);
  std::string h_list;
  std::string data;
  std::vector<bool> used(fields.size(), false);
  for (const auto& h : spec.headers) {
    h_list += (h_list.empty() ? "" : ":") + h;
    for (std::size_t i = fields.size(); i-- > 0;) {
      const std::string name = fields[i].substr(0, fields[i].find(':'));
      if (!used[i] && iequals(name, h)) {
        used[i] = true;
        data += naive_header(fields[i], hr);
        break;
      }
    }
  }
  std::string value = " v=1; a=" + std::string(spec.ed25519 ? "ed25519-sha256" : "rsa-sha256") + "; c=" + spec.header_canon + "/" +
                      spec.body_canon + "; d=" + spec.domain + "; s=" + spec.selector + ";\r\n\th=" + h_list + ";";
  if (spec.t) value += " t=" + std::to_string(*spec.t) + ";";
  if (spec.x) value += " x=" + std::to_string(*spec.x) + ";";
  if (spec.length) value += " l=" + std::to_string(cbody.size()) + ";";
  value += "\r\n\tbh=" + b64(sha256_bytes(cbody)) + ";\r\n\tb=";
  std::string self = naive_header("DKIM-Signature:" + value, hr);
  self.resize(self.size() - 2); // no CRLF after the signature field itself
  data += self;
  const std::string sig = b64(sign_bytes(key, spec.ed25519, data));
  value += sig.substr(0, 40) + "\r\n\t " + sig.substr(40); // folded inside b=, which verifiers must ignore
  return "DKIM-Signature:" + value + "\r\n" + msg;
}

Pkey rsa2048() {
  static Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  REQUIRE(key);
  return Pkey(EVP_PKEY_dup(key.get()));
}

std::string txt_record(EVP_PKEY* key, const std::string& k = "rsa") {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  REQUIRE(n > 0);
  const std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return "v=DKIM1; k=" + k + "; p=" + b64(bytes);
}

Pkey read_private_pem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(key);
  return key;
}

Pkey ed25519_private(const std::string& b64seed) {
  const std::string s = trim(b64seed);
  std::string raw(64, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()), reinterpret_cast<const unsigned char*>(s.data()),
                                static_cast<int>(s.size()));
  REQUIRE(n == 33); // 32 bytes plus one byte of padding
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), 32));
  REQUIRE(key);
  return key;
}

std::string ed25519_public_b64(EVP_PKEY* key) {
  std::string raw(32, '\0');
  std::size_t len = raw.size();
  REQUIRE(EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len) == 1);
  return b64(raw);
}

const char* const k_sample = "Received: from mx.example.net by mx.example.org; Mon, 01 Jan 2024 10:00:00 +0000\n"
                             "From: Harasser <harasser@example.org>\n"
                             "To: Victim <victim@example.com>\n"
                             "Subject:   You will\t regret   this \n"
                             "Date: Mon, 01 Jan 2024 10:00:00 +0000\n"
                             "Message-ID: <abc@example.org>\n"
                             "\n"
                             "I know where  you live.\t \n"
                             "Second   line.\n"
                             "\n"
                             "\n";

} // namespace

TEST_CASE("DKIM-Signature tag lists are parsed", "[dkim]") {
  auto s =
      parse_dkim_signature(" v=1; a=rsa-sha256; d=example.org; s=sel;\r\n h=From : To:\r\n\tSubject; bh=AAAA\r\n BBBB; b=CC CC\r\n\tDD==;");
  CHECK(s.problems.empty());
  CHECK(s.version == "1");
  CHECK(s.header_canon == "simple");
  CHECK(s.body_canon == "simple");
  CHECK(s.signed_headers == std::vector<std::string>{"From", "To", "Subject"});
  CHECK(s.body_hash_b64 == "AAAABBBB");
  CHECK(s.signature_b64 == "CCCCDD==");
  REQUIRE(s.tags.size() == 7);
  CHECK(s.tags[4].first == "h");
  CHECK(s.tags[4].second == "From:To:Subject");
  CHECK_FALSE(s.body_length);

  s = parse_dkim_signature("v=1; a=rsa-sha256; c=relaxed; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA; l=120; t=100; x=200");
  CHECK(s.problems.empty());
  CHECK(s.header_canon == "relaxed");
  CHECK(s.body_canon == "simple");
  CHECK(s.body_length == 120u);
  CHECK(s.timestamp == 100);
  CHECK(s.expiration == 200);

  const auto has_problem = [](const DkimSignature& sig, const std::string& text) {
    for (const auto& p : sig.problems)
      if (p.find(text) != std::string::npos) return true;
    return false;
  };
  s = parse_dkim_signature("v=1; a=rsa-sha256; d=example.org; d=evil.example; s=sel; h=from; bh=AAAA; b=AAAA");
  CHECK(has_problem(s, "duplicate tag d="));
  CHECK(s.domain == "example.org");
  s = parse_dkim_signature("a=rsa-sha256; d=example.org; h=to:subject; bh=AAAA");
  CHECK(has_problem(s, "missing required tag v="));
  CHECK(has_problem(s, "missing required tag s="));
  CHECK(has_problem(s, "missing required tag b="));
  CHECK(has_problem(s, "does not include From"));
  s = parse_dkim_signature("v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA; t=200; x=100");
  CHECK(has_problem(s, "is before t="));
  s = parse_dkim_signature("v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA; l=12a");
  CHECK(has_problem(s, "l="));
  s = parse_dkim_signature("v=2; a=rsa-sha256; c=fancy/simple; d=example.org; s=sel; h=from; bh=A!AA; b=AAAA; i=joe@other.example");
  CHECK(has_problem(s, "unsupported version"));
  CHECK(has_problem(s, "unknown canonicalization"));
  CHECK(has_problem(s, "bh= is not valid base64"));
  CHECK(has_problem(s, "not d= or a subdomain"));
  s = parse_dkim_signature("v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA; i=@mail.Example.org");
  CHECK(s.problems.empty());
  s = parse_dkim_signature("v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA; x=99999999999999999999999");
  CHECK(has_problem(s, "x="));
  // Garbage never throws.
  for (const char* bad : {"", ";;;", "=", "v", "v=1;=;b", "\r\n\t", "a=\xff\xfe; b=\x01", "x=-5; t=+3"}) {
    CHECK_NOTHROW(parse_dkim_signature(bad));
    CHECK_FALSE(parse_dkim_signature(bad).problems.empty());
  }
}

TEST_CASE("the RFC 8463 example message verifies with both its Ed25519 and RSA keys", "[dkim][corpora]") {
  const std::string msg = corpus("rfc6376.signed.msg"); // LF line ends on disk
  const std::vector<DkimKey> keys{{"football.example.com", "brisbane", k_brisbane, "rfc8463 brisbane"},
                                  {"football.example.com", "test", trim(corpus("test.txt")), "file test.txt"}};
  // The Ed25519 key is the public half of the RFC 8032 test key 1 in the corpus.
  CHECK(ed25519_public_b64(ed25519_private(corpus("rfc8032_7_1.key")).get()) == "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");

  auto r = check(msg, keys);
  REQUIRE(r.size() == 2);
  CHECK(r[0].signature.algorithm == "ed25519-sha256");
  CHECK(r[0].body_hash == "pass");
  CHECK(r[0].signature_result == "pass");
  CHECK(r[0].key_source == "rfc8463 brisbane");
  CHECK(r[0].computed_body_hash_b64 == "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
  CHECK(r[0].detail.find("LF") != std::string::npos);
  CHECK(r[1].signature.algorithm == "rsa-sha256");
  CHECK(r[1].signature.header_index == 1);
  CHECK(r[1].body_hash == "pass");
  CHECK(r[1].signature_result == "pass");

  // The same bytes with CRLF line ends verify too, and the detail does not mention LF.
  r = check(to_crlf(msg), keys);
  CHECK(r[0].signature_result == "pass");
  CHECK(r[1].signature_result == "pass");
  CHECK(r[1].detail.find("bare LF") == std::string::npos);

  SECTION("without keys the signatures are unverified, never failed, and the body hash is still checked") {
    r = check(msg, {});
    REQUIRE(r.size() == 2);
    for (const auto& x : r) {
      CHECK(x.signature_result == "unverified");
      CHECK(x.body_hash == "pass");
      CHECK(x.key_source == "no key");
    }
    // a key for another selector is no key either
    r = check(msg, {{"football.example.com", "other", k_brisbane, "x"}});
    CHECK(r[0].signature_result == "unverified");
  }
  SECTION("a one-byte change in the body fails the body hash only") {
    r = check(replace_once(msg, "hungry", "hungrY"), keys);
    for (const auto& x : r) {
      CHECK(x.body_hash == "fail");
      CHECK(x.signature_result == "pass");
    }
  }
  SECTION("a one-byte change in a signed header fails the signature only") {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{{"Subject: Is dinner", "Subject: Is Dinner"},
                                                                                   {"From: Joe SixPack", "From: Joe SixPacK"}}) {
      r = check(replace_once(msg, from, to), keys);
      for (const auto& x : r) {
        CHECK(x.body_hash == "pass");
        CHECK(x.signature_result == "fail");
      }
    }
  }
  SECTION("a change in a tag of the DKIM-Signature fails the signature") {
    r = check(replace_once(msg, "t=1527915362", "t=1527915363"), keys);
    CHECK(r[0].signature_result == "pass");
    CHECK(r[1].signature_result == "fail");
  }
  SECTION("an added unsigned header and a changed unsigned header do not matter") {
    r = check(replace_once(msg, "Message-ID:", "X-Mailer: x\nMessage-ID:"), keys);
    CHECK(r[0].signature_result == "pass");
  }
  SECTION("an extra From fails: this signer over-signs From (h= lists it twice)") {
    const std::size_t first_from = msg.find("From:");
    r = check(msg.substr(0, first_from) + "From: Evil <evil@example.net>\n" + msg.substr(first_from), keys);
    CHECK(r[0].signature_result == "fail");
    CHECK(r[1].signature_result == "fail");
    r = check(replace_once(msg, "Message-ID:", "From: Evil <evil@example.net>\nMessage-ID:"), keys);
    CHECK(r[0].signature_result == "fail");
  }
  SECTION("keys are matched without case and a trailing dot") {
    r = check(msg, {{"Football.Example.COM.", "BRISBANE", k_brisbane, "k"}});
    CHECK(r[0].signature_result == "pass");
  }
}

TEST_CASE("third-party corpus messages with relaxed canonicalization verify", "[dkim][corpora]") {
  SECTION("test2.message: rsa-sha256 relaxed/relaxed, LF file, degenerate folding") {
    const std::string msg = corpus("test2.message");
    const std::vector<DkimKey> keys{{"gmail.com", "20120113", k_gmail, "archived gmail key"}};
    auto r = check(msg, keys);
    REQUIRE(r.size() == 1);
    CHECK(r[0].signature.header_canon == "relaxed");
    CHECK(r[0].signature.body_canon == "relaxed");
    CHECK(r[0].body_hash == "pass");
    CHECK(r[0].signature_result == "pass");
    r = check(replace_once(msg, "Hello, DKIM", "Hello, DKIm"), keys);
    CHECK(r[0].body_hash == "fail");
    CHECK(r[0].signature_result == "pass");
    r = check(replace_once(msg, "DKIM test mail #1", "DKIM test mail #2"), keys);
    CHECK(r[0].body_hash == "pass");
    CHECK(r[0].signature_result == "fail");
    // relaxed tolerates white-space changes in headers and body
    r = check(replace_once(replace_once(msg, "Subject: DKIM test", "Subject:   DKIM \t test"), "Hello, DKIM", "Hello,   DKIM  "), keys);
    CHECK(r[0].body_hash == "pass");
    CHECK(r[0].signature_result == "pass");
  }
  SECTION("ed25519test2.msg: ed25519-sha256 relaxed/relaxed from Exim, CRLF file") {
    const std::string msg = corpus("ed25519test2.msg");
    const std::vector<DkimKey> keys{{"test.ex", "sed", corpus("eximtest.dns"), "file eximtest.dns"}};
    auto r = check(msg, keys);
    REQUIRE(r.size() == 1);
    CHECK(r[0].body_hash == "pass");
    CHECK(r[0].signature_result == "pass");
    CHECK(r[0].detail.find("bare LF") == std::string::npos);
    r = check(replace_once(msg, "From: nobody@", "From: nobodY@"), keys);
    CHECK(r[0].body_hash == "pass");
    CHECK(r[0].signature_result == "fail");
    r = check(replace_once(msg, "content", "c0ntent"), keys);
    CHECK(r[0].body_hash == "fail");
    CHECK(r[0].signature_result == "pass");
  }
}

TEST_CASE("messages signed in the test verify in every canonicalization", "[dkim][corpora]") {
  struct Case {
    std::string name;
    std::string message;
    Pkey key;
    std::string record;
    bool ed25519;
  };
  std::vector<Case> cases;
  {
    Pkey k = read_private_pem(corpus("test.private"));
    cases.push_back({"test.message/test.private", corpus("test.message"), std::move(k), trim(corpus("test.txt")), false});
  }
  {
    Pkey k = ed25519_private(corpus("ed25519test.key"));
    CHECK(ed25519_public_b64(k.get()) == "yi50DjK5O9pqbFpNHklsv9lqaS0ArSYu02qp1S0DW1Y=");
    cases.push_back({"ed25519test.msg/ed25519test.key", corpus("ed25519test.msg"), std::move(k), trim(corpus("ed25519test.dns")), true});
  }
  {
    Pkey k = rsa2048();
    const std::string rec = txt_record(k.get());
    cases.push_back({"sample/RSA-2048", k_sample, std::move(k), rec, false});
  }
  for (const auto& c : cases) {
    for (const std::string hc : {"simple", "relaxed"}) {
      for (const std::string bc : {"simple", "relaxed"}) {
        INFO(c.name << " " << hc << "/" << bc);
        Spec spec;
        spec.domain = "example.com";
        spec.selector = "test";
        spec.header_canon = hc;
        spec.body_canon = bc;
        spec.ed25519 = c.ed25519;
        const std::string signed_msg = sign_message(c.message, c.key.get(), spec);
        const std::vector<DkimKey> keys{{"example.com", "test", c.record, "test key"}};
        auto r = check(signed_msg, keys);
        REQUIRE(r.size() == 1);
        CHECK(r[0].signature.header_canon == hc);
        CHECK(r[0].signature.body_canon == bc);
        CHECK(r[0].body_hash == "pass");
        CHECK(r[0].signature_result == "pass");
        // Stored on disk with LF line ends: still verifies.
        std::string lf = signed_msg;
        for (std::size_t p; (p = lf.find("\r\n")) != std::string::npos;)
          lf.erase(p, 1);
        r = check(lf, keys);
        CHECK(r[0].signature_result == "pass");
        CHECK(r[0].body_hash == "pass");
        CHECK(r[0].detail.find("bare LF") != std::string::npos);
        // One byte in the body, one in a signed header.
        const std::size_t body = signed_msg.find("\r\n\r\n") + 4;
        std::string changed = signed_msg;
        changed[body] = static_cast<char>(changed[body] ^ 0x20);
        r = check(changed, keys);
        CHECK(r[0].body_hash == "fail");
        CHECK(r[0].signature_result == "pass");
        changed = replace_once(signed_msg, "Subject:", "Subject: Re:");
        r = check(changed, keys);
        CHECK(r[0].body_hash == "pass");
        CHECK(r[0].signature_result == "fail");
        // White space: relaxed tolerates it, simple does not.
        changed = replace_once(signed_msg, "\r\nTo:", "\r\nTo:  ");
        r = check(changed, keys);
        CHECK(r[0].signature_result == (hc == "relaxed" ? "pass" : "fail"));
        changed = signed_msg.substr(0, body) + " " + signed_msg.substr(body); // leading space on the first body line
        changed = replace_once(changed, "\r\n", " \t\r\n", body);             // and trailing white space
        r = check(changed, keys);
        CHECK(r[0].body_hash == "fail"); // a leading space is kept even by relaxed
        changed = replace_once(signed_msg, "\r\n", " \t\r\n", body) + "\r\n\r\n";
        r = check(changed, keys);
        CHECK(r[0].body_hash == (bc == "relaxed" ? "pass" : "fail"));
        // Without the key: unverified, body hash checked.
        r = check(signed_msg, {});
        CHECK(r[0].signature_result == "unverified");
        CHECK(r[0].body_hash == "pass");
      }
    }
  }
}

TEST_CASE("empty bodies canonicalize as RFC 6376 says", "[dkim]") {
  Pkey k = rsa2048();
  const std::vector<DkimKey> keys{{"example.org", "sel", txt_record(k.get()), "k"}};
  for (const std::string bc : {"simple", "relaxed"}) {
    Spec spec;
    spec.body_canon = bc;
    for (const std::string body : {"", "\r\n", "\r\n\r\n", " \r\n\t\r\n"}) {
      INFO(bc << " body of " << body.size() << " bytes");
      const std::string msg = sign_message(std::string("From: a@example.org\r\nTo: b@example.com\r\n\r\n") + body, k.get(), spec);
      const auto r = check(msg, keys);
      REQUIRE(r.size() == 1);
      CHECK(r[0].body_hash == "pass");
      CHECK(r[0].signature_result == "pass");
      if (body.size() <= 4 && body.find(' ') == std::string::npos) {
        // simple: one CRLF; relaxed: nothing
        CHECK(r[0].computed_body_hash_b64 ==
              (bc == "simple" ? "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=" : "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
      }
    }
  }
}

TEST_CASE("l= limits the signed body", "[dkim]") {
  Pkey k = rsa2048();
  const std::vector<DkimKey> keys{{"example.org", "sel", txt_record(k.get()), "k"}};
  for (const std::string bc : {"simple", "relaxed"}) {
    INFO(bc);
    Spec spec;
    spec.body_canon = bc;
    spec.length = true;
    const std::string msg = sign_message(k_sample, k.get(), spec);
    auto r = check(msg, keys);
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].signature.body_length);
    CHECK(r[0].body_hash == "pass");
    CHECK(r[0].signature_result == "pass");
    CHECK(r[0].detail.find("covers the whole") != std::string::npos);
    // Text appended after the limit is not covered: still passes, and the detail says so.
    r = check(msg + "Ignore the above, it was a joke.\r\n", keys);
    CHECK(r[0].body_hash == "pass");
    CHECK(r[0].signature_result == "pass");
    CHECK(r[0].detail.find("not signed and may have been added later") != std::string::npos);
    // A change within the limit fails.
    r = check(replace_once(msg, "where", "whore"), keys);
    CHECK(r[0].body_hash == "fail");
    // A body shorter than l= fails.
    r = check(replace_once(msg, "Second   line.\r\n", ""), keys);
    CHECK(r[0].body_hash == "fail");
    CHECK(r[0].detail.find("longer than") != std::string::npos);
  }
}

TEST_CASE("x= expiry and timestamps", "[dkim]") {
  Pkey k = rsa2048();
  const std::vector<DkimKey> keys{{"example.org", "sel", txt_record(k.get()), "k"}};
  const std::int64_t now = 1700000000;
  Spec spec;
  spec.t = now - 1000;
  spec.x = now - 10;
  const std::string msg = sign_message(k_sample, k.get(), spec);
  auto r = check(msg, keys, now);
  REQUIRE(r.size() == 1);
  CHECK(r[0].signature_result == "expired");
  CHECK(r[0].body_hash == "pass");
  CHECK(r[0].detail.find("Cryptographic result: pass") != std::string::npos);
  r = check(replace_once(msg, "Subject:", "Subject: x"), keys, now);
  CHECK(r[0].signature_result == "expired");
  CHECK(r[0].detail.find("Cryptographic result: fail") != std::string::npos);
  r = check(msg, keys, now - 10); // exactly at x=: not yet expired
  CHECK(r[0].signature_result == "pass");
  CHECK(r[0].signature.timestamp == now - 1000);
  CHECK(r[0].signature.expiration == now - 10);
  r = check(msg, {}, now);
  CHECK(r[0].signature_result == "expired");
  CHECK(r[0].detail.find("No public key") != std::string::npos);

  spec.t = now;
  spec.x = now - 10; // x before t: malformed
  r = check(sign_message(k_sample, k.get(), spec), keys, now);
  CHECK(r[0].signature_result == "invalid");
  CHECK(r[0].body_hash == "not-checked");
}

TEST_CASE("DKIM is judged at the delivery time: an expiry after delivery is no anomaly", "[dkim]") {
  Pkey k = rsa2048();
  const std::vector<DkimKey> keys{{"example.org", "sel", txt_record(k.get()), "k"}};
  const std::int64_t delivered = 1704103200;        // k_sample's Received date, 2024-01-01 10:00:00 UTC
  const std::int64_t now = delivered + 400 * 86400; // ingested more than a year later
  const auto analyse = [&](const std::string& message, const Spec& spec) {
    const std::string msg = sign_message(message, k.get(), spec);
    return analyze_message(msg, "00", split_headers(msg), MimeReport{}, keys, now);
  };
  const auto has = [](const Analysis& a, const std::string& code) {
    for (const auto& x : a.headers_json["anomalies"])
      if (x["code"] == code) return true;
    return false;
  };

  // x= between delivery and now: valid at delivery, expired since; information only
  Spec spec;
  spec.t = delivered - 60;
  spec.x = delivered + 7 * 86400;
  Analysis a = analyse(k_sample, spec);
  const auto& d = a.headers_json["dkim"][0];
  CHECK(d["signature"] == "pass");
  CHECK(d["time"]["delivered_at"] == "2024-01-01T10:00:00Z");
  CHECK(d["time"]["delivery_received_index"] == 0);
  CHECK(d["time"]["delivery_header_index"] == 1); // under the DKIM-Signature
  CHECK(d["time"]["signed_at"] == "2024-01-01T09:59:00Z");
  CHECK(d["time"]["expires_at"] == "2024-01-08T10:00:00Z");
  CHECK(d["time"]["valid_at_delivery"] == true);
  CHECK(d["time"]["valid_now"] == false);
  CHECK(d["time"]["expired_since"] == "2024-01-08T10:00:00Z");
  CHECK(d["time"]["signed_after_delivery"] == false);
  CHECK_FALSE(has(a, "dkim-expired"));
  CHECK(a.summary["dkim"][0]["signature"] == "pass");

  // x= before delivery: expired when it arrived, an anomaly
  spec.x = delivered - 10;
  a = analyse(k_sample, spec);
  CHECK(a.headers_json["dkim"][0]["signature"] == "expired");
  CHECK(a.headers_json["dkim"][0]["time"]["valid_at_delivery"] == false);
  CHECK(has(a, "dkim-expired"));

  // t= an hour after delivery: an anomaly
  spec.t = delivered + 3600;
  spec.x.reset();
  a = analyse(k_sample, spec);
  CHECK(a.headers_json["dkim"][0]["time"]["signed_after_delivery"] == true);
  CHECK(a.headers_json["dkim"][0]["time"]["valid_now"] == true);
  CHECK(a.headers_json["dkim"][0]["time"]["expired_since"].is_null());
  CHECK(has(a, "dkim-signed-after-delivery"));
  CHECK_FALSE(has(a, "dkim-expired"));

  // no Received line: the delivery time is unknown, so an expiry is no anomaly either
  const std::string sample(k_sample);
  spec.t = delivered - 60;
  spec.x = delivered + 10;
  a = analyse(sample.substr(sample.find('\n') + 1), spec);
  CHECK(a.headers_json["dkim"][0]["time"]["delivered_at"].is_null());
  CHECK(a.headers_json["dkim"][0]["time"]["valid_at_delivery"].is_null());
  CHECK(a.headers_json["dkim"][0]["signature"] == "expired"); // checked at ingestion
  CHECK_FALSE(has(a, "dkim-expired"));
}

TEST_CASE("dkim_time compares t= and x= with delivery and now", "[dkim]") {
  DkimSignature s;
  s.timestamp = 1000;
  s.expiration = 2000;
  DkimTime t = dkim_time(s, 1500, 3000, 60);
  CHECK(t.valid_at_delivery == true);
  CHECK_FALSE(t.valid_now);
  CHECK(t.expired_since == 2000);
  CHECK(t.signed_after_delivery == false);
  t = dkim_time(s, 2001, 3000, 60);
  CHECK(t.valid_at_delivery == false);
  t = dkim_time(s, 2000, 2000, 60); // exactly at x=: still valid
  CHECK(t.valid_at_delivery == true);
  CHECK(t.valid_now);
  t = dkim_time(s, 939, 1500, 60); // t= 61 s after delivery
  CHECK(t.signed_after_delivery == true);
  t = dkim_time(s, std::nullopt, 1500, 60);
  CHECK_FALSE(t.valid_at_delivery);
  CHECK_FALSE(t.signed_after_delivery);
  CHECK(to_json(t)["delivered_at"].is_null());
  CHECK(to_json(t)["checked_at"] == "1970-01-01T00:25:00Z");
  DkimSignature none;
  t = dkim_time(none, 1500, 3000, 60);
  CHECK(t.valid_at_delivery == true);
  CHECK(t.valid_now);
  CHECK_FALSE(t.expired_since);
}

TEST_CASE("unusable keys and algorithms give invalid", "[dkim]") {
  Pkey k = rsa2048();
  Spec spec;
  const std::string msg = sign_message(k_sample, k.get(), spec);
  const auto with_key = [&](const std::string& text) { return check(msg, {{"example.org", "sel", text, "given"}}); };

  auto r = with_key("v=DKIM1; k=rsa; p=");
  CHECK(r[0].signature_result == "invalid");
  CHECK(r[0].body_hash == "pass");
  CHECK(r[0].detail.find("revoked") != std::string::npos);
  CHECK(r[0].key_source == "given");

  r = with_key("v=DKIM1; h=sha1; p=" + txt_record(k.get()).substr(txt_record(k.get()).find("p=") + 2));
  CHECK(r[0].signature_result == "invalid");

  // Key forms: quoted TXT strings, PEM SubjectPublicKeyInfo, raw RSAPublicKey.
  const std::string rec = txt_record(k.get());
  r = with_key("\"" + rec.substr(0, 30) + "\" \"" + rec.substr(30) + "\"");
  CHECK(r[0].signature_result == "pass");
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(PEM_write_bio_PUBKEY(bio.get(), k.get()) == 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    r = with_key(std::string(data, static_cast<std::size_t>(n)));
    CHECK(r[0].signature_result == "pass");
  }
  {
    unsigned char* der = nullptr;
    const int n = i2d_PublicKey(k.get(), &der);
    REQUIRE(n > 0);
    const std::string raw(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    r = with_key("k=rsa; p=" + b64(raw));
    CHECK(r[0].signature_result == "pass");
  }

  // rsa-sha1 is historic; unknown algorithms are refused.
  r = check(replace_once(msg, "a=rsa-sha256", "a=rsa-sha1"), {{"example.org", "sel", rec, "given"}});
  CHECK(r[0].signature_result == "invalid");
  CHECK(r[0].body_hash == "not-checked");
  CHECK(r[0].detail.find("rsa-sha1") != std::string::npos);
  r = check(replace_once(msg, "a=rsa-sha256", "a=rsa-sha512"), {{"example.org", "sel", rec, "given"}});
  CHECK(r[0].signature_result == "invalid");
}

TEST_CASE("unusable keys of the dkimpy corpus give invalid", "[dkim][corpora]") {
  Pkey k = rsa2048();
  Spec spec;
  const std::string msg = sign_message(k_sample, k.get(), spec);
  const auto with_key = [&](const std::string& text) { return check(msg, {{"example.org", "sel", text, "given"}}); };

  auto r = with_key(trim(corpus("ed25519test.dns"))); // k=ed25519 for an rsa-sha256 signature
  CHECK(r[0].signature_result == "invalid");
  r = with_key(trim(corpus("badk.txt")));
  CHECK(r[0].signature_result == "invalid");
  r = with_key(trim(corpus("badversion.txt")));
  CHECK(r[0].signature_result == "invalid");
  r = with_key(trim(corpus("test_bad.txt")));
  CHECK(r[0].signature_result == "invalid");
  r = with_key(trim(corpus("test_tlsrpt.txt"))); // s=tlsrpt, not email
  CHECK(r[0].signature_result == "invalid");
}

TEST_CASE("an unsigned extra From is pointed out", "[dkim]") {
  Pkey k = rsa2048();
  const std::string msg = sign_message(k_sample, k.get(), Spec{});
  const std::vector<DkimKey> keys{{"example.org", "sel", txt_record(k.get()), "k"}};
  const std::size_t first_from = msg.find("From:");
  auto r = check(msg.substr(0, first_from) + "From: Evil <evil@example.net>\r\n" + msg.substr(first_from), keys);
  REQUIRE(r.size() == 1);
  CHECK(r[0].signature_result == "pass"); // the bottom-most From is the signed one
  CHECK(r[0].detail.find("2 \"from\" fields") != std::string::npos);
  r = check(replace_once(msg, "Message-ID:", "From: Evil <evil@example.net>\r\nMessage-ID:"), keys);
  CHECK(r[0].signature_result == "fail");
}

TEST_CASE("a wrong key of the right type fails the signature", "[dkim][corpora]") {
  Pkey k = rsa2048();
  const std::string msg = sign_message(k_sample, k.get(), Spec{});
  const auto r = check(msg, {{"example.org", "sel", trim(corpus("test.txt")), "wrong"}});
  REQUIRE(r.size() == 1);
  CHECK(r[0].signature_result == "fail");
  CHECK(r[0].body_hash == "pass");
}

TEST_CASE("DKIM results serialize in the documented order", "[dkim][corpora]") {
  const std::string msg = corpus("rfc6376.signed.msg");
  const auto r = check(msg, {});
  REQUIRE(r.size() == 2);
  const auto j = to_json(r[1]);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it)
    keys.push_back(it.key());
  CHECK(keys == std::vector<std::string>{"header_index", "domain", "selector", "algorithm", "canonicalization", "signed_headers",
                                         "identity", "body_length", "timestamp", "expiration", "tags", "body_hash", "computed_body_hash",
                                         "signature", "key_source", "detail", "problems"});
  CHECK(j["header_index"] == 1);
  CHECK(j["domain"] == "football.example.com");
  CHECK(j["canonicalization"] == "simple/simple");
  CHECK(j["signed_headers"].size() == 8);
  CHECK(j["identity"] == "@football.example.com");
  CHECK(j["body_length"].is_null());
  CHECK(j["timestamp"] == 1527915362);
  CHECK(j["expiration"].is_null());
  CHECK(j["tags"]["s"] == "test");
  CHECK(j["tags"].begin().key() == "v");
  CHECK(j["body_hash"] == "pass");
  CHECK(j["computed_body_hash"] == "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
  CHECK(j["signature"] == "unverified");
  CHECK(j["key_source"] == "no key");
  CHECK(j["problems"].empty());
}

TEST_CASE("DKIM results with invalid bytes in tags serialize to valid JSON", "[dkim]") {
  // Invalid bytes in tags still give valid JSON.
  const std::string bad = "DKIM-Signature: v=1; a=rsa-sha256; d=\xff.example; s=\xfe; h=from; bh=AAAA; b=AAAA\r\nFrom: x\r\n\r\nbody\r\n";
  const auto rb = check(bad, {});
  REQUIRE(rb.size() == 1);
  CHECK_NOTHROW(to_json(rb[0]).dump());
  CHECK(to_json(rb[0])["identity"].is_null());
}

TEST_CASE("hostile input is handled in bounded time without throwing", "[dkim]") {
  const auto start = std::chrono::steady_clock::now();
  // 10 000 header fields, many signatures listing many names.
  std::string msg;
  for (int i = 0; i < 100; ++i) {
    msg += "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel; h=";
    for (int j = 0; j < 2000; ++j)
      msg += "received:";
    msg += "from; l=" + std::to_string(i) + "; bh=AAAA; b=AAAA\r\n";
  }
  for (int i = 0; i < 10000; ++i)
    msg += "Received: from host" + std::to_string(i) + "\r\n";
  msg += "From: x@example.org\r\n\r\n";
  // A large body with long white-space runs and many empty lines.
  std::string body;
  for (int i = 0; i < 20000; ++i)
    body += "line with   some\t\t text   \r\n\r\n\r\n" + std::string(500, ' ') + "x\n";
  body += std::string(1 << 20, '\n');
  msg += body;
  std::vector<DkimResult> r;
  REQUIRE_NOTHROW(r = check(msg, {{"example.org", "sel", "p=AAAA", "k"}}));
  CHECK(r.size() == 100);
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(secs < 20.0);
}

TEST_CASE("random bytes and truncations of a corpus message never throw", "[dkim][corpora]") {
  // Random bytes and truncations of a real message never throw.
  const std::string real = corpus("rfc6376.signed.msg");
  const std::vector<DkimKey> keys{{"football.example.com", "brisbane", k_brisbane, "k"}, {"football.example.com", "test", "p=!!", "k"}};
  for (std::size_t cut = 0; cut < real.size(); cut += 7)
    CHECK_NOTHROW(check(real.substr(0, cut), keys));
  std::uint32_t seed = 12345;
  for (int n = 0; n < 300; ++n) {
    std::string s = real;
    for (int m = 0; m < 8; ++m) {
      seed = seed * 1664525u + 1013904223u;
      s[seed % s.size()] = static_cast<char>(seed >> 24);
    }
    CHECK_NOTHROW(check(s, keys));
  }
}
