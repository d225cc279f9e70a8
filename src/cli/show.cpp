#include "cbkit/email/providers.hpp"
#include "cbkit/error.hpp"
#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/report/text.hpp"
#include "cbkit/store/recorded.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cli/common.hpp"

#include "cbkit/util/json.hpp"
#include "cbkit/util/sha256.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace cbkit::cli {

namespace {

struct ShowArgs {
  std::string seq_text;
  std::uint64_t seq = 0;
  std::uint64_t limit = 200; // chat: messages shown (0: all)
};

using util::member;

// Everything show prints comes from the manifest line and from derived files such as
// headers.json: untrusted text. Each value is made printable on one line (or, for multi-line
// text, with its continuation lines indented under its key) through util::terminal_text, and
// the whole view goes through it once more before it reaches the terminal.

// A scalar as text: a string as is, numbers and booleans as JSON writes them, "-" for null.
std::string scalar_text(const manifest::Json& v) {
  if (v.is_null()) return "-";
  return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, manifest::Json::error_handler_t::replace);
}

// `text` printable, its line breaks continued at `indent` so no line it holds can pass for a
// line of the view.
std::string indented(const std::string& text, std::size_t indent) {
  const std::string clean = util::terminal_text(text, true);
  std::string out;
  for (const char ch : clean) {
    out += ch;
    if (ch == '\n') out.append(indent, ' ');
  }
  return out;
}

// Prints any JSON value as indented "key: value" lines, for kinds this view has no
// special layout for (and for nested objects).
void print_tree(std::ostream& os, const std::string& key, const manifest::Json& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  const std::string k = util::terminal_text(key, false);
  if (v.is_object()) {
    os << pad << k << ":\n";
    for (const auto& [child_key, child] : v.items())
      print_tree(os, child_key, child, indent + 2);
  } else if (v.is_array() && !v.empty() && (v.front().is_object() || v.front().is_array())) {
    os << pad << k << ":\n";
    std::size_t i = 0;
    for (const auto& child : v)
      print_tree(os, "[" + std::to_string(i++) + "]", child, indent + 2);
  } else if (v.is_array()) {
    std::string joined;
    for (const auto& child : v)
      joined += (joined.empty() ? "" : ", ") + scalar_text(child);
    os << pad << k << ": " << indented(joined, pad.size() + 4) << "\n";
  } else {
    os << pad << k << ": " << indented(scalar_text(v), pad.size() + 4) << "\n";
  }
}

void print_email(std::ostream& os, const manifest::Json& a);

// `analysis` is the parsed headers.json of an e-mail entry (null otherwise): it is shown
// right after the entry's identity, before the raw fields and the files.
void print_human(std::ostream& os, const manifest::Json& line, const std::string& hash, const store::Case& c,
                 const manifest::Json& analysis) {
  const auto str = [](const manifest::Json& obj, const char* key) { return util::terminal_text(util::string_field(obj, key, "-"), false); };
  os << "entry " << util::terminal_text(scalar_text(member(line, "seq")), false) << " (" << str(line, "kind") << ")\n";
  os << "  what:  " << util::terminal_text(kinds::summarize(line, 4096), false) << "\n";
  os << "  hash:  " << hash << "\n";
  os << "  prev:  " << str(line, "prev") << "\n";
  const std::string time = util::string_field(line, "time");
  os << "  time:  " << util::terminal_text(time, false);
  std::string tz;
  try {
    tz = c.info().timezone;
  } catch (const Error&) {
  }
  if (const auto t = util::parse_rfc3339(time); t && !tz.empty()) os << "  = " << util::format_in_zone(t->epoch_seconds, tz);
  os << "\n";
  if (const auto& a = member(line, "actor"); !a.is_null()) {
    os << "  actor: " << str(a, "examiner") << " (user " << str(a, "user") << " on " << str(a, "host") << ")\n";
  }
  if (const auto& tool = member(line, "tool"); !tool.is_null())
    os << "  tool:  " << str(tool, "name") << " " << str(tool, "version") << "\n";

  if (analysis.is_object()) print_email(os, analysis);
  for (const auto& [key, value] : line.items()) {
    if (key == "seq" || key == "prev" || key == "time" || key == "kind" || key == "actor" || key == "tool" || key == "files") continue;
    if (key == "email" && analysis.is_object()) continue; // shown in full above
    print_tree(os, key, value, 2);
  }
  if (const auto& files = member(line, "files"); files.is_array() && !files.empty()) {
    os << "  files (" << files.size() << "):\n";
    for (const auto& f : files) {
      os << "    " << str(f, "path") << "\n";
      if (!f.is_object()) continue;
      for (const auto& [key, value] : f.items()) {
        if (key != "path")
          os << "      " << util::terminal_text(key, false) << ": " << util::terminal_text(scalar_text(value), false) << "\n";
      }
    }
  }
}

