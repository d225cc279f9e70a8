#pragma once

// Who a captured page is about: account IDs, handles, display names, profile URLs and post
// IDs read from the stored responses of a capture (the page and the JSON/XHR responses the
// WARC keeps), by a versioned table of rules per platform (src/capture/identity_rules.cpp,
// one row per marker with what it reads and where the marker is documented).
//
// Every finding names its rule, the WARC record it was read from and the byte offset of the
// match, so anyone can open the WARC and see it. A page captured while logged in also holds
// the viewer's own account (the victim's): rules say which role they read, `subject` (who
// the page is about) or `viewer` (the logged-in account), and a viewer is never reported as
// the subject. No marker, no finding: nothing is guessed.
//
// Confidence, in words that the report repeats:
//   high    a marker the platform uses for exactly this account in this role
//   medium  a marker or URL pattern that usually names it (the URL asked for, a generic
//           JSON-LD or og: tag, the first of several accounts in a response)
//   low     a high or medium finding in conflict with another value for the same subject
//           field, or a platform known only from the page's own claim (its canonical URL)

#include "cbkit/util/json.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::capture {

// Recorded with the findings; a new or changed rule gives a new version, and verify
// re-derives the findings with the version recorded (older versions: not re-derived).
inline constexpr const char* k_identity_rules_version = "cbkit-identity-rules 1";

// A response body is looked into up to this many bytes as received and after decoding.
inline constexpr std::size_t k_identity_max_raw = 16u << 20;
inline constexpr std::size_t k_identity_max_decoded = 16u << 20;

struct IdentityFinding {
  std::string platform;   // instagram, facebook, x, tiktok, youtube, snapchat, or web
  std::string role;       // subject | viewer
  std::string field;      // account_id, secondary_id, handle, display_name, profile_url, canonical_url, post_id, post_created
  std::string value;      // post_created: RFC 3339 UTC
  std::string rule;       // the rule's id in the table
  std::string record_id;  // WARC-Record-ID of the record it was read from
  std::string where;      // body (the decoded HTTP body), http-head (the record's HTTP header block), target-uri
  std::uint64_t offset{}; // of the match's first byte in `where`
  std::string confidence; // high | medium | low
  std::string note;       // e.g. how a time was derived; empty when none
};

struct IdentityResult {
  std::string rules_version = k_identity_rules_version;
  std::vector<IdentityFinding> findings; // subject first, then viewer; in the order found
  std::vector<std::string> notes;        // conflicts, bodies cut at the limit, ...
};

// One rule of the table, as the tests and the docs list it.
struct IdentityRuleInfo {
  std::string id;
  std::string platform;
  std::string role;
  std::string field;
  std::string confidence;
  std::string reads; // the comment: what it reads and where the marker is documented
};
std::vector<IdentityRuleInfo> identity_rules();

// Looks into the responses of a .warc.gz as it streams past (constant memory apart from one
// body of at most k_identity_max_raw bytes). Feed the compressed bytes in any pieces.
class IdentityScanner {
public:
  IdentityScanner();
  ~IdentityScanner();
  IdentityScanner(const IdentityScanner&) = delete;
  IdentityScanner& operator=(const IdentityScanner&) = delete;

  void update(const char* data, std::size_t size);
  // Ends the input and returns the findings (conflicts resolved as the header says).
  IdentityResult finish();

private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

// The findings of a whole .warc.gz file. Throws Error(io) when it cannot be read.
IdentityResult scan_identity_warc(const std::filesystem::path& warc);

// One response, for tests and for readers that hold the parts: `target_uri` as in
// WARC-Target-URI, `http_head` the status line and header fields, `body` already decoded.
IdentityResult scan_identity_response(const std::string& target_uri, std::string_view http_head, std::string_view body,
                                      const std::string& record_id = "<urn:uuid:test>");

// capture.json's "identity" object: {rules_version, findings: [...], notes: [...]}.
util::Json identity_json(const IdentityResult& r);

// The manifest line's brief: {rules_version, subject: [{platform, field, value, rule, confidence}]}
// with the subject's account_id, handle, display_name and post_id findings only.
util::Json identity_brief(const IdentityResult& r);

// "instagram id 1234567 (@handle)" from a brief or an identity object; empty when it names
// no subject. Conflicting ids are all shown.
std::string identity_summary(const util::Json& identity);

} // namespace cbkit::capture
