#include "cbkit/email/providers.hpp"
#include "cbkit/error.hpp"
#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/store/recorded.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cli/common.hpp"

#include "cbkit/util/sha256.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct ShowArgs {
  std::string seq_text;
  std::uint64_t seq = 0;
};

std::string scalar_text(const manifest::Json& v) {
  return v.is_string() ? util::utf8_lossy(v.get<std::string>()) : v.dump(-1, ' ', false, manifest::Json::error_handler_t::replace);
}

// Prints any JSON value as indented "key: value" lines, for kinds this view has no
// special layout for (and for nested objects).
void print_tree(const std::string& key, const manifest::Json& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    std::cout << pad << key << ":\n";
    for (const auto& [k, child] : v.items())
      print_tree(k, child, indent + 2);
  } else if (v.is_array() && !v.empty() && (v.front().is_object() || v.front().is_array())) {
    std::cout << pad << key << ":\n";
    std::size_t i = 0;
    for (const auto& child : v)
      print_tree("[" + std::to_string(i++) + "]", child, indent + 2);
  } else if (v.is_array()) {
    std::string joined;
    for (const auto& child : v)
      joined += (joined.empty() ? "" : ", ") + scalar_text(child);
    std::cout << pad << key << ": " << joined << "\n";
  } else {
    std::cout << pad << key << ": " << scalar_text(v) << "\n";
  }
}

void print_email(const manifest::Json& a);

// `analysis` is the parsed headers.json of an e-mail entry (null otherwise): it is shown
// right after the entry's identity, before the raw fields and the files.
void print_human(const manifest::Json& line, const std::string& hash, const store::Case& c, const manifest::Json& analysis) {
  const auto str = [](const manifest::Json& obj, const char* key) { return string_field(obj, key); };
  std::cout << "entry " << scalar_text(line.value("seq", manifest::Json())) << " (" << str(line, "kind") << ")\n";
  std::cout << "  what:  " << kinds::summarize(line, 4096) << "\n";
  std::cout << "  hash:  " << hash << "\n";
  std::cout << "  prev:  " << str(line, "prev") << "\n";
  const std::string time = str(line, "time");
  std::cout << "  time:  " << time;
  std::string tz;
  try {
    tz = c.info().timezone;
  } catch (const Error&) {
  }
  if (const auto t = util::parse_rfc3339(time); t && !tz.empty()) std::cout << "  = " << util::format_in_zone(t->epoch_seconds, tz);
  std::cout << "\n";
  if (line.contains("actor")) {
    const auto& a = line["actor"];
    std::cout << "  actor: " << str(a, "examiner") << " (user " << str(a, "user") << " on " << str(a, "host") << ")\n";
  }
  if (line.contains("tool")) std::cout << "  tool:  " << str(line["tool"], "name") << " " << str(line["tool"], "version") << "\n";

  if (analysis.is_object()) print_email(analysis);
  for (const auto& [key, value] : line.items()) {
    if (key == "seq" || key == "prev" || key == "time" || key == "kind" || key == "actor" || key == "tool" || key == "files") continue;
    if (key == "email" && analysis.is_object()) continue; // shown in full above
    print_tree(key, value, 2);
  }
  if (line.contains("files") && line["files"].is_array() && !line["files"].empty()) {
    std::cout << "  files (" << line["files"].size() << "):\n";
    for (const auto& f : line["files"]) {
      std::cout << "    " << str(f, "path") << "\n";
      for (const auto& [key, value] : f.items()) {
        if (key != "path") std::cout << "      " << key << ": " << scalar_text(value) << "\n";
      }
    }
  }
}

