#include "cbkit/capture/body.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <functional>
#include <memory>

namespace cbkit::capture {

namespace fs = std::filesystem;

namespace {

using Sink = std::function<void(const char*, std::size_t)>;

// Thrown inside the pipeline when the decoded body reaches its limit (it is cut there).
struct DecodedLimit {};

// Thrown inside the pipeline when the bytes are not what their framing or coding says.
struct DecodeFailure {
  std::string reason;
};

// RFC 9112 section 7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers CRLF.
class Dechunker {
public:
  explicit Dechunker(Sink next) : m_next(std::move(next)) {}
  void feed(const char* p, std::size_t n) {
    while (n > 0) {
      switch (m_state) {
      case State::size_line:
      case State::trailer: {
        const char c = *p++;
        --n;
        if (c != '\n') {
          if (m_line.size() > 8192) throw DecodeFailure{"a chunk-size or trailer line is longer than 8 KiB"};
          m_line.push_back(c);
          break;
        }
        if (!m_line.empty() && m_line.back() == '\r') m_line.pop_back();
        if (m_state == State::trailer) {
          if (m_line.empty()) m_state = State::done;
          m_line.clear();
          break;
        }
        const std::string hex = m_line.substr(0, m_line.find_first_of("; \t"));
        if (hex.empty() || hex.size() > 15 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
          throw DecodeFailure{"invalid chunk-size line '" + util::one_line(util::utf8_lossy(m_line), 40) + "'"};
        m_left = std::stoull(hex, nullptr, 16);
        m_line.clear();
        m_state = m_left == 0 ? State::trailer : State::data;
        break;
      }
      case State::data: {
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(m_left, n));
        m_next(p, take);
        p += take;
        n -= take;
        m_left -= take;
        if (m_left == 0) m_state = State::data_crlf;
        break;
      }
      case State::data_crlf: {
        const char c = *p++;
        --n;
        if (c == '\r' && !m_cr) {
          m_cr = true;
          break;
        }
        if (c != '\n') throw DecodeFailure{"chunk data is not followed by CRLF"};
        m_cr = false;
        m_state = State::size_line;
        break;
      }
      case State::done:
        return; // bytes after the last chunk are ignored (kept in the WARC)
      }
    }
  }
  bool complete() const { return m_state == State::done; }

private:
  enum class State { size_line, data, data_crlf, trailer, done } m_state = State::size_line;
  Sink m_next;
  std::string m_line;
  std::uint64_t m_left = 0;
  bool m_cr = false;
};

// gzip (with several members) or deflate (zlib-wrapped, or raw as some servers send it).
class Inflater {
public:
  Inflater(std::string coding, Sink next) : m_coding(std::move(coding)), m_next(std::move(next)) { init(); }
  ~Inflater() { ::inflateEnd(&m_zs); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  void feed(const char* p, std::size_t n) {
    if (m_first && m_coding == "deflate" && n > 0) {
      // RFC 9110 says zlib format; raw deflate is common too. A zlib header has CMF 0x?8 and
      // (CMF*256+FLG) % 31 == 0.
      const auto c0 = static_cast<unsigned char>(p[0]);
      const bool zlib_header = n >= 2 && (c0 & 0x0f) == 8 && ((c0 << 8) | static_cast<unsigned char>(p[1])) % 31 == 0;
      if (!zlib_header) {
        ::inflateEnd(&m_zs);
        m_zs = z_stream{};
        ::inflateInit2(&m_zs, -15);
      }
    }
    m_first = false;
    m_zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
    m_zs.avail_in = static_cast<uInt>(n);
    while (m_zs.avail_in > 0 || m_pending) {
      if (m_ended) {
        // gzip allows several members one after the other.
        if (m_coding == "deflate") return;
        ::inflateReset(&m_zs);
        m_ended = false;
      }
      m_zs.next_out = m_out;
      m_zs.avail_out = sizeof m_out;
      const int rc = ::inflate(&m_zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        throw DecodeFailure{m_coding + " data is corrupt (" + std::string(m_zs.msg ? m_zs.msg : "inflate error") + ")"};
      const std::size_t produced = sizeof m_out - m_zs.avail_out;
      if (produced > 0) m_next(reinterpret_cast<const char*>(m_out), produced);
      m_pending = m_zs.avail_out == 0;
      if (rc == Z_STREAM_END) {
        m_ended = true;
        m_pending = false;
      }
      if (rc == Z_BUF_ERROR && produced == 0) break;
    }
  }
  bool complete() const { return m_ended; }

private:
  void init() {
    if (::inflateInit2(&m_zs, m_coding == "deflate" ? 15 : 31) != Z_OK) throw Error(ErrorKind::internal, "zlib inflateInit2 failed");
  }
  std::string m_coding;
  Sink m_next;
  z_stream m_zs{};
  bool m_first = true;
  bool m_ended = false;
  bool m_pending = false;
  unsigned char m_out[1u << 16];
};

// raw -> [dechunk] -> undo the outermost `undo` of `codings` -> `out`: the stages own their
// state; head() is where the raw bytes go in. One pipeline for the file (run) and the bytes
// in memory (decode_body_bytes).
class DecodePipeline {
public:
  DecodePipeline(bool chunked, const std::vector<std::string>& codings, std::size_t undo, Sink out) : m_head(std::move(out)) {
    for (std::size_t i = 0; i < undo; ++i) {
      const std::string coding = codings[codings.size() - undo + i]; // innermost first in the sink chain
      m_inflaters.push_back(std::make_unique<Inflater>(coding == "x-gzip" ? "gzip" : coding, m_head));
      Inflater* inf = m_inflaters.back().get();
      m_head = [inf](const char* p, std::size_t n) { inf->feed(p, n); };
    }
    if (chunked) {
      m_dechunker = std::make_unique<Dechunker>(m_head);
      Dechunker* d = m_dechunker.get();
      m_head = [d](const char* p, std::size_t n) { d->feed(p, n); };
    }
  }
  const Sink& head() const { return m_head; }
  // Why the input ended too early ("" when every stage saw its end).
  std::string incomplete() const {
    if (m_dechunker && !m_dechunker->complete()) return "the chunked body ends before its last chunk (cut short)";
    for (const auto& inf : m_inflaters)
      if (!inf->complete()) return "the compressed body ends before its end marker (cut short)";
    return "";
  }

private:
  Sink m_head;
  std::vector<std::unique_ptr<Inflater>> m_inflaters;
  std::unique_ptr<Dechunker> m_dechunker;
};

bool supported(const std::string& coding) { return coding == "gzip" || coding == "x-gzip" || coding == "deflate"; }

struct Attempt {
  util::FileDigest digest;
  std::string problem;
  bool cut = false;
};

// One pass: raw -> [dechunk] -> undo the last `undo` codings -> out.
Attempt run(const fs::path& raw, const fs::path& out, bool chunked, const std::vector<std::string>& codings, std::size_t undo,
            std::uint64_t max_decoded) {
  const std::string out_what = util::utf8_lossy(out.string());
  util::UniqueFd ofd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!ofd.valid()) throw_errno(ErrorKind::io, out_what);
  util::Sha256 sha;
  std::uint64_t size = 0;
  bool cut = false;
  Sink sink = [&](const char* p, std::size_t n) {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, max_decoded - size));
    util::write_all(ofd.get(), p, take, out_what);
    sha.update(p, take);
    size += take;
    if (take < n) {
      cut = true;
      throw DecodedLimit{};
    }
  };
  const DecodePipeline pipeline(chunked, codings, undo, sink);
  const std::string raw_what = util::utf8_lossy(raw.string());
  util::UniqueFd ifd(::open(raw.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ifd.valid()) throw_errno(ErrorKind::io, raw_what);
  std::vector<char> buf(1u << 20);
  try {
    for (;;) {
      const ssize_t n = ::read(ifd.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno(ErrorKind::io, raw_what);
      }
      if (n == 0) break;
      pipeline.head()(buf.data(), static_cast<std::size_t>(n));
    }
  } catch (const DecodedLimit&) {
  }
  Attempt a;
  if (cut) {
    a.cut = true;
    a.problem = "the decoded body is longer than " + std::to_string(max_decoded) +
                " bytes (--max-decoded-size) and was cut there; the WARC keeps the whole response as received";
  } else {
    a.problem = pipeline.incomplete();
  }
  a.digest = util::FileDigest{size, util::to_hex(sha.finish())};
  return a;
}

} // namespace

std::vector<std::string> parse_codings(const std::string& header_value) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= header_value.size()) {
    const std::size_t comma = header_value.find(',', pos);
    std::string item = header_value.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const std::size_t semi = item.find(';');
    if (semi != std::string::npos) item.resize(semi);
    item = util::to_lower_ascii(util::trim(item, " \t"));
    if (!item.empty() && item != "identity") out.push_back(item);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

DecodedBytes decode_body_bytes(std::string_view raw, bool chunked, const std::vector<std::string>& codings, std::size_t max_decoded) {
  std::size_t undo = 0;
  while (undo < codings.size() && undo < k_max_decoded_codings && supported(codings[codings.size() - 1 - undo]))
    ++undo;
  DecodedBytes out;
  if (undo < codings.size()) out.problem = "content coding '" + codings[codings.size() - 1 - undo] + "' was left in place";
  Sink sink = [&](const char* p, std::size_t n) {
    const std::size_t take = std::min(n, max_decoded - out.bytes.size());
    out.bytes.append(p, take);
    if (take < n) {
      out.cut = true;
      throw DecodedLimit{};
    }
  };
  const DecodePipeline pipeline(chunked, codings, undo, sink); // the same as run()'s
  try {
    for (std::size_t pos = 0; pos < raw.size(); pos += 1u << 16)
      pipeline.head()(raw.data() + pos, std::min<std::size_t>(1u << 16, raw.size() - pos));
  } catch (const DecodedLimit&) {
  } catch (const DecodeFailure& f) {
    out.problem = f.reason;
  }
  out.decoded.assign(codings.rbegin(), codings.rbegin() + static_cast<std::ptrdiff_t>(undo));
  return out;
}

DecodedBody decode_body(const fs::path& raw, const fs::path& out, bool chunked, const std::vector<std::string>& codings,
                        std::uint64_t max_decoded) {
  // Undo the outermost codings as long as they are supported, k_max_decoded_codings at most.
  std::size_t undo = 0;
  while (undo < codings.size() && undo < k_max_decoded_codings && supported(codings[codings.size() - 1 - undo]))
    ++undo;
  DecodedBody result;
  std::string first_problem;
  if (undo == k_max_decoded_codings && undo < codings.size()) {
    first_problem = std::to_string(codings.size()) + " content codings; cbkit undoes " + std::to_string(k_max_decoded_codings) +
                    " at most and left the others in place";
  } else if (undo < codings.size()) {
    first_problem = "content coding '" + codings[codings.size() - 1 - undo] + "' is not supported by cbkit";
  }
  for (;;) {
    try {
      const Attempt a = run(raw, out, chunked, codings, undo, max_decoded);
      result.digest = a.digest;
      result.cut = a.cut;
      result.dechunked = chunked;
      result.decoded.assign(codings.rbegin(), codings.rbegin() + static_cast<std::ptrdiff_t>(undo));
      result.still_encoded.assign(codings.begin(), codings.end() - static_cast<std::ptrdiff_t>(undo));
      result.problem = first_problem.empty() ? a.problem : first_problem + (a.problem.empty() ? "" : "; " + a.problem);
      return result;
    } catch (const DecodeFailure& f) {
      std::error_code ec;
      fs::remove(out, ec);
      if (first_problem.empty()) first_problem = f.reason;
      if (undo > 0) {
        --undo; // keep that coding, try again with one less
        continue;
      }
      if (chunked) {
        // The framing itself is broken: keep the bytes as received.
        chunked = false;
        continue;
      }
      throw Error(ErrorKind::internal, "decode_body: no decoding left to drop");
    }
  }
}

} // namespace cbkit::capture
