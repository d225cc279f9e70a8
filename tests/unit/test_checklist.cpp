// The police's 15 points (report/checklist) on cases built from manifest lines written by
// hand, in the line formats of person, call and checklist entries.

#include "cbkit/report/checklist.hpp"
#include "cbkit/report/report.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace cbkit::report;
using cbkit::manifest::Json;

namespace {

// A model of line 0 plus `lines` (each a JSON object with at least seq and kind).
CaseModel model_of(const std::vector<std::string>& lines) {
  CaseModel m;
  m.case_id = "BE-UNIT-1";
  m.timezone = "Europe/Brussels";
  m.utc_offset = "+01:00";
  ModelEntry zero;
  zero.kind = "case";
  zero.time = "2026-11-21T08:00:00Z";
  zero.line = Json::parse(R"({"seq":0,"kind":"case","time":"2026-11-21T08:00:00Z"})");
  m.entries.push_back(zero);
  for (const auto& text : lines) {
    ModelEntry e;
    e.line = Json::parse(text);
    e.seq = e.line["seq"].get<std::uint64_t>();
    e.kind = e.line["kind"].get<std::string>();
    e.time = "2026-11-21T09:00:00Z";
    m.entries.push_back(std::move(e));
  }
  m.seq = m.entries.back().seq;
  m.head = std::string(64, 'a');
  return m;
}

// An e-mail's headers.json with its summary's From and one Received hop.
void with_headers(CaseModel& m, std::uint64_t seq, const std::string& from) {
  for (auto& e : m.entries)
    if (e.seq == seq)
      e.derived = Json::parse(R"({"headers":[{"name":"From"},{"name":"Received"}],"received":[{"from":"x"}],)"
                              R"("summary":{"from":[{"name":"","address":")" +
                              from + R"("}],"reply_to":[],"return_path":[]}})");
}

const ChecklistPoint& point(const std::vector<ChecklistPoint>& points, int id) {
  REQUIRE(points.size() == 15);
  return points.at(static_cast<std::size_t>(id - 1));
}

const char* k_victim = R"({"seq":1,"kind":"person","files":[],"person":{"role":"victim","names":["Emma"],)"
                       R"("phones":[{"as_typed":"0470 12 34 56","e164":"+32470123456"}],"emails":["emma@school.example"]}})";
const char* k_note_with_victim_number =
    R"({"seq":2,"kind":"note","files":[],"note":{"text":"The victim's number +32 470 12 34 56 was given to the class."}})";
const char* k_suspect = R"({"seq":3,"kind":"person","files":[],"person":{"role":"suspect","names":["X"],)"
                        R"("phones":[{"as_typed":"+44 7700 900461","e164":"+447700900461"}],)"
                        R"("accounts":[{"platform":"instagram","id":"1784100000042","url":"https://instagram.com/x_hater_2026"}]}})";

} // namespace

TEST_CASE("checklist: 15 points in the police's order, each decided by a rule of the table", "[report][checklist]") {
  const auto points = evaluate_checklist(model_of({}));
  REQUIRE(points.size() == 15);
  std::set<std::string> codes;
  for (const auto& r : checklist_rules())
    CHECK(codes.insert(std::string(r.code)).second); // codes are unique
  for (int i = 0; i < 15; ++i) {
    const auto& p = points[static_cast<std::size_t>(i)];
    CHECK(p.id == i + 1);
    CHECK(codes.count(p.rule) == 1);
    // An empty case answers nothing (13 does not apply: no hidden caller).
    CHECK(p.status == (p.id == 13 ? PointStatus::not_applicable : PointStatus::missing));
  }
  CHECK(point(points, 13).rule == "no-unknown-caller-call");
  CHECK(point(points, 15).key == "calls");
}

