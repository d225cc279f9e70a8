#include "cbkit/report/identification.hpp"

#include "cbkit/email/received.hpp"
#include "cbkit/report/text.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cbkit/version.hpp"
#include "email_origin.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace cbkit::report {

using manifest::Json;
using util::join;
using util::member;

namespace {

// A conversation lists at most this many messages per participant; the rest are in its
// messages.json, named with its hash.
constexpr std::size_t k_max_chat_incidents = 50;
// A chat message's text is quoted up to this many characters.
constexpr std::size_t k_message_chars = 160;

std::string str(const Json& obj, const char* key) { return util::string_field(obj, key); }
const Json& context_of(const ModelEntry& e) { return member(e.line, "context"); }
const Json& files_of(const ModelEntry& e) {
  static const Json empty = Json::array();
  const Json& f = member(e.line, "files");
  return f.is_array() ? f : empty;
}
std::string phone_text(const Json& phone) {
  const std::string e164 = str(phone, "e164");
  return e164.empty() ? str(phone, "as_typed") : e164;
}
// Two numbers are the same when their digits are (a typed number keeps its spaces).
std::string digits(const std::string& number) {
  std::string out;
  for (const char c : number)
    if (c >= '0' && c <= '9') out += c;
  return out;
}
std::string url_key(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return util::to_lower_ascii(url);
}
std::string cut_text(const std::string& text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars++ == max_chars) return text.substr(0, i) + "…";
  }
  return text;
}

class Collector {
public:
  explicit Collector(const CaseModel& m) : m_model(m), m_persons(collect_persons(m)) {
    int n = 0;
    for (const auto& e : m_model.entries)
      for (const Json& f : files_of(e))
        m_exhibit_no.emplace(str(f, "path"), ++n);
    for (const auto& p : m_persons)
      m_roles[p.id] = p.role;
  }

  IdentificationAnnex run() {
    for (const auto& p : m_persons) {
      if (p.role == "victim")
        for (const auto& id : p.identifiers)
          if (id.type == "name") m_annex.requester.push_back(id.value);
      if (p.role != "suspect") continue;
      AnnexSuspect s;
      s.id = p.id;
      for (const char* type : {"name", "handle"}) {
        for (const auto& id : p.identifiers)
          if (id.type == type) s.names.push_back(id.value);
        if (!s.names.empty()) break;
      }
      m_annex.suspects.push_back(std::move(s));
      person_identifiers(p);
    }
    for (const auto& e : m_model.entries) {
      if (e.kind == "email") email(e);
      if (e.kind == "call") call(e);
      if (e.kind == "chat") chat(e);
    }
    accounts();
    static const std::vector<std::string> order = {"account", "chat-participant", "phone", "phone-hidden", "email", "ip"};
    const auto rank = [](const AnnexIdentifier& id) { return std::find(order.begin(), order.end(), id.type) - order.begin(); };
    std::stable_sort(m_annex.identifiers.begin(), m_annex.identifiers.end(),
                     [&](const AnnexIdentifier& a, const AnnexIdentifier& b) { return rank(a) < rank(b); });
    for (auto& id : m_annex.identifiers) {
      std::stable_sort(id.incidents.begin(), id.incidents.end(), [](const AnnexIncident& a, const AnnexIncident& b) {
        const auto pa = util::parse_rfc3339(a.utc), pb = util::parse_rfc3339(b.utc);
        const std::int64_t ea = pa ? pa->epoch_seconds : 0, eb = pb ? pb->epoch_seconds : 0;
        return ea != eb ? ea < eb : a.seq < b.seq;
      });
      if (id.incidents.empty()) id.cannot_know.insert(id.cannot_know.begin(), Message{"idk_no_incident", std::nullopt, "", {}});
    }
    return std::move(m_annex);
  }

private:
  bool is_suspect(std::optional<std::uint64_t> id) const {
    if (!id) return false;
    const auto it = m_roles.find(*id);
    return it != m_roles.end() && it->second == "suspect";
  }
  std::optional<std::uint64_t> suspect_of(const ModelEntry& e, bool about_too) const {
    const auto from = util::unsigned_field(context_of(e), "from_person");
    if (is_suspect(from)) return from;
    const auto about = util::unsigned_field(context_of(e), "about_person");
    if (about_too && is_suspect(about)) return about;
    return std::nullopt;
  }

