// chat::parse_whatsapp: exports as the phones write them (byte strings), read in a zone.
#include "cbkit/chat/chat.hpp"
#include "cbkit/error.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace cbkit;
using chat::Conversation;
using chat::ExportFile;
using chat::TimeOptions;

namespace {

// An export of these files (name, bytes) in a fresh folder.
struct Export {
  test::TempDir dir;
  std::vector<ExportFile> files;
  void add(const std::string& rel, const std::string& bytes) {
    test::write_file(dir / rel, bytes);
    files.push_back({rel, dir / rel, bytes.size()});
  }
};

TimeOptions brussels(const std::string& order = "") { return {"Europe/Brussels", "case-zone", order}; }

Conversation parse(const std::string& name, const std::string& bytes, const TimeOptions& time = brussels()) {
  Export e;
  e.add(name, bytes);
  // An assertion before the folder goes, so TempDir removes it (it keeps the folder of a
  // test whose last assertion failed, and there is none yet at a test's first parse).
  try {
    auto c = chat::parse_whatsapp(e.files, time);
    SUCCEED();
    return c;
  } catch (...) {
    SUCCEED();
    throw;
  }
}

// The input error's message; fails the test when none is thrown.
std::string refusal(const std::string& name, const std::string& bytes, const TimeOptions& time = brussels()) {
  try {
    parse(name, bytes, time);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::input);
    return e.what();
  }
  FAIL("no error for " << name);
  return "";
}

bool has_defect(const Conversation& c, const std::string& code) {
  for (const auto& d : c.defects) {
    if (d.code == code) return true;
  }
  return false;
}

} // namespace

TEST_CASE("whatsapp: Android en-UK, 24h without seconds", "[whatsapp]") {
  const auto c = parse("WhatsApp Chat with Sam.txt", "20/11/2026, 21:14 - Sam: hi Lotte\n"
                                                     "20/11/2026, 21:15 - Lotte: who is this?\n");
  CHECK(c.platform == "whatsapp");
  CHECK(c.variant == "whatsapp-android-24h");
  CHECK(c.title == "Sam");
  CHECK(c.zone == "Europe/Brussels");
  CHECK(c.zone_source == "case-zone");
  CHECK(c.date_order == "day-first");
  CHECK(c.date_order_rule == "the first date field is above 12 on line 1");
  CHECK(c.participants == std::vector<std::string>{"Sam", "Lotte"});
  REQUIRE(c.messages.size() == 2);
  const auto& m = c.messages[0];
  CHECK(m.index == 0);
  CHECK(m.time_as_written == "20/11/2026, 21:14");
  CHECK(m.utc == "2026-11-20T20:14:00Z");
  CHECK(m.offset == "+01:00");
  CHECK(m.time_source == "case-zone");
  CHECK(m.sender == "Sam");
  CHECK(m.text == "hi Lotte");
  CHECK_FALSE(m.system);
  CHECK_FALSE(m.continuation);
  CHECK(m.source_file == "WhatsApp Chat with Sam.txt");
  CHECK(m.source_line == 1);
  CHECK(c.messages[1].index == 1);
  CHECK(c.messages[1].source_line == 2);
  CHECK(c.defects.empty());
}

TEST_CASE("whatsapp: Android en-US 12h, U+202F and NBSP before AM/PM, 2-digit years", "[whatsapp]") {
  const auto c = parse("WhatsApp Chat with Sam.txt", "11/20/26, 9:14\xE2\x80\xAFPM - Sam: hi\n"
                                                     "11/20/26, 9:15\xC2\xA0"
                                                     "AM - Sam: early\n"
                                                     "11/20/26, 12:05 AM - Sam: midnight\n"
                                                     "11/20/26, 12:05 PM - Sam: noon\n");
  CHECK(c.variant == "whatsapp-android-12h");
  CHECK(c.date_order == "month-first");
  CHECK(c.date_order_rule == "the second date field is above 12 on line 1");
  REQUIRE(c.messages.size() == 4);
  CHECK(c.messages[0].time_as_written == "11/20/26, 9:14\xE2\x80\xAFPM");
  CHECK(c.messages[0].utc == "2026-11-20T20:14:00Z");
  CHECK(c.messages[1].utc == "2026-11-20T08:15:00Z");
  CHECK(c.messages[2].utc == "2026-11-19T23:05:00Z");
  CHECK(c.messages[3].utc == "2026-11-20T11:05:00Z");
}

