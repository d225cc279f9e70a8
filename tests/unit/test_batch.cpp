// Group commit (manifest::append_entries, store::commit_batch): a batch gives the same
// lines, chain and folders as appending its entries one by one, and fails whole.
#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/verify/verify.hpp"
#include "tmpdir.hpp"

#include <algorithm>
#include <sys/stat.h>

using namespace cbkit;
using cbkit::test::read_file;
using cbkit::test::TempDir;
using cbkit::test::write_file;
namespace fs = std::filesystem;
using manifest::Json;

namespace {

store::Case make_case(const fs::path& dir) {
  store::InitOptions o;
  o.examiner = "A. Peeters";
  return store::Case::init(dir, o);
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Stages entry `i` of the test inputs: a folder with one file, and a line builder that
// does not read the clock (so two cases can be compared byte for byte).
manifest::PendingEntry pending_entry(const fs::path& case_root, int i, bool with_files) {
  manifest::PendingEntry p;
  p.kind = "file";
  p.area = "evidence";
  const std::string content = "content of input " + std::to_string(i) + "\n";
  if (with_files) {
    const fs::path dir = case_root / "evidence" / (".incoming-test" + std::to_string(i));
    fs::create_directory(dir);
    write_file(dir / "in.txt", content);
    p.staged_dir = dir;
  }
  p.build = [i, content, with_files](const manifest::EntrySlot& slot) {
    manifest::Actor actor{"A. Peeters", "tester", "host"};
    Json files = Json::array();
    if (with_files)
      files.push_back(Json{{"path", slot.entry_dir + "/in.txt"}, {"sha256", util::sha256_hex(content)}, {"size", content.size()}});
    return manifest::make_line(slot.seq, slot.prev, "2026-11-20T20:14:0" + std::to_string(i) + ".000000Z", with_files ? "file" : "note",
                               actor, std::move(files));
  };
  if (!with_files) p.kind = "note";
  return p;
}

} // namespace

TEST_CASE("a batch commit writes the same bytes as appending its entries one by one") {
  TempDir t;
  const store::Case single = make_case(t / "single");
  fs::copy(t / "single", t / "batch", fs::copy_options::recursive);
  const fs::path batch_root = t / "batch";

  // a note between entries with files: areas and seqs interleave as in a real run
  std::vector<manifest::Appended> one_by_one;
  for (int i = 0; i < 5; ++i) {
    const auto p = pending_entry(single.root(), i, i != 2);
    one_by_one.push_back(manifest::append_entry(single.root(), p.kind, p.area, p.staged_dir, p.build, std::chrono::seconds(5)));
  }
  std::vector<manifest::PendingEntry> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back(pending_entry(batch_root, i, i != 2));
  const auto together = manifest::append_entries(batch_root, batch, std::chrono::seconds(5));

  CHECK(read_file(single.manifest_path()) == read_file(batch_root / "manifest.jsonl"));
  REQUIRE(together.size() == one_by_one.size());
  for (std::size_t i = 0; i < together.size(); ++i) {
    CHECK(together[i].seq == one_by_one[i].seq);
    CHECK(together[i].head == one_by_one[i].head);
    CHECK(together[i].entry_dir == one_by_one[i].entry_dir);
  }
  CHECK(together.back().seq == 5);
  CHECK(together[2].entry_dir.empty());
  CHECK(names_in(single.root() / "evidence") == names_in(batch_root / "evidence"));
  CHECK(names_in(batch_root / "evidence") == std::vector<std::string>{"000001-file", "000002-file", "000004-file", "000005-file"});
  CHECK(read_file(batch_root / "evidence/000005-file/in.txt") == "content of input 4\n");
  CHECK(manifest::read_tail(batch_root / "manifest.jsonl").head == together.back().head);
}

TEST_CASE("a batch that fails part way leaves the case as it was") {
  TempDir t;
  const store::Case c = make_case(t / "case");
  const std::string before = read_file(c.manifest_path());

  SECTION("an entry's line cannot be built") {
    std::vector<manifest::PendingEntry> batch;
    for (int i = 0; i < 3; ++i)
      batch.push_back(pending_entry(c.root(), i, true));
    batch[2].build = [](const manifest::EntrySlot&) -> Json { throw Error(ErrorKind::io, "no line today"); };
    CHECK_THROWS_AS(manifest::append_entries(c.root(), batch, std::chrono::seconds(5)), Error);
    // every folder renamed into place is gone, the failing entry's too
    CHECK(names_in(c.root() / "evidence").empty());
  }
  SECTION("a leftover folder blocks the third seq") {
    fs::create_directory(c.root() / "evidence/000003-file");
    std::vector<manifest::PendingEntry> batch;
    for (int i = 0; i < 3; ++i)
      batch.push_back(pending_entry(c.root(), i, true));
    try {
      manifest::append_entries(c.root(), batch, std::chrono::seconds(5));
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::case_);
    }
    CHECK(names_in(c.root() / "evidence") == std::vector<std::string>{".incoming-test2", "000003-file"});
  }
  CHECK(read_file(c.manifest_path()) == before);
}

TEST_CASE("commit_batch commits builders as whole entries that verify") {
  TempDir t;
  const store::Case c = make_case(t / "case");
  std::vector<store::StagedEntry> batch;
  for (int i = 0; i < 4; ++i) {
    store::StagedEntry e;
    e.builder = std::make_unique<store::EntryBuilder>(c, "file", "");
    e.builder->add_bytes("f" + std::to_string(i) + ".txt", "bytes " + std::to_string(i));
    e.fields = Json{{"context", Json{{"note", "entry " + std::to_string(i)}}}};
    batch.push_back(std::move(e));
  }
  CHECK(batch[1].builder->staged_bytes() == 7);
  const auto done = store::commit_batch(batch);
  REQUIRE(done.size() == 4);
  for (std::size_t i = 0; i < done.size(); ++i) {
    CHECK(done[i].appended.seq == i + 1);
    CHECK(done[i].files.at(0).path == done[i].appended.entry_dir + "/f" + std::to_string(i) + ".txt");
  }
  const auto report = verify::verify_case(c.root(), verify::Options{});
  CHECK(report.ok());
  CHECK(report.seq == std::optional<std::uint64_t>(4));
  CHECK(report.head == std::optional<std::string>(done.back().appended.head));
  // nothing staged is left behind
  CHECK(names_in(c.root() / "evidence") == std::vector<std::string>{"000001-file", "000002-file", "000003-file", "000004-file"});
}

TEST_CASE("commit_batch that fails part way records nothing and leaves no folder of the batch") {
  TempDir t;
  const store::Case c = make_case(t / "case");
  const std::string before = read_file(c.manifest_path());
  {
    std::vector<store::StagedEntry> batch;
    for (int i = 0; i < 2; ++i) {
      store::StagedEntry e;
      e.builder = std::make_unique<store::EntryBuilder>(c, "file", "");
      e.builder->add_bytes("x.txt", "x");
      batch.push_back(std::move(e));
    }
    // a leftover folder on the second seq makes the group fail after the first rename
    fs::create_directory(c.root() / "evidence/000002-file");
    CHECK_THROWS_AS(store::commit_batch(batch), Error);
  }
  CHECK(read_file(c.manifest_path()) == before);
  CHECK(names_in(c.root() / "evidence") == std::vector<std::string>{"000002-file"});
}
