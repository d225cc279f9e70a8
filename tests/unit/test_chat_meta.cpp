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

// An Instagram thread as "Download your information" (JSON) writes it since 2023: the
// newest messages in message_1.json, each file newest first, strings as UTF-8 bytes in
// \u00XX escapes, uris relative to the export's root.
const char* k_ig_message_1 = R"({
  "participants": [
    {
      "name": "Sam Tr\u00c3\u00b6ll"
    },
    {
      "name": "Alex Victim"
    }
  ],
  "messages": [
    {
      "sender_name": "Sam Tr\u00c3\u00b6ll",
      "timestamp_ms": 1795205760000,
      "content": "Sam Tr\u00c3\u00b6ll unsent a message.",
      "is_unsent": true,
      "is_geoblocked_for_viewer": false
    },
    {
      "sender_name": "Sam Tr\u00c3\u00b6ll",
      "timestamp_ms": 1795205700000,
      "photos": [
        {
          "uri": "your_instagram_activity/messages/inbox/samtroll_17841400123456789/photos/431_n.jpg",
          "creation_timestamp": 1795205700
        },
        {
          "uri": "your_instagram_activity/messages/inbox/samtroll_17841400123456789/photos/432_n.jpg",
          "creation_timestamp": 1795205700
        }
      ],
      "is_geoblocked_for_viewer": false
    },
    {
      "sender_name": "Alex Victim",
      "timestamp_ms": 1795205640123,
      "content": "second at the same millisecond",
      "is_geoblocked_for_viewer": false
    },
    {
      "sender_name": "Alex Victim",
      "timestamp_ms": 1795205640123,
      "content": "first at the same millisecond",
      "is_geoblocked_for_viewer": false
    }
  ],
  "title": "samtroll",
  "is_still_participant": true,
  "thread_path": "inbox/samtroll_17841400123456789",
  "magic_words": []
})";

const char* k_ig_message_2 = R"({
  "participants": [
    {
      "name": "Sam Tr\u00c3\u00b6ll"
    },
    {
      "name": "Alex Victim"
    }
  ],
  "messages": [
    {
      "sender_name": "Sam Tr\u00c3\u00b6ll",
      "timestamp_ms": 1795205580000,
      "content": "t'es nul \u00f0\u009f\u0098\u00a1",
      "reactions": [
        {
          "reaction": "\u00e2\u009d\u00a4",
          "actor": "Sam Tr\u00c3\u00b6ll"
        }
      ],
      "is_geoblocked_for_viewer": false
    },
    {
      "sender_name": "Alex Victim",
      "timestamp_ms": 1795205520000,
      "content": "Caf\u00c3\u00a9 demain ?",
      "is_geoblocked_for_viewer": false
    }
  ],
  "title": "samtroll",
  "is_still_participant": true,
  "thread_path": "inbox/samtroll_17841400123456789",
  "magic_words": []
})";

} // namespace

