#pragma once

// The police's 15 points (the federal police's checklist for a complaint about cyberbullying
// or online harassment), evaluated from the case as data: each point gets a status, the
// entries that answer it, what is missing and the code of the rule that decided. A point is
// `present` only when structured evidence answers it (a person entry, an attributed e-mail
// or call, a capture, a file's context); free text of notes never answers a point.
// Also the persons of the case (victim, suspect, ...) with every identifier and the entry it
// came from. Pure functions of a CaseModel: no I/O, no clock.

#include "cbkit/report/i18n.hpp"
#include "cbkit/report/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::report {

enum class PointStatus { present, partial, missing, not_applicable };

// "present", "partial", "missing", "not-applicable" (the JSON form).
std::string status_code(PointStatus status);
// The translation key of a status ("st_present", ...).
std::string status_key(PointStatus status);

// A sentence to show in the report's language: the i18n key, and its arguments. When `entry`
// is set, {1} is a reference to that entry in words ("e-mail #3", "call #9") and `args` fill
// {2}, {3}, ...; otherwise `args` fill {1}, {2}, ...
struct Message {
  std::string key;
  std::optional<std::uint64_t> entry;
  std::string entry_kind; // the entry's kind, for the reference's wording
  std::vector<std::string> args;
};

// The Message in words.
std::string message_text(const Message& message, Lang lang);
// A reference to an entry in words: "e-mail #3", "notitie #5", "appel n° 9".
std::string entry_ref_text(const std::string& kind, std::uint64_t seq, Lang lang);

struct ChecklistPoint {
  int id = 0;            // 1..15, the police's order
  std::string key;       // stable: "url", "account-id", ..., "calls"
  std::string title_key; // i18n key of the point's wording ("cl_url", ...)
  PointStatus status = PointStatus::missing;
  std::string rule;                    // the code of the rule that decided (checklist_rules())
  std::vector<std::uint64_t> evidence; // seqs of the entries that answer it, ascending
  std::vector<Message> found;          // what each of them shows
  std::vector<Message> missing;        // what is missing (partial, missing)
  std::optional<Message> reason;       // why the point does not apply (not-applicable)
};

// One rule: its stable code, the point it decides, the status it gives, what it means.
struct ChecklistRule {
  std::string_view code;
  int point = 0; // 0: any point
  PointStatus status = PointStatus::missing;
  std::string_view meaning;
};

// Every rule, in the order of the points (the table in src/report/checklist.cpp).
const std::vector<ChecklistRule>& checklist_rules();

// The 15 points of `model`, in the police's order (ids 1..15). A `checklist` entry whose
// status is "not-applicable" makes its point not-applicable (the newest entry for a point
// wins); an entry of a kind this version does not know is ignored.
std::vector<ChecklistPoint> evaluate_checklist(const CaseModel& model);

// One identifier of a person and where it came from.
struct PersonIdentifier {
  std::string type;  // "name", "email", "phone", "account", "handle", "profile-url"
  std::string value; // a phone: its E.164 form when recorded, else as typed
  std::uint64_t source = 0;
  // "person": written in a person entry; "email-from", "email-reply-to", "email-return-path":
  // a header of an e-mail attributed to the person (context.from_person); "call-from": the
  // calling number of a call attributed to the person.
  std::string via;
  manifest::Json detail; // the phone or account object as recorded; null otherwise
};

struct Person {
  std::uint64_t id = 0;               // the seq of its first person entry
  std::string role;                   // "victim", "suspect", "witness", "reporter" (as recorded)
  std::vector<std::uint64_t> entries; // its person entries (first, then updates)
  std::vector<PersonIdentifier> identifiers;
  std::vector<std::pair<std::uint64_t, std::string>> notes; // (seq, text)
};

// The persons of `model` in the order of their first entry. An update (person.adds_to) of a
// person that does not exist is ignored (`cbkit verify` reports it).
std::vector<Person> collect_persons(const CaseModel& model);

// The screenshot a capture stores (role "screenshot", or a file named screenshot*.png/.jpg/.webp), or nullptr.
const manifest::Json* screenshot_of(const ModelEntry& e);

} // namespace cbkit::report
