#include "cbkit/chat/chat.hpp"
#include "cbkit/chat/messages_json.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/json.hpp"
#include "chat_export.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>

using cbkit::chat::Conversation;
using cbkit::chat::ExportFile;
using cbkit::chat::TimeOptions;
using cbkit::test::k_brussels;
using cbkit::test::make_export;
using cbkit::test::TempDir;
using cbkit::test::write_file;

namespace {

std::string error_of(const std::vector<ExportFile>& files) {
  try {
    cbkit::chat::parse_export(files, k_brussels);
  } catch (const cbkit::Error& e) {
    CHECK(e.kind() == cbkit::ErrorKind::input);
    return e.what();
  }
  return "";
}

const char* k_meta = R"({"participants": [{"name": "Sam"}, {"name": "Alex"}],
  "messages": [{"sender_name": "Sam", "timestamp_ms": 1795205700000, "content": "hi"}], "title": "Sam"})";

} // namespace

TEST_CASE("chat detect: each format goes to its parser", "[chat]") {
  TempDir dir;
  const auto wa = make_export(dir, {{"_chat.txt", "[20/11/2026, 21:14:07] Sam: hello\n"}, {"00000001-PHOTO-2026-11-20-21-15-00.jpg", "J"}});
  CHECK(cbkit::chat::parse_export(wa, k_brussels).platform == "whatsapp");
  const auto tg = make_export(dir, {{"tg/result.json", R"({"name": "Sam", "type": "personal_chat", "id": 1, "messages": [
    {"id": 1, "type": "message", "date": "2026-11-20T21:14:00", "date_unixtime": "1795205640", "from": "Sam", "from_id": "user1",
     "text": "hi", "text_entities": []}]})"}});
  CHECK(cbkit::chat::parse_export(tg, k_brussels).platform == "telegram");
  const auto ig = make_export(dir, {{"inbox/sam_1/message_1.json", k_meta}});
  const Conversation c = cbkit::chat::parse_export(ig, k_brussels);
  CHECK((c.platform == "instagram" || c.platform == "messenger"));
}

TEST_CASE("chat detect: unknown formats and several threads are refused with words", "[chat]") {
  TempDir dir;
  const std::string unknown = error_of(make_export(dir, {{"notes.json", R"({"foo": 1})"}}));
  CHECK(unknown.find("WhatsApp") != std::string::npos);
  CHECK(unknown.find("Telegram") != std::string::npos);
  CHECK(unknown.find("Instagram") != std::string::npos);
  CHECK(error_of({}).find("no file") != std::string::npos);
  const std::string two = error_of(make_export(dir, {{"inbox/a_1/message_1.json", k_meta}, {"inbox/b_2/message_1.json", k_meta}}));
  CHECK(two.find("2 conversations") != std::string::npos);
  CHECK(two.find("inbox/a_1") != std::string::npos);
  CHECK(two.find("inbox/b_2") != std::string::npos);
}

TEST_CASE("messages.json: deterministic, one message per line, attachments with their stored file or missing", "[chat]") {
  Conversation c;
  c.platform = "whatsapp";
  c.variant = "whatsapp-android-24h";
  c.participants = {"Sam", "~ Max"};
  c.zone = "Europe/Brussels";
  c.zone_source = "case-zone";
  cbkit::chat::Message m;
  m.index = 0;
  m.time_as_written = "20/11/2026, 21:14";
  m.utc = "2026-11-20T20:14:00Z";
  m.offset = "+01:00";
  m.time_source = "case-zone";
  m.sender = "Sam";
  m.text = "line one\nline two \xE2\x80\x8E";
  m.continuation = true;
  m.media_omitted = true;
  m.attachments = {{"IMG-1.jpg", "IMG-1.jpg", "photo", ""}, {"IMG-2.jpg", "", "photo", ""}, {"", "", "photo", "(File not included.)"}};
  m.source_file = "chat.txt";
  m.source_line = 1;
  c.messages.push_back(m);
  m.index = 1;
  m.utc = "";
  m.time_ambiguous = true;
  m.time_candidates = {"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"};
  m.attachments.clear();
  // escaped exactly as nlohmann's dump escapes (the writer does not go through it)
  m.text = std::string("q\"b\\c\x01\x1f\t\r\n\b\f\x7f \xC3\xA9 \xF0\x9F\x98\xA1 \0end", 26);
  m.sender = "bad \xFF byte";
  c.messages.push_back(m);
  c.defects.push_back({"line-too-long", "chat.txt line 9: cut"});
  const std::vector<cbkit::chat::StoredExportFile> stored = {{"IMG-1.jpg", "export/IMG-1.jpg", std::string(64, 'a'), 12}};

  const std::string a = cbkit::chat::messages_json(c, stored);
  CHECK(a == cbkit::chat::messages_json(c, stored));
  CHECK(a.back() == '\n');
  const auto j = cbkit::util::parse_untrusted_json(a);
  REQUIRE(j);
  CHECK((*j)["format_version"] == 1);
  CHECK((*j)["message_count"] == 2);
  CHECK((*j)["first_utc"] == "2026-11-20T20:14:00Z");
  CHECK((*j)["last_utc"] == "2026-11-20T20:14:00Z");
  const auto& m0 = (*j)["messages"][0];
  CHECK(m0["flags"] == cbkit::util::Json::array({"media-omitted", "continuation"}));
  CHECK(m0["attachments"][0]["path"] == "export/IMG-1.jpg");
  CHECK(m0["attachments"][0]["size"] == 12);
  CHECK(m0["attachments"][1]["missing"] == true);
  CHECK(m0["attachments"][1].count("note") == 0);
  CHECK(m0["attachments"][2]["name"] == "");
  CHECK(m0["attachments"][2]["note"] == "(File not included.)");
  CHECK(m0["attachments"][2]["missing"] == true);
  const auto& m1 = (*j)["messages"][1];
  CHECK(a.find(cbkit::util::Json(m1["text"].get<std::string>()).dump()) != std::string::npos);
  CHECK(m1["text"].get<std::string>().size() == 26);
  CHECK(m1["sender"] == "bad \xEF\xBF\xBD byte");
  CHECK(m0["text"] == "line one\nline two \xE2\x80\x8E");
  CHECK((*j)["messages"][1]["ambiguous"] == true);
  CHECK((*j)["messages"][1]["candidates"].size() == 2);
  CHECK((*j)["defects"][0]["code"] == "line-too-long");
  // one message per line: the messages array spans exactly message_count lines
  std::size_t lines = 0;
  for (const char ch : a)
    lines += ch == '\n' ? 1 : 0;
  CHECK(lines == 12 + 2 + 2 + 1 + 2 + 1 + 1);
}
