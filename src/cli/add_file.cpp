#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"
#include "cli/progress.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct AddFileArgs {
  std::vector<std::string> files;
  ContextArgs context;
  bool follow_symlinks = false;
  std::string examiner;
  bool skip_existing = false;
  bool jsonl = false;
};

int run_add_file(const AddFileArgs& args, const GlobalOptions& g) {
  store::AddFileOptions options;
  options.context = to_context(args.context, g);
  for (const auto& f : args.files)
    options.files.emplace_back(f);
  options.follow_symlinks = args.follow_symlinks;
  options.examiner = examiner_or_env(args.examiner);
  options.lock_timeout = g.lock_timeout();
  if (args.jsonl && g.json) throw Error(ErrorKind::usage, "--jsonl: not with --json; choose the stream (--jsonl) or one document (--json)");
  const store::Case c = open_case(g);
  // Every input is checked before anything is stored, so all the bad ones are named at once.
  check_inputs(args.files, args.follow_symlinks, g.out);
  options.skip_existing = args.skip_existing;
  store::AddFileResult r;
  try {
    r = store::add_files(c, options);
  } catch (const Error& e) {
    // One entry, all or nothing: a failure or an interruption committed nothing.
    std::vector<std::string> inputs;
    for (const auto& f : args.files)
      inputs.push_back(util::utf8_lossy(f));
    if (args.jsonl) print_jsonl(jsonl_summary(e.exit_code(), CommittedRange{}, inputs, 0, e.what()));
    throw;
  }
  CommittedRange committed;
  manifest::Appended receipt = r.appended;
  if (r.committed) {
    committed.add(r.appended);
    g.out.add_appended(r.appended, r.files);
  } else {
    // Nothing appended (every file a duplicate): the receipt is the case's head as it stands.
    const manifest::Tail tail = manifest::read_tail(c.manifest_path());
    receipt.seq = tail.seq;
    receipt.head = tail.head;
    g.out.set_head(tail.head, tail.seq);
  }
  manifest::Json duplicates = manifest::Json::array();
  for (const auto& d : r.duplicates)
    duplicates.push_back(manifest::Json{{"input", d.input}, {"sha256", d.sha256}, {"duplicate_of", d.duplicate_of}});

  if (args.jsonl) {
    if (r.committed) {
      // The entry's input: the files given, in order (those not duplicates).
      std::string input;
      for (const auto& f : r.files)
        input += (input.empty() ? "" : " ") + f.source_path;
      print_jsonl(jsonl_entry(r.appended, input, r.files));
    }
    for (const auto& d : r.duplicates)
      print_jsonl(jsonl_duplicate(d.input, d.sha256, d.duplicate_of));
    print_jsonl(jsonl_summary(0, committed, {}, r.duplicates.size()));
  } else if (g.json) {
    manifest::Json files = manifest::Json::array();
    for (const auto& f : r.files) {
      files.push_back(manifest::Json{{"path", f.path},
                                     {"sha256", f.sha256},
                                     {"size", f.size},
                                     {"role", f.role.empty() ? manifest::Json() : manifest::Json(f.role)},
                                     {"source_path", f.source_path}});
    }
    g.out["entry"] = r.committed ? manifest::Json(r.appended.entry_dir) : manifest::Json(); // kept for one release: "dir"
    g.out["dir"] = r.committed ? manifest::Json(r.appended.entry_dir) : manifest::Json();
    g.out["files"] = files;
    g.out["file_count"] = files.size();
    g.out["committed"] = committed.to_json();
    g.out["duplicates"] = duplicates;
  } else {
    for (const auto& f : r.files)
      std::cout << "  " << f.sha256 << "  " << f.size << "  " << util::terminal_text(f.path, false) << "\n";
    for (const auto& d : r.duplicates)
      std::cout << "  " << d.sha256 << "  already in the case (seq " << d.duplicate_of << "): " << util::terminal_text(d.input, false)
                << "\n";
    if (!r.committed) std::cout << "  nothing new: every file is already in the case; nothing was appended\n";
    print_receipt(receipt);
  }
  return 0;
}

} // namespace

void setup_add_file(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<AddFileArgs>();
  CLI::App* sub = app.add_subcommand("add-file", "Store files (screenshots, photos, exports, recordings) as one entry");
  sub->add_option("FILE", args->files, "Files to store; all of them or none")->required();
  add_context_options(*sub, args->context, true);
  sub->add_flag("--follow-symlinks", args->follow_symlinks, "Store the file a symbolic link points to (both are recorded)");
  sub->add_option("--examiner", args->examiner, "Who adds this entry (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->add_flag("--skip-existing", args->skip_existing,
                "Leave out a file whose SHA-256 is already an original in the case (reported as a duplicate of that entry)");
  sub->add_flag("--jsonl", args->jsonl,
                "Print one JSON line for the entry once committed, then a summary line (instead of text or --json)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_add_file(*args, g); }; });
}

} // namespace cbkit::cli