TEST_CASE("whatsapp: a.m./p.m. with a space", "[whatsapp]") {
  const auto c = parse("chat.txt", "23/06/2018, 1:55 p.m. - Loris: one\n"
                                   "23/06/2018, 1:56 a.m. - Loris: two\n");
  CHECK(c.variant == "whatsapp-android-12h");
  REQUIRE(c.messages.size() == 2);
  CHECK(c.messages[0].utc == "2018-06-23T11:55:00Z");
  CHECK(c.messages[0].offset == "+02:00");
  CHECK(c.messages[1].utc == "2018-06-22T23:56:00Z");
}

TEST_CASE("whatsapp: iOS en with seconds, U+200E marks and attachments present and missing", "[whatsapp]") {
  Export e;
  e.add("_chat.txt", "\xE2\x80\x8E[31/12/2022, 11:40:26] Sam: \xE2\x80\x8EMessages and calls are end-to-end encrypted. No one outside of "
                     "this chat, not even WhatsApp, can read or listen to them.\n"
                     "[31/12/2022, 14:17:51] Sam: \xE2\x80\x8E<attached: 00000012-PHOTO-2022-12-31-14-17-51.jpg>\n"
                     "\xE2\x80\x8E[31/12/2022, 14:18:02] Sam: \xE2\x80\x8E<attached: 00000013-AUDIO-2022-12-31-14-18-02.opus>\n"
                     "[31/12/2022, 14:19:00] Lotte: stop\n");
  e.add("00000012-PHOTO-2022-12-31-14-17-51.jpg", "jpeg");
  const auto c = chat::parse_whatsapp(e.files, brussels());
  CHECK(c.variant == "whatsapp-ios-24h-seconds");
  CHECK(c.title == "");
  CHECK(c.participants == std::vector<std::string>{"Sam", "Lotte"});
  REQUIRE(c.messages.size() == 4);
  CHECK(c.messages[0].system);
  CHECK(c.messages[0].sender == "");
  CHECK(c.messages[0].time_as_written == "31/12/2022, 11:40:26");
  CHECK(c.messages[0].utc == "2022-12-31T10:40:26Z");
  const auto& photo = c.messages[1];
  CHECK(photo.text == "\xE2\x80\x8E<attached: 00000012-PHOTO-2022-12-31-14-17-51.jpg>");
  REQUIRE(photo.attachments.size() == 1);
  CHECK(photo.attachments[0].name == "00000012-PHOTO-2022-12-31-14-17-51.jpg");
  CHECK(photo.attachments[0].rel == "00000012-PHOTO-2022-12-31-14-17-51.jpg");
  CHECK(photo.attachments[0].kind == "photo");
  REQUIRE(c.messages[2].attachments.size() == 1);
  CHECK(c.messages[2].attachments[0].rel == "");
  CHECK(c.messages[2].attachments[0].kind == "audio");
  CHECK(c.messages[2].source_line == 3);
}

TEST_CASE("whatsapp: iOS 12h with U+202F, with seconds", "[whatsapp]") {
  const auto c = parse("_chat.txt", "[1/2/21, 9:05:01\xE2\x80\xAF"
                                    "PM] Sam: hi\n"
                                    "[1/13/21, 10:00:00\xE2\x80\xAF"
                                    "AM] Sam: later\n");
  CHECK(c.variant == "whatsapp-ios-12h-seconds");
  CHECK(c.date_order == "month-first");
  CHECK(c.date_order_rule == "the second date field is above 12 on line 2");
  REQUIRE(c.messages.size() == 2);
  CHECK(c.messages[0].utc == "2021-01-02T20:05:01Z");
  CHECK(c.messages[1].utc == "2021-01-13T09:00:00Z");
}

TEST_CASE("whatsapp: Dutch layouts, markers and deleted messages", "[whatsapp]") {
  Export e;
  e.add("WhatsApp-chat met Sam.txt",
        "20-11-2026 21:14 - Berichten en oproepen worden end-to-end versleuteld. Niemand buiten deze chat kan ze "
        "lezen of beluisteren.\n"
        "20-11-2026 21:15 - Sam: <Media weggelaten>\n"
        "20-11-2026 21:16 - Sam: Dit bericht is verwijderd\n"
        "20-11-2026 21:17 - Lotte: Je hebt dit bericht verwijderd\n"
        "20-11-2026 21:18 - Sam: sorry <Dit bericht is bewerkt>\n"
        "20-11-2026 21:19 - Sam: IMG-20261120-WA0001.jpg (bestand bijgevoegd)\n"
        "kijk\n");
  e.add("IMG-20261120-WA0001.jpg", "jpeg");
  const auto c = chat::parse_whatsapp(e.files, brussels());
  CHECK(c.variant == "whatsapp-android-24h");
  CHECK(c.title == "Sam");
  REQUIRE(c.messages.size() == 6);
  CHECK(c.messages[0].system);
  CHECK(c.messages[0].sender == "");
  CHECK(c.messages[1].media_omitted);
  CHECK(c.messages[2].deleted);
  CHECK(c.messages[3].deleted);
  CHECK(c.messages[4].edited);
  CHECK(c.messages[4].text == "sorry <Dit bericht is bewerkt>");
  const auto& m = c.messages[5];
  CHECK(m.text == "IMG-20261120-WA0001.jpg (bestand bijgevoegd)\nkijk");
  CHECK(m.continuation);
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].rel == "IMG-20261120-WA0001.jpg");
  CHECK(m.attachments[0].kind == "photo");
  CHECK(c.participants == std::vector<std::string>{"Sam", "Lotte"});
}

