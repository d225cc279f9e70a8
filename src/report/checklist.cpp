#include "cbkit/report/checklist.hpp"

#include "cbkit/capture/identity.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace cbkit::report {

using manifest::Json;
using util::member;

namespace {

// ---------------------------------------------------------------------------- the rules
//
// One row per rule that can decide a point: its stable code (in the report and in
// `report --format json`), the point, the status it gives, and what it means. The evaluators
// below only pick a row; the row gives the status, so the table is the whole truth about what
// each status of each point rests on.
const std::vector<ChecklistRule> k_rules = {
    // Any point: `cbkit checklist --na N --because TEXT` (the newest checklist entry for the
    // point) says the point does not apply to this case; its reason is shown.
    {"user-not-applicable", 0, PointStatus::not_applicable, "a checklist entry says the point does not apply"},

    // 1. Exact URL: a web capture's URL, an evidence entry's context.source_url, a suspect's
    // profile URL or account URL.
    {"url-recorded", 1, PointStatus::present, "URLs recorded; every capture and screenshot or platform file has one"},
    {"url-some-items-without", 1, PointStatus::partial, "URLs recorded, but a screenshot or platform file has none"},
    {"url-none", 1, PointStatus::missing, "no URL recorded"},

    // 2. Unique ID of the account/profile: context.account_id of evidence, the id of a
    // suspect's account.
    {"account-id-recorded", 2, PointStatus::present, "account IDs recorded; every capture and screenshot or platform file has one"},
    {"account-id-some-items-without", 2, PointStatus::partial, "account IDs recorded, but a capture or platform file has none"},
    {"account-id-items-without", 2, PointStatus::partial, "captures or platform files recorded, none with an account ID"},
    {"account-id-none", 2, PointStatus::missing, "no account ID and nothing that should have one"},

    // 3. Screenshot of the page or post: an image in a file entry of context.kind screenshot,
    // a capture's screenshot.
    {"screenshot-recorded", 3, PointStatus::present, "screenshots recorded; every capture has one"},
    {"screenshot-some-captures-without", 3, PointStatus::partial, "screenshots recorded, but a capture has none"},
    {"screenshot-none", 3, PointStatus::missing, "no screenshot"},

    // 4. The victim's e-mail address: only an address of a victim person. The To of an
    // e-mail is not known to be the victim's.
    {"victim-person-email", 4, PointStatus::present, "a victim person has an e-mail address"},
    {"victim-email-only-in-headers", 4, PointStatus::partial, "e-mails were sent to addresses, but no victim person has one"},
    {"victim-email-none", 4, PointStatus::missing, "no victim e-mail address"},

    // 5. Exact date and time of the observation: context.observed_at, a capture's start.
    {"observed-at-recorded", 5, PointStatus::present, "observation times recorded; every file entry has one"},
    {"observed-at-some-files-without", 5, PointStatus::partial, "observation times recorded, but a file entry has none"},
    {"observed-at-files-without", 5, PointStatus::missing, "file entries recorded, none with an observation time"},
    {"observed-at-none", 5, PointStatus::missing, "no observation time"},

    // 6. Photos or screenshots of traces: image files of file entries.
    {"trace-images", 6, PointStatus::present, "image files recorded"},
    {"trace-images-none", 6, PointStatus::missing, "no image file"},

    // 7. Date, time and time zone of conversations with the suspect: e-mails and calls from
    // a suspect (context.from_person; for a call or a chat also about_person) with a date that
    // carries its UTC offset; a chat entry (add-chat) with its first and last message and the
    // zone its times were read in (the case's zone is named as an assumption); chat exports
    // stored as plain files are listed, their times are not read.
    {"conversations-dated", 7, PointStatus::present, "every conversation with the suspect has date, time and offset"},
    {"conversations-some-undated", 7, PointStatus::partial, "a conversation with the suspect lacks a date with offset"},
    {"conversations-not-attributed", 7, PointStatus::partial, "e-mails, calls or chats exist, none attributed to a suspect"},
    {"conversations-none", 7, PointStatus::missing, "no e-mail, call or chat"},

    // 8. The suspect's e-mails with full headers: e-mails attributed to a suspect whose
    // headers.json is intact and lists Received hops.
    {"suspect-emails-headers", 8, PointStatus::present, "every e-mail from a suspect has its full headers"},
    {"suspect-emails-headers-incomplete", 8, PointStatus::partial, "an e-mail from a suspect lacks Received headers or analysis"},
    {"emails-not-attributed", 8, PointStatus::partial, "e-mails exist, none attributed to a suspect"},
    {"suspect-emails-none", 8, PointStatus::missing, "no e-mail"},

    // 9. Actions performed at the suspect's request: notes of context.kind requested-action,
    // with when (context.observed_at).
    {"requested-actions-recorded", 9, PointStatus::present, "requested actions recorded with their time"},
    {"requested-actions-undated", 9, PointStatus::partial, "a requested action has no time"},
    {"requested-actions-none", 9, PointStatus::missing, "no requested action"},

    // 10. E-mail addresses used by the suspect: a suspect person's addresses, From/Reply-To/
    // Return-Path of e-mails attributed to a suspect. An e-mail attributed to nobody leaves
    // the point partial (its sender may be the suspect).
    {"suspect-addresses", 10, PointStatus::present, "suspect addresses recorded; every e-mail is attributed"},
    {"suspect-addresses-emails-not-attributed", 10, PointStatus::partial, "e-mails attributed to nobody"},
    {"suspect-addresses-none", 10, PointStatus::missing, "no suspect address and no e-mail"},

    // 11. The suspect's profile data: accounts, handles, profile URLs of a suspect person.
    {"suspect-profile", 11, PointStatus::present, "a suspect person has an account, handle or profile URL"},
    {"suspect-profile-incomplete", 11, PointStatus::partial, "a suspect person has no account, handle or profile URL"},
    {"profile-not-attributed", 11, PointStatus::partial, "evidence names a platform or account, no suspect person"},
    {"suspect-profile-none", 11, PointStatus::missing, "no profile data"},

    // 12. Phone numbers used by the suspect: a suspect person's phones, the calling number of
    // calls from a suspect. Never numbers written in notes. An incoming call from a number
    // attributed to nobody leaves the point partial.
    {"suspect-phones", 12, PointStatus::present, "suspect numbers recorded; every incoming call is attributed"},
    {"suspect-phones-calls-not-attributed", 12, PointStatus::partial, "incoming calls from numbers attributed to nobody"},
    {"suspect-phones-none", 12, PointStatus::missing, "no suspect number"},

    // 13. Calling number unknown: each call whose caller is withheld or unknown needs its
    // time and the number on which the victim was called.
    {"unknown-caller-calls-complete", 13, PointStatus::present, "every withheld/unknown call has its time and number called"},
    {"unknown-caller-calls-incomplete", 13, PointStatus::partial, "a withheld/unknown call lacks its time or number called"},
    {"no-unknown-caller-call", 13, PointStatus::not_applicable, "no call from a withheld or unknown number is recorded"},

    // 14. Recordings of phone conversations: call entries with a recording. A voice message
    // or any audio stored as a file is not the recording of a call.
    {"call-recordings", 14, PointStatus::present, "a call entry holds its recording"},
    {"call-recordings-none", 14, PointStatus::missing, "no call entry holds a recording"},

    // 15. Date, time and number of each call: call entries with their time and the other
    // party's number (for a withheld/unknown caller: the number called, point 13).
    {"calls-complete", 15, PointStatus::present, "every call has date, time and number"},
    {"calls-incomplete", 15, PointStatus::partial, "a call lacks its time or number"},
    {"calls-in-notes-only", 15, PointStatus::partial, "calls only described in free-text notes"},
    {"calls-none", 15, PointStatus::missing, "no call"},
};

// The points: id, stable key, i18n key of the police's wording.
struct PointRow {
  int id;
  const char* key;
  const char* title_key;
};
constexpr PointRow k_points[] = {
    {1, "url", "cl_url"},
    {2, "account-id", "cl_account_id"},
    {3, "screenshot", "cl_screenshot"},
    {4, "victim-email", "cl_victim_email"},
    {5, "observed-at", "cl_observed_at"},
    {6, "traces", "cl_traces"},
    {7, "conversation-times", "cl_conversation_times"},
    {8, "suspect-emails", "cl_suspect_emails"},
    {9, "requested-actions", "cl_requested_actions"},
    {10, "suspect-email-addresses", "cl_suspect_addresses"},
    {11, "suspect-profile", "cl_suspect_profile"},
    {12, "suspect-phones", "cl_suspect_phones"},
    {13, "unknown-caller", "cl_unknown_caller"},
    {14, "call-recordings", "cl_call_recordings"},
    {15, "calls", "cl_calls"},
};

std::string str(const Json& obj, const char* key) { return util::string_field(obj, key); }
const Json& context_of(const ModelEntry& e) { return member(e.line, "context"); }
const Json& files_of(const ModelEntry& e) {
  static const Json empty = Json::array();
  const Json& f = member(e.line, "files");
  return f.is_array() ? f : empty;
}
bool is_image(const Json& f) { return str(f, "media_type").starts_with("image/"); }
bool is_audio_or_video(const Json& f) {
  const std::string mt = str(f, "media_type");
  return mt.starts_with("audio/") || mt.starts_with("video/");
}
using util::join;

bool is_evidence_kind(const std::string& kind) {
  return kind == "file" || kind == "note" || kind == "email" || kind == "web" || kind == "call";
}

std::string web_field(const ModelEntry& e, const char* key) {
  std::string v = util::scalar_text(member(member(e.line, "web"), key));
  if (v.empty() && e.derived) v = util::scalar_text(member(*e.derived, key));
  return v;
}
std::string web_url(const ModelEntry& e) {
  std::string u = web_field(e, "url");
  if (u.empty()) u = web_field(e, "requested_url");
  return u;
}

// The addresses of one header of an e-mail entry: headers.json's summary when intact, else
// the line's own list.
// The subject findings of a capture's identity (capture.json, capture/identity.hpp) with the
// given fields; never the viewer's. Empty without an intact capture.json.
std::vector<const Json*> identity_subject(const ModelEntry& e, std::initializer_list<const char*> fields) {
  std::vector<const Json*> out;
  if (e.kind != "web" || !e.derived) return out;
  for (const Json& f : member(member(*e.derived, "identity"), "findings")) {
    if (str(f, "role") != "subject") continue;
    for (const char* field : fields)
      if (str(f, "field") == field) out.push_back(&f);
  }
  return out;
}

// The message of one identity finding: its value, the rule, the WARC record and offset.
std::vector<std::string> identity_args(const Json& f) {
  return {str(f, "value") + " (" + str(f, "platform") + ")",
          str(f, "rule"),
          str(f, "warc_record_id"),
          util::scalar_text(member(f, "offset")),
          str(f, "where"),
          str(f, "confidence")};
}

std::vector<std::string> email_addresses(const ModelEntry& e, const char* key) {
  std::vector<std::string> out;
  if (e.derived) {
    for (const Json& a : member(member(*e.derived, "summary"), key)) {
      const std::string addr = str(a, "address");
      if (!addr.empty()) out.push_back(addr);
    }
    return out;
  }
  for (const Json& a : member(member(e.line, "email"), key)) {
    const std::string addr = util::scalar_text(a);
    if (!addr.empty()) out.push_back(addr);
  }
  return out;
}

// A phone object ({"as_typed", "e164"}) in words: the E.164 form when known.
std::string phone_text(const Json& phone) {
  const std::string e164 = str(phone, "e164");
  return e164.empty() ? str(phone, "as_typed") : e164;
}

// The call's calling number in words; "" when withheld or unknown.
std::string call_from_number(const Json& call) { return phone_text(member(member(call, "from"), "number")); }
bool call_caller_hidden(const Json& call) {
  const Json& from = member(call, "from");
  return member(from, "withheld") == Json(true) || member(from, "unknown") == Json(true);
}
std::string call_to_number(const Json& call) { return phone_text(member(member(call, "to"), "number")); }
std::string call_utc(const Json& call) {
  const std::string utc = str(member(call, "at"), "utc");
  return util::parse_rfc3339(utc) ? utc : "";
}

class Evaluator {
public:
  explicit Evaluator(const CaseModel& m) : m_model(m), m_persons(collect_persons(m)) {
    for (const auto& p : m_persons)
      m_roles[p.id] = p.role;
    for (const auto& e : m_model.entries) {
      if (e.kind != "checklist") continue;
      const Json& c = member(e.line, "checklist");
      const auto point = util::unsigned_field(c, "point");
      if (point && *point >= 1 && *point <= 15) m_decisions[static_cast<int>(*point)] = &e; // newest wins
    }
  }

