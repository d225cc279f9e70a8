#include "cbkit/email/received.hpp"

#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace cbkit::email {

namespace {

using util::Json;

constexpr std::size_t npos = std::string_view::npos;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
using util::istarts_with;
using util::trim;

bool icontains(std::string_view s, std::string_view needle) {
  if (needle.empty()) return true;
  for (std::size_t i = 0; i + needle.size() <= s.size(); ++i)
    if (iequals(s.substr(i, needle.size()), needle)) return true;
  return false;
}

// White space runs collapsed to one space, outer white space removed.
std::string squash(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : trim(s)) {
    if (is_space(c)) {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string join(const std::vector<std::string_view>& words, std::size_t from = 0, std::size_t to = npos) {
  std::string out;
  for (std::size_t i = from; i < words.size() && i < to; ++i) {
    if (!out.empty()) out += ' ';
    out += words[i];
  }
  return out;
}

// Header bytes need not be UTF-8 (8-bit Latin-1 headers are common): invalid sequences become
// U+FFFD so the JSON can always be serialized.
std::string json_text(const std::string& s) { return util::is_valid_utf8(s) ? s : util::utf8_lossy(s); }

Json str_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(json_text(s)); }

// ---------------------------------------------------------------------------------------------
// Dates

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, int m) {
  static constexpr std::array<int, 12> k_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : k_days[static_cast<std::size_t>(m - 1)];
}

// "YYYY-MM-DDTHH:MM:SSZ": util::format_utc without the fraction.
std::string utc_seconds(std::int64_t seconds) {
  std::string s = util::format_utc(seconds, 0);
  const std::size_t dot = s.find('.');
  if (dot != std::string::npos) s = s.substr(0, dot) + "Z";
  return s;
}

std::string offset_text(int minutes) {
  const char sign = minutes < 0 ? '-' : '+';
  const int a = minutes < 0 ? -minutes : minutes;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, a / 60 % 100, a % 60);
  return buf;
}