// Loads an email entry's headers.json, checking it against the hash the line records.
// Returns null (and says why on stderr) when it is missing, changed or unreadable.
manifest::Json load_analysis(const manifest::Json& line, const store::Case& c) {
  const auto& files = member(line, "files");
  if (!files.is_array()) return manifest::Json();
  for (const auto& f : files) {
    if (util::string_field(f, "role") != "headers") continue;
    const store::RecordedBytes read = store::read_recorded(c.root(), f, "email", 64u << 20);
    if (!read.bytes) {
      std::cerr << "cbkit: warning: " << util::terminal_text(util::string_field(f, "path"), false) << ": "
                << util::terminal_text(read.problem, false) << "; run 'cbkit verify'\n";
      return manifest::Json();
    }
    if (auto j = util::parse_untrusted_json(*read.bytes); j && j->is_object()) return std::move(*j);
    break;
  }
  std::cerr << "cbkit: warning: the header analysis (headers.json) of this entry cannot be read\n";
  return manifest::Json();
}

// A web capture's identity findings (capture.json's "identity"), checked against the hash the
// line records; null when the capture has none or capture.json cannot be read.
manifest::Json load_identity(const manifest::Json& line, const store::Case& c) {
  for (const auto& f : member(line, "files")) {
    if (util::string_field(f, "role") != "capture") continue;
    const store::RecordedBytes read = store::read_recorded(c.root(), f, "web", 64u << 20);
    if (!read.bytes) return manifest::Json();
    if (auto j = util::parse_untrusted_json(*read.bytes); j && j->is_object() && j->contains("identity")) return (*j)["identity"];
  }
  return manifest::Json();
}

// The findings numbered as person --from-capture SEQ:N takes them.
void print_identity(std::ostream& os, const manifest::Json& identity) {
  const auto& findings = member(identity, "findings");
  if (!findings.is_array() || findings.empty()) return;
  os << "  identity (" << util::one_line(util::string_field(identity, "rules_version"), 60) << "):\n";
  std::size_t n = 0;
  for (const auto& f : findings) {
    os << "    " << ++n << ". " << util::string_field(f, "role") << " " << util::string_field(f, "platform") << " "
       << util::string_field(f, "field") << " " << util::one_line(util::string_field(f, "value"), 200) << " (rule "
       << util::string_field(f, "rule") << ", " << util::string_field(f, "confidence") << ", WARC record "
       << util::string_field(f, "warc_record_id") << " offset " << util::scalar_text(member(f, "offset")) << " in the "
       << util::string_field(f, "where") << ")\n";
  }
  for (const auto& note : member(identity, "notes"))
    if (note.is_string()) os << "    note: " << util::one_line(note.get<std::string>(), 400) << "\n";
}

// A field of headers.json that should hold text: "-" when it is missing or null,
// "(not a string)" when it holds something else.
std::string text_of(const manifest::Json& v) {
  if (v.is_null()) return "-";
  return v.is_string() ? util::terminal_text(v.get<std::string>(), false) : "(not a string)";
}