TEST_CASE("checklist 12: the victim's number written in a note is never the suspect's", "[report][checklist]") {
  const auto points = evaluate_checklist(model_of({k_victim, k_note_with_victim_number}));
  const auto& p = point(points, 12);
  CHECK(p.status == PointStatus::missing);
  CHECK(p.rule == "suspect-phones-none");
  CHECK(p.evidence.empty());
  CHECK(p.found.empty());
  // The victim's e-mail address answers point 4 from the person entry.
  CHECK(point(points, 4).status == PointStatus::present);
  CHECK(point(points, 4).evidence == std::vector<std::uint64_t>{1});
}

TEST_CASE("checklist 12 and 11: a suspect person's phone and account", "[report][checklist]") {
  const auto points = evaluate_checklist(model_of({k_victim, k_note_with_victim_number, k_suspect}));
  const auto& p = point(points, 12);
  CHECK(p.status == PointStatus::present);
  CHECK(p.rule == "suspect-phones");
  CHECK(p.evidence == std::vector<std::uint64_t>{3});
  REQUIRE(p.found.size() == 1);
  CHECK(message_text(p.found[0], Lang::en) == "person #3 (suspect): +447700900461");
  CHECK(point(points, 11).status == PointStatus::present);
  CHECK(point(points, 2).evidence == std::vector<std::uint64_t>{3});
}

TEST_CASE("checklist 8 and 10: an e-mail attributed to nobody leaves them partial", "[report][checklist]") {
  auto m = model_of(
      {k_suspect, R"({"seq":4,"kind":"email","files":[],"email":{"from":["anon@mail.example"],"date_utc":"2026-11-20T20:00:00Z"}})"});
  with_headers(m, 4, "anon@mail.example");
  const auto points = evaluate_checklist(m);
  CHECK(point(points, 8).status == PointStatus::partial);
  CHECK(point(points, 8).rule == "emails-not-attributed");
  CHECK(point(points, 10).status == PointStatus::partial);
  CHECK(point(points, 10).rule == "suspect-addresses-emails-not-attributed");
  CHECK(point(points, 10).evidence.empty()); // the sender is not known to be the suspect
  REQUIRE(point(points, 10).missing.size() == 1);
  CHECK(message_text(point(points, 10).missing[0], Lang::en) ==
        "e-mail #4 (From anon@mail.example) is not attributed to a person (--from-person)");
  CHECK(point(points, 7).rule == "conversations-not-attributed");
}

TEST_CASE("checklist 7, 8 and 10: an e-mail from the suspect", "[report][checklist]") {
  auto m = model_of({k_suspect,
                     R"({"seq":4,"kind":"email","files":[],"email":{"from":["x@mail.example"],"date":"Fri, 20 Nov 2026 21:00:00 +0100",)"
                     R"("date_utc":"2026-11-20T20:00:00Z"},"context":{"from_person":3}})"});
  with_headers(m, 4, "x@mail.example");
  const auto points = evaluate_checklist(m);
  CHECK(point(points, 8).status == PointStatus::present);
  CHECK(point(points, 8).evidence == std::vector<std::uint64_t>{4});
  CHECK(point(points, 10).status == PointStatus::present);
  CHECK(point(points, 10).evidence == std::vector<std::uint64_t>{4});
  CHECK(point(points, 7).status == PointStatus::present);
  // The suspect's identifiers name where each came from.
  const auto persons = collect_persons(m);
  REQUIRE(persons.size() == 1);
  bool from_email = false;
  for (const auto& id : persons[0].identifiers)
    if (id.type == "email" && id.value == "x@mail.example" && id.source == 4 && id.via == "email-from") from_email = true;
  CHECK(from_email);
}

