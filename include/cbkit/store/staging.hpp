#pragma once

#include "cbkit/store/case.hpp"

#include <filesystem>
#include <string>

namespace cbkit::store {

// A staging folder evidence/.incoming-<random>/ where a new entry's files are written
// before one rename() under the lock turns it into evidence/<seq>-<kind>/. Removed with
// everything in it unless committed() was called (the rename happened).
class Staging {
public:
  // Creates the folder (mode 0700) in <case>/<area>/ (area as manifest::entry_area gives
  // it for the entry's kind, so the final rename stays in one folder). Throws Error(io).
  explicit Staging(const Case& c, const std::string& area = "evidence");
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  const std::filesystem::path& dir() const { return m_dir; }
  void committed() { m_committed = true; }

private:
  std::filesystem::path m_dir;
  bool m_committed = false;
};

} // namespace cbkit::store
