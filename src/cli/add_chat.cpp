#include "cbkit/chat/add_chat.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"
#include "cli/progress.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct AddChatArgs {
  std::string input;
  std::string tz;
  std::string date_order;
  std::string self;
  std::optional<std::uint64_t> from_person;
  std::optional<std::uint64_t> about_person;
  std::string note;
  std::string examiner;
  bool skip_existing = false;
  bool jsonl = false;
};

int run_add_chat(const AddChatArgs& args, const GlobalOptions& g) {
  chat::AddChatOptions o;
  o.input = args.input;
  o.tz = args.tz;
  o.date_order = args.date_order;
  o.self = args.self;
  o.from_person = args.from_person;
  o.about_person = args.about_person;
  o.note = args.note;
  o.examiner = examiner_or_env(args.examiner);
  o.lock_timeout = g.lock_timeout();
  o.skip_existing = args.skip_existing;
  const store::Case c = open_case(g);
  if (args.jsonl && g.json) throw Error(ErrorKind::usage, "--jsonl: not with --json; choose the stream (--jsonl) or one document (--json)");
  chat::AddChatResult r;
  try {
    r = chat::add_chat(c, o);
  } catch (const Error& e) {
    // One entry, all or nothing: nothing was committed.
    if (args.jsonl) print_jsonl(jsonl_summary(e.exit_code(), CommittedRange{}, {util::utf8_lossy(args.input)}, 0, e.what()));
    throw;
  }
  CommittedRange committed;
  if (r.duplicate_of) {
    // Nothing appended: the receipt is the case's head as it stands.
    const manifest::Tail tail = manifest::read_tail(c.manifest_path());
    g.out.set_head(tail.head, tail.seq);
    if (args.jsonl) {
      print_jsonl(jsonl_duplicate(util::utf8_lossy(args.input), r.sha256, *r.duplicate_of));
      print_jsonl(jsonl_summary(0, committed, {}, 1));
    } else if (g.json) {
      g.out["entry"] = nullptr;
      g.out["dir"] = nullptr;
      g.out["chat"] = nullptr;
      g.out["files"] = manifest::Json::array();
      g.out["file_count"] = 0;
      g.out["committed"] = committed.to_json();
      g.out["duplicates"] = manifest::Json::array(
          {manifest::Json{{"input", util::utf8_lossy(args.input)}, {"sha256", r.sha256}, {"duplicate_of", *r.duplicate_of}}});
    } else {
      std::cout << "  " << r.sha256 << "  already in the case (seq " << *r.duplicate_of << "): " << util::terminal_text(args.input, false)
                << "\n  nothing new; nothing was appended\n";
      print_receipt(manifest::Appended{tail.seq, tail.head, ""});
    }
    return 0;
  }
  committed.add(r.appended);
  g.out.add_appended(r.appended, r.files);
  if (const auto n = r.chat.value("unresolved_times", std::uint64_t{0}); n > 0) {
    g.out.warn("unresolved-times", std::to_string(n) + " message time(s) could not be resolved in " + string_field(r.chat, "zone") +
                                       " (clock change); they are kept as written, without a UTC time");
  }
  if (args.jsonl) {
    print_jsonl(jsonl_entry(r.appended, util::utf8_lossy(args.input), r.files));
    print_jsonl(jsonl_summary(0, committed, {}, 0));
  } else if (g.json) {
    manifest::Json files = manifest::Json::array();
    for (const auto& f : r.files) {
      manifest::Json j{{"path", f.path}, {"sha256", f.sha256}, {"size", f.size}, {"role", f.role}};
      if (!f.name.empty()) j["name"] = f.name;
      files.push_back(std::move(j));
    }
    g.out["entry"] = r.appended.entry_dir; // kept for one release: "dir"
    g.out["dir"] = r.appended.entry_dir;
    g.out["chat"] = r.chat;
    g.out["files"] = files;
    g.out["file_count"] = files.size();
    g.out["committed"] = committed.to_json();
    g.out["duplicates"] = manifest::Json::array();
  } else {
    const auto& ch = r.chat;
    std::cout << "  " << util::terminal_text(string_field(ch, "platform"), false) << " chat ("
              << util::terminal_text(string_field(ch, "variant"), false) << "): " << ch.value("message_count", std::uint64_t{0})
              << " messages, " << util::terminal_text(string_field(ch, "first_utc", "-"), false) << " .. "
              << util::terminal_text(string_field(ch, "last_utc", "-"), false) << " UTC";
    if (!string_field(ch, "zone").empty()) {
      std::cout << ", local times read in " << util::terminal_text(string_field(ch, "zone"), false)
                << (string_field(ch, "zone_source") == "option" ? " (--tz)"
                                                                : " (the case's zone: an assumption; --tz to give the phone's)");
    }
    std::cout << "\n";
    if (ch.value("defect_count", std::uint64_t{0}) > 0)
      std::cout << "  " << ch.value("defect_count", std::uint64_t{0}) << " defect(s) in the export: see messages.json\n";
    if (const auto n = ch.value("unresolved_times", std::uint64_t{0}); n > 0) {
      std::cerr << "cbkit: warning: " << n << " message time(s) could not be resolved in "
                << util::terminal_text(string_field(ch, "zone"), false)
                << " (the local time happens twice at the autumn clock change, or never in spring); they are kept as written, "
                   "without a UTC time: see 'cbkit show "
                << r.appended.seq << "'\n";
    }
    for (const auto& f : r.files)
      std::cout << "  " << f.sha256 << "  " << f.size << "  " << util::terminal_text(f.path, false) << "\n";
    print_receipt(r.appended);
  }
  return 0;
}

} // namespace

void setup_add_chat(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<AddChatArgs>();
  CLI::App* sub = app.add_subcommand(
      "add-chat", "Store a chat export (WhatsApp, Telegram, Instagram, Messenger) with its messages, one entry per conversation");
  sub->add_option("INPUT", args->input,
                  "The export: a .txt or .json file, a .zip, or a folder (Telegram Desktop export, Instagram/Facebook thread)")
      ->required();
  sub->add_option("--tz", args->tz,
                  "The time zone of the phone that made the export (default: the case's zone, recorded as an assumption)");
  sub->add_option("--date-order", args->date_order, "WhatsApp dates: day-first or month-first, when the export cannot tell")
      ->check(CLI::IsMember({"day-first", "month-first"}));
  sub->add_option("--self", args->self, "The export owner's name as the export writes it");
  sub->add_option("--from-person", args->from_person, "The person entry (seq) on whose device the export was made");
  sub->add_option("--about-person", args->about_person,
                  "The person entry (seq) the conversation is with, e.g. the suspect (the report's checklist counts it)");
  sub->add_option("--note", args->note, "A note about this export");
  sub->add_option("--examiner", args->examiner, "Who adds this entry (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->add_flag("--skip-existing", args->skip_existing,
                "Store nothing when the export's original files are already in the case (reported as a duplicate of that entry)");
  sub->add_flag("--jsonl", args->jsonl,
                "Print one JSON line for the entry once committed, then a summary line (instead of text or --json)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_add_chat(*args, g); }; });
}

} // namespace cbkit::cli
