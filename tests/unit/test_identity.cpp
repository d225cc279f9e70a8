#include "cbkit/capture/identity.hpp"
#include "cbkit/capture/warc.hpp"
#include "gzip.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <cstdio>
#include <set>

using namespace cbkit;
using cbkit::test::TempDir;
using cbkit::test::write_file;

namespace {

const std::string k_html_head = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n";
const std::string k_json_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n";

// The findings of one role and field, as values.
std::vector<std::string> values(const capture::IdentityResult& r, const std::string& role, const std::string& field) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) {
    if (f.role == role && f.field == field) out.push_back(f.value);
  }
  return out;
}

const capture::IdentityFinding* find(const capture::IdentityResult& r, const std::string& role, const std::string& field,
                                     const std::string& value) {
  for (const auto& f : r.findings) {
    if (f.role == role && f.field == field && f.value == value) return &f;
  }
  return nullptr;
}

// The offset a finding gives must point at its value in the body.
void check_offset(const capture::IdentityFinding& f, const std::string& body) {
  REQUIRE(f.where == "body");
  REQUIRE(f.offset + f.value.size() <= body.size());
  CHECK(body.substr(f.offset, f.value.size()) == f.value);
}

} // namespace

TEST_CASE("identity rules: every row has an id, a known platform, role, field, confidence and a comment", "[identity]") {
  std::set<std::string> ids;
  const std::set<std::string> platforms = {"instagram", "facebook", "x", "tiktok", "youtube", "snapchat", "web"};
  std::set<std::string> seen;
  for (const auto& r : capture::identity_rules()) {
    CHECK(ids.insert(r.id).second);
    CHECK(platforms.count(r.platform) == 1);
    CHECK((r.role == "subject" || r.role == "viewer"));
    CHECK((r.confidence == "high" || r.confidence == "medium" || r.confidence == "low"));
    CHECK(!r.field.empty());
    CHECK(r.reads.size() > 10);
    seen.insert(r.platform);
  }
  CHECK(seen == platforms);
}

TEST_CASE("identity: Instagram profile HTML gives the id and handle; the logged-in viewer stays the viewer", "[identity]") {
  const std::string body = "<html><head><link rel=\"canonical\" href=\"https://www.instagram.com/sam.harasser/\">"
                           "<script type=\"application/json\">{\"config\":{\"viewerId\":\"999000111\"},"
                           "\"page_id\":\"profilePage_1234567\",\"profile_id\":\"1234567\"}</script></head></html>";
  const auto r = capture::scan_identity_response("https://www.instagram.com/sam.harasser/", k_html_head, body, "<urn:uuid:a>");
  CHECK(values(r, "subject", "account_id") == std::vector<std::string>{"1234567"});
  CHECK(values(r, "viewer", "account_id") == std::vector<std::string>{"999000111"});
  CHECK(values(r, "subject", "handle") == std::vector<std::string>{"sam.harasser"});
  const auto* id = find(r, "subject", "account_id", "1234567");
  REQUIRE(id != nullptr);
  CHECK(id->platform == "instagram");
  CHECK(id->rule == "instagram.profile-page");
  CHECK(id->confidence == "high");
  CHECK(id->record_id == "<urn:uuid:a>");
  check_offset(*id, body);
  const auto* handle = find(r, "subject", "handle", "sam.harasser");
  REQUIRE(handle != nullptr);
  CHECK(handle->where == "target-uri");
  CHECK(handle->offset == std::string("https://www.instagram.com/").size());
  CHECK(r.findings.front().role == "subject");
  CHECK(capture::identity_summary(capture::identity_json(r)) == "instagram id 1234567 (@sam.harasser)");
}

