#include "cbkit/people/people.hpp"
#include "cli/common.hpp"

#include <memory>

namespace cbkit::cli {

namespace {

struct ChecklistArgs {
  int na = 0;
  std::string because;
  std::string examiner;
};

int run_checklist(const ChecklistArgs& args, const GlobalOptions& g) {
  const store::Case c = open_case(g);
  const manifest::Appended a = people::add_checklist_decision(c, args.na, args.because, examiner_or_env(args.examiner), g.lock_timeout());
  g.out.add_appended(a);
  if (g.json) {
    g.out["point"] = args.na;
    g.out["status"] = "not-applicable";
  } else {
    print_receipt(a);
  }
  return 0;
}

} // namespace

void setup_checklist(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<ChecklistArgs>();
  CLI::App* sub = app.add_subcommand("checklist", "Record that a point of the police checklist does not apply, and why");
  sub->add_option("--na", args->na, "The point (1-15) that does not apply")->required();
  sub->add_option("--because", args->because, "Why it does not apply (shown in the report)")->required();
  sub->add_option("--examiner", args->examiner, "Who adds this entry (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_checklist(*args, g); }; });
}

} // namespace cbkit::cli