TEST_CASE("meta: an Instagram thread in two files", "[meta]") {
  TempDir dir;
  // The user gave the thread folder; one of the two photos is in it.
  const auto files =
      make_export(dir, {{"message_2.json", k_ig_message_2}, {"message_1.json", k_ig_message_1}, {"photos/431_n.jpg", "JPEG"}});
  const Conversation c = cbkit::chat::parse_meta(files, k_brussels);
  CHECK(c.platform == "instagram");
  CHECK(c.variant == "instagram-dyi-json");
  CHECK(c.title == "samtroll");
  CHECK(c.zone.empty());
  CHECK(c.participants == std::vector<std::string>{"Sam Tr\xC3\xB6ll", "Alex Victim"});
  REQUIRE(c.messages.size() == 6);

  const auto& m0 = c.messages[0];
  CHECK(m0.index == 0);
  CHECK(m0.sender == "Alex Victim");
  CHECK(m0.text == "Caf\xC3\xA9 demain ?");
  CHECK(m0.utc == "2026-11-20T20:12:00.000Z");
  CHECK(m0.offset == "+00:00");
  CHECK(m0.time_source == "export-utc");
  CHECK(m0.time_as_written == "1795205520000");
  CHECK(m0.source_file == "message_2.json");

  const auto& m1 = c.messages[1];
  CHECK(m1.sender == "Sam Tr\xC3\xB6ll");
  CHECK(m1.text == "t'es nul \xF0\x9F\x98\xA1");
  CHECK(m1.reactions == std::vector<std::string>{"\xE2\x9D\xA4 by Sam Tr\xC3\xB6ll"});

  // Equal timestamps: reversed export order (the export lists newest first).
  CHECK(c.messages[2].text == "first at the same millisecond");
  CHECK(c.messages[3].text == "second at the same millisecond");
  CHECK(c.messages[2].utc == "2026-11-20T20:14:00.123Z");
  CHECK(c.messages[2].source_file == "message_1.json");

  const auto& photos = c.messages[4];
  REQUIRE(photos.attachments.size() == 2);
  CHECK(photos.attachments[0].kind == "photo");
  CHECK(photos.attachments[0].rel == "photos/431_n.jpg");
  CHECK(photos.attachments[1].rel.empty());
  CHECK(photos.attachments[1].name == "your_instagram_activity/messages/inbox/samtroll_17841400123456789/photos/432_n.jpg");

  CHECK(c.messages[5].deleted);
  CHECK(c.messages[5].utc == "2026-11-20T20:16:00.000Z");

  const auto* moj = find_defect(c, "mojibake-repaired");
  REQUIRE(moj != nullptr);
  CHECK(find_defect(c, "attachment-missing") != nullptr);
  CHECK(find_defect(c, "platform-inferred") == nullptr);

  // The same files listed in another order give the same conversation.
  const std::vector<ExportFile> reversed(files.rbegin(), files.rend());
  const Conversation again = cbkit::chat::parse_meta(reversed, k_brussels);
  REQUIRE(again.messages.size() == c.messages.size());
  for (std::size_t i = 0; i < c.messages.size(); ++i)
    CHECK(again.messages[i].text == c.messages[i].text);
  CHECK(again.defects.size() == c.defects.size());
}

