// Identity findings from a capture's stored responses: the engine that applies the table of
// identity_rules.cpp. Plain text scanning, no JSON or HTML parser: a page's embedded state is
// often JavaScript rather than JSON, and a scanner has no nesting to exhaust. Every search
// is bounded: bodies are cut at k_identity_max_decoded, each rule takes at most
// k_max_matches matches per record, and the markers a rule must follow are located once per
// body and found again by binary search.

#include "cbkit/capture/identity.hpp"

#include "cbkit/capture/body.hpp"
#include "cbkit/capture/warc.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "identity_rules.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace cbkit::capture {

namespace {

using identity_table::Kind;
using identity_table::Rule;
using identity_table::Value;
using util::Json;

constexpr std::size_t k_max_matches = 8;
constexpr std::size_t k_max_findings = 200;
constexpr std::size_t k_max_string = 2048; // raw bytes of one JSON string value read

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool all_of(std::string_view s, const char* extra) {
  return std::all_of(s.begin(), s.end(),
                     [extra](char c) { return is_alnum(c) || std::string_view(extra).find(c) != std::string_view::npos; });
}

// Path words that are pages of the platform, not accounts.
bool reserved_word(std::string_view s) {
  static const std::set<std::string, std::less<>> words = {
      "about",     "accounts",      "add",     "api",         "c",        "channel",       "compose", "direct",   "events",
      "explore",   "feed",          "groups",  "hashtag",     "help",     "home",          "i",       "intent",   "legal",
      "live",      "login",         "logout",  "marketplace", "messages", "notifications", "p",       "pages",    "photo",
      "photo.php", "permalink.php", "privacy", "profile.php", "reel",     "reels",         "search",  "settings", "share",
      "shorts",    "signup",        "status",  "stories",     "tag",      "terms",         "tos",     "tv",       "user",
      "video",     "watch",         "web",     "www"};
  return words.count(util::to_lower_ascii(s)) > 0;
}

bool is_http_url(std::string_view s) {
  return s.size() <= 2000 && util::is_valid_utf8(s) && (util::istarts_with(s, "http://") || util::istarts_with(s, "https://")) &&
         s.find_first_of(" \t\r\n<>\"") == std::string_view::npos;
}

// The base64 alphabet of Instagram shortcodes (A-Z a-z 0-9 - _), as a 64-bit number.
std::optional<std::uint64_t> shortcode_id(std::string_view s) {
  static const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::uint64_t v = 0;
  for (const char c : s) {
    const auto d = alphabet.find(c);
    if (d == std::string_view::npos || v > (std::numeric_limits<std::uint64_t>::max() >> 6)) return std::nullopt;
    v = v * 64 + d;
  }
  return v;
}

// Checks `raw` against the rule's value class; returns the value to record (nullopt: no match).
std::optional<std::string> accept(Value cls, std::string_view raw, std::string& note) {
  switch (cls) {
  case Value::digits:
    if (raw.empty() || raw.size() > 20 || !std::all_of(raw.begin(), raw.end(), is_digit) ||
        raw.find_first_not_of('0') == std::string_view::npos)
      return std::nullopt;
    return std::string(raw);
  case Value::handle:
    if (raw.empty() || raw.size() > 50 || !all_of(raw, "._-") || reserved_word(raw)) return std::nullopt;
    return std::string(raw);
  case Value::x_handle:
    if (raw.empty() || raw.size() > 15 || !all_of(raw, "_") || reserved_word(raw)) return std::nullopt;
    return std::string(raw);
  case Value::yt_channel:
    if (raw.size() != 24 || raw.substr(0, 2) != "UC" || !all_of(raw, "_-")) return std::nullopt;
    return std::string(raw);
  case Value::yt_video:
    if (raw.size() != 11 || !all_of(raw, "_-")) return std::nullopt;
    return std::string(raw);
  case Value::sec_uid:
    if (raw.size() > 200 || raw.substr(0, 12) != "MS4wLjABAAAA" || !all_of(raw, "_-")) return std::nullopt;
    return std::string(raw);
  case Value::ig_shortcode: {
    if (raw.size() < 5 || raw.size() > 12) return std::nullopt;
    const auto id = shortcode_id(raw);
    if (!id || *id == 0) return std::nullopt;
    note = "shortcode " + std::string(raw) + " read as a number in the alphabet A-Z a-z 0-9 - _";
    return std::to_string(*id);
  }
  case Value::token:
    if (raw.empty() || raw.size() > 100 || !all_of(raw, "._:-@")) return std::nullopt;
    return std::string(raw);
  case Value::text: {
    const std::string t = util::one_line(util::utf8_lossy(raw), 200);
    if (util::trim(t).empty()) return std::nullopt;
    return t;
  }
  case Value::url:
    if (!is_http_url(raw)) return std::nullopt;
    return std::string(raw);
  case Value::whole_uri:
    return std::string(raw);
  }
  return std::nullopt;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::uint32_t> hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) return std::nullopt;
  std::uint32_t v = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    const char c = s[i];
    v <<= 4;
    if (is_digit(c))
      v |= static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= static_cast<std::uint32_t>(c - 'A' + 10);
    else
      return std::nullopt;
  }
  return v;
}