  AnnexIdentifier& ident(const std::string& type, const std::string& value) {
    const std::string key = type + "\n" + (type == "phone" ? digits(value) : util::to_lower_ascii(value));
    const auto it = m_index.find(key);
    if (it != m_index.end()) return m_annex.identifiers[it->second];
    m_index.emplace(key, m_annex.identifiers.size());
    AnnexIdentifier id;
    id.type = type;
    id.value = value;
    m_annex.identifiers.push_back(std::move(id));
    return m_annex.identifiers.back();
  }
  const AnnexIdentifier* find(const std::string& type, const std::string& value) const {
    const auto it = m_index.find(type + "\n" + (type == "phone" ? digits(value) : util::to_lower_ascii(value)));
    return it == m_index.end() ? nullptr : &m_annex.identifiers[it->second];
  }
  static void add_suspect(AnnexIdentifier& id, std::uint64_t suspect) {
    if (std::find(id.suspects.begin(), id.suspects.end(), suspect) == id.suspects.end()) id.suspects.push_back(suspect);
  }
  static void attribute(AnnexIdentifier& id, Message m) {
    for (const auto& x : id.attributed)
      if (x.key == m.key && x.entry == m.entry && x.args == m.args) return;
    id.attributed.push_back(std::move(m));
  }
  static void limit(std::vector<Message>& list, Message m) {
    for (const auto& x : list)
      if (x.key == m.key && x.args == m.args) return;
    list.push_back(std::move(m));
  }
  const ModelEntry* entry(std::uint64_t seq) const {
    for (const auto& e : m_model.entries)
      if (e.seq == seq) return &e;
    return nullptr;
  }

  // ------------------------------------------------------------ evidence

  AnnexEvidence file_evidence(const ModelEntry& e, const Json& f) const {
    const auto it = m_exhibit_no.find(str(f, "path"));
    return AnnexEvidence{e.seq, e.kind, it == m_exhibit_no.end() ? 0 : it->second, str(f, "path"), str(f, "sha256")};
  }
  // The manifest line itself, for an entry whose content is in the line (a call, a note).
  AnnexEvidence line_evidence(const ModelEntry& e) const {
    std::string sha = e.seq == m_model.seq ? m_model.head : std::string();
    if (const ModelEntry* next = entry(e.seq + 1)) sha = str(next->line, "prev");
    return AnnexEvidence{e.seq, e.kind, 0, "manifest.jsonl", sha};
  }
  const Json* file_with_role(const ModelEntry& e, std::initializer_list<std::string_view> roles) const {
    for (const Json& f : files_of(e))
      if (std::find(roles.begin(), roles.end(), str(f, "role")) != roles.end()) return &f;
    return nullptr;
  }

  // ------------------------------------------------------------ persons

  void person_identifiers(const Person& p) {
    for (const auto& pid : p.identifiers) {
      if (pid.type != "email" && pid.type != "phone" && pid.type != "account") continue;
      AnnexIdentifier& id = ident(pid.type, pid.type == "account" ? account_value(pid.detail) : pid.value);
      add_suspect(id, p.id);
      const ModelEntry* source = entry(pid.source);
      const std::string kind = source != nullptr ? source->kind : "person";
      std::string via = "via_" + pid.via;
      std::replace(via.begin(), via.end(), '-', '_');
      if (pid.via == "person") via = "ida_attr_person";
      attribute(id, Message{via, pid.source, kind, {}});
      if (pid.type == "account") {
        if (id.platform.empty()) id.platform = str(pid.detail, "platform");
        if (id.account_id.empty()) id.account_id = str(pid.detail, "id");
        if (id.url.empty()) id.url = str(pid.detail, "url");
        if (id.handle.empty()) id.handle = str(pid.detail, "handle");
      }
    }
  }
  static std::string account_value(const Json& a) {
    std::string v = str(a, "id");
    if (v.empty()) v = str(a, "handle");
    if (v.empty()) v = str(a, "url");
    return str(a, "platform").empty() ? v : str(a, "platform") + ":" + v;
  }

  // ------------------------------------------------------------ e-mails

  std::vector<std::string> addresses(const ModelEntry& e, const char* key) const {
    std::vector<std::string> out;
    if (e.derived) {
      for (const Json& a : member(member(*e.derived, "summary"), key))
        if (!str(a, "address").empty()) out.push_back(str(a, "address"));
      return out;
    }
    for (const Json& a : member(member(e.line, "email"), key))
      if (!util::scalar_text(a).empty()) out.push_back(util::scalar_text(a));
    return out;
  }