TEST_CASE("identity: Instagram XHR web_profile_info and a post URL", "[identity]") {
  const std::string body = "{\"data\":{\"user\":{\"biography\":\"hi\",\"full_name\":\"Sam \\u00c9\",\"id\":\"1234567\","
                           "\"username\":\"sam.harasser\",\"edge_owner_to_timeline_media\":{\"edges\":[{\"node\":{\"id\":\"42\","
                           "\"owner\":{\"id\":\"1234567\"}}}]}}}}";
  const auto r =
      capture::scan_identity_response("https://www.instagram.com/api/v1/users/web_profile_info/?username=sam.harasser", k_json_head, body);
  CHECK(values(r, "subject", "account_id") == std::vector<std::string>{"1234567"});
  CHECK(values(r, "subject", "handle") == std::vector<std::string>{"sam.harasser"});
  CHECK(values(r, "subject", "display_name") == std::vector<std::string>{"Sam \xC3\x89"});
  CHECK(find(r, "subject", "account_id", "1234567")->rule == "instagram.web-profile-info.id");

  const auto post2 = capture::scan_identity_response("https://www.instagram.com/p/BAAAA/", k_html_head, "<html></html>");
  CHECK(values(post2, "subject", "post_id") == std::vector<std::string>{std::to_string(1ull << 24)});
}

TEST_CASE("identity: Instagram viewer from the ds_user_id cookie, never the subject", "[identity]") {
  const std::string head = "HTTP/1.1 200 OK\r\nSet-Cookie: ds_user_id=555666777; Path=/; Secure\r\nContent-Type: text/html\r\n\r\n";
  const auto r = capture::scan_identity_response("https://www.instagram.com/explore/", head, "<html>no marker</html>");
  CHECK(values(r, "viewer", "account_id") == std::vector<std::string>{"555666777"});
  CHECK(values(r, "subject", "account_id").empty());
  CHECK(values(r, "subject", "handle").empty()); // explore is a page, not an account
  const auto* v = find(r, "viewer", "account_id", "555666777");
  REQUIRE(v != nullptr);
  CHECK(v->where == "http-head");
  CHECK(head.substr(v->offset, 9) == "555666777");
  CHECK(capture::identity_summary(capture::identity_json(r)).empty());
}

TEST_CASE("identity: Facebook profile state, app link meta tag and viewer", "[identity]") {
  const std::string body = "<html><head><meta property=\"al:android:url\" content=\"fb://profile/100012345678901\">"
                           "</head><script>{\"actorID\":\"100099999999999\",\"userVanity\":\"sam.h\",\"userID\":\"100012345678901\","
                           "\"viewerID\":\"100099999999999\"}</script></html>";
  const auto r = capture::scan_identity_response("https://www.facebook.com/sam.h", k_html_head, body);
  CHECK(values(r, "subject", "account_id") == std::vector<std::string>{"100012345678901"});
  CHECK(values(r, "viewer", "account_id") == std::vector<std::string>{"100099999999999"});
  CHECK(values(r, "subject", "handle") == std::vector<std::string>{"sam.h"});
  const auto* id = find(r, "subject", "account_id", "100012345678901");
  CHECK(id->rule == "facebook.al-android-profile");
  check_offset(*id, body);
  CHECK(id->confidence == "high");
}

TEST_CASE("identity: X GraphQL UserByScreenName, a status URL with its snowflake time, and the twid cookie", "[identity]") {
  const std::string body =
      "{\"data\":{\"user\":{\"result\":{\"__typename\":\"User\",\"id\":\"VXNlcjo0NDE5NjM5Nw==\",\"rest_id\":\"44196397\","
      "\"legacy\":{\"name\":\"Sam H\",\"screen_name\":\"samh\"}}}}}";
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n";
  const auto r =
      capture::scan_identity_response("https://x.com/i/api/graphql/abc/UserByScreenName?variables=%7B%7D", head, body, "<urn:uuid:x>");
  CHECK(values(r, "subject", "account_id") == std::vector<std::string>{"44196397"});
  CHECK(values(r, "subject", "handle") == std::vector<std::string>{"samh"});
  CHECK(values(r, "subject", "display_name") == std::vector<std::string>{"Sam H"});
  CHECK(values(r, "viewer", "account_id").empty()); // the Viewer query's rule is for other responses
  CHECK(r.notes.empty());
  check_offset(*find(r, "subject", "account_id", "44196397"), body);

  const std::string req_head = "HTTP/1.1 200 OK\r\nSet-Cookie: twid=u%3D777888; Path=/\r\n\r\n";
  const auto s = capture::scan_identity_response("https://x.com/samh/status/1577730467436138524", req_head, "<html></html>");
  CHECK(values(s, "subject", "post_id") == std::vector<std::string>{"1577730467436138524"});
  // (1577730467436138524 >> 22) + 1288834974657 ms
  CHECK(values(s, "subject", "post_created") == std::vector<std::string>{"2022-10-05T18:40:30.908000Z"});
  CHECK(values(s, "viewer", "account_id") == std::vector<std::string>{"777888"});
  CHECK(values(s, "subject", "handle") == std::vector<std::string>{"samh"});
}

