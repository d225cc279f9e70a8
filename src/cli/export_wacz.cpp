#include "cbkit/capture/wacz.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct ExportWaczArgs {
  std::vector<std::uint64_t> seqs;
  std::string out;
  bool force = false;
};

int run_export_wacz(const ExportWaczArgs& args, const GlobalOptions& g) {
  capture::WaczOptions o;
  o.seqs = args.seqs;
  o.out = args.out;
  o.force = args.force;
  const store::Case c = open_case(g);
  const capture::WaczResult r = capture::export_wacz(c, o);
  if (g.json) {
    manifest::Json entries = manifest::Json::array();
    for (const auto& e : r.entries)
      entries.push_back(manifest::Json{{"seq", e.seq},
                                       {"url", e.url},
                                       {"warc", e.warc},
                                       {"path", e.archive_path},
                                       {"sha256", e.sha256},
                                       {"size", e.size},
                                       {"index_line_count", e.index_lines},
                                       {"page", e.page}});
    g.out["wacz"] = r.path.string();
    g.out["sha256"] = r.sha256;
    g.out["size"] = r.size;
    g.out["created"] = r.created;
    g.out["modified"] = r.modified;
    g.out["page_count"] = r.pages;
    g.out["index_line_count"] = r.index_lines;
    g.out["entries"] = entries;
    g.out["skipped"] = r.skipped;
  } else {
    for (const auto& e : r.entries)
      std::cout << "  " << e.sha256 << "  " << e.size << "  " << util::terminal_text(e.archive_path, false) << "  (seq " << e.seq << ", "
                << util::terminal_text(e.url, false) << ")\n";
    for (const auto seq : r.skipped)
      std::cout << "  seq " << seq << ": no WARC (a failed capture), not exported\n";
    std::cout << util::terminal_text(r.path.string(), false) << ": " << r.entries.size() << " capture(s), " << r.pages << " page(s), "
              << r.index_lines << " index line(s), " << r.size << " bytes, sha256 " << r.sha256 << "\n";
  }
  return 0;
}

} // namespace

void setup_export_wacz(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<ExportWaczArgs>();
  CLI::App* sub =
      app.add_subcommand("export-wacz", "Pack web captures into a WACZ file for replay in ReplayWeb.page (a copy, not evidence)");
  sub->add_option("SEQ", args->seqs, "The web entries to export (default: all of them)");
  sub->add_option("--out", args->out, "The .wacz file to write")->required();
  sub->add_flag("--force", args->force, "Replace --out when it exists");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_export_wacz(*args, g); }; });
}

} // namespace cbkit::cli