std::string addresses_text(const manifest::Json& list) {
  std::string out;
  if (!list.is_array()) return list.is_null() ? "-" : "(not a list)";
  for (const auto& a : list) {
    if (!out.empty()) out += ", ";
    if (util::has_string(a, "name")) out += text_of(member(a, "name")) + " ";
    out += "<" + text_of(member(a, "address")) + ">";
  }
  return out.empty() ? "-" : out;
}

// The elements of `v` when it is an array; nothing otherwise (a mistyped list is shown as
// empty rather than iterated as an object or a scalar).
const manifest::Json& list_of(const manifest::Json& v) {
  static const manifest::Json empty = manifest::Json::array();
  return v.is_array() ? v : empty;
}

// One row, formatted like printf (the values are already made printable).
template <typename... Args> std::string row(const char* format, Args... args) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

// The header-analyzer view of an e-mail: anomalies first, then who/when, the hops with
// their delays, authentication verdicts and DKIM. Every field is read as untrusted.
void print_email(std::ostream& os, const manifest::Json& a) {
  const auto& an = list_of(member(a, "anomalies"));
  os << "  ANOMALIES (" << an.size() << ")\n";
  for (const auto& x : an)
    os << "    " << text_of(member(x, "code")) << ": " << text_of(member(x, "message")) << "\n";
  const auto& s = member(a, "summary");
  const auto& date = member(s, "date");
  os << "  MESSAGE\n";
  os << "    Date:         "
     << (date.is_object() ? text_of(member(date, "as_written")) + "  = " + text_of(member(date, "utc")) + " UTC" : "-") << "\n";
  os << "    From:         " << util::one_line(addresses_text(member(s, "from")), 100) << "\n";
  os << "    Sender:       " << util::one_line(addresses_text(member(s, "sender")), 100) << "\n";
  os << "    Reply-To:     " << util::one_line(addresses_text(member(s, "reply_to")), 100) << "\n";
  os << "    Return-Path:  " << util::one_line(addresses_text(member(s, "return_path")), 100) << "\n";
  os << "    To:           " << util::one_line(addresses_text(member(s, "to")), 100) << "\n";
  os << "    Cc:           " << util::one_line(addresses_text(member(s, "cc")), 100) << "\n";
  os << "    Subject:      " << util::one_line(text_of(member(s, "subject")), 100) << "\n";
  os << "    Message-ID:   " << util::one_line(text_of(member(s, "message_id")), 100) << "\n";
  // The origin: the client IP with its reason, or the provider that does not disclose it.
  const auto& origin = member(s, "origin");
  const auto& provider = member(origin, "provider");
  const auto& originating_ip = member(s, "originating_ip");
  std::string origin_text = "-";
  const email::RelayProvider* legacy_relay = nullptr; // headers.json from before summary.origin: the address a relay's?
  if (!origin.is_object() && originating_ip.is_object()) {
    for (const auto& h : list_of(member(a, "received"))) {
      if (member(h, "from_ip") != member(originating_ip, "ip")) continue;
      legacy_relay = email::provider_of_host(util::string_field(h, "from_tcp_host"));
      if (legacy_relay == nullptr) legacy_relay = email::provider_of_host(util::string_field(h, "from"));
      break;
    }
  }
  if (legacy_relay != nullptr) {
    origin_text = "not disclosed: " + text_of(member(originating_ip, "ip")) + " is a relay of " + std::string(legacy_relay->name) +
                  ", not the sender's address; ask the provider";
  } else if (originating_ip.is_object()) {
    origin_text = text_of(member(originating_ip, "ip")) + " (" + text_of(member(originating_ip, "reason")) + ")";
  } else if (provider.is_object()) {
    origin_text = "not disclosed: sent through " + text_of(member(provider, "name")) + " (relay " +
                  text_of(member(provider, "relay_name")) + "); ask the provider";
  }
  os << "    Origin IP:    " << util::one_line(origin_text, 160) << "\n";
  if (origin.is_object()) os << "    Origin rule:  " << util::one_line(text_of(member(origin, "rule")), 100) << "\n";
  if (provider.is_object()) {
    const auto& ids = member(origin, "identifiers");
    os << "    Provider ids: queue id " << util::one_line(text_of(member(ids, "queue_id")), 100) << ", handed on "
       << util::one_line(text_of(member(ids, "handoff_utc")), 40) << "\n";
  }
  os << "  RECEIVED CHAIN (oldest hop first)\n";
  os << row("    %-3s %-20s %10s  %-34s %-28s %s\n", "#", "DATE (UTC)", "DELAY", "FROM (IP)", "BY", "WITH/TLS");
  std::size_t n = 0;
  for (const auto& h : list_of(member(a, "received"))) {
    const auto& from_ip = member(h, "from_ip");
    const std::string from = text_of(member(h, "from")) + (from_ip.is_string() ? " [" + text_of(from_ip) + "]" : "");
    const auto& delay_v = member(h, "delay_seconds");
    const std::string delay = delay_v.is_number() ? delay_v.dump() + " s" : "-";
    const auto& hop_date = member(h, "date");
    const std::string hop_when =
        util::has_string(hop_date, "utc") ? text_of(member(hop_date, "utc")) : "(" + text_of(member(hop_date, "as_written")) + ")";
    const auto& with = member(h, "with");
    const auto& tls = member(h, "tls");
    os << row("    %-3zu %-20s %10s  %-34s %-28s %s\n", ++n, util::one_line(hop_when, 20).c_str(), util::one_line(delay, 10).c_str(),
              util::one_line(from, 34).c_str(), util::one_line(text_of(member(h, "by")), 28).c_str(),
              util::one_line(text_of(with) + (tls.is_string() && tls != with ? " " + text_of(tls) : ""), 60).c_str());
  }
  os << "  AUTHENTICATION-RESULTS\n";
  for (const auto& r : list_of(member(a, "authentication_results"))) {
    std::string line = "    " + text_of(member(r, "authserv_id")) + ":";
    for (const auto& m : list_of(member(r, "methods")))
      line += " " + text_of(member(m, "method")) + "=" + text_of(member(m, "result"));
    os << util::one_line(line, 160) << "\n";
  }
  os << "  DKIM\n";
  for (const auto& d : list_of(member(a, "dkim"))) {
    os << "    d=" << text_of(member(d, "domain")) << " s=" << text_of(member(d, "selector")) << " a=" << text_of(member(d, "algorithm"))
       << ": body hash " << text_of(member(d, "body_hash")) << ", signature " << text_of(member(d, "signature")) << " ("
       << text_of(member(d, "key_source")) << ")\n";
    if (const auto& tm = member(d, "time"); tm.is_object()) {
      const auto yes_no = [](const manifest::Json& v) { return v.is_boolean() ? (v.get<bool>() ? "yes" : "no") : "unknown"; };
      const auto& delivered = member(tm, "delivered_at");
      const auto& expired = member(tm, "expired_since");
      os << "      delivered " << (delivered.is_string() ? text_of(delivered) : "unknown")
         << ", valid at delivery: " << yes_no(member(tm, "valid_at_delivery"))
         << (expired.is_string() ? ", expired since " + text_of(expired) : std::string()) << "\n";
    }
  }
}