  std::vector<ChecklistPoint> run() {
    std::vector<ChecklistPoint> out;
    for (const auto& row : k_points) {
      ChecklistPoint p;
      p.id = row.id;
      p.key = row.key;
      p.title_key = row.title_key;
      const auto d = m_decisions.find(row.id);
      if (d != m_decisions.end() && str(member(d->second->line, "checklist"), "status") == "not-applicable") {
        p.evidence.push_back(d->second->seq);
        p.reason = Message{"na_because", d->second->seq, d->second->kind, {str(member(d->second->line, "checklist"), "because")}};
        decide(p, "user-not-applicable");
      } else {
        evaluate(p);
      }
      std::sort(p.evidence.begin(), p.evidence.end());
      p.evidence.erase(std::unique(p.evidence.begin(), p.evidence.end()), p.evidence.end());
      out.push_back(std::move(p));
    }
    return out;
  }

private:
  static void decide(ChecklistPoint& p, std::string_view code) {
    for (const auto& r : k_rules) {
      if (r.code == code && (r.point == 0 || r.point == p.id)) {
        p.rule = std::string(code);
        p.status = r.status;
        return;
      }
    }
    throw Error(ErrorKind::internal, "checklist: no rule '" + std::string(code) + "' for point " + std::to_string(p.id));
  }
  static Message msg(const std::string& key, const ModelEntry& e, std::vector<std::string> args = {}) {
    return Message{key, e.seq, e.kind, std::move(args)};
  }
  static Message msg(const std::string& key, std::vector<std::string> args = {}) { return Message{key, std::nullopt, "", std::move(args)}; }
  static void found(ChecklistPoint& p, const ModelEntry& e, const std::string& key, std::vector<std::string> args) {
    p.evidence.push_back(e.seq);
    p.found.push_back(msg(key, e, std::move(args)));
  }

