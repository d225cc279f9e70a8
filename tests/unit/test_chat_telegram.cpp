#include "cbkit/chat/chat.hpp"
#include "cbkit/error.hpp"
#include "chat_export.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>

using cbkit::chat::Conversation;
using cbkit::chat::ExportFile;
using cbkit::chat::TimeOptions;
using cbkit::test::find_defect;
using cbkit::test::k_brussels;
using cbkit::test::make_export;
using cbkit::test::TempDir;
using cbkit::test::write_file;

namespace {

// A single-chat export as Telegram Desktop 4.x writes it (Export chat history, JSON, in
// Europe/Brussels): one-space indentation per level, \x escapes for control characters.
const char* k_single_chat = R"json({
 "name": "Sam Troll",
 "type": "personal_chat",
 "id": 5012345678,
 "messages": [
  {
   "id": 101,
   "type": "message",
   "date": "2026-11-20T21:14:00",
   "date_unixtime": "1795205640",
   "from": "Sam Troll",
   "from_id": "user5012345678",
   "text": "you will regret this\x07",
   "text_entities": [
    {
     "type": "plain",
     "text": "you will regret this\x07"
    }
   ]
  },
  {
   "id": 102,
   "type": "message",
   "date": "2026-11-20T21:15:30",
   "date_unixtime": "1795205730",
   "edited": "2026-11-20T21:16:00",
   "edited_unixtime": "1795205760",
   "from": "Alex Victim",
   "from_id": "user42",
   "reply_to_message_id": 101,
   "text": [
    "stop writing to me, see ",
    {
     "type": "link",
     "text": "https://example.org/x"
    },
    " ",
    {
     "type": "bold",
     "text": "now"
    }
   ],
   "text_entities": [
    {
     "type": "plain",
     "text": "stop writing to me, see "
    },
    {
     "type": "link",
     "text": "https://example.org/x"
    },
    {
     "type": "plain",
     "text": " "
    },
    {
     "type": "bold",
     "text": "now"
    }
   ]
  },
  {
   "id": 103,
   "type": "message",
   "date": "2026-11-20T21:16:00",
   "date_unixtime": "1795205760",
   "from": "Sam Troll",
   "from_id": "user5012345678",
   "forwarded_from": "Other Person",
   "photo": "photos/photo_1@20-11-2026_21-16-00.jpg",
   "width": 1280,
   "height": 960,
   "text": "",
   "text_entities": []
  },
  {
   "id": 104,
   "type": "message",
   "date": "2026-11-20T21:20:00",
   "date_unixtime": "1795206000",
   "from": "Sam Troll",
   "from_id": "user5012345678",
   "file": "(File not included. Change data exporting settings to download.)",
           "media_type" : "video_file",
           "mime_type" : "video/mp4",
           "duration_seconds" : 12,
           "text" : "watch",
           "text_entities" : [ {"type" : "plain", "text" : "watch"} ]
},
  {
   "id": 105,
   "type": "service",
   "date": "2026-07-01T12:00:00",
   "date_unixtime": "1782900000",
   "actor": "Sam Troll",
   "actor_id": "user5012345678",
   "action": "invite_members",
   "members": [
    "Chris Friend"
   ],
   "text": "",
   "text_entities": []
  }
 ]
})json";

} // namespace

TEST_CASE("telegram: a single chat with date_unixtime", "[telegram]") {
  TempDir dir;
  const auto files = make_export(dir, {{"result.json", k_single_chat}, {"photos/photo_1@20-11-2026_21-16-00.jpg", "JPEG"}});
  const Conversation c = cbkit::chat::parse_telegram(files, k_brussels);
  CHECK(c.platform == "telegram");
  CHECK(c.variant == "telegram-desktop-json");
  CHECK(c.title == "Sam Troll");
  CHECK(c.zone.empty());
  CHECK(c.zone_source.empty());
  REQUIRE(c.messages.size() == 5);
  CHECK(c.participants == std::vector<std::string>{"Sam Troll", "Alex Victim"});

  const auto& m0 = c.messages[0];
  CHECK(m0.index == 0);
  CHECK(m0.time_as_written == "2026-11-20T21:14:00");
  CHECK(m0.utc == "2026-11-20T20:14:00Z");
  CHECK(m0.offset == "+01:00");
  CHECK(m0.time_source == "export-utc");
  CHECK(m0.sender == "Sam Troll");
  CHECK(m0.sender_id == "user5012345678");
  CHECK(m0.text == "you will regret this\x07");
  CHECK(m0.source_file == "result.json");
  CHECK(m0.export_id == "101");
  CHECK_FALSE(m0.edited);

  const auto& m1 = c.messages[1];
  CHECK(m1.text == "stop writing to me, see https://example.org/x now");
  CHECK(m1.edited);
  CHECK(m1.reply_to == "101");
  CHECK(m1.sender_id == "user42");

  const auto& m2 = c.messages[2];
  CHECK(m2.forwarded);
  CHECK(m2.forwarded_from == "Other Person");
  REQUIRE(m2.attachments.size() == 1);
  CHECK(m2.attachments[0].kind == "photo");
  CHECK(m2.attachments[0].rel == "photos/photo_1@20-11-2026_21-16-00.jpg");
  CHECK_FALSE(m2.media_omitted);

  const auto& m3 = c.messages[3];
  CHECK(m3.media_omitted);
  REQUIRE(m3.attachments.size() == 1);
  CHECK(m3.attachments[0].rel.empty());
  CHECK(m3.attachments[0].kind == "video_file");
  // the exporter's sentence is no file name: kept as the note, the name empty
  CHECK(m3.attachments[0].name.empty());
  CHECK(m3.attachments[0].note == "(File not included. Change data exporting settings to download.)");
  CHECK(m3.text == "watch");

  // Summer: the exporting computer was at +02:00 that day.
  const auto& m4 = c.messages[4];
  CHECK(m4.system);
  CHECK(m4.sender == "Sam Troll");
  CHECK(m4.text == "invite_members: Chris Friend");
  CHECK(m4.utc == "2026-07-01T10:00:00Z");
  CHECK(m4.offset == "+02:00");

  const auto* escape = find_defect(c, "nonstandard-escape");
  REQUIRE(escape != nullptr);
  CHECK(escape->message.find("2 control characters") != std::string::npos);
  CHECK(find_defect(c, "attachment-missing") == nullptr);

  // Deterministic: the same bytes give the same conversation.
  const Conversation again = cbkit::chat::parse_telegram(files, k_brussels);
  REQUIRE(again.messages.size() == c.messages.size());
  CHECK(again.messages[1].text == c.messages[1].text);
}