  void email(const ModelEntry& e) {
    // The suspect's e-mail: attributed to them, or sent from (or answering to) one of their
    // addresses.
    std::optional<std::uint64_t> suspect = suspect_of(e, false);
    std::vector<std::string> from = addresses(e, "from");
    for (const auto& a : addresses(e, "reply_to"))
      from.push_back(a);
    for (const auto& a : from) {
      const AnnexIdentifier* known = find("email", a);
      if (!suspect && known != nullptr && !known->suspects.empty()) suspect = known->suspects.front();
    }
    if (!suspect) return;
    const Json& em = member(e.line, "email");
    const std::string subject = str(em, "subject");
    const std::string date_utc = str(em, "date_utc");
    std::vector<AnnexEvidence> evidence;
    if (const Json* f = file_with_role(e, {"original"})) evidence.push_back(file_evidence(e, *f));
    for (const Json& f : files_of(e))
      if (str(f, "path") == e.derived_path) evidence.push_back(file_evidence(e, f));
    if (evidence.empty() && !files_of(e).empty()) evidence.push_back(file_evidence(e, files_of(e)[0]));

    // Where it came from: the client IP with its rule, or what cannot be known.
    static const Json none;
    const Json& s = e.derived ? member(*e.derived, "summary") : none;
    const Json& origin = member(s, "origin");
    const Json& provider = member(origin, "provider");
    std::string provider_name = str(provider, "name");
    const std::string rule = str(origin, "rule");
    const std::string ip = email_client_ip(e);
    std::vector<Message> origin_limits;
    const std::string message_id = str(em, "message_id").empty() ? "-" : str(em, "message_id");
    if (ip.empty()) {
      const Json& ids = member(origin, "identifiers");
      std::string queue_id = str(ids, "queue_id"), handoff = str(ids, "handoff_utc");
      if (!origin.is_object()) {
        const Json& o = member(s, "originating_ip");
        const LegacyRelay relay = legacy_relay(e, o.is_object() ? str(o, "ip") : str(em, "originating_ip"));
        if (relay.provider != nullptr) {
          provider_name = std::string(relay.provider->name);
          queue_id = relay.queue_id;
          handoff = relay.handoff;
        }
      }
      if (!e.derived) {
        origin_limits.push_back(Message{"idk_no_headers", e.seq, e.kind, {e.derived_problem.empty() ? "-" : e.derived_problem}});
      } else if (rule == email::k_rule_unconfirmed_relay) {
        origin_limits.push_back(Message{"idk_unconfirmed", std::nullopt, "", {str(provider, "relay_ip"), provider_name, message_id}});
      } else if (!provider_name.empty()) {
        origin_limits.push_back(
            Message{"idk_provider",
                    std::nullopt,
                    "",
                    {provider_name, message_id, queue_id.empty() ? "-" : queue_id, handoff.empty() ? "-" : time_words(handoff)}});
      } else {
        origin_limits.push_back(Message{"idk_no_origin", e.seq, e.kind, {}});
      }
    }
    for (const auto& a : addresses(e, "from")) {
      AnnexIdentifier& id = ident("email", a);
      add_suspect(id, *suspect);
      attribute(id, Message{"via_email_from", e.seq, e.kind, {}});
      AnnexIncident inc;
      inc.seq = e.seq;
      inc.kind = e.kind;
      inc.utc = date_utc;
      inc.time_key = date_utc.empty() ? "idt_none" : "idt_email_date";
      inc.what = Message{ip.empty() ? "idw_email" : "idw_email_ip", e.seq, e.kind, {subject, ip}};
      inc.evidence = evidence;
      inc.cannot_know = origin_limits;
      id.incidents.push_back(std::move(inc));
    }
    if (ip.empty()) return;

    AnnexIdentifier& id = ident("ip", ip);
    add_suspect(id, *suspect);
    const Json& client = member(origin, "client_ip");
    std::string rule_text_key = "ida_rule_legacy";
    std::vector<std::string> rule_args;
    if (rule == email::k_rule_first_public_hop) {
      rule_text_key = "ida_rule_first_hop";
    } else if (rule == email::k_rule_client_ip_header || rule == email::k_rule_client_ip_header_private) {
      rule_text_key = rule == email::k_rule_client_ip_header ? "ida_rule_header" : "ida_rule_header_private";
      rule_args = {str(client, "source")};
    } else if (rule == email::k_rule_provider_submission) {
      rule_text_key = "ida_rule_submission";
      rule_args = {provider_name};
    }
    attribute(id, Message{"ida_attr_origin", e.seq, e.kind, {rule.empty() ? "legacy" : rule}});
    // The exact time: the Received line that recorded the address, else the oldest one (the
    // first server that received it), else the Date header.
    AnnexIncident inc;
    inc.seq = e.seq;
    inc.kind = e.kind;
    const Json& hops = e.derived ? member(*e.derived, "received") : none;
    const auto hop = util::unsigned_field(client, "received_index");
    std::string hop_utc;
    if (hop && *hop < hops.size()) hop_utc = str(member(hops[*hop], "date"), "utc");
    if (hop_utc.empty() && hops.is_array() && !hops.empty()) hop_utc = str(member(hops[0], "date"), "utc");
    inc.utc = hop_utc.empty() ? date_utc : hop_utc;
    inc.time_key = !hop_utc.empty() ? "idt_hop" : date_utc.empty() ? "idt_none" : "idt_email_date";
    inc.what = Message{"idw_ip", e.seq, e.kind, {subject}};
    inc.evidence = evidence;
    inc.cannot_know.push_back(Message{rule_text_key, std::nullopt, "", rule_args});
    if (rule == email::k_rule_client_ip_header || rule == email::k_rule_client_ip_header_private)
      inc.cannot_know.push_back(Message{"ida_limit_header", std::nullopt, "", {}});
    if (rule == email::k_rule_client_ip_header_private) inc.cannot_know.push_back(Message{"idk_private", std::nullopt, "", {ip}});
    if (rule == email::k_rule_first_public_hop && hops.size() > 1)
      inc.cannot_know.push_back(Message{"ida_limit_hop", std::nullopt, "", {}});
    limit(id.cannot_know, Message{"idk_port", std::nullopt, "", {ip}});
    id.incidents.push_back(std::move(inc));
  }