  bool is_suspect(std::optional<std::uint64_t> id) const {
    if (!id) return false;
    const auto it = m_roles.find(*id);
    return it != m_roles.end() && it->second == "suspect";
  }
  std::optional<std::uint64_t> from_person(const ModelEntry& e) const { return util::unsigned_field(context_of(e), "from_person"); }
  std::optional<std::uint64_t> about_person(const ModelEntry& e) const { return util::unsigned_field(context_of(e), "about_person"); }
  bool from_suspect(const ModelEntry& e) const { return is_suspect(from_person(e)); }
  // A conversation "with" the suspect: from the suspect, or (a call) about the suspect, as
  // when the victim called the suspect.
  // A chat export is "about" the person it is a conversation with (add-chat --about-person).
  bool with_suspect(const ModelEntry& e) const {
    return from_suspect(e) || ((e.kind == "call" || e.kind == "chat") && is_suspect(about_person(e)));
  }
  const ModelEntry* entry(std::uint64_t seq) const {
    for (const auto& e : m_model.entries)
      if (e.seq == seq) return &e;
    return nullptr;
  }
  std::vector<const ModelEntry*> of_kind(const std::string& kind) const {
    std::vector<const ModelEntry*> out;
    for (const auto& e : m_model.entries)
      if (e.kind == kind) out.push_back(&e);
    return out;
  }
  std::vector<const Person*> persons_with_role(const std::string& role) const {
    std::vector<const Person*> out;
    for (const auto& p : m_persons)
      if (p.role == role) out.push_back(&p);
    return out;
  }
  // Each identifier of `type` that a person entry of a person with `role` recorded.
  void person_identifiers(ChecklistPoint& p, const std::string& role, const std::string& type) const {
    for (const Person* person : persons_with_role(role))
      for (const auto& id : person->identifiers)
        if (id.type == type && id.via == "person")
          if (const ModelEntry* e = entry(id.source)) found(p, *e, "fd_" + role + "_identifier", {id.value});
  }