// Loads a chat entry's messages.json, checked against the recorded hash; null (and why on
// stderr) when it cannot be read.
manifest::Json load_messages(const manifest::Json& line, const store::Case& c) {
  for (const auto& f : list_of(member(line, "files"))) {
    if (util::string_field(f, "role") != "messages") continue;
    const store::RecordedBytes read = store::read_recorded(c.root(), f, "chat", 1ull << 30);
    if (!read.bytes) {
      std::cerr << "cbkit: warning: " << util::terminal_text(util::string_field(f, "path"), false) << ": "
                << util::terminal_text(read.problem, false) << "; run 'cbkit verify'\n";
      return manifest::Json();
    }
    if (auto j = util::parse_untrusted_json(*read.bytes); j && j->is_object()) return std::move(*j);
    break;
  }
  std::cerr << "cbkit: warning: the messages (messages.json) of this entry cannot be read\n";
  return manifest::Json();
}

// "2026-11-20 21:14:00 +01:00" from a message's utc and offset; the time as written (and why)
// when it was not resolved.
std::string message_time(const manifest::Json& m) {
  const auto t = util::parse_rfc3339(util::string_field(m, "utc"));
  const std::string offset = util::string_field(m, "offset");
  long off = 0;
  const bool offset_ok = offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') &&
                         std::isdigit(static_cast<unsigned char>(offset[1])) && std::isdigit(static_cast<unsigned char>(offset[2])) &&
                         offset[3] == ':' && std::isdigit(static_cast<unsigned char>(offset[4])) &&
                         std::isdigit(static_cast<unsigned char>(offset[5]));
  if (offset_ok) off = (std::stol(offset.substr(1, 2)) * 3600 + std::stol(offset.substr(4, 2)) * 60) * (offset[0] == '-' ? -1 : 1);
  std::string s;
  if (t && offset_ok) {
    s = util::format_utc(t->epoch_seconds + off, 0).substr(0, 19);
    s[10] = ' ';
    s += " " + offset;
  } else {
    s = text_of(member(m, "time_as_written")) + " (not resolved)";
  }
  if (member(m, "ambiguous") == true) {
    std::string c;
    for (const auto& x : list_of(member(m, "candidates")))
      c += (c.empty() ? "" : " or ") + text_of(x);
    s += " [ambiguous: " + c + "]";
  }
  return s;
}