TEST_CASE("whatsapp: Dutch iOS without comma, with seconds", "[whatsapp]") {
  const auto c = parse("_chat.txt", "[20-11-2026 21:14:07] Sam: hoi\n"
                                    "[20-11-2026 21:14:09] Sam: \xE2\x80\x8E<bijgevoegd: 00000002-VIDEO-2026-11-20-21-14-09.mp4>\n");
  CHECK(c.variant == "whatsapp-ios-24h-seconds");
  REQUIRE(c.messages.size() == 2);
  CHECK(c.messages[0].time_as_written == "20-11-2026 21:14:07");
  CHECK(c.messages[0].utc == "2026-11-20T20:14:07Z");
  REQUIRE(c.messages[1].attachments.size() == 1);
  CHECK(c.messages[1].attachments[0].kind == "video");
  CHECK(c.messages[1].attachments[0].rel == "");
}

TEST_CASE("whatsapp: French Android with 'à', markers", "[whatsapp]") {
  Export e;
  e.add("Discussion WhatsApp avec Sam.txt", "26/09/2019 à 22:39 - Les messages et les appels sont chiffrés de bout en bout.\n"
                                            "26/09/2019 à 22:40 - Sam: <Médias omis>\n"
                                            "26/09/2019 à 22:41 - Sam: Ce message a été supprimé\n"
                                            "26/09/2019 à 22:42 - Lotte: Vous avez supprimé ce message\n"
                                            "26/09/2019 à 22:43 - Sam: non <Ce message a été modifié>\n"
                                            "26/09/2019 à 22:44 - Sam: PTT-20190926-WA0003.opus (fichier joint)\n"
                                            "26/09/2019 à 22:45 - ~\xE2\x80\xAFInconnu: salut\n");
  const auto c = chat::parse_whatsapp(e.files, brussels());
  CHECK(c.variant == "whatsapp-android-24h");
  CHECK(c.title == "Sam");
  REQUIRE(c.messages.size() == 7);
  CHECK(c.messages[0].time_as_written == "26/09/2019 à 22:39");
  CHECK(c.messages[0].utc == "2019-09-26T20:39:00Z");
  CHECK(c.messages[0].offset == "+02:00");
  CHECK(c.messages[0].system);
  CHECK(c.messages[1].media_omitted);
  CHECK(c.messages[2].deleted);
  CHECK(c.messages[3].deleted);
  CHECK(c.messages[4].edited);
  REQUIRE(c.messages[5].attachments.size() == 1);
  CHECK(c.messages[5].attachments[0].kind == "audio");
  CHECK(c.messages[5].attachments[0].rel == "");
  CHECK(c.messages[6].sender == "~\xE2\x80\xAFInconnu");
  CHECK(c.participants == std::vector<std::string>{"Sam", "Lotte", "~\xE2\x80\xAFInconnu"});
}

TEST_CASE("whatsapp: French iOS attachment label with a space before the colon", "[whatsapp]") {
  const auto c = parse("_chat.txt", "[26/09/2019 22:39:10] Sam: \xE2\x80\x8E<pièce jointe : 00000003-STICKER-2019-09-26-22-39-10.webp>\n");
  REQUIRE(c.messages.size() == 1);
  REQUIRE(c.messages[0].attachments.size() == 1);
  CHECK(c.messages[0].attachments[0].name == "00000003-STICKER-2019-09-26-22-39-10.webp");
  CHECK(c.messages[0].attachments[0].kind == "sticker");
}