  std::string time_words(const std::string& rfc3339) const {
    const auto p = util::parse_rfc3339(rfc3339);
    if (!p) return rfc3339;
    return p->utc.substr(0, 10) + " " + p->utc.substr(11, 8) + " UTC";
  }

  // ------------------------------------------------------------ calls

  void call(const ModelEntry& e) {
    const Json& c = member(e.line, "call");
    const std::string from = phone_text(member(member(c, "from"), "number"));
    const std::string to = phone_text(member(member(c, "to"), "number"));
    const bool outgoing = str(c, "direction") == "outgoing";
    const Json& fromj = member(c, "from");
    const bool hidden = member(fromj, "withheld") == Json(true) || member(fromj, "unknown") == Json(true);
    std::string duration = "-";
    if (const auto d = util::unsigned_field(c, "duration_seconds")) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(*d / 3600),
                    static_cast<unsigned long long>(*d / 60 % 60), static_cast<unsigned long long>(*d % 60));
      duration = buf;
    }
    AnnexIncident inc;
    inc.seq = e.seq;
    inc.kind = e.kind;
    inc.utc = str(member(c, "at"), "utc");
    inc.time_key = inc.utc.empty() ? "idt_none" : "idt_call";
    if (const Json* rec = file_with_role(e, {"recording"})) inc.evidence.push_back(file_evidence(e, *rec));
    inc.evidence.push_back(line_evidence(e));
    const std::string sms = str(c, "sms");

    // The suspect's number: the calling one of an incoming call, the called one of an outgoing call.
    const std::string theirs = outgoing ? to : from;
    const std::string ours = outgoing ? from : to;
    AnnexIdentifier* id = nullptr;
    if (!theirs.empty()) {
      id = const_cast<AnnexIdentifier*>(find("phone", theirs));
      if (id != nullptr && id->suspects.empty()) id = nullptr;
      const auto suspect = suspect_of(e, true);
      if (id == nullptr && suspect) {
        id = &ident("phone", theirs);
        add_suspect(*id, *suspect);
        attribute(*id, Message{outgoing ? "ida_attr_call_to" : "via_call_from", e.seq, e.kind, {}});
      }
      if (id == nullptr) return;
      inc.what = Message{sms.empty() ? (outgoing ? "idw_call_out" : "idw_call_in") : (outgoing ? "idw_sms_out" : "idw_sms_in"),
                         e.seq,
                         e.kind,
                         {ours.empty() ? "-" : ours, duration, cut_text(sms, k_message_chars)}};
    } else if (hidden && !outgoing) {
      const auto suspect = suspect_of(e, true);
      if (!suspect) return;
      id = &ident("phone-hidden", member(fromj, "withheld") == Json(true) ? "withheld" : "unknown");
      add_suspect(*id, *suspect);
      attribute(*id, Message{"ida_attr_hidden", e.seq, e.kind, {}});
      inc.what = Message{sms.empty() ? "idw_call_hidden" : "idw_sms_hidden", e.seq, e.kind, {to, duration, cut_text(sms, k_message_chars)}};
      limit(id->cannot_know, Message{"idk_hidden", std::nullopt, "", {}});
      inc.cannot_know.push_back(Message{"idk_hidden_call", std::nullopt, "", {to.empty() ? "-" : to}});
    } else {
      return;
    }
    if (inc.utc.empty()) inc.cannot_know.push_back(Message{"idk_no_time", e.seq, e.kind, {}});
    id->incidents.push_back(std::move(inc));
  }

  // ------------------------------------------------------------ conversations

  // A conversation is the suspect's when it is about them (add-chat --about-person; its
  // --from-person is whose device the export comes from).
  void chat(const ModelEntry& e) {
    const auto about = util::unsigned_field(context_of(e), "about_person");
    if (!is_suspect(about)) return;
    const auto suspect = about;
    const Json& c = member(e.line, "chat");
    const std::string self = str(c, "self");
    const std::string platform = str(c, "platform");
    std::vector<AnnexEvidence> evidence;
    if (const Json* f = file_with_role(e, {"original"})) evidence.push_back(file_evidence(e, *f));
    for (const Json& f : files_of(e))
      if (str(f, "path") == e.derived_path) evidence.push_back(file_evidence(e, f));
    if (!e.derived) return;
    std::map<std::string, std::size_t> shown;
    std::map<std::string, std::size_t> more;
    for (const Json& m : member(*e.derived, "messages")) {
      const std::string sender = str(m, "sender");
      if (sender.empty() || (!self.empty() && sender == self)) continue;
      AnnexIdentifier& id = ident("chat-participant", platform + ":" + sender);
      id.platform = platform;
      id.handle = sender;
      if (id.account_id.empty()) id.account_id = str(m, "sender_id");
      add_suspect(id, *suspect);
      attribute(id, Message{"ida_attr_chat", e.seq, e.kind, {}});
      if (self.empty()) limit(id.cannot_know, Message{"idk_chat_self", e.seq, e.kind, {}});
      if (shown[sender] == k_max_chat_incidents) {
        ++more[sender];
        continue;
      }
      ++shown[sender];
      AnnexIncident inc;
      inc.seq = e.seq;
      inc.kind = e.kind;
      inc.utc = str(m, "utc");
      inc.time_key = inc.utc.empty() ? "idt_none" : "idt_message";
      std::string text = str(m, "text");
      for (const Json& a : member(m, "attachments")) {
        const std::string name = str(a, "name").empty() ? str(a, "note") : str(a, "name");
        if (text.find(name) == std::string::npos) text += (text.empty() ? "" : " ") + ("[" + name + "]");
      }
      inc.what = Message{"idw_chat", e.seq, e.kind, {util::scalar_text(member(m, "index")), cut_text(text, k_message_chars)}};
      inc.evidence = evidence;
      if (inc.utc.empty()) inc.cannot_know.push_back(Message{"idk_chat_time", std::nullopt, "", {str(m, "time_as_written")}});
      id.incidents.push_back(std::move(inc));
    }
    for (const auto& [sender, n] : more) {
      AnnexIdentifier& id = ident("chat-participant", platform + ":" + sender);
      id.cannot_know.push_back(Message{"idk_more", std::nullopt, "", {std::to_string(n), e.derived_path}});
    }
    for (const auto& [sender, n] : shown) {
      AnnexIdentifier& id = ident("chat-participant", platform + ":" + sender);
      if (id.account_id.empty()) limit(id.cannot_know, Message{"idk_chat_id", std::nullopt, "", {sender, platform}});
    }
  }

  // ------------------------------------------------------------ accounts

  // Each entry that shows one of the suspect's accounts: its context names the account ID or
  // the account's URL, or a capture's identity findings (capture.json) name the ID as the
  // page's subject.
  void accounts() {
    for (auto& id : m_annex.identifiers) {
      if (id.type != "account") continue;
      if (id.account_id.empty()) limit(id.cannot_know, Message{"idk_no_account_id", std::nullopt, "", {}});
      limit(id.cannot_know, Message{"idk_account_ask", std::nullopt, "", {id.platform.empty() ? "-" : id.platform}});
      for (const auto& e : m_model.entries) {
        if (e.kind != "file" && e.kind != "web" && e.kind != "note") continue;
        const Json& c = context_of(e);
        bool shows = !id.account_id.empty() && str(c, "account_id") == id.account_id;
        const std::string url = e.kind == "web" ? str(member(e.line, "web"), "url") : std::string();
        if (!id.url.empty() && (url_key(str(c, "source_url")) == url_key(id.url) || (!url.empty() && url_key(url) == url_key(id.url))))
          shows = true;
        std::string finding_rule;
        if (e.derived && e.kind == "web" && !id.account_id.empty())
          for (const Json& f : member(member(*e.derived, "identity"), "findings"))
            if (str(f, "role") == "subject" && str(f, "value") == id.account_id) finding_rule = str(f, "rule");
        if (!shows && finding_rule.empty()) continue;
        AnnexIncident inc;
        inc.seq = e.seq;
        inc.kind = e.kind;
        inc.utc = str(c, "observed_at_utc");
        inc.time_key = "idt_observed";
        if (inc.utc.empty() && e.kind == "web") {
          inc.utc = util::scalar_text(member(member(e.line, "web"), "started"));
          if (inc.utc.empty() && e.derived) inc.utc = str(*e.derived, "started");
          inc.time_key = "idt_capture";
        }
        if (inc.utc.empty()) {
          inc.utc = e.time;
          inc.time_key = "idt_recorded";
        }
        std::string shown = url.empty() ? str(c, "source_url") : url;
        if (shown.empty()) shown = str(c, "note");
        inc.what = Message{finding_rule.empty() ? "idw_account" : "idw_account_finding", e.seq, e.kind, {shown, finding_rule}};
        if (const Json* s = screenshot_of(e)) inc.evidence.push_back(file_evidence(e, *s));
        for (const Json& f : files_of(e)) {
          const std::string p = str(f, "path");
          if (e.kind == "file" || p.ends_with(".warc.gz") || p == e.derived_path)
            if (inc.evidence.empty() || inc.evidence.front().path != p) inc.evidence.push_back(file_evidence(e, f));
        }
        if (inc.evidence.empty()) inc.evidence.push_back(line_evidence(e));
        if (inc.time_key == "idt_recorded") inc.cannot_know.push_back(Message{"idk_recorded_time", e.seq, e.kind, {}});
        id.incidents.push_back(std::move(inc));
      }
    }
  }

  const CaseModel& m_model;
  std::vector<Person> m_persons;
  std::map<std::uint64_t, std::string> m_roles;
  std::map<std::string, int> m_exhibit_no;
  std::map<std::string, std::size_t> m_index;
  IdentificationAnnex m_annex;
};

