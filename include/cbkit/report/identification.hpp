#pragma once

// The identification annex (`cbkit report --template identification`): what the
// Telecommunications Ombudsman, an operator or the police need to identify an anonymous
// sender. Per identifier of a suspect (an account with its platform, numeric ID and URL; a
// phone number, or a withheld one; an e-mail address; an IP address; a chat participant)
// each incident with its exact time in the case's zone and in UTC and the evidence that
// shows it (exhibit number, path, SHA-256), and in plain words what the evidence cannot
// tell (a webmail provider hides the client IP; an IP without source port cannot identify
// a subscriber behind carrier-grade NAT). Only what concerns the suspect: the victim appears
// as the requester, and their number only as the number that was called.
// Pure functions of a CaseModel (the images it embeds are read through read_recorded_file).

#include "cbkit/report/checklist.hpp"
#include "cbkit/report/document.hpp"
#include "cbkit/report/i18n.hpp"
#include "cbkit/report/model.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cbkit::report {

// A recorded file (or, for an entry without files, its manifest line) that shows an incident.
struct AnnexEvidence {
  std::uint64_t seq = 0; // the entry
  std::string kind;      // its kind
  int exhibit = 0;       // the exhibit number (the report's exhibit index); 0: the manifest line itself
  std::string path;      // case-relative path; "manifest.jsonl" for a line
  std::string sha256;    // the file's recorded SHA-256, or the line's (the next line's prev, or the head)
};

struct AnnexIncident {
  std::uint64_t seq = 0;
  std::string kind;
  std::string utc;      // RFC 3339 UTC of the incident; "" when the evidence gives none
  std::string time_key; // i18n key of what the time is ("idt_email_date", "idt_hop", "idt_call", ...)
  Message what;         // the incident in words
  std::vector<AnnexEvidence> evidence;
  std::vector<Message> cannot_know; // what this evidence cannot tell, and whom to ask
};

struct AnnexIdentifier {
  std::string type;                              // "account", "phone", "phone-hidden", "email", "ip", "chat-participant"
  std::string value;                             // account: its numeric ID (else handle, else URL); phone: E.164 when known
  std::string platform, account_id, url, handle; // accounts and chat participants
  std::vector<std::uint64_t> suspects;           // the suspect persons it belongs to
  std::vector<Message> attributed;               // why it is the suspect's (the entries and rules)
  std::vector<AnnexIncident> incidents;          // in time order
  std::vector<Message> cannot_know;              // what is missing for this identifier as a whole
};

struct AnnexSuspect {
  std::uint64_t id = 0;
  std::vector<std::string> names; // names, else handles
};

struct IdentificationAnnex {
  std::vector<std::string> requester; // the victim's names (persons with role victim)
  std::vector<AnnexSuspect> suspects; // persons with role suspect
  std::vector<AnnexIdentifier> identifiers;
};

// The annex's content. Identifiers come from persons with role suspect and from evidence
// attributed to them (context.from_person; calls and chats also context.about_person); an
// e-mail is the suspect's when attributed to them or sent from one of their addresses; the
// client IP is the one headers.json's summary.origin gives, never a provider relay's.
IdentificationAnnex identification_annex(const CaseModel& model);

// The annex as a translated document (rendered like the complaint report).
Document build_identification_document(const CaseModel& model, Lang lang);

// The annex as data (`report --template identification --format json`).
manifest::Json identification_json(const CaseModel& model, Lang lang);

} // namespace cbkit::report