// A JSON string starting after its opening quote at `at`: the decoded value, or nullopt when
// it does not end within k_max_string bytes.
std::optional<std::string> json_string(std::string_view s, std::size_t at) {
  std::string out;
  for (std::size_t i = at; i < s.size() && i < at + k_max_string; ++i) {
    const char c = s[i];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    switch (s[i]) {
    case 'n':
      out += '\n';
      break;
    case 't':
      out += '\t';
      break;
    case 'r':
      out += '\r';
      break;
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'u': {
      auto cp = hex4(s, i + 1);
      if (!cp) return std::nullopt;
      i += 4;
      if (*cp >= 0xD800 && *cp < 0xDC00 && i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u') {
        const auto lo = hex4(s, i + 3);
        if (lo && *lo >= 0xDC00 && *lo < 0xE000) {
          cp = 0x10000 + ((*cp - 0xD800) << 10) + (*lo - 0xDC00);
          i += 6;
        }
      }
      if (*cp >= 0xD800 && *cp < 0xE000) cp = 0xFFFD;
      append_utf8(out, *cp);
      break;
    }
    default:
      out += s[i];
      break; // \" \\ \/
    }
  }
  return std::nullopt;
}

// &amp; &quot; &#39; &#x2F; ... in an attribute value; unknown entities stay as written.
std::string html_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const std::size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += '&';
      continue;
    }
    const std::string_view name = s.substr(i + 1, semi - i - 1);
    std::optional<std::uint32_t> cp;
    if (name == "amp")
      cp = '&';
    else if (name == "quot")
      cp = '"';
    else if (name == "apos")
      cp = '\'';
    else if (name == "lt")
      cp = '<';
    else if (name == "gt")
      cp = '>';
    else if (name.size() > 1 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      const std::string digits(name.substr(hex ? 2 : 1));
      if (!digits.empty() && digits.size() <= 6 && all_of(digits, "")) {
        try {
          cp = static_cast<std::uint32_t>(std::stoul(digits, nullptr, hex ? 16 : 10));
        } catch (...) {
        }
      }
    }
    if (!cp || *cp == 0 || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp < 0xE000)) {
      out += '&';
      continue;
    }
    append_utf8(out, *cp);
    i = semi;
  }
  return out;
}

// Every position of `needle` in `hay` (at most `cap`), ascending.
std::vector<std::size_t> positions(std::string_view hay, std::string_view needle, std::size_t cap = 1u << 20) {
  std::vector<std::size_t> out;
  if (needle.empty()) return out;
  for (std::size_t p = hay.find(needle); p != std::string_view::npos && out.size() < cap; p = hay.find(needle, p + 1))
    out.push_back(p);
  return out;
}

// The last of `sorted` that is < `before`, or npos.
std::size_t last_before(const std::vector<std::size_t>& sorted, std::size_t before) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), before);
  if (it == sorted.begin()) return std::string_view::npos;
  return *--it;
}