TEST_CASE("whatsapp: German iOS and Android, markers", "[whatsapp]") {
  const auto ios = parse("_chat.txt", "[07.03.26, 21:22:39] Sam: Hallo\n"
                                      "[07.03.26, 21:23:00] Sam: \xE2\x80\x8E<Anhang: 00000004-PHOTO-2026-03-07-21-23-00.jpg>\n"
                                      "[14.03.26, 08:00:00] Sam: Diese Nachricht wurde gelöscht.\n");
  CHECK(ios.variant == "whatsapp-ios-24h-seconds");
  CHECK(ios.date_order == "day-first");
  CHECK(ios.date_order_rule == "the first date field is above 12 on line 3");
  REQUIRE(ios.messages.size() == 3);
  CHECK(ios.messages[0].time_as_written == "07.03.26, 21:22:39");
  CHECK(ios.messages[0].utc == "2026-03-07T20:22:39Z");
  REQUIRE(ios.messages[1].attachments.size() == 1);
  CHECK(ios.messages[1].attachments[0].kind == "photo");
  CHECK(ios.messages[2].deleted);

  const auto android = parse("WhatsApp Chat mit Sam.txt", "14.03.26, 21:22 - Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt.\n"
                                                          "14.03.26, 21:23 - Sam: <Medien ausgeschlossen>\n"
                                                          "14.03.26, 21:24 - Sam: na und <Diese Nachricht wurde bearbeitet>\n"
                                                          "14.03.26, 21:25 - Sam: VID-20260314-WA0002.mp4 (Datei angehängt)\n");
  CHECK(android.variant == "whatsapp-android-24h");
  REQUIRE(android.messages.size() == 4);
  CHECK(android.messages[0].system);
  CHECK(android.messages[1].media_omitted);
  CHECK(android.messages[2].edited);
  REQUIRE(android.messages[3].attachments.size() == 1);
  CHECK(android.messages[3].attachments[0].kind == "video");
}

TEST_CASE("whatsapp: English markers", "[whatsapp]") {
  const auto c = parse("WhatsApp Chat with Sam.txt", "20/11/2026, 21:14 - Sam: <Media omitted>\n"
                                                     "20/11/2026, 21:15 - Sam: This message was deleted\n"
                                                     "20/11/2026, 21:16 - Lotte: You deleted this message\n"
                                                     "20/11/2026, 21:17 - Sam: fine <This message was edited>\n"
                                                     "20/11/2026, 21:18 - Sam: STK-20261120-WA0004.webp (file attached)\n"
                                                     "20/11/2026, 21:19 - Sam: DOC-20261120-WA0005.pdf (file attached)\n"
                                                     "20/11/2026, 21:20 - ~ Unknown joined using this group's invite link\n"
                                                     "20/11/2026, 21:21 - +32 470 12 34 56 changed their phone number to a new "
                                                     "number. Tap to message or add the new number.\n"
                                                     "20/11/2026, 21:22 - Sam changed the subject from \"a\" to \"b: c\"\n");
  REQUIRE(c.messages.size() == 9);
  CHECK(c.messages[0].media_omitted);
  CHECK(c.messages[0].text == "<Media omitted>");
  CHECK(c.messages[1].deleted);
  CHECK(c.messages[2].deleted);
  CHECK(c.messages[3].edited);
  CHECK(c.messages[3].text == "fine <This message was edited>");
  CHECK(c.messages[4].attachments.at(0).kind == "sticker");
  CHECK(c.messages[5].attachments.at(0).kind == "file");
  CHECK(c.messages[5].attachments.at(0).name == "DOC-20261120-WA0005.pdf");
  for (int i = 6; i < 9; ++i) {
    CHECK(c.messages[i].system);
    CHECK(c.messages[i].sender == "");
  }
  CHECK(c.messages[6].text == "~ Unknown joined using this group's invite link");
  CHECK(c.participants == std::vector<std::string>{"Sam", "Lotte"});
}

TEST_CASE("whatsapp: multi-line messages, empty text and a pasted header in another layout", "[whatsapp]") {
  const auto c = parse("chat.txt", "20/11/2026, 21:14 - Sam: one\n"
                                   "two\n"
                                   "\n"
                                   "[20/11/2026, 21:14:00] Sam: pasted from an iPhone\n"
                                   "20/11/2026, 21:15 - Lotte: \n"
                                   "20/11/2026, 21:16 - ~ Sam: unsaved\n");
  REQUIRE(c.messages.size() == 3);
  CHECK(c.messages[0].text == "one\ntwo\n\n[20/11/2026, 21:14:00] Sam: pasted from an iPhone");
  CHECK(c.messages[0].continuation);
  CHECK(c.messages[1].sender == "Lotte");
  CHECK(c.messages[1].text == "");
  CHECK_FALSE(c.messages[1].continuation);
  CHECK(c.messages[2].sender == "~ Sam");
  CHECK(c.messages[2].source_line == 6);
}

TEST_CASE("whatsapp: a header with a date that does not exist is text of the message before", "[whatsapp]") {
  const auto c = parse("chat.txt", "28/02/2026, 21:14 - Sam: meet on\n"
                                   "30/02/2026, 10:00 - Sam: no such day\n"
                                   "28/02/2026, 21:15 - Sam: ok\n");
  REQUIRE(c.messages.size() == 2);
  CHECK(c.messages[0].text == "meet on\n30/02/2026, 10:00 - Sam: no such day");
  CHECK(c.messages[0].continuation);
  CHECK(c.messages[1].source_line == 3);
}