constexpr std::array<const char*, 12> k_months{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 12> k_months_long{"january", "february", "march",     "april",   "may",      "june",
                                                    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<const char*, 7> k_days{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<const char*, 7> k_days_long{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

int month_of(std::string_view w) {
  for (std::size_t i = 0; i < 12; ++i)
    if (iequals(w, k_months[i]) || iequals(w, k_months_long[i])) return static_cast<int>(i) + 1;
  return 0;
}

int weekday_of(std::string_view w) { // 0 = Sunday, -1 = none
  for (std::size_t i = 0; i < 7; ++i)
    if (iequals(w, k_days[i]) || iequals(w, k_days_long[i])) return static_cast<int>(i);
  return -1;
}

// A date token: a run of letters, a run of digits, or one other character. Comments and
// white space separate tokens and are dropped.
struct DateTok {
  enum Kind { alpha, digits, other } kind;
  std::string_view text;
  bool space_before; // white space or a comment stood before it
};

std::vector<DateTok> date_tokens(std::string_view s) {
  std::vector<DateTok> out;
  std::size_t i = 0;
  bool space = false;
  // A date has at most 12 tokens; a few more are enough to report trailing text.
  while (i < s.size() && out.size() < 24) {
    const char c = s[i];
    if (is_space(c)) {
      space = true;
      ++i;
    } else if (c == '(') { // comment, nested, with quoted-pairs; an unclosed one runs to the end
      int depth = 0;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
          ++i;
        } else if (s[i] == '(') {
          ++depth;
        } else if (s[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
      }
      space = true;
    } else {
      const std::size_t start = i;
      DateTok::Kind kind = is_alpha(c) ? DateTok::alpha : is_digit(c) ? DateTok::digits : DateTok::other;
      if (kind == DateTok::alpha) {
        while (i < s.size() && is_alpha(s[i]))
          ++i;
      } else if (kind == DateTok::digits) {
        while (i < s.size() && is_digit(s[i]))
          ++i;
      } else {
        ++i;
      }
      out.push_back({kind, s.substr(start, i - start), space});
      space = false;
    }
  }
  return out;
}

int number(std::string_view digits) { // at most 9 digits, checked by the caller
  int n = 0;
  for (char c : digits)
    n = n * 10 + (c - '0');
  return n;
}

struct NamedZone {
  const char* name;
  int minutes;
};
constexpr std::array<NamedZone, 12> k_zones{{{"UT", 0},
                                             {"UTC", 0},
                                             {"GMT", 0},
                                             {"Z", 0},
                                             {"EST", -300},
                                             {"EDT", -240},
                                             {"CST", -360},
                                             {"CDT", -300},
                                             {"MST", -420},
                                             {"MDT", -360},
                                             {"PST", -480},
                                             {"PDT", -420}}};

void add_note(std::string& notes, const std::string& note) {
  if (!notes.empty()) notes += "; ";
  notes += note;
}

MailDate invalid_date(MailDate d, const std::string& why) {
  d.valid = false;
  d.epoch_seconds = 0;
  d.offset_minutes = 0;
  d.zone_unknown = false;
  d.problem = why;
  return d;
}

} // namespace

MailDate parse_mail_date(std::string_view text) {
  MailDate d;
  d.as_written = std::string(trim(text));
  if (d.as_written.empty()) return invalid_date(d, "empty date");
  const std::vector<DateTok> t = date_tokens(d.as_written);
  std::size_t k = 0;
  auto at = [&](std::size_t i) -> const DateTok* { return i < t.size() ? &t[i] : nullptr; };
  auto show = [&](std::size_t i) { return i < t.size() ? "'" + std::string(t[i].text) + "'" : std::string("the end"); };
  std::string notes;

  int weekday = -1;
  if (at(k) && at(k)->kind == DateTok::alpha) {
    weekday = weekday_of(t[k].text);
    if (weekday < 0) return invalid_date(d, "not a date: " + show(k) + " is neither a day name nor a day number");
    if (t[k].text.size() > 3) add_note(notes, "day name written in full");
    ++k;
    if (at(k) && t[k].kind == DateTok::other && t[k].text == ",") ++k;
  }
  // day
  if (!at(k) || t[k].kind != DateTok::digits || t[k].text.size() > 2)
    return invalid_date(d, "expected a 1- or 2-digit day, found " + show(k));
  const int day = number(t[k].text);
  ++k;
  // month
  if (!at(k) || t[k].kind != DateTok::alpha) return invalid_date(d, "expected a month name, found " + show(k));
  const int month = month_of(t[k].text);
  if (month == 0) return invalid_date(d, "unknown month name " + show(k));
  ++k;
  // year
  if (!at(k) || t[k].kind != DateTok::digits) return invalid_date(d, "expected a year, found " + show(k));
  std::int64_t year = 0;
  {
    const std::string_view y = t[k].text;
    if (y.size() < 2 || y.size() > 4) return invalid_date(d, "year " + show(k) + " has " + std::to_string(y.size()) + " digits");
    year = number(y);
    if (y.size() == 2) {
      year += year < 50 ? 2000 : 1900;
      add_note(notes, "obsolete 2-digit year " + std::string(y) + " read as " + std::to_string(year));
    } else if (y.size() == 3) {
      year += 1900;
      add_note(notes, "obsolete 3-digit year " + std::string(y) + " read as " + std::to_string(year));
    } else if (year < 1900) {
      return invalid_date(d, "year " + std::string(y) + " is before 1900");
    }
  }
  ++k;
  // time
  auto two_digits = [&](std::size_t i) { return at(i) && t[i].kind == DateTok::digits && t[i].text.size() <= 2; };
  if (!two_digits(k)) return invalid_date(d, "expected the hour, found " + show(k));
  const int hour = number(t[k].text);
  ++k;
  if (!at(k) || t[k].text != ":") return invalid_date(d, "expected ':' after the hour, found " + show(k));
  ++k;
  if (!two_digits(k)) return invalid_date(d, "expected the minutes, found " + show(k));
  const int minute = number(t[k].text);
  ++k;
  int second = 0;
  if (at(k) && t[k].text == ":") {
    ++k;
    if (!two_digits(k)) return invalid_date(d, "expected the seconds, found " + show(k));
    second = number(t[k].text);
    ++k;
  }
  // zone
  if (!at(k)) return invalid_date(d, "no time zone");
  if (t[k].kind == DateTok::other && (t[k].text == "+" || t[k].text == "-")) {
    const bool minus = t[k].text == "-";
    ++k;
    if (!at(k) || t[k].kind != DateTok::digits || t[k].text.size() != 4 || t[k].space_before)
      return invalid_date(d, "expected 4 digits after the zone sign, found " + show(k));
    const int hh = number(t[k].text.substr(0, 2));
    const int mm = number(t[k].text.substr(2, 2));
    if (hh > 23 || mm > 59)
      return invalid_date(d, "zone offset " + std::string(minus ? "-" : "+") + std::string(t[k].text) + " is out of range");
    d.offset_minutes = (minus ? -1 : 1) * (hh * 60 + mm);
    if (minus && hh == 0 && mm == 0) {
      d.zone_unknown = true;
      add_note(notes, "zone -0000: local offset unknown, UTC assumed");
    }
    ++k;
    // A redundant zone name after the offset ("+0000 GMT", "-0800 PST") is tolerated.
    if (at(k) && t[k].kind == DateTok::alpha && t[k].text.size() <= 5) {
      add_note(notes, "zone name '" + std::string(t[k].text) + "' after the offset ignored");
      ++k;
    }
  } else if (t[k].kind == DateTok::alpha) {
    const std::string_view name = t[k].text;
    bool known = false;
    for (const auto& z : k_zones) {
      if (iequals(name, z.name)) {
        d.offset_minutes = z.minutes;
        known = true;
        if (z.minutes != 0) add_note(notes, "obsolete zone name " + std::string(name) + " read as " + offset_text(z.minutes));
        break;
      }
    }
    if (!known) {
      d.zone_unknown = true;
      if (name.size() == 1)
        add_note(notes, "military zone " + std::string(name) + ": offset unknown (RFC 5322 4.3), UTC assumed");
      else
        add_note(notes, "unknown zone name " + std::string(name) + ": UTC assumed");
    }
    ++k;
  } else {
    return invalid_date(d, "expected a time zone, found " + show(k));
  }
  if (at(k)) return invalid_date(d, "unexpected text after the date: " + show(k));

  // ranges
  if (day < 1 || day > days_in_month(year, month))
    return invalid_date(d, "day " + std::to_string(day) + " does not exist in " + k_months[static_cast<std::size_t>(month - 1)] + " " +
                               std::to_string(year));
  if (hour > 23) return invalid_date(d, "hour " + std::to_string(hour) + " is out of range");
  if (minute > 59) return invalid_date(d, "minute " + std::to_string(minute) + " is out of range");
  if (second > 60) return invalid_date(d, "second " + std::to_string(second) + " is out of range");
  if (second == 60) add_note(notes, "leap second");

  const std::int64_t days = util::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  d.epoch_seconds = days * 86400 + hour * 3600 + minute * 60 + second - static_cast<std::int64_t>(d.offset_minutes) * 60;
  if (weekday >= 0) {
    const auto actual = static_cast<std::size_t>(((days % 7) + 11) % 7); // 1970-01-01 was a Thursday
    if (static_cast<std::size_t>(weekday) != actual)
      add_note(notes, "day name " + std::string(t[0].text) + " does not match the date (a " + k_days_long[actual] + ")");
  }
  d.valid = true;
  d.problem = notes;
  return d;
}

Json to_json(const MailDate& d) {
  Json j = Json::object();
  j["as_written"] = str_or_null(d.as_written);
  j["utc"] = d.valid ? Json(utc_seconds(d.epoch_seconds)) : Json(nullptr);
  j["offset"] = d.valid ? Json(d.zone_unknown ? std::string("-00:00") : offset_text(d.offset_minutes)) : Json(nullptr);
  j["valid"] = d.valid;
  if (!d.problem.empty()) j["problem"] = json_text(d.problem);
  return j;
}

// ---------------------------------------------------------------------------------------------
// IP addresses

namespace {

// "1.2.3.4", "IPv6:2001:db8::1", "2001:db8::1" -> canonical text as written (prefix stripped),
// or empty when not an address.
std::string valid_ip(std::string_view s) {
  s = trim(s);
  if (istarts_with(s, "ipv6:")) s = s.substr(5);
  if (s.empty() || s.size() > 64) return {};
  const std::string z(s);
  unsigned char buf[16];
  if (inet_pton(AF_INET, z.c_str(), buf) == 1 || inet_pton(AF_INET6, z.c_str(), buf) == 1) return z;
  return {};
}

bool public_v4(const unsigned char* a) {
  const unsigned b0 = a[0], b1 = a[1], b2 = a[2];
  if (b0 == 0 || b0 == 10 || b0 == 127) return false;
  if (b0 == 100 && (b1 & 0xC0) == 64) return false;               // 100.64.0.0/10 CGNAT
  if (b0 == 169 && b1 == 254) return false;                       // link-local
  if (b0 == 172 && (b1 & 0xF0) == 16) return false;               // 172.16.0.0/12
  if (b0 == 192 && b1 == 168) return false;                       // 192.168.0.0/16
  if (b0 == 192 && b1 == 0 && (b2 == 0 || b2 == 2)) return false; // IETF assignments, TEST-NET-1
  if (b0 == 198 && (b1 & 0xFE) == 18) return false;               // 198.18.0.0/15 benchmarking
  if (b0 == 198 && b1 == 51 && b2 == 100) return false;           // TEST-NET-2
  if (b0 == 203 && b1 == 0 && b2 == 113) return false;            // TEST-NET-3
  if (b0 >= 224) return false;                                    // multicast, reserved, broadcast
  return true;
}

bool public_ip(const std::string& ip) {
  unsigned char a[16];
  if (inet_pton(AF_INET, ip.c_str(), a) == 1) return public_v4(a);
  if (inet_pton(AF_INET6, ip.c_str(), a) != 1) return false;
  static constexpr unsigned char k_zero[10] = {};
  if (std::memcmp(a, k_zero, 10) == 0) {
    if (a[10] == 0xFF && a[11] == 0xFF) return public_v4(a + 12); // ::ffff:a.b.c.d
    if (a[10] == 0 && a[11] == 0) return false;                   // ::, ::1, old v4-compatible
  }
  if (a[0] == 0xFF) return false;                                                             // multicast
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return false;                                    // fe80::/10 link-local
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) return false;                                    // fec0::/10 old site-local
  if ((a[0] & 0xFE) == 0xFC) return false;                                                    // fc00::/7 unique-local
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8) return false;             // 2001:db8::/32
  if (a[0] == 0x01 && a[1] == 0x00 && std::memcmp(a + 2, k_zero, 6) == 0) return false;       // 100::/64 discard
  if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B) return public_v4(a + 12); // 64:ff9b::/96
  return true;
}

// ---------------------------------------------------------------------------------------------
// Received

enum Clause : std::size_t { c_pre, c_from, c_by, c_via, c_with, c_id, c_for, c_dup, c_count };
constexpr std::array<const char*, c_count> k_clause_names{"", "from", "by", "via", "with", "id", "for", ""};

struct ClauseData {
  bool seen = false;
  std::vector<std::string_view> words;
  std::vector<std::string_view> comments;
};

// TCP-info in one comment of the from clause: (host [ip]), ([ip]), (ip), (user@ip), ([ip]:port helo=x).
bool tcp_info(std::string_view c, std::string& host, std::string& ip) {
  c = trim(c);
  std::size_t first_end = 0;
  while (first_end < c.size() && !is_space(c[first_end]))
    ++first_end;
  const std::string_view first = c.substr(0, first_end);
  if (iequals(first, "helo") || iequals(first, "ehlo") || iequals(first, "lhlo")) return false;
  // The first bracketed literal holding an address.
  for (std::size_t open = c.find('['), close = 0; open != npos; open = c.find('[', close + 1)) {
    close = c.find(']', open + 1);
    if (close == npos) break;
    const std::string found = valid_ip(c.substr(open + 1, close - open - 1));
    if (found.empty()) continue;
    ip = found;
    // The host is the word before the bracket.
    std::size_t e = open;
    while (e > 0 && is_space(c[e - 1]))
      --e;
    std::size_t b = e;
    while (b > 0 && !is_space(c[b - 1]) && c[b - 1] != '(' && c[b - 1] != ')')
      --b;
    const std::string_view word = c.substr(b, e - b);
    host.clear();
    if (!word.empty() && word.back() != '@' && !iequals(word, "unknown") && !iequals(word, "really")) host = std::string(word);
    return true;
  }
  // A bare address as the first word, perhaps after "user@" or before ":port".
  std::string_view w = first;
  while (!w.empty() && (w.back() == ',' || w.back() == ';'))
    w.remove_suffix(1);
  if (const std::size_t at = w.rfind('@'); at != npos) w = w.substr(at + 1);
  std::string found = valid_ip(w);
  if (found.empty()) {
    const std::size_t colon = w.find(':');
    if (colon != npos && w.find(':', colon + 1) == npos) found = valid_ip(w.substr(0, colon)); // a.b.c.d:port
    if (!found.empty() && found.find('.') == std::string::npos) found.clear();
  }
  if (found.empty()) return false;
  ip = found;
  host.clear();
  return true;
}

bool tls_with_protocol(std::string_view w) {
  static constexpr std::array<const char*, 6> k{"esmtps", "esmtpsa", "smtps", "utf8smtps", "utf8smtpsa", "lmtps"};
  for (const char* p : k)
    if (iequals(w, p)) return true;
  return icontains(w, "/tls");
}

bool tls_comment(std::string_view c) {
  c = trim(c);
  return icontains(c, "version=tls") || icontains(c, "version=ssl") || icontains(c, "using tls") || icontains(c, "using ssl") ||
         icontains(c, "google transport security") || icontains(c, "cipher=") ||
         (istarts_with(c, "tls") && c.size() > 3 && (is_digit(c[3]) || c[3] == 'v' || c[3] == 'V' || c[3] == '_'));
}

void add_hint(std::string& tls, const std::string& hint) {
  if (hint.empty() || tls.size() > 2000) return; // bounded: hostile input may repeat hints
  // identical hints once
  std::size_t pos = 0;
  while (pos <= tls.size()) {
    std::size_t end = tls.find("; ", pos);
    if (end == std::string::npos) end = tls.size();
    if (tls.compare(pos, end - pos, hint) == 0 && !tls.empty()) return;
    pos = end + 2;
  }
  if (!tls.empty()) tls += "; ";
  tls += hint;
}

std::string shorten(std::string_view s, std::size_t max = 80) {
  std::string out = squash(s.substr(0, max * 2));
  if (out.size() > max) out = out.substr(0, max) + "...";
  return out;
}

} // namespace