TEST_CASE("meta: the whole export given, Messenger layouts", "[meta]") {
  TempDir dir;
  SECTION("your_activity_across_facebook: uris resolve from the root") {
    const auto files = make_export(dir, {{"your_activity_across_facebook/messages/inbox/samtroll_ab12cd34ef/message_1.json", R"({
  "participants": [{"name": "Sam Troll"}, {"name": "Alex Victim"}],
  "messages": [
    {"sender_name": "Sam Troll", "timestamp_ms": 1795205640000, "content": "look",
     "videos": [{"uri": "your_activity_across_facebook/messages/inbox/samtroll_ab12cd34ef/videos/99.mp4", "creation_timestamp": 1795205640}],
     "sticker": {"uri": "your_activity_across_facebook/messages/stickers_used/39178562_n.png"},
     "share": {"link": "https://example.org/post/1"},
     "is_geoblocked_for_viewer": true}
  ],
  "title": "Sam Troll",
  "is_still_participant": true,
  "thread_path": "inbox/samtroll_ab12cd34ef"
})"},
                                         {"your_activity_across_facebook/messages/inbox/samtroll_ab12cd34ef/videos/99.mp4", "MP4"}});
    const Conversation c = cbkit::chat::parse_meta(files, k_brussels);
    CHECK(c.platform == "messenger");
    CHECK(c.variant == "messenger-dyi-json");
    REQUIRE(c.messages.size() == 1);
    const auto& m = c.messages[0];
    REQUIRE(m.attachments.size() == 3);
    CHECK(m.attachments[0].kind == "video");
    CHECK(m.attachments[0].rel == "your_activity_across_facebook/messages/inbox/samtroll_ab12cd34ef/videos/99.mp4");
    CHECK(m.attachments[1].kind == "sticker");
    CHECK(m.attachments[1].rel.empty());
    CHECK(m.attachments[2].kind == "share");
    CHECK(m.attachments[2].name == "https://example.org/post/1");
    CHECK(m.utc == "2026-11-20T20:14:00.000Z");
    CHECK(find_defect(c, "geoblocked") != nullptr);
    CHECK(find_defect(c, "mojibake-repaired") == nullptr);
  }
  SECTION("the older messages/inbox layout: the thread folder's ID tells the app") {
    const auto files = make_export(dir, {{"facebook-alex/messages/inbox/SamTroll_Ab3dE5gH7j/message_1.json", R"({
  "participants": [{"name": "Sam Troll"}, {"name": "Alex Victim"}],
  "messages": [
    {"sender_name": "Sam Troll", "timestamp_ms": 1795205700000, "content": "Sam Troll left the group.", "type": "Unsubscribe"},
    {"sender_name": "Chris", "timestamp_ms": 1795205640000, "content": "hi", "type": "Generic"}
  ],
  "title": "Group",
  "thread_path": "inbox/SamTroll_Ab3dE5gH7j",
  "thread_type": "RegularGroup"
})"}});
    const Conversation c = cbkit::chat::parse_meta(files, k_brussels);
    CHECK(c.platform == "messenger");
    CHECK(find_defect(c, "platform-inferred") != nullptr);
    REQUIRE(c.messages.size() == 2);
    CHECK(c.messages[0].sender == "Chris");
    CHECK_FALSE(c.messages[0].system);
    CHECK(c.messages[1].system);
    CHECK(c.participants == std::vector<std::string>{"Sam Troll", "Alex Victim", "Chris"});
  }
  SECTION("an Instagram thread in the older layout") {
    const auto files = make_export(dir, {{"messages/inbox/samtroll_17841400123456789/message_1.json", R"({
  "participants": [{"name": "Sam"}], "messages": [{"sender_name": "Sam", "timestamp_ms": 1795205640000, "content": "x"}],
  "thread_path": "inbox/samtroll_17841400123456789"})"}});
    const Conversation c = cbkit::chat::parse_meta(files, k_brussels);
    CHECK(c.platform == "instagram");
    CHECK(find_defect(c, "platform-inferred") != nullptr);
  }
  SECTION("no rule applies") {
    const auto files = make_export(dir, {{"message_1.json", R"({"participants": [], "messages": []})"}});
    const Conversation c = cbkit::chat::parse_meta(files, k_brussels);
    CHECK(c.platform == "meta");
    CHECK(c.messages.empty());
    CHECK(find_defect(c, "platform-unclear") != nullptr);
  }
}

TEST_CASE("meta: several threads, wrong types, broken files", "[meta]") {
  TempDir dir;
  SECTION("several threads are named, none chosen") {
    const auto files = make_export(
        dir, {{"messages/inbox/a_1/message_1.json", R"({"messages": []})"}, {"messages/inbox/b_2/message_1.json", R"({"messages": []})"}});
    try {
      cbkit::chat::parse_meta(files, k_brussels);
      FAIL("no error");
    } catch (const cbkit::Error& e) {
      CHECK(e.kind() == cbkit::ErrorKind::input);
      CHECK(std::string(e.what()).find("'messages/inbox/b_2'") != std::string::npos);
    }
  }
  SECTION("wrong types are defects") {
    const auto files = make_export(dir, {{"message_1.json", R"({"participants": [{"name": 4}, 5], "title": ["x"], "messages": [
  3,
  {"sender_name": 7, "timestamp_ms": "1795205640000", "content": {"a": 1}, "photos": {"uri": "x"}, "reactions": [{"reaction": 1}], "is_unsent": "yes"},
  {"sender_name": "Sam", "timestamp_ms": 1795205640000, "content": "ok", "photos": [{"uri": 5}, 6], "sticker": "s"}
]})"}});
    const Conversation c = cbkit::chat::parse_meta(files, k_brussels);
    REQUIRE(c.messages.size() == 2);
    CHECK(c.messages[0].text == "ok");
    CHECK(c.messages[0].utc == "2026-11-20T20:14:00.000Z");
    CHECK(c.messages[0].attachments.empty());
    CHECK(c.messages[1].utc.empty());
    CHECK(c.messages[1].time_as_written == "1795205640000");
    CHECK_FALSE(c.messages[1].deleted);
    CHECK(c.messages[1].index == 1);
    CHECK(find_defect(c, "unexpected-type") != nullptr);
    CHECK(find_defect(c, "bad-time") != nullptr);
  }
  SECTION("not JSON, or no message file") {
    auto files = make_export(dir, {{"message_1.json", "<html>"}});
    try {
      cbkit::chat::parse_meta(files, k_brussels);
      FAIL("no error");
    } catch (const cbkit::Error& e) {
      CHECK(e.kind() == cbkit::ErrorKind::input);
    }
    files = make_export(dir, {{"message_1.html", "<html>"}});
    CHECK_THROWS_AS(cbkit::chat::parse_meta(files, k_brussels), cbkit::Error);
  }
}
