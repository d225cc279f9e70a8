#include "cbkit/util/text.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace cbkit::util {

namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when it is invalid.
std::size_t utf8_seq_len(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F; // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
  }
  return len;
}

// True when the well-formed UTF-8 sequence `seq` is a control a terminal or a text renderer
// acts on rather than shows: C0 controls, DEL, C1 controls (U+0080-U+009F) and the
// bidirectional formatting characters (U+061C, U+200E/U+200F, U+202A-U+202E, U+2066-U+2069).
bool is_control_sequence(std::string_view seq) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(seq[k]); };
  if (seq.size() == 1) return b(0) < 0x20 || b(0) == 0x7f;
  if (seq.size() == 2) return (b(0) == 0xC2 && b(1) <= 0x9F) || (b(0) == 0xD8 && b(1) == 0x9C);
  if (seq.size() == 3 && b(0) == 0xE2 && b(1) == 0x80) return b(2) == 0x8E || b(2) == 0x8F || (b(2) >= 0xAA && b(2) <= 0xAE);
  if (seq.size() == 3 && b(0) == 0xE2 && b(1) == 0x81) return b(2) >= 0xA6 && b(2) <= 0xA9;
  return false;
}

char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

} // namespace

bool is_valid_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    // Runs of ASCII eight bytes at a time: chat exports check every line of files of
    // hundreds of megabytes, and most of their bytes are ASCII.
    std::uint64_t word = 0;
    while (i + 8 <= bytes.size() && (std::memcpy(&word, bytes.data() + i, 8), (word & 0x8080808080808080ULL) == 0))
      i += 8;
    if (i >= bytes.size()) break;
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_seq_len(bytes, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t n = utf8_seq_len(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

void Utf8LossyStream::feed(std::string_view piece, bool last, std::string& out) {
  std::string joined;
  if (!m_carry.empty()) {
    joined = m_carry + std::string(piece.substr(0, std::min<std::size_t>(piece.size(), 3)));
    // The held-back bytes and at most three more: enough to decide the sequences that start
    // in the held-back bytes (a sequence is at most four bytes).
  }
  std::size_t i = 0;
  std::size_t from_piece = 0; // bytes of `piece` already consumed through `joined`
  if (!joined.empty()) {
    const std::size_t carry = m_carry.size();
    while (i < carry) {
      if (!last && i + 4 > joined.size()) break; // not decidable yet: wait for more
      const std::size_t n = utf8_seq_len(joined, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(joined, i, n);
        i += n;
      }
    }
    if (i < carry) { // still undecided: keep it all
      m_carry = joined.substr(i);
      return;
    }
    from_piece = i - carry;
    m_carry.clear();
  }
  std::size_t j = from_piece;
  while (j < piece.size()) {
    if (!last && j + 4 > piece.size()) break;
    const std::size_t n = utf8_seq_len(piece, j);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++j;
    } else {
      out.append(piece.substr(j, n));
      j += n;
    }
  }
  m_carry.assign(piece.substr(j));
}

std::string sanitize_file_name(std::string_view name) {
  if (const auto slash = name.find_last_of('/'); slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  for (std::size_t i = 0; i < name.size();) {
    const char c = name[i];
    const std::size_t n = utf8_seq_len(name, i);
    if (n == 0) {
      out += '_';
      ++i;
      continue;
    }
    if (is_control_sequence(name.substr(i, n)) || (n == 1 && std::string_view("/\\:*?\"<>|").find(c) != std::string_view::npos)) {
      out += '_';
    } else {
      out.append(name.substr(i, n));
    }
    i += n;
  }
  if (out.empty() || out == "." || out == "..") return "file";
  if (out[0] == '.' || out[0] == '-') out.insert(out.begin(), '_');

  constexpr std::size_t k_max = 200;
  if (out.size() > k_max) {
    std::string ext;
    if (const auto dot = out.find_last_of('.'); dot != std::string::npos && dot > 0 && out.size() - dot <= 16) ext = out.substr(dot);
    std::size_t keep = k_max - ext.size();
    // Step back to a UTF-8 sequence boundary so the cut never splits a character.
    while (keep > 0 && (static_cast<unsigned char>(out[keep]) & 0xC0) == 0x80)
      --keep;
    out = out.substr(0, keep) + ext;
  }
  return out;
}

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = lower_ascii(c);
  return out;
}

std::string unique_name(const std::string& name, std::set<std::string>& taken) {
  std::string candidate = name;
  if (taken.count(to_lower_ascii(candidate)) != 0) {
    const auto dot = name.find_last_of('.');
    const bool has_ext = dot != std::string::npos && dot > 0;
    const std::string stem = has_ext ? name.substr(0, dot) : name;
    const std::string ext = has_ext ? name.substr(dot) : "";
    for (int n = 2;; ++n) {
      candidate = stem + "-" + std::to_string(n) + ext;
      if (taken.count(to_lower_ascii(candidate)) == 0) break;
    }
  }
  taken.insert(to_lower_ascii(candidate));
  return candidate;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim_end(std::string_view s, std::string_view chars) {
  const std::size_t last = s.find_last_not_of(chars);
  return last == std::string_view::npos ? std::string_view() : s.substr(0, last + 1);
}

std::string_view trim(std::string_view s, std::string_view chars) {
  const std::size_t first = s.find_first_not_of(chars);
  return first == std::string_view::npos ? std::string_view() : trim_end(s.substr(first), chars);
}

std::string one_line(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  const std::string clean = utf8_lossy(text);
  for (std::size_t i = 0; i < clean.size();) {
    const std::size_t n = utf8_seq_len(clean, i);
    if (chars == max_chars) {
      out += "\xE2\x80\xA6";
      break;
    }
    if (is_control_sequence(std::string_view(clean).substr(i, n))) {
      out += ' ';
    } else {
      out.append(clean, i, n);
    }
    i += n;
    ++chars;
  }
  return out;
}

std::string terminal_text(std::string_view text, bool keep_newlines) {
  std::string out;
  const std::string clean = utf8_lossy(text);
  out.reserve(clean.size());
  for (std::size_t i = 0; i < clean.size();) {
    const std::size_t n = utf8_seq_len(clean, i);
    const std::string_view seq = std::string_view(clean).substr(i, n);
    if (seq == "\n" && keep_newlines) {
      out += '\n';
    } else if (seq == "\t" || seq == "\n") {
      out += ' ';
    } else if (is_control_sequence(seq)) {
      out += "\xEF\xBF\xBD"; // U+FFFD: visibly not what was written
    } else {
      out.append(seq);
    }
    i += n;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

} // namespace cbkit::util