Hop parse_received(std::string_view value) {
  Hop hop;
  const std::string_view v = trim(value);
  if (v.empty()) {
    hop.problems.push_back("empty Received value");
    hop.problems.push_back("no date");
    hop.date.problem = "no date";
    return hop;
  }
  // Matching parentheses in one pass (comments nest and may hold quoted-pairs).
  std::vector<std::size_t> close(v.size(), npos);
  bool unbalanced = false;
  {
    std::vector<std::size_t> stack;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const char c = v[i];
      if (c == '\\' && !stack.empty()) {
        ++i;
      } else if (c == '(') {
        stack.push_back(i);
      } else if (c == ')') {
        if (stack.empty()) {
          unbalanced = true;
        } else {
          close[stack.back()] = i;
          stack.pop_back();
        }
      }
    }
    if (!stack.empty()) unbalanced = true;
  }
  if (unbalanced) hop.problems.push_back("unbalanced parentheses");

  // The date is the text after the last ';' outside comments.
  std::size_t semi = npos;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '(' && close[i] != npos)
      i = close[i];
    else if (v[i] == ';')
      semi = i;
  }
  const std::string_view clauses = semi == npos ? v : v.substr(0, semi);
  const std::string_view date_part = semi == npos ? std::string_view{} : trim(v.substr(semi + 1));

  // Tokens of the clause part: words and comments, comments attached to the current clause.
  std::array<ClauseData, c_count> cl;
  std::vector<std::string_view> all_comments;
  std::size_t cur = c_pre;
  bool any_word = false;
  std::array<bool, c_count> repeated{};
  for (std::size_t i = 0; i < clauses.size();) {
    const char c = clauses[i];
    if (c == '(' && close[i] != npos && close[i] < clauses.size()) {
      const std::string_view comment = clauses.substr(i + 1, close[i] - i - 1);
      cl[cur].comments.push_back(comment);
      all_comments.push_back(comment);
      i = close[i] + 1;
      continue;
    }
    if (is_space(c) || c == '(' || c == ')' || c == ';') {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < clauses.size() && !is_space(clauses[i]) && clauses[i] != '(' && clauses[i] != ')' && clauses[i] != ';')
      ++i;
    const std::string_view word = clauses.substr(start, i - start);
    any_word = true;
    std::size_t kw = c_count;
    for (std::size_t k = c_from; k <= c_for; ++k)
      if (iequals(word, k_clause_names[k])) kw = k;
    if (kw != c_count) {
      if (cl[kw].seen) {
        if (!repeated[kw]) hop.problems.push_back(std::string("repeated '") + k_clause_names[kw] + "' clause ignored");
        repeated[kw] = true;
        cur = c_dup;
      } else {
        cl[kw].seen = true;
        cur = kw;
      }
      continue;
    }
    cl[cur].words.push_back(word);
  }
  // The comments of the date part may hold TLS details too (IBM gateways put them there).
  for (std::size_t i = semi == npos ? v.size() : semi + 1; i < v.size(); ++i) {
    if (v[i] == '(' && close[i] != npos) {
      all_comments.push_back(v.substr(i + 1, close[i] - i - 1));
      i = close[i];
    }
  }

  if (!cl[c_pre].words.empty()) hop.problems.push_back("text before the first clause: " + shorten(join(cl[c_pre].words)));
  if (any_word && !cl[c_from].seen && !cl[c_by].seen) hop.problems.push_back("unparsable: neither a from nor a by clause");
  for (std::size_t k = c_from; k <= c_for; ++k)
    if (cl[k].seen && cl[k].words.empty()) hop.problems.push_back(std::string("empty '") + k_clause_names[k] + "' clause");

  hop.from = join(cl[c_from].words);
  hop.by = join(cl[c_by].words);
  hop.via = join(cl[c_via].words);
  hop.id = join(cl[c_id].words);
  {
    std::string f = join(cl[c_for].words);
    if (f.size() >= 2 && f.front() == '<' && f.back() == '>' && f.find('>') == f.size() - 1) f = f.substr(1, f.size() - 2);
    hop.for_ = f;
  }
  {
    // Exim writes "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384": the cipher is not part of the protocol.
    const auto& w = cl[c_with].words;
    std::size_t tls_at = w.size();
    for (std::size_t k = 1; k < w.size(); ++k)
      if (iequals(w[k], "tls")) {
        tls_at = k;
        break;
      }
    hop.with = join(w, 0, tls_at);
    if (!w.empty() && tls_with_protocol(w[0])) add_hint(hop.tls, std::string(w[0]));
    if (tls_at < w.size()) add_hint(hop.tls, join(w, tls_at));
  }
  for (const std::string_view c : all_comments)
    if (tls_comment(c)) add_hint(hop.tls, squash(c));

  for (const std::string_view c : cl[c_from].comments) {
    std::string host;
    std::string ip;
    if (tcp_info(c, host, ip)) {
      hop.from_ip = ip;
      hop.from_tcp_host = host;
      break;
    }
  }

  if (semi == npos || date_part.empty()) {
    hop.problems.push_back("no date");
    hop.date.problem = "no date";
  } else {
    hop.date = parse_mail_date(date_part);
    if (!hop.date.valid) hop.problems.push_back("unparsable date: " + hop.date.problem);
  }
  return hop;
}