// The conversation, oldest message first, at most `limit` messages (0: all).
void print_chat(std::ostream& os, const manifest::Json& m, std::uint64_t limit, std::uint64_t seq) {
  std::string participants;
  for (const auto& p : list_of(member(m, "participants")))
    participants += (participants.empty() ? "" : ", ") + text_of(p);
  os << "  CONVERSATION (" << text_of(member(m, "platform")) << ", " << text_of(member(m, "variant")) << ")\n";
  if (util::has_string(m, "title") && !util::string_field(m, "title").empty())
    os << "    title:        " << util::one_line(text_of(member(m, "title")), 100) << "\n";
  os << "    participants: " << util::one_line(participants, 300) << "\n";
  const std::string zone = util::string_field(m, "zone");
  os << "    time zone:    "
     << (zone.empty() ? std::string("none needed (the export gives UTC times)")
                      : text_of(member(m, "zone")) + " (" + text_of(member(m, "zone_source")) + ")")
     << "\n";
  if (!util::string_field(m, "date_order").empty())
    os << "    date order:   " << text_of(member(m, "date_order")) << " (" << util::one_line(text_of(member(m, "date_order_rule")), 100)
       << ")\n";
  const auto& messages = list_of(member(m, "messages"));
  os << "    messages:     " << messages.size() << "\n";
  std::uint64_t shown = 0;
  for (const auto& msg : messages) {
    if (limit != 0 && shown == limit) {
      os << "    ... " << (messages.size() - shown) << " more message(s): cbkit show " << seq << " --limit 0 shows them all\n";
      break;
    }
    ++shown;
    std::string flags;
    for (const auto& f : list_of(member(msg, "flags")))
      flags += " [" + text_of(f) + "]";
    const std::string sender = util::string_field(msg, "sender");
    // Sender and text as the report shows them: a direction mark or other invisible character
    // (WhatsApp writes U+200E before "<attached: ...>") as a visible [U+XXXX] tag, as written
    // in messages.json, rather than the U+FFFD terminal_text() puts for what it must not print.
    const std::string head = "    #" + scalar_text(member(msg, "index")) + "  " + message_time(msg) + "  " +
                             (sender.empty() ? std::string("(system)") : report::reveal_invisible(sender, false)) + ":" + flags + " ";
    os << util::terminal_text(head, false) << indented(report::reveal_invisible(util::string_field(msg, "text"), true), 8) << "\n";
    for (const auto& a : list_of(member(msg, "attachments"))) {
      // A file the exporter left out has no name, only the exporter's note (Telegram).
      const std::string name = util::string_field(a, "name");
      os << "        attachment: " << util::one_line(name.empty() ? util::string_field(a, "note") : name, 100) << " ("
         << text_of(member(a, "kind")) << ")";
      if (member(a, "missing") == true) {
        os << " [missing]";
      } else {
        os << " " << text_of(member(a, "path"));
      }
      os << "\n";
    }
  }
  const auto& defects = list_of(member(m, "defects"));
  if (!defects.empty()) {
    os << "  DEFECTS (" << defects.size() << ")\n";
    std::size_t n = 0;
    for (const auto& d : defects) {
      if (n++ == 50) {
        os << "    ... " << (defects.size() - 50) << " more (messages.json lists them all)\n";
        break;
      }
      os << "    " << text_of(member(d, "code")) << ": " << util::one_line(text_of(member(d, "message")), 160) << "\n";
    }
  }
}

