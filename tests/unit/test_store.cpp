#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/ingest.hpp"
#include "cbkit/util/sha256.hpp"
#include "tmpdir.hpp"

#include <sys/stat.h>
#include <unistd.h>

using namespace cbkit;
using cbkit::test::read_file;
using cbkit::test::TempDir;
using cbkit::test::write_file;
namespace fs = std::filesystem;

namespace {

store::Case make_case(const TempDir& t) {
  store::InitOptions o;
  o.examiner = "A. Peeters";
  return store::Case::init(t / "case", o);
}

std::size_t count_entries(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
    ++n;
  return n;
}

} // namespace

TEST_CASE("add_files copies every byte, hashes it and stores it read-only") {
  TempDir t;
  const auto c = make_case(t);
  std::string big(3 * (1u << 20) + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 131 % 251);
  write_file(t / "big.bin", big);
  write_file(t / "chat.txt", "hello\r\nworld\n");

  store::AddFileOptions o;
  o.files = {t / "big.bin", t / "chat.txt"};
  o.context.kind = "screenshot";
  const auto r = store::add_files(c, o);
  REQUIRE(r.files.size() == 2);
  CHECK(r.appended.seq == 1);
  CHECK(r.appended.entry_dir == "evidence/000001-file");
  CHECK(r.files[0].path == "evidence/000001-file/big.bin");
  CHECK(r.files[0].size == big.size());
  CHECK(r.files[0].sha256 == util::sha256_hex(big));
  CHECK(read_file(c.root() / r.files[1].path) == "hello\r\nworld\n");
  CHECK(r.files[1].media_type == "text/plain");

  struct stat st {};
  REQUIRE(::stat((c.root() / r.files[0].path).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0444);
  REQUIRE(::stat((c.root() / r.appended.entry_dir).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0555);
  CHECK(count_entries(c.evidence_dir()) == 1); // no staging folder left behind
}

TEST_CASE("add_files is all or nothing") {
  TempDir t;
  const auto c = make_case(t);
  write_file(t / "ok.txt", "ok");
  fs::create_directory(t / "dir");
  fs::create_symlink(t / "ok.txt", t / "link.txt");
  REQUIRE(::mkfifo((t / "fifo").c_str(), 0600) == 0);
  const std::string before = read_file(c.manifest_path());

  for (const char* bad : {"missing.txt", "dir", "link.txt", "fifo"}) {
    INFO(bad);
    store::AddFileOptions o;
    o.files = {t / "ok.txt", t / bad};
    try {
      store::add_files(c, o);
      FAIL("bad input accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::input);
      CHECK(std::string(e.what()).find(bad) != std::string::npos);
    }
    CHECK(read_file(c.manifest_path()) == before);
    CHECK(count_entries(c.evidence_dir()) == 0);
  }
}

TEST_CASE("followed symbolic links record the link and its target") {
  TempDir t;
  const auto c = make_case(t);
  write_file(t / "target.txt", "content");
  fs::create_symlink(t / "target.txt", t / "link.txt");
  store::AddFileOptions o;
  o.files = {t / "link.txt"};
  o.follow_symlinks = true;
  const auto r = store::add_files(c, o);
  CHECK(r.files[0].symlink == (t / "link.txt").string());
  CHECK(r.files[0].source_path == fs::canonical(t / "target.txt").string());
  CHECK(r.files[0].path == "evidence/000001-file/link.txt");
}

TEST_CASE("same names in one entry are stored under distinct names") {
  TempDir t;
  const auto c = make_case(t);
  fs::create_directories(t / "a");
  fs::create_directories(t / "b");
  write_file(t / "a/IMG.jpg", "1");
  write_file(t / "b/img.JPG", "2");
  store::AddFileOptions o;
  o.files = {t / "a/IMG.jpg", t / "b/img.JPG"};
  const auto r = store::add_files(c, o);
  CHECK(r.files[0].path == "evidence/000001-file/IMG.jpg");
  CHECK(r.files[1].path == "evidence/000001-file/img-2.JPG");
  CHECK(r.files[1].name == "img.JPG");
}

TEST_CASE("a leftover entry folder blocks the next append without losing anything") {
  TempDir t;
  const auto c = make_case(t);
  fs::create_directory(c.evidence_dir() / "000001-file");
  write_file(t / "x.txt", "x");
  store::AddFileOptions o;
  o.files = {t / "x.txt"};
  const std::string before = read_file(c.manifest_path());
  try {
    store::add_files(c, o);
    FAIL("append went ahead over a leftover folder");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::case_);
  }
  CHECK(read_file(c.manifest_path()) == before);
  CHECK(count_entries(c.evidence_dir()) == 1);
}

TEST_CASE("notes are validated") {
  TempDir t;
  const auto c = make_case(t);
  store::NoteOptions n;
  for (const std::string& bad : {std::string("  \n"), std::string("bad \xFF utf8"), std::string(store::k_max_note_bytes + 1, 'x')}) {
    n.text = bad;
    CHECK_THROWS_AS(store::add_note(c, n), Error);
  }
  n.text = "Called 101, report number 123/2026";
  n.context.observed_at = util::parse_rfc3339("2026-11-20T21:14:00+01:00");
  CHECK(store::add_note(c, n).seq == 1);
  n.context.source_url = "not a url";
  CHECK_THROWS_AS(store::add_note(c, n), Error);
}
