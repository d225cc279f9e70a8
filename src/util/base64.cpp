#include "cbkit/util/base64.hpp"

namespace cbkit::util {

namespace {

constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

} // namespace

std::string base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += k_alphabet[(n >> 6) & 63];
    out += k_alphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += rest == 2 ? k_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool Base64Decoder::update(std::string_view text, std::string& out) {
  if (m_failed) return false;
  for (const char c : text) {
    if (m_options.skip_whitespace && is_whitespace(c)) continue;
    if (c == '=') {
      ++m_pad;
      continue;
    }
    const int v = value_of(c);
    if (v < 0 || m_pad > 0) { // not in the alphabet, or data after the padding
      m_failed = true;
      return false;
    }
    m_acc = ((m_acc << 6) | static_cast<std::uint32_t>(v)) & 0xffffffu;
    m_bits += 6;
    ++m_chars;
    if (m_bits >= 8) {
      m_bits -= 8;
      out += static_cast<char>((m_acc >> m_bits) & 0xffu);
    }
  }
  return true;
}

bool Base64Decoder::finish() {
  if (m_failed) return false;
  // A last group of one character cannot hold a byte; padding fills a group of two or three.
  if (m_chars % 4 == 1 || m_pad > 2) return false;
  if (m_pad > 0) return (m_chars + m_pad) % 4 == 0;
  return m_options.padding_optional || m_chars % 4 == 0;
}

std::optional<std::string> base64_decode(std::string_view text, Base64Options options) {
  Base64Decoder d(options);
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  if (!d.update(text, out) || !d.finish()) return std::nullopt;
  return out;
}

std::string base64_unpadded(std::string_view bytes) {
  std::string out = base64(bytes);
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  return out;
}

std::optional<std::string> base64_decode_unpadded(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = value_of(c);
    if (v < 0) return std::nullopt;
    acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xffffffu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xffu);
    }
  }
  // The bits left over (2 or 4) must be zero, or another text decodes to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1u)) != 0) return std::nullopt;
  return out;
}

} // namespace cbkit::util