// ------------------------------------------------------------ the document

class AnnexDocument {
public:
  AnnexDocument(const CaseModel& m, Lang lang) : m_model(m), m_lang(lang), m_annex(identification_annex(m)) {}

  Document build() {
    m_doc.lang = m_lang;
    m_doc.title = trf(m_lang, "ida_title", {m_model.case_id});
    paragraph(trf(m_lang, "ida_intro", {m_model.case_id, std::to_string(m_model.seq), m_model.head}));
    paragraph(trf(m_lang, "intro_how", {k_version, m_model.timezone}));
    heading("requester", "ida_sec_requester");
    fields({{tr(m_lang, "ida_f_requester"), join(m_annex.requester, ", ")},
            {tr(m_lang, "f_examiner"), m_model.examiner},
            {tr(m_lang, "f_organisation"), m_model.organisation},
            {tr(m_lang, "f_case_id"), m_model.case_id},
            {tr(m_lang, "f_timezone"), m_model.timezone}});
    if (m_annex.requester.empty()) paragraph(tr(m_lang, "ida_no_requester"));
    heading("suspects", "ida_sec_suspects");
    if (m_annex.suspects.empty()) {
      paragraph(tr(m_lang, "ida_no_suspect"));
    } else {
      std::vector<std::string> items;
      for (const auto& s : m_annex.suspects)
        items.push_back(trf(m_lang, "ida_suspect", {std::to_string(s.id), s.names.empty() ? "-" : join(s.names, ", ")}));
      bullets(std::move(items));
    }
    heading("identifiers", "ida_sec_identifiers");
    paragraph(tr(m_lang, "ida_identifiers_intro"));
    if (m_annex.identifiers.empty()) paragraph(tr(m_lang, "ida_no_identifiers"));
    int n = 0;
    for (const auto& id : m_annex.identifiers)
      identifier(id, ++n);
    heading("integrity", "sec_integrity");
    fields({{tr(m_lang, "f_head"), m_model.head}, {tr(m_lang, "f_seq"), std::to_string(m_model.seq)}});
    paragraph(tr(m_lang, "howto_cbkit"));
    code("cbkit verify --case CASE --expect-head " + m_model.head);
    return std::move(m_doc);
  }

private:
  void identifier(const AnnexIdentifier& id, int n) {
    Block h;
    h.type = Block::Type::subheading;
    h.id = "identifier-" + std::to_string(n);
    h.text = trf(m_lang, "ida_id_heading", {std::to_string(n), type_name(id.type), value_text(id)});
    m_doc.blocks.push_back(std::move(h));
    std::vector<std::string> suspects;
    for (const auto s : id.suspects)
      suspects.push_back("#" + std::to_string(s));
    std::vector<std::string> attributed;
    for (const auto& m : id.attributed)
      attributed.push_back(message_text(m, m_lang));
    fields({{tr(m_lang, "ida_f_type"), type_name(id.type)},
            {tr(m_lang, "ida_f_value"), id.type == "account" || id.type == "chat-participant" ? std::string() : value_text(id)},
            {tr(m_lang, "f_platform"), id.platform},
            {tr(m_lang, "ida_f_unique_id"), id.account_id},
            {tr(m_lang, "ida_f_handle"), id.handle},
            {tr(m_lang, "ida_f_url"), id.url},
            {tr(m_lang, "ida_f_suspect"), join(suspects, ", ")},
            {tr(m_lang, "ida_f_attributed"), join(attributed, "\n")}});
    if (!id.incidents.empty()) {
      std::vector<std::vector<std::string>> rows;
      int i = 0;
      for (const auto& inc : id.incidents) {
        std::string local = "-", utc = "-";
        if (const auto p = util::parse_rfc3339(inc.utc)) {
          // The zone is the column's heading: the cell holds the time with its offset.
          local = util::format_in_zone(p->epoch_seconds, m_model.timezone);
          local = local.substr(0, local.find(" ("));
          utc = p->utc.substr(0, 10) + " " + p->utc.substr(11, 8) + " UTC";
        }
        std::vector<std::string> ev;
        for (const auto& x : inc.evidence)
          ev.push_back(x.exhibit == 0 ? trf(m_lang, "ida_ev_line", {std::to_string(x.seq), x.sha256})
                                      : trf(m_lang, "ida_ev_file", {std::to_string(x.exhibit), x.path, x.sha256}));
        std::string what = message_text(inc.what, m_lang);
        for (const auto& m : inc.cannot_know)
          what += "\n" + message_text(m, m_lang);
        // The local time with its offset, the same instant in UTC, and what the time is.
        rows.push_back({std::to_string(++i), local + "\n" + utc + "\n" + tr(m_lang, inc.time_key), what, join(ev, "\n")});
      }
      table({"", trf(m_lang, "ida_c_time", {m_model.timezone}), tr(m_lang, "c_what"), tr(m_lang, "ida_c_evidence")}, std::move(rows));
    }
    if (!id.cannot_know.empty()) {
      paragraph(tr(m_lang, "ida_cannot_know"));
      std::vector<std::string> items;
      for (const auto& m : id.cannot_know)
        items.push_back(message_text(m, m_lang));
      bullets(std::move(items));
    }
  }

