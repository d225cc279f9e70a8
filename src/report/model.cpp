#include "cbkit/report/model.hpp"

#include "cbkit/store/recorded.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/sha256.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::report {

namespace fs = std::filesystem;
using manifest::Json;

namespace {

// Derived files larger than this are not read into the report (headers.json stays far below).
constexpr std::uint64_t k_max_derived = 64u << 20;

// Finds the entry's derived file and loads it when intact.
void load_derived(const fs::path& root, ModelEntry& e) {
  if (!e.line.contains("files") || !e.line["files"].is_array()) return;
  const Json* chosen = nullptr;
  for (const Json& f : e.line["files"]) {
    const std::string path = util::string_field(f, "path");
    const bool is_headers = e.kind == "email" && (util::string_field(f, "role") == "headers" || path.ends_with("/headers.json"));
    const bool is_capture = e.kind == "web" && path.ends_with("/capture.json");
    const bool is_messages = e.kind == "chat" && util::string_field(f, "role") == "messages";
    if (is_headers || is_capture || is_messages) {
      chosen = &f;
      break;
    }
  }
  if (chosen == nullptr) return;
  e.derived_path = util::string_field(*chosen, "path");
  const store::RecordedBytes read = store::read_recorded(root, *chosen, e.kind, k_max_derived);
  if (!read.bytes) {
    e.derived_problem = read.problem;
    return;
  }
  const auto& bytes = read.bytes;
  auto j = util::parse_untrusted_json(*bytes);
  if (!j || !j->is_object()) {
    e.derived_problem = util::json_too_deep(*bytes) ? "nested too deeply" : "not a JSON object";
    return;
  }
  e.derived = std::move(*j);
}

} // namespace

std::optional<std::string> read_recorded_file(const fs::path& root, const std::string& kind, const Json& file, std::uint64_t max_size) {
  return store::read_recorded(root, file, kind, max_size).bytes;
}

CaseModel load_case(const fs::path& root, bool run_verify) {
  CaseModel m;
  m.root = root;
  const fs::path manifest_path = root / manifest::k_manifest_name;
  manifest::LineReader reader(manifest_path);
  manifest::RawLine raw;
  while (reader.next(raw)) {
    // Lines are numbered from 0, as seq and verify number them.
    const std::string where = "manifest.jsonl line " + std::to_string(raw.index);
    if (!raw.has_lf)
      throw Error(ErrorKind::case_, where + ": torn (no line feed at the end); run 'cbkit verify' and repair the case first");
    if (raw.too_long) throw Error(ErrorKind::case_, where + ": longer than the 16 MiB a line may have; run 'cbkit verify'");
    auto j = manifest::parse_line(raw.bytes);
    if (!j || !j->is_object() || !(*j)["seq"].is_number_unsigned() || !(*j)["kind"].is_string() || !(*j)["time"].is_string()) {
      throw Error(ErrorKind::case_, where + ": not a manifest line (JSON object with seq, kind and time); run 'cbkit verify'");
    }
    ModelEntry e;
    e.seq = (*j)["seq"].get<std::uint64_t>();
    e.kind = (*j)["kind"].get<std::string>();
    e.time = (*j)["time"].get<std::string>();
    e.line = std::move(*j);
    load_derived(root, e);
    m.head = raw.sha256;
    m.seq = e.seq;
    m.entries.push_back(std::move(e));
  }
  if (m.entries.empty()) throw Error(ErrorKind::case_, manifest_path.string() + ": empty; not a cbkit case");
  const Json& first = m.entries.front().line;
  if (m.entries.front().kind != "case" || !first.contains("case") || !first["case"].is_object()) {
    throw Error(ErrorKind::case_, "manifest.jsonl line 0: does not open a case (kind case); run 'cbkit verify'");
  }
  const Json& c = first["case"];
  m.case_id = util::string_field(c, "id");
  m.title = util::string_field(c, "title");
  m.examiner = util::string_field(c, "examiner");
  m.organisation = util::string_field(c, "organisation");
  m.timezone = util::string_field(c, "timezone");
  if (m.timezone.empty()) m.timezone = "UTC";
  m.utc_offset = util::string_field(c, "utc_offset");
  m.created = util::string_field(c, "created");
  if (run_verify) m.check = verify::verify_case(root, verify::Options{});
  return m;
}

} // namespace cbkit::report
