// util::resolve_user_time: times typed with an offset, or without one and read in a zone.
#include "cbkit/error.hpp"
#include "cbkit/util/time.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace cbkit;
using util::resolve_user_time;

namespace {

// The usage error's message for `text` read in `zone`; fails the test when none is thrown.
std::string refusal(const char* text, const std::string& zone) {
  try {
    resolve_user_time(text, zone);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    return e.what();
  }
  FAIL("no error for " << text << " in " << zone);
  return "";
}

} // namespace

TEST_CASE("a time typed with its offset is taken as it is, whatever the zone") {
  const auto r = resolve_user_time("2026-11-20T21:14:00+01:00", "America/New_York");
  CHECK(r.as_typed == "2026-11-20T21:14:00+01:00");
  CHECK(r.utc == "2026-11-20T20:14:00Z");
  CHECK(r.epoch_seconds == 1795205640);
  CHECK(r.offset == "+01:00");
  CHECK(r.zone.empty());
  CHECK(r.how == "offset-given");
  const auto z = resolve_user_time("2026-11-20T20:14:00.5Z", "");
  CHECK(z.utc == "2026-11-20T20:14:00.5Z");
  CHECK(z.offset == "+00:00");
  CHECK(resolve_user_time("2026-11-20T15:14:00-05:00", "UTC").offset == "-05:00");
}

TEST_CASE("a local time is read in the zone: Brussels in winter and in summer") {
  auto r = resolve_user_time("2026-11-20T21:14", "Europe/Brussels");
  CHECK(r.as_typed == "2026-11-20T21:14");
  CHECK(r.utc == "2026-11-20T20:14:00Z");
  CHECK(r.offset == "+01:00");
  CHECK(r.zone == "Europe/Brussels");
  CHECK(r.how == "case-zone");
  r = resolve_user_time("2026-07-14 09:05:30", "Europe/Brussels");
  CHECK(r.as_typed == "2026-07-14 09:05:30");
  CHECK(r.utc == "2026-07-14T07:05:30Z");
  CHECK(r.offset == "+02:00");
  r = resolve_user_time("2026-07-14t09:05:30.250", "Europe/Brussels", "given-zone");
  CHECK(r.utc == "2026-07-14T07:05:30.250Z");
  CHECK(r.how == "given-zone");
}

TEST_CASE("a local time just before and just after each clock change is resolved") {
  // Spring 2026 in Brussels: 2026-03-29 02:00 +01:00 became 03:00 +02:00 (01:00Z).
  CHECK(resolve_user_time("2026-03-29T01:59:59", "Europe/Brussels").utc == "2026-03-29T00:59:59Z");
  CHECK(resolve_user_time("2026-03-29T03:00", "Europe/Brussels").utc == "2026-03-29T01:00:00Z");
  CHECK(resolve_user_time("2026-03-29T03:00", "Europe/Brussels").offset == "+02:00");
  // Autumn: 2026-10-25 03:00 +02:00 became 02:00 +01:00 (01:00Z).
  CHECK(resolve_user_time("2026-10-25T01:59", "Europe/Brussels").utc == "2026-10-24T23:59:00Z");
  CHECK(resolve_user_time("2026-10-25T03:00", "Europe/Brussels").utc == "2026-10-25T02:00:00Z");
  CHECK(resolve_user_time("2026-10-25T03:00", "Europe/Brussels").offset == "+01:00");
}

TEST_CASE("a local time that happens twice is refused naming both candidates") {
  const std::string m = refusal("2026-10-25T02:30", "Europe/Brussels");
  CHECK(m.find("'2026-10-25T02:30'") == 0);
  CHECK(m.find("Europe/Brussels happens twice") != std::string::npos);
  CHECK(m.find("2026-10-25T02:30:00+02:00 (2026-10-25T00:30:00Z) and 2026-10-25T02:30:00+01:00 (2026-10-25T01:30:00Z)") !=
        std::string::npos);
  CHECK(m.find("offset") != std::string::npos);
  // New York, first Sunday of November 2026: 01:30 happens at -04:00 and at -05:00.
  const std::string ny = refusal("2026-11-01 01:30", "America/New_York");
  CHECK(ny.find("2026-11-01T01:30:00-04:00 (2026-11-01T05:30:00Z) and 2026-11-01T01:30:00-05:00 (2026-11-01T06:30:00Z)") !=
        std::string::npos);
}

TEST_CASE("a local time the clocks skipped is refused saying what they did") {
  const std::string m = refusal("2026-03-29T02:30", "Europe/Brussels");
  CHECK(m.find("'2026-03-29T02:30'") == 0);
  CHECK(m.find("does not exist") != std::string::npos);
  CHECK(m.find("at 02:00 the clocks were put forward to 03:00 (+01:00 to +02:00)") != std::string::npos);
  const std::string ny = refusal("2026-03-08T02:15", "America/New_York");
  CHECK(ny.find("at 02:00 the clocks were put forward to 03:00 (-05:00 to -04:00)") != std::string::npos);
}

TEST_CASE("New York and UTC read local times with their own offsets") {
  auto r = resolve_user_time("2026-11-20T15:14", "America/New_York");
  CHECK(r.utc == "2026-11-20T20:14:00Z");
  CHECK(r.offset == "-05:00");
  r = resolve_user_time("2026-07-04T12:00:00", "America/New_York");
  CHECK(r.utc == "2026-07-04T16:00:00Z");
  CHECK(r.offset == "-04:00");
  r = resolve_user_time("2026-10-25T02:30", "UTC");
  CHECK(r.utc == "2026-10-25T02:30:00Z");
  CHECK(r.offset == "+00:00");
  CHECK(resolve_user_time("2024-02-29 23:59", "Etc/UTC").utc == "2024-02-29T23:59:00Z");
}

