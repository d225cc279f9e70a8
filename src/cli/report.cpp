#include "cbkit/report/report.hpp"
#include "cbkit/error.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct ReportArgs {
  std::string lang = "en";
  std::string format;
  std::string out;
  bool record = false;
  bool no_verify = false;
  std::string examiner;
  std::string browser;
  std::string what = "complaint";
};

// --format, else the extension of --out, else HTML.
report::Format choose_format(const ReportArgs& args) {
  if (!args.format.empty()) {
    const auto f = report::parse_format(args.format);
    if (!f)
      throw Error(ErrorKind::usage, "--format '" + util::utf8_lossy(args.format) + "': unknown format; use html, pdf, md, txt or json");
    return *f;
  }
  const std::string ext = util::to_lower_ascii(std::filesystem::path(args.out).extension().string());
  if (ext == ".md" || ext == ".markdown") return report::Format::markdown;
  if (ext == ".txt") return report::Format::text;
  if (ext == ".json") return report::Format::json;
  if (ext == ".pdf") return report::Format::pdf;
  return report::Format::html;
}

int run_report(const ReportArgs& args, const GlobalOptions& g) {
  const auto lang = report::parse_lang(args.lang);
  if (!lang) throw Error(ErrorKind::usage, "--lang '" + util::utf8_lossy(args.lang) + "': unknown language; use en, nl, fr or de");
  report::Options options;
  options.lang = *lang;
  options.format = choose_format(args);
  options.browser = args.browser;
  const auto what = report::parse_template(args.what);
  if (!what)
    throw Error(ErrorKind::usage, "--template '" + util::utf8_lossy(args.what) + "': unknown template; use complaint or identification");
  options.what = *what;
  // A recorded report is the case's report (the one a seal puts in the archive): the annex
  // is written to a file or printed, not recorded.
  if (options.what == report::Template::identification && args.record)
    throw Error(ErrorKind::usage, "--template identification: --record stores the complaint report only; use --out FILE");
  // A PDF is binary: it goes to a file (or into the case), never to the terminal.
  if (options.format == report::Format::pdf && args.out.empty() && !args.record)
    throw Error(ErrorKind::usage, "--format pdf: give --out FILE.pdf (a PDF is not written to standard output)");
  if (args.out == "-") throw Error(ErrorKind::usage, "--out -: leave --out away to print the report on standard output");

  const store::Case c = open_case(g);
  report::CaseModel model;
  std::string content;
  std::optional<report::Recorded> recorded;
  const auto make = [&] {
    model = report::load_case(c.root(), !args.no_verify);
    content = report::render_report(model, options);
    if (!args.out.empty()) util::write_file_atomic(args.out, content, 0644, true);
    if (args.record) {
      report::RecordOptions ro;
      ro.examiner = examiner_or_env(args.examiner);
      ro.lock_timeout = g.lock_timeout();
      recorded = report::record_report(c, model, content, options, ro);
    }
    return 0;
  };
  // A recorded report must describe the head it follows: when another command appends while
  // it is made, it is made again from the new state.
  if (args.record) {
    store::retry_on_head_move(3, "report --record", make);
  } else {
    make();
  }

  if (recorded) {
    g.out.add_appended(recorded->appended, recorded_files(c, recorded->appended));
  } else {
    g.out.set_head(model.head, model.seq);
  }
  if (g.json) {
    manifest::Json& j = g.out.fields();
    j["lang"] = report::lang_code(options.lang);
    j["format"] = report::format_name(options.format);
    j["describes"] = manifest::Json{{"seq", model.seq}, {"head", model.head}};
    j["size"] = content.size();
    j["sha256"] = util::sha256_hex(content);
    j["out"] = args.out.empty() ? manifest::Json(nullptr) : manifest::Json(util::utf8_lossy(args.out));
    if (recorded) {
      j["recorded"] = manifest::Json{{"path", recorded->path}, {"head", recorded->appended.head}, {"seq", recorded->appended.seq}};
    } else {
      j["recorded"] = nullptr;
    }
    if (args.out.empty() && !recorded) j["content"] = content;
    return 0;
  }
  if (!args.out.empty() || recorded) {
    if (!args.out.empty()) std::cout << "wrote " << util::utf8_lossy(args.out) << " (" << content.size() << " bytes)\n";
    if (recorded) {
      std::cout << "  " << recorded->sha256 << "  " << recorded->size << "  " << recorded->path << "\n";
      print_receipt(recorded->appended);
    }
    return 0;
  }
  std::cout << content;
  std::cout.flush();
  if (!std::cout) throw Error(ErrorKind::io, "standard output: write failed");
  return 0;
}

} // namespace

void setup_report(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* sub = app.add_subcommand(
      "report", "Write the case report for the police (HTML, PDF, Markdown, text or JSON; English, Dutch, French or German)");
  sub->add_option("--lang", args->lang, "Language: en, nl, fr or de (default en)");
  sub->add_option(
      "--format", args->format,
      "html, pdf (the HTML printed by headless Chromium, A4; needs --out or --record), md, txt or json (the report's content as "
      "data, cbkit-report-json(5)); default: from the --out extension, else html");
  sub->add_option("--template", args->what,
                  "complaint (default: the whole case for the police) or identification (the annex to identify an anonymous "
                  "sender: per suspect identifier its incidents, exact times and evidence)");
  sub->add_option("--out", args->out, "Write the report to FILE (replaced if it exists) instead of standard output");
  sub->add_flag("--record", args->record, "Also store the report in the case as an entry of kind report");
  sub->add_option("--browser", args->browser, "The browser that prints --format pdf (default: chromium on PATH)");
  sub->add_flag("--no-verify", args->no_verify, "Do not re-hash every stored file (the exhibit index then shows no check)");
  sub->add_option("--examiner", args->examiner, "Who records the report (--record; default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_report(*args, g); }; });
}

} // namespace cbkit::cli
