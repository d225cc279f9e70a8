#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace cbkit::store {

namespace fs = std::filesystem;

// What line 0 says about the case.
struct CaseInfo {
  std::string id;
  std::string title;
  std::string examiner;
  std::string organisation;
  std::string timezone;
  std::string utc_offset;
};

// Options of `cbkit init`.
struct InitOptions {
  std::string case_id;  // empty: generated
  std::string examiner; // required
  std::string organisation;
  std::string title;
  std::string timezone; // empty: the collector's zone
};

// A case folder ("evidence locker") holding manifest.jsonl, evidence/ and seals/.
class Case {
public:
  // Finds the case like git finds a repository: `explicit_dir` (from --case or a
  // positional argument), else $CBKIT_CASE, else the nearest ancestor of the working
  // directory that holds manifest.jsonl. Throws Error(case_) when there is none.
  static Case discover(const std::optional<fs::path>& explicit_dir);

  // Creates a new case in `dir` (created if missing; must be empty if it exists) and writes
  // line 0. Throws Error(usage) for invalid options, Error(case_) if the folder is a case
  // or not empty, Error(io) when writing fails (nothing is left behind then).
  static Case init(const fs::path& dir, const InitOptions& options);

  const fs::path& root() const { return m_root; }
  fs::path manifest_path() const { return m_root / "manifest.jsonl"; }
  fs::path evidence_dir() const { return m_root / "evidence"; }
  fs::path lock_path() const { return m_root / ".cbkit.lock"; }

  // Reads line 0 (only that line). Throws Error(case_) when it is missing or not a case line.
  CaseInfo info() const;

private:
  explicit Case(fs::path root) : m_root(std::move(root)) {}
  fs::path m_root;
};

// The nearest folder at or above `path` (made absolute, symbolic links of its existing part
// resolved) that holds manifest.jsonl: the case a file written at `path` would land in;
// nullopt when there is none. Never throws.
std::optional<fs::path> case_containing(const fs::path& path);

// True when `id` is a usable case id: 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'.
bool is_valid_case_id(const std::string& id);

} // namespace cbkit::store