int run_show(ShowArgs args, const GlobalOptions& g) {
  // Parsed here rather than by CLI11 so that "-1" or "3x" get a message naming them.
  const std::string& t = args.seq_text;
  if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) {
    throw Error(ErrorKind::usage,
                "show '" + util::utf8_lossy(t) + "': not an entry number (a seq such as 0, 1, 2 as listed by 'cbkit log')");
  }
  args.seq = std::stoull(t);
  const store::Case c = open_case(g);
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (reader.next(raw)) {
    if (raw.index != args.seq) continue;
    const auto j = raw.too_long ? std::nullopt : manifest::parse_line(raw.bytes);
    if (!j) {
      throw Error(ErrorKind::case_,
                  c.manifest_path().string() + ": line " + std::to_string(args.seq) + " is not a valid manifest entry; run 'cbkit verify'");
    }
    if (g.json) {
      // "seq" is the shown entry here (not the case's seq), as before.
      g.out["seq"] = args.seq;
      g.out["hash"] = raw.sha256;
      g.out["summary"] = kinds::summarize(*j, 4096);
      g.out["entry"] = *j; // kept for one release: "line"
      g.out["line"] = *j;
      if (util::string_field(*j, "kind") == "email") g.out["analysis"] = load_analysis(*j, c);
      if (util::string_field(*j, "kind") == "web") g.out["identity"] = load_identity(*j, c);
    } else {
      std::ostringstream view;
      print_human(view, *j, raw.sha256, c, util::string_field(*j, "kind") == "email" ? load_analysis(*j, c) : manifest::Json());
      if (util::string_field(*j, "kind") == "web") print_identity(view, load_identity(*j, c));
      if (util::string_field(*j, "kind") == "chat") {
        const manifest::Json messages = load_messages(*j, c);
        if (messages.is_object()) print_chat(view, messages, args.limit, args.seq);
      }
      std::cout << util::terminal_text(view.str(), true); // once more, as a whole: nothing raw reaches the terminal
    }
    return 0;
  }
  throw Error(ErrorKind::case_, "entry " + std::to_string(args.seq) + ": no such entry in " + c.manifest_path().string() + " (it has " +
                                    std::to_string(raw.index) + " entries, 0 to " + std::to_string(raw.index == 0 ? 0 : raw.index - 1) +
                                    "); see 'cbkit log'");
}

} // namespace

void setup_show(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<ShowArgs>();
  CLI::App* sub = app.add_subcommand("show", "Show one entry with its files and hashes");
  sub->add_option("SEQ", args->seq_text, "Entry number (seq), as listed by 'cbkit log'")->required();
  sub->add_option("--limit", args->limit, "Chat entries: show at most this many messages (default 200; 0: all)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_show(*args, g); }; });
}

} // namespace cbkit::cli
