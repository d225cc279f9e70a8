#pragma once

// The checks of one case's content, shared by verify_case (a folder) and verify_archive (a
// stream): the caller feeds the manifest's lines in order, then says what it found for each
// recorded file; the Checker keeps the findings, the line hashes for the Merkle checks and
// each entry's content check.

#include "cbkit/manifest/reader.hpp"
#include "cbkit/verify/entry_check.hpp"
#include "cbkit/verify/verify.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cbkit::verify {

struct RecordedFile {
  std::string path;
  std::string sha256;
  std::uint64_t size;
  std::uint64_t seq;
};

class Checker {
public:
  explicit Checker(const Options& options);

  void add(const std::string& code, std::optional<std::uint64_t> seq, const std::string& path, const std::string& message,
           Severity severity = Severity::error);

  // Checks 1 (line, chain) for the next manifest line.
  void line(const manifest::RawLine& raw);
  // After the last line: an empty manifest is a finding.
  void end_manifest();

  const std::vector<RecordedFile>& files() const { return m_files; }
  const RecordedFile* recorded(const std::string& path) const;
  // The content check that wants this file's bytes, or nullptr.
  EntryCheck* content_check(const RecordedFile& f) const;
  // Records what was read of a recorded file: counts it, reports size and hash mismatches.
  void file_read(const RecordedFile& f, std::uint64_t size, const std::string& sha256);

  // Runs every content check's finish(), then fills the seal summaries and the entries
  // after the last seal.
  void finish_checks();
  // The --expect-head result; call last.
  void finish_expect_head();

  // The newest report entry's HTML file, when there is one.
  const RecordedFile* report_html() const { return m_report_html ? &*m_report_html : nullptr; }
  // Seq and kind of the last line that parsed.
  const std::string& last_kind() const { return m_last_kind; }

  Report& report() { return m_report; }
  Report take() { return std::move(m_report); }

private:
  void check_line(const manifest::RawLine& raw, std::uint64_t at);
  void record_file(const manifest::Json& f, std::uint64_t at, const std::string& where, const std::string& area);

  Options m_options;
  Report m_report;
  std::string m_prev;
  std::optional<std::int64_t> m_prev_time;
  std::map<std::string, std::uint64_t> m_recorded_at;
  std::map<std::string, std::size_t> m_file_index;
  std::vector<RecordedFile> m_files;
  std::vector<std::string> m_line_hashes;
  std::vector<std::string> m_leaf_hashes;
  std::vector<std::pair<std::uint64_t, std::unique_ptr<EntryCheck>>> m_checks;
  std::map<std::uint64_t, EntryCheck*> m_check_of_seq;
  std::vector<SealSummary> m_seals;
  std::vector<std::pair<std::uint64_t, std::string>> m_after_seal;
  std::optional<RecordedFile> m_report_html;
  std::string m_last_kind;
};

} // namespace cbkit::verify
