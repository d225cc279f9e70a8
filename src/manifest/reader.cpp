#include "cbkit/manifest/reader.hpp"

#include "cbkit/error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::manifest {

namespace {
constexpr std::size_t k_chunk = 1u << 20;
}

LineReader::LineReader(const std::filesystem::path& manifest) : m_path(manifest) {
  m_fd.reset(::open(manifest.c_str(), O_RDONLY | O_CLOEXEC));
  if (!m_fd.valid()) throw_errno(ErrorKind::case_, manifest.string());
}

bool LineReader::fill() {
  if (m_eof) return false;
  if (m_pos > 0) {
    m_buf.erase(0, m_pos);
    m_pos = 0;
  }
  const std::size_t old = m_buf.size();
  m_buf.resize(old + k_chunk);
  ssize_t n = 0;
  do {
    n = ::read(m_fd.get(), m_buf.data() + old, k_chunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno(ErrorKind::case_, m_path.string());
  m_buf.resize(old + static_cast<std::size_t>(n));
  if (n == 0) m_eof = true;
  return n > 0;
}

bool LineReader::next(RawLine& line) {
  line = RawLine{};
  line.index = m_index;
  util::Sha256 hash;
  bool any = false;
  for (;;) {
    const std::size_t lf = m_buf.find('\n', m_pos);
    const std::size_t end = lf == std::string::npos ? m_buf.size() : lf;
    const std::string_view piece(m_buf.data() + m_pos, end - m_pos);
    if (!piece.empty()) any = true;
    hash.update(piece);
    line.size += piece.size();
    if (!line.too_long) {
      if (line.bytes.size() + piece.size() > k_max_line_bytes) {
        line.too_long = true;
        line.bytes.clear();
        line.bytes.shrink_to_fit();
      } else {
        line.bytes.append(piece);
      }
    }
    m_pos = end;
    if (lf != std::string::npos) {
      ++m_pos;
      line.has_lf = true;
      break;
    }
    if (!fill()) {
      if (!any) return false;
      line.has_lf = false;
      break;
    }
  }
  line.sha256 = util::to_hex(hash.finish());
  ++m_index;
  return true;
}

std::optional<Json> parse_line(const std::string& bytes) {
  auto j = util::parse_untrusted_json(bytes);
  if (!j || !j->is_object()) return std::nullopt;
  return j;
}

Tail read_tail(const std::filesystem::path& manifest) {
  util::UniqueFd fd(::open(manifest.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw_errno(ErrorKind::case_, manifest.string());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno(ErrorKind::case_, manifest.string());
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::string repair = "; run 'cbkit verify' and repair the manifest before adding entries";
  if (size == 0) throw Error(ErrorKind::case_, manifest.string() + ": the manifest is empty" + repair);

  // Read backwards in blocks until the LF that ends the line before the last one.
  std::string tail;
  std::uint64_t pos = size;
  std::size_t start = std::string::npos;
  while (pos > 0) {
    const std::uint64_t block = std::min<std::uint64_t>(pos, 64 * 1024);
    pos -= block;
    std::string buf(block, '\0');
    if (::pread(fd.get(), buf.data(), block, static_cast<off_t>(pos)) != static_cast<ssize_t>(block)) {
      throw_errno(ErrorKind::case_, manifest.string());
    }
    tail.insert(0, buf);
    if (tail.back() != '\n') {
      throw Error(ErrorKind::case_, manifest.string() + ": the last line is torn (no final LF)" + repair);
    }
    const std::size_t lf = tail.find_last_of('\n', tail.size() - 2);
    if (tail.size() >= 2 && lf != std::string::npos) {
      start = lf + 1;
      break;
    }
    if (tail.size() > k_max_line_bytes) {
      throw Error(ErrorKind::case_, manifest.string() + ": the last line is longer than 16 MiB" + repair);
    }
  }
  if (start == std::string::npos) start = 0;
  const std::string last = tail.substr(start, tail.size() - 1 - start);
  const auto j = parse_line(last);
  if (!j || !j->contains("seq") || !(*j)["seq"].is_number_unsigned()) {
    throw Error(ErrorKind::case_, manifest.string() + ": the last line is not a valid manifest entry" + repair);
  }
  if (!last.empty() && last.back() == '\r') {
    throw Error(ErrorKind::case_, manifest.string() + ": the last line ends with CR LF" + repair);
  }
  Tail t;
  t.seq = (*j)["seq"].get<std::uint64_t>();
  t.head = util::sha256_hex(last);
  t.size = size;
  return t;
}

} // namespace cbkit::manifest
