// The identity rules, version k_identity_rules_version ("cbkit-identity-rules 1"). A row
// that is added, removed or changed needs a new version: verify re-derives the findings of
// a capture with the rules it was made with, and refuses to compare across versions.
//
// Sources (read, not copied): yt-dlp yt_dlp/extractor/tiktok.py and youtube.py, gallery-dl
// gallery_dl/extractor/instagram.py and facebook.py, collected in NOTES "Account IDs in
// captured pages". Rows marked "not confirmed" rest on observation only; they are viewer
// rules, kept so that the logged-in account is recognised as such and never taken for the
// subject.

#include "identity_rules.hpp"

namespace cbkit::capture::identity_table {

namespace {
constexpr const char* S = "subject";
constexpr const char* V = "viewer";
} // namespace

// clang-format off
const Rule k_rules[] = {
  // ------------------------------------------------------------------ Instagram
  {"instagram.profile-page", "instagram", S, "account_id", "high", Kind::prefix, "profilePage_", Value::digits, "", "", 0, "", "", false,
   "older profile HTML: \"page_id\":\"profilePage_<id>\" (gallery-dl instagram.py)"},
  {"instagram.profile-id", "instagram", S, "account_id", "high", Kind::json, "profile_id", Value::digits, "", "", 0, "", "", false,
   "profile HTML: \"profile_id\":\"<id>\" (gallery-dl instagram.py)"},
  {"instagram.web-profile-info.id", "instagram", S, "account_id", "high", Kind::json, "id", Value::digits, "", "\"user\"", 65536,
   "\"edge_owner_to_timeline_media\"", "web_profile_info", true,
   "XHR api/v1/users/web_profile_info/?username=: data.user.id, the first id of the user object (gallery-dl instagram.py)"},
  {"instagram.web-profile-info.username", "instagram", S, "handle", "high", Kind::json, "username", Value::handle, "", "\"user\"", 65536,
   "\"edge_owner_to_timeline_media\"", "web_profile_info", true, "XHR web_profile_info: data.user.username (gallery-dl instagram.py)"},
  {"instagram.web-profile-info.full-name", "instagram", S, "display_name", "medium", Kind::json, "full_name", Value::text, "", "\"user\"",
   65536, "\"edge_owner_to_timeline_media\"", "web_profile_info", true, "XHR web_profile_info: data.user.full_name"},
  {"instagram.owner-id", "instagram", S, "account_id", "medium", Kind::json, "id", Value::digits, "", "\"owner\"", 48, "", "", true,
   "post JSON: owner.id, the author of the post shown (NOTES; gallery-dl instagram.py)"},
  {"instagram.url.post", "instagram", S, "post_id", "high", Kind::uri, "/p/{v}", Value::ig_shortcode, "", "", 0, "", "", false,
   "the URL asked for, /p/<shortcode>/: the media id in a base64 alphabet (NOTES)"},
  {"instagram.url.reel", "instagram", S, "post_id", "high", Kind::uri, "/reel/{v}", Value::ig_shortcode, "", "", 0, "", "", false,
   "the URL asked for, /reel/<shortcode>/: as /p/"},
  {"instagram.url.handle", "instagram", S, "handle", "medium", Kind::uri, "/{v}", Value::handle, "", "", 0, "", "", false,
   "the URL asked for, instagram.com/<handle>/ (a handle can be renamed)"},
  {"instagram.url.profile", "instagram", S, "profile_url", "medium", Kind::uri, "/{*}", Value::whole_uri, "", "", 0, "", "", false,
   "the URL asked for when it is a profile's, instagram.com/<handle>/"},
  {"instagram.viewer-id", "instagram", V, "account_id", "medium", Kind::json, "viewerId", Value::digits, "", "", 0, "", "", false,
   "the logged-in account in the page's configuration (not confirmed)"},
  {"instagram.viewer-cookie", "instagram", V, "account_id", "high", Kind::cookie, "ds_user_id", Value::digits, "", "", 0, "", "", false,
   "the cookie that names the logged-in account's id, sent or set (not confirmed)"},

  // ------------------------------------------------------------------ Facebook
  {"facebook.al-android-profile", "facebook", S, "account_id", "high", Kind::meta, "al:android:url", Value::digits, "fb://profile/", "",
   0, "", "", false, "<meta property=\"al:android:url\" content=\"fb://profile/<id>\"> (NOTES; gallery-dl facebook.py)"},
  {"facebook.user-id-vanity", "facebook", S, "account_id", "high", Kind::json, "userID", Value::digits, "", "\"userVanity\"", 256, "", "",
   false, "profile page state: \"userVanity\":\"<handle>\",\"userID\":\"<id>\" (gallery-dl facebook.py)"},
  {"facebook.user-id", "facebook", S, "account_id", "medium", Kind::json, "userID", Value::digits, "", "", 0, "", "", false,
   "\"userID\":\"<id>\" without its userVanity beside it (gallery-dl facebook.py)"},
  {"facebook.user-vanity", "facebook", S, "handle", "high", Kind::json, "userVanity", Value::handle, "", "", 0, "", "", false,
   "profile page state: \"userVanity\":\"<handle>\" (gallery-dl facebook.py)"},
  {"facebook.owner-user", "facebook", S, "account_id", "medium", Kind::json, "id", Value::digits, "", "\"owner\":{\"__typename\":\"User\"",
   64, "", "", true, "post state: \"owner\":{\"__typename\":\"User\",\"id\":\"<id>\"}, the author of the post shown (NOTES)"},
  {"facebook.url.profile-php", "facebook", S, "account_id", "medium", Kind::uri, "/profile.php?id={v}", Value::digits, "", "", 0, "", "",
   false, "the URL asked for, facebook.com/profile.php?id=<id>"},
  {"facebook.url.handle", "facebook", S, "handle", "medium", Kind::uri, "/{v}", Value::handle, "", "", 0, "", "", false,
   "the URL asked for, facebook.com/<handle>"},
  {"facebook.url.profile", "facebook", S, "profile_url", "medium", Kind::uri, "/{*}", Value::whole_uri, "", "", 0, "", "", false,
   "the URL asked for when it is a profile's, facebook.com/<handle> or profile.php?id="},
  {"facebook.viewer-id", "facebook", V, "account_id", "high", Kind::json, "viewerID", Value::digits, "", "", 0, "", "", false,
   "\"viewerID\":\"<id>\" beside userID/userVanity in profile state: the logged-in account (null when logged out)"},
  {"facebook.viewer-user-id", "facebook", V, "account_id", "medium", Kind::json, "USER_ID", Value::digits, "", "", 0, "", "", false,
   "CurrentUserInitialData \"USER_ID\": the logged-in account (not confirmed)"},
  {"facebook.viewer-actor-id", "facebook", V, "account_id", "medium", Kind::json, "actorID", Value::digits, "", "", 0, "", "", false,
   "\"actorID\": the account acting, i.e. the logged-in one (not confirmed)"},
  {"facebook.viewer-cookie", "facebook", V, "account_id", "high", Kind::cookie, "c_user", Value::digits, "", "", 0, "", "", false,
   "the cookie that names the logged-in account's id (not confirmed)"},

  // ------------------------------------------------------------------ X / Twitter
  {"x.user-by-screen-name.rest-id", "x", S, "account_id", "high", Kind::json, "rest_id", Value::digits, "", "", 0, "", "UserByScreenName",
   true, "GraphQL UserByScreenName response: data.user.result.rest_id (NOTES)"},
  {"x.user-by-screen-name.screen-name", "x", S, "handle", "high", Kind::json, "screen_name", Value::x_handle, "", "", 0, "",
   "UserByScreenName", true, "GraphQL UserByScreenName: legacy.screen_name"},
  {"x.user-by-screen-name.name", "x", S, "display_name", "medium", Kind::json, "name", Value::text, "", "\"legacy\"", 4096, "",
   "UserByScreenName", true, "GraphQL UserByScreenName: legacy.name"},
  {"x.user-by-rest-id.rest-id", "x", S, "account_id", "high", Kind::json, "rest_id", Value::digits, "", "", 0, "", "UserByRestId", true,
   "GraphQL UserByRestId response: data.user.result.rest_id"},
  {"x.url.status", "x", S, "post_id", "high", Kind::uri, "/{*}/status/{v}", Value::digits, "", "", 0, "", "", false,
   "the URL asked for, x.com/<handle>/status/<id>"},
  {"x.url.status-handle", "x", S, "handle", "medium", Kind::uri, "/{v}/status/{*}", Value::x_handle, "", "", 0, "", "", false,
   "the URL asked for, x.com/<handle>/status/<id> (X redirects a wrong handle to the right one)"},
  {"x.url.handle", "x", S, "handle", "medium", Kind::uri, "/{v}", Value::x_handle, "", "", 0, "", "", false,
   "the URL asked for, x.com/<handle>"},
  {"x.url.profile", "x", S, "profile_url", "medium", Kind::uri, "/{*}", Value::whole_uri, "", "", 0, "", "", false,
   "the URL asked for when it is a profile's, x.com/<handle>"},
  {"x.snowflake-time", "x", S, "post_created", "high", Kind::derive, "post_id", Value::digits, "", "", 0, "", "", false,
   "a post id is a snowflake: creation time in ms since 1970 = (id >> 22) + 1288834974657 (NOTES)"},
  {"x.viewer-cookie", "x", V, "account_id", "high", Kind::cookie, "twid", Value::digits, "u%3D", "", 0, "", "", false,
   "the cookie twid=u%3D<id> of the logged-in account (not confirmed)"},
  {"x.viewer.rest-id", "x", V, "account_id", "high", Kind::json, "rest_id", Value::digits, "", "", 0, "", "/Viewer", true,
   "GraphQL Viewer response: the logged-in account's rest_id"},

  // ------------------------------------------------------------------ TikTok
  {"tiktok.user-detail.id", "tiktok", S, "account_id", "high", Kind::json, "id", Value::digits, "", "\"userInfo\"", 4096,
   "\"webapp.app-context\"", "", true,
   "__UNIVERSAL_DATA_FOR_REHYDRATION__ (older SIGI_STATE) webapp.user-detail: userInfo.user.id (yt-dlp tiktok.py)"},
  {"tiktok.user-detail.unique-id", "tiktok", S, "handle", "high", Kind::json, "uniqueId", Value::handle, "", "\"userInfo\"", 4096,
   "\"webapp.app-context\"", "", true, "webapp.user-detail: userInfo.user.uniqueId (yt-dlp tiktok.py)"},
  {"tiktok.user-detail.sec-uid", "tiktok", S, "secondary_id", "high", Kind::json, "secUid", Value::sec_uid, "", "\"userInfo\"", 4096,
   "\"webapp.app-context\"", "", true, "webapp.user-detail: userInfo.user.secUid, MS4wLjABAAAA... (yt-dlp tiktok.py)"},
  {"tiktok.user-detail.nickname", "tiktok", S, "display_name", "medium", Kind::json, "nickname", Value::text, "", "\"userInfo\"", 4096,
   "\"webapp.app-context\"", "", true, "webapp.user-detail: userInfo.user.nickname (yt-dlp tiktok.py)"},
  {"tiktok.item-author.id", "tiktok", S, "account_id", "medium", Kind::json, "id", Value::digits, "", "\"author\"", 64, "", "", true,
   "webapp.video-detail: itemInfo.itemStruct.author.id, the author of the video shown (yt-dlp tiktok.py)"},
  {"tiktok.item-author.unique-id", "tiktok", S, "handle", "medium", Kind::json, "uniqueId", Value::handle, "", "\"author\"", 1024, "",
   "", true, "webapp.video-detail: itemStruct.author.uniqueId (yt-dlp tiktok.py)"},
  {"tiktok.url.video", "tiktok", S, "post_id", "high", Kind::uri, "/@{*}/video/{v}", Value::digits, "", "", 0, "", "", false,
   "the URL asked for, tiktok.com/@<handle>/video/<id>"},
  {"tiktok.url.handle", "tiktok", S, "handle", "medium", Kind::uri, "/@{v}", Value::handle, "", "", 0, "", "", false,
   "the URL asked for, tiktok.com/@<handle>"},
  {"tiktok.url.video-handle", "tiktok", S, "handle", "medium", Kind::uri, "/@{v}/video/{*}", Value::handle, "", "", 0, "", "", false,
   "the URL asked for, tiktok.com/@<handle>/video/<id>"},
  {"tiktok.url.profile", "tiktok", S, "profile_url", "medium", Kind::uri, "/@{*}", Value::whole_uri, "", "", 0, "", "", false,
   "the URL asked for when it is a profile's, tiktok.com/@<handle>"},
  {"tiktok.viewer.uid", "tiktok", V, "account_id", "medium", Kind::json, "uid", Value::digits, "", "\"webapp.app-context\"", 4096, "", "",
   true, "webapp.app-context: user.uid, the logged-in account (not confirmed)"},
  {"tiktok.viewer.unique-id", "tiktok", V, "handle", "medium", Kind::json, "uniqueId", Value::handle, "", "\"webapp.app-context\"", 4096,
   "\"userInfo\"", "", true, "webapp.app-context: user.uniqueId, the logged-in account (not confirmed)"},

  // ------------------------------------------------------------------ YouTube (no viewer marker is known)
  {"youtube.meta-channel-id", "youtube", S, "account_id", "high", Kind::meta, "channelId", Value::yt_channel, "", "", 0, "", "", false,
   "<meta itemprop=\"channelId\" content=\"UC...\"> (NOTES; yt-dlp youtube.py)"},
  {"youtube.external-id", "youtube", S, "account_id", "high", Kind::json, "externalId", Value::yt_channel, "", "", 0, "", "", false,
   "channel page: metadata.channelMetadataRenderer.externalId (yt-dlp youtube.py)"},
  {"youtube.external-channel-id", "youtube", S, "account_id", "high", Kind::json, "externalChannelId", Value::yt_channel, "", "", 0, "",
   "", false, "\"externalChannelId\":\"UC...\" (NOTES; yt-dlp youtube.py)"},
  {"youtube.video-details.channel-id", "youtube", S, "account_id", "high", Kind::json, "channelId", Value::yt_channel, "",
   "\"videoDetails\"", 4096, "", "", true, "watch page: videoDetails.channelId, the channel of the video (NOTES; yt-dlp youtube.py)"},
  {"youtube.video-details.author", "youtube", S, "display_name", "medium", Kind::json, "author", Value::text, "", "\"videoDetails\"", 4096,
   "", "", true, "watch page: videoDetails.author"},
  {"youtube.vanity-url", "youtube", S, "profile_url", "medium", Kind::json, "vanityChannelUrl", Value::url, "", "", 0, "", "", true,
   "channel page: channelMetadataRenderer.vanityChannelUrl"},
  {"youtube.url.channel", "youtube", S, "account_id", "high", Kind::uri, "/channel/{v}", Value::yt_channel, "", "", 0, "", "", false,
   "the URL asked for, youtube.com/channel/UC..."},
  {"youtube.url.handle", "youtube", S, "handle", "medium", Kind::uri, "/@{v}", Value::handle, "", "", 0, "", "", false,
   "the URL asked for, youtube.com/@<handle>"},
  {"youtube.url.watch", "youtube", S, "post_id", "high", Kind::uri, "/watch?v={v}", Value::yt_video, "", "", 0, "", "", false,
   "the URL asked for, youtube.com/watch?v=<video id>"},
  {"youtube.url.profile", "youtube", S, "profile_url", "medium", Kind::uri, "/@{*}", Value::whole_uri, "", "", 0, "", "", false,
   "the URL asked for when it is a channel's, youtube.com/@<handle>"},

  // ------------------------------------------------------------------ Snapchat (public pages name the user only)
  {"snapchat.url.add", "snapchat", S, "handle", "medium", Kind::uri, "/add/{v}", Value::handle, "", "", 0, "", "", false,
   "the URL asked for, snapchat.com/add/<username> (NOTES: public pages expose the username only)"},
  {"snapchat.url.profile", "snapchat", S, "profile_url", "medium", Kind::uri, "/add/{*}", Value::whole_uri, "", "", 0, "", "", false,
   "the URL asked for, snapchat.com/add/<username>"},

  // ------------------------------------------------------------------ any site
  {"web.canonical", "web", S, "canonical_url", "medium", Kind::canonical, "canonical", Value::url, "", "", 0, "", "", true,
   "<link rel=\"canonical\" href=\"...\">: the URL the page gives for itself"},
  {"web.og-url", "web", S, "canonical_url", "medium", Kind::meta, "og:url", Value::url, "", "", 0, "", "", true,
   "<meta property=\"og:url\" content=\"...\"> (Open Graph)"},
  {"web.ld-person.identifier", "web", S, "account_id", "medium", Kind::json, "identifier", Value::token, "", "\"@type\":\"Person\"", 4096,
   "", "", true, "JSON-LD schema.org Person: identifier"},
  {"web.ld-person.alternate-name", "web", S, "handle", "medium", Kind::json, "alternateName", Value::token, "", "\"@type\":\"Person\"",
   4096, "", "", true, "JSON-LD schema.org Person: alternateName (a handle on most platforms)"},
  {"web.ld-person.name", "web", S, "display_name", "medium", Kind::json, "name", Value::text, "", "\"@type\":\"Person\"", 4096, "", "",
   true, "JSON-LD schema.org Person: name"},
  {"web.ld-person.url", "web", S, "profile_url", "medium", Kind::json, "url", Value::url, "", "\"@type\":\"Person\"", 4096, "", "", true,
   "JSON-LD schema.org Person: url"},
};
// clang-format on

const std::size_t k_rule_count = sizeof k_rules / sizeof k_rules[0];

} // namespace cbkit::capture::identity_table
