#include "cbkit/people/people.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/store/recorded.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string_view>

namespace cbkit::people {

using manifest::Json;

namespace {

// The country calling code of a national number, from the case's time zone: one row per
// zone that belongs to exactly one country whose national numbers start with a trunk 0
// (ITU-T E.164 assignments). A zone shared by several countries, or not listed, gives no
// code: the number is then kept only as typed, never guessed.
struct ZoneCountry {
  std::string_view zone;
  std::string_view code;
};
constexpr ZoneCountry k_zone_countries[] = {
    {"Europe/Brussels", "32"},  // Belgium
    {"Europe/Amsterdam", "31"}, // the Netherlands
    {"Europe/Paris", "33"},     // France
    {"Europe/Berlin", "49"},    // Germany
    {"Europe/London", "44"},    // United Kingdom
    {"Europe/Dublin", "353"},   // Ireland
    {"Europe/Zurich", "41"},    // Switzerland
    {"Europe/Vienna", "43"},    // Austria
};

std::string display(const std::string& s) { return util::utf8_lossy(s); }

} // namespace

Phone parse_phone(const std::string& typed, const std::string& zone, const std::string& option) {
  Phone p;
  p.as_typed = typed;
  const auto bad = [&](const std::string& why) {
    return Error(ErrorKind::usage,
                 option + " '" + display(typed) + "': " + why + " (expected a phone number such as +32 470 12 34 56 or 0470 12 34 56)");
  };
  if (!util::is_valid_utf8(typed)) throw bad("not valid UTF-8");
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < typed.size(); ++i) {
    const char ch = typed[i];
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      digits += ch;
    } else if (ch == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (ch != ' ' && ch != '.' && ch != '-' && ch != '/' && ch != '(' && ch != ')') {
      throw bad("holds '" + std::string(1, ch) + "', which is not part of a phone number");
    }
  }
  if (digits.size() < 3) throw bad("too few digits");
  if (digits.size() > 17) throw bad("too many digits");
  if (plus) {
    if (digits.size() < 7 || digits.size() > 15) throw bad("an international number has 7 to 15 digits");
    p.e164 = "+" + digits;
    p.e164_rule = "international number as typed";
  } else if (digits.starts_with("00") && digits.size() >= 9) {
    p.e164 = "+" + digits.substr(2);
    p.e164_rule = "international prefix 00";
  } else if (digits.starts_with("0") && !digits.starts_with("00")) {
    for (const ZoneCountry& z : k_zone_countries) {
      if (z.zone == zone) {
        const std::string e = std::string(z.code) + digits.substr(1);
        if (e.size() >= 7 && e.size() <= 15) {
          p.e164 = "+" + e;
          p.e164_rule = "national number, country code " + std::string(z.code) + " from the case's time zone " + zone;
        }
        break;
      }
    }
  }
  // Short numbers (112, 1712) and numbers of unknown countries stay as typed only.
  return p;
}

Account parse_account(const std::string& typed) {
  const auto colon = typed.find(':');
  Account a;
  if (colon == std::string::npos || colon == 0) {
    throw Error(ErrorKind::usage,
                "--account '" + display(typed) + "': expected PLATFORM:ID[:URL], e.g. instagram:1234567890:https://www.instagram.com/sam");
  }
  a.platform = util::to_lower_ascii(typed.substr(0, colon));
  const std::string rest = typed.substr(colon + 1);
  const auto colon2 = rest.find(':');
  a.id = rest.substr(0, colon2);
  if (colon2 != std::string::npos) a.url = rest.substr(colon2 + 1);
  if (a.id.empty() && a.url.empty()) throw Error(ErrorKind::usage, "--account '" + display(typed) + "': no ID");
  if (!a.url.empty() && a.url.find("://") == std::string::npos)
    throw Error(ErrorKind::usage, "--account '" + display(typed) + "': the part after the ID is not a URL");
  return a;
}

