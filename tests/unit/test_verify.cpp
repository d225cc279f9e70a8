#include "cbkit/store/case.hpp"
#include "cbkit/store/ingest.hpp"
#include "cbkit/verify/verify.hpp"
#include "tmpdir.hpp"

#include <algorithm>
#include <sys/stat.h>

using namespace cbkit;
using cbkit::test::read_file;
using cbkit::test::TempDir;
using cbkit::test::write_file;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TempDir t;
  std::string head_after_note; // declared before c: init() sets it
  store::Case c = init();

  store::Case init() {
    store::InitOptions o;
    o.examiner = "A. Peeters";
    auto cs = store::Case::init(t / "case", o);
    write_file(t / "a.txt", "alpha");
    write_file(t / "b.txt", "bravo");
    store::AddFileOptions f;
    f.files = {t / "a.txt", t / "b.txt"};
    store::add_files(cs, f);
    store::NoteOptions n;
    n.text = "note";
    head_after_note = store::add_note(cs, n).head;
    return cs;
  }
};

bool has(const verify::Report& r, const std::string& code) {
  return std::any_of(r.findings.begin(), r.findings.end(), [&](const verify::Finding& f) { return f.code == code; });
}

} // namespace

TEST_CASE("an untouched case verifies") {
  Fixture f;
  const auto r = verify::verify_case(f.c.root(), {});
  CHECK(r.ok());
  CHECK(r.findings.empty());
  CHECK(r.entries == 3);
  CHECK(r.files_checked == 2);
  CHECK(r.bytes_checked == 10);
  CHECK(r.seq == 2u);
}

TEST_CASE("verify reports every problem, not only the first") {
  Fixture f;
  const fs::path a = f.c.root() / "evidence/000001-file/a.txt";
  ::chmod(a.c_str(), 0644);
  write_file(a, "alphA");
  ::chmod((f.c.root() / "evidence/000001-file").c_str(), 0755);
  fs::remove(f.c.root() / "evidence/000001-file/b.txt");
  write_file(f.c.root() / "evidence/stray.txt", "stray");
  const auto r = verify::verify_case(f.c.root(), {});
  CHECK_FALSE(r.ok());
  CHECK(has(r, "file-hash-mismatch"));
  CHECK(has(r, "file-missing"));
  CHECK(has(r, "unrecorded-file"));
  CHECK(has(r, "file-writable")); // a.txt was made writable to change it
  CHECK_FALSE(has(r, "file-size-mismatch"));
}

TEST_CASE("a changed middle line breaks the chain at the next line") {
  Fixture f;
  std::string m = read_file(f.c.manifest_path());
  const auto pos = m.find("\"kind\":\"file\"");
  m.replace(pos, 13, "\"kind\":\"fila\"");
  write_file(f.c.manifest_path(), m);
  const auto r = verify::verify_case(f.c.root(), {});
  REQUIRE(has(r, "prev-mismatch"));
  const auto it = std::find_if(r.findings.begin(), r.findings.end(), [](const auto& x) { return x.code == "prev-mismatch"; });
  CHECK(it->seq == 2u);
}

TEST_CASE("--expect-head finds the receipt in the chain, or reports a rollback") {
  Fixture f;
  verify::Options o;
  o.expect_head = f.head_after_note;
  auto r = verify::verify_case(f.c.root(), o);
  CHECK(r.ok());
  REQUIRE(r.expect_head);
  CHECK(r.expect_head->found_at_seq == 2u);
  CHECK(r.expect_head->entries_after == 0);

  std::string m = read_file(f.c.manifest_path());
  m.erase(m.rfind('\n', m.size() - 2) + 1); // drop the last line
  write_file(f.c.manifest_path(), m);
  r = verify::verify_case(f.c.root(), o);
  CHECK_FALSE(r.ok());
  CHECK(has(r, "expect-head-not-found"));
  CHECK(r.findings.size() == 1); // the shortened log is otherwise consistent
}

TEST_CASE("paths in a hostile manifest are never followed outside evidence/") {
  Fixture f;
  std::string m = read_file(f.c.manifest_path());
  const auto pos = m.find("evidence/000001-file/a.txt");
  m.replace(pos, 26, "evidence/../manifest.jsonl");
  write_file(f.c.manifest_path(), m);
  const auto r = verify::verify_case(f.c.root(), {});
  CHECK(has(r, "file-path-invalid"));
  CHECK(has(r, "unrecorded-file")); // a.txt is no longer recorded
}
