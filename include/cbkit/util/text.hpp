#pragma once

#include "cbkit/util/base64.hpp" // base64() lived here; its callers keep this include

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::util {

// True when bytes are well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// Makes a file name safe to store: the base name only; control characters (C0, DEL, C1),
// bidirectional formatting characters (U+061C, U+200E/F, U+202A-E, U+2066-9), invalid UTF-8
// and / \ : * ? " < > | become '_'; a leading '.' or '-' gets a '_' prefix; "", "." and
// ".." become "file"; at most 200 bytes, extension kept, never cutting a UTF-8 sequence.
std::string sanitize_file_name(std::string_view name);

// Returns `name`, or name-2, name-3... (before the extension) so that it does not collide,
// case-insensitively, with any name in `taken` (which holds lowercase names). Adds the
// result's lowercase form to `taken`.
std::string unique_name(const std::string& name, std::set<std::string>& taken);

// ASCII lowercase.
std::string to_lower_ascii(std::string_view s);

// True when a and b are equal ignoring ASCII case (bytes >= 0x80 compare exactly, so the
// result never depends on the locale).
bool iequals(std::string_view a, std::string_view b);
// True when s begins with prefix, ignoring ASCII case.
bool istarts_with(std::string_view s, std::string_view prefix);

// Space, tab, CR and LF: the white space of header fields and text lines.
inline constexpr std::string_view k_whitespace = " \t\r\n";

// s without leading and trailing characters from `chars` (HTTP's OWS is " \t").
std::string_view trim(std::string_view s, std::string_view chars = k_whitespace);
// s without trailing characters from `chars`.
std::string_view trim_end(std::string_view s, std::string_view chars = k_whitespace);

// Replaces invalid UTF-8 sequences with U+FFFD so the text can go into JSON.
std::string utf8_lossy(std::string_view bytes);

// utf8_lossy over a stream given in pieces: the output of all the feed() calls is exactly
// utf8_lossy of the concatenated input (a sequence cut between two pieces is held back).
class Utf8LossyStream {
public:
  // Appends to `out` what `piece` completes; `last` flushes what was held back.
  void feed(std::string_view piece, bool last, std::string& out);

private:
  std::string m_carry;
};

// One line for a table cell: control characters (C0, DEL, C1) and bidirectional formatting
// characters become spaces, invalid UTF-8 U+FFFD; cut to `max_chars` code points with "…"
// appended when cut.
std::string one_line(std::string_view text, std::size_t max_chars);

// The one sanitizer for untrusted text written to a terminal without a length limit (a note,
// a header analysis): invalid UTF-8 becomes U+FFFD; tab (and newline unless `keep_newlines`)
// a space; every other control character (C0, DEL, C1) and every bidirectional formatting
// character U+FFFD, so no escape sequence or direction override reaches the terminal.
// one_line() applies the same rule for table cells.
std::string terminal_text(std::string_view text, bool keep_newlines = true);

// The non-empty parts joined by `sep` (empty parts are left out, not doubled separators).
std::string join(const std::vector<std::string>& parts, const std::string& sep);

} // namespace cbkit::util
