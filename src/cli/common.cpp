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
  sub.add_option("--from-person", args.from_person, "Who the evidence comes from: the id of a person entry (cbkit person)");
  sub.add_option("--about-person", args.about_person, "Who the evidence is about: the id of a person entry (cbkit person)");
}

store::Context to_context(const ContextArgs& args) {
  store::Context c;
  c.kind = args.kind;
  c.note = args.note;
  c.source_url = args.source_url;
  c.platform = args.platform;
  c.account_id = args.account_id;
  c.from_person = args.from_person;
  c.about_person = args.about_person;
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

} // namespace cbkit::cli