// One tag's attributes: name (lower case) -> (value, offset of the value in the body).
std::map<std::string, std::pair<std::string, std::size_t>> tag_attributes(std::string_view body, std::size_t from, std::size_t end) {
  std::map<std::string, std::pair<std::string, std::size_t>> out;
  std::size_t i = from;
  while (i < end) {
    while (i < end && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r' || body[i] == '/'))
      ++i;
    const std::size_t ns = i;
    while (i < end && body[i] != '=' && body[i] != ' ' && body[i] != '>' && body[i] != '\t' && body[i] != '\n')
      ++i;
    const std::string name = util::to_lower_ascii(body.substr(ns, i - ns));
    if (i >= end || body[i] != '=') {
      if (i == ns) ++i;
      continue;
    }
    ++i;
    if (i >= end) break;
    const char q = body[i];
    std::size_t vs, ve;
    if (q == '"' || q == '\'') {
      vs = i + 1;
      ve = body.substr(0, end).find(q, vs); // within the tag
      if (ve == std::string_view::npos) break;
      i = ve + 1;
    } else {
      vs = i;
      while (i < end && body[i] != ' ' && body[i] != '>' && body[i] != '\t' && body[i] != '\n')
        ++i;
      ve = i;
    }
    if (!name.empty() && !out.count(name)) out[name] = {std::string(body.substr(vs, ve - vs)), vs};
  }
  return out;
}

struct Url {
  std::string host;       // lower case, no port
  std::string path;       // from the first '/' to '?' or '#'
  std::size_t path_at{};  // offset of path in the URI
  std::string query;      // after '?', before '#'
  std::size_t query_at{}; // offset of query in the URI
};

std::optional<Url> parse_url(std::string_view uri) {
  const std::size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::size_t host_at = scheme_end + 3;
  std::size_t host_end = uri.find_first_of("/?#", host_at);
  if (host_end == std::string_view::npos) host_end = uri.size();
  Url u;
  std::string_view authority = uri.substr(host_at, host_end - host_at);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos && authority.find(']') == std::string_view::npos)
    authority = authority.substr(0, colon);
  u.host = util::to_lower_ascii(authority);
  std::size_t end = uri.find('#', host_end);
  if (end == std::string_view::npos) end = uri.size();
  const std::size_t q = uri.find('?', host_end);
  const std::size_t path_end = q != std::string_view::npos && q < end ? q : end;
  u.path = std::string(uri.substr(host_end, path_end - host_end));
  u.path_at = host_end;
  if (path_end < end) {
    u.query = std::string(uri.substr(path_end + 1, end - path_end - 1));
    u.query_at = path_end + 1;
  }
  return u;
}

// The platform of a host: instagram.com and its subdomains are Instagram, and so on.
std::string platform_of_host(const std::string& host) {
  static const std::pair<const char*, const char*> hosts[] = {
      {"instagram.com", "instagram"}, {"facebook.com", "facebook"}, {"fb.com", "facebook"},     {"x.com", "x"},
      {"twitter.com", "x"},           {"tiktok.com", "tiktok"},     {"youtube.com", "youtube"}, {"youtu.be", "youtube"},
      {"snapchat.com", "snapchat"}};
  for (const auto& [domain, platform] : hosts) {
    const std::string d = domain;
    if (host == d ||
        (host.size() > d.size() && host.compare(host.size() - d.size(), d.size(), d) == 0 && host[host.size() - d.size() - 1] == '.'))
      return platform;
  }
  return "";
}

// A uri rule's pattern against the URI: the value and its offset in the URI.
std::optional<std::pair<std::string, std::size_t>> match_uri(const std::string& pattern, const std::string& uri, const Url& u) {
  std::string_view pat = pattern;
  std::string_view qpat;
  if (const auto q = pat.find('?'); q != std::string_view::npos) {
    qpat = pat.substr(q + 1);
    pat = pat.substr(0, q);
  }
  // Segments of the path, the trailing '/' ignored.
  auto split = [](std::string_view p, std::size_t base) {
    std::vector<std::pair<std::string_view, std::size_t>> segs;
    std::size_t i = 1;
    while (i <= p.size()) {
      std::size_t j = p.find('/', i);
      if (j == std::string_view::npos) j = p.size();
      if (j > i) segs.emplace_back(p.substr(i, j - i), base + i);
      i = j + 1;
    }
    return segs;
  };
  const auto have = split(u.path, u.path_at);
  const auto want = split(pat, 0);
  if (have.size() != want.size()) return std::nullopt;
  std::optional<std::pair<std::string, std::size_t>> value;
  for (std::size_t k = 0; k < want.size(); ++k) {
    std::string_view w = want[k].first;
    std::string_view h = have[k].first;
    // A literal prefix before {v} or {*} ("@{v}").
    const std::size_t brace = w.find('{');
    const std::string_view lit = w.substr(0, brace);
    if (h.substr(0, lit.size()) != lit) return std::nullopt;
    if (brace == std::string_view::npos) {
      if (h != w) return std::nullopt;
      continue;
    }
    h.remove_prefix(lit.size());
    if (h.empty() || reserved_word(h)) return std::nullopt;
    if (w.substr(brace) == "{v}") value = std::make_pair(std::string(h), have[k].second + lit.size());
  }
  if (!qpat.empty()) {
    // "name={v}": the query parameter's value.
    const std::string name = std::string(qpat.substr(0, qpat.find('=') + 1));
    std::size_t i = 0;
    bool found = false;
    while (i <= u.query.size()) {
      std::size_t j = u.query.find('&', i);
      if (j == std::string::npos) j = u.query.size();
      if (u.query.compare(i, name.size(), name) == 0 && j > i + name.size()) {
        value = std::make_pair(u.query.substr(i + name.size(), j - i - name.size()), u.query_at + i + name.size());
        found = true;
        break;
      }
      i = j + 1;
    }
    if (!found) return std::nullopt;
  }
  if (!value) value = std::make_pair(uri, std::size_t{0});
  return value;
}

