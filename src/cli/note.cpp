#include "cbkit/error.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <iterator>
#include <memory>

namespace cbkit::cli {

namespace {

struct NoteArgs {
  std::string text;
  ContextArgs context;
  std::string examiner;
};

// Reads at most one byte more than a note may hold, so an oversized input is refused
// without reading it all.
std::string read_stdin_bounded() {
  std::string text;
  char buf[65536];
  while (text.size() <= store::k_max_note_bytes && std::cin.read(buf, sizeof buf).gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
  }
  if (std::cin.bad()) throw Error(ErrorKind::input, "standard input: read failed");
  return text;
}

int run_note(const NoteArgs& args, const GlobalOptions& g) {
  store::NoteOptions options;
  options.context = to_context(args.context, g);
  options.examiner = examiner_or_env(args.examiner);
  options.lock_timeout = g.lock_timeout();
  const store::Case c = open_case(g);
  options.text = args.text == "-" ? read_stdin_bounded() : args.text;
  const manifest::Appended a = store::add_note(c, options);
  g.out.add_appended(a);
  if (!g.json) {
    print_receipt(a);
  }
  return 0;
}

} // namespace

void setup_note(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<NoteArgs>();
  CLI::App* sub = app.add_subcommand("note", "Record an observation (a call, a report number, what was seen)");
  sub->add_option("TEXT", args->text, "The note, or - to read it from standard input")->required();
  add_context_options(*sub, args->context, false);
  sub->add_option("--examiner", args->examiner, "Who adds this entry (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_note(*args, g); }; });
}

} // namespace cbkit::cli
