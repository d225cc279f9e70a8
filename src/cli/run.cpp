#include "cli/run.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/version.hpp"
#include "cli/common.hpp"

#include <iostream>

namespace cbkit::cli {

namespace {

// "--json" anywhere before a "--" (CLI11 has not parsed yet, or failed to): errors are then
// printed as the JSON envelope too.
bool json_requested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--json") return true;
  }
  return false;
}

// The subcommand named on the command line (the first argument that is one), "" if none.
std::string command_named(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") break;
    for (const CLI::App* sub : app.get_subcommands({}))
      if (sub->get_name() == a) return a;
  }
  return "";
}

// CLI11's message, rewritten as "<input>: <what>; <what to do>" like every other error.
std::string parse_error_text(const CLI::ParseError& e, const std::string& command) {
  std::string text = e.what();
  const std::string help = command.empty() ? "see 'cbkit --help'" : "see 'cbkit " + command + " --help'";
  const auto strip_prefix = [&](const std::string& prefix) {
    if (text.rfind(prefix, 0) != 0) return false;
    text = text.substr(prefix.size());
    return true;
  };
  if (strip_prefix("The following arguments were not expected: ") || strip_prefix("The following argument was not expected: ")) {
    return text + ": not expected here; " + help;
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    const auto at = text.rfind(" is required");
    if (at != std::string::npos && at + 12 == text.size()) return text.substr(0, at) + ": required; " + help;
  }
  if (strip_prefix("The value ")) {
    const auto at = text.find(" is not an allowed value for ");
    if (at != std::string::npos) return text.substr(at + 29) + ": '" + text.substr(0, at) + "' is not an allowed value; " + help;
  }
  if (strip_prefix("Could not convert: ")) {
    const auto at = text.find(" = ");
    if (at != std::string::npos) return text.substr(0, at) + ": '" + text.substr(at + 3) + "' is not a valid value; " + help;
  }
  if (const auto at = text.find(" excludes "); at != std::string::npos && dynamic_cast<const CLI::ExcludesError*>(&e) != nullptr)
    return text.substr(0, at) + ": cannot be combined with " + text.substr(at + 10) + "; " + help;
  if (const auto at = text.find(" requires "); at != std::string::npos && dynamic_cast<const CLI::RequiresError*>(&e) != nullptr)
    return text.substr(0, at) + ": needs " + text.substr(at + 10) + "; " + help;
  // "--key: 1 required TEXT missing": the option was given without its value.
  if (const auto at = text.find(": 1 required "); at != std::string::npos && text.size() > 8 && text.ends_with(" missing")) {
    const std::string type = text.substr(at + 13, text.size() - 8 - (at + 13));
    return text.substr(0, at) + ": needs a value (" + type + "); " + help;
  }
  // "--jobs: Value 100 not in range 0 to 64"
  if (const auto at = text.find(": Value "); at != std::string::npos) text.replace(at, 8, ": value ");
  // CLI11's other messages already start with the option ("--x: ..."), or name none.
  if (text.find(": ") == std::string::npos) text = (command.empty() ? std::string("cbkit") : command) + ": " + text;
  return text + "; " + help;
}

void print_error_line(const std::string& message) { std::cerr << "cbkit: error: " << stderr_text(message) << "\n"; }

} // namespace

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
  app.add_flag("--json", g.json, "Print one JSON document on stdout (cbkit-json(5)), also when the command fails");
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
  setup_export_wacz(app, g, action);

  const bool json = json_requested(argc, argv);
  g.out.command = command_named(app, argc, argv);
  // A usage error found by the parser: one line on stderr, and the envelope with --json.
  const auto usage_error = [&](const std::string& message) {
    print_error_line(message);
    if (json) g.out.print_failure(Error(ErrorKind::usage, message));
    return static_cast<int>(ErrorKind::usage);
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    if (!json) return app.exit(e);
    g.out.command = "version";
    g.out["name"] = "cbkit";
    g.out["version"] = k_version;
    g.out["json_format_version"] = k_json_format;
    g.out["manifest_format"] = 1;
    g.out["exit_codes"] =
        manifest::Json{{"ok", 0}, {"problems_found", 1}, {"usage", 2},        {"input", 3},     {"case", 4},         {"locked", 5},
                       {"io", 6}, {"partial", 8},        {"unavailable", 69}, {"internal", 70}, {"interrupted", 130}};
    g.out.print(true);
    return 0;
  } catch (const CLI::ParseError& e) {
    // CLI11 reports an unknown command as "a subcommand is required"; name what was typed.
    const auto extra = app.remaining();
    if (app.get_subcommands().empty() && !extra.empty()) {
      if (extra.front().starts_with("-")) return usage_error(extra.front() + ": unknown option; see 'cbkit --help'");
      return usage_error("'" + extra.front() + "': unknown command; see 'cbkit --help' for the list");
    }
    if (app.get_subcommands().empty() && g.out.command.empty())
      return usage_error("cbkit: no command given; see 'cbkit --help' for the list");
    return usage_error(parse_error_text(e, g.out.command));
  }
  if (!app.get_subcommands().empty()) g.out.command = app.get_subcommands().front()->get_name();

  install_interrupt_handler();
  try {
    const int rc = action ? action() : static_cast<int>(ErrorKind::usage);
    if (g.json) g.out.print(rc == 0);
    return rc;
  } catch (const InputsRefused& e) {
    for (const auto& r : g.out.refused())
      print_error_line(r.value("input", std::string()) + ": " + r.value("message", std::string()));
    if (g.json) g.out.print_failure(e);
    return e.exit_code();
  } catch (const Error& e) {
    print_error_line(e.what());
    if (g.json || json) g.out.print_failure(e);
    return e.exit_code();
  } catch (const std::exception& e) {
    const Error internal(ErrorKind::internal, std::string("internal error: ") + e.what());
    print_error_line(internal.what());
    if (g.json || json) g.out.print_failure(internal);
    return internal.exit_code();
  }
}

} // namespace cbkit::cli
