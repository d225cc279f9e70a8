#pragma once

// WARC/1.1 (ISO 28500:2017) written and read by hand: the format is a version line, header
// fields, a block of Content-Length bytes and two CRLFs. Each record is its own gzip member
// (the ".warc.gz" convention every web-archive tool reads record by record).
//
// Digests follow the WARC convention "sha256:<base32>" (RFC 4648 base32, upper case, with
// padding). For application/http records the payload is the message body exactly as
// received (after the header block, before any transfer or content decoding): the bytes
// wget, Heritrix and warcio hash, so their digest checks agree with ours.

#include "cbkit/util/sha256.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cbkit::capture {

// RFC 4648 section 6 base32 (alphabet A-Z2-7, '=' padding).
std::string base32_encode(const std::uint8_t* data, std::size_t size);
// Decodes upper- or lower-case base32 with or without padding; nullopt when invalid.
std::optional<std::string> base32_decode(std::string_view text);

// "sha256:" + base32 of the digest.
std::string warc_digest(const util::Digest& d);

// "<urn:uuid:...>" with a random (version 4) UUID.
std::string new_record_id();

using WarcFields = std::vector<std::pair<std::string, std::string>>;

// One record to append. The writer adds WARC-Type, WARC-Record-ID (when record_id is
// empty: a new one), WARC-Date, the digests, Content-Type and Content-Length; `fields` are
// written after them in the given order (e.g. WARC-Target-URI, WARC-IP-Address).
struct WarcRecord {
  std::string type; // warcinfo, request, response, metadata, resource, ...
  std::string record_id;
  std::string date; // YYYY-MM-DDTHH:MM:SS.uuuuuuZ
  std::string content_type;
  WarcFields fields;
  // The block: `prefix` bytes, then the whole content of `body_file` when given.
  std::string prefix;
  std::optional<std::filesystem::path> body_file;
  // For application/http records: where the payload starts in the block (the size of the
  // HTTP header block); nullopt: no payload digest is written.
  std::optional<std::uint64_t> payload_offset;
  // Digests already computed while the bytes arrived (saves a pass over body_file); when
  // empty the writer computes them itself.
  std::optional<util::Digest> block_digest;
  std::optional<util::Digest> payload_digest;
};

// Where a record landed in the file.
struct WarcWritten {
  std::string record_id;
  std::uint64_t offset = 0;      // of its gzip member in the file
  std::uint64_t member_size = 0; // compressed bytes
  std::uint64_t block_size = 0;  // Content-Length
};

// Appends records to a new .warc.gz file, one gzip member per record, streaming
// `body_file` in 1 MiB pieces (memory does not grow with the body). Keeps the SHA-256 and
// size of every byte it writes, so the file's hash is known without reading it back.
class WarcWriter {
public:
  // Creates `path` exclusively (mode 0600). Throws Error(io) naming the path.
  explicit WarcWriter(const std::filesystem::path& path, int level = 6);
  ~WarcWriter();
  WarcWriter(const WarcWriter&) = delete;
  WarcWriter& operator=(const WarcWriter&) = delete;

  // Writes one record. Throws Error(io) when writing or reading body_file fails.
  WarcWritten append(const WarcRecord& record);
  // Flushes, fsyncs (unless sync is false) and closes; returns the file's size and SHA-256.
  util::FileDigest close(bool sync = true);

private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

// One HTTP exchange as a `request` record followed by its `response` record (what both
// the raw capture and the browser's network log write). Both records carry, in this order,
// WARC-Target-URI, WARC-IP-Address (when known) and WARC-Warcinfo-ID; the request then
// names its response in WARC-Concurrent-To; then come `response_fields` (response only)
// and `common_fields` (both).
struct WarcExchange {
  std::string target_uri;
  std::string ip_address; // empty: no WARC-IP-Address field
  std::string date;       // of both records
  std::string warcinfo_id;
  std::string request;                                // the request message: head and body
  std::string response_head;                          // status line and header fields up to the empty line; the payload starts after it
  std::optional<std::filesystem::path> response_body; // the message body; none: empty
  // Digests of the response's block and payload when already computed (else the writer does).
  std::optional<util::Digest> response_block_digest;
  std::optional<util::Digest> response_payload_digest;
  WarcFields response_fields; // e.g. WARC-Truncated
  WarcFields common_fields;   // e.g. WARC-Cbkit-Source
};

struct WarcExchangeIds {
  std::string request_id;
  std::string response_id;
};

// Appends the exchange's two records to `warc`. Throws Error(io) as WarcWriter::append.
WarcExchangeIds append_exchange(WarcWriter& warc, const WarcExchange& exchange);

// One record as the reader saw it.
struct WarcRecordInfo {
  std::size_t index = 0;
  std::uint64_t member_offset = 0; // of its gzip member in the compressed file
  std::string version;             // "WARC/1.1"
  WarcFields fields;               // in file order, names as written
  std::uint64_t block_size = 0;
  util::Digest block_sha256{};
  std::optional<util::Digest> payload_sha256; // application/http blocks with a complete header block
  std::uint64_t payload_size = 0;
  std::string block_head;                     // the first bytes of the block (up to WarcReader's keep limit)
  std::vector<std::string> problems;          // defects of the header fields or framing of this record
  std::vector<std::string> digest_mismatches; // recorded digests that the content does not match

  // The first field named `name` (case-insensitive), or nullopt.
  std::optional<std::string> field(std::string_view name) const;
};

// A push parser for .warc.gz in constant memory: feed the compressed bytes in any pieces
// with update(), then finish(). Every record's header fields are checked (version line,
// mandatory fields, Content-Length), its block and payload digests are recomputed and
// compared with the recorded ones, and every record must be exactly one gzip member.
// Structural errors stop the parse (what follows cannot be framed); digest problems do not.
class WarcReader {
public:
  using OnRecord = std::function<void(const WarcRecordInfo&)>;
  explicit WarcReader(OnRecord on_record, std::size_t keep_block_bytes = 0);
  ~WarcReader();
  WarcReader(const WarcReader&) = delete;
  WarcReader& operator=(const WarcReader&) = delete;

  // Optional, for readers that look into blocks (capture/identity): `start` gets each
  // record's header fields (no digests yet) before its block, `data` the block's bytes as
  // they stream past; nothing is kept for them. Set before the first update().
  using OnBlockStart = std::function<void(const WarcRecordInfo&)>;
  using OnBlockData = std::function<void(const char*, std::size_t)>;
  void set_block_sink(OnBlockStart start, OnBlockData data);

  void update(const char* data, std::size_t size);
  // Call at the end of the input; reports a truncated member or record.
  void finish();

  // The first structural error (empty when the file framed correctly).
  const std::string& error() const;
  std::size_t records() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

} // namespace cbkit::capture
