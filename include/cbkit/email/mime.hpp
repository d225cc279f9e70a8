#pragma once

#include "cbkit/util/json.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::email {

// A file derived from the message and written into the entry folder.
struct DerivedFile {
  std::string rel_path;      // relative to the entry folder: "body.txt", "attachments/1-invoice.pdf"
  std::string role;          // "body-text" | "body-html" | "attachment" | "inline" (text after the first body)
                             // | "message" (a nested message/rfc822)
  std::string original_name; // the file name the message gives (decoded), empty when none
  std::string content_type;  // e.g. "application/pdf"
  std::string part;          // MIME part path, e.g. "2" or "3.1"
  std::uint64_t size = 0;
  std::string sha256;
};

// A problem GMime's parser (or the walk over the parts) reported.
struct MimeDefect {
  std::string code; // e.g. "mime-truncated-message", "mime-invalid-rfc2047-header"
  std::string message;
  std::int64_t offset = -1; // byte offset in the message when known
};

struct MimeReport {
  bool parsed = false; // GMime built a message at all
  std::vector<DerivedFile> files;
  std::vector<MimeDefect> defects;
  util::Json structure = util::Json::array();    // one object per part: part, content_type, charset, disposition, filename, encoding
  std::vector<std::string> undecodable_charsets; // charsets named by text parts that iconv cannot convert
  std::size_t attachment_count = 0;
};

// A header field (in the message's header or a part's) longer than the MIME parse takes.
struct LongHeaderField {
  std::size_t offset = 0; // where the field starts in the message
  std::size_t length = 0; // its bytes, folding and final line break included
};

// The longest header field the MIME parse is given whole. GMime holds three copies of a
// field (raw, value, unfolded) plus its growing line buffer; a longer field is cut to this
// for the parse (the stored original keeps every byte).
constexpr std::size_t k_mime_max_header_field = 1u << 20;

// The header fields longer than `max_bytes` in any header block of `message`: the
// message's own, and every block that follows a line that may be a MIME boundary ("--"
// and up to 78 more bytes) or that starts a part's content with "Name:" (a nested
// message). Cheap: one memchr pass, no copy.
std::vector<LongHeaderField> find_long_header_fields(std::string_view message, std::size_t max_bytes = k_mime_max_header_field);

// Parses the message in `message_file` with GMime and writes the derived files into
// `entry_dir` (which must exist): body.txt and body.html (the first text/plain and
// text/html body parts, decoded to UTF-8) and every attachment under attachments/ with a
// sanitized, collision-free name; a nested message/rfc822 is written as a .eml and its own
// attachments are extracted too. Each derived file is created exclusively and hashed;
// the caller makes them durable (one util::sync_filesystem for the whole entry). Throws Error(io) only when writing fails; bad MIME becomes
// defects. Memory stays bounded whatever the message: header fields over
// k_mime_max_header_field are cut for the parse (defect "mime-header-field-cut", the parse
// then reads an unnamed copy of the message), and a text body over 4 MiB is decoded to
// UTF-8 through an unnamed scratch file in `entry_dir`, not in memory.
// `message_bytes`, when given, are the file's bytes as the caller has them in memory already
// (a second mapping would count the message's pages twice in the resident size). A message
// up to 8 MiB is parsed from a copy of them and its derived files are built in memory,
// each written with one write(); a larger one is parsed and written through files.
MimeReport extract_mime(const std::filesystem::path& message_file, const std::filesystem::path& entry_dir,
                        std::optional<std::string_view> message_bytes = std::nullopt);

// RFC 2047 decoding of a header value to UTF-8 (GMime). Sets *bad_charset to the first
// charset of an encoded word that cannot be converted, when there is one.
std::string decode_header_value(std::string_view raw_value, std::string* bad_charset = nullptr);

// Parses an address header (From, To, Cc, ...) into
// [{"name": "..."|null, "address": "..."}, ...] (groups are flattened).
util::Json parse_addresses(std::string_view raw_value);

// The domain of the first address in an address header ("" when there is none), lowercase.
std::string first_address_domain(std::string_view raw_value);

} // namespace cbkit::email
