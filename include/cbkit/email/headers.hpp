#pragma once

#include "cbkit/util/text.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::email {

// One header field exactly as it stands in the message.
struct RawHeader {
  std::string name;       // field name as written (case kept), without the colon
  std::string raw;        // the whole field as in the file: name, colon, value with its folding
                          // line breaks, without the final line break
  std::string raw_value;  // the bytes after the colon, folding kept, without the final line break
  std::string unfolded;   // raw_value with every line break (CRLF, LF or CR) before white space
                          // removed (RFC 5322 3.2.2) and outer white space trimmed
  std::size_t offset = 0; // byte offset of the field in the message
  std::size_t line = 0;   // 1-based line number where the field starts
};

// Problems found while splitting the header section; each has a stable code.
struct HeaderDefect {
  std::string code; // e.g. "header-line-without-colon"
  std::string message;
  std::size_t line = 0;
};

// The header section of a message, split without changing a byte.
struct HeaderBlock {
  std::vector<RawHeader> fields;     // in original order
  std::vector<HeaderDefect> defects; // in order of appearance
  std::size_t body_offset = 0;       // offset of the first body byte (after the empty line);
                                     // message.size() when there is no body
  bool has_separator = false;        // an empty line ends the header section
  bool crlf = false;                 // the first line ends with CRLF
};

// Limits that keep hostile input bounded in time and memory.
struct HeaderLimits {
  std::size_t max_fields = 20000;
  std::size_t max_field_bytes = 4u << 20;
};

// Splits the header section of `message` (RFC 5322 section 2.2). Never throws on bad
// input: a line without a colon, a field over the byte limit, bare CR or NUL bytes, too
// many fields, a leading continuation line or a missing empty line are reported as
// defects and splitting continues as a lenient mail reader would (defect codes:
// header-line-without-colon, header-too-long, header-count-limit, header-nul-byte,
// header-leading-continuation, header-no-separator, header-space-before-colon,
// header-invalid-name, mbox-from-line).
HeaderBlock split_headers(std::string_view message, const HeaderLimits& limits = {});

// ASCII case-insensitive equality for header names (the one in util, under the name the
// e-mail code and its tests use).
using util::iequals;

} // namespace cbkit::email