  void evaluate(ChecklistPoint& p) {
    switch (p.id) {
    case 1:
      return url(p);
    case 2:
      return account_id(p);
    case 3:
      return screenshot(p);
    case 4:
      return victim_email(p);
    case 5:
      return observed_at(p);
    case 6:
      return traces(p);
    case 7:
      return conversations(p);
    case 8:
      return suspect_emails(p);
    case 9:
      return requested_actions(p);
    case 10:
      return suspect_addresses(p);
    case 11:
      return suspect_profile(p);
    case 12:
      return suspect_phones(p);
    case 13:
      return unknown_caller(p);
    case 14:
      return call_recordings(p);
    case 15:
      return calls(p);
    default:
      throw Error(ErrorKind::internal, "checklist: no point " + std::to_string(p.id));
    }
  }

  // Whether an evidence entry is about an account or page and so should name its URL and
  // account: a capture, a screenshot file, an entry that names its platform.
  static bool about_page(const ModelEntry& e) {
    const Json& c = context_of(e);
    return e.kind == "web" || (e.kind == "file" && (str(c, "kind") == "screenshot" || !str(c, "platform").empty()));
  }

  void url(ChecklistPoint& p) const {
    for (const auto& e : m_model.entries) {
      if (!is_evidence_kind(e.kind)) continue;
      const std::string u = e.kind == "web" ? web_url(e) : str(context_of(e), "source_url");
      if (!u.empty()) {
        found(p, e, "fd_value", {u});
        for (const Json* f : identity_subject(e, {"profile_url"}))
          found(p, e, "fd_identity", identity_args(*f));
      } else if (about_page(e)) {
        p.missing.push_back(msg("miss_url", e));
      }
    }
    for (const Person* s : persons_with_role("suspect"))
      for (const auto& id : s->identifiers) {
        const std::string u = id.type == "profile-url" ? id.value : id.type == "account" ? str(id.detail, "url") : "";
        if (!u.empty() && id.via == "person")
          if (const ModelEntry* e = entry(id.source)) found(p, *e, "fd_suspect_identifier", {u});
      }
    if (p.evidence.empty()) {
      p.missing.insert(p.missing.begin(), msg("miss_url_none"));
      return decide(p, "url-none");
    }
    decide(p, p.missing.empty() ? "url-recorded" : "url-some-items-without");
  }

  void account_id(ChecklistPoint& p) const {
    for (const auto& e : m_model.entries) {
      if (!is_evidence_kind(e.kind)) continue;
      const Json& c = context_of(e);
      const std::string id = str(c, "account_id");
      const auto ids = identity_subject(e, {"account_id"});
      if (!id.empty()) {
        found(p, e, "fd_value", {str(c, "platform").empty() ? id : id + " (" + str(c, "platform") + ")"});
      } else if (!ids.empty()) {
        for (const Json* f : ids)
          found(p, e, "fd_identity", identity_args(*f));
      } else if (about_page(e) || !str(c, "source_url").empty()) {
        p.missing.push_back(msg("miss_account_id", e));
      }
    }
    for (const Person* s : persons_with_role("suspect"))
      for (const auto& id : s->identifiers)
        if (id.type == "account" && id.via == "person" && !str(id.detail, "id").empty())
          if (const ModelEntry* e = entry(id.source)) found(p, *e, "fd_suspect_identifier", {id.value});
    if (p.evidence.empty()) {
      if (p.missing.empty()) {
        p.missing.push_back(msg("miss_account_none"));
        return decide(p, "account-id-none");
      }
      return decide(p, "account-id-items-without");
    }
    decide(p, p.missing.empty() ? "account-id-recorded" : "account-id-some-items-without");
  }

