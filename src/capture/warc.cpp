#include "cbkit/capture/warc.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace cbkit::capture {

namespace {

constexpr const char* k_b32_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::size_t k_chunk = 1u << 20;
// A WARC or HTTP header block larger than this is not one cbkit could have written.
constexpr std::size_t k_max_header_block = 1u << 20;

using util::iequals;
using util::istarts_with;

// Header values are trimmed of spaces and tabs only (a CR would be part of the value).
std::string trim(std::string_view s) { return std::string(util::trim(s, " \t")); }

// Header values are single lines: a CR or LF would forge another field.
std::string one_line_value(const std::string& v) {
  std::string out = v;
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

} // namespace

std::string base32_encode(const std::uint8_t* data, std::size_t size) {
  std::string out;
  out.reserve((size + 4) / 5 * 8);
  std::uint64_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out.push_back(k_b32_alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(k_b32_alphabet[(buffer << (5 - bits)) & 31]);
  while (out.size() % 8 != 0)
    out.push_back('=');
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  // Valid unpadded lengths mod 8 are 0, 2, 4, 5, 7 (RFC 4648 section 6).
  const std::size_t rem = text.size() % 8;
  if (rem == 1 || rem == 3 || rem == 6) return std::nullopt;
  std::string out;
  std::uint64_t buffer = 0;
  int bits = 0;
  for (const char ch : text) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const char* p = std::strchr(k_b32_alphabet, c);
    if (p == nullptr || c == '\0') return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint64_t>(p - k_b32_alphabet);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  // Leftover bits must be zero (canonical encoding).
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string warc_digest(const util::Digest& d) { return "sha256:" + base32_encode(d.data(), d.size()); }

std::string new_record_id() {
  std::string h = util::random_hex(16);
  h[12] = '4';                                                       // version 4
  h[16] = "89ab"[std::stoi(std::string(1, h[16]), nullptr, 16) & 3]; // RFC 4122 variant
  return "<urn:uuid:" + h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20) + ">";
}

// ------------------------------------------------------------------ writer

struct WarcWriter::Impl {
  std::filesystem::path path;
  util::UniqueFd fd;
  int level = 6;
  util::Sha256 file_sha;
  std::uint64_t file_size = 0;
  z_stream zs{};
  bool deflating = false;
  std::vector<unsigned char> out = std::vector<unsigned char>(1u << 18);

  std::string what() const { return util::utf8_lossy(path.string()); }

  void emit(std::size_t n) {
    if (n == 0) return;
    util::write_all(fd.get(), out.data(), n, what());
    file_sha.update(out.data(), n);
    file_size += n;
  }

  void feed(const char* data, std::size_t size, int flush) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs.avail_in = static_cast<uInt>(size);
    for (;;) {
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      const int rc = ::deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) throw Error(ErrorKind::internal, what() + ": zlib deflate failed");
      emit(out.size() - zs.avail_out);
      if (flush == Z_FINISH) {
        if (rc == Z_STREAM_END) break;
      } else if (zs.avail_in == 0 && zs.avail_out != 0) {
        break;
      }
    }
  }
  void feed(std::string_view s) {
    // zlib's avail_in is 32 bits: feed large strings in pieces.
    while (!s.empty()) {
      const std::size_t n = std::min(s.size(), k_chunk);
      feed(s.data(), n, Z_NO_FLUSH);
      s.remove_prefix(n);
    }
  }
};

WarcWriter::WarcWriter(const std::filesystem::path& path, int level) : m(std::make_unique<Impl>()) {
  m->path = path;
  m->level = level;
  m->fd = util::UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!m->fd.valid()) throw_errno(ErrorKind::io, m->what());
}

WarcWriter::~WarcWriter() {
  if (m->deflating) ::deflateEnd(&m->zs);
}

