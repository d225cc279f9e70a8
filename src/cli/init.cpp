#include "cli/common.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/time.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct InitArgs {
  std::string dir;
  store::InitOptions options;
  bool exist_ok = false;
};

// init --exist-ok on a folder that is already a case: the same case (same --case-id) is
// reported as it is, and nothing is written; another case is an error.
int report_existing(const InitArgs& args, const GlobalOptions& g) {
  const store::Case c = store::Case::discover(std::filesystem::path(args.dir));
  g.out.set_case(c);
  const store::CaseInfo info = c.info();
  if (info.id != args.options.case_id) {
    throw Error(ErrorKind::case_, args.dir + ": holds case " + info.id + ", not " + args.options.case_id +
                                      "; pick another folder, or give --case-id " + info.id + " to open this one");
  }
  const manifest::Tail tail = manifest::read_tail(c.manifest_path());
  g.out.set_head(tail.head, tail.seq);
  if (!args.options.timezone.empty() && args.options.timezone != info.timezone) {
    const std::string m = "the case's time zone is " + info.timezone + ", not " + args.options.timezone + " (line 0 cannot change)";
    g.out.warn("timezone-differs", m, "--timezone");
    std::cerr << "cbkit: warning: " << stderr_text(m) << "\n";
  }
  if (g.json) {
    g.out["case_id"] = info.id;
    g.out["head"] = tail.head;
    g.out["seq"] = tail.seq;
    g.out["timezone"] = info.timezone;
    g.out["utc_offset"] = info.utc_offset;
    g.out["created"] = false;
  } else {
    std::cout << "case " << info.id << " already in " << c.root().string() << " (nothing written)\n";
    std::cout << "head " << tail.head << " seq " << tail.seq << "\n";
  }
  return 0;
}

int run_init(const InitArgs& args, const GlobalOptions& g) {
  store::InitOptions options = args.options;
  options.examiner = examiner_or_env(options.examiner);
  if (args.exist_ok) {
    if (options.case_id.empty())
      throw Error(ErrorKind::usage, "--exist-ok: needs --case-id, the id by which the existing case is recognised; add --case-id ID");
    std::error_code ec;
    if (std::filesystem::is_regular_file(std::filesystem::path(args.dir) / "manifest.jsonl", ec)) return report_existing(args, g);
  }
  const store::Case c = store::Case::init(args.dir, options);
  const manifest::Appended receipt{0, manifest::read_tail(c.manifest_path()).head, ""};
  g.out.set_case(c);
  g.out.add_appended(receipt);
  const store::CaseInfo info = c.info();
  // Line 0 cannot be changed later: a case that is in UTC only because the machine is
  // (a server, a container, a fresh VM) would show every local time as +00:00.
  if (args.options.timezone.empty() && util::is_utc_zone_name(info.timezone)) {
    g.out.warn("timezone-utc", "the case's time zone is UTC because this machine is set to UTC");
    std::cerr << "cbkit: warning: the case's time zone is UTC because this machine is set to UTC; if the evidence was collected "
                 "elsewhere, re-create the case with --timezone Europe/Brussels (or the zone where it was collected)\n";
  }
  if (g.json) {
    g.out["case_id"] = info.id;
    g.out["head"] = receipt.head;
    g.out["seq"] = 0;
    g.out["timezone"] = info.timezone;
    g.out["utc_offset"] = info.utc_offset;
    g.out["created"] = true;
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
  sub->add_flag("--exist-ok", args->exist_ok,
                "When CASE already holds the case with this --case-id, report it (head, seq) and succeed without writing; "
                "another case there is still an error");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_init(*args, g); }; });
}

} // namespace cbkit::cli
