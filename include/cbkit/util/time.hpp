#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cbkit::util {

// Now, as the manifest writes it: UTC, RFC 3339, microseconds, "Z"
// (e.g. 2026-11-22T07:01:02.123456Z).
std::string utc_now();

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm);
// month 1-12, day 1-31, not range-checked.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);

// Seconds since the epoch (UTC) -> "YYYY-MM-DDTHH:MM:SS.uuuuuuZ".
std::string format_utc(std::int64_t seconds, std::int64_t micros);

// A date-time with an offset, as RFC 3339 section 5.6 defines it.
struct Rfc3339 {
  std::string as_given;       // the text exactly as the user wrote it
  std::string utc;            // the same instant in UTC, fraction digits kept, "Z"
  std::int64_t epoch_seconds; // whole seconds since the epoch (UTC)
};

// Parses an RFC 3339 date-time ("2026-11-20T21:14:00+01:00", "…Z", optional fraction).
// Returns nullopt when the text is not one (wrong syntax, month 13, Feb 30, no offset...).
std::optional<Rfc3339> parse_rfc3339(std::string_view text);

// True when text has exactly the manifest's form YYYY-MM-DDTHH:MM:SS.uuuuuuZ and is a
// real date-time. Returns its epoch microseconds through `micros_out` when given.
bool is_manifest_time(std::string_view text, std::int64_t* micros_out = nullptr);

// The collector's time zone: $TZ, /etc/timezone, the /etc/localtime link, else "UTC".
std::string local_timezone_name();

// The current UTC offset of IANA zone `tz` as "+01:00"; "+00:00" for unknown zones.
std::string current_utc_offset(const std::string& tz);

// An instant shown in zone `tz`: "2026-11-22 08:01:02 +01:00 (Europe/Brussels)".
std::string format_in_zone(std::int64_t epoch_seconds, const std::string& tz);

} // namespace cbkit::util