TEST_CASE("telegram: a photo the export names but does not hold", "[telegram]") {
  TempDir dir;
  const auto files = make_export(dir, {{"ChatExport_2026-11-21/result.json", k_single_chat}});
  const Conversation c = cbkit::chat::parse_telegram(files, k_brussels);
  REQUIRE(c.messages.size() == 5);
  REQUIRE(c.messages[2].attachments.size() == 1);
  CHECK(c.messages[2].attachments[0].rel.empty());
  CHECK(c.messages[2].attachments[0].name == "photos/photo_1@20-11-2026_21-16-00.jpg");
  CHECK(c.messages[0].source_file == "ChatExport_2026-11-21/result.json");
  CHECK(find_defect(c, "attachment-missing") != nullptr);

  // With the photo in the export folder, the path resolves against result.json's folder.
  TempDir dir2;
  const auto files2 = make_export(dir2, {{"ChatExport_2026-11-21/result.json", k_single_chat},
                                         {"ChatExport_2026-11-21/photos/photo_1@20-11-2026_21-16-00.jpg", "JPEG"}});
  const Conversation c2 = cbkit::chat::parse_telegram(files2, k_brussels);
  CHECK(c2.messages[2].attachments[0].rel == "ChatExport_2026-11-21/photos/photo_1@20-11-2026_21-16-00.jpg");
}

