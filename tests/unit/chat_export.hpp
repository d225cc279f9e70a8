// Chat export fixtures shared by the chat parser tests: files written as an app writes them,
// listed as the export a parser is given.
#pragma once

#include "cbkit/chat/chat.hpp"
#include "tmpdir.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace cbkit::test {

// Writes `files` (rel -> content) under `dir` and lists them as an export.
inline std::vector<chat::ExportFile> make_export(const TempDir& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<chat::ExportFile> out;
  for (const auto& [rel, content] : files) {
    const auto path = dir / rel;
    std::filesystem::create_directories(path.parent_path());
    write_file(path, content);
    out.push_back({rel, path, content.size()});
  }
  return out;
}

// Local times read in the case's zone, Brussels; no date order given.
inline const chat::TimeOptions k_brussels{"Europe/Brussels", "case-zone", ""};

// The conversation's first defect with `code`, or nullptr.
inline const chat::Defect* find_defect(const chat::Conversation& c, const std::string& code) {
  for (const auto& d : c.defects) {
    if (d.code == code) return &d;
  }
  return nullptr;
}

} // namespace cbkit::test