struct Candidate {
  const Rule* rule;
  std::string value;
  std::string where;
  std::size_t offset;
  std::string note;
};

// Applies the body rules of `platform` (and the generic ones) to one decoded body.
void scan_body(std::string_view body, const std::string& uri, const std::string& platform, std::vector<Candidate>& out) {
  std::map<std::string, std::vector<std::size_t>> marks; // literal -> positions, located once per body
  auto marks_of = [&](const std::string& lit) -> const std::vector<std::size_t>& {
    auto it = marks.find(lit);
    if (it == marks.end()) it = marks.emplace(lit, positions(body, lit)).first;
    return it->second;
  };
  for (std::size_t r = 0; r < identity_table::k_rule_count; ++r) {
    const Rule& rule = identity_table::k_rules[r];
    const std::string rp = rule.platform;
    if (rp != "web" && rp != platform) continue;
    if (rule.kind == Kind::uri || rule.kind == Kind::cookie || rule.kind == Kind::derive) continue;
    if (*rule.uri_has && uri.find(rule.uri_has) == std::string::npos) continue;
    std::size_t matches = 0;
    auto take = [&](const std::string& raw, std::size_t at) {
      std::string note;
      const auto v = accept(rule.value, raw, note);
      if (!v) return false;
      out.push_back(Candidate{&rule, *v, "body", at, note});
      ++matches;
      return true;
    };
    if (rule.kind == Kind::json) {
      const std::string needle = "\"" + std::string(rule.key) + "\"";
      for (const std::size_t p : marks_of(needle)) {
        if (matches >= k_max_matches) break;
        if (*rule.near) {
          const std::size_t n = last_before(marks_of(rule.near), p);
          if (n == std::string_view::npos || p - n > rule.window) continue;
          if (*rule.unless) {
            const std::size_t u = last_before(marks_of(rule.unless), p);
            if (u != std::string_view::npos && u > n) continue;
          }
        }
        std::size_t i = p + needle.size();
        while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
          ++i;
        if (i >= body.size() || body[i] != ':') continue;
        ++i;
        while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
          ++i;
        if (i >= body.size()) continue;
        bool ok = false;
        if (body[i] == '"') {
          const auto s = json_string(body, i + 1);
          if (s) ok = take(*s, i + 1);
        } else if (is_digit(body[i])) {
          std::size_t j = i;
          while (j < body.size() && j - i < 21 && is_digit(body[j]))
            ++j;
          ok = take(std::string(body.substr(i, j - i)), i);
        }
        if (ok && rule.first_only) break;
      }
    } else if (rule.kind == Kind::prefix) {
      for (const std::size_t p : marks_of(rule.key)) {
        if (matches >= k_max_matches) break;
        const std::size_t at = p + std::string_view(rule.key).size();
        std::size_t j = at;
        while (j < body.size() && j - at < 21 && is_digit(body[j]))
          ++j;
        if (take(std::string(body.substr(at, j - at)), at) && rule.first_only) break;
      }
    } else if (rule.kind == Kind::meta || rule.kind == Kind::canonical) {
      const char* tag = rule.kind == Kind::meta ? "<meta" : "<link";
      for (const std::size_t p : marks_of(tag)) {
        if (matches >= k_max_matches) break;
        // A tag ends within 4 KiB (searching further for every tag of a hostile body would be quadratic).
        const std::size_t close = body.substr(p, 4096).find('>');
        if (close == std::string_view::npos) continue;
        const std::size_t end = p + close;
        const auto attrs = tag_attributes(body, p + 5, end);
        std::pair<std::string, std::size_t> value;
        if (rule.kind == Kind::meta) {
          bool named = false;
          for (const char* a : {"property", "name", "itemprop"}) {
            const auto it = attrs.find(a);
            if (it != attrs.end() && util::iequals(it->second.first, rule.key)) named = true;
          }
          const auto c = attrs.find("content");
          if (!named || c == attrs.end()) continue;
          value = c->second;
        } else {
          const auto rel = attrs.find("rel");
          const auto href = attrs.find("href");
          if (rel == attrs.end() || href == attrs.end() || !util::iequals(rel->second.first, rule.key)) continue;
          value = href->second;
        }
        std::string v = html_unescape(value.first);
        std::size_t at = value.second;
        const std::string_view strip = rule.strip;
        if (!strip.empty()) {
          if (v.compare(0, strip.size(), strip) != 0) continue;
          // The offset of what follows the prefix: exact when the prefix was written without entities.
          if (value.first.compare(0, strip.size(), strip) == 0) at += strip.size();
          v = v.substr(strip.size());
          if (rule.value == Value::digits) v = v.substr(0, std::min(v.size(), v.find_first_not_of("0123456789")));
        }
        if (take(v, at) && rule.first_only) break;
      }
    }
  }
}

