#include "cbkit/util/time.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <utility>
#include <vector>

namespace cbkit::util {

namespace {

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : k_days[m - 1];
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// At s[i] == '.', reads 1 to 9 fraction digits into `out` and moves i past them; false for
// a '.' without digits or with more than nine. No '.' at i: nothing read, true.
bool read_fraction(std::string_view s, std::size_t& i, std::string& out) {
  if (i >= s.size() || s[i] != '.') return true;
  const std::size_t start = ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    ++i;
  if (i == start || i - start > 9) return false;
  out = std::string(s.substr(start, i - start));
  return true;
}

struct Fields {
  int year, month, day, hour, minute, second;
  std::string fraction; // digits after '.', possibly empty
  std::size_t end;      // index after the seconds/fraction
};

// Parses "YYYY-MM-DDTHH:MM:SS[.frac]" and checks ranges (a leap second 60 is allowed).
std::optional<Fields> parse_fields(std::string_view s) {
  Fields f{};
  if (!digits(s, 0, 4, f.year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, f.month) || s[7] != '-' || !digits(s, 8, 2, f.day) ||
      (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, f.hour) || s[13] != ':' || !digits(s, 14, 2, f.minute) || s[16] != ':' ||
      !digits(s, 17, 2, f.second)) {
    return std::nullopt;
  }
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > static_cast<int>(days_in_month(f.year, static_cast<unsigned>(f.month))) ||
      f.hour > 23 || f.minute > 59 || f.second > 60) {
    return std::nullopt;
  }
  std::size_t i = 19;
  if (!read_fraction(s, i, f.fraction)) return std::nullopt;
  f.end = i;
  return f;
}

std::int64_t epoch_of(const Fields& f) {
  return days_from_civil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day)) * 86400 + f.hour * 3600 + f.minute * 60 +
         f.second;
}

std::string format_utc_seconds(std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (Hinnant).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", static_cast<long long>(y), m, d,
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

} // namespace

// Howard Hinnant's days_from_civil: proleptic Gregorian date -> days since 1970-01-01.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string format_utc(std::int64_t seconds, std::int64_t micros) {
  // Room for any int64 (the compiler cannot know micros < 10^6), so no truncation warning.
  char frac[32];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(micros));
  return format_utc_seconds(seconds) + frac;
}

std::string utc_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return format_utc(ts.tv_sec, ts.tv_nsec / 1000);
}

