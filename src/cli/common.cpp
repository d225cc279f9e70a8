#include "cli/common.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <cstdlib>
#include <iostream>

namespace cbkit::cli {

store::Case open_case(const GlobalOptions& g) {
  if (g.case_dir) return store::Case::discover(std::filesystem::path(*g.case_dir));
  return store::Case::discover(std::nullopt);
}

void add_context_options(CLI::App& sub, ContextArgs& args, bool with_note) {
  sub.add_option("--kind", args.kind, "What the evidence is: screenshot, chat-export, photo, recording, phone-call, ...");
  if (with_note) sub.add_option("--note", args.note, "Free text about the evidence");
  sub.add_option("--source-url", args.source_url, "Exact URL of the post, profile or account");
  sub.add_option("--observed-at", args.observed_at, "When it was seen: RFC 3339 with offset, e.g. 2026-11-20T21:14:00+01:00");
  sub.add_option("--platform", args.platform, "Platform or service, e.g. instagram, whatsapp, sms");
  sub.add_option("--account-id", args.account_id, "The account's unique id on the platform");
}

store::Context to_context(const ContextArgs& args) {
  store::Context c;
  c.kind = args.kind;
  c.note = args.note;
  c.source_url = args.source_url;
  c.platform = args.platform;
  c.account_id = args.account_id;
  if (!args.observed_at.empty()) {
    c.observed_at = util::parse_rfc3339(args.observed_at);
    if (!c.observed_at) {
      throw Error(ErrorKind::usage, "--observed-at '" + util::utf8_lossy(args.observed_at) +
                                        "': not an RFC 3339 date-time with offset (e.g. 2026-11-20T21:14:00+01:00)");
    }
  }
  return c;
}

std::string examiner_or_env(const std::string& given) {
  if (!given.empty()) return given;
  const char* env = std::getenv("CBKIT_EXAMINER");
  return env != nullptr ? env : "";
}

void print_json(const manifest::Json& j) { std::cout << j.dump(2, ' ', false, manifest::Json::error_handler_t::replace) << "\n"; }

void print_receipt(const manifest::Appended& a) { std::cout << "head " << a.head << " seq " << a.seq << "\n"; }

std::string string_field(const manifest::Json& obj, const char* key, const std::string& fallback) {
  return util::string_field(obj, key, fallback);
}

std::string summarize(const manifest::Json& line) {
  const auto str = [](const manifest::Json& obj, const char* key) { return string_field(obj, key); };
  const std::string kind = str(line, "kind");
  const manifest::Json context = line.contains("context") ? line["context"] : manifest::Json::object();
  std::string s;
  if (kind == "case" && line.contains("case")) {
    const auto& c = line["case"];
    s = "case " + str(c, "id") + " opened by " + str(c, "examiner");
    if (!str(c, "organisation").empty()) s += ", " + str(c, "organisation");
  } else if (kind == "email" && line.contains("email") && line["email"].is_object()) {
    const auto& e = line["email"];
    std::string from;
    if (e.contains("from") && e["from"].is_array() && !e["from"].empty() && e["from"][0].is_string())
      from = e["from"][0].get<std::string>();
    s = (from.empty() ? "(no From)" : from) + ": " + (str(e, "subject").empty() ? "(no subject)" : str(e, "subject"));
    if (e.contains("anomalies") && e["anomalies"].is_array() && !e["anomalies"].empty()) {
      s += " [" + std::to_string(e["anomalies"].size()) + " anomal" + (e["anomalies"].size() == 1 ? "y" : "ies") + "]";
    }
  } else if (kind == "note" && line.contains("note")) {
    s = str(line["note"], "text");
  } else if (line.contains("files") && line["files"].is_array() && !line["files"].empty()) {
    for (const auto& f : line["files"]) {
      if (!s.empty()) s += ", ";
      s += str(f, "name").empty() ? str(f, "path") : str(f, "name");
    }
  }
  if (!str(context, "kind").empty()) s = "[" + str(context, "kind") + "] " + s;
  if (!str(context, "note").empty()) s += " \xE2\x80\x94 " + str(context, "note");
  return util::one_line(s, 100);
}

} // namespace cbkit::cli
