#include "cbkit/capture/body.hpp"
#include "cbkit/capture/warc.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/verify/verify.hpp"
#include "gzip.hpp"
#include "tmpdir.hpp"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace cbkit;
using cbkit::test::read_file;
using cbkit::test::TempDir;
using cbkit::test::write_file;
namespace fs = std::filesystem;

namespace {

std::string b32(const std::string& s) { return capture::base32_encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

util::Digest sha(const std::string& s) {
  util::Sha256 h;
  h.update(s);
  return h.finish();
}

struct ReadBack {
  std::vector<capture::WarcRecordInfo> records;
  std::string error;
};

ReadBack read_warc(const std::string& bytes, std::size_t piece = 1u << 16, std::size_t keep = 0) {
  ReadBack r;
  capture::WarcReader reader([&](const capture::WarcRecordInfo& i) { r.records.push_back(i); }, keep);
  for (std::size_t pos = 0; pos < bytes.size(); pos += piece)
    reader.update(bytes.data() + pos, std::min(piece, bytes.size() - pos));
  reader.finish();
  r.error = reader.error();
  return r;
}

// A response record with a body file of `body_size` bytes.
fs::path write_sample_warc(const TempDir& t, std::size_t body_size, const std::optional<util::Digest>& forced_payload = std::nullopt) {
  std::string body(body_size, '\0');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>((i * 31 + 7) % 256);
  write_file(t / "body.raw", body);
  const fs::path path = t / "out.warc.gz";
  capture::WarcWriter w(path);
  capture::WarcRecord info;
  info.type = "warcinfo";
  info.content_type = "application/warc-fields";
  info.prefix = "software: test\r\n";
  const std::string info_id = w.append(info).record_id;
  capture::WarcRecord rq;
  rq.type = "request";
  rq.content_type = "application/http;msgtype=request";
  rq.fields = {{"WARC-Target-URI", "http://example.test/p"}, {"WARC-Warcinfo-ID", info_id}};
  rq.prefix = "GET /p HTTP/1.1\r\nHost: example.test\r\n\r\n";
  w.append(rq);
  capture::WarcRecord rs;
  rs.type = "response";
  rs.content_type = "application/http;msgtype=response";
  rs.fields = {{"WARC-Target-URI", "http://example.test/p"}};
  rs.prefix = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_size) + "\r\n\r\n";
  rs.body_file = t / "body.raw";
  rs.payload_offset = rs.prefix.size();
  rs.payload_digest = forced_payload;
  w.append(rs);
  w.close(false);
  return path;
}

} // namespace

TEST_CASE("base32 follows RFC 4648 section 10's test vectors") {
  CHECK(b32("") == "");
  CHECK(b32("f") == "MY======");
  CHECK(b32("fo") == "MZXQ====");
  CHECK(b32("foo") == "MZXW6===");
  CHECK(b32("foob") == "MZXW6YQ=");
  CHECK(b32("fooba") == "MZXW6YTB");
  CHECK(b32("foobar") == "MZXW6YTBOI======");
  for (const char* s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    const auto d = capture::base32_decode(b32(s));
    REQUIRE(d);
    CHECK(*d == s);
  }
  CHECK(capture::base32_decode("mzxw6ytboi") == std::string("foobar")); // lower case, no padding
  CHECK_FALSE(capture::base32_decode("MZXW6YT1"));                      // '1' is not in the alphabet
  CHECK_FALSE(capture::base32_decode("MZX"));                           // impossible length
  CHECK_FALSE(capture::base32_decode("MZ======"));                      // non-zero leftover bits
}

TEST_CASE("WARC digests are sha256: plus base32 of the SHA-256") {
  // SHA-256("abc") = ba7816bf...; its base32 computed independently (python base64.b32encode).
  CHECK(capture::warc_digest(sha("abc")) == "sha256:XJ4BNP4PAHH6UQKBIDPF3LRCEOYAGYNDSYLXVHFUCD7WD4QACWWQ====");
  const std::string id = capture::new_record_id();
  CHECK(id.size() == 47);
  CHECK(id.rfind("<urn:uuid:", 0) == 0);
  CHECK(id[24] == '4');
  CHECK(std::string("89ab").find(id[29]) != std::string::npos);
  CHECK(capture::new_record_id() != id);
}

