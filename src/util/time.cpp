#include "cbkit/util/time.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

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
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    if (i == start || i - start > 9) return std::nullopt;
    f.fraction = std::string(s.substr(start, i - start));
  }
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
  char frac[16];
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

namespace {

// localtime_r() follows $TZ, so point it at the zone for one call and put it back.
std::tm local_time_in(std::time_t when, const std::string& tz) {
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TZ", tz.c_str(), 1);
  ::tzset();
  std::tm local{};
  ::localtime_r(&when, &local);
  if (old != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  return local;
}

std::string offset_text(long off) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", off < 0 ? '-' : '+', std::labs(off) / 3600, std::labs(off) / 60 % 60);
  return buf;
}

} // namespace

std::string current_utc_offset(const std::string& tz) { return offset_text(local_time_in(std::time(nullptr), tz).tm_gmtoff); }

std::string format_in_zone(std::int64_t epoch_seconds, const std::string& tz) {
  const std::tm local = local_time_in(static_cast<std::time_t>(epoch_seconds), tz);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  return std::string(buf) + " " + offset_text(local.tm_gmtoff) + " (" + tz + ")";
}

} // namespace cbkit::util