namespace {

// The manifest line `seq` of the case, when it has one and it parses.
std::optional<Json> line_at(const store::Case& c, std::uint64_t seq) {
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (reader.next(raw)) {
    if (raw.index < seq) continue;
    if (raw.index > seq || !raw.has_lf) break;
    return manifest::parse_line(raw.bytes);
  }
  return std::nullopt;
}

// --from-capture SEQ[:N] as an account object of the person line, with where it came from.
Json account_from_capture(const store::Case& c, const std::string& typed) {
  const std::string option = "--from-capture '" + display(typed) + "'";
  const auto colon = typed.find(':');
  const std::string seq_text = typed.substr(0, colon);
  const std::string n_text = colon == std::string::npos ? "" : typed.substr(colon + 1);
  const auto number = [&](const std::string& t) -> std::uint64_t {
    if (t.empty() || t.size() > 18 || !std::all_of(t.begin(), t.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      throw Error(ErrorKind::usage, option + ": expected SEQ or SEQ:N (the capture's seq, the finding's number)");
    return std::stoull(t);
  };
  const std::uint64_t seq = number(seq_text);
  const bool pick = colon != std::string::npos;
  const std::uint64_t n = pick ? number(n_text) : 0;
  const auto line = line_at(c, seq);
  if (!line || util::string_field(*line, "kind") != "web")
    throw Error(ErrorKind::usage, option + ": entry " + seq_text + " is not a web capture of this case ('cbkit log' lists them)");
  std::optional<Json> record;
  std::string problem = "it records no capture.json";
  for (const Json& f : util::member(*line, "files")) {
    if (util::string_field(f, "role") != "capture") continue;
    const store::RecordedBytes b = store::read_recorded(c.root(), f, "web", 64u << 20);
    problem = b.problem;
    if (b.bytes) record = util::parse_untrusted_json(*b.bytes);
    if (b.bytes && !record) problem = "its capture.json is not JSON";
  }
  if (!record) throw Error(ErrorKind::usage, option + ": capture " + seq_text + " cannot be read: " + problem + " (run cbkit verify)");
  const Json& identity = util::member(*record, "identity");
  const Json& findings = util::member(identity, "findings");
  if (!findings.is_array())
    throw Error(ErrorKind::usage,
                option + ": capture " + seq_text + " has no identity findings (it was made before cbkit looked for them)");
  Json source{{"seq", seq}, {"rules_version", util::string_field(identity, "rules_version")}, {"findings", Json::array()}};
  Json account = Json::object();
  const auto take = [&](const Json& f, std::size_t index) {
    const std::string field = util::string_field(f, "field");
    const char* key = field == "account_id" ? "id" : field == "handle" ? "handle" : field == "profile_url" ? "url" : nullptr;
    if (key == nullptr)
      throw Error(ErrorKind::usage,
                  option + ": finding " + std::to_string(index + 1) + " is a " + field + ", not an account id, handle or profile URL");
    if (account.empty()) account["platform"] = util::string_field(f, "platform");
    account[key] = util::string_field(f, "value");
    source["findings"].push_back(Json{{"number", index + 1},
                                      {"field", field},
                                      {"rule", util::string_field(f, "rule")},
                                      {"warc_record_id", util::string_field(f, "warc_record_id")},
                                      {"where", util::string_field(f, "where")},
                                      {"offset", util::unsigned_field(f, "offset").value_or(0)},
                                      {"confidence", util::string_field(f, "confidence")}});
  };
  if (pick) {
    if (n == 0 || n > findings.size())
      throw Error(ErrorKind::usage, option + ": capture " + seq_text + " has " + std::to_string(findings.size()) + " identity findings");
    const Json& f = findings[n - 1];
    if (util::string_field(f, "role") != "subject")
      throw Error(ErrorKind::usage,
                  option + ": finding " + n_text + " is the logged-in viewer's account (the victim's own), not the subject of the page");
    take(f, n - 1);
  } else {
    // The subject's one account id, and its handle and profile URL when there is one of each.
    std::map<std::string, std::vector<std::size_t>> of_field;
    for (std::size_t i = 0; i < findings.size(); ++i)
      if (util::string_field(findings[i], "role") == "subject") of_field[util::string_field(findings[i], "field")].push_back(i);
    const auto& ids = of_field["account_id"];
    if (ids.empty())
      throw Error(ErrorKind::usage, option + ": capture " + seq_text +
                                        " names no subject account id; pick a finding with SEQ:N ('cbkit show " + seq_text +
                                        " --json' lists them)");
    if (ids.size() > 1)
      throw Error(ErrorKind::usage, option + ": capture " + seq_text + " names " + std::to_string(ids.size()) +
                                        " different subject account ids; pick the right one with SEQ:N ('cbkit show " + seq_text +
                                        " --json' lists them)");
    take(findings[ids[0]], ids[0]);
    const std::string platform = account["platform"];
    for (const char* field : {"handle", "profile_url"}) {
      const auto& list = of_field[field];
      if (list.size() == 1 && util::string_field(findings[list[0]], "platform") == platform) take(findings[list[0]], list[0]);
    }
  }
  account["from_capture"] = source;
  return account;
}

} // namespace

manifest::Appended add_person(const store::Case& c, const PersonOptions& o) {
  const std::string zone = c.info().timezone;
  Json person = Json::object();
  if (o.adds_to) {
    if (!o.role.empty()) throw Error(ErrorKind::usage, "--role: a person's role is set when it is created; --id adds identifiers only");
    if (!store::person_role(c, *o.adds_to)) {
      throw Error(ErrorKind::usage, "--id " + std::to_string(*o.adds_to) + ": entry " + std::to_string(*o.adds_to) +
                                        " is not a person of this case ('cbkit log' lists them, kind person)");
    }
  } else {
    if (o.role.empty()) throw Error(ErrorKind::usage, "--role is required for a new person (victim, suspect, witness or reporter)");
    if (std::none_of(std::begin(k_roles), std::end(k_roles), [&](const char* r) { return o.role == r; })) {
      throw Error(ErrorKind::usage, "--role '" + display(o.role) + "': unknown role; use victim, suspect, witness or reporter");
    }
    person["role"] = o.role;
  }
  if (o.adds_to) person["adds_to"] = *o.adds_to;

  const auto strings = [&](const char* key, const char* option, const std::vector<std::string>& values) {
    if (values.empty()) return;
    Json list = Json::array();
    for (const std::string& v : values) {
      if (!util::is_valid_utf8(v) || util::trim(v).empty())
        throw Error(ErrorKind::usage, std::string(option) + " '" + display(v) + "': empty or not valid UTF-8");
      list.push_back(std::string(util::trim(v)));
    }
    person[key] = std::move(list);
  };
  strings("names", "--name", o.names);
  for (const std::string& e : o.emails) {
    const auto at = e.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= e.size() || e.find_first_of(" \t\r\n<>") != std::string::npos)
      throw Error(ErrorKind::usage, "--email '" + display(e) + "': not an e-mail address (name@domain)");
  }
  strings("emails", "--email", o.emails);
  if (!o.phones.empty()) {
    Json list = Json::array();
    for (const std::string& typed : o.phones) {
      const Phone p = parse_phone(typed, zone, "--phone");
      Json j{{"as_typed", p.as_typed}};
      if (!p.e164.empty()) {
        j["e164"] = p.e164;
        j["e164_rule"] = p.e164_rule;
      }
      list.push_back(std::move(j));
    }
    person["phones"] = std::move(list);
  }
  if (!o.accounts.empty()) {
    Json list = Json::array();
    for (const std::string& typed : o.accounts) {
      const Account a = parse_account(typed);
      Json j{{"platform", a.platform}};
      if (!a.id.empty()) j["id"] = a.id;
      if (!a.url.empty()) j["url"] = a.url;
      list.push_back(std::move(j));
    }
    person["accounts"] = std::move(list);
  }
  for (const std::string& typed : o.from_captures) {
    if (!person.contains("accounts")) person["accounts"] = Json::array();
    person["accounts"].push_back(account_from_capture(c, typed));
  }
  strings("handles", "--handle", o.handles);
  for (const std::string& u : o.profile_urls) {
    if (u.find("://") == std::string::npos) throw Error(ErrorKind::usage, "--profile-url '" + display(u) + "': not a URL");
  }
  strings("profile_urls", "--profile-url", o.profile_urls);
  if (!o.note.empty()) {
    if (!util::is_valid_utf8(o.note)) throw Error(ErrorKind::usage, "--note: not valid UTF-8");
    person["note"] = o.note;
  }
  if (o.names.empty() && o.emails.empty() && o.phones.empty() && o.accounts.empty() && o.handles.empty() && o.profile_urls.empty() &&
      o.from_captures.empty()) {
    throw Error(ErrorKind::usage,
                "person: give at least one identifier (--name, --email, --phone, --account, --handle, --profile-url or --from-capture)");
  }
  return store::EntryBuilder(c, "person", o.examiner, o.lock_timeout).commit(Json{{"person", std::move(person)}}).appended;
}

std::uint64_t parse_duration(const std::string& typed) {
  const auto bad = [&] {
    return Error(ErrorKind::usage, "--duration '" + display(typed) + "': expected seconds (95, 95s), 1m35s, 1h2m3s or 00:01:35");
  };
  if (typed.empty()) throw bad();
  std::uint64_t total = 0;
  if (typed.find(':') != std::string::npos) {
    std::uint64_t part = 0;
    int parts = 0;
    bool digit = false;
    for (const char ch : typed + ":") {
      if (std::isdigit(static_cast<unsigned char>(ch))) {
        part = part * 10 + static_cast<std::uint64_t>(ch - '0');
        digit = true;
        if (part > 1000000) throw bad();
      } else if (ch == ':' && digit) {
        total = total * 60 + part;
        part = 0;
        digit = false;
        ++parts;
      } else {
        throw bad();
      }
    }
    if (parts < 2 || parts > 3) throw bad();
    return total;
  }
  std::uint64_t number = 0;
  bool digit = false;
  for (const char ch : typed) {
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      number = number * 10 + static_cast<std::uint64_t>(ch - '0');
      digit = true;
      if (number > 100000000) throw bad();
      continue;
    }
    if (!digit) throw bad();
    const std::uint64_t unit = ch == 'h' ? 3600 : ch == 'm' ? 60 : ch == 's' ? 1 : 0;
    if (unit == 0) throw bad();
    total += number * unit;
    number = 0;
    digit = false;
  }
  return total + number; // trailing digits without a unit are seconds
}