TEST_CASE("WARC writer output reads back: one gzip member per record, every digest checked") {
  TempDir t;
  const fs::path path = write_sample_warc(t, 3 * (1u << 20) + 11);
  const std::string bytes = read_file(path);
  const ReadBack r = read_warc(bytes, 1u << 16, 64);
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0].field("WARC-Type") == "warcinfo");
  CHECK(r.records[2].field("warc-type") == "response"); // names are case-insensitive
  CHECK(r.records[0].version == "WARC/1.1");
  CHECK(r.records[1].field("WARC-Warcinfo-ID") == r.records[0].field("WARC-Record-ID"));
  for (const auto& rec : r.records) {
    CHECK(rec.problems.empty());
    CHECK(rec.digest_mismatches.empty());
    CHECK(rec.field("WARC-Block-Digest").value_or("").rfind("sha256:", 0) == 0);
  }
  CHECK(r.records[2].block_size == 3 * (1u << 20) + 11 + r.records[2].block_head.find("\r\n\r\n") + 4);
  REQUIRE(r.records[2].payload_sha256);
  CHECK(util::to_hex(*r.records[2].payload_sha256) == util::sha256_hex(read_file(t / "body.raw")));
  CHECK(r.records[2].field("WARC-Payload-Digest") == capture::warc_digest(*r.records[2].payload_sha256));
  CHECK(r.records[2].block_head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK_FALSE(r.records[1].field("WARC-Payload-Digest")); // no payload_offset given: no payload digest

  // Each member starts where the reader says; gunzipping one member gives exactly one record.
  const std::string member = bytes.substr(r.records[1].member_offset, r.records[2].member_offset - r.records[1].member_offset);
  const ReadBack one = read_warc(member);
  CHECK(one.error.empty());
  REQUIRE(one.records.size() == 1);
  CHECK(one.records[0].field("WARC-Type") == "request");

  // Fed one byte at a time, the reader sees the same.
  const ReadBack slow = read_warc(bytes.substr(0, r.records[2].member_offset), 1);
  CHECK(slow.error.empty());
  CHECK(slow.records.size() == 2);
}

TEST_CASE("append_exchange: a request record naming its response, fields in a fixed order") {
  TempDir t;
  write_file(t / "body.raw", "hello");
  const fs::path path = t / "x.warc.gz";
  capture::WarcWriter w(path);
  capture::WarcExchange x;
  x.target_uri = "http://example.test/p";
  x.ip_address = "192.0.2.1";
  x.date = "2026-01-02T03:04:05.000006Z";
  x.warcinfo_id = "<urn:uuid:00000000-0000-4000-8000-000000000000>";
  x.request = "GET /p HTTP/1.1\r\nHost: example.test\r\n\r\n";
  x.response_head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  x.response_body = t / "body.raw";
  x.response_fields = {{"WARC-Truncated", "length"}};
  x.common_fields = {{"WARC-Cbkit-Source", "test"}};
  const capture::WarcExchangeIds ids = capture::append_exchange(w, x);
  w.close(false);

  const ReadBack r = read_warc(read_file(path), 1u << 16, 256);
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 2);
  const auto names = [](const capture::WarcRecordInfo& rec) {
    std::vector<std::string> out;
    for (const auto& [name, value] : rec.fields)
      out.push_back(name);
    return out;
  };
  CHECK(names(r.records[0]) == std::vector<std::string>{"WARC-Type", "WARC-Record-ID", "WARC-Date", "WARC-Target-URI", "WARC-IP-Address",
                                                        "WARC-Warcinfo-ID", "WARC-Concurrent-To", "WARC-Cbkit-Source", "WARC-Block-Digest",
                                                        "Content-Type", "Content-Length"});
  CHECK(names(r.records[1]) == std::vector<std::string>{"WARC-Type", "WARC-Record-ID", "WARC-Date", "WARC-Target-URI", "WARC-IP-Address",
                                                        "WARC-Warcinfo-ID", "WARC-Truncated", "WARC-Cbkit-Source", "WARC-Block-Digest",
                                                        "WARC-Payload-Digest", "Content-Type", "Content-Length"});
  CHECK(r.records[0].field("WARC-Record-ID") == ids.request_id);
  CHECK(r.records[0].field("WARC-Concurrent-To") == ids.response_id);
  CHECK(r.records[1].field("WARC-Record-ID") == ids.response_id);
  CHECK(r.records[0].field("Content-Type") == "application/http;msgtype=request");
  CHECK(r.records[1].field("Content-Type") == "application/http;msgtype=response");
  CHECK(r.records[1].field("WARC-Date") == x.date);
  CHECK(r.records[1].field("WARC-Payload-Digest") == capture::warc_digest(sha("hello")));
  for (const auto& rec : r.records)
    CHECK(rec.digest_mismatches.empty());

  // Without an address and a body: no WARC-IP-Address, an empty payload.
  capture::WarcWriter w2(t / "y.warc.gz");
  x.ip_address.clear();
  x.response_body.reset();
  x.response_head = "HTTP/1.1 204 No Content\r\n\r\n";
  capture::append_exchange(w2, x);
  w2.close(false);
  const ReadBack r2 = read_warc(read_file(t / "y.warc.gz"), 1u << 16, 256);
  REQUIRE(r2.records.size() == 2);
  CHECK_FALSE(r2.records[0].field("WARC-IP-Address"));
  CHECK(r2.records[1].field("WARC-Payload-Digest") == capture::warc_digest(sha("")));
}

