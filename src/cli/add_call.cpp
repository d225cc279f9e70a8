#include "cbkit/people/people.hpp"
#include "cli/common.hpp"

#include <memory>

namespace cbkit::cli {

namespace {

struct AddCallArgs {
  people::CallOptions options;
  std::string duration;
  std::string recording;
  ContextArgs context;
  std::string examiner;
};

int run_add_call(AddCallArgs& args, const GlobalOptions& g) {
  people::CallOptions& o = args.options;
  o.context = to_context(args.context, g);
  if (!args.duration.empty()) o.duration_seconds = people::parse_duration(args.duration);
  if (!args.recording.empty()) o.recording = std::filesystem::path(args.recording);
  o.examiner = examiner_or_env(args.examiner);
  o.lock_timeout = g.lock_timeout();
  const store::Case c = open_case(g);
  const manifest::Appended a = people::add_call(c, o);
  g.out.add_appended(a, recorded_files(c, a));
  if (g.json) {
    const manifest::Json dir = a.entry_dir.empty() ? manifest::Json() : manifest::Json(a.entry_dir);
    g.out["entry"] = dir; // kept for one release: "dir"
    g.out["dir"] = dir;
  } else {
    print_receipt(a);
  }
  return 0;
}

} // namespace

void setup_add_call(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<AddCallArgs>();
  CLI::App* sub = app.add_subcommand("add-call", "Record a phone call or SMS: when, which numbers, how long, a recording");
  people::CallOptions& o = args->options;
  sub->add_option("--at", o.at,
                  "When the call came: 2026-11-20T21:14:00+01:00, or a local time (2026-11-20 21:14) read in the case's time zone")
      ->required();
  sub->add_option("--direction", o.direction, "incoming or outgoing")->required();
  sub->add_option("--from", o.from, "The calling number, or withheld / unknown when it was not shown")->required();
  sub->add_option("--to", o.to, "The number called (for an unknown caller: the number on which the victim was reached)")->required();
  sub->add_option("--duration", args->duration, "How long: 95, 95s, 1m35s or 00:01:35");
  sub->add_option("--sms", o.sms, "The text of an SMS");
  sub->add_option("--recording", args->recording, "A recording of this call, stored in the entry (role recording)");
  add_context_options(*sub, args->context, true);
  sub->add_option("--examiner", args->examiner, "Who adds this entry (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_add_call(*args, g); }; });
}

} // namespace cbkit::cli