// Cookie rules against the header block: Set-Cookie (response) or Cookie (request) lines.
void scan_head(std::string_view head, const std::string& platform, std::vector<Candidate>& out) {
  for (std::size_t r = 0; r < identity_table::k_rule_count; ++r) {
    const Rule& rule = identity_table::k_rules[r];
    if (rule.kind != Kind::cookie || rule.platform != platform) continue;
    std::size_t line = 0;
    while (line < head.size()) {
      std::size_t eol = head.find('\n', line);
      if (eol == std::string_view::npos) eol = head.size();
      const std::string_view l = head.substr(line, eol - line);
      const std::size_t colon = l.find(':');
      if (colon != std::string_view::npos &&
          (util::iequals(util::trim(l.substr(0, colon)), "set-cookie") || util::iequals(util::trim(l.substr(0, colon)), "cookie"))) {
        const std::string name = std::string(rule.key) + "=";
        for (std::size_t p = l.find(name, colon); p != std::string_view::npos; p = l.find(name, p + 1)) {
          if (l[p - 1] != ' ' && l[p - 1] != ';' && l[p - 1] != ':') continue;
          std::size_t vs = p + name.size();
          std::size_t ve = l.find_first_of("; \r", vs);
          if (ve == std::string_view::npos) ve = l.size();
          std::string_view v = l.substr(vs, ve - vs);
          const std::string_view strip = rule.strip;
          if (!strip.empty()) {
            if (v.substr(0, strip.size()) != strip) continue;
            v.remove_prefix(strip.size());
            vs += strip.size();
          }
          std::string note;
          if (const auto ok = accept(rule.value, v, note)) {
            out.push_back(Candidate{&rule, *ok, "http-head", line + vs, note});
            break;
          }
        }
      }
      line = eol + 1;
    }
  }
}

void scan_uri(const std::string& uri, const std::string& platform, std::vector<Candidate>& out) {
  const auto u = parse_url(uri);
  if (!u) return;
  for (std::size_t r = 0; r < identity_table::k_rule_count; ++r) {
    const Rule& rule = identity_table::k_rules[r];
    if (rule.kind != Kind::uri || rule.platform != platform) continue;
    const auto m = match_uri(rule.key, uri, *u);
    if (!m) continue;
    std::string note;
    if (const auto v = accept(rule.value, m->first, note)) out.push_back(Candidate{&rule, *v, "target-uri", m->second, note});
  }
}

int rank(const std::string& confidence) { return confidence == "high" ? 3 : confidence == "medium" ? 2 : 1; }

// The accumulated state of a scan over the records of one capture.
struct Collector {
  std::vector<IdentityFinding> findings;
  std::vector<std::string> notes;
  std::string declared_platform; // from a page's canonical URL when its host is no platform's

