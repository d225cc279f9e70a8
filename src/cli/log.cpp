#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

int run_log(const GlobalOptions& g) {
  const store::Case c = open_case(g);
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  manifest::Json entries = manifest::Json::array();
  std::uint64_t bad = 0;
  std::string head;
  std::uint64_t last_seq = 0;
  bool last_seq_known = false; // a plain pair: GCC 12 warns falsely on optional here
  if (!g.json) std::cout << "   SEQ  TIME (UTC)                   KIND       FILES  SUMMARY\n";
  while (reader.next(raw)) {
    head = raw.sha256;
    const auto j = raw.has_lf && !raw.too_long ? manifest::parse_line(raw.bytes) : std::nullopt;
    if (!j) {
      ++bad;
      if (g.json) {
        entries.push_back(manifest::Json{{"seq", raw.index}, {"hash", raw.sha256}, {"invalid", true}});
      } else {
        std::printf("%6llu  %-27s  %-9s  %5s  %s\n", static_cast<unsigned long long>(raw.index), "?", "?", "?",
                    raw.has_lf ? "(not a valid manifest line)" : "(torn line: no final LF)");
      }
      last_seq_known = false;
      continue;
    }
    const auto& line = *j;
    const std::uint64_t seq = line.contains("seq") && line["seq"].is_number_unsigned() ? line["seq"].get<std::uint64_t>() : raw.index;
    last_seq = seq;
    last_seq_known = true;
    const std::string time = string_field(line, "time", "?");
    const std::string kind = string_field(line, "kind", "?");
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
    if (line.contains("files") && line["files"].is_array()) {
      for (const auto& f : line["files"]) {
        ++count;
        if (f.is_object() && f.contains("size") && f["size"].is_number_unsigned()) bytes += f["size"].get<std::uint64_t>();
      }
    }
    // The table keeps rows short; scripts get the whole summary (bounded: a note may be 1 MiB).
    const std::string summary = kinds::summarize(line, g.json ? 4096 : 100);
    if (g.json) {
      entries.push_back(manifest::Json{{"seq", seq},
                                       {"time", time},
                                       {"kind", kind},
                                       {"files", count}, // kept for one release: "file_count"
                                       {"file_count", count},
                                       {"bytes", bytes},
                                       {"summary", summary},
                                       {"hash", raw.sha256}});
    } else {
      std::printf("%6llu  %-27s  %-9s  %5llu  %s\n", static_cast<unsigned long long>(seq), util::one_line(time, 27).c_str(),
                  util::one_line(kind, 9).c_str(), static_cast<unsigned long long>(count), summary.c_str());
    }
  }
  if (bad > 0) {
    g.out.warn("invalid-lines", std::to_string(bad) + " line(s) are not valid manifest entries; run 'cbkit verify'",
               c.manifest_path().string());
    std::cerr << "cbkit: warning: " << c.manifest_path().string() << ": " << bad
              << " line(s) are not valid manifest entries; run 'cbkit verify'\n";
  }
  if (g.json) {
    g.out["head"] = head.empty() ? manifest::Json() : manifest::Json(head);
    g.out["seq"] = last_seq_known ? manifest::Json(last_seq) : manifest::Json();
    g.out["entry_count"] = entries.size();
    g.out["entries"] = std::move(entries);
  } else if (!head.empty()) {
    std::cout << "head " << head;
    if (last_seq_known) std::cout << " seq " << last_seq;
    std::cout << "\n";
  }
  return 0;
}

} // namespace

void setup_log(CLI::App& app, const GlobalOptions& g, Action& action) {
  CLI::App* sub = app.add_subcommand("log", "List the entries of the case");
  sub->callback([&action, &g] { action = [&g] { return run_log(g); }; });
}

} // namespace cbkit::cli