TEST_CASE("WARC reader reports a digest that does not match the content") {
  TempDir t;
  const fs::path path = write_sample_warc(t, 1000, sha("something else"));
  const ReadBack r = read_warc(read_file(path));
  CHECK(r.error.empty());
  REQUIRE(r.records.size() == 3);
  REQUIRE(r.records[2].digest_mismatches.size() == 1);
  CHECK(r.records[2].digest_mismatches[0].find("WARC-Payload-Digest") != std::string::npos);
  CHECK(r.records[1].digest_mismatches.empty());
}

TEST_CASE("WARC reader refuses broken framing") {
  TempDir t;
  const std::string good = read_file(write_sample_warc(t, 5000));
  SECTION("cut short") {
    const ReadBack r = read_warc(good.substr(0, good.size() - 10));
    CHECK(r.error.find("cut short") != std::string::npos);
  }
  SECTION("not gzip") {
    const ReadBack r = read_warc("WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\n");
    CHECK(r.error.find("gzip") != std::string::npos);
  }
  SECTION("empty") {
    const ReadBack r = read_warc("");
    CHECK(r.error == "no WARC record in the file");
  }
  SECTION("wrong Content-Length") {
    const ReadBack r = read_warc(cbkit::test::gzip("WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:x:1>\r\nWARC-Date: "
                                                   "2026-01-01T00:00:00Z\r\nContent-Length: 3\r\n\r\nabcdef\r\n\r\n"));
    CHECK(r.error.find("CRLF CRLF") != std::string::npos);
  }
  SECTION("two records in one member, a missing field, a bad version") {
    const std::string rec = "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Date: 2026-01-01T00:00:00Z\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n";
    const ReadBack r = read_warc(cbkit::test::gzip(rec + rec));
    CHECK(r.error.empty());
    REQUIRE(r.records.size() == 2);
    CHECK(std::find(r.records[0].problems.begin(), r.records[0].problems.end(), "lacks the mandatory field WARC-Record-ID") !=
          r.records[0].problems.end());
    CHECK(std::any_of(r.records[1].problems.begin(), r.records[1].problems.end(),
                      [](const std::string& p) { return p.find("shares its gzip member") != std::string::npos; }));
    const ReadBack v = read_warc(cbkit::test::gzip("WARC/0.9\r\nContent-Length: 0\r\n\r\n\r\n\r\n"));
    CHECK(v.error.find("version line") != std::string::npos);
  }
}