  void screenshot(ChecklistPoint& p) const {
    for (const auto& e : m_model.entries) {
      if (e.kind == "file" && str(context_of(e), "kind") == "screenshot") {
        for (const Json& f : files_of(e))
          if (is_image(f)) found(p, e, "fd_value", {str(f, "path")});
      }
      if (e.kind == "web") {
        if (const Json* s = screenshot_of(e)) {
          found(p, e, "fd_value", {str(*s, "path")});
        } else {
          p.missing.push_back(msg("miss_capture_screenshot", e));
        }
      }
    }
    if (p.evidence.empty()) {
      p.missing.push_back(msg("miss_screenshot_none"));
      return decide(p, "screenshot-none");
    }
    decide(p, p.missing.empty() ? "screenshot-recorded" : "screenshot-some-captures-without");
  }

  void victim_email(ChecklistPoint& p) const {
    person_identifiers(p, "victim", "email");
    if (!p.evidence.empty()) return decide(p, "victim-person-email");
    bool any_to = false;
    for (const ModelEntry* e : of_kind("email")) {
      const auto to = email_addresses(*e, "to");
      if (to.empty()) continue;
      any_to = true;
      p.missing.push_back(msg("miss_victim_email_to", *e, {join(to, ", ")}));
    }
    p.missing.insert(p.missing.begin(), msg("miss_victim_email"));
    decide(p, any_to ? "victim-email-only-in-headers" : "victim-email-none");
  }

  void observed_at(ChecklistPoint& p) const {
    bool any_file = false;
    for (const auto& e : m_model.entries) {
      const Json& c = context_of(e);
      if (!str(c, "observed_at").empty() && is_evidence_kind(e.kind)) {
        found(p, e, "fd_value", {str(c, "observed_at")});
      } else if (e.kind == "web" && !web_field(e, "started").empty()) {
        found(p, e, "ev_capture_time", {web_field(e, "started")});
      } else if (e.kind == "file") {
        any_file = true;
        p.missing.push_back(msg("miss_observed_at", e));
      }
    }
    if (p.evidence.empty()) {
      if (!any_file) p.missing.push_back(msg("miss_observed_none"));
      return decide(p, any_file ? "observed-at-files-without" : "observed-at-none");
    }
    decide(p, p.missing.empty() ? "observed-at-recorded" : "observed-at-some-files-without");
  }

  void traces(ChecklistPoint& p) const {
    for (const ModelEntry* e : of_kind("file"))
      for (const Json& f : files_of(*e))
        if (is_image(f)) found(p, *e, "fd_file", {str(f, "path"), str(f, "media_type")});
    if (p.evidence.empty()) {
      p.missing.push_back(msg("miss_traces_none"));
      return decide(p, "trace-images-none");
    }
    decide(p, "trace-images");
  }

  static bool is_chat(const ModelEntry& e) {
    const std::string k = str(context_of(e), "kind");
    return e.kind == "file" && (k == "chat-export" || k == "chat");
  }

  void conversations(ChecklistPoint& p) const {
    std::vector<const ModelEntry*> unattributed;
    for (const auto& e : m_model.entries) {
      if (e.kind != "email" && e.kind != "call" && e.kind != "chat" && !is_chat(e)) continue;
      if (!with_suspect(e)) {
        unattributed.push_back(&e);
        continue;
      }
      if (e.kind == "email") {
        const Json& em = member(e.line, "email");
        if (str(em, "date_utc").empty()) {
          p.evidence.push_back(e.seq);
          p.missing.push_back(msg("miss_email_date", e));
        } else if (std::string_view(str(em, "date")).ends_with("-0000")) {
          // RFC 5322 3.3: -0000 says the sender's time zone is not known.
          p.evidence.push_back(e.seq);
          p.missing.push_back(msg("miss_email_zone", e));
        } else {
          found(p, e, "fd_value", {str(em, "date")});
        }
      } else if (e.kind == "call") {
        const Json& at = member(member(e.line, "call"), "at");
        if (call_utc(member(e.line, "call")).empty() || str(at, "offset").empty()) {
          p.evidence.push_back(e.seq);
          p.missing.push_back(msg("miss_call_time", e));
        } else {
          found(p, e, "fd_call_time", {str(at, "utc"), str(at, "offset")});
        }
      } else if (e.kind == "chat") {
        const Json& c = member(e.line, "chat");
        const std::string zone = str(c, "zone");
        const auto local = [&zone](const std::string& utc) {
          const auto t = util::parse_rfc3339(utc);
          if (!t) return utc;
          return zone.empty() ? utc : util::format_in_zone(t->epoch_seconds, zone);
        };
        if (str(c, "first_utc").empty()) {
          p.evidence.push_back(e.seq);
          p.missing.push_back(msg("miss_chat_times", e));
        } else {
          const std::string source = str(c, "zone_source");
          found(p, e,
                zone.empty()            ? "fd_chat_time_utc"
                : source == "case-zone" ? "fd_chat_time_case_zone"
                                        : "fd_chat_time",
                {util::scalar_text(member(c, "message_count")), local(str(c, "first_utc")), local(str(c, "last_utc")), zone});
        }
      } else {
        p.evidence.push_back(e.seq);
        p.missing.push_back(msg("miss_chat_zone", e));
      }
    }
    if (p.evidence.empty()) {
      if (unattributed.empty()) {
        p.missing.push_back(msg("miss_conversations_none"));
        return decide(p, "conversations-none");
      }
      for (const ModelEntry* e : unattributed)
        p.missing.push_back(msg("miss_not_attributed", *e));
      return decide(p, "conversations-not-attributed");
    }
    decide(p, p.missing.empty() ? "conversations-dated" : "conversations-some-undated");
  }