  std::string type_name(const std::string& type) const {
    std::string key = "ida_type_" + type;
    std::replace(key.begin(), key.end(), '-', '_');
    return has_translation(key) ? tr(m_lang, key) : type;
  }
  std::string value_text(const AnnexIdentifier& id) const {
    if (id.type == "phone-hidden") return tr(m_lang, id.value == "withheld" ? "ida_withheld" : "ida_unknown");
    if (id.type == "account" || id.type == "chat-participant") {
      std::string v = id.platform.empty() ? "" : id.platform + " ";
      v += !id.account_id.empty() ? id.account_id : !id.handle.empty() ? id.handle : id.url;
      return v;
    }
    return id.value;
  }

  void heading(const std::string& id, std::string_view key) { m_doc.add_heading(id, tr(m_lang, key)); }
  void paragraph(std::string text) { m_doc.add_paragraph(std::move(text)); }
  void fields(std::vector<std::pair<std::string, std::string>> items) { m_doc.add_fields(std::move(items)); }
  void table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
    m_doc.add_table(std::move(header), std::move(rows));
  }
  void bullets(std::vector<std::string> items) { m_doc.add_bullets(std::move(items)); }
  void code(std::string text) { m_doc.add_code(std::move(text)); }

  const CaseModel& m_model;
  Lang m_lang;
  IdentificationAnnex m_annex;
  Document m_doc;
};