TEST_CASE("whatsapp: day/month order from dates that never decrease", "[whatsapp]") {
  // 01/02 -> 01/03 -> 02/03: day first reads Feb 1, Mar 1, Mar 2 (in order); month first
  // reads Jan 2, Jan 3, Feb 3 (in order too)... so add 02/01: day first Jan 2 < Mar 2.
  const auto c = parse("chat.txt", "01/02/2026, 10:00 - Sam: a\n"
                                   "02/02/2026, 10:00 - Sam: b\n"
                                   "01/03/2026, 10:00 - Sam: c\n");
  // day first: Feb 1, Feb 2, Mar 1 (in order); month first: Jan 2, Feb 2, Jan 3 (back).
  CHECK(c.date_order == "day-first");
  CHECK(c.date_order_rule == "dates never decrease when read day-first; read month-first they go back from line 2 to line 3");
  CHECK(c.messages[2].utc == "2026-03-01T09:00:00Z");

  const auto m = parse("chat.txt", "02/01/2026, 10:00 - Sam: a\n"
                                   "02/02/2026, 10:00 - Sam: b\n"
                                   "03/01/2026, 10:00 - Sam: c\n");
  CHECK(m.date_order == "month-first");
  CHECK(m.date_order_rule == "dates never decrease when read month-first; read day-first they go back from line 2 to line 3");
  CHECK(m.messages[2].utc == "2026-03-01T09:00:00Z");

  // An explicit --date-order wins over this inference, and says so.
  const auto o = parse("chat.txt",
                       "02/01/2026, 10:00 - Sam: a\n"
                       "02/02/2026, 10:00 - Sam: b\n"
                       "03/01/2026, 10:00 - Sam: c\n",
                       brussels("day-first"));
  CHECK(o.date_order == "day-first");
  CHECK(o.date_order_rule.rfind("--date-order (the export alone suggests month-first", 0) == 0);
}

TEST_CASE("whatsapp: day/month order contradicted or undecidable", "[whatsapp]") {
  const auto contradiction = refusal("chat.txt", "13/01/2026, 10:00 - Sam: a\n"
                                                 "01/14/2026, 10:00 - Sam: b\n");
  CHECK(contradiction.find("line 1") != std::string::npos);
  CHECK(contradiction.find("line 2") != std::string::npos);

  const std::string same_day = "01/02/2026, 10:00 - Sam: a\n"
                               "01/02/2026, 11:00 - Sam: b\n";
  const auto undecided = refusal("chat.txt", same_day);
  CHECK(undecided.find("cannot be decided") != std::string::npos);
  CHECK(undecided.find("--date-order day-first|month-first") != std::string::npos);

  const auto d = parse("chat.txt", same_day, brussels("day-first"));
  CHECK(d.date_order == "day-first");
  CHECK(d.date_order_rule == "--date-order");
  CHECK(d.messages[0].utc == "2026-02-01T09:00:00Z");
  const auto m = parse("chat.txt", same_day, brussels("month-first"));
  CHECK(m.date_order == "month-first");
  CHECK(m.messages[0].utc == "2026-01-02T09:00:00Z");

  // An option against a field above 12 is refused, not obeyed.
  const auto against = refusal("chat.txt", "13/01/2026, 10:00 - Sam: a\n", brussels("month-first"));
  CHECK(against.find("contradicts") != std::string::npos);
}

TEST_CASE("whatsapp: ISO dates need no order", "[whatsapp]") {
  const auto c = parse("chat.txt", "2026-01-02 10:00 - Sam: a\n");
  CHECK(c.date_order == "");
  CHECK(c.date_order_rule == "dates written year-month-day");
  CHECK(c.messages.at(0).utc == "2026-01-02T09:00:00Z");
}

