#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace cbkit::test {

// n bytes that do not repeat at any period a reader could get wrong by (a block, a page, a
// window): std::mt19937's output, which the standard fixes for a given seed, so every run
// and every machine gets the same bytes.
inline std::string pseudo_random_bytes(std::size_t n, unsigned seed = 1) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 4) {
    const auto v = static_cast<std::uint32_t>(gen());
    for (std::size_t k = 0; k < 4 && i + k < n; ++k)
      s[i + k] = static_cast<char>((v >> (8 * k)) & 0xff);
  }
  return s;
}

} // namespace cbkit::test