// Loads an email entry's headers.json, checking it against the hash the line records.
// Returns null (and says why on stderr) when it is missing, changed or unreadable.
manifest::Json load_analysis(const manifest::Json& line, const store::Case& c) {
  if (!line.contains("files") || !line["files"].is_array()) return manifest::Json();
  for (const auto& f : line["files"]) {
    if (!f.is_object() || !f.contains("role") || f["role"] != "headers") continue;
    const store::RecordedBytes read = store::read_recorded(c.root(), f, "email", 64u << 20);
    if (!read.bytes) {
      std::cerr << "cbkit: warning: " << util::utf8_lossy(string_field(f, "path")) << ": " << read.problem << "; run 'cbkit verify'\n";
      return manifest::Json();
    }
    if (auto j = util::parse_untrusted_json(*read.bytes)) return std::move(*j);
    break;
  }
  std::cerr << "cbkit: warning: the header analysis (headers.json) of this entry cannot be read\n";
  return manifest::Json();
}

std::string text_of(const manifest::Json& v) {
  if (v.is_null()) return "-";
  return v.is_string() ? util::utf8_lossy(v.get<std::string>()) : v.dump(-1, ' ', false, manifest::Json::error_handler_t::replace);
}

std::string addresses_text(const manifest::Json& list) {
  std::string out;
  if (!list.is_array()) return "-";
  for (const auto& a : list) {
    if (!out.empty()) out += ", ";
    if (a.contains("name") && a["name"].is_string()) out += text_of(a["name"]) + " ";
    out += "<" + text_of(a.value("address", manifest::Json())) + ">";
  }
  return out.empty() ? "-" : out;
}

