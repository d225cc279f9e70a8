#pragma once

// People, calls and checklist decisions: the structured facts a complaint is built on
// (DESIGN "People, calls, conversations"; line formats in cbkit-manifest(5)).
//
//   person     who is who: role (victim, suspect, witness, reporter) and identifiers; a
//              later entry may add identifiers to the same person (adds_to)
//   call       a phone call or SMS: direction, calling and called number (or withheld /
//              unknown), time with its zone, duration, text, recording
//   checklist  the user's decision that a point of the police checklist does not apply

#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/ingest.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::people {

// A phone number as typed, and in E.164 when it can be normalized without guessing.
struct Phone {
  std::string as_typed;
  std::string e164;      // "+32470123456", or empty
  std::string e164_rule; // how e164 was obtained, in words
};

// Normalizes a number typed by a user. `zone` is the case's time zone: a national number
// (leading 0) is given the calling code of the zone's country when the table of zones knows
// it (Europe/Brussels: 32, ...); otherwise e164 stays empty (never guessed). Throws
// Error(usage) naming `option` for a malformed number (letters, too few or too many digits).
Phone parse_phone(const std::string& typed, const std::string& zone, const std::string& option);

// The roles a person may have.
inline constexpr const char* k_roles[] = {"victim", "suspect", "witness", "reporter"};

struct Account {
  std::string platform;
  std::string id;
  std::string url;
  std::string handle;
};

// Parses PLATFORM:ID[:URL] (the URL may contain ':'). Throws Error(usage).
Account parse_account(const std::string& typed);

struct PersonOptions {
  std::string role;                     // required for a new person, empty for an update
  std::optional<std::uint64_t> adds_to; // --id: add identifiers to this person
  std::vector<std::string> names, emails, phones, accounts, handles, profile_urls;
  // --from-capture SEQ[:N]: the account a web capture's identity findings name (capture.json,
  // capture/identity.hpp), confirmed by the user: SEQ alone takes the subject's account id
  // with its handle and profile URL when the capture names exactly one; SEQ:N takes finding N
  // (1-based, as `cbkit show SEQ --json` lists them). The viewer's findings are refused.
  std::vector<std::string> from_captures;
  std::string note;
  std::string examiner;
  std::chrono::milliseconds lock_timeout{60000};
};

// Records a person entry (or an update of one). Throws Error(usage) for an unknown role, a
// role on an update, no identifier at all, a malformed e-mail address, phone or account, an
// --id that is not a person, or a --from-capture that names no web capture, a capture whose
// capture.json is not intact, no subject account, several, or a viewer's finding; nothing is
// written then.
manifest::Appended add_person(const store::Case& c, const PersonOptions& options);

struct CallOptions {
  std::string at;        // when: RFC 3339, or a local time read in the case's zone
  std::string direction; // incoming | outgoing
  std::string from;      // a number, "withheld" or "unknown"
  std::string to;        // a number
  std::optional<std::uint64_t> duration_seconds;
  std::string sms;
  std::optional<std::filesystem::path> recording;
  store::Context context; // note, from_person, about_person, ...
  std::string examiner;
  std::chrono::milliseconds lock_timeout{60000};
};

// Parses a duration: "95", "95s", "1m35s", "1h2m", "00:01:35". Throws Error(usage).
std::uint64_t parse_duration(const std::string& typed);

// Records a call entry, the recording (when given) stored in it with role "recording".
// Throws Error(usage) for a bad option, Error(input) for an unreadable recording.
manifest::Appended add_call(const store::Case& c, const CallOptions& options);

// Records that checklist point `point` (1..15) does not apply, and why.
manifest::Appended add_checklist_decision(const store::Case& c, int point, const std::string& because, const std::string& examiner,
                                          std::chrono::milliseconds lock_timeout);

} // namespace cbkit::people
