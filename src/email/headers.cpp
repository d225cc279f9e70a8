#include "cbkit/email/headers.hpp"

#include "cbkit/util/text.hpp"

#include <algorithm>

namespace cbkit::email {

namespace {

// End of the line starting at `pos` (index of its line break, or size) and the length of
// that line break (0, 1 or 2).
std::pair<std::size_t, std::size_t> line_end(std::string_view s, std::size_t pos) {
  for (std::size_t i = pos; i < s.size(); ++i) {
    if (s[i] == '\n') return {i, 1};
    if (s[i] == '\r') return {i, i + 1 < s.size() && s[i + 1] == '\n' ? 2 : 1};
  }
  return {s.size(), 0};
}

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string unfold(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' || v[i] == '\n') continue; // the white space after the break stays
    out += v[i];
  }
  return std::string(util::trim(out));
}

} // namespace

HeaderBlock split_headers(std::string_view msg, const HeaderLimits& limits) {
  HeaderBlock block;
  std::size_t pos = 0;
  std::size_t line_no = 1;
  {
    const auto [end, brk] = line_end(msg, 0);
    block.crlf = brk == 2 && msg[end] == '\r';
  }
  // An mbox "From " line or a leading continuation line is not a field; report and skip.
  bool count_limit_reported = false;
  while (pos < msg.size()) {
    auto [end, brk] = line_end(msg, pos);
    if (end == pos) { // empty line: end of the header section
      block.has_separator = true;
      block.body_offset = pos + brk;
      return block;
    }
    const std::size_t start = pos;
    const std::size_t start_line = line_no;
    if (is_wsp(msg[pos])) {
      block.defects.push_back({"header-leading-continuation", "a continuation line appears before any header field", line_no});
      pos = end + brk;
      ++line_no;
      continue;
    }
    // Gather continuation lines (lines that start with white space).
    std::size_t field_end = end;
    std::size_t next = end + brk;
    ++line_no;
    bool too_long = false;
    while (next < msg.size() && is_wsp(msg[next])) {
      auto [e2, b2] = line_end(msg, next);
      field_end = e2;
      next = e2 + b2;
      ++line_no;
      if (field_end - start > limits.max_field_bytes) {
        too_long = true;
      }
    }
    const std::string_view field = msg.substr(start, field_end - start);
    if (field.find('\0') != std::string_view::npos) {
      block.defects.push_back({"header-nul-byte", "a header field contains a NUL byte", start_line});
    }
    const std::size_t colon = field.find(':');
    const std::size_t first_break = std::min(field.find('\n'), field.find('\r'));
    // An mbox "From " separator (it usually holds a time, so a ':') is not a field.
    if (start_line == 1 && field.substr(0, 5) == "From ") {
      block.defects.push_back({"mbox-from-line", "the message starts with an mbox \"From \" separator line", start_line});
      pos = next;
      continue;
    }
    if (colon == std::string_view::npos || colon == 0 || (first_break != std::string_view::npos && colon > first_break)) {
      block.defects.push_back({"header-line-without-colon", "a line in the header section is not a \"Name: value\" field", start_line});
      pos = next;
      continue;
    }
    std::string_view name = field.substr(0, colon);
    if (!name.empty() && is_wsp(name.back())) {
      block.defects.push_back({"header-space-before-colon", "white space between a field name and its colon", start_line});
      while (!name.empty() && is_wsp(name.back()))
        name.remove_suffix(1);
    }
    // RFC 5322 2.2: a field name is printable US-ASCII without spaces. Binary data (a PDF,
    // an Outlook .msg) often holds a ':' somewhere; such lines are not fields.
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= 33 && c <= 126; })) {
      block.defects.push_back(
          {"header-invalid-name", "a line in the header section has a field name that is not printable ASCII", start_line});
      pos = next;
      continue;
    }
    if (too_long || field.size() > limits.max_field_bytes) {
      block.defects.push_back(
          {"header-too-long",
           "a header field is longer than " + std::to_string(limits.max_field_bytes) + " bytes; kept in the original only", start_line});
      pos = next;
      continue;
    }
    if (block.fields.size() >= limits.max_fields) {
      if (!count_limit_reported) {
        block.defects.push_back(
            {"header-count-limit",
             "more than " + std::to_string(limits.max_fields) + " header fields; the rest are kept in the original only", start_line});
        count_limit_reported = true;
      }
      pos = next;
      continue;
    }
    RawHeader h;
    h.name = std::string(name);
    h.raw = std::string(field);
    h.raw_value = std::string(field.substr(colon + 1));
    h.unfolded = unfold(h.raw_value);
    h.offset = start;
    h.line = start_line;
    block.fields.push_back(std::move(h));
    pos = next;
  }
  block.body_offset = msg.size();
  block.defects.push_back({"header-no-separator", "no empty line ends the header section (the message has no body)", line_no});
  return block;
}

} // namespace cbkit::email
