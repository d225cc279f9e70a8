#pragma once

// Turns a response's message body as received (the bytes the WARC keeps) into the body a
// person opens: chunked framing removed, then the content codings undone (gzip, x-gzip,
// deflate). Streams in constant memory.

#include "cbkit/util/sha256.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::capture {

struct DecodedBody {
  util::FileDigest digest;                // of the file written
  bool dechunked = false;                 // chunked framing was removed
  std::vector<std::string> decoded;       // content codings undone, in the order applied
  std::vector<std::string> still_encoded; // content codings left in place (unsupported or failed), outermost last
  std::string problem;                    // why something was left encoded, or the framing was incomplete; empty when none
  bool cut = false;                       // the decoded body reached `max_decoded` bytes and was cut there
};

// Content codings undone at most, outermost first; more stay in place (a body coded
// "gzip, gzip, gzip, gzip" is not something a server sends for a page a person reads).
inline constexpr std::size_t k_max_decoded_codings = 3;

// Content codings of a Content-Encoding or Transfer-Encoding value, lower case, in the
// order the server applied them ("gzip, identity" gives {"gzip"}).
std::vector<std::string> parse_codings(const std::string& header_value);

// Writes the decoded body of `raw` to `out` (created exclusively, 0600). `chunked`: the raw
// bytes carry chunked framing. `codings`: the Content-Encoding codings in applied order.
// At most `max_decoded` bytes are written: a longer decoded body is cut there (`cut`, and
// `problem` says so), so a small compressed response cannot fill the disk. At most
// k_max_decoded_codings codings are undone.
// A coding that cannot be undone (brotli, zstd, corrupt or cut-short data) is left in place:
// `out` then holds the bytes with the codings before it undone, and `still_encoded` says
// which remain. Throws Error(io) when a file cannot be read or written.
DecodedBody decode_body(const std::filesystem::path& raw, const std::filesystem::path& out, bool chunked,
                        const std::vector<std::string>& codings, std::uint64_t max_decoded);

// The same decoding in memory, for readers of the WARC that look into bodies (capture/
// identity): `raw` as received; at most `max_decoded` bytes are returned (`cut` then).
// Never throws for bad data: what could be decoded before a defect is returned and
// `problem` says why it stopped; a coding that is not supported is left in place.
struct DecodedBytes {
  std::string bytes;
  bool cut = false;
  std::vector<std::string> decoded; // content codings undone
  std::string problem;
};
DecodedBytes decode_body_bytes(std::string_view raw, bool chunked, const std::vector<std::string>& codings, std::size_t max_decoded);

} // namespace cbkit::capture