manifest::Appended add_call(const store::Case& c, const CallOptions& o) {
  store::validate_context(c, o.context);
  const std::string zone = c.info().timezone;
  if (o.direction != "incoming" && o.direction != "outgoing")
    throw Error(ErrorKind::usage, "--direction '" + display(o.direction) + "': use incoming or outgoing");
  // A local time is read in the case's zone; an ambiguous or skipped one is refused.
  util::ResolvedTime at;
  try {
    at = util::resolve_user_time(o.at, zone);
  } catch (const Error& e) {
    throw Error(ErrorKind::usage, "--at " + std::string(e.what()));
  }
  if (o.to.empty())
    throw Error(ErrorKind::usage,
                "--to: the number that was called is required (for an unknown caller, the number on which the victim was reached)");
  const auto number = [&](const std::string& typed, const char* option) {
    const Phone p = parse_phone(typed, zone, option);
    Json n{{"as_typed", p.as_typed}};
    if (!p.e164.empty()) {
      n["e164"] = p.e164;
      n["e164_rule"] = p.e164_rule;
    }
    return Json{{"number", std::move(n)}};
  };
  Json call = Json::object();
  call["direction"] = o.direction;
  Json when{{"as_typed", at.as_typed}, {"utc", at.utc}, {"offset", at.offset}};
  if (!at.zone.empty()) when["zone"] = at.zone;
  when["zone_source"] = at.how;
  call["at"] = std::move(when);
  if (o.from == "withheld" || o.from == "unknown") {
    call["from"] = Json{{o.from, true}};
  } else if (o.from.empty()) {
    throw Error(ErrorKind::usage, "--from: the calling number is required, or 'withheld' / 'unknown' when it was not shown");
  } else {
    call["from"] = number(o.from, "--from");
  }
  call["to"] = number(o.to, "--to");
  if (o.duration_seconds) call["duration_seconds"] = *o.duration_seconds;
  if (!o.sms.empty()) {
    if (!util::is_valid_utf8(o.sms)) throw Error(ErrorKind::usage, "--sms: not valid UTF-8");
    call["sms"] = o.sms;
  }

  store::EntryBuilder entry(c, "call", o.examiner, o.lock_timeout);
  if (o.recording) {
    struct stat st {};
    const std::string name = display(o.recording->string());
    util::UniqueFd fd = store::open_evidence_source(*o.recording, false, st, nullptr);
    std::set<std::string> taken;
    store::FileRecord& f =
        entry.add_stream(fd.get(), name, util::unique_name(util::sanitize_file_name(o.recording->filename().string()), taken), "recording");
    f.name = util::utf8_lossy(o.recording->filename().string());
    std::error_code ec;
    f.source_path = util::utf8_lossy(std::filesystem::absolute(*o.recording, ec).lexically_normal().string());
    f.mtime = util::format_utc(st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000);
    if (static_cast<std::uint64_t>(st.st_size) != f.size)
      throw Error(ErrorKind::input, name + ": changed while cbkit was copying it; add it again once nothing writes to it");
    call["recording"] = f.name; // the stored path is known at commit: see the file with role "recording"
  }
  Json fields = Json::object();
  fields["call"] = std::move(call);
  const Json context = store::context_json(o.context);
  if (!context.empty()) fields["context"] = context;
  return entry.commit(fields).appended;
}

manifest::Appended add_checklist_decision(const store::Case& c, int point, const std::string& because, const std::string& examiner,
                                          std::chrono::milliseconds lock_timeout) {
  if (point < 1 || point > 15) throw Error(ErrorKind::usage, "--na " + std::to_string(point) + ": the checklist has points 1 to 15");
  if (util::trim(because).empty() || !util::is_valid_utf8(because))
    throw Error(ErrorKind::usage, "--because: say why the point does not apply (a sentence the report shows)");
  Json d{{"point", point}, {"status", "not-applicable"}, {"because", because}};
  return store::EntryBuilder(c, "checklist", examiner, lock_timeout).commit(Json{{"checklist", std::move(d)}}).appended;
}

} // namespace cbkit::people