TEST_CASE("checklist 13, 14, 15: a withheld call with its recording", "[report][checklist]") {
  const auto points = evaluate_checklist(
      model_of({R"({"seq":5,"kind":"call","files":[{"path":"evidence/000005-call/call.m4a","role":"recording","media_type":"audio/mp4"}],)"
                R"("call":{"direction":"incoming","at":{"as_typed":"2026-11-20T21:14","utc":"2026-11-20T20:14:00Z","offset":"+01:00",)"
                R"("zone_source":"case-zone"},"from":{"withheld":true},"to":{"number":{"as_typed":"0470 12 34 56","e164":"+32470123456"}},)"
                R"("duration_seconds":95,"recording":"evidence/000005-call/call.m4a"}})"}));
  for (int id : {13, 14, 15}) {
    INFO("point " << id);
    CHECK(point(points, id).status == PointStatus::present);
    CHECK(point(points, id).evidence == std::vector<std::uint64_t>{5});
  }
  CHECK(message_text(point(points, 13).found.at(0), Lang::nl) ==
        "oproep #5: 2026-11-20T20:14:00Z, nummer van de oproeper afgeschermd, slachtoffer opgeroepen op +32470123456");
  // A withheld number is no phone number of the suspect.
  CHECK(point(points, 12).status == PointStatus::missing);
}

TEST_CASE("checklist 14: a voice message stored as a file is not a call recording", "[report][checklist]") {
  const auto points = evaluate_checklist(model_of({R"({"seq":1,"kind":"file","files":[{"path":"evidence/000001-file/voice.ogg",)"
                                                   R"("media_type":"audio/ogg"}],"context":{"kind":"voice-message"}})"}));
  const auto& p = point(points, 14);
  CHECK(p.status == PointStatus::missing);
  CHECK(p.rule == "call-recordings-none");
  CHECK(p.evidence.empty());
  REQUIRE(p.missing.size() == 2);
  CHECK(message_text(p.missing[1], Lang::en).starts_with("file #1: evidence/000001-file/voice.ogg is audio or video stored as a file"));
}

TEST_CASE("checklist: a checklist entry makes its point not applicable; the newest wins", "[report][checklist]") {
  const auto points = evaluate_checklist(
      model_of({R"({"seq":1,"kind":"checklist","files":[],"checklist":{"point":4,"status":"not-applicable","because":"old"}})",
                R"({"seq":2,"kind":"checklist","files":[],"checklist":{"point":4,"status":"not-applicable","because":"no e-mail used"}})",
                R"({"seq":3,"kind":"checklist","files":[],"checklist":{"point":99,"status":"not-applicable","because":"x"}})"}));
  const auto& p = point(points, 4);
  CHECK(p.status == PointStatus::not_applicable);
  CHECK(p.rule == "user-not-applicable");
  CHECK(p.evidence == std::vector<std::uint64_t>{2});
  REQUIRE(p.reason);
  CHECK(message_text(*p.reason, Lang::fr) == "décision n° 2 sur la liste de contrôle : no e-mail used");
  for (const auto& q : points)
    if (q.id != 4 && q.id != 13) CHECK(q.status == PointStatus::missing);
}

TEST_CASE("checklist: calls only in free-text notes are partial, never present", "[report][checklist]") {
  const auto points = evaluate_checklist(
      model_of({R"({"seq":1,"kind":"note","files":[],"note":{"text":"Called by +32 470 99 99 99"},"context":{"kind":"phone-call"}})"}));
  CHECK(point(points, 15).status == PointStatus::partial);
  CHECK(point(points, 15).rule == "calls-in-notes-only");
  CHECK(point(points, 12).status == PointStatus::missing);
}

