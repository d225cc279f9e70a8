#include "cli/run.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/version.hpp"
#include "cli/common.hpp"

#include <iostream>

namespace cbkit::cli {

int run(int argc, char** argv) {
  CLI::App app{"cbkit: preserve evidence of online harassment so that it holds up in court", "cbkit"};
  app.set_version_flag("--version", std::string("cbkit ") + k_version);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer("Exit codes: 0 ok, 1 verify found problems, 2 usage, 3 input, 4 case, 5 locked, 6 I/O, 8 partly done\n(interrupted after "
             "some entries were recorded), 70 internal, 130 interrupted (nothing recorded).\n"
             "See cbkit(1) and cbkit-<command>(1).");

  GlobalOptions g;
  app.add_option("--case", g.case_dir, "Case folder (default: $CBKIT_CASE, else the nearest parent with manifest.jsonl)");
  app.add_flag("--json", g.json, "Print one JSON document on stdout");
  app.add_option("--lock-timeout", g.lock_timeout_seconds, "Seconds to wait for another cbkit process to release the case (default 60)")
      ->check(CLI::Range(0.0, 86400.0));

  Action action;
  setup_init(app, g, action);
  setup_add_file(app, g, action);
  setup_add_email(app, g, action);
  setup_note(app, g, action);
  setup_log(app, g, action);
  setup_show(app, g, action);
  setup_verify(app, g, action);
  setup_keygen(app, g, action);
  setup_decrypt(app, g, action);
  setup_seal(app, g, action);
  setup_prove(app, g, action);
  setup_verify_proof(app, g, action);
  setup_capture_url(app, g, action);
  setup_report(app, g, action);
  setup_timestamp(app, g, action);
  setup_person(app, g, action);
  setup_add_call(app, g, action);
  setup_add_chat(app, g, action);
  setup_checklist(app, g, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command as "a subcommand is required"; name what was typed.
    const auto extra = app.remaining();
    if (app.get_subcommands().empty() && !extra.empty()) {
      std::cerr << "cbkit: error: '" << util::terminal_text(extra.front(), false)
                << "': unknown command; see 'cbkit --help' for the list\n";
      return static_cast<int>(ErrorKind::usage);
    }
    std::cerr << "cbkit: error: " << util::terminal_text(e.what(), true) << "; see 'cbkit --help'\n";
    return static_cast<int>(ErrorKind::usage);
  }

  install_interrupt_handler();
  try {
    return action ? action() : static_cast<int>(ErrorKind::usage);
  } catch (const Error& e) {
    std::cerr << "cbkit: error: " << util::terminal_text(e.what(), true) << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "cbkit: error: internal error: " << e.what() << "\n";
    return static_cast<int>(ErrorKind::internal);
  }
}

} // namespace cbkit::cli