Json message_json(const Message& m, Lang lang) {
  return Json{{"key", m.key}, {"entry", m.entry ? Json(*m.entry) : Json(nullptr)}, {"args", m.args}, {"text", message_text(m, lang)}};
}
Json messages_json(const std::vector<Message>& list, Lang lang) {
  Json out = Json::array();
  for (const auto& m : list)
    out.push_back(message_json(m, lang));
  return out;
}

} // namespace

IdentificationAnnex identification_annex(const CaseModel& model) { return Collector(model).run(); }

Document build_identification_document(const CaseModel& model, Lang lang) { return AnnexDocument(model, lang).build(); }

Json identification_json(const CaseModel& model, Lang lang) {
  const IdentificationAnnex annex = identification_annex(model);
  Json j = Json::object();
  j["report"] = Json{{"format", "cbkit-identification-json"},
                     {"version", 1},
                     {"generator", std::string("cbkit ") + k_version},
                     {"lang", lang_code(lang)},
                     {"template", "identification"}};
  j["describes"] = Json{{"seq", model.seq}, {"head", model.head}};
  j["case"] = Json{{"id", model.case_id}, {"examiner", model.examiner}, {"organisation", model.organisation}, {"timezone", model.timezone}};
  j["requester"] = Json{{"names", annex.requester}};
  Json suspects = Json::array();
  for (const auto& s : annex.suspects)
    suspects.push_back(Json{{"id", s.id}, {"names", s.names}});
  j["suspects"] = std::move(suspects);
  Json ids = Json::array();
  for (const auto& id : annex.identifiers) {
    Json incidents = Json::array();
    for (const auto& inc : id.incidents) {
      Json ev = Json::array();
      for (const auto& x : inc.evidence)
        ev.push_back(Json{{"entry", x.seq},
                          {"kind", x.kind},
                          {"exhibit", x.exhibit == 0 ? Json(nullptr) : Json(x.exhibit)},
                          {"path", x.path},
                          {"sha256", x.sha256}});
      std::string local;
      if (const auto p = util::parse_rfc3339(inc.utc)) local = util::format_in_zone(p->epoch_seconds, model.timezone);
      std::string basis = inc.time_key;
      if (basis.starts_with("idt_")) basis = basis.substr(4);
      incidents.push_back(Json{{"entry", inc.seq},
                               {"kind", inc.kind},
                               {"utc", inc.utc.empty() ? Json(nullptr) : Json(inc.utc)},
                               {"local", local.empty() ? Json(nullptr) : Json(local)},
                               {"time_from", basis},
                               {"what", message_json(inc.what, lang)},
                               {"evidence", std::move(ev)},
                               {"cannot_know", messages_json(inc.cannot_know, lang)}});
    }
    Json o = Json{{"type", id.type}, {"value", id.value}, {"suspects", id.suspects}};
    if (id.type == "account" || id.type == "chat-participant")
      o["account"] = Json{{"platform", id.platform}, {"id", id.account_id}, {"handle", id.handle}, {"url", id.url}};
    o["attributed"] = messages_json(id.attributed, lang);
    o["incidents"] = std::move(incidents);
    o["cannot_know"] = messages_json(id.cannot_know, lang);
    ids.push_back(std::move(o));
  }
  j["identifiers"] = std::move(ids);
  return j;
}

} // namespace cbkit::report