namespace {

// Streams a record's block (prefix, then the file) to `sink` in pieces.
void for_each_block_piece(const WarcRecord& r, const std::function<void(const char*, std::size_t)>& sink) {
  if (!r.prefix.empty()) sink(r.prefix.data(), r.prefix.size());
  if (!r.body_file) return;
  util::UniqueFd fd(::open(r.body_file->c_str(), O_RDONLY | O_CLOEXEC));
  const std::string what = util::utf8_lossy(r.body_file->string());
  if (!fd.valid()) throw_errno(ErrorKind::io, what);
  std::vector<char> buf(k_chunk);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(ErrorKind::io, what);
    }
    if (n == 0) break;
    sink(buf.data(), static_cast<std::size_t>(n));
  }
}

std::uint64_t block_size_of(const WarcRecord& r) {
  std::uint64_t size = r.prefix.size();
  if (r.body_file) {
    std::error_code ec;
    const auto s = std::filesystem::file_size(*r.body_file, ec);
    if (ec) throw Error(ErrorKind::io, util::utf8_lossy(r.body_file->string()) + ": " + ec.message());
    size += s;
  }
  return size;
}

} // namespace

WarcWritten WarcWriter::append(const WarcRecord& r) {
  WarcWritten w;
  w.record_id = r.record_id.empty() ? new_record_id() : r.record_id;
  w.offset = m->file_size;
  w.block_size = block_size_of(r);

  std::optional<util::Digest> block = r.block_digest;
  std::optional<util::Digest> payload = r.payload_digest;
  if (!block || (r.payload_offset && !payload)) {
    util::Sha256 b;
    util::Sha256 p;
    std::uint64_t pos = 0;
    for_each_block_piece(r, [&](const char* data, std::size_t n) {
      b.update(data, n);
      if (r.payload_offset) {
        const std::uint64_t start = *r.payload_offset;
        if (pos + n > start) {
          const std::size_t skip = pos >= start ? 0 : static_cast<std::size_t>(start - pos);
          p.update(data + skip, n - skip);
        }
      }
      pos += n;
    });
    const util::Digest bd = b.finish();
    const util::Digest pd = p.finish();
    if (!block) block = bd;
    if (r.payload_offset && !payload) payload = pd;
  }

  std::string head = "WARC/1.1\r\n";
  head += "WARC-Type: " + one_line_value(r.type) + "\r\n";
  head += "WARC-Record-ID: " + w.record_id + "\r\n";
  head += "WARC-Date: " + (r.date.empty() ? util::utc_now() : one_line_value(r.date)) + "\r\n";
  for (const auto& [name, value] : r.fields)
    head += one_line_value(name) + ": " + one_line_value(value) + "\r\n";
  head += "WARC-Block-Digest: " + warc_digest(*block) + "\r\n";
  if (r.payload_offset) head += "WARC-Payload-Digest: " + warc_digest(*payload) + "\r\n";
  if (!r.content_type.empty()) head += "Content-Type: " + one_line_value(r.content_type) + "\r\n";
  head += "Content-Length: " + std::to_string(w.block_size) + "\r\n\r\n";

  // One gzip member per record (windowBits 16+15: gzip framing).
  m->zs = z_stream{};
  if (::deflateInit2(&m->zs, m->level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error(ErrorKind::internal, "zlib deflateInit2 failed");
  m->deflating = true;
  m->feed(head);
  std::uint64_t fed = 0;
  for_each_block_piece(r, [&](const char* data, std::size_t n) {
    m->feed(std::string_view(data, n));
    fed += n;
  });
  if (fed != w.block_size) {
    throw Error(ErrorKind::io, util::utf8_lossy(r.body_file ? r.body_file->string() : std::string("record")) +
                                   ": changed size while it was written to the WARC file");
  }
  m->feed("\r\n\r\n", 4, Z_FINISH);
  ::deflateEnd(&m->zs);
  m->deflating = false;
  w.member_size = m->file_size - w.offset;
  return w;
}

util::FileDigest WarcWriter::close(bool sync) {
  if (sync) util::fsync_or_throw(m->fd.get(), m->what());
  if (::close(m->fd.release()) != 0) throw_errno(ErrorKind::io, m->what());
  return util::FileDigest{m->file_size, util::to_hex(m->file_sha.finish())};
}

WarcExchangeIds append_exchange(WarcWriter& warc, const WarcExchange& x) {
  const WarcExchangeIds ids{new_record_id(), new_record_id()};
  const auto fields = [&x](const std::initializer_list<std::pair<std::string, std::string>> own, const WarcFields& extra) {
    WarcFields f = {{"WARC-Target-URI", x.target_uri}};
    if (!x.ip_address.empty()) f.emplace_back("WARC-IP-Address", x.ip_address);
    f.emplace_back("WARC-Warcinfo-ID", x.warcinfo_id);
    f.insert(f.end(), own.begin(), own.end());
    f.insert(f.end(), extra.begin(), extra.end());
    f.insert(f.end(), x.common_fields.begin(), x.common_fields.end());
    return f;
  };
  WarcRecord request;
  request.type = "request";
  request.record_id = ids.request_id;
  request.date = x.date;
  request.content_type = "application/http;msgtype=request";
  request.fields = fields({{"WARC-Concurrent-To", ids.response_id}}, {});
  request.prefix = x.request;
  warc.append(request);

  WarcRecord response;
  response.type = "response";
  response.record_id = ids.response_id;
  response.date = x.date;
  response.content_type = "application/http;msgtype=response";
  response.fields = fields({}, x.response_fields);
  response.prefix = x.response_head;
  response.body_file = x.response_body;
  response.payload_offset = x.response_head.size();
  response.block_digest = x.response_block_digest;
  response.payload_digest = x.response_payload_digest;
  warc.append(response);
  return ids;
}

// ------------------------------------------------------------------ reader

std::optional<std::string> WarcRecordInfo::field(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

struct WarcReader::Impl {
  OnRecord on_record;
  OnBlockStart on_block_start;
  OnBlockData on_block_data;
  std::size_t keep = 0;
  z_stream zs{};
  bool inflating = false;
  bool in_member = false;
  std::uint64_t consumed = 0; // compressed bytes consumed
  std::uint64_t member_index = 0;
  std::uint64_t member_start = 0;
  std::string error;
  std::size_t records = 0;
  std::vector<unsigned char> out = std::vector<unsigned char>(1u << 18);

  enum class State { header, block, trailer } state = State::header;
  std::string header;
  std::string trailer;
  WarcRecordInfo rec;
  std::uint64_t rec_member = 0;
  std::uint64_t rec_member_offset = 0;
  std::optional<std::uint64_t> last_record_member;
  std::uint64_t remaining = 0;
  std::unique_ptr<util::Sha256> block_sha;
  std::unique_ptr<util::Sha256> payload_sha;
  bool is_http = false;
  bool in_payload = false;
  std::string http_header;

  void fail(const std::string& msg) {
    if (error.empty()) error = msg;
  }

  std::string rec_label() const {
    return "record " + std::to_string(records + 1) + " (gzip member at byte " + std::to_string(rec_member_offset) + ")";
  }

  void start_block() {
    // Parse the header block: "WARC/1.x" CRLF, fields, CRLF.
    rec = WarcRecordInfo{};
    rec.index = records;
    rec.member_offset = rec_member_offset;
    std::size_t pos = header.find("\r\n");
    rec.version = header.substr(0, pos);
    if (rec.version != "WARC/1.1" && rec.version != "WARC/1.0") {
      fail(rec_label() + " does not start with a WARC/1.1 version line");
      return;
    }
    pos += 2;
    while (pos < header.size()) {
      const std::size_t eol = header.find("\r\n", pos);
      if (eol == std::string::npos || eol == pos) break;
      const std::string line = header.substr(pos, eol - pos);
      pos = eol + 2;
      if ((line[0] == ' ' || line[0] == '\t') && !rec.fields.empty()) {
        rec.fields.back().second += " " + trim(line);
        continue;
      }
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos || colon == 0) {
        fail(rec_label() + " has a header line without a field name: '" + util::one_line(util::utf8_lossy(line), 60) + "'");
        return;
      }
      rec.fields.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
    }
    const auto length = rec.field("Content-Length");
    if (!length || length->empty() || length->size() > 18 || !std::all_of(length->begin(), length->end(), ::isdigit)) {
      fail(rec_label() + " has no valid Content-Length");
      return;
    }
    rec.block_size = std::stoull(*length);
    for (const char* name : {"WARC-Type", "WARC-Record-ID", "WARC-Date"}) {
      if (!rec.field(name)) rec.problems.push_back(std::string("lacks the mandatory field ") + name);
    }
    if (const auto id = rec.field("WARC-Record-ID");
        id && (id->size() < 3 || id->front() != '<' || id->back() != '>' || id->find(':') == std::string::npos)) {
      rec.problems.push_back("WARC-Record-ID is not an URI in angle brackets");
    }
    if (const auto date = rec.field("WARC-Date"); date && !util::is_manifest_time(*date) && !util::parse_rfc3339(*date)) {
      rec.problems.push_back("WARC-Date '" + util::one_line(util::utf8_lossy(*date), 40) + "' is not a W3C-ISO8601 UTC date");
    }
    const auto ctype = rec.field("Content-Type");
    is_http = ctype && istarts_with(*ctype, "application/http");
    in_payload = false;
    http_header.clear();
    block_sha = std::make_unique<util::Sha256>();
    payload_sha = std::make_unique<util::Sha256>();
    remaining = rec.block_size;
    state = State::block;
    if (on_block_start) on_block_start(rec);
  }

  void block_bytes(const char* data, std::size_t n) {
    block_sha->update(data, n);
    if (on_block_data) on_block_data(data, n);
    if (rec.block_head.size() < keep) rec.block_head.append(data, std::min(n, keep - rec.block_head.size()));
    if (!is_http) return;
    if (in_payload) {
      payload_sha->update(data, n);
      rec.payload_size += n;
      return;
    }
    // Find the end of the HTTP header block, which may straddle pieces.
    const std::size_t before = http_header.size();
    const std::size_t take = std::min(n, k_max_header_block + 4 - std::min(before, k_max_header_block + 4));
    http_header.append(data, take);
    const std::size_t from = before >= 3 ? before - 3 : 0;
    const std::size_t end = http_header.find("\r\n\r\n", from);
    if (end != std::string::npos) {
      const std::size_t used = end + 4 - before; // bytes of this piece that belong to the header
      in_payload = true;
      http_header.clear();
      payload_sha->update(data + used, n - used);
      rec.payload_size += n - used;
    }
  }

  void end_record() {
    rec.block_sha256 = block_sha->finish();
    if (is_http && in_payload) rec.payload_sha256 = payload_sha->finish();
    auto check = [&](const char* name, const std::optional<util::Digest>& got) {
      const auto recorded = rec.field(name);
      if (!recorded) return;
      const std::size_t colon = recorded->find(':');
      const std::string algo = colon == std::string::npos ? "" : util::to_lower_ascii(recorded->substr(0, colon));
      if (algo != "sha256" && algo != "sha-256") {
        rec.problems.push_back(std::string(name) + " uses '" + util::one_line(util::utf8_lossy(algo), 20) +
                               "', which cbkit does not check");
        return;
      }
      const auto raw = base32_decode(recorded->substr(colon + 1));
      std::optional<std::string> hex_digest;
      if (!raw) {
        // Some tools write sha256 digests in hex.
        const std::string v = util::to_lower_ascii(recorded->substr(colon + 1));
        if (util::is_sha256_hex(v)) hex_digest = v;
      }
      if (!raw && !hex_digest) {
        rec.problems.push_back(std::string(name) + " is neither base32 nor hex");
        return;
      }
      if (!got) {
        rec.digest_mismatches.push_back(std::string(name) + " cannot match: the block has no complete HTTP header block");
        return;
      }
      const std::string computed_hex = util::to_hex(*got);
      const bool same =
          raw ? (raw->size() == got->size() && std::memcmp(raw->data(), got->data(), got->size()) == 0) : *hex_digest == computed_hex;
      if (!same) {
        rec.digest_mismatches.push_back(std::string(name) + " " + *recorded + " does not match the content (" + warc_digest(*got) + ")");
      }
    };
    check("WARC-Block-Digest", rec.block_sha256);
    check("WARC-Payload-Digest", rec.payload_sha256);
    if (rec_member != member_index) rec.problems.push_back("spans more than one gzip member");
    if (last_record_member && *last_record_member == rec_member) rec.problems.push_back("shares its gzip member with the record before it");
    last_record_member = rec_member;
    ++records;
    if (on_record) on_record(rec);
    state = State::header;
    header.clear();
    trailer.clear();
  }

  void parse(const char* data, std::size_t n) {
    while (n > 0 && error.empty()) {
      switch (state) {
      case State::header: {
        if (header.empty()) {
          rec_member = member_index;
          rec_member_offset = member_start;
        }
        const std::size_t before = header.size();
        header.append(data, n);
        const std::size_t end = header.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
        if (end == std::string::npos) {
          if (header.size() > k_max_header_block) fail(rec_label() + ": no end of the WARC header block within 1 MiB");
          return;
        }
        const std::size_t used = end + 4 - before;
        header.resize(end + 4);
        data += used;
        n -= used;
        start_block();
        if (!error.empty()) return;
        if (remaining == 0) state = State::trailer;
        break;
      }
      case State::block: {
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, n));
        block_bytes(data, take);
        data += take;
        n -= take;
        remaining -= take;
        if (remaining == 0) state = State::trailer;
        break;
      }
      case State::trailer: {
        const std::size_t take = std::min(n, 4 - trailer.size());
        trailer.append(data, take);
        data += take;
        n -= take;
        if (trailer.size() == 4) {
          if (trailer != "\r\n\r\n") {
            fail(rec_label() + ": the block is not followed by CRLF CRLF (Content-Length does not match the record)");
            return;
          }
          end_record();
        }
        break;
      }
      }
    }
  }
};

