#include "cbkit/error.hpp"
#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/store/recorded.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/verify/verify.hpp"
#include "tmpdir.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace cbkit;
using cbkit::test::read_file;
using cbkit::test::TempDir;
using cbkit::test::write_file;
namespace fs = std::filesystem;
using manifest::Json;

namespace {

store::Case make_case(const TempDir& t) {
  store::InitOptions o;
  o.examiner = "A. Peeters";
  return store::Case::init(t / "case", o);
}

// Every name in `dir`, hidden ones included.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string last_line(const store::Case& c) {
  const std::string m = read_file(c.manifest_path());
  const auto end = m.size() - 1;
  return m.substr(m.rfind('\n', end - 1) + 1, end - m.rfind('\n', end - 1) - 1);
}

} // namespace

TEST_CASE("FileRecord writes one canonical key order, leaving empty keys out") {
  store::FileRecord f;
  f.path = "evidence/000001-email/attachments/a.pdf";
  f.sha256 = std::string(64, 'a');
  f.size = 3;
  f.part = "2";
  f.media_type = "application/pdf";
  f.name = "a.pdf";
  f.role = "attachment";
  CHECK(f.to_json().dump() == R"({"path":"evidence/000001-email/attachments/a.pdf","sha256":")" + std::string(64, 'a') +
                                  R"(","size":3,"role":"attachment","name":"a.pdf","media_type":"application/pdf","part":"2"})");
  store::FileRecord g;
  g.path = "x";
  g.sha256 = "00";
  g.source_path = "/in/x";
  g.source_path_raw = "/in/\xff";
  g.mtime = "2026-01-01T00:00:00.000000Z";
  CHECK(
      g.to_json().dump() ==
      R"({"path":"x","sha256":"00","size":0,"source_path":"/in/x","source_path_base64":"L2luL/8=","mtime":"2026-01-01T00:00:00.000000Z"})");
}

TEST_CASE("EntryBuilder stages files, commits one line in the kind's area, and verify accepts it") {
  TempDir t;
  const auto c = make_case(t);
  write_file(t / "in.bin", "streamed bytes");
  store::Committed done;
  {
    store::EntryBuilder b(c, "timestamp", "");
    b.add_bytes("timestamp.tsr", "token", "token", "application/timestamp-reply");
    const int fd = ::open((t / "in.bin").c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    store::FileRecord& s = b.add_stream(fd, "in.bin", "sub/in.bin", "extra");
    ::close(fd);
    CHECK(s.sha256 == util::sha256_hex(std::string("streamed bytes")));
    CHECK(s.size == 14);
    done = b.commit(Json{{"timestamp", Json{{"covers", Json{{"seq", 0}}}}}, {"context", Json{{"note", "n"}}}});
  }
  CHECK(done.appended.seq == 1);
  CHECK(done.appended.entry_dir == "seals/000001-timestamp");
  REQUIRE(done.files.size() == 2);
  CHECK(done.files[0].path == "seals/000001-timestamp/timestamp.tsr");
  CHECK(done.files[1].path == "seals/000001-timestamp/sub/in.bin");
  CHECK(read_file(c.root() / done.files[1].path) == "streamed bytes");
  struct stat st {};
  REQUIRE(::stat((c.root() / done.files[0].path).c_str(), &st) == 0);
  CHECK((st.st_mode & 0222) == 0);

  const Json line = Json::parse(last_line(c));
  std::vector<std::string> keys;
  for (const auto& [k, v] : line.items())
    keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"seq", "prev", "time", "kind", "actor", "tool", "files", "timestamp", "context"});
  CHECK(line["actor"]["examiner"] == "A. Peeters");
  CHECK(line["files"][0]["role"] == "token");
  CHECK(line["time"] == done.time);
  // Nothing staged is left behind.
  CHECK(names_in(c.root() / "seals") == std::vector<std::string>{"000001-timestamp"});
}