  // An e-mail's headers: found, or what is missing.
  static void email_headers(ChecklistPoint& p, const ModelEntry& e) {
    p.evidence.push_back(e.seq);
    if (!e.derived) {
      p.missing.push_back(msg("miss_headers_json", e, {e.derived_problem.empty() ? "-" : e.derived_problem}));
      return;
    }
    const std::size_t nheaders = member(*e.derived, "headers").size();
    const std::size_t hops = member(*e.derived, "received").size();
    p.found.push_back(msg("ev_email_headers", e, {std::to_string(nheaders), std::to_string(hops)}));
    if (hops == 0) p.missing.push_back(msg("miss_received", e));
  }

  void suspect_emails(ChecklistPoint& p) const {
    const auto emails = of_kind("email");
    std::size_t incomplete = 0;
    for (const ModelEntry* e : emails) {
      if (!from_suspect(*e)) continue;
      const std::size_t before = p.missing.size();
      email_headers(p, *e);
      if (p.missing.size() != before) ++incomplete;
    }
    if (!p.evidence.empty()) return decide(p, incomplete == 0 ? "suspect-emails-headers" : "suspect-emails-headers-incomplete");
    if (emails.empty()) {
      p.missing.push_back(msg("miss_email_none"));
      return decide(p, "suspect-emails-none");
    }
    // None is attributed: the e-mails that are there, with what each lacks.
    for (const ModelEntry* e : emails) {
      if (from_person(*e)) continue; // attributed to somebody else: not the suspect's
      p.missing.push_back(msg("miss_not_attributed", *e));
      email_headers(p, *e);
    }
    decide(p, "emails-not-attributed");
  }

  void requested_actions(ChecklistPoint& p) const {
    for (const ModelEntry* e : of_kind("note")) {
      const Json& c = context_of(*e);
      if (str(c, "kind") != "requested-action") continue;
      if (str(c, "observed_at").empty()) {
        p.evidence.push_back(e->seq);
        p.missing.push_back(msg("miss_requested_action_time", *e));
      } else {
        found(p, *e, "fd_value", {str(c, "observed_at")});
      }
    }
    if (p.evidence.empty()) {
      p.missing.push_back(msg("miss_requested_actions_none"));
      return decide(p, "requested-actions-none");
    }
    decide(p, p.missing.empty() ? "requested-actions-recorded" : "requested-actions-undated");
  }

  void suspect_addresses(ChecklistPoint& p) const {
    person_identifiers(p, "suspect", "email");
    bool unattributed = false;
    for (const ModelEntry* e : of_kind("email")) {
      if (from_suspect(*e)) {
        for (const auto& [key, header] : {std::pair{"from", "From"}, {"reply_to", "Reply-To"}, {"return_path", "Return-Path"}})
          for (const std::string& a : email_addresses(*e, key))
            found(p, *e, "fd_email_header", {header, a});
      } else if (!from_person(*e)) {
        unattributed = true;
        p.missing.push_back(msg("miss_email_not_attributed", *e, {join(email_addresses(*e, "from"), ", ")}));
      }
    }
    if (unattributed) return decide(p, "suspect-addresses-emails-not-attributed");
    if (p.evidence.empty()) {
      p.missing.push_back(msg("miss_suspect_addresses_none"));
      return decide(p, "suspect-addresses-none");
    }
    decide(p, "suspect-addresses");
  }

  void suspect_profile(ChecklistPoint& p) const {
    const auto suspects = persons_with_role("suspect");
    for (const Person* s : suspects) {
      bool profile = false;
      for (const auto& id : s->identifiers) {
        if (id.via != "person" || (id.type != "account" && id.type != "handle" && id.type != "profile-url")) continue;
        if (const ModelEntry* e = entry(id.source)) found(p, *e, "fd_suspect_identifier", {id.value});
        profile = true;
      }
      if (!profile)
        if (const ModelEntry* e = entry(s->id)) p.missing.push_back(msg("miss_suspect_profile", *e));
    }
    if (!p.evidence.empty()) return decide(p, p.missing.empty() ? "suspect-profile" : "suspect-profile-incomplete");
    if (!suspects.empty()) return decide(p, "suspect-profile-incomplete");
    // No suspect person: evidence that names a platform or account is a lead, not the answer.
    for (const auto& e : m_model.entries) {
      const Json& c = context_of(e);
      if (is_evidence_kind(e.kind) && (!str(c, "platform").empty() || !str(c, "account_id").empty())) {
        p.missing.push_back(msg("miss_profile_not_attributed", e, {join({str(c, "platform"), str(c, "account_id")}, " ")}));
      } else if (e.derived) {
        // What cbkit found in a capture is a lead too (the subject, never the viewer).
        const std::string who = capture::identity_summary(member(*e.derived, "identity"));
        if (!who.empty()) p.missing.push_back(msg("miss_profile_not_attributed", e, {who}));
      }
    }
    if (!p.missing.empty()) return decide(p, "profile-not-attributed");
    p.missing.push_back(msg("miss_suspect_profile_none"));
    decide(p, "suspect-profile-none");
  }