TEST_CASE("invalid dates, times and garbage are refused") {
  for (const char* bad : {"2026-02-30T10:00", "2026-02-29 10:00", "2026-11-20T24:00", "2026-11-20 23:60", "2026-11-20T21:14:60",
                          "2026-13-01 10:00", "2026-11-20", "2026-11-20T21", "2026-11-20T21:14:", "2026-11-20T21:14:00.",
                          "2026-11-20T21:14+01:00", "2026-11-20  21:14", "20-11-2026 21:14", "yesterday", "", "2026-11-20T21:14 "}) {
    INFO(bad);
    const std::string m = refusal(bad, "Europe/Brussels");
    CHECK(m.find("not a date-time") != std::string::npos);
  }
}

TEST_CASE("a local time in an unknown zone is refused, an offset still works") {
  for (const char* zone : {"Mars/Olympus", "", "../../etc/passwd", "/etc/localtime"}) {
    INFO(zone);
    CHECK(refusal("2026-11-20T21:14", zone).find("not in this system's time zone database") != std::string::npos);
    CHECK(resolve_user_time("2026-11-20T21:14:00+01:00", zone).how == "offset-given");
  }
}

TEST_CASE("resolving in a zone leaves $TZ as it was") {
  const char* before = std::getenv("TZ");
  const std::string saved = before != nullptr ? before : "";
  const bool had = before != nullptr;
  resolve_user_time("2026-11-20T21:14", "Asia/Tokyo");
  const char* after = std::getenv("TZ");
  CHECK((after != nullptr) == had);
  if (had && after != nullptr) CHECK(std::string(after) == saved);
}

TEST_CASE("UTC zone names are recognised, zones that are merely at +00:00 are not") {
  for (const char* z : {"UTC", "Etc/UTC", "Etc/UCT", "Zulu", "Universal", "GMT", "Etc/GMT"}) {
    INFO(z);
    CHECK(util::is_utc_zone_name(z));
  }
  for (const char* z : {"Europe/London", "Africa/Abidjan", "Atlantic/Reykjavik", "Europe/Brussels", ""}) {
    INFO(z);
    CHECK_FALSE(util::is_utc_zone_name(z));
  }
  CHECK(util::is_known_timezone("UTC"));
  CHECK(util::is_known_timezone("Europe/Brussels"));
  CHECK_FALSE(util::is_known_timezone("Europe"));
}

TEST_CASE("a zone reader gives one, two or no instants for a local time, as resolve_user_time does") {
  util::LocalZoneReader z("Europe/Brussels");
  // Winter (+01:00) and summer (+02:00).
  auto c = z.candidates(2026, 11, 20, 21, 14, 0);
  REQUIRE(c.size() == 1);
  CHECK(util::format_utc(c[0].epoch_seconds, 0) == "2026-11-20T20:14:00.000000Z");
  CHECK(c[0].offset == "+01:00");
  c = z.candidates(2026, 7, 1, 12, 0, 0);
  REQUIRE(c.size() == 1);
  CHECK(c[0].offset == "+02:00");
  // 25 October 2026, 02:30 happens twice: first at +02:00 (00:30Z), then at +01:00 (01:30Z).
  c = z.candidates(2026, 10, 25, 2, 30, 0);
  REQUIRE(c.size() == 2);
  CHECK(util::format_utc(c[0].epoch_seconds, 0) == "2026-10-25T00:30:00.000000Z");
  CHECK(c[0].offset == "+02:00");
  CHECK(util::format_utc(c[1].epoch_seconds, 0) == "2026-10-25T01:30:00.000000Z");
  CHECK(c[1].offset == "+01:00");
  // 29 March 2026, 02:30 never happened.
  CHECK(z.candidates(2026, 3, 29, 2, 30, 0).empty());
  // The cache gives the same answers on a second pass.
  CHECK(z.candidates(2026, 10, 25, 2, 30, 0).size() == 2);
  CHECK(z.candidates(2026, 11, 20, 21, 14, 0).front().offset == "+01:00");
  CHECK_THROWS_AS(util::LocalZoneReader("Mars/Olympus"), cbkit::Error);
  CHECK(util::is_valid_date(2024, 2, 29));
  CHECK_FALSE(util::is_valid_date(2026, 2, 29));
  CHECK_FALSE(util::is_valid_date(2026, 13, 1));
}

TEST_CASE("a zone reader agrees with resolve_user_time whatever order its cache was filled in") {
  // The reader caches a UTC day of offsets per miss; times asked out of order, on the days
  // of the changes too, at whole and half hours (Lord Howe moves 30 minutes), read the same.
  for (const char* zone : {"Europe/Brussels", "America/New_York", "Australia/Lord_Howe"}) {
    util::LocalZoneReader z(zone);
    for (int k = 0; k < 1500; ++k) {
      const int y = 2025 + k % 2, m = 1 + (k / 2) % 12, d = 1 + (k * 7) % 31, hour = (k * 5) % 24, minute = (k * 13) % 4 * 15;
      if (!util::is_valid_date(y, m, d)) continue;
      const auto c = z.candidates(y, m, d, hour, minute, 0);
      char text[32];
      std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d", y, m, d, hour, minute);
      try {
        const auto r = resolve_user_time(text, zone);
        REQUIRE(c.size() == 1);
        CHECK(c[0].epoch_seconds == r.epoch_seconds);
        CHECK(c[0].offset == r.offset);
      } catch (const Error&) {
        CHECK(c.size() != 1);
      }
    }
  }
}
