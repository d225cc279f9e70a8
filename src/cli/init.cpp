#include "cli/common.hpp"

#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/time.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct InitArgs {
  std::string dir;
  store::InitOptions options;
};

int run_init(const InitArgs& args, const GlobalOptions& g) {
  store::InitOptions options = args.options;
  options.examiner = examiner_or_env(options.examiner);
  const store::Case c = store::Case::init(args.dir, options);
  const manifest::Appended receipt{0, manifest::read_tail(c.manifest_path()).head, ""};
  const store::CaseInfo info = c.info();
  // Line 0 cannot be changed later: a case that is in UTC only because the machine is
  // (a server, a container, a fresh VM) would show every local time as +00:00.
  if (args.options.timezone.empty() && util::is_utc_zone_name(info.timezone)) {
    std::cerr << "cbkit: warning: the case's time zone is UTC because this machine is set to UTC; if the evidence was collected "
                 "elsewhere, re-create the case with --timezone Europe/Brussels (or the zone where it was collected)\n";
  }
  if (g.json) {
    print_json(manifest::Json{{"case", c.root().string()},
                              {"case_id", info.id},
                              {"head", receipt.head},
                              {"seq", 0},
                              {"timezone", info.timezone},
                              {"utc_offset", info.utc_offset}});
  } else {
    std::cout << "created case " << info.id << " in " << c.root().string() << "\n";
    std::cout << "time zone " << info.timezone << " (UTC" << info.utc_offset << " now); local times without offset are read in it\n";
    print_receipt(receipt);
  }
  return 0;
}

} // namespace

void setup_init(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* sub = app.add_subcommand("init", "Create a new case folder and open its manifest");
  sub->add_option("CASE", args->dir, "Folder for the new case (created; must be empty if it exists)")->required();
  sub->add_option("--case-id", args->options.case_id, "Case id, e.g. BE-2026-0042 (default: generated)");
  sub->add_option("--examiner", args->options.examiner, "Person collecting the evidence (default: $CBKIT_EXAMINER)");
  sub->add_option("--org", args->options.organisation, "Organisation of the examiner");
  sub->add_option("--title", args->options.title, "Short title of the case");
  sub->add_option("--timezone", args->options.timezone,
                  "IANA time zone where the evidence is collected, e.g. Europe/Brussels (default: the system's); "
                  "local times without offset are read in it and it cannot be changed later");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_init(*args, g); }; });
}

} // namespace cbkit::cli