std::optional<Rfc3339> parse_rfc3339(std::string_view text) {
  const auto f = parse_fields(text);
  if (!f) return std::nullopt;
  std::string_view rest = text.substr(f->end);
  int offset_seconds = 0;
  if (rest == "Z" || rest == "z") {
    offset_seconds = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = 0;
    int om = 0;
    if (!digits(rest, 1, 2, oh) || !digits(rest, 4, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offset_seconds = (oh * 3600 + om * 60) * (rest[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  Rfc3339 out;
  out.as_given = std::string(text);
  out.epoch_seconds = epoch_of(*f) - offset_seconds;
  out.utc = format_utc_seconds(out.epoch_seconds) + (f->fraction.empty() ? "" : "." + f->fraction) + "Z";
  return out;
}

bool is_manifest_time(std::string_view text, std::int64_t* micros_out) {
  if (text.size() != 27 || text[10] != 'T' || text[19] != '.' || text[26] != 'Z') return false;
  const auto f = parse_fields(text);
  if (!f || f->fraction.size() != 6 || f->end != 26) return false;
  if (micros_out != nullptr) *micros_out = epoch_of(*f) * 1000000 + std::stoll(f->fraction);
  return true;
}

std::string local_timezone_name() {
  if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
    return tz[0] == ':' ? std::string(tz + 1) : std::string(tz);
  }
  std::ifstream in("/etc/timezone");
  std::string name;
  if (in && std::getline(in, name) && !name.empty()) return name;
  std::error_code ec;
  const auto target = std::filesystem::read_symlink("/etc/localtime", ec);
  if (!ec) {
    const std::string t = target.string();
    const auto pos = t.find("zoneinfo/");
    if (pos != std::string::npos) return t.substr(pos + 9);
  }
  return "UTC";
}

std::mutex& environment_mutex() {
  static std::mutex m;
  return m;
}

namespace {

// localtime_r() follows $TZ and g++ 12's <chrono> has no time zone database, so the zone
// is switched through $TZ for the few calls that need it and put back afterwards. The
// mutex (environment_mutex) keeps two of our own callers from switching at once, and a
// helper program's start from copying the environment meanwhile (the environment itself is
// process-wide: nothing else in cbkit reads $TZ while a switch is in place).

class ScopedZone {
public:
  explicit ScopedZone(const std::string& tz) : m_lock(environment_mutex()) {
    const char* old = std::getenv("TZ");
    m_had_old = old != nullptr;
    if (m_had_old) m_old = old;
    ::setenv("TZ", tz.c_str(), 1);
    ::tzset();
  }
  ScopedZone(const ScopedZone&) = delete;
  ScopedZone& operator=(const ScopedZone&) = delete;
  ~ScopedZone() {
    if (m_had_old) {
      ::setenv("TZ", m_old.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

  std::tm local(std::int64_t when) const {
    const auto t = static_cast<std::time_t>(when);
    std::tm out{};
    ::localtime_r(&t, &out);
    return out;
  }
  long offset_at(std::int64_t when) const { return local(when).tm_gmtoff; }

private:
  std::lock_guard<std::mutex> m_lock;
  bool m_had_old = false;
  std::string m_old;
};

std::tm local_time_in(std::time_t when, const std::string& tz) { return ScopedZone(tz).local(when); }

std::string offset_text(long off) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", off < 0 ? '-' : '+', std::labs(off) / 3600, std::labs(off) / 60 % 60);
  return buf;
}

// "YYYY-MM-DD" then 'T', 't' or ' ', then "HH:MM", optionally ":SS" and ".fraction", and
// nothing after. Ranges are checked (no hour 24, no leap second in a local time).
std::optional<Fields> parse_local_fields(std::string_view s) {
  Fields f{};
  if (s.size() < 16 || !digits(s, 0, 4, f.year) || s[4] != '-' || !digits(s, 5, 2, f.month) || s[7] != '-' || !digits(s, 8, 2, f.day) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, f.hour) || s[13] != ':' || !digits(s, 14, 2, f.minute)) {
    return std::nullopt;
  }
  std::size_t i = 16;
  if (i < s.size()) {
    if (s[i] != ':' || !digits(s, i + 1, 2, f.second)) return std::nullopt;
    i += 3;
    if (!read_fraction(s, i, f.fraction)) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > static_cast<int>(days_in_month(f.year, static_cast<unsigned>(f.month))) ||
      f.hour > 23 || f.minute > 59 || f.second > 59) {
    return std::nullopt;
  }
  f.end = i;
  return f;
}

// "2026-10-25T02:30:00" (+ ".fraction" when typed): the local time in RFC 3339 form.
std::string local_text(const Fields& f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", f.year, f.month, f.day, f.hour, f.minute, f.second);
  return std::string(buf) + (f.fraction.empty() ? "" : "." + f.fraction);
}

// "HH:MM" of an instant's wall clock at offset `off`, ":SS" added when not zero.
std::string wall_clock(std::int64_t when, long off) {
  const std::string t = format_utc_seconds(when + off).substr(11);
  return t.substr(6) == "00" ? t.substr(0, 5) : t;
}

} // namespace

bool is_known_timezone(const std::string& zone) {
  if (zone == "UTC") return true;
  if (zone.empty() || zone.front() == '/' || zone.find("..") != std::string::npos) return false;
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path("/usr/share/zoneinfo") / zone, ec);
}

bool is_utc_zone_name(const std::string& zone) {
  // The names the IANA database links to UTC (backward and etcetera files).
  static constexpr std::string_view k_utc_names[] = {"UTC",   "Etc/UTC",   "UCT",   "Etc/UCT",   "Universal", "Etc/Universal",
                                                     "Zulu",  "Etc/Zulu",  "GMT",   "Etc/GMT",   "GMT0",      "Etc/GMT0",
                                                     "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0", "Greenwich", "Etc/Greenwich"};
  for (std::string_view name : k_utc_names) {
    if (zone == name) return true;
  }
  return false;
}

ResolvedTime resolve_user_time(std::string_view text, const std::string& zone, std::string_view zone_source) {
  const std::string typed = "'" + utf8_lossy(text) + "'";
  if (const auto r = parse_rfc3339(text)) {
    const std::int64_t local = epoch_of(*parse_fields(text));
    return ResolvedTime{r->as_given, r->utc,        r->epoch_seconds, offset_text(static_cast<long>(local - r->epoch_seconds)),
                        "",          "offset-given"};
  }
  const auto f = parse_local_fields(text);
  if (!f) {
    throw Error(ErrorKind::usage, typed + ": not a date-time; give a local time such as 2026-11-20T21:14 (read in the case's time zone) "
                                          "or one with its offset such as 2026-11-20T21:14:00+01:00");
  }
  if (!is_known_timezone(zone)) {
    throw Error(ErrorKind::usage, typed + ": has no offset and the time zone '" + utf8_lossy(zone) +
                                      "' is not in this system's time zone database; give the offset, e.g. " + local_text(*f) + "+01:00");
  }
  const std::string in_zone = local_text(*f) + " in " + zone;

  // The wall-clock time read as if it were UTC; the instant is this minus the offset in
  // force then. Every offset in use within a day of it is a candidate, and a candidate
  // holds when the zone really has that offset at the instant it gives. No candidate: the
  // clocks skipped this time; two: it happened twice.
  const std::int64_t wall = epoch_of(*f);
  const ScopedZone z(zone);
  const long before = z.offset_at(wall - 86400);
  const long after = z.offset_at(wall + 86400);
  std::vector<std::pair<std::int64_t, long>> found; // (instant, offset)
  for (const long off : {before, z.offset_at(wall), after}) {
    const std::int64_t t = wall - off;
    if (z.offset_at(t) != off) continue;
    if (std::none_of(found.begin(), found.end(), [&](const auto& c) { return c.first == t; })) found.emplace_back(t, off);
  }
  std::sort(found.begin(), found.end());
  const std::string frac = f->fraction.empty() ? "" : "." + f->fraction;
  if (found.size() == 1) {
    const auto [t, off] = found.front();
    return ResolvedTime{std::string(text), format_utc_seconds(t) + frac + "Z", t, offset_text(off), zone, std::string(zone_source)};
  }
  if (found.size() > 1) {
    std::string both;
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (i > 0) both += i + 1 == found.size() ? " and " : ", ";
      both += local_text(*f) + offset_text(found[i].second) + " (" + format_utc_seconds(found[i].first) + frac + "Z)";
    }
    throw Error(ErrorKind::usage,
                typed + ": " + in_zone + " happens twice, the clocks were turned back: " + both + "; type it with the offset you mean");
  }
  // Skipped: find the instant the offset changed (first second with the new offset).
  std::int64_t lo = wall - 86400;
  std::int64_t hi = wall + 86400;
  if (before == after) {
    throw Error(ErrorKind::usage,
                typed + ": " + in_zone + " does not exist (the clocks skipped it); check the time or type it with its offset");
  }
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (z.offset_at(mid) == before ? lo : hi) = mid;
  }
  throw Error(ErrorKind::usage, typed + ": " + in_zone + " does not exist: at " + wall_clock(hi, before) + " the clocks were put " +
                                    (after > before ? "forward" : "back") + " to " + wall_clock(hi, after) + " (" + offset_text(before) +
                                    " to " + offset_text(after) + "); check the time or type it with its offset");
}

LocalZoneReader::LocalZoneReader(std::string zone) : m_zone(std::move(zone)) {
  if (!is_known_timezone(m_zone)) {
    throw Error(ErrorKind::usage, "the time zone '" + utf8_lossy(m_zone) + "' is not in this system's time zone database");
  }
}

long LocalZoneReader::offset_at(std::int64_t when) {
  // Zones change offset on whole quarter hours since the 1970s (older local mean times are
  // not cached: a quarter hour may hold a change there).
  const std::int64_t quarter = when >= 0 ? when / 900 : -1;
  if (quarter < 0) return ScopedZone(m_zone).offset_at(when);
  const auto by_quarter = [](const auto& e, std::int64_t q) { return e.first < q; };
  auto it = std::lower_bound(m_cache.begin(), m_cache.end(), quarter, by_quarter);
  if (it != m_cache.end() && it->first == quarter) return it->second;
  // A miss fills the whole UTC day around it under one zone switch: switching reads the
  // zone file again (tzset), which cost more than the rest of a chat export's parse when
  // done per quarter hour. The day's entries replace any of it already cached.
  const std::int64_t first = quarter - quarter % 96;
  std::vector<std::pair<std::int64_t, long>> day;
  day.reserve(96);
  {
    const ScopedZone z(m_zone);
    for (std::int64_t q = first; q < first + 96; ++q)
      day.emplace_back(q, z.offset_at(q * 900));
  }
  const long off = day[static_cast<std::size_t>(quarter - first)].second;
  if (m_cache.size() < 1'000'000) {
    const auto lo = std::lower_bound(m_cache.begin(), m_cache.end(), first, by_quarter);
    const auto hi = std::lower_bound(lo, m_cache.end(), first + 96, by_quarter);
    const auto at = m_cache.erase(lo, hi);
    m_cache.insert(at, day.begin(), day.end());
  }
  return off;
}

std::vector<LocalZoneReader::Candidate> LocalZoneReader::candidates(int year, int month, int day, int hour, int minute, int second) {
  const std::int64_t wall =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 + hour * 3600 + minute * 60 + second;
  std::vector<std::pair<std::int64_t, long>> found;
  for (const long off : {offset_at(wall - 86400), offset_at(wall), offset_at(wall + 86400)}) {
    const std::int64_t t = wall - off;
    if (offset_at(t) != off) continue;
    if (std::none_of(found.begin(), found.end(), [&](const auto& c) { return c.first == t; })) found.emplace_back(t, off);
  }
  std::sort(found.begin(), found.end());
  std::vector<Candidate> out;
  out.reserve(found.size());
  for (const auto& [t, off] : found)
    out.push_back({t, offset_text(off)});
  return out;
}

bool is_valid_date(int year, int month, int day) {
  return month >= 1 && month <= 12 && day >= 1 && day <= static_cast<int>(days_in_month(year, static_cast<unsigned>(month)));
}

std::string format_offset(long seconds) { return offset_text(seconds); }

std::string current_utc_offset(const std::string& tz) { return offset_text(local_time_in(std::time(nullptr), tz).tm_gmtoff); }

std::string format_in_zone(std::int64_t epoch_seconds, const std::string& tz) {
  const std::tm local = local_time_in(static_cast<std::time_t>(epoch_seconds), tz);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  return std::string(buf) + " " + offset_text(local.tm_gmtoff) + " (" + tz + ")";
}

} // namespace cbkit::util
