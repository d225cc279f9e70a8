#pragma once

#include <cstdlib>
#include <string>

namespace cbkit::test {

// The shared corpora (third-party messages and keys, not in this repository): $CBKIT_CORPORA
// when set, else ../shared/corpora beside the project (compiled in as CBKIT_CORPORA).
// Test cases that read them carry the tag [corpora]; tests/CMakeLists.txt runs them as the
// ctest test unit/corpora, which is skipped when the folder is missing.
inline std::string corpora_dir() {
  const char* env = std::getenv("CBKIT_CORPORA");
  return (env != nullptr && *env != '\0') ? std::string(env) : std::string(CBKIT_CORPORA);
}

} // namespace cbkit::test