std::vector<Hop> received_chain(const HeaderBlock& block) {
  std::vector<Hop> chain;
  for (std::size_t i = block.fields.size(); i-- > 0;) {
    if (!iequals(block.fields[i].name, "Received")) continue;
    Hop h = parse_received(block.fields[i].unfolded);
    h.header_index = i;
    chain.push_back(std::move(h));
  }
  const Hop* prev = nullptr; // the nearest older hop with a valid date
  for (Hop& h : chain) {
    if (!h.date.valid) continue;
    if (prev) h.delay_seconds = h.date.epoch_seconds - prev->date.epoch_seconds;
    prev = &h;
  }
  return chain;
}

Json to_json(const Hop& h) {
  Json j = Json::object();
  j["header_index"] = h.header_index;
  j["from"] = str_or_null(h.from);
  j["from_tcp_host"] = str_or_null(h.from_tcp_host);
  j["from_ip"] = str_or_null(h.from_ip);
  j["by"] = str_or_null(h.by);
  j["via"] = str_or_null(h.via);
  j["with"] = str_or_null(h.with);
  j["id"] = str_or_null(h.id);
  j["for"] = str_or_null(h.for_);
  j["tls"] = str_or_null(h.tls);
  j["date"] = to_json(h.date);
  j["delay_seconds"] = h.delay_seconds ? Json(*h.delay_seconds) : Json(nullptr);
  j["problems"] = Json::array();
  for (const auto& p : h.problems)
    j["problems"].push_back(json_text(p));
  return j;
}

// ---------------------------------------------------------------------------------------------
// Originating IP

