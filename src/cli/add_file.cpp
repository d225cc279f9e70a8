#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct AddFileArgs {
  std::vector<std::string> files;
  ContextArgs context;
  bool follow_symlinks = false;
  std::string examiner;
};

int run_add_file(const AddFileArgs& args, const GlobalOptions& g) {
  store::AddFileOptions options;
  options.context = to_context(args.context, g);
  for (const auto& f : args.files)
    options.files.emplace_back(f);
  options.follow_symlinks = args.follow_symlinks;
  options.examiner = examiner_or_env(args.examiner);
  options.lock_timeout = g.lock_timeout();
  const store::Case c = open_case(g);
  // Every input is checked before anything is stored, so all the bad ones are named at once.
  check_inputs(args.files, args.follow_symlinks, g.out);
  const store::AddFileResult r = store::add_files(c, options);
  g.out.add_appended(r.appended, r.files);

  if (g.json) {
    manifest::Json files = manifest::Json::array();
    for (const auto& f : r.files) {
      files.push_back(manifest::Json{{"path", f.path},
                                     {"sha256", f.sha256},
                                     {"size", f.size},
                                     {"role", f.role.empty() ? manifest::Json() : manifest::Json(f.role)},
                                     {"source_path", f.source_path}});
    }
    g.out["entry"] = r.appended.entry_dir; // kept for one release: "dir"
    g.out["dir"] = r.appended.entry_dir;
    g.out["files"] = files;
    g.out["file_count"] = files.size();
  } else {
    for (const auto& f : r.files)
      std::cout << "  " << f.sha256 << "  " << f.size << "  " << util::terminal_text(f.path, false) << "\n";
    print_receipt(r.appended);
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
  sub->callback([&action, &g, args] { action = [&g, args] { return run_add_file(*args, g); }; });
}

} // namespace cbkit::cli