  void add(const std::vector<Candidate>& cands, const std::string& platform, const std::string& record_id, bool platform_claimed) {
    for (const Candidate& c : cands) {
      IdentityFinding f;
      f.platform = std::string(c.rule->platform) == "web" ? (platform.empty() ? "web" : platform) : std::string(c.rule->platform);
      f.role = c.rule->role;
      f.field = c.rule->field;
      f.value = c.value;
      f.rule = c.rule->id;
      f.record_id = record_id;
      f.where = c.where;
      f.offset = c.offset;
      f.confidence = platform_claimed && std::string(c.rule->platform) != "web" ? "low" : c.rule->confidence;
      f.note = c.note;
      if (platform_claimed && std::string(c.rule->platform) != "web")
        f.note = (f.note.empty() ? "" : f.note + "; ") + "the server was not " + f.platform +
                 "'s: the platform is known only from the page's own canonical URL";
      // One finding per platform, role, field and value: the first, or a stronger later one.
      auto same = std::find_if(findings.begin(), findings.end(), [&](const IdentityFinding& g) {
        return g.platform == f.platform && g.role == f.role && g.field == f.field && g.value == f.value;
      });
      if (same != findings.end()) {
        if (rank(f.confidence) > rank(same->confidence)) *same = f;
        continue;
      }
      if (findings.size() < k_max_findings) findings.push_back(std::move(f));
    }
  }

  void scan(const std::string& uri, std::string_view head, std::string_view body, const std::string& record_id, bool response) {
    const auto u = parse_url(uri);
    std::string platform = u ? platform_of_host(u->host) : "";
    const bool host_known = !platform.empty();
    std::vector<Candidate> cands;
    if (!response) {
      if (host_known) scan_head(head, platform, cands);
      add(cands, platform, record_id, false);
      return;
    }
    if (!host_known) {
      // A page served from elsewhere (a copy, a test server) that names a platform's URL as its own.
      std::vector<Candidate> own;
      scan_body(body, uri, "", own);
      for (const Candidate& c : own) {
        if (c.rule->field != std::string("canonical_url")) continue;
        if (const auto cu = parse_url(c.value); cu && !platform_of_host(cu->host).empty()) {
          declared_platform = platform_of_host(cu->host);
          break;
        }
      }
      platform = declared_platform;
    }
    scan_body(body, uri, platform, cands);
    if (host_known) {
      scan_head(head, platform, cands);
      scan_uri(uri, platform, cands);
    }
    add(cands, platform, record_id, !host_known && !platform.empty());
  }

  IdentityResult finish() {
    IdentityResult r;
    // Times encoded in ids (derive rules), from the subject's post ids.
    for (std::size_t k = 0; k < identity_table::k_rule_count; ++k) {
      const Rule& rule = identity_table::k_rules[k];
      if (rule.kind != Kind::derive) continue;
      const std::size_t n = findings.size();
      for (std::size_t i = 0; i < n; ++i) {
        const IdentityFinding src = findings[i];
        if (src.platform != rule.platform || src.field != rule.key || src.role != "subject") continue;
        std::uint64_t id = 0;
        try {
          id = std::stoull(src.value);
        } catch (...) {
          continue;
        }
        // X snowflake: 41 bits of milliseconds since 2010-11-04T01:42:54.657Z above 22 bits of worker and sequence.
        const std::uint64_t ms = (id >> 22) + 1288834974657ull;
        IdentityFinding f = src;
        f.field = rule.field;
        f.value = util::format_utc(static_cast<std::int64_t>(ms / 1000), static_cast<std::int64_t>(ms % 1000) * 1000);
        f.rule = rule.id;
        f.note = "derived from post id " + src.value + " (rule " + src.rule + ")";
        if (rank(rule.confidence) < rank(f.confidence)) f.confidence = rule.confidence;
        findings.push_back(f);
      }
    }
    // Different values for the same subject field: all kept, none trusted more than the others.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> values;
    for (const auto& f : findings) {
      if (f.role == "subject" && (f.field == "account_id" || f.field == "handle" || f.field == "secondary_id"))
        values[{f.platform, f.field}].push_back(f.value);
    }
    for (const auto& [key, vals] : values) {
      if (vals.size() < 2) continue;
      for (auto& f : findings) {
        if (f.role == "subject" && f.platform == key.first && f.field == key.second) f.confidence = "low";
      }
      notes.push_back(std::to_string(vals.size()) + " different subject " + key.second + " values on " + key.first + " (" +
                      util::join(vals, ", ") +
                      "): the captured responses name more than one account; each is reported with low confidence, check which "
                      "one the page is about");
    }
    // The viewer's own account named by a subject rule: the page is the viewer's own.
    for (const auto& v : findings) {
      if (v.role != "viewer" || v.field != "account_id") continue;
      for (const auto& s : findings) {
        if (s.role == "subject" && s.field == "account_id" && s.platform == v.platform && s.value == v.value)
          notes.push_back("the subject account " + s.value + " is also the logged-in viewer: the page is the viewer's own");
      }
    }
    std::stable_partition(findings.begin(), findings.end(), [](const IdentityFinding& f) { return f.role == "subject"; });
    r.findings = std::move(findings);
    r.notes = std::move(notes);
    return r;
  }
};

} // namespace