namespace {

// The first address of a client-IP header value: "[1.2.3.4]", "1.2.3.4, 10.0.0.1", "[2001:db8::1]:443".
std::string header_ip(std::string_view value) {
  std::string_view s = trim(value);
  // drop comments at the end ("1.2.3.4 (via proxy)")
  if (const std::size_t p = s.find('('); p != npos) s = trim(s.substr(0, p));
  if (const std::size_t comma = s.find(','); comma != npos) s = trim(s.substr(0, comma));
  if (const std::size_t sp = s.find_first_of(" \t"); sp != npos) s = s.substr(0, sp);
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == npos) return {};
    s = s.substr(1, close - 1);
  }
  std::string ip = valid_ip(s);
  if (ip.empty()) {
    const std::size_t colon = s.find(':');
    if (colon != npos && s.find(':', colon + 1) == npos) {
      ip = valid_ip(s.substr(0, colon));
      if (ip.find('.') == std::string::npos) ip.clear();
    }
  }
  return ip;
}

// Which provider's relay connected on this hop, and by which name: the reverse-DNS name the
// receiving server recorded, else the HELO name the connecting host gave.
struct RelayMatch {
  const RelayProvider* provider = nullptr;
  std::string on;   // "reverse-dns" | "helo" | "helo-unconfirmed"
  std::string name; // the name that matched
};

const RelayProvider* writer_of(const Hop& h);

// A HELO name is only what the connecting host claimed: it is taken as confirmed when the line
// was written by the same provider's server (its internal hops, often recorded without a
// reverse-DNS name), and otherwise reported as "helo-unconfirmed".
RelayMatch relay_of(const Hop& h) {
  if (const RelayProvider* p = provider_of_host(h.from_tcp_host)) return {p, "reverse-dns", h.from_tcp_host};
  if (const RelayProvider* p = provider_of_host(h.from)) return {p, writer_of(h) == p ? "helo" : "helo-unconfirmed", h.from};
  return {};
}

// The host that wrote a Received line: the first word of its "by" clause.
const RelayProvider* writer_of(const Hop& h) {
  const std::string_view by = trim(h.by);
  return provider_of_host(by.substr(0, by.find(' ')));
}

// True when a hop in [from, to) records `p` receiving the message from a host outside `p`
// with its address: then `p`'s later relay hops are the recipient's side, not the sender's.
bool entered_from_outside(const std::vector<Hop>& chain, std::size_t from, std::size_t to, const RelayProvider* p) {
  for (std::size_t j = from; j < to && j < chain.size(); ++j)
    if (writer_of(chain[j]) == p && !chain[j].from_ip.empty() && relay_of(chain[j]).provider != p) return true;
  return false;
}

// The provider's own identifiers of the message: queue ids on the Received lines its servers
// wrote up to its relay hop, on X-Received lines below that hop (when the row lists them),
// and the id headers of its row below that hop. Oldest (lowest in the header) first.
std::vector<ProviderIdentifier> provider_ids(const HeaderBlock& block, const std::vector<Hop>& chain, std::size_t relay,
                                             const RelayProvider* p) {
  std::vector<ProviderIdentifier> out;
  for (std::size_t j = 0; j <= relay && j < chain.size(); ++j) {
    const Hop& h = chain[j];
    if (h.id.empty() || !p->received_ids || writer_of(h) != p) continue;
    out.push_back({"queue-id", h.id, "Received", h.header_index, j, h.by, h.date});
  }
  const std::size_t relay_line = chain[relay].header_index;
  std::string_view rest = p->id_headers;
  while (!rest.empty()) {
    const std::size_t sp = rest.find(' ');
    const std::string_view name = rest.substr(0, sp);
    rest = sp == npos ? std::string_view{} : rest.substr(sp + 1);
    for (std::size_t i = relay_line + 1; i < block.fields.size(); ++i) {
      const RawHeader& f = block.fields[i];
      if (!iequals(f.name, name) || out.size() >= 50) continue;
      if (iequals(name, "X-Received")) {
        const Hop x = parse_received(f.unfolded);
        if (!x.id.empty()) out.push_back({"queue-id", x.id, f.name, i, std::nullopt, x.by, x.date});
      } else {
        const std::string value(trim(f.unfolded).substr(0, 200));
        if (!value.empty()) out.push_back({"header", value, f.name, i, std::nullopt, "", MailDate{}});
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ProviderIdentifier& a, const ProviderIdentifier& b) { return a.header_index > b.header_index; });
  return out;
}

constexpr const char* k_cgnat_sentence =
    "An IP address alone does not identify a person: its access provider can name the subscriber only with the exact time, and behind "
    "carrier-grade NAT or a shared connection only with the source port too, which e-mail headers do not record.";
constexpr const char* k_device_sentence =
    "Whether the address is the sender's own device or connection, a VPN, a proxy or a server of the sender's organisation.";

} // namespace