TEST_CASE("telegram: an older export without date_unixtime is read in the case's zone", "[telegram]") {
  TempDir dir;
  const auto files = make_export(dir, {{"result.json", R"({
 "name": "Class 3B",
 "type": "private_group",
 "id": 777,
 "messages": [
  {
   "id": 1,
   "type": "message",
   "date": "2026-10-25T01:59:00",
   "from": "Sam",
   "from_id": "user1",
   "text": "before"
  },
  {
   "id": 2,
   "type": "message",
   "date": "2026-10-25T02:30:00",
   "edited": "2026-10-25T02:31:00",
   "from": "Sam",
   "from_id": "user1",
   "text": "in the repeated hour"
  },
  {
   "id": 3,
   "type": "message",
   "date": "2026-10-25T03:10:00",
   "from": null,
   "from_id": "user9",
   "text": "deleted account"
  }
 ]
})"}});
  const Conversation c = cbkit::chat::parse_telegram(files, k_brussels);
  CHECK(c.zone == "Europe/Brussels");
  CHECK(c.zone_source == "case-zone");
  REQUIRE(c.messages.size() == 3);
  CHECK(c.messages[0].utc == "2026-10-24T23:59:00Z");
  CHECK(c.messages[0].offset == "+02:00");
  CHECK(c.messages[0].time_source == "case-zone");
  CHECK(c.messages[0].time_as_written == "2026-10-25T01:59:00");

  const auto& amb = c.messages[1];
  CHECK(amb.time_ambiguous);
  CHECK(amb.utc.empty());
  CHECK(amb.offset.empty());
  CHECK(amb.time_candidates == std::vector<std::string>{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"});
  CHECK(amb.edited);

  CHECK(c.messages[2].utc == "2026-10-25T02:10:00Z");
  CHECK(c.messages[2].offset == "+01:00");
  CHECK(c.messages[2].sender.empty());
  CHECK(c.messages[2].sender_id == "user9");
  CHECK(c.participants == std::vector<std::string>{"Sam"});
  CHECK(find_defect(c, "zone-assumed") != nullptr);
  CHECK(find_defect(c, "ambiguous-time") != nullptr);
}

TEST_CASE("telegram: full account exports, wrong types, empty and broken files", "[telegram]") {
  TempDir dir;
  SECTION("a full export with several chats names them and asks for one") {
    const auto files = make_export(dir, {{"DataExport_2026-11-21/result.json", R"({
 "about": "Here is the data you requested.",
 "chats": {
  "about": "This page lists all chats from this export.",
  "list": [
   {"name": "Sam Troll", "type": "personal_chat", "id": 1, "messages": []},
   {"name": "Class 3B", "type": "private_group", "id": 2, "messages": []}
  ]
 }
})"}});
    try {
      cbkit::chat::parse_telegram(files, k_brussels);
      FAIL("no error");
    } catch (const cbkit::Error& e) {
      CHECK(e.kind() == cbkit::ErrorKind::input);
      const std::string what = e.what();
      CHECK(what.find("'Sam Troll'") != std::string::npos);
      CHECK(what.find("'Class 3B'") != std::string::npos);
    }
  }
  SECTION("a full export with one chat is read") {
    const auto files = make_export(dir, {{"result.json", R"({
 "about": "Here is the data you requested.",
 "chats": {"about": "", "list": [
  {"name": "Sam Troll", "type": "personal_chat", "id": 1, "messages": [
   {"id": 1, "type": "message", "date": "2026-11-20T21:14:00", "date_unixtime": "1795205640", "from": "Sam Troll", "from_id": "user1", "text": "hi"}
  ]}
 ]}
})"}});
    const Conversation c = cbkit::chat::parse_telegram(files, k_brussels);
    CHECK(c.variant == "telegram-desktop-json-full-export");
    REQUIRE(c.messages.size() == 1);
    CHECK(c.messages[0].utc == "2026-11-20T20:14:00Z");
  }
  SECTION("wrong types are defects, not crashes") {
    const auto files = make_export(dir, {{"result.json", R"({"name": 5, "messages": [
 7,
 "text",
 {"id": 2, "type": "message", "date": 12, "date_unixtime": "abc", "from": 3, "from_id": ["x"], "text": {"a": 1}, "photo": 9},
 {"id": 3, "type": "message", "date": "2026-11-20T21:14:00", "date_unixtime": "1795205640", "from": "Sam", "text": ["ok ", 4, {"type": "bold"}]},
 {"id": 4, "type": "unsupported"}
]})"}});
    const Conversation c = cbkit::chat::parse_telegram(files, k_brussels);
    CHECK(c.title.empty());
    REQUIRE(c.messages.size() == 3);
    CHECK(c.messages[0].utc.empty());
    CHECK(c.messages[0].sender.empty());
    CHECK(c.messages[0].text.empty());
    CHECK(c.messages[1].text == "ok ");
    CHECK(c.messages[1].utc == "2026-11-20T20:14:00Z");
    CHECK(c.messages[1].index == 1);
    CHECK(c.messages[2].export_id == "4");
    CHECK(find_defect(c, "unexpected-type") != nullptr);
    CHECK(find_defect(c, "bad-time") != nullptr);
    CHECK(find_defect(c, "unsupported-message") != nullptr);
  }
  SECTION("an empty chat") {
    const auto files = make_export(dir, {{"result.json", R"({"name": "Sam", "type": "personal_chat", "id": 1, "messages": []})"}});
    const Conversation c = cbkit::chat::parse_telegram(files, k_brussels);
    CHECK(c.messages.empty());
    CHECK(c.title == "Sam");
  }
  SECTION("not JSON, or no result.json") {
    auto files = make_export(dir, {{"result.json", "<html>messages</html>"}});
    CHECK_THROWS_AS(cbkit::chat::parse_telegram(files, k_brussels), cbkit::Error);
    try {
      cbkit::chat::parse_telegram(files, k_brussels);
    } catch (const cbkit::Error& e) {
      CHECK(e.kind() == cbkit::ErrorKind::input);
    }
    files = make_export(dir, {{"messages.html", "<html></html>"}});
    CHECK_THROWS_AS(cbkit::chat::parse_telegram(files, k_brussels), cbkit::Error);
  }
  SECTION("an escaped backslash before x is not a \\x escape") {
    const auto files = make_export(dir, {{"result.json", R"({"name": "a\\x41", "messages": []})"}});
    const Conversation c = cbkit::chat::parse_telegram(files, k_brussels);
    CHECK(c.title == "a\\x41");
    CHECK(find_defect(c, "nonstandard-escape") == nullptr);
  }
  SECTION("a file over the cap is refused before it is read") {
    auto files = make_export(dir, {{"result.json", ""}});
    std::filesystem::resize_file(files[0].path, 512ULL * 1024 * 1024 + 1); // sparse: no disk used
    try {
      cbkit::chat::parse_telegram(files, k_brussels);
      FAIL("no error");
    } catch (const cbkit::Error& e) {
      CHECK(e.kind() == cbkit::ErrorKind::input);
      CHECK(std::string(e.what()).find("512 MiB") != std::string::npos);
    }
  }
}