std::vector<IdentityRuleInfo> identity_rules() {
  std::vector<IdentityRuleInfo> out;
  for (std::size_t i = 0; i < identity_table::k_rule_count; ++i) {
    const Rule& r = identity_table::k_rules[i];
    out.push_back(IdentityRuleInfo{r.id, r.platform, r.role, r.field, r.confidence, r.reads});
  }
  return out;
}

// ---------------------------------------------------------------- the WARC side

struct IdentityScanner::Impl {
  WarcReader reader{nullptr};
  Collector collector;
  // The record whose block is streaming past.
  bool wanted = false;
  bool response = false;
  std::string uri;
  std::string record_id;
  std::string block;
  bool block_cut = false;

  Impl() {
    reader.set_block_sink([this](const WarcRecordInfo& r) { begin(r); }, [this](const char* d, std::size_t n) { data(d, n); });
  }

  void begin(const WarcRecordInfo& r) {
    end_block();
    const std::string type = r.field("WARC-Type").value_or("");
    const std::string ctype = util::to_lower_ascii(r.field("Content-Type").value_or(""));
    wanted = (type == "response" || type == "request") && ctype.rfind("application/http", 0) == 0;
    response = type == "response";
    uri = r.field("WARC-Target-URI").value_or("");
    if (uri.size() > 1 && uri.front() == '<' && uri.back() == '>') uri = uri.substr(1, uri.size() - 2);
    record_id = r.field("WARC-Record-ID").value_or("");
    block.clear();
    block_cut = false;
  }

  void data(const char* d, std::size_t n) {
    if (!wanted) return;
    // A request is looked at for its header block only.
    const std::size_t cap = response ? k_identity_max_raw : 65536;
    const std::size_t take = std::min(n, cap - std::min(cap, block.size()));
    block.append(d, take);
    if (take < n) block_cut = true;
  }

  // The block is complete when the next record starts or the input ends.
  void end_block() {
    if (!wanted) return;
    wanted = false;
    const std::size_t head_end = block.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    const std::string_view head(block.data(), head_end + 2);
    if (!response) {
      collector.scan(uri, head, {}, record_id, false);
      return;
    }
    // Framing and codings from the response's own header fields.
    std::string te, ce;
    std::size_t line = block.find("\r\n") + 2;
    while (line < head_end) {
      std::size_t eol = block.find("\r\n", line);
      const std::string_view l(block.data() + line, eol - line);
      const std::size_t colon = l.find(':');
      if (colon != std::string_view::npos) {
        const std::string_view name = util::trim(l.substr(0, colon));
        const std::string value(util::trim(l.substr(colon + 1)));
        if (util::iequals(name, "transfer-encoding")) te += (te.empty() ? "" : ", ") + value;
        if (util::iequals(name, "content-encoding")) ce += (ce.empty() ? "" : ", ") + value;
      }
      line = eol + 2;
    }
    const std::vector<std::string> tcodings = parse_codings(te);
    const bool chunked = !tcodings.empty() && tcodings.back() == "chunked";
    const std::string_view raw(block.data() + head_end + 4, block.size() - head_end - 4);
    const DecodedBytes body = decode_body_bytes(raw, chunked, parse_codings(ce), k_identity_max_decoded);
    if (block_cut || body.cut)
      collector.notes.push_back("the response " + record_id + " (" + util::one_line(uri, 200) + ") was looked into up to " +
                                std::to_string(block_cut ? k_identity_max_raw : k_identity_max_decoded) + " bytes only");
    collector.scan(uri, head, body.bytes, record_id, true);
    block.clear();
    block.shrink_to_fit();
  }
};