Origin origin_of(const HeaderBlock& block, const std::vector<Hop>& chain) {
  Origin o;
  // 1. client-IP headers: the first public address, else the first non-public one
  std::optional<OriginatingIp> header_public;
  std::optional<OriginatingIp> header_private;
  std::size_t public_index = 0;
  std::size_t private_index = 0;
  for (const char* name : k_client_ip_headers) {
    for (std::size_t i = 0; i < block.fields.size() && !header_public; ++i) {
      const RawHeader& f = block.fields[i];
      if (!iequals(f.name, name)) continue;
      const std::string ip = header_ip(f.unfolded);
      if (ip.empty()) continue;
      if (public_ip(ip)) {
        std::string reason = std::string(name) + " header";
        if (iequals(name, "X-Forwarded-For")) reason += " (first entry)";
        header_public = OriginatingIp{ip, reason, f.name};
        public_index = i;
      } else if (!header_private) {
        header_private = OriginatingIp{ip, std::string(name) + " header (not a public address)", f.name};
        private_index = i;
      }
    }
    if (header_public) break;
  }

  // 2. the oldest hop with a public address, and the provider relay the message left through
  std::optional<std::size_t> first_public;
  for (std::size_t i = 0; i < chain.size(); ++i)
    if (!chain[i].from_ip.empty() && public_ip(chain[i].from_ip)) {
      first_public = i;
      break;
    }
  std::optional<std::size_t> relay;
  RelayMatch match;
  if (first_public) {
    for (std::size_t i = *first_public; i < chain.size(); ++i) {
      if (chain[i].from_ip.empty() || !public_ip(chain[i].from_ip)) continue;
      const RelayMatch m = relay_of(chain[i]);
      if (m.provider == nullptr) continue;
      // A relay newer than the first public hop counts only when its provider did not record
      // receiving the message from outside before (else it is the recipient's provider).
      if (i == *first_public || !entered_from_outside(chain, *first_public, i, m.provider)) {
        relay = i;
        match = m;
      }
      break;
    }
  }
  const bool relay_is_first_public = relay && relay == first_public;
  if (relay) {
    // The hand-off: the provider's relays may pass the message between themselves before the
    // last one hands it to a server outside; that last hop is the one to quote.
    while (*relay + 1 < chain.size() && !chain[*relay + 1].from_ip.empty() && relay_of(chain[*relay + 1]).provider == match.provider &&
           relay_of(chain[*relay + 1]).on != "helo-unconfirmed" && match.on != "helo-unconfirmed") {
      relay = *relay + 1;
      match = relay_of(chain[*relay]);
    }
    o.provider = match.provider;
    o.relay_received_index = relay;
    o.relay_ip = chain[*relay].from_ip;
    o.relay_matched_on = match.on;
    o.relay_matched_name = std::string(util::trim_end(match.name, "."));
    o.identifiers = provider_ids(block, chain, *relay, match.provider);
  }

  // Old webmail (Yahoo "via HTTP") wrote the user's address as the from clause of the line its
  // own web server wrote: "from [41.222.192.69] by web82107.mail.mud.yahoo.com via HTTP".
  std::optional<std::size_t> submission;
  if (relay && match.on != "helo-unconfirmed") {
    for (std::size_t j = 0; j <= *relay; ++j) {
      const Hop& h = chain[j];
      const std::string_view from = trim(h.from);
      if (!h.from_ip.empty() || writer_of(h) != match.provider || from.size() < 3 || from.front() != '[' || from.back() != ']') continue;
      const std::string ip = valid_ip(from.substr(1, from.size() - 2));
      if (!ip.empty() && public_ip(ip)) {
        submission = j;
        o.client = OriginatingIp{ip, "address the provider's own server wrote as the sender of the submission", "Received"};
        o.client_header_index = h.header_index;
        o.client_received_index = j;
        break;
      }
    }
  }

  const std::string provider = o.provider != nullptr ? std::string(o.provider->name) : std::string();
  if (header_public) {
    o.rule = k_rule_client_ip_header;
    o.client = header_public;
    o.client_header_index = public_index;
    o.cannot_know.push_back("Whether " + header_public->source +
                            " was written by the sender's provider or by the sending program itself, which can write any value.");
    o.cannot_know.push_back(k_device_sentence);
    o.cannot_know.push_back(k_cgnat_sentence);
  } else if (submission) {
    o.rule = k_rule_provider_submission;
    o.cannot_know.push_back(k_device_sentence);
    o.cannot_know.push_back(k_cgnat_sentence);
  } else if (relay && match.on == "helo-unconfirmed") {
    o.rule = k_rule_unconfirmed_relay;
    o.cannot_know.push_back(
        "Whether the host that handed the message on is " + provider + "'s relay: it called itself " + o.relay_matched_name +
        " in HELO, which any host can claim, and the receiving server recorded " +
        (chain[*relay].from_tcp_host.empty() ? std::string("no reverse-DNS name") : "the name " + chain[*relay].from_tcp_host) + " for " +
        o.relay_ip + ". If it is not the provider's, that address may be the sender's.");
    o.cannot_know.push_back(k_cgnat_sentence);
  } else if (relay) {
    o.rule = k_rule_provider_relay;
    o.cannot_know.push_back("The sender's IP address: " + provider +
                            " does not write it into the message. Only the provider can disclose it (and the account's data), on a "
                            "legal request that gives the message's identifiers.");
    if (!relay_is_first_public)
      o.cannot_know.push_back("The Received lines older than the provider's relay hop: the provider did not record receiving the message "
                              "from them, so they were in the message as submitted and may have been written by the sender.");
    o.cannot_know.push_back(k_cgnat_sentence);
  } else if (first_public) {
    const Hop& h = chain[*first_public];
    o.rule = k_rule_first_public_hop;
    o.client = OriginatingIp{h.from_ip, "oldest Received hop with a public IP in its TCP-info", "Received"};
    o.client_header_index = h.header_index;
    o.client_received_index = first_public;
    if (*first_public + 1 < chain.size())
      o.cannot_know.push_back("Whether this Received line is genuine: only the newest lines, written by the recipient's own servers, can "
                              "be relied on; older ones may have been written by the sending side.");
    o.cannot_know.push_back(k_device_sentence);
    o.cannot_know.push_back("Whether a provider relayed the message without writing the sender's address: cbkit recognises the relays "
                            "of the providers in its table by host name only.");
    o.cannot_know.push_back(k_cgnat_sentence);
  } else if (header_private) {
    o.rule = k_rule_client_ip_header_private;
    o.client = header_private;
    o.client_header_index = private_index;
    o.cannot_know.push_back("Who used this address: it is a private (local network) address, meaningful only inside the network that "
                            "assigned it.");
  } else {
    o.rule = k_rule_no_origin;
    o.cannot_know.push_back("Where the message came from: no client-IP header and no Received line with a public address.");
  }
  return o;
}

std::optional<OriginatingIp> likely_originating_ip(const HeaderBlock& block, const std::vector<Hop>& chain) {
  return origin_of(block, chain).client;
}

namespace {

Json date_or_null(const MailDate& d) { return d.valid ? Json(utc_seconds(d.epoch_seconds)) : Json(nullptr); }

Json index_or_null(const std::optional<std::size_t>& i) { return i ? Json(*i) : Json(nullptr); }

} // namespace