WarcReader::WarcReader(OnRecord on_record, std::size_t keep_block_bytes) : m(std::make_unique<Impl>()) {
  m->on_record = std::move(on_record);
  m->keep = keep_block_bytes;
  if (::inflateInit2(&m->zs, 31) != Z_OK) throw Error(ErrorKind::internal, "zlib inflateInit2 failed");
  m->inflating = true;
}

WarcReader::~WarcReader() {
  if (m->inflating) ::inflateEnd(&m->zs);
}

void WarcReader::set_block_sink(OnBlockStart start, OnBlockData data) {
  m->on_block_start = std::move(start);
  m->on_block_data = std::move(data);
}

void WarcReader::update(const char* data, std::size_t size) {
  while (size > 0 && m->error.empty()) {
    if (!m->in_member) {
      ::inflateReset(&m->zs);
      m->in_member = true;
      m->member_start = m->consumed;
      ++m->member_index;
    }
    const std::size_t piece = std::min(size, k_chunk);
    m->zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    m->zs.avail_in = static_cast<uInt>(piece);
    int rc = Z_OK;
    while (m->error.empty()) {
      m->zs.next_out = m->out.data();
      m->zs.avail_out = static_cast<uInt>(m->out.size());
      rc = ::inflate(&m->zs, Z_NO_FLUSH);
      if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) {
        m->fail("not a valid gzip stream at byte " + std::to_string(m->consumed + (piece - m->zs.avail_in)) + " (" +
                (m->zs.msg ? m->zs.msg : "inflate error") + ")");
        return;
      }
      m->parse(reinterpret_cast<const char*>(m->out.data()), m->out.size() - m->zs.avail_out);
      if (rc == Z_STREAM_END) break;
      // inflate may hold more output than fitted: go on until it has room to spare.
      if (m->zs.avail_in == 0 && m->zs.avail_out != 0) break;
      if (rc == Z_BUF_ERROR) break;
    }
    const std::size_t used = piece - m->zs.avail_in;
    m->consumed += used;
    data += used;
    size -= used;
    if (rc == Z_STREAM_END) m->in_member = false;
  }
}

void WarcReader::finish() {
  if (!m->error.empty()) return;
  if (m->in_member) {
    m->fail("the file ends inside a gzip member at byte " + std::to_string(m->member_start) + " (cut short)");
    return;
  }
  if (m->state != Impl::State::header || !m->header.empty()) {
    m->fail(m->rec_label() + " is cut short: the file ends inside it");
    return;
  }
  if (m->records == 0) m->fail("no WARC record in the file");
}

const std::string& WarcReader::error() const { return m->error; }
std::size_t WarcReader::records() const { return m->records; }

} // namespace cbkit::capture