IdentityScanner::IdentityScanner() : m(std::make_unique<Impl>()) {}
IdentityScanner::~IdentityScanner() = default;

void IdentityScanner::update(const char* data, std::size_t size) { m->reader.update(data, size); }

IdentityResult IdentityScanner::finish() {
  m->reader.finish();
  // A record whose block ended the input; a structural error leaves the last one unread.
  if (m->reader.error().empty()) m->end_block();
  return m->collector.finish();
}

IdentityResult scan_identity_warc(const std::filesystem::path& warc) {
  const std::string what = util::utf8_lossy(warc.string());
  util::UniqueFd fd(::open(warc.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(ErrorKind::io, what);
  IdentityScanner scanner;
  std::vector<char> buf(1u << 20);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(ErrorKind::io, what);
    }
    if (n == 0) break;
    scanner.update(buf.data(), static_cast<std::size_t>(n));
  }
  return scanner.finish();
}

IdentityResult scan_identity_response(const std::string& target_uri, std::string_view http_head, std::string_view body,
                                      const std::string& record_id) {
  Collector c;
  c.scan(target_uri, http_head, body.substr(0, std::min(body.size(), k_identity_max_decoded)), record_id, true);
  return c.finish();
}

// ---------------------------------------------------------------- JSON and summary

Json identity_json(const IdentityResult& r) {
  Json findings = Json::array();
  for (const auto& f : r.findings) {
    Json j = Json::object();
    j["platform"] = f.platform;
    j["role"] = f.role;
    j["field"] = f.field;
    j["value"] = f.value;
    j["rule"] = f.rule;
    j["warc_record_id"] = f.record_id;
    j["where"] = f.where;
    j["offset"] = f.offset;
    j["confidence"] = f.confidence;
    if (!f.note.empty()) j["note"] = f.note;
    findings.push_back(j);
  }
  Json j = Json::object();
  j["rules_version"] = r.rules_version;
  j["findings"] = findings;
  j["notes"] = r.notes;
  return j;
}

Json identity_brief(const IdentityResult& r) {
  Json subject = Json::array();
  for (const auto& f : r.findings) {
    if (f.role != "subject") continue;
    if (f.field != "account_id" && f.field != "handle" && f.field != "display_name" && f.field != "post_id") continue;
    subject.push_back(
        Json{{"platform", f.platform}, {"field", f.field}, {"value", f.value}, {"rule", f.rule}, {"confidence", f.confidence}});
  }
  return Json{{"rules_version", r.rules_version}, {"subject", subject}};
}

std::string identity_summary(const Json& identity) {
  const Json& list = identity.contains("subject") ? identity["subject"] : identity.contains("findings") ? identity["findings"] : Json();
  if (!list.is_array()) return "";
  std::string platform;
  std::vector<std::string> ids, handles, posts;
  for (const Json& f : list) {
    if (!f.is_object() || util::string_field(f, "role", "subject") != "subject") continue;
    const std::string field = util::string_field(f, "field");
    const std::string value = util::one_line(util::string_field(f, "value"), 80);
    if (platform.empty()) platform = util::string_field(f, "platform");
    std::vector<std::string>* to = field == "account_id" ? &ids : field == "handle" ? &handles : field == "post_id" ? &posts : nullptr;
    if (to != nullptr && std::find(to->begin(), to->end(), value) == to->end()) to->push_back(value);
  }
  if (ids.empty() && handles.empty() && posts.empty()) return "";
  std::string s = platform;
  if (!ids.empty()) s += " id " + util::join(ids, " or ");
  if (!handles.empty()) {
    std::vector<std::string> at;
    for (const auto& h : handles)
      at.push_back(h.starts_with('@') ? h : "@" + h); // a JSON-LD alternateName may carry its own @
    s += ids.empty() ? " " + util::join(at, " or ") : " (" + util::join(at, " or ") + ")";
  }
  if (!posts.empty()) s += ", post " + util::join(posts, " or ");
  if (ids.size() > 1 || handles.size() > 1) s += " [conflicting]";
  return s;
}

} // namespace cbkit::capture