Json to_json(const Origin& o, const std::vector<Hop>& chain, const std::string& message_id) {
  Json j = Json::object();
  j["rule"] = o.rule;
  const std::string provider = o.provider != nullptr ? std::string(o.provider->name) : std::string();
  std::string conclusion;
  Json evidence = Json::array();
  const auto hop_evidence = [&](std::size_t i, const std::string& what) {
    evidence.push_back(Json{{"header", "Received"}, {"header_index", chain[i].header_index}, {"received_index", i}, {"what", what}});
  };
  if (o.client) {
    const std::string ip = json_text(o.client->ip);
    if (o.rule == k_rule_provider_submission) {
      conclusion = "A Received line written by " + provider + "'s own server names " + ip +
                   " as the address that submitted the message to it; that is taken as the sender's client.";
      hop_evidence(*o.client_received_index, "submission from " + ip + " recorded by " + json_text(chain[*o.client_received_index].by));
    } else if (o.rule == k_rule_first_public_hop) {
      conclusion = "The oldest Received line with a public address records " + ip +
                   " as the host that handed the message on; it is not a known provider's relay, so it is taken as the sender's "
                   "client or the sender's own mail server.";
      hop_evidence(*o.client_received_index, "connecting address " + ip +
                                                 (chain[*o.client_received_index].from_tcp_host.empty()
                                                      ? std::string()
                                                      : " (" + json_text(chain[*o.client_received_index].from_tcp_host) + ")"));
    } else {
      conclusion = "The " + json_text(o.client->source) + " header gives " + ip + " as the address of the sender's client" +
                   (o.rule == k_rule_client_ip_header_private ? " (a private address)." : ".");
      evidence.push_back(Json{{"header", json_text(o.client->source)},
                              {"header_index", o.client_header_index},
                              {"received_index", nullptr},
                              {"what", "client address " + ip}});
    }
    j["client_ip"] = Json{{"ip", ip},
                          {"source", json_text(o.client->source)},
                          {"reason", json_text(o.client->reason)},
                          {"header_index", o.client_header_index},
                          {"received_index", index_or_null(o.client_received_index)}};
  } else {
    j["client_ip"] = nullptr;
  }
  if (o.provider != nullptr) {
    const std::size_t r = *o.relay_received_index;
    const Hop& h = chain[r];
    if (o.rule == k_rule_unconfirmed_relay)
      conclusion = "The host that handed the message on [" + json_text(o.relay_ip) + "] called itself " + json_text(o.relay_matched_name) +
                   ", a name of " + provider +
                   ", but nothing confirms it. Whether that address is the provider's relay or the sender's own cannot be told from "
                   "the message, so no originating address is given.";
    else if (!o.client)
      conclusion = "The message left " + provider + " through its relay " + json_text(o.relay_matched_name) + " [" + json_text(o.relay_ip) +
                   "]; that address is the provider's, not the sender's. The provider does not disclose the sender's IP address in "
                   "the message: it must be asked for it, by a legal request to " +
                   provider + ", with the identifiers below.";
    hop_evidence(r, "relay " + json_text(o.relay_matched_name) + " [" + json_text(o.relay_ip) + "] recognised by its " +
                        (o.relay_matched_on == "reverse-dns" ? "reverse-DNS name"
                         : o.relay_matched_on == "helo"      ? "HELO name on a line the provider wrote"
                                                             : "HELO name only (unconfirmed)") +
                        " as " + provider);
    Json p = Json::object();
    p["key"] = std::string(o.provider->key);
    p["name"] = provider;
    // true: the provider's own line gives it; false: it writes none; null: unknown (a
    // client-IP header may be the sending program's own, an unconfirmed relay may be none)
    p["client_ip_disclosed"] = o.rule == k_rule_provider_submission ? Json(true)
                               : o.rule == k_rule_provider_relay    ? Json(false)
                                                                    : Json(nullptr);
    p["relay_ip"] = json_text(o.relay_ip);
    p["relay_name"] = json_text(o.relay_matched_name);
    p["matched_on"] = o.relay_matched_on;
    p["relay_received_index"] = r;
    p["relay_header_index"] = h.header_index;
    p["request"] = "Ask " + provider +
                   ", by a legal request, for the IP address, source port and time of the session that submitted this message and for "
                   "the account's data, giving the Message-ID, the provider's queue id and the UTC time of the hand-off.";
    j["provider"] = std::move(p);
    // The queue id to quote: the one on the provider's newest Received line, else its newest X-Received.
    Json queue_id = nullptr;
    for (const ProviderIdentifier& id : o.identifiers)
      if (id.kind == "queue-id") queue_id = json_text(id.value);
    for (const ProviderIdentifier& id : o.identifiers)
      if (id.kind == "queue-id" && id.received_index) queue_id = json_text(id.value);
    Json ids = Json::array();
    for (const ProviderIdentifier& id : o.identifiers) {
      ids.push_back(Json{{"kind", id.kind},
                         {"value", json_text(id.value)},
                         {"header", json_text(id.header)},
                         {"header_index", id.header_index},
                         {"received_index", index_or_null(id.received_index)},
                         {"by", str_or_null(id.by)},
                         {"utc", date_or_null(id.date)}});
    }
    j["identifiers"] = Json{{"message_id", str_or_null(message_id)},
                            {"queue_id", std::move(queue_id)},
                            {"provider_ids", std::move(ids)},
                            {"handoff_utc", date_or_null(h.date)},
                            {"handoff_received_index", r}};
  } else {
    j["provider"] = nullptr;
    j["identifiers"] = Json{{"message_id", str_or_null(message_id)},
                            {"queue_id", nullptr},
                            {"provider_ids", Json::array()},
                            {"handoff_utc", nullptr},
                            {"handoff_received_index", nullptr}};
  }
  if (conclusion.empty())
    conclusion = "No originating address: the message has no client-IP header and no Received line with a public address.";
  j["conclusion"] = conclusion;
  j["evidence"] = std::move(evidence);
  Json ck = Json::array();
  for (const auto& s : o.cannot_know)
    ck.push_back(json_text(s));
  j["cannot_know"] = std::move(ck);
  return j;
}

// ---------------------------------------------------------------------------------------------
// Authentication-Results

namespace {

class AuthParser {
public:
  AuthParser(std::string_view s, AuthResults& out) : s_(s), out_(out) {}

  void run() {
    skip_cfws();
    const std::size_t start = pos_;
    std::string id = read_value();
    if (!at_end() && s_[pos_] == '=' && !id.empty() && id.find('"') == std::string::npos && s_[start] != '"') {
      // Outlook sometimes writes no authserv-id: the first word is already "spf=pass".
      problem("no authserv-id");
      pos_ = start;
      resinfo();
    } else {
      out_.authserv_id = id;
      if (id.empty()) problem("no authserv-id");
      skip_cfws();
      if (!at_end() && is_digit(s_[pos_])) { // authres-version
        const std::size_t vstart = pos_;
        while (!at_end() && is_digit(s_[pos_]))
          ++pos_;
        if (!at_end() && !is_space(s_[pos_]) && s_[pos_] != ';' && s_[pos_] != '(') {
          pos_ = vstart;
        } else if (s_.substr(vstart, pos_ - vstart) != "1") {
          problem("unknown version " + std::string(s_.substr(vstart, pos_ - vstart)));
        }
      }
      skip_cfws();
      if (!at_end() && s_[pos_] != ';') {
        const std::size_t junk = pos_;
        skip_to_semicolon();
        problem("unexpected text after the authserv-id: " + shorten(s_.substr(junk, pos_ - junk)));
      }
    }
    bool none_seen = false;
    while (true) {
      skip_cfws();
      if (at_end()) break;
      if (s_[pos_] != ';') { // resinfo() stops only at ';' or the end
        ++pos_;
        continue;
      }
      ++pos_;
      skip_cfws();
      if (at_end()) break;
      // "none" alone: no authentication was done
      const std::size_t save = pos_;
      const std::string w = read_keyword();
      skip_cfws();
      if (iequals(w, "none") && (at_end() || s_[pos_] == ';')) {
        none_seen = true;
        continue;
      }
      pos_ = save;
      resinfo();
    }
    if (none_seen && !out_.methods.empty()) problem("'none' together with results");
    if (!none_seen && out_.methods.empty() && out_.problems.empty()) problem("no results");
  }

private:
  std::string_view s_;
  AuthResults& out_;
  std::size_t pos_ = 0;

