#pragma once

// What a report is made of: the case's manifest lines as stored, plus the derived files the
// report reads (an e-mail's headers.json, a capture's capture.json), and the result of
// checking every recorded file. Building it reads the case; it never writes to it.

#include "cbkit/manifest/line.hpp"
#include "cbkit/verify/verify.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::report {

struct ModelEntry {
  std::uint64_t seq = 0;
  std::string kind; // as written; unknown kinds are kept
  std::string time; // the line's time (UTC)
  manifest::Json line;
  // headers.json of an e-mail, capture.json of a web capture, messages.json of a chat, when
  // recorded and intact.
  std::optional<manifest::Json> derived;
  std::string derived_path;    // its case-relative path, when the entry records one
  std::string derived_problem; // why it could not be used (missing, hash mismatch, not JSON)
};

struct CaseModel {
  std::filesystem::path root;
  // Line 0.
  std::string case_id, title, examiner, organisation, timezone, utc_offset, created;
  std::vector<ModelEntry> entries;     // every line, seq order, line 0 included
  std::string head;                    // SHA-256 of the last line read
  std::uint64_t seq = 0;               // its seq
  std::optional<verify::Report> check; // verify_case() at report time, when asked for
};

// Reads every line of the case at `root` and the derived files it needs. With `run_verify`,
// also runs verify::verify_case (hashes every recorded file). Throws Error(case_) naming the
// line when the manifest is empty, torn or holds a line that is not a JSON object with the
// common keys (run `cbkit verify` to see why).
CaseModel load_case(const std::filesystem::path& root, bool run_verify);

// The bytes of a recorded file (`file` is an element of the "files" of a line of `kind`), when
// store::read_recorded's checks hold (safe path, at most `max_size` bytes, recorded size and
// SHA-256); nullopt otherwise.
std::optional<std::string> read_recorded_file(const std::filesystem::path& root, const std::string& kind, const manifest::Json& file,
                                              std::uint64_t max_size);

} // namespace cbkit::report