  void suspect_phones(ChecklistPoint& p) const {
    person_identifiers(p, "suspect", "phone");
    bool unattributed = false;
    for (const ModelEntry* e : of_kind("call")) {
      const Json& call = member(e->line, "call");
      const std::string number = call_from_number(call);
      if (number.empty()) continue;
      if (from_suspect(*e)) {
        found(p, *e, "fd_call_from", {number});
      } else if (!from_person(*e) && str(call, "direction") == "incoming") {
        unattributed = true;
        p.missing.push_back(msg("miss_call_not_attributed", *e, {number}));
      }
    }
    if (unattributed) return decide(p, "suspect-phones-calls-not-attributed");
    if (p.evidence.empty()) {
      p.missing.push_back(msg("miss_suspect_phones_none"));
      return decide(p, "suspect-phones-none");
    }
    decide(p, "suspect-phones");
  }

  void unknown_caller(ChecklistPoint& p) const {
    for (const ModelEntry* e : of_kind("call")) {
      const Json& call = member(e->line, "call");
      if (!call_caller_hidden(call)) continue;
      p.evidence.push_back(e->seq);
      const std::string utc = call_utc(call);
      const std::string to = call_to_number(call);
      if (utc.empty()) p.missing.push_back(msg("miss_call_time", *e));
      if (to.empty()) p.missing.push_back(msg("miss_call_number_called", *e));
      if (!utc.empty() && !to.empty()) p.found.push_back(msg("fd_call_hidden", *e, {utc, to}));
    }
    if (p.evidence.empty()) {
      p.reason = msg("na_no_hidden_caller");
      return decide(p, "no-unknown-caller-call");
    }
    decide(p, p.missing.empty() ? "unknown-caller-calls-complete" : "unknown-caller-calls-incomplete");
  }

  void call_recordings(ChecklistPoint& p) const {
    for (const ModelEntry* e : of_kind("call")) {
      const std::string rec = str(member(e->line, "call"), "recording");
      bool has = false;
      for (const Json& f : files_of(*e))
        if (str(f, "role") == "recording" || (!rec.empty() && str(f, "path") == rec)) has = true;
      if (has) found(p, *e, "fd_value", {rec.empty() ? std::string("recording") : rec});
    }
    if (!p.evidence.empty()) return decide(p, "call-recordings");
    p.missing.push_back(msg("miss_call_recordings_none"));
    // Audio stored as a plain file (a voice message, a memo) is named so nobody mistakes it
    // for the recording of a call.
    for (const ModelEntry* e : of_kind("file"))
      for (const Json& f : files_of(*e))
        if (is_audio_or_video(f)) p.missing.push_back(msg("miss_audio_not_call", *e, {str(f, "path")}));
    decide(p, "call-recordings-none");
  }

  void calls(ChecklistPoint& p) const {
    for (const ModelEntry* e : of_kind("call")) {
      const Json& call = member(e->line, "call");
      p.evidence.push_back(e->seq);
      const std::string utc = call_utc(call);
      // The number of the call: the other party's; for a hidden caller, the number called.
      const bool incoming = str(call, "direction") != "outgoing";
      std::string number = incoming ? call_from_number(call) : call_to_number(call);
      if (number.empty() && incoming && call_caller_hidden(call)) number = call_to_number(call);
      if (utc.empty()) p.missing.push_back(msg("miss_call_time", *e));
      if (number.empty()) p.missing.push_back(msg("miss_call_number", *e));
      if (!utc.empty() && !number.empty()) p.found.push_back(msg("fd_call", *e, {utc, number}));
    }
    if (!p.evidence.empty()) return decide(p, p.missing.empty() ? "calls-complete" : "calls-incomplete");
    // Calls written down only as notes (before add-call existed): not structured evidence.
    for (const ModelEntry* e : of_kind("note")) {
      const std::string k = str(context_of(*e), "kind");
      if (k == "phone-call" || k == "call" || k == "call-log") p.missing.push_back(msg("miss_call_in_note", *e));
    }
    if (!p.missing.empty()) return decide(p, "calls-in-notes-only");
    p.missing.push_back(msg("miss_calls_none"));
    decide(p, "calls-none");
  }