  bool at_end() const { return pos_ >= s_.size(); }
  void problem(const std::string& p) {
    if (out_.problems.size() < 50) out_.problems.push_back(p);
  }

  void skip_comment() { // at '('
    int depth = 0;
    for (; pos_ < s_.size(); ++pos_) {
      const char c = s_[pos_];
      if (c == '\\') {
        ++pos_;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        ++pos_;
        return;
      }
    }
    problem("unclosed comment");
  }

  void skip_cfws() {
    while (!at_end()) {
      if (is_space(s_[pos_]))
        ++pos_;
      else if (s_[pos_] == '(')
        skip_comment();
      else
        break;
    }
  }

  void skip_to_semicolon() {
    while (!at_end() && s_[pos_] != ';') {
      if (s_[pos_] == '(')
        skip_comment();
      else if (s_[pos_] == '"')
        read_quoted();
      else
        ++pos_;
    }
  }

  std::string read_quoted() { // at '"'
    std::string out;
    ++pos_;
    while (!at_end() && s_[pos_] != '"') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out += s_[pos_++];
    }
    if (at_end())
      problem("unclosed quoted string");
    else
      ++pos_;
    return out;
  }

  // A keyword: letters, digits, '-', '_', '.' (method, result, ptype.property).
  std::string read_keyword() {
    const std::size_t start = pos_;
    while (!at_end() && (is_alpha(s_[pos_]) || is_digit(s_[pos_]) || s_[pos_] == '-' || s_[pos_] == '_' || s_[pos_] == '.'))
      ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  // A value: a quoted-string or a run up to white space, '(' or ';' ('=' and '/' included, as in
  // base64 fragments). With stop_at_equals the run also ends at '='.
  std::string read_value(bool stop_at_equals = true) {
    if (!at_end() && s_[pos_] == '"') return read_quoted();
    const std::size_t start = pos_;
    while (!at_end() && !is_space(s_[pos_]) && s_[pos_] != '(' && s_[pos_] != ';' && !(stop_at_equals && s_[pos_] == '='))
      ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  static bool known_method(std::string_view m) {
    static constexpr std::array<const char*, 17> k{"spf",       "dkim",       "dmarc",     "arc",      "iprev",         "auth",
                                                   "dkim-adsp", "domainkeys", "sender-id", "bimi",     "dkim-atps",     "rrvs",
                                                   "smime",     "vbr",        "dnswl",     "compauth", "x-original-spf"};
    for (const char* p : k)
      if (iequals(m, p)) return true;
    return false;
  }

  // methodspec [reasonspec] *propspec, up to the next ';' or the end.
  void resinfo() {
    while (resinfo_one()) {
    }
  }

  // One methodspec and its properties; true when another method follows without a ';'.
  bool resinfo_one() {
    std::string method = read_keyword();
    if (method.empty()) {
      problem("expected a method, found " + shorten(s_.substr(pos_, 40)));
      skip_to_semicolon();
      return false;
    }
    skip_cfws();
    if (!at_end() && s_[pos_] == '/') { // method-version
      ++pos_;
      skip_cfws();
      read_keyword();
      skip_cfws();
    }
    if (at_end() || s_[pos_] != '=') {
      problem("method '" + method + "' without a result");
      skip_to_semicolon();
      return false;
    }
    ++pos_;
    skip_cfws();
    AuthMethod m;
    m.method = util::to_lower_ascii(method);
    m.result = util::to_lower_ascii(read_keyword());
    if (m.result.empty()) problem("method '" + method + "' without a result");
    while (true) {
      skip_cfws();
      if (at_end() || s_[pos_] == ';') break;
      const std::size_t before = pos_;
      const std::string key = read_keyword();
      skip_cfws();
      if (key.empty() || at_end() || s_[pos_] != '=') {
        if (key.empty()) {
          pos_ = before;
          const std::string junk = read_value(false);
          if (pos_ == before) ++pos_;
          problem("unexpected text '" + shorten(junk, 40) + "' in " + m.method + " result");
        } else {
          problem("unexpected text '" + shorten(key, 40) + "' in " + m.method + " result");
        }
        continue;
      }
      if (key.find('.') == std::string::npos && known_method(key) && !iequals(key, "reason")) {
        // a second method without the ';' separator
        problem("results not separated by ';' before '" + key + "'");
        out_.methods.push_back(std::move(m));
        pos_ = before;
        return true;
      }
      ++pos_; // '='
      skip_cfws();
      const std::string value = read_value(false);
      if (iequals(key, "reason")) {
        m.reason = value;
      } else {
        m.properties.emplace_back(util::to_lower_ascii(key), value);
      }
    }
    out_.methods.push_back(std::move(m));
    return false;
  }
};

} // namespace

AuthResults parse_authentication_results(std::string_view unfolded) {
  AuthResults a;
  AuthParser(trim(unfolded), a).run();
  return a;
}

Json to_json(const AuthResults& a) {
  Json j = Json::object();
  j["header_index"] = a.header_index;
  j["authserv_id"] = str_or_null(a.authserv_id);
  j["methods"] = Json::array();
  for (const auto& m : a.methods) {
    Json jm = Json::object();
    jm["method"] = str_or_null(m.method);
    jm["result"] = str_or_null(m.result);
    jm["reason"] = str_or_null(m.reason);
    Json props = Json::object();
    for (const auto& [k, val] : m.properties) {
      const std::string key = json_text(k);
      if (!props.contains(key)) props[key] = json_text(val);
    }
    jm["properties"] = std::move(props);
    j["methods"].push_back(std::move(jm));
  }
  j["problems"] = Json::array();
  for (const auto& p : a.problems)
    j["problems"].push_back(json_text(p));
  return j;
}

} // namespace cbkit::email
