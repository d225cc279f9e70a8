#pragma once

#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/ingest.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace cbkit::cli {

// Options every subcommand accepts (given before or after the subcommand name).
struct GlobalOptions {
  std::optional<std::string> case_dir;
  bool json = false;
  double lock_timeout_seconds = 60;

  std::chrono::milliseconds lock_timeout() const { return std::chrono::milliseconds(static_cast<long long>(lock_timeout_seconds * 1000)); }
};

// The subcommand chosen on the command line sets this; run() calls it after parsing.
using Action = std::function<int()>;

// Finds the case from --case, $CBKIT_CASE or the working directory.
store::Case open_case(const GlobalOptions& g);

// The context options shared by add-file and note (--kind, --note, --source-url, ...).
struct ContextArgs {
  std::string kind;
  std::string note;
  std::string source_url;
  std::string observed_at;
  std::string platform;
  std::string account_id;
  std::optional<std::uint64_t> from_person;
  std::optional<std::uint64_t> about_person;
};
void add_context_options(CLI::App& sub, ContextArgs& args, bool with_note);
// --observed-at is RFC 3339 with an offset, or a local time read in the zone of the case
// of `g` (opened only then). Throws Error(usage) naming --observed-at when it is neither,
// or when the local time happens twice or never in that zone (clock changes).
store::Context to_context(const ContextArgs& args, const GlobalOptions& g);

// --examiner, else $CBKIT_EXAMINER, else empty (the case's examiner).
std::string examiner_or_env(const std::string& given);

// Prints JSON to stdout (2-space indent, invalid UTF-8 replaced).
void print_json(const manifest::Json& j);

// Prints the receipt line "head <hex> seq <n>".
void print_receipt(const manifest::Appended& a);

// obj[key] when obj is an object holding a string there, else `fallback`.
std::string string_field(const manifest::Json& obj, const char* key, const std::string& fallback = "");

void setup_init(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_add_file(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_add_email(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_note(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_log(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_show(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_verify(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_keygen(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_decrypt(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_seal(CLI::App& app, const GlobalOptions& g, Action& action); // seal and pack
void setup_prove(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_verify_proof(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_capture_url(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_report(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_timestamp(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_person(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_add_call(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_add_chat(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_checklist(CLI::App& app, const GlobalOptions& g, Action& action);
void setup_export_wacz(CLI::App& app, const GlobalOptions& g, Action& action);

} // namespace cbkit::cli