TEST_CASE("identity: TikTok rehydration state with the viewer's app context before the user detail", "[identity]") {
  const std::string body =
      "<script id=\"__UNIVERSAL_DATA_FOR_REHYDRATION__\" type=\"application/json\">{\"__DEFAULT_SCOPE__\":{"
      "\"webapp.app-context\":{\"user\":{\"uid\":\"6999000000000000001\",\"uniqueId\":\"victim_own\"}},"
      "\"webapp.user-detail\":{\"userInfo\":{\"user\":{\"id\":\"6812345678901234567\",\"shortId\":\"\",\"uniqueId\":\"sam_h\","
      "\"nickname\":\"Sam\",\"secUid\":\"MS4wLjABAAAAabcDEF_-123\"}}}}}</script>";
  const auto r = capture::scan_identity_response("https://www.tiktok.com/@sam_h", k_html_head, body);
  CHECK(values(r, "subject", "account_id") == std::vector<std::string>{"6812345678901234567"});
  CHECK(values(r, "subject", "handle") == std::vector<std::string>{"sam_h"});
  CHECK(values(r, "subject", "secondary_id") == std::vector<std::string>{"MS4wLjABAAAAabcDEF_-123"});
  CHECK(values(r, "viewer", "account_id") == std::vector<std::string>{"6999000000000000001"});
  CHECK(values(r, "viewer", "handle") == std::vector<std::string>{"victim_own"});
  CHECK(find(r, "subject", "account_id", "6812345678901234567")->rule == "tiktok.user-detail.id");

  const std::string sigi =
      "<script id=\"SIGI_STATE\">{\"UserModule\":{},\"userInfo\":{\"user\":{\"id\":\"123\",\"uniqueId\":\"old_style\"}}}</script>";
  const auto o = capture::scan_identity_response("https://www.tiktok.com/@old_style", k_html_head, sigi);
  CHECK(values(o, "subject", "account_id") == std::vector<std::string>{"123"});
}

TEST_CASE("identity: YouTube channel meta tag, externalId and a watch page's videoDetails", "[identity]") {
  const std::string channel = "<meta itemprop=\"channelId\" content=\"UCabcdefghijklmnopqrstuv\">"
                              "{\"channelMetadataRenderer\":{\"externalId\":\"UCabcdefghijklmnopqrstuv\"}}";
  const auto c = capture::scan_identity_response("https://www.youtube.com/@samh", k_html_head, channel);
  CHECK(values(c, "subject", "account_id") == std::vector<std::string>{"UCabcdefghijklmnopqrstuv"});
  CHECK(values(c, "subject", "handle") == std::vector<std::string>{"samh"});
  const std::string watch = "var ytInitialPlayerResponse = {\"videoDetails\":{\"videoId\":\"dQw4w9WgXcQ\",\"channelId\":"
                            "\"UCzyxwvutsrqponmlkjihgfe\",\"author\":\"Sam\"}};";
  const auto w = capture::scan_identity_response("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1", k_html_head, watch);
  CHECK(values(w, "subject", "account_id") == std::vector<std::string>{"UCzyxwvutsrqponmlkjihgfe"});
  CHECK(values(w, "subject", "post_id") == std::vector<std::string>{"dQw4w9WgXcQ"});
}