TEST_CASE("whatsapp: the autumn repeated hour is ambiguous, the spring hour does not exist", "[whatsapp]") {
  const auto c = parse("chat.txt", "25/10/2026, 01:59 - Sam: before\n"
                                   "25/10/2026, 02:30 - Sam: twice\n"
                                   "29/03/2026, 02:30 - Sam: never\n"); // dates decrease, but the first field > 12 decides
  REQUIRE(c.messages.size() == 3);
  CHECK(c.messages[0].utc == "2026-10-24T23:59:00Z");
  CHECK(c.messages[0].offset == "+02:00");
  const auto& twice = c.messages[1];
  CHECK(twice.time_ambiguous);
  CHECK(twice.utc == "");
  CHECK(twice.offset == "");
  CHECK(twice.time_candidates == std::vector<std::string>{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"});
  const auto& never = c.messages[2];
  CHECK_FALSE(never.time_ambiguous);
  CHECK(never.utc == "");
  CHECK(never.time_candidates.empty());
  REQUIRE(has_defect(c, "time-nonexistent"));
  CHECK(c.defects.at(0).message.find("line 3") != std::string::npos);
}

TEST_CASE("whatsapp: --tz is recorded as the time source", "[whatsapp]") {
  const auto c = parse("chat.txt", "20/11/2026, 21:14 - Sam: hi\n", {"America/New_York", "option", ""});
  CHECK(c.zone == "America/New_York");
  CHECK(c.zone_source == "option");
  CHECK(c.messages.at(0).time_source == "option");
  CHECK(c.messages.at(0).utc == "2026-11-21T02:14:00Z");
  CHECK(c.messages.at(0).offset == "-05:00");
}

TEST_CASE("whatsapp: BOM skipped; CR LF as iOS writes it, and on Android with a defect", "[whatsapp]") {
  // iOS: CR LF after each message, LF for a line break a person typed.
  const auto c = parse("_chat.txt", "\xEF\xBB\xBF[20/11/2026, 21:14:00] Sam: a\n"
                                    "b\r\n"
                                    "[20/11/2026, 21:15:00] Sam: c\r\n");
  REQUIRE(c.messages.size() == 2);
  CHECK(c.messages[0].time_as_written == "20/11/2026, 21:14:00");
  CHECK(c.messages[0].text == "a\nb");
  CHECK(c.messages[1].text == "c");
  CHECK(c.defects.empty());

  const auto a = parse("chat.txt", "\xEF\xBB\xBF"
                                   "20/11/2026, 21:14 - Sam: a\r\n"
                                   "b\r\n"
                                   "20/11/2026, 21:15 - Sam: c\r\n");
  REQUIRE(a.messages.size() == 2);
  CHECK(a.messages[0].text == "a\nb");
  REQUIRE(a.defects.size() == 1);
  CHECK(a.defects[0].code == "crlf-line-ends");
  CHECK(a.defects[0].message.find("3 line(s)") != std::string::npos);
}

TEST_CASE("whatsapp: a line over 1 MiB is cut, invalid UTF-8 replaced", "[whatsapp]") {
  std::string big = "20/11/2026, 21:14 - Sam: " + std::string(1024 * 1024 + 10, 'x') + "\n";
  big += "20/11/2026, 21:15 - Sam: bad \xFF byte\n";
  const auto c = parse("chat.txt", big);
  REQUIRE(c.messages.size() == 2);
  CHECK(c.messages[0].text.size() == 1024 * 1024 - std::string("20/11/2026, 21:14 - Sam: ").size());
  CHECK(has_defect(c, "line-too-long"));
  CHECK(c.messages[1].text == "bad \xEF\xBF\xBD byte");
  CHECK(has_defect(c, "invalid-utf8"));
}

TEST_CASE("whatsapp: a message over 4 MiB is cut", "[whatsapp]") {
  std::string text = "20/11/2026, 21:14 - Sam: start\n";
  const std::string line(1000 * 1000, 'y');
  for (int i = 0; i < 5; ++i)
    text += line + "\n";
  text += "20/11/2026, 21:15 - Sam: next\n";
  const auto c = parse("chat.txt", text);
  REQUIRE(c.messages.size() == 2);
  CHECK(c.messages[0].text.size() < 4 * 1024 * 1024);
  CHECK(has_defect(c, "message-too-long"));
  CHECK(c.messages[1].text == "next");
}

TEST_CASE("whatsapp: no message, no chat file, several chat files", "[whatsapp]") {
  CHECK(refusal("_chat.txt", "").find("_chat.txt") != std::string::npos);
  CHECK(refusal("_chat.txt", "hello\nworld\n").find("no line is a WhatsApp message") != std::string::npos);

  Export none;
  none.add("notes.txt", "not a chat\n");
  none.add("IMG-1.jpg", "jpeg");
  CHECK_THROWS_AS(chat::parse_whatsapp(none.files, brussels()), Error);

  Export two;
  two.add("_chat.txt", "20/11/2026, 21:14 - Sam: hi\n");
  two.add("WhatsApp Chat with Sam.txt", "20/11/2026, 21:14 - Sam: hi\n");
  CHECK_THROWS_AS(chat::parse_whatsapp(two.files, brussels()), Error);

  // A .txt shared as a document next to _chat.txt is media, not a second chat.
  Export doc;
  doc.add("_chat.txt", "[20/11/2026, 21:14:00] Sam: \xE2\x80\x8E<attached: 00000001-notes.txt>\n");
  doc.add("00000001-notes.txt", "20/11/2026, 21:14 - Sam: looks like a chat\n");
  const auto c = chat::parse_whatsapp(doc.files, brussels());
  CHECK(c.messages.at(0).source_file == "_chat.txt");
  CHECK(c.messages.at(0).attachments.at(0).rel == "00000001-notes.txt");
}

TEST_CASE("whatsapp: layouts from joweich/chat-miner's test exports", "[whatsapp]") {
  // Spanish-style "a. m." with hour 00, iOS without comma or seconds, year first with '/'.
  const auto es = parse("chat.txt", "01/01/2019, 11:25 a. m. - John Doe: Lorem ipsum dolor sit amet.\n"
                                    "01/30/2019, 08:49 p. m. - Jahn Doe: Lorem ipsum dolor sit amet,\n"
                                    "consectetur adipiscing elit. Duis libero.\n"
                                    "06/20/2020, 00:08 a. m. - +12 345 578 created group \"Groupname\"\n"
                                    "06/30/2020, 09:10 a. m. - You were added\n"
                                    "12/20/2021, 12:10 p. m. - John-John Doe: Lorem ipsum : dolor sit amet.\n");
  CHECK(es.variant == "whatsapp-android-12h");
  CHECK(es.date_order == "month-first");
  REQUIRE(es.messages.size() == 5);
  CHECK(es.messages[0].utc == "2019-01-01T10:25:00Z");
  CHECK(es.messages[1].utc == "2019-01-30T19:49:00Z");
  CHECK(es.messages[1].text == "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero.");
  CHECK(es.messages[2].utc == "2020-06-19T22:08:00Z");
  CHECK(es.messages[2].system);
  CHECK(es.messages[3].system);
  CHECK(es.messages[4].utc == "2021-12-20T11:10:00Z");
  CHECK(es.messages[4].text == "Lorem ipsum : dolor sit amet.");
  CHECK(es.participants == std::vector<std::string>{"John Doe", "Jahn Doe", "John-John Doe"});

  const auto ios = parse("_chat.txt", "[01/01/19 11:25] John Doe: Lorem ipsum dolor sit amet.\n"
                                      "[01/20/19 11:23] John Doe: x\n");
  CHECK(ios.variant == "whatsapp-ios-24h");
  CHECK(ios.date_order == "month-first");
  CHECK(ios.messages.at(1).utc == "2019-01-20T10:23:00Z");

  const auto iso = parse("chat.txt", "2019/01/01, 11:25 - John Doe: Lorem\n"
                                     "2021/12/30, 22:01 - John Doe: ipsum\n");
  CHECK(iso.variant == "whatsapp-android-24h");
  CHECK(iso.date_order == "");
  CHECK(iso.messages.at(1).utc == "2021-12-30T21:01:00Z");
}

TEST_CASE("whatsapp: iOS group events and omitted media after the chat's name", "[whatsapp]") {
  const auto c = parse("_chat.txt", "[13/03/2026, 09:14:00] Class 3B: \xE2\x80\x8E"
                                    "Sam joined using this group's invite link\n"
                                    "[13/03/2026, 09:15:00] Sam: \xE2\x80\x8Eimage omitted\n"
                                    "[13/03/2026, 09:16:00] Sam: \xE2\x80\x8EThis message was deleted.\n"
                                    "[13/03/2026, 09:17:00] Sam: I left early\n");
  REQUIRE(c.messages.size() == 4);
  CHECK(c.messages[0].system);
  CHECK(c.messages[0].sender == "");
  CHECK(c.messages[0].text == "Class 3B: \xE2\x80\x8E"
                              "Sam joined using this group's invite link");
  CHECK(c.messages[1].media_omitted);
  CHECK_FALSE(c.messages[1].system);
  CHECK(c.messages[2].deleted);
  CHECK_FALSE(c.messages[2].system);
  CHECK_FALSE(c.messages[3].system); // " left" without the mark is what a person wrote
  CHECK(c.participants == std::vector<std::string>{"Sam"});
}

TEST_CASE("whatsapp: attachments in a language the tables do not hold, by WhatsApp's media names", "[whatsapp]") {
  const auto ios = parse("_chat.txt", "[13/03/2026, 09:14:00] Sam: \xE2\x80\x8E<allegato: 00000007-PHOTO-2026-03-13-09-14-00.jpg>\n"
                                      "[13/03/2026, 09:15:00] Sam: <not: an attachment>\n");
  REQUIRE(ios.messages.at(0).attachments.size() == 1);
  CHECK(ios.messages[0].attachments[0].name == "00000007-PHOTO-2026-03-13-09-14-00.jpg");
  CHECK(ios.messages[0].attachments[0].kind == "photo");
  CHECK(ios.messages.at(1).attachments.empty());

  const auto android = parse("chat.txt", "13/03/2026, 09:14 - Sam: VID-20260313-WA0007.mp4 (file allegato)\n"
                                         "13/03/2026, 09:15 - Sam: see you (tomorrow)\n");
  REQUIRE(android.messages.at(0).attachments.size() == 1);
  CHECK(android.messages[0].attachments[0].name == "VID-20260313-WA0007.mp4");
  CHECK(android.messages[0].attachments[0].kind == "video");
  CHECK(android.messages.at(1).attachments.empty());
}

TEST_CASE("whatsapp: text before the first message, and at most 100 defects of a kind", "[whatsapp]") {
  std::string text = "exported by a tool\n20/11/2026, 21:14 - Sam: a\n";
  for (int i = 0; i < 150; ++i)
    text += "bad \xC3 byte\n";
  const auto c = parse("chat.txt", text);
  REQUIRE(c.messages.size() == 1);
  CHECK(c.messages[0].source_line == 2);
  CHECK(has_defect(c, "line-outside-message"));
  std::size_t invalid = 0;
  for (const auto& d : c.defects)
    invalid += d.code == "invalid-utf8";
  CHECK(invalid == 101);
  CHECK(c.defects.back().message == "chat.txt: 50 more 'invalid-utf8' defects not listed");
  CHECK(c.messages[0].text.substr(0, 14) == "a\nbad \xEF\xBF\xBD byte");
}

TEST_CASE("whatsapp: --date-order must be day-first or month-first", "[whatsapp]") {
  Export e;
  e.add("chat.txt", "2026-01-02 10:00 - Sam: a\n");
  try {
    chat::parse_whatsapp(e.files, brussels("dmy"));
    FAIL("accepted --date-order dmy");
  } catch (const Error& err) {
    CHECK(err.kind() == ErrorKind::usage);
  }
}

TEST_CASE("whatsapp: layouts reported in public issues", "[whatsapp]") {
  // English (Canada) and English (South Africa), Android: dimagi/open-chat-studio issue 221.
  const auto ca = parse("chat.txt", "2023-12-20, 5:46 p.m. - Farid: \xF0\x9F\x91\x8B\n");
  CHECK(ca.variant == "whatsapp-android-12h");
  CHECK(ca.messages.at(0).utc == "2023-12-20T16:46:00Z");
  CHECK(ca.messages.at(0).time_as_written == "2023-12-20, 5:46 p.m.");
  const auto za = parse("chat.txt", "2023/12/20, 5:46 pm - Farid: \xF0\x9F\x91\x8B\n");
  CHECK(za.messages.at(0).utc == "2023-12-20T16:46:00Z");

  // Spanish, a no-break space inside "p. m." and no comma: Pustur/whatsapp-chat-parser issue 224.
  const auto es = parse("chat.txt", "20/6/2017 8:28 p.\xC2\xA0m. - Michelle: test\n");
  CHECK(es.variant == "whatsapp-android-12h");
  CHECK(es.messages.at(0).sender == "Michelle");
  CHECK(es.messages.at(0).utc == "2017-06-20T18:28:00Z");

  // Spanish Android with voice notes, German iOS with the notice in English:
  // rodrigogs/whats-reader issue 78.
  Export e;
  e.add("WhatsApp Chat with user1.txt", "28/3/2025, 9:29 p. m. - user1: hola\n"
                                        "28/3/2025, 9:36 p. m. - user1: PTT-20250328-WA0014.opus (archivo adjunto)\n"
                                        "29/3/2025, 1:23 a. m. - user2:  hola\n");
  e.add("PTT-20250328-WA0014.opus", "opus");
  const auto sp = chat::parse_whatsapp(e.files, brussels());
  REQUIRE(sp.messages.size() == 3);
  CHECK(sp.messages[1].attachments.at(0).rel == "PTT-20250328-WA0014.opus");
  CHECK(sp.messages[1].attachments.at(0).kind == "audio");
  CHECK(sp.messages[2].text == " hola");
  CHECK(sp.messages[2].utc == "2025-03-29T00:23:00Z");

  const auto de = parse("_chat.txt", "[07.03.26, 21:22:39] Anna: Messages and calls are end-to-end encrypted. Only people in this chat "
                                     "can read, listen to, or share them.\n"
                                     "[07.03.26, 21:22:39] Chris: Hey \xF0\x9F\x91\x8B\n"
                                     "[17.03.26, 21:28:10] Anna: Huhu\n");
  REQUIRE(de.messages.size() == 3);
  CHECK(de.messages[0].system);
  CHECK(de.participants == std::vector<std::string>{"Chris", "Anna"});
}
