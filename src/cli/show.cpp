#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct ShowArgs {
  std::string seq_text;
  std::uint64_t seq = 0;
};

std::string scalar_text(const manifest::Json& v) {
  return v.is_string() ? util::utf8_lossy(v.get<std::string>()) : v.dump(-1, ' ', false, manifest::Json::error_handler_t::replace);
}

// Prints any JSON value as indented "key: value" lines, for kinds this view has no
// special layout for (and for nested objects).
void print_tree(const std::string& key, const manifest::Json& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    std::cout << pad << key << ":\n";
    for (const auto& [k, child] : v.items())
      print_tree(k, child, indent + 2);
  } else if (v.is_array() && !v.empty() && (v.front().is_object() || v.front().is_array())) {
    std::cout << pad << key << ":\n";
    std::size_t i = 0;
    for (const auto& child : v)
      print_tree("[" + std::to_string(i++) + "]", child, indent + 2);
  } else if (v.is_array()) {
    std::string joined;
    for (const auto& child : v)
      joined += (joined.empty() ? "" : ", ") + scalar_text(child);
    std::cout << pad << key << ": " << joined << "\n";
  } else {
    std::cout << pad << key << ": " << scalar_text(v) << "\n";
  }
}

void print_human(const manifest::Json& line, const std::string& hash, const store::Case& c) {
  auto str = [](const manifest::Json& obj, const char* key) {
    return obj.is_object() && obj.contains(key) && obj[key].is_string() ? util::utf8_lossy(obj[key].get<std::string>()) : std::string();
  };
  std::cout << "entry " << scalar_text(line.value("seq", manifest::Json())) << " (" << str(line, "kind") << ")\n";
  std::cout << "  hash:  " << hash << "\n";
  std::cout << "  prev:  " << str(line, "prev") << "\n";
  const std::string time = str(line, "time");
  std::cout << "  time:  " << time;
  std::string tz;
  try {
    tz = c.info().timezone;
  } catch (const Error&) {
  }
  if (const auto t = util::parse_rfc3339(time); t && !tz.empty()) std::cout << "  = " << util::format_in_zone(t->epoch_seconds, tz);
  std::cout << "\n";
  if (line.contains("actor")) {
    const auto& a = line["actor"];
    std::cout << "  actor: " << str(a, "examiner") << " (user " << str(a, "user") << " on " << str(a, "host") << ")\n";
  }
  if (line.contains("tool")) std::cout << "  tool:  " << str(line["tool"], "name") << " " << str(line["tool"], "version") << "\n";

  for (const auto& [key, value] : line.items()) {
    if (key == "seq" || key == "prev" || key == "time" || key == "kind" || key == "actor" || key == "tool" || key == "files") continue;
    print_tree(key, value, 2);
  }
  if (line.contains("files") && line["files"].is_array() && !line["files"].empty()) {
    std::cout << "  files (" << line["files"].size() << "):\n";
    for (const auto& f : line["files"]) {
      std::cout << "    " << str(f, "path") << "\n";
      for (const auto& [key, value] : f.items()) {
        if (key != "path") std::cout << "      " << key << ": " << scalar_text(value) << "\n";
      }
    }
  }
}

int run_show(ShowArgs args, const GlobalOptions& g) {
  // Parsed here rather than by CLI11 so that "-1" or "3x" get a message naming them.
  const std::string& t = args.seq_text;
  if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) {
    throw Error(ErrorKind::usage,
                "show '" + util::utf8_lossy(t) + "': not an entry number (a seq such as 0, 1, 2 as listed by 'cbkit log')");
  }
  args.seq = std::stoull(t);
  const store::Case c = open_case(g);
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (reader.next(raw)) {
    if (raw.index != args.seq) continue;
    const auto j = raw.too_long ? std::nullopt : manifest::parse_line(raw.bytes);
    if (!j) {
      throw Error(ErrorKind::case_,
                  c.manifest_path().string() + ": line " + std::to_string(args.seq) + " is not a valid manifest entry; run 'cbkit verify'");
    }
    if (g.json) {
      manifest::Json out = manifest::Json::object();
      out["seq"] = args.seq;
      out["hash"] = raw.sha256;
      out["entry"] = *j;
      print_json(out);
    } else {
      print_human(*j, raw.sha256, c);
    }
    return 0;
  }
  throw Error(ErrorKind::case_, "entry " + std::to_string(args.seq) + ": no such entry in " + c.manifest_path().string() + " (it has " +
                                    std::to_string(raw.index) + " entries, 0 to " + std::to_string(raw.index == 0 ? 0 : raw.index - 1) +
                                    "); see 'cbkit log'");
}

} // namespace

void setup_show(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<ShowArgs>();
  CLI::App* sub = app.add_subcommand("show", "Show one entry with its files and hashes");
  sub->add_option("SEQ", args->seq_text, "Entry number (seq), as listed by 'cbkit log'")->required();
  sub->callback([&action, &g, args] { action = [&g, args] { return run_show(*args, g); }; });
}

} // namespace cbkit::cli