TEST_CASE("decode_body removes chunk framing and undoes gzip; unsupported codings stay") {
  TempDir t;
  const std::string text = "line of text\n" + std::string(5000, 'z');
  const std::string gz = cbkit::test::gzip(text);
  std::ostringstream chunked;
  chunked << std::hex << 10 << "\r\n"
          << gz.substr(0, 10) << "\r\n"
          << (gz.size() - 10) << ";ext=1\r\n"
          << gz.substr(10) << "\r\n0\r\nX-T: 1\r\n\r\n";
  write_file(t / "raw", chunked.str());
  const auto d = capture::decode_body(t / "raw", t / "out", true, capture::parse_codings("gzip"), 1ull << 30);
  CHECK(read_file(t / "out") == text);
  CHECK(d.digest.sha256 == util::sha256_hex(text));
  CHECK(d.dechunked);
  CHECK(d.decoded == std::vector<std::string>{"gzip"});
  CHECK(d.still_encoded.empty());
  CHECK(d.problem.empty());

  // Corrupt gzip: kept encoded (de-chunked), the reason recorded.
  std::string corrupt = gz;
  corrupt[corrupt.size() - 6] = static_cast<char>(corrupt[corrupt.size() - 6] ^ 0x55); // the CRC-32 no longer matches
  write_file(t / "bad", corrupt);
  const auto b = capture::decode_body(t / "bad", t / "bad.out", false, {"gzip"}, 1ull << 30);
  CHECK(read_file(t / "bad.out") == read_file(t / "bad"));
  CHECK(b.still_encoded == std::vector<std::string>{"gzip"});
  CHECK_FALSE(b.problem.empty());

  // br is not supported: left as it is.
  write_file(t / "br", "\x1b\x03\x00");
  const auto br = capture::decode_body(t / "br", t / "br.out", false, capture::parse_codings("br"), 1ull << 30);
  CHECK(br.still_encoded == std::vector<std::string>{"br"});
  CHECK(br.problem.find("br") != std::string::npos);
  CHECK(capture::parse_codings("gzip, identity ,DEFLATE") == std::vector<std::string>{"gzip", "deflate"});
}

TEST_CASE("decode_body bounds the decoded size and the number of codings undone") {
  TempDir t;
  const std::string text(200000, 'a');
  write_file(t / "raw", cbkit::test::gzip(cbkit::test::gzip(text)));
  const auto d = capture::decode_body(t / "raw", t / "out", false, capture::parse_codings("gzip, gzip"), 1000);
  CHECK(d.cut);
  CHECK(d.digest.size == 1000);
  CHECK(read_file(t / "out") == text.substr(0, 1000));
  CHECK(d.decoded == std::vector<std::string>{"gzip", "gzip"});
  CHECK(d.problem.find("--max-decoded-size") != std::string::npos);

  // Four layers: three are undone, the innermost stays, and that is said.
  write_file(t / "raw4", cbkit::test::gzip(cbkit::test::gzip(cbkit::test::gzip(cbkit::test::gzip(text)))));
  const auto f = capture::decode_body(t / "raw4", t / "out4", false, capture::parse_codings("gzip, gzip, gzip, gzip"), 1ull << 30);
  CHECK_FALSE(f.cut);
  CHECK(f.decoded.size() == capture::k_max_decoded_codings);
  CHECK(f.still_encoded == std::vector<std::string>{"gzip"});
  CHECK(read_file(t / "out4") == cbkit::test::gzip(text));
  CHECK(f.problem.find("at most") != std::string::npos);
}

TEST_CASE("verify checks a web entry's WARC record by record") {
  TempDir t;
  store::InitOptions io;
  io.examiner = "A. Peeters";
  const auto c = store::Case::init(t / "case", io);

  // A WARC whose payload digest is wrong although the file is recorded with its true hash:
  // only the content check can see it.
  auto add_web = [&](const fs::path& warc, bool insecure) {
    store::EntryBuilder entry(c, "web", "x", std::chrono::milliseconds(1000));
    fs::copy_file(warc, entry.dir() / "capture.warc.gz");
    const std::string bytes = read_file(entry.dir() / "capture.warc.gz");
    entry.add_written("capture.warc.gz", util::sha256_hex(bytes), bytes.size(), "warc");
    return entry
        .commit(manifest::Json{{"web", manifest::Json{{"url", "http://example.test/p"}, {"complete", true}, {"insecure", insecure}}}})
        .appended;
  };
  TempDir w1;
  add_web(write_sample_warc(w1, 100, sha("forged")), true);
  TempDir w2;
  write_file(w2 / "junk.warc.gz", "this is not gzip");
  add_web(w2 / "junk.warc.gz", false);

  const verify::Report rep = verify::verify_case(c.root(), verify::Options{});
  auto has = [&](const std::string& code, std::uint64_t seq, verify::Severity sev) {
    return std::any_of(rep.findings.begin(), rep.findings.end(),
                       [&](const verify::Finding& f) { return f.code == code && f.seq == seq && f.severity == sev; });
  };
  CHECK(has("warc-digest-mismatch", 1, verify::Severity::error));
  CHECK(has("capture-insecure", 1, verify::Severity::warning));
  CHECK(has("warc-invalid", 2, verify::Severity::error));
  CHECK_FALSE(has("file-hash-mismatch", 1, verify::Severity::error));
  CHECK_FALSE(rep.ok());
}
