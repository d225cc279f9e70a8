#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cbkit::util {

// Now, as the manifest writes it: UTC, RFC 3339, microseconds, "Z"
// (e.g. 2026-11-22T07:01:02.123456Z).
std::string utc_now();

// The one lock for changing or copying the process environment: the $TZ switch of the
// zone functions below, and util::environment_without (a helper program's environment).
std::mutex& environment_mutex();

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

// A date-time typed by a user (or read without an offset), resolved to an instant.
struct ResolvedTime {
  std::string as_typed;       // the text exactly as typed
  std::string utc;            // the same instant in UTC, fraction digits kept, "Z"
  std::int64_t epoch_seconds; // whole seconds since the epoch (UTC)
  std::string offset;         // the UTC offset that applied, "+01:00" ("+00:00" for "Z")
  std::string zone;           // the IANA zone it was read in; empty when the offset was typed
  std::string how;            // "offset-given", or the `zone_source` it was read with
};

// Resolves `text`: an RFC 3339 date-time with offset is taken as it is (how
// "offset-given"); a local date-time without offset ("2026-11-20T21:14",
// "2026-11-20 21:14:00", seconds and fraction optional) is read in IANA zone `zone` with
// the system's time zone database (how `zone_source`, e.g. "case-zone").
// Throws Error(usage), with a message that starts with the text as typed, when the text is
// neither (bad syntax, Feb 30, 24:00), when `zone` is not in the database, when the local
// time happens twice in `zone` (autumn clock change: both candidates are named, with
// their offsets and UTC times) or never (spring: says what the clocks did).
ResolvedTime resolve_user_time(std::string_view text, const std::string& zone, std::string_view zone_source = "case-zone");

// Many local wall-clock times read in one zone (chat exports: thousands of times without
// offset). Offsets are looked up once per quarter hour and kept, so a long export does not
// consult the zone database per message. Not thread-safe; one per parse.
class LocalZoneReader {
public:
  // Throws Error(usage) when `zone` is not in the system's database.
  explicit LocalZoneReader(std::string zone);

  struct Candidate {
    std::int64_t epoch_seconds; // the instant (UTC)
    std::string offset;         // "+01:00"
  };
  // The instants at which the wall clock of the zone showed this local time: one (the usual
  // case), two (the repeated hour of an autumn change, earlier first) or none (skipped in
  // spring). Fields are not range-checked beyond what a calendar needs: call with a valid
  // date and 0-23:0-59:0-59.
  std::vector<Candidate> candidates(int year, int month, int day, int hour, int minute, int second);

  const std::string& zone() const { return m_zone; }

private:
  long offset_at(std::int64_t when);
  std::string m_zone;
  std::vector<std::pair<std::int64_t, long>> m_cache; // (quarter-hour index, offset), sorted
};

// True when a calendar date exists (Feb 29 in leap years only).
bool is_valid_date(int year, int month, int day);

// An offset in seconds as "+01:00".
std::string format_offset(long seconds);

// True when `zone` is "UTC" or a zone file of the system's database
// (/usr/share/zoneinfo/NAME; no absolute path, no "..").
bool is_known_timezone(const std::string& zone);

// True when `zone` names UTC itself ("UTC", "Etc/UTC", "Zulu", "GMT", ...), not a zone
// that merely has offset zero today.
bool is_utc_zone_name(const std::string& zone);

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
