#include "cbkit/store/email.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"
#include "cli/progress.hpp"

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
  bool skip_existing = false;
  bool jsonl = false;
};

std::string joined(const manifest::Json& list) {
  std::string s;
  for (const auto& x : list) {
    if (!s.empty()) s += ",";
    s += x.is_string() ? x.get<std::string>() : x.dump();
  }
  return s;
}

// What a run collects for its --json document, its --jsonl summary and its text.
struct EmailRun {
  manifest::Json entries = manifest::Json::array();
  manifest::Json duplicates = manifest::Json::array();
  CommittedRange committed;
  store::EmailIntake intake;
};

// Stores every message, printing each committed entry (text or --jsonl) as it goes.
void add_all(const store::Case& c, const store::AddEmailOptions& options, const AddEmailArgs& args, const GlobalOptions& g, EmailRun& run);

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
  options.skip_existing = args.skip_existing;
  const store::Case c = open_case(g);
  if (args.jsonl && g.json) throw Error(ErrorKind::usage, "--jsonl: not with --json; choose the stream (--jsonl) or one document (--json)");
  // Named files and mboxes are checked before anything is stored, so all the bad ones are
  // named at once (folders are walked by add_emails, which lists what it refuses).
  std::vector<std::string> named = args.inputs;
  named.insert(named.end(), args.mboxes.begin(), args.mboxes.end());
  check_inputs(named, false, g.out, [](const std::string& in) {
    std::error_code ec;
    return in == "-" || std::filesystem::is_directory(std::filesystem::symlink_status(in, ec));
  });
  EmailRun run;

  // The --json document: run() prints it, with `error` when the import stopped part-way
  // (the messages committed before are in the manifest and in `appended`: scripts see them).
  auto fill_document = [&] {
    g.out["entries"] = run.entries;
    g.out["entry_count"] = run.entries.size();
    for (const auto& r : run.intake.refused)
      g.out.refuse(r.input, r.code, r.reason);
    g.out["not_email"] = run.intake.not_email; // files of a folder left aside as not e-mails: every file is accounted for
    g.out["not_email_count"] = run.intake.not_email.size();
    g.out["committed"] = run.committed.to_json();
    g.out["not_committed"] = run.intake.not_committed;
    g.out["duplicates"] = run.duplicates;
  };
  try {
    add_all(c, options, args, g, run);
  } catch (const Error& e) {
    // Messages committed before the failure are in the manifest: scripts see them too.
    if (args.jsonl) {
      print_jsonl(jsonl_summary(e.exit_code(), run.committed, run.intake.not_committed, run.duplicates.size(), e.what()));
    } else if (g.json) {
      fill_document();
    }
    throw;
  }
  if (args.jsonl) {
    print_jsonl(jsonl_summary(0, run.committed, {}, run.duplicates.size()));
  } else if (g.json) {
    fill_document();
  }
  // Refused inputs (only reached with --skip-unreadable): said on stderr, exit 0 as asked.
  for (const auto& r : run.intake.refused)
    std::cerr << "cbkit: warning: refused " << util::terminal_text(r.input, false) << ": " << r.reason << "\n";
  if (!run.intake.not_email.empty()) {
    std::cerr << "cbkit: note: " << run.intake.not_email.size()
              << " file(s) of the folder(s) left aside as not e-mails (no .eml name, no header field at the start)";
    for (std::size_t i = 0; i < run.intake.not_email.size() && i < 5; ++i)
      std::cerr << (i == 0 ? ": " : ", ") << util::terminal_text(run.intake.not_email[i], false);
    std::cerr << (run.intake.not_email.size() > 5 ? ", ..." : "") << "\n";
  }
  if (!run.duplicates.empty() && !g.json && !args.jsonl) {
    std::cerr << "cbkit: note: " << run.duplicates.size() << " message(s) already in the case, not stored again (--skip-existing)\n";
  }
  return 0;
}

void add_all(const store::Case& c, const store::AddEmailOptions& options, const AddEmailArgs& args, const GlobalOptions& g, EmailRun& run) {
  store::add_emails(
      c, options,
      [&](const store::EmailAdded& a) {
        run.committed.add(a.appended);
        if (g.json) g.out.add_appended(a.appended, a.files);
        const auto& s = a.summary;
        if (args.jsonl) {
          print_jsonl(
              jsonl_entry(a.appended, a.source, a.files, manifest::Json{{"message_id", s["message_id"]}, {"subject", s["subject"]}}));
          return;
        }
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
          run.entries.push_back(std::move(e));
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
      &run.intake,
      [&](const store::EmailDuplicate& d) {
        run.duplicates.push_back(manifest::Json{{"input", d.source}, {"sha256", d.sha256}, {"duplicate_of", d.duplicate_of}});
        if (args.jsonl) {
          print_jsonl(jsonl_duplicate(d.source, d.sha256, d.duplicate_of));
        } else if (!g.json) {
          std::cout << "  " << d.sha256 << "  already in the case (seq " << d.duplicate_of << "): " << util::terminal_text(d.source, false)
                    << "\n";
          std::cout.flush();
        }
      });
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
  sub->add_flag("--skip-existing", args->skip_existing,
                "Do not store a message whose SHA-256 is already an original in the case (reported as a duplicate of that entry)");
  sub->add_flag("--jsonl", args->jsonl,
                "Print one JSON line per entry as soon as it is committed, then a summary line (instead of text or --json)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_add_email(*args, g); }; });
}

} // namespace cbkit::cli