  const CaseModel& m_model;
  std::vector<Person> m_persons;
  std::map<std::uint64_t, std::string> m_roles;
  std::map<int, const ModelEntry*> m_decisions;
};

void add_identifier(Person& p, PersonIdentifier id) {
  for (const auto& x : p.identifiers)
    if (x.type == id.type && x.source == id.source && util::iequals(x.value, id.value)) return;
  p.identifiers.push_back(std::move(id));
}

} // namespace

const manifest::Json* screenshot_of(const ModelEntry& e) {
  for (const manifest::Json& f : files_of(e)) {
    const std::string p = str(f, "path");
    const auto slash = p.rfind('/');
    const std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
    if (str(f, "role") == "screenshot") return &f; // capture-url --browser
    if (base.starts_with("screenshot") &&
        (base.ends_with(".png") || base.ends_with(".jpg") || base.ends_with(".jpeg") || base.ends_with(".webp")))
      return &f;
  }
  return nullptr;
}

std::string status_code(PointStatus status) {
  switch (status) {
  case PointStatus::present:
    return "present";
  case PointStatus::partial:
    return "partial";
  case PointStatus::missing:
    return "missing";
  case PointStatus::not_applicable:
    return "not-applicable";
  }
  return "missing";
}

std::string status_key(PointStatus status) {
  switch (status) {
  case PointStatus::present:
    return "st_present";
  case PointStatus::partial:
    return "st_partial";
  case PointStatus::missing:
    return "st_missing";
  case PointStatus::not_applicable:
    return "st_not_applicable";
  }
  return "st_missing";
}

std::string entry_ref_text(const std::string& kind, std::uint64_t seq, Lang lang) {
  static const std::set<std::string> known = {"case", "file",      "email",  "note", "web",       "report",
                                              "seal", "timestamp", "person", "call", "checklist", "chat"};
  return trf(lang, "ref_" + (known.count(kind) != 0 ? kind : std::string("other")), {std::to_string(seq)});
}

std::string message_text(const Message& message, Lang lang) {
  std::vector<std::string> args;
  if (message.entry) args.push_back(entry_ref_text(message.entry_kind, *message.entry, lang));
  args.insert(args.end(), message.args.begin(), message.args.end());
  return trf(lang, message.key, args);
}

const std::vector<ChecklistRule>& checklist_rules() { return k_rules; }

std::vector<ChecklistPoint> evaluate_checklist(const CaseModel& model) { return Evaluator(model).run(); }

std::vector<Person> collect_persons(const CaseModel& model) {
  std::vector<Person> out;
  const auto find = [&](std::uint64_t id) -> Person* {
    for (auto& p : out)
      if (p.id == id) return &p;
    return nullptr;
  };
  for (const auto& e : model.entries) {
    if (e.kind != "person") continue;
    const Json& pj = member(e.line, "person");
    Person* person = nullptr;
    if (const auto adds_to = util::unsigned_field(pj, "adds_to")) {
      person = find(*adds_to);
    } else if (util::has_string(pj, "role")) {
      out.push_back(Person{e.seq, str(pj, "role"), {}, {}, {}});
      person = &out.back();
    }
    if (person == nullptr) continue;
    person->entries.push_back(e.seq);
    const auto strings = [&](const char* key, const char* type) {
      for (const Json& v : member(pj, key))
        if (v.is_string() && !v.get<std::string>().empty()) add_identifier(*person, {type, v.get<std::string>(), e.seq, "person", Json()});
    };
    strings("names", "name");
    strings("emails", "email");
    for (const Json& ph : member(pj, "phones"))
      if (!phone_text(ph).empty()) add_identifier(*person, {"phone", phone_text(ph), e.seq, "person", ph});
    for (const Json& a : member(pj, "accounts")) {
      std::string value = str(a, "id");
      if (value.empty()) value = str(a, "handle");
      if (value.empty()) value = str(a, "url");
      if (!str(a, "platform").empty()) value = str(a, "platform") + ":" + value;
      if (!value.empty()) add_identifier(*person, {"account", value, e.seq, "person", a});
    }
    strings("handles", "handle");
    strings("profile_urls", "profile-url");
    if (!str(pj, "note").empty()) person->notes.emplace_back(e.seq, str(pj, "note"));
  }
  // Identifiers that evidence attributed to a person shows (context.from_person).
  for (const auto& e : model.entries) {
    const auto id = util::unsigned_field(member(e.line, "context"), "from_person");
    if (!id) continue;
    Person* person = find(*id);
    if (person == nullptr) continue;
    if (e.kind == "email") {
      for (const auto& [key, via] : {std::pair{"from", "email-from"}, {"reply_to", "email-reply-to"}, {"return_path", "email-return-path"}})
        for (const std::string& a : email_addresses(e, key))
          add_identifier(*person, {"email", a, e.seq, via, Json()});
    } else if (e.kind == "call") {
      const Json& number = member(member(member(e.line, "call"), "from"), "number");
      if (!phone_text(number).empty()) add_identifier(*person, {"phone", phone_text(number), e.seq, "call-from", number});
    }
  }
  return out;
}

} // namespace cbkit::report