TEST_CASE("identity: Snapchat and generic pages", "[identity]") {
  const auto s = capture::scan_identity_response("https://www.snapchat.com/add/sam.h", k_html_head, "<html></html>");
  CHECK(values(s, "subject", "handle") == std::vector<std::string>{"sam.h"});
  const std::string ld = "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"Person\","
                         "\"name\":\"Sam &amp; co\",\"alternateName\":\"samh\",\"identifier\":\"98765\"}</script>"
                         "<meta property=\"og:url\" content=\"https://forum.example/u/samh\">";
  const auto g = capture::scan_identity_response("https://forum.example/u/samh", k_html_head, ld);
  CHECK(values(g, "subject", "account_id") == std::vector<std::string>{"98765"});
  CHECK(values(g, "subject", "handle") == std::vector<std::string>{"samh"});
  CHECK(values(g, "subject", "canonical_url") == std::vector<std::string>{"https://forum.example/u/samh"});
  CHECK(find(g, "subject", "account_id", "98765")->platform == "web");
}

TEST_CASE("identity: a page with no marker gives no finding", "[identity]") {
  const std::string body = "<html><head><title>Hello</title></head><body>{\"id\":\"12345\",\"user\":\"x\"} profile_id 7</body></html>";
  CHECK(capture::scan_identity_response("https://www.instagram.com/explore/", k_html_head, body).findings.empty());
  CHECK(capture::scan_identity_response("https://example.org/", k_html_head, body).findings.empty());
  CHECK(capture::scan_identity_response("https://example.org/", k_html_head, "").findings.empty());
}

TEST_CASE("identity: conflicting subject ids are all reported, with low confidence and a note", "[identity]") {
  const std::string body = "{\"profile_id\":\"111\"} {\"profile_id\":\"222\"}";
  const auto r = capture::scan_identity_response("https://www.instagram.com/samh/", k_html_head, body);
  CHECK(values(r, "subject", "account_id") == std::vector<std::string>{"111", "222"});
  for (const auto& f : r.findings) {
    if (f.field == "account_id") CHECK(f.confidence == "low");
  }
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0].find("111, 222") != std::string::npos);
  CHECK(capture::identity_summary(capture::identity_json(r)).find("[conflicting]") != std::string::npos);
}

TEST_CASE("identity: a page served from elsewhere that claims a platform's URL gets low confidence", "[identity]") {
  const std::string body = "<link rel=\"canonical\" href=\"https://www.instagram.com/samh/\">{\"profile_id\":\"1234567\"}";
  const auto r = capture::scan_identity_response("http://127.0.0.1:8080/samh/", k_html_head, body);
  const auto* f = find(r, "subject", "account_id", "1234567");
  REQUIRE(f != nullptr);
  CHECK(f->platform == "instagram");
  CHECK(f->confidence == "low");
  CHECK(f->note.find("canonical") != std::string::npos);
}

TEST_CASE("identity: hostile input stays bounded", "[identity]") {
  // Deeply nested JSON, invalid UTF-8, unterminated strings and a huge body: no crash, no finding.
  std::string deep(200000, '[');
  deep += "{\"profile_id\":\"\xff\xfe\"}";
  CHECK(values(capture::scan_identity_response("https://www.instagram.com/samh/", k_html_head, deep), "subject", "account_id").empty());
  std::string huge(capture::k_identity_max_decoded + 1000, 'a');
  huge.replace(huge.size() - 100, 20, "{\"profile_id\":\"77\"}");
  CHECK(values(capture::scan_identity_response("https://www.instagram.com/samh/", k_html_head, huge), "subject", "account_id").empty());
  std::string many;
  for (int i = 0; i < 100000; ++i)
    many += "\"id\":\"";
  CHECK(capture::scan_identity_response("https://www.tiktok.com/@x", k_html_head, many + "\"userInfo\"").findings.size() <= 3);
  // Tags that never close, quotes that never end: each is looked at within a bounded window.
  std::string tags;
  while (tags.size() < (8u << 20))
    tags += "<meta property=\"og:url\" content=\"http://a/";
  CHECK(capture::scan_identity_response("https://example.org/", k_html_head, tags).findings.empty());
  const std::string name = "{\"@type\":\"Person\",\"name\":\"\xc3\x28 bad\"}";
  const auto r = capture::scan_identity_response("https://example.org/", k_html_head, name);
  REQUIRE(values(r, "subject", "display_name").size() == 1);
  CHECK(values(r, "subject", "display_name")[0].find("bad") != std::string::npos);
}