// The header-analyzer view of an e-mail: anomalies first, then who/when, the hops with
// their delays, authentication verdicts and DKIM.
void print_email(const manifest::Json& a) {
  const auto& an = a["anomalies"];
  std::cout << "  ANOMALIES (" << (an.is_array() ? an.size() : 0) << ")\n";
  if (an.is_array()) {
    for (const auto& x : an)
      std::cout << "    " << text_of(x["code"]) << ": " << text_of(x["message"]) << "\n";
  }
  const auto& s = a["summary"];
  std::cout << "  MESSAGE\n";
  std::cout << "    Date:         "
            << (s["date"].is_object() ? text_of(s["date"]["as_written"]) + "  = " + text_of(s["date"]["utc"]) + " UTC" : "-") << "\n";
  std::cout << "    From:         " << util::one_line(addresses_text(s["from"]), 100) << "\n";
  std::cout << "    Sender:       " << util::one_line(addresses_text(s["sender"]), 100) << "\n";
  std::cout << "    Reply-To:     " << util::one_line(addresses_text(s["reply_to"]), 100) << "\n";
  std::cout << "    Return-Path:  " << util::one_line(addresses_text(s["return_path"]), 100) << "\n";
  std::cout << "    To:           " << util::one_line(addresses_text(s["to"]), 100) << "\n";
  std::cout << "    Cc:           " << util::one_line(addresses_text(s["cc"]), 100) << "\n";
  std::cout << "    Subject:      " << util::one_line(text_of(s["subject"]), 100) << "\n";
  std::cout << "    Message-ID:   " << util::one_line(text_of(s["message_id"]), 100) << "\n";
  // The origin: the client IP with its reason, or the provider that does not disclose it.
  const auto& origin = s["origin"];
  const auto& provider = origin.is_object() ? origin["provider"] : manifest::Json();
  std::string origin_text = "-";
  const email::RelayProvider* legacy_relay = nullptr; // headers.json from before summary.origin: the address a relay's?
  if (!origin.is_object() && s["originating_ip"].is_object() && a["received"].is_array()) {
    for (const auto& h : a["received"]) {
      if (h["from_ip"] != s["originating_ip"]["ip"]) continue;
      legacy_relay = email::provider_of_host(h["from_tcp_host"].is_string() ? text_of(h["from_tcp_host"]) : "");
      if (legacy_relay == nullptr) legacy_relay = email::provider_of_host(h["from"].is_string() ? text_of(h["from"]) : "");
      break;
    }
  }
  if (legacy_relay != nullptr) {
    origin_text = "not disclosed: " + text_of(s["originating_ip"]["ip"]) + " is a relay of " + std::string(legacy_relay->name) +
                  ", not the sender's address; ask the provider";
  } else if (s["originating_ip"].is_object()) {
    origin_text = text_of(s["originating_ip"]["ip"]) + " (" + text_of(s["originating_ip"]["reason"]) + ")";
  } else if (provider.is_object()) {
    origin_text =
        "not disclosed: sent through " + text_of(provider["name"]) + " (relay " + text_of(provider["relay_name"]) + "); ask the provider";
  }
  std::cout << "    Origin IP:    " << util::one_line(origin_text, 160) << "\n";
  if (origin.is_object()) std::cout << "    Origin rule:  " << util::one_line(text_of(origin["rule"]), 100) << "\n";
  if (provider.is_object()) {
    const auto& ids = origin["identifiers"];
    std::cout << "    Provider ids: queue id " << util::one_line(ids["queue_id"].is_string() ? text_of(ids["queue_id"]) : "-", 100)
              << ", handed on " << (ids["handoff_utc"].is_string() ? text_of(ids["handoff_utc"]) : "-") << "\n";
  }
  std::cout << "  RECEIVED CHAIN (oldest hop first)\n";
  std::printf("    %-3s %-20s %10s  %-34s %-28s %s\n", "#", "DATE (UTC)", "DELAY", "FROM (IP)", "BY", "WITH/TLS");
  std::size_t n = 0;
  for (const auto& h : a["received"]) {
    const std::string from = text_of(h["from"]) + (h["from_ip"].is_string() ? " [" + text_of(h["from_ip"]) + "]" : "");
    const std::string delay = h["delay_seconds"].is_number() ? std::to_string(h["delay_seconds"].get<long long>()) + " s" : "-";
    const std::string date =
        h["date"].is_object() && h["date"]["utc"].is_string() ? text_of(h["date"]["utc"]) : "(" + text_of(h["date"]["as_written"]) + ")";
    std::printf(
        "    %-3zu %-20s %10s  %-34s %-28s %s\n", ++n, util::one_line(date, 20).c_str(), delay.c_str(), util::one_line(from, 34).c_str(),
        util::one_line(text_of(h["by"]), 28).c_str(),
        util::one_line(text_of(h["with"]) + (h["tls"].is_string() && h["tls"] != h["with"] ? " " + text_of(h["tls"]) : ""), 60).c_str());
  }
  std::cout << "  AUTHENTICATION-RESULTS\n";
  for (const auto& r : a["authentication_results"]) {
    std::string line = "    " + text_of(r["authserv_id"]) + ":";
    for (const auto& m : r["methods"])
      line += " " + text_of(m["method"]) + "=" + text_of(m["result"]);
    std::cout << util::one_line(line, 160) << "\n";
  }
  std::cout << "  DKIM\n";
  for (const auto& d : a["dkim"]) {
    std::cout << "    d=" << text_of(d["domain"]) << " s=" << text_of(d["selector"]) << " a=" << text_of(d["algorithm"]) << ": body hash "
              << text_of(d["body_hash"]) << ", signature " << text_of(d["signature"]) << " (" << text_of(d["key_source"]) << ")\n";
    if (const auto& tm = d["time"]; tm.is_object()) {
      const auto yes_no = [](const manifest::Json& v) { return v.is_boolean() ? (v.get<bool>() ? "yes" : "no") : "unknown"; };
      std::cout << "      delivered " << (tm["delivered_at"].is_string() ? text_of(tm["delivered_at"]) : "unknown")
                << ", valid at delivery: " << yes_no(tm["valid_at_delivery"])
                << (tm["expired_since"].is_string() ? ", expired since " + text_of(tm["expired_since"]) : std::string()) << "\n";
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
      manifest::Json out = manifest::Json::object();
      out["seq"] = args.seq;
      out["hash"] = raw.sha256;
      out["summary"] = kinds::summarize(*j, 4096);
      out["entry"] = *j;
      if (j->value("kind", "") == "email") out["analysis"] = load_analysis(*j, c);
      print_json(out);
    } else {
      print_human(*j, raw.sha256, c, j->value("kind", "") == "email" ? load_analysis(*j, c) : manifest::Json());
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
  sub->callback([&action, &g, args] { action = [&g, args] { return run_show(*args, g); }; });
}

} // namespace cbkit::cli
