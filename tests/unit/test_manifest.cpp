#include "cbkit/error.hpp"
#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/ingest.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "tmpdir.hpp"

#include <fcntl.h>
#include <sstream>
#include <vector>

using namespace cbkit;
using cbkit::test::read_file;
using cbkit::test::TempDir;
using cbkit::test::write_file;

namespace {

store::Case make_case(const TempDir& t) {
  store::InitOptions o;
  o.case_id = "BE-2026-0042";
  o.examiner = "A. Peeters";
  o.organisation = "Police zone X";
  o.timezone = "UTC";
  return store::Case::init(t / "case", o);
}

manifest::Appended note(const store::Case& c, const std::string& text) {
  store::NoteOptions n;
  n.text = text;
  return store::add_note(c, n);
}

std::vector<std::string> lines_of(const std::string& content) {
  std::vector<std::string> out;
  std::istringstream in(content);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

} // namespace

TEST_CASE("line 0 opens the case with the fixed keys in the fixed order") {
  TempDir t;
  const auto c = make_case(t);
  const std::string content = read_file(c.manifest_path());
  REQUIRE(content.back() == '\n');
  const auto lines = lines_of(content);
  REQUIRE(lines.size() == 1);
  const auto j = manifest::Json::parse(lines[0]);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items())
    keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"seq", "prev", "time", "kind", "actor", "tool", "files", "case"});
  CHECK(j["seq"] == 0);
  CHECK(j["prev"] == manifest::k_zero_hash);
  CHECK(j["kind"] == "case");
  CHECK(j["case"]["id"] == "BE-2026-0042");
  CHECK(j["case"]["timezone"] == "UTC");
  CHECK(j["case"]["hash_algorithms"] == manifest::Json::array({"sha256"}));
  CHECK(manifest::serialize(j) == lines[0]); // canonical bytes
  CHECK(c.info().organisation == "Police zone X");
}

TEST_CASE("appends continue the hash chain and the receipt is the hash of the new line") {
  TempDir t;
  const auto c = make_case(t);
  const auto a1 = note(c, "first");
  const auto a2 = note(c, "second");
  const auto lines = lines_of(read_file(c.manifest_path()));
  REQUIRE(lines.size() == 3);
  CHECK(a1.seq == 1);
  CHECK(a2.seq == 2);
  CHECK(a1.head == util::sha256_hex(lines[1]));
  CHECK(a2.head == util::sha256_hex(lines[2]));
  CHECK(manifest::Json::parse(lines[1])["prev"] == util::sha256_hex(lines[0]));
  CHECK(manifest::Json::parse(lines[2])["prev"] == util::sha256_hex(lines[1]));
  const auto tail = manifest::read_tail(c.manifest_path());
  CHECK(tail.seq == 2);
  CHECK(tail.head == a2.head);
}

TEST_CASE("the line reader streams lines with their hashes and flags a torn last line") {
  TempDir t;
  write_file(t / "m.jsonl", "{\"a\":1}\n{\"b\":2}\n{\"c\":");
  manifest::LineReader r(t / "m.jsonl");
  manifest::RawLine l;
  REQUIRE(r.next(l));
  CHECK(l.bytes == "{\"a\":1}");
  CHECK(l.sha256 == util::sha256_hex("{\"a\":1}"));
  CHECK(l.has_lf);
  REQUIRE(r.next(l));
  CHECK(l.index == 1);
  REQUIRE(r.next(l));
  CHECK(l.bytes == "{\"c\":");
  CHECK_FALSE(l.has_lf);
  CHECK_FALSE(r.next(l));
}

TEST_CASE("appends refuse to write after a torn or corrupt last line and change nothing") {
  TempDir t;
  const auto c = make_case(t);
  note(c, "ok");
  SECTION("torn (no LF)") {
    std::string content = read_file(c.manifest_path());
    content += "{\"seq\":2,\"prev\":\"";
    write_file(c.manifest_path(), content);
  }
  SECTION("not JSON") { write_file(c.manifest_path(), read_file(c.manifest_path()) + "garbage\n"); }
  SECTION("CR LF") {
    std::string content = read_file(c.manifest_path());
    content.insert(content.size() - 1, "\r");
    write_file(c.manifest_path(), content);
  }
  const std::string before = read_file(c.manifest_path());
  try {
    note(c, "must not be written");
    FAIL("append succeeded after a damaged last line");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::case_);
    CHECK(std::string(e.what()).find("manifest.jsonl") != std::string::npos);
  }
  CHECK(read_file(c.manifest_path()) == before);
}

TEST_CASE("init refuses an existing case and a non-empty folder") {
  TempDir t;
  make_case(t);
  store::InitOptions o;
  o.examiner = "B";
  CHECK_THROWS_AS(store::Case::init(t / "case", o), Error);
  write_file(t / "other", "x");
  try {
    store::Case::init(t.path(), o);
    FAIL("init accepted a non-empty folder");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::case_);
  }
  o.case_id = "bad/id";
  try {
    store::Case::init(t / "new", o);
    FAIL("init accepted a bad case id");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
  }
  CHECK_FALSE(std::filesystem::exists(t / "new"));
}

TEST_CASE("case discovery walks up from the working directory") {
  TempDir t;
  const auto c = make_case(t);
  std::filesystem::create_directories(t / "case/evidence/deep");
  const auto old = std::filesystem::current_path();
  std::filesystem::current_path(t / "case/evidence/deep");
  const auto found = store::Case::discover(std::nullopt);
  std::filesystem::current_path(old);
  std::filesystem::remove(t / "case/evidence/deep");
  CHECK(found.root() == c.root());
  CHECK_THROWS_AS(store::Case::discover(t / "nowhere"), Error);
}

TEST_CASE("parse_line refuses a line nested deeper than the limit without parsing it") {
  const std::string deep = "{\"seq\":1,\"x\":" + std::string(80000, '[') + std::string(80000, ']') + "}";
  CHECK_FALSE(manifest::parse_line(deep).has_value());
  const std::string fine = "{\"seq\":1,\"x\":" + std::string(10, '[') + std::string(10, ']') + "}";
  CHECK(manifest::parse_line(fine).has_value());
}

TEST_CASE("the case lock and files cbkit creates are never opened through a symbolic link") {
  TempDir t;
  const auto target = t.path() / "outside";
  const auto lock = t.path() / "lock";
  std::filesystem::create_symlink(target, lock);
  try {
    util::FileLock l(lock, std::chrono::milliseconds(10));
    FAIL("a dangling link was followed");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::case_);
    CHECK(std::string(e.what()).find("symbolic link") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(target));
  write_file(target, "x");
  CHECK_THROWS_AS(util::FileLock(lock, std::chrono::milliseconds(10)), Error);
  CHECK_THROWS_AS(util::open_no_follow(lock, O_WRONLY | O_CREAT | O_EXCL, 0600), Error);
  CHECK(read_file(target) == "x");
  util::FileLock ok(t.path() / "real.lock", std::chrono::milliseconds(10));
  CHECK(std::filesystem::is_regular_file(t.path() / "real.lock"));
}
