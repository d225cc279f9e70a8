#include "cbkit/store/email.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct AddEmailArgs {
  std::vector<std::string> inputs;
  std::vector<std::string> mboxes;
  std::vector<std::string> dkim_keys;
  ContextArgs context;
  std::string examiner;
  bool skip_unreadable = false;
};

std::string joined(const manifest::Json& list) {
  std::string s;
  for (const auto& x : list) {
    if (!s.empty()) s += ",";
    s += x.is_string() ? x.get<std::string>() : x.dump();
  }
  return s;
}

// Stores every message, collecting the --json entries and the last receipt as it goes.
void add_all(const store::Case& c, const store::AddEmailOptions& options, const GlobalOptions& g, manifest::Json& entries,
             manifest::Appended& last, store::EmailIntake& intake);

int run_add_email(const AddEmailArgs& args, const GlobalOptions& g) {
  store::AddEmailOptions options;
  options.context = to_context(args.context, g);
  for (const auto& i : args.inputs)
    options.inputs.emplace_back(i);
  for (const auto& m : args.mboxes)
    options.mboxes.emplace_back(m);
  for (const auto& k : args.dkim_keys)
    options.keys.push_back(store::parse_dkim_key_arg(k));
  options.examiner = examiner_or_env(args.examiner);
  options.lock_timeout = g.lock_timeout();
  options.skip_unreadable = args.skip_unreadable;
  const store::Case c = open_case(g);
  // Named files and mboxes are checked before anything is stored, so all the bad ones are
  // named at once (folders are walked by add_emails, which lists what it refuses).
  std::vector<std::string> named = args.inputs;
  named.insert(named.end(), args.mboxes.begin(), args.mboxes.end());
  check_inputs(named, false, g.out, [](const std::string& in) {
    std::error_code ec;
    return in == "-" || std::filesystem::is_directory(std::filesystem::symlink_status(in, ec));
  });
  store::EmailIntake intake;

  manifest::Json entries = manifest::Json::array();
  manifest::Appended last;
  // The --json document: run() prints it, with `error` when the import stopped part-way
  // (the messages committed before are in the manifest: scripts see them too).
  auto fill_document = [&] {
    g.out["entries"] = entries;
    g.out["entry_count"] = entries.size();
    for (const auto& r : intake.refused)
      g.out.refuse(r.input, r.code, r.reason);
    g.out["not_email_count"] = intake.not_email.size();
  };
  try {
    add_all(c, options, g, entries, last, intake);
  } catch (...) {
    if (g.json) fill_document();
    throw;
  }
  if (g.json) fill_document();
  // Refused inputs (only reached with --skip-unreadable): said on stderr, exit 0 as asked.
  for (const auto& r : intake.refused)
    std::cerr << "cbkit: warning: refused " << util::terminal_text(r.input, false) << ": " << r.reason << "\n";
  if (!intake.not_email.empty()) {
    std::cerr << "cbkit: note: " << intake.not_email.size()
              << " file(s) of the folder(s) left aside as not e-mails (no .eml name, no header field at the start)";
    for (std::size_t i = 0; i < intake.not_email.size() && i < 5; ++i)
      std::cerr << (i == 0 ? ": " : ", ") << util::terminal_text(intake.not_email[i], false);
    std::cerr << (intake.not_email.size() > 5 ? ", ..." : "") << "\n";
  }
  return 0;
}

void add_all(const store::Case& c, const store::AddEmailOptions& options, const GlobalOptions& g, manifest::Json& entries,
             manifest::Appended& last, store::EmailIntake& intake) {
  store::add_emails(
      c, options,
      [&](const store::EmailAdded& a) {
        last = a.appended;
        g.out.add_appended(a.appended, a.files);
        const auto& s = a.summary;
        if (g.json) {
          manifest::Json e = manifest::Json::object();
          e["seq"] = a.appended.seq;
          e["head"] = a.appended.head;
          e["entry"] = a.appended.entry_dir; // kept for one release: "dir"
          e["dir"] = a.appended.entry_dir;
          e["source"] = a.source;
          e["sha256"] = a.files.front().sha256;
          e["size"] = a.files.front().size;
          e["message_id"] = s["message_id"];
          e["subject"] = s["subject"];
          e["anomalies"] = s["anomalies"];
          e["files"] = a.files.size(); // kept for one release: "file_count"
          e["file_count"] = a.files.size();
          entries.push_back(std::move(e));
        } else {
          const std::string subject = s["subject"].is_string() ? s["subject"].get<std::string>() : "(no subject)";
          std::cout << "  " << a.files.front().sha256 << "  " << a.files.front().size << "  "
                    << util::terminal_text(a.files.front().path, false) << "\n";
          std::cout << "    from " << util::terminal_text(a.source, false) << ": " << util::one_line(subject, 70) << "; "
                    << s["attachment_count"].get<std::size_t>() << " attachment(s)";
          if (!s["anomalies"].empty()) std::cout << "; anomalies: " << util::terminal_text(joined(s["anomalies"]), false);
          std::cout << "\n";
          print_receipt(a.appended);
        }
        std::cout.flush();
      },
      &intake);
}

} // namespace

void setup_add_email(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<AddEmailArgs>();
  CLI::App* sub = app.add_subcommand("add-email", "Store e-mails (.eml, folders of .eml, mbox, stdin) with full-header analysis");
  sub->add_option("INPUT", args->inputs, ".eml files, folders (every .eml inside), or - for standard input");
  sub->add_option("--mbox", args->mboxes, "An mbox file: one entry per message")->allow_extra_args(false);
  sub->add_option("--dkim-key", args->dkim_keys, "Offline DKIM key: DOMAIN:SELECTOR=FILE (TXT record text or PEM)")
      ->allow_extra_args(false);
  add_context_options(*sub, args->context, true);
  sub->add_option("--examiner", args->examiner, "Who adds these entries (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->add_flag("--skip-unreadable", args->skip_unreadable,
                "In folders, store what can be taken and list links, FIFOs, devices and unreadable files as refused "
                "(default: refuse the whole import, naming them)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_add_email(*args, g); }; });
}

} // namespace cbkit::cli
