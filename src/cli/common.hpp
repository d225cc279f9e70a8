#pragma once

#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/ingest.hpp"

#include "cbkit/error.hpp"
#include "cbkit/store/entry.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::cli {

// The version of the --json document's layout (cbkit-json(5), schema/*.schema.json). A
// field is only ever added within one version; renaming or removing one makes a new version.
inline constexpr const char* k_json_format = "cbkit-json/1";

// The one --json document of every command (cbkit-json(5)): the envelope fields that every
// command shares (format_version, ok, command, case, case_id, appended, head, seq, warnings,
// refused, and on failure error), then the command's own fields. A command fills it as it
// goes (set_case as soon as it has the case, add_appended after each commit) and prints it
// once with print(); when it throws instead, run() prints the same envelope with `error`,
// so what was committed before the failure still reaches the script, in one document.
class Envelope {
public:
  std::string command; // the subcommand's name, set by run()

  // The case the command works on: `case` (its folder) and `case_id` (from line 0, when
  // it can be read).
  void set_case(const store::Case& c);
  // One committed entry: appended[] gets {seq, head, dir, files} and head/seq follow it.
  void add_appended(const manifest::Appended& a, const std::vector<store::FileRecord>& files = {});
  // The case's head and seq after the command (for a command that reads a case).
  void set_head(const std::string& head, std::uint64_t seq);
  // Something the user should know that did not stop the command (also said on stderr).
  void warn(const std::string& code, const std::string& message, const std::string& input = "");
  // An input that was not taken, and why (refused[]).
  void refuse(const std::string& input, const std::string& code, const std::string& message);
  const manifest::Json& refused() const { return m_refused; }

  // The command's own fields, printed after the envelope's (a key the envelope also has
  // keeps the envelope's place and takes this value).
  manifest::Json& fields() { return m_fields; }
  manifest::Json& operator[](const char* key) { return m_fields[key]; }

  // The document with ok = `ok` (no error object).
  manifest::Json document(bool ok) const;
  // The document of a failure: ok false and error {code, exit, input, message, hint,
  // recorded}. `recorded` says whether the failure itself left an entry in the case.
  manifest::Json failure(const Error& e, bool recorded = false) const;
  // Prints document(ok) on stdout (once; later calls print nothing).
  void print(bool ok = true);
  void print_failure(const Error& e, bool recorded = false);
  bool printed() const { return m_printed; }

private:
  std::optional<std::string> m_case;
  std::optional<std::string> m_case_id;
  manifest::Json m_appended = manifest::Json::array();
  std::optional<std::string> m_head;
  std::optional<std::uint64_t> m_seq;
  manifest::Json m_warnings = manifest::Json::array();
  manifest::Json m_refused = manifest::Json::array();
  manifest::Json m_fields = manifest::Json::object();
  bool m_printed = false;
};

// The error object of the envelope: code (the exit code's name: usage, input, case, locked,
// io, interrupted, internal), exit, input (what the message names first: the text before
// its first ": ", null when it names nothing), message, hint (what to do: the text after its
// last "; ", null when it gives none).
manifest::Json error_json(ErrorKind kind, const std::string& message);
const char* error_code_name(ErrorKind kind);

// Text for stderr: one line whatever the input holds. Control characters are escaped (\n,
// \t, \xNN; C1 and bidirectional formatting characters as \u{NNNN}), invalid UTF-8 bytes
// as \xNN, so a file name with a newline or an escape sequence stays one readable line.
std::string stderr_text(std::string_view text);

// Thrown when several inputs were refused up front: run() prints one stderr line per
// refused input (from the envelope's refused[]) instead of this summary.
class InputsRefused : public Error {
public:
  explicit InputsRefused(const std::string& message) : Error(ErrorKind::input, message) {}
};

// Checks every path in `inputs` as evidence (store::open_evidence_source) before anything
// is stored; `skip` says which to leave to the command (e.g. "-" or folders). Refused inputs
// go into out.refused(); when one is refused its own error is rethrown (as before), when
// several are refused, InputsRefused naming how many.
void check_inputs(const std::vector<std::string>& inputs, bool follow_symlinks, Envelope& out,
                  const std::function<bool(const std::string&)>& skip = {});

// Options every subcommand accepts (given before or after the subcommand name).
struct GlobalOptions {
  std::optional<std::string> case_dir;
  bool json = false;
  double lock_timeout_seconds = 60;
  // The --json document being built; mutable so that commands, which get the options as
  // const, fill it (one per run()).
  mutable Envelope out;

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

// The JSON of recorded files as appended[].files and the commands' files[] show them:
// {path, sha256, size, role}; role null when the line records none (add-file's files).
manifest::Json files_json(const std::vector<store::FileRecord>& files);

// The files that the line `a` of case `c` records (for commands whose core returns only the
// receipt); empty when the line cannot be read. Reads the manifest up to that line.
std::vector<store::FileRecord> recorded_files(const store::Case& c, const manifest::Appended& a);

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