TEST_CASE("checklist: every message of a rich case exists in en, nl and fr", "[report][checklist]") {
  auto m =
      model_of({k_victim, k_note_with_victim_number, k_suspect,
                R"({"seq":4,"kind":"email","files":[],"email":{"from":["a@b.example"],"to":["emma@school.example"]}})",
                R"({"seq":5,"kind":"call","files":[],"call":{"direction":"incoming","at":{"utc":"bad"},"from":{"unknown":true},"to":{}}})",
                R"({"seq":6,"kind":"note","files":[],"note":{"text":"sent a photo"},"context":{"kind":"requested-action"}})",
                R"({"seq":7,"kind":"file","files":[{"path":"evidence/000007-file/chat.txt","media_type":"text/plain"}],)"
                R"("context":{"kind":"chat-export","from_person":3,"platform":"whatsapp"}})"});
  for (const Lang lang : {Lang::en, Lang::nl, Lang::fr}) {
    for (const auto& p : evaluate_checklist(m)) {
      CHECK_NOTHROW(tr(lang, p.title_key));
      for (const auto* list : {&p.found, &p.missing})
        for (const auto& msg : *list)
          CHECK_NOTHROW(message_text(msg, lang));
      if (p.reason) CHECK_NOTHROW(message_text(*p.reason, lang));
    }
  }
  const auto points = evaluate_checklist(m);
  CHECK(point(points, 13).status == PointStatus::partial);
  CHECK(point(points, 9).status == PointStatus::partial); // the requested action has no time
  CHECK(point(points, 7).status == PointStatus::partial); // the chat's time zone is not read
  // JSON: ids in order, stable keys beside the texts.
  const Json j = report_json(m, Lang::nl);
  REQUIRE(j["checklist"].size() == 15);
  CHECK(j["checklist"][14]["text"] == "Datum, uur en nummer van de oproep");
  CHECK(j["checklist"][12]["status"] == "partial");
  CHECK(j["persons"][1]["role"] == "suspect");
}

TEST_CASE("checklist 7: an e-mail from the suspect whose Date has no time zone (-0000)", "[report][checklist]") {
  const auto points = evaluate_checklist(model_of(
      {k_suspect, R"({"seq":4,"kind":"email","files":[],"email":{"from":["x@mail.example"],"date":"Fri, 20 Nov 2026 21:00:00 -0000",)"
                  R"("date_utc":"2026-11-20T21:00:00Z"},"context":{"from_person":3}})"}));
  CHECK(point(points, 7).status == PointStatus::partial);
  CHECK(point(points, 7).rule == "conversations-some-undated");
  REQUIRE(point(points, 7).missing.size() == 1);
  CHECK(point(points, 7).missing[0].key == "miss_email_zone");
}

TEST_CASE("checklist 1, 2 and 11: a capture's identity findings, the subject's only, marked as found by cbkit", "[report][checklist]") {
  auto m = model_of({R"({"seq":1,"kind":"web","files":[],"web":{"url":"https://www.instagram.com/samh/","status":200}})"});
  m.entries.back().derived = Json::parse(
      R"({"identity":{"rules_version":"cbkit-identity-rules 1","findings":[)"
      R"({"platform":"instagram","role":"subject","field":"account_id","value":"1234567","rule":"instagram.profile-id",)"
      R"("warc_record_id":"<urn:uuid:1>","where":"body","offset":42,"confidence":"high"},)"
      R"({"platform":"instagram","role":"subject","field":"profile_url","value":"https://www.instagram.com/samh/","rule":"instagram.url.profile",)"
      R"("warc_record_id":"<urn:uuid:1>","where":"target-uri","offset":0,"confidence":"medium"},)"
      R"({"platform":"instagram","role":"viewer","field":"account_id","value":"999","rule":"instagram.viewer-id",)"
      R"("warc_record_id":"<urn:uuid:1>","where":"body","offset":7,"confidence":"medium"}],"notes":[]}})");
  const auto points = evaluate_checklist(m);
  const auto& p2 = point(points, 2);
  CHECK(p2.status == PointStatus::present);
  REQUIRE(p2.found.size() == 1); // the viewer's id is not an answer
  CHECK(message_text(p2.found[0], Lang::en) ==
        "capture #1: 1234567 (instagram) (found by cbkit, rule instagram.profile-id, WARC record <urn:uuid:1>, offset 42 in the body, "
        "confidence high)");
  for (const Lang lang : {Lang::en, Lang::nl, Lang::fr, Lang::de})
    CHECK(message_text(p2.found[0], lang).find("instagram.profile-id") != std::string::npos);
  CHECK(point(points, 1).found.size() == 2);
  const auto& p11 = point(points, 11);
  CHECK(p11.rule == "profile-not-attributed");
  REQUIRE(p11.missing.size() == 1);
  CHECK(message_text(p11.missing[0], Lang::en).find("instagram id 1234567") != std::string::npos);
  CHECK(message_text(p11.missing[0], Lang::en).find("999") == std::string::npos);
}
