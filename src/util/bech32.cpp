#include "cbkit/util/bech32.hpp"

#include <cstdint>
#include <vector>

namespace cbkit::util {

namespace {

constexpr char k_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

int charset_value(char c) {
  for (int i = 0; i < 32; ++i)
    if (k_charset[i] == c) return i;
  return -1;
}

// BIP 173's checksum polynomial over GF(32).
std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  static constexpr std::uint32_t k_gen[5] = {0x3b6a57b2u, 0x26508e6du, 0x1ea119fau, 0x3d4233ddu, 0x2a1462b3u};
  std::uint32_t chk = 1;
  for (const std::uint8_t v : values) {
    const std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffffu) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1u) chk ^= k_gen[i];
  }
  return chk;
}

std::vector<std::uint8_t> hrp_expand(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (const char c : hrp)
    out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5));
  out.push_back(0);
  for (const char c : hrp)
    out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) & 31u));
  return out;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

} // namespace

std::string bech32_encode(std::string_view hrp_in, std::string_view bytes) {
  std::string hrp;
  for (const char c : hrp_in)
    hrp.push_back(lower(c));
  std::vector<std::uint8_t> data;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char b : bytes) {
    acc = (acc << 8) | static_cast<unsigned char>(b);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push_back(static_cast<std::uint8_t>((acc >> bits) & 31u));
    }
  }
  if (bits > 0) data.push_back(static_cast<std::uint8_t>((acc << (5 - bits)) & 31u));
  std::vector<std::uint8_t> values = hrp_expand(hrp);
  values.insert(values.end(), data.begin(), data.end());
  values.insert(values.end(), 6, 0);
  const std::uint32_t mod = polymod(values) ^ 1u;
  std::string out = hrp + "1";
  for (const std::uint8_t v : data)
    out.push_back(k_charset[v]);
  for (int i = 0; i < 6; ++i)
    out.push_back(k_charset[(mod >> (5 * (5 - i))) & 31u]);
  return out;
}

std::optional<Bech32> bech32_decode(std::string_view text) {
  bool has_lower = false;
  bool has_upper = false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126) return std::nullopt;
    has_lower = has_lower || (c >= 'a' && c <= 'z');
    has_upper = has_upper || (c >= 'A' && c <= 'Z');
  }
  if (has_lower && has_upper) return std::nullopt;
  const std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0 || text.size() - sep - 1 < 6) return std::nullopt;
  Bech32 r;
  for (const char c : text.substr(0, sep))
    r.hrp.push_back(lower(c));
  std::vector<std::uint8_t> data;
  for (const char c : text.substr(sep + 1)) {
    const int v = charset_value(lower(c));
    if (v < 0) return std::nullopt;
    data.push_back(static_cast<std::uint8_t>(v));
  }
  std::vector<std::uint8_t> values = hrp_expand(r.hrp);
  values.insert(values.end(), data.begin(), data.end());
  if (polymod(values) != 1u) return std::nullopt;
  data.resize(data.size() - 6);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const std::uint8_t v : data) {
    acc = ((acc << 5) | v) & 0xfffu;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      r.bytes.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  if (bits >= 5 || (acc & ((1u << bits) - 1u)) != 0) return std::nullopt;
  return r;
}

} // namespace cbkit::util