TEST_CASE("EntryBuilder leaves nothing when dropped or when the head moved") {
  TempDir t;
  const auto c = make_case(t);
  const std::string head0 = manifest::read_tail(c.manifest_path()).head;
  {
    store::EntryBuilder b(c, "file", "");
    b.add_bytes("a.txt", "alpha");
    CHECK(names_in(c.root() / "evidence").size() == 1); // the staging folder
  }
  CHECK(names_in(c.root() / "evidence").empty());

  store::EntryBuilder(c, "note", "").commit(Json{{"note", Json{{"text", "in between"}}}});
  const std::string before = read_file(c.manifest_path());
  {
    store::EntryBuilder b(c, "report", "");
    b.add_bytes("report.html", "<p>");
    CHECK_THROWS_AS(b.commit(Json{{"report", Json::object()}}, head0), store::HeadMoved);
  }
  CHECK(read_file(c.manifest_path()) == before);
  CHECK(names_in(c.root() / "evidence").empty());
}

TEST_CASE("retry_on_head_move tries again, then gives up with Error(locked)") {
  int calls = 0;
  const int got = store::retry_on_head_move(3, "test", [&] {
    if (++calls < 3) throw store::HeadMoved("moved");
    return 7;
  });
  CHECK(got == 7);
  CHECK(calls == 3);
  calls = 0;
  try {
    store::retry_on_head_move(2, "timestamp", [&]() -> int {
      ++calls;
      throw store::HeadMoved("moved");
    });
    FAIL("no error");
  } catch (const store::HeadMoved&) {
    FAIL("HeadMoved escaped");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::locked);
    CHECK(std::string(e.what()).find("timestamp") == 0);
  }
  CHECK(calls == 2);
}

TEST_CASE("every kind has one row: area, summary, and a content check where it has one") {
  for (const char* name : {"case", "file", "note", "email", "web", "timestamp", "report", "seal"}) {
    const kinds::Kind* k = kinds::find(name);
    REQUIRE(k != nullptr);
    CHECK(k->summarize != nullptr);
    CHECK(k->timeline != nullptr);
  }
  CHECK(kinds::all().size() == 12);
  for (const char* name : {"person", "call", "checklist", "chat"})
    CHECK(kinds::find(name) != nullptr);
  CHECK(kinds::area_of("seal") == "seals");
  CHECK(kinds::area_of("timestamp") == "seals");
  CHECK(kinds::area_of("web") == "evidence");
  CHECK(kinds::area_of("chat-from-the-future") == "evidence");
  CHECK(kinds::find("web")->make_check != nullptr);
  CHECK(kinds::find("seal")->make_check != nullptr);
  CHECK(kinds::find("timestamp")->make_check != nullptr);
  CHECK(kinds::find("chat")->make_check != nullptr);
  CHECK(kinds::find("note")->make_check == nullptr);
  CHECK(kinds::find("nope") == nullptr);
}

