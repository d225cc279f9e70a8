#include "cbkit/people/people.hpp"
#include "cli/common.hpp"

#include <memory>

namespace cbkit::cli {

namespace {

struct PersonArgs {
  people::PersonOptions options;
  std::string examiner;
};

int run_person(PersonArgs& args, const GlobalOptions& g) {
  const store::Case c = open_case(g);
  args.options.examiner = examiner_or_env(args.examiner);
  args.options.lock_timeout = g.lock_timeout();
  const manifest::Appended a = people::add_person(c, args.options);
  const std::uint64_t id = args.options.adds_to ? *args.options.adds_to : a.seq;
  g.out.add_appended(a);
  if (g.json) {
    g.out["person"] = id;
  } else {
    std::cout << "person " << id << (args.options.adds_to ? " (identifiers added)" : "") << "\n";
    print_receipt(a);
  }
  return 0;
}

} // namespace

void setup_person(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<PersonArgs>();
  CLI::App* sub = app.add_subcommand("person", "Record a person (victim, suspect, witness, reporter) and their identifiers");
  people::PersonOptions& o = args->options;
  sub->add_option("--role", o.role, "victim, suspect, witness or reporter (required for a new person)");
  sub->add_option("--id", o.adds_to, "Add identifiers to the person with this id (the seq 'cbkit person' printed)");
  sub->add_option("--name", o.names, "A name the person uses (repeatable)");
  sub->add_option("--email", o.emails, "An e-mail address (repeatable)");
  sub->add_option("--phone", o.phones, "A phone number, as typed; kept in E.164 too when it can be normalized (repeatable)");
  sub->add_option("--account", o.accounts, "An account: PLATFORM:ID[:URL], ID the platform's numeric unique id (repeatable)");
  sub->add_option("--handle", o.handles, "A user name or handle, e.g. @sam (repeatable; a handle can be renamed, the ID cannot)");
  sub->add_option("--profile-url", o.profile_urls, "The URL of a profile (repeatable)");
  sub->add_option("--from-capture", o.from_captures,
                  "SEQ[:N]: the account cbkit found in web capture SEQ (its subject's id, handle and profile URL), or its finding N; "
                  "recorded with the capture, rule, WARC record and offset (repeatable)");
  sub->add_option("--note", o.note, "Free text about the person");
  sub->add_option("--examiner", args->examiner, "Who adds this entry (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_person(*args, g); }; });
}

} // namespace cbkit::cli
