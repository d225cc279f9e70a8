#include "cbkit/report/text.hpp"

#include "cbkit/util/text.hpp"

#include <cstdint>
#include <cstdio>

namespace cbkit::report {

namespace {

// Decodes one code point of valid UTF-8 at `i` (the input was made valid first).
char32_t decode(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  const int n = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
  char32_t cp = b & (0x3F >> n);
  for (int k = 0; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + 1 + static_cast<std::size_t>(k)]) & 0x3F);
  i += static_cast<std::size_t>(n) + 1;
  return cp;
}

bool is_invisible(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF || cp == 0x061C || cp == 0x2028 || cp == 0x2029 || cp == 0x00AD;
}

} // namespace

std::string reveal_invisible(std::string_view text, bool keep_newlines) {
  const std::string valid = util::utf8_lossy(text);
  std::string out;
  out.reserve(valid.size());
  std::size_t i = 0;
  while (i < valid.size()) {
    const std::size_t start = i;
    const char32_t cp = decode(valid, i);
    if (cp == '\n' && keep_newlines) {
      out += '\n';
    } else if (cp == '\t') {
      out += ' ';
    } else if (cp == '\r' && keep_newlines && i < valid.size() && valid[i] == '\n') {
      // CRLF in a note: one line break.
    } else if (is_invisible(cp)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "[U+%04X]", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(valid, start, i - start);
    }
  }
  return out;
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char ch : text) {
    switch (ch) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += ch;
    }
  }
  return out;
}

std::string escape_markdown(std::string_view text) {
  static constexpr std::string_view k_always = "\\`*_[]<>|~&";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  // A line starting with "1." or "1)" is an ordered list, with "=" a heading underline.
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const bool list_marker = i == digits && digits > 0 && (ch == '.' || ch == ')');
    const bool line_start = i == 0 && (ch == '#' || ch == '-' || ch == '+' || ch == '=' || ch == '.');
    if (k_always.find(ch) != std::string_view::npos || list_marker || line_start) out += '\\';
    out += ch;
  }
  // Leading spaces would make an indented code block; a no-break space does not.
  std::size_t lead = 0;
  while (lead < out.size() && out[lead] == ' ')
    ++lead;
  if (lead > 0) {
    std::string nb;
    for (std::size_t k = 0; k < lead; ++k)
      nb += "\u00A0";
    out = nb + out.substr(lead);
  }
  return out;
}

} // namespace cbkit::report