TEST_CASE("log summaries describe each kind in words, and never throw on a hostile line") {
  const Json web = Json::parse(
      R"({"kind":"web","files":[],"web":{"url":"https://x.example/p","final_url":"https://x.example/q","status":200,"redirects":1,"browser":{},"tsa":{"covers":{},"tsa":{"time":"2026-11-30T10:00:00Z"}}}})");
  CHECK(kinds::summarize(web, 300) ==
        "https://x.example/p \xE2\x80\x94 HTTP 200 after 1 redirect(s) to https://x.example/q, rendered in a browser, RFC 3161 token "
        "2026-11-30T10:00:00Z");
  const std::string h(64, 'b');
  const Json ts = Json::parse(R"({"kind":"timestamp","timestamp":{"covers":{"seq":4,"head":")" + h +
                              R"("},"tsa":{"url":"http://tsa.example/tsr","time":"2026-11-30T10:00:00Z"}}})");
  CHECK(kinds::summarize(ts, 300) ==
        "RFC 3161 token from http://tsa.example/tsr, TSA time 2026-11-30T10:00:00Z, over the head after line 4 (bbbbbbbbbbbb\xE2\x80\xA6)");
  const Json seal_old = Json::parse(
      R"({"kind":"seal","seal":{"covers":{"seq":5,"head":")" + h +
      R"("},"key":{"key_id":"ABCD"},"archive":{"name":"a.tar"},"timestamp":{"tsa":"http://t","gen_time":"2026-01-01T00:00:00Z"}}})");
  CHECK(kinds::summarize(seal_old, 300) ==
        "seal of lines 0 to 5 (head bbbbbbbbbbbb\xE2\x80\xA6), Ed25519 key ABCD, archive a.tar, RFC 3161 token 2026-01-01T00:00:00Z");
  const Json report =
      Json::parse(R"({"kind":"report","report":{"lang":"nl","format":"html","describes":{"seq":6,"head":")" + h + R"("}}})");
  CHECK(kinds::summarize(report) == "report (nl, html) of lines 0 to 6 (head bbbbbbbbbbbb\xE2\x80\xA6)");
  const Json note = Json::parse(R"({"kind":"note","note":{"text":"Called 101"},"context":{"kind":"phone-call","note":"n"}})");
  CHECK(kinds::summarize(note) == "[phone-call] Called 101 \xE2\x80\x94 n");
  // Wrong types everywhere: a summary, no exception.
  for (const char* kind : {"case", "file", "note", "email", "web", "timestamp", "report", "seal", "other"}) {
    Json bad = Json::parse(
        R"({"files":7,"case":1,"note":[],"email":"x","web":[1],"timestamp":{"tsa":3,"covers":"x"},"report":null,"seal":{"covers":[],"timestamp":{"tsa":[]}},"context":5})");
    bad["kind"] = kind;
    CHECK_NOTHROW(kinds::summarize(bad));
  }
}

TEST_CASE("read_recorded reads only the recorded bytes of a safe path") {
  TempDir t;
  const auto c = make_case(t);
  store::EntryBuilder b(c, "file", "");
  b.add_bytes("a.txt", "alpha");
  const store::Committed done = b.commit(Json::object());
  const Json rec = done.files[0].to_json();
  auto r = store::read_recorded(c.root(), rec, "file", 100);
  REQUIRE(r.bytes);
  CHECK(*r.bytes == "alpha");
  CHECK_FALSE(store::read_recorded(c.root(), rec, "file", 4).bytes);
  CHECK_FALSE(store::read_recorded(c.root(), rec, "seal", 100).bytes); // not under seals/
  Json evil = rec;
  evil["path"] = "evidence/../manifest.jsonl";
  CHECK(store::read_recorded(c.root(), evil, "file", 1u << 20).problem.find("leaves") != std::string::npos);
  Json wrong = rec;
  wrong["sha256"] = std::string(64, '0');
  CHECK(store::read_recorded(c.root(), wrong, "file", 100).problem == "not the recorded SHA-256");
  // A link in place of the file is not followed.
  const fs::path p = c.root() / done.files[0].path;
  ::chmod(p.parent_path().c_str(), 0755);
  fs::remove(p);
  fs::create_symlink(c.root() / "manifest.jsonl", p);
  CHECK_FALSE(store::read_recorded(c.root(), rec, "file", 1u << 20).bytes);
}

TEST_CASE("the chat summary: platform, participants, count, local dates and the zone's source; hostile lines do not throw") {
  const Json chat = Json::parse(
      R"({"kind":"chat","files":[],"chat":{"platform":"whatsapp","participants":["Lotte","Sam","~ Max"],"message_count":1204,
          "first_utc":"2026-11-01T10:00:00Z","last_utc":"2026-11-20T22:30:00Z","zone":"Europe/Brussels","zone_source":"case-zone"}})");
  CHECK(kinds::summarize(chat, 300) ==
        "whatsapp chat, 3 participants (Lotte, Sam, ~ Max), 1 204 messages, 2026-11-01 .. 2026-11-20 (Europe/Brussels, case zone)");
  for (const char* hostile : {R"({"kind":"chat"})", R"({"kind":"chat","chat":[]})",
                              R"({"kind":"chat","chat":{"participants":"x","message_count":-1,"first_utc":5,"zone":"../../etc"}})"}) {
    CHECK_NOTHROW(kinds::summarize(Json::parse(hostile), 300));
  }
}