TEST_CASE("identity: read from a WARC, gzip and chunked bodies decoded, XHR responses too", "[identity]") {
  TempDir tmp;
  const auto path = tmp.path() / "c.warc.gz";
  std::string page_id, xhr_id;
  const std::string page = "<html><script>{\"config\":{\"viewerId\":\"999\"},\"profile_id\":\"1234567\"}</script></html>";
  const std::string xhr = "{\"data\":{\"user\":{\"id\":\"1234567\",\"username\":\"samh\"}}}";
  {
    capture::WarcWriter w(path);
    capture::WarcRecord info;
    info.type = "warcinfo";
    info.date = "2026-11-30T10:00:00.000000Z";
    info.content_type = "application/warc-fields";
    info.prefix = "software: test\r\n";
    const std::string info_id = w.append(info).record_id;
    const auto add = [&](const std::string& uri, const std::string& head, const std::string& body) {
      write_file(tmp.path() / "body", body);
      capture::WarcExchange x;
      x.target_uri = uri;
      x.date = info.date;
      x.warcinfo_id = info_id;
      x.request = "GET / HTTP/1.1\r\nHost: www.instagram.com\r\nCookie: ds_user_id=999; sessionid=s\r\n\r\n";
      x.response_head = head;
      x.response_body = tmp.path() / "body";
      return capture::append_exchange(w, x).response_id;
    };
    page_id = add("https://www.instagram.com/samh/", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/html\r\n\r\n",
                  cbkit::test::gzip(page));
    char size_hex[16];
    std::snprintf(size_hex, sizeof size_hex, "%zx", xhr.size());
    const std::string chunked = std::string(size_hex) + "\r\n" + xhr + "\r\n0\r\n\r\n";
    xhr_id = add("https://www.instagram.com/api/v1/users/web_profile_info/?username=samh",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n", chunked);
    w.close(false);
  }
  const auto r = capture::scan_identity_warc(path);
  CHECK(values(r, "subject", "account_id") == std::vector<std::string>{"1234567"});
  CHECK(values(r, "viewer", "account_id") == std::vector<std::string>{"999"});
  CHECK(values(r, "subject", "handle") == std::vector<std::string>{"samh"});
  const auto* id = find(r, "subject", "account_id", "1234567");
  CHECK(id->record_id == page_id);
  CHECK(page.substr(id->offset, 7) == "1234567");
  const auto* handle = find(r, "subject", "handle", "samh");
  CHECK(handle->record_id == xhr_id); // the XHR's username (high) is stronger than the page's URL (medium)
  CHECK(handle->rule == "instagram.web-profile-info.username");
  CHECK(r.notes.empty());
  const auto j = capture::identity_json(r);
  CHECK(j["rules_version"] == capture::k_identity_rules_version);
  CHECK(j["findings"][0]["warc_record_id"] == page_id);
}

TEST_CASE("identity: a handle found with its @ is shown with one @", "[identity]") {
  const util::Json findings = util::Json::parse(R"({"rules_version":"cbkit-identity-rules 1","findings":[)"
                                                R"({"platform":"instagram","role":"subject","field":"account_id","value":"1784100000042"},)"
                                                R"({"platform":"instagram","role":"subject","field":"handle","value":"@x_hater_2026"}]})");
  CHECK(capture::identity_summary(findings) == "instagram id 1784100000042 (@x_hater_2026)");
}
