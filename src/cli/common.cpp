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
  sub.add_option("--observed-at", args.observed_at,
                 "When it was seen: a local time read in the case's time zone, e.g. 2026-11-20T21:14 or \"2026-11-20 21:14:00\", "
                 "or with its offset, e.g. 2026-11-20T21:14:00+01:00");
  sub.add_option("--platform", args.platform, "Platform or service, e.g. instagram, whatsapp, sms");
  sub.add_option("--account-id", args.account_id, "The account's unique id on the platform");
  sub.add_option("--from-person", args.from_person, "Who the evidence comes from: the id of a person entry (cbkit person)");
  sub.add_option("--about-person", args.about_person, "Who the evidence is about: the id of a person entry (cbkit person)");
}

store::Context to_context(const ContextArgs& args, const GlobalOptions& g) {
  store::Context c;
  c.kind = args.kind;
  c.note = args.note;
  c.source_url = args.source_url;
  c.platform = args.platform;
  c.account_id = args.account_id;
  c.from_person = args.from_person;
  c.about_person = args.about_person;
  if (!args.observed_at.empty()) {
    // Only a time without offset needs the case (its zone, from line 0).
    const std::string zone = util::parse_rfc3339(args.observed_at) ? "" : open_case(g).info().timezone;
    try {
      const util::ResolvedTime r = util::resolve_user_time(args.observed_at, zone, "case-zone");
      c.observed_at = util::Rfc3339{r.as_typed, r.utc, r.epoch_seconds};
      c.observed_at_offset = r.offset;
      c.observed_at_zone_source = r.how;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::usage) throw;
      throw Error(ErrorKind::usage, std::string("--observed-at ") + e.what());
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
