#pragma once

#include "cbkit/store/case.hpp"

#include <filesystem>

namespace cbkit::store {

// A staging folder evidence/.incoming-<random>/ where a new entry's files are written
// before one rename() under the lock turns it into evidence/<seq>-<kind>/. Removed with
// everything in it unless committed() was called (the rename happened).
class Staging {
public:
  // Creates the folder (mode 0700). Throws Error(io).
  explicit Staging(const Case& c);
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
