#pragma once

// The table of identity rules (private to capture/identity). Data only: one row per marker.

#include <cstddef>

namespace cbkit::capture::identity_table {

enum class Kind {
  json,      // "key" : "value" (or a bare number) in a body: embedded page state, JSON/XHR responses
  prefix,    // a literal in a body directly followed by the value
  meta,      // <meta property|name|itemprop="key" content="..."> (content after `strip`)
  canonical, // <link rel="canonical" href="...">
  cookie,    // a cookie named `key` in Set-Cookie (response) or Cookie (request) (value after `strip`)
  uri,       // the record's WARC-Target-URI matched against a path pattern: {v} the value, {*} any segment
  derive,    // a value computed from another finding (a time encoded in an id)
};

enum class Value {
  digits,       // 1 to 20 ASCII digits, not all zeros
  handle,       // [A-Za-z0-9._-], 1 to 50, not a reserved path word
  x_handle,     // [A-Za-z0-9_], 1 to 15
  yt_channel,   // "UC" and 22 of [A-Za-z0-9_-]
  yt_video,     // 11 of [A-Za-z0-9_-]
  sec_uid,      // TikTok's opaque id: "MS4wLjABAAAA" then [A-Za-z0-9_-]
  ig_shortcode, // 5 to 12 of [A-Za-z0-9_-]: the media id written in a base64 alphabet; recorded as the decimal id
  token,        // [A-Za-z0-9._:-], 1 to 100
  text,         // any string up to 200 characters (display names)
  url,          // http(s)://...
  whole_uri,    // the record's target URI itself (uri rules without {v})
};

struct Rule {
  const char* id;
  const char* platform; // "web": generic, for every platform
  const char* role;     // subject | viewer
  const char* field;
  const char* confidence;
  Kind kind;
  const char* key; // json: key; prefix: literal; meta: property; cookie: name; uri: pattern; derive: source field
  Value value;
  const char* strip;   // meta, cookie: the value must start with this, which is not part of it
  const char* near;    // json: this literal must precede the key within `window` bytes ("" none)
  std::size_t window;  // for `near`
  const char* unless;  // json: a match is refused when this literal lies between `near` and the key (another account's object)
  const char* uri_has; // the target URI must contain this ("" any)
  bool first_only;     // only the first match in a record (later ones name other accounts)
  const char* reads;   // what it reads, and where the marker is documented
};

extern const Rule k_rules[];
extern const std::size_t k_rule_count;

} // namespace cbkit::capture::identity_table
