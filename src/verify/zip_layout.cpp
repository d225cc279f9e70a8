// check_zip_layout: the zip as unzip and Python's zipfile read it (end record, central
// directory) against the local headers libarchive's streaming reader walks. See
// zip_layout.hpp for the rules; APPNOTE.TXT (PKWARE) for the records.

#include "zip_layout.hpp"
#include "cbkit/util/text.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unistd.h>

namespace cbkit::verify {

namespace {

constexpr std::uint32_t k_local_sig = 0x04034b50;
constexpr std::uint32_t k_central_sig = 0x02014b50;
constexpr std::uint32_t k_end_sig = 0x06054b50;
constexpr std::uint32_t k_z64_end_sig = 0x06064b50;
constexpr std::uint32_t k_z64_locator_sig = 0x07064b50;
constexpr std::uint32_t k_descriptor_sig = 0x08074b50;
constexpr std::size_t k_end_size = 22;
constexpr std::size_t k_central_size = 46;
constexpr std::size_t k_local_size = 30;
constexpr std::size_t k_z64_locator_size = 20;
constexpr std::size_t k_z64_end_size = 56;
constexpr std::uint64_t k_max_comment = 0xffff;
// libarchive pads its output to whole blocks of this size unless told not to; earlier
// versions of cbkit seal did so for zip (zero bytes after the end record).
constexpr std::uint64_t k_legacy_block = 10240;
constexpr std::size_t k_max_problems = 16;
constexpr std::uint32_t k_all32 = 0xffffffffu;
constexpr std::uint16_t k_all16 = 0xffffu;
constexpr std::uint16_t k_flag_encrypted = 0x0001;
constexpr std::uint16_t k_flag_descriptor = 0x0008;
constexpr std::uint16_t k_flag_strong_encryption = 0x0040;

std::uint16_t u16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t u32(const unsigned char* p) { return static_cast<std::uint32_t>(u16(p)) | (static_cast<std::uint32_t>(u16(p + 2)) << 16); }
std::uint64_t u64(const unsigned char* p) { return static_cast<std::uint64_t>(u32(p)) | (static_cast<std::uint64_t>(u32(p + 4)) << 32); }

bool is_record_sig(const unsigned char* p) {
  if (p[0] != 'P' || p[1] != 'K') return false;
  const std::uint32_t s = u32(p);
  return s == k_end_sig || s == k_z64_end_sig || s == k_z64_locator_sig || s == k_central_sig;
}

std::string shown(const std::string& name) {
  std::string s = util::utf8_lossy(name.size() > 200 ? name.substr(0, 200) + "…" : name);
  return "'" + s + "'";
}

class Checker {
public:
  Checker(int fd, std::uint64_t size, std::uint64_t max_members, ZipLayout& out)
      : m_fd(fd), m_size(size), m_max_members(max_members), m_out(out) {}

  void run() {
    if (!find_end()) return;
    walk();
  }

private:
  void problem(std::string what) {
    if (m_out.problems.size() < k_max_problems) {
      m_out.problems.push_back(std::move(what));
    } else {
      m_out.problems_cut = true;
    }
  }

  // Reads exactly n bytes at off; false (with a problem) when the file is shorter.
  bool read(std::uint64_t off, void* buf, std::size_t n, const char* what) {
    if (off > m_size || n > m_size - off) {
      problem(std::string(what) + " lies beyond the end of the file (offset " + std::to_string(off) + ")");
      return false;
    }
    auto* p = static_cast<char*>(buf);
    std::size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(m_fd, p + done, n - done, static_cast<off_t>(off + done));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        problem(std::string("cannot read ") + what +
                (r < 0 ? std::string(": ") + std::strerror(errno) : std::string(": the file is shorter")));
        return false;
      }
      done += static_cast<std::size_t>(r);
    }
    return true;
  }

  // The end record the standard tools use: the last signature within the window.
  bool find_end() {
    if (m_size < k_end_size) {
      problem("the file is too short to be a zip (no end-of-central-directory record)");
      return false;
    }
    const std::uint64_t window_start = m_size > k_end_size + k_max_comment ? m_size - k_end_size - k_max_comment : 0;
    m_tail.resize(static_cast<std::size_t>(m_size - window_start));
    if (!read(window_start, m_tail.data(), m_tail.size(), "the end of the file")) return false;
    const auto* t = reinterpret_cast<const unsigned char*>(m_tail.data());
    std::optional<std::size_t> at;
    for (std::size_t i = m_tail.size() - k_end_size + 1; i-- > 0;) {
      if (t[i] == 'P' && u32(t + i) == k_end_sig) {
        at = i;
        break;
      }
    }
    if (!at) {
      problem("has no end-of-central-directory record in its last 64 KiB");
      return false;
    }
    const unsigned char* e = t + *at;
    m_end = window_start + *at;
    const std::uint16_t disk = u16(e + 4);
    const std::uint16_t cd_disk = u16(e + 6);
    const std::uint16_t n_disk = u16(e + 8);
    const std::uint16_t n_total = u16(e + 10);
    const std::uint32_t cd_size = u32(e + 12);
    const std::uint32_t cd_offset = u32(e + 16);
    const std::uint16_t comment = u16(e + 20);
    const std::uint64_t end = m_end + k_end_size + comment;
    if (end > m_size) {
      problem("the end record's comment (" + std::to_string(comment) + " bytes) runs past the end of the file");
    } else if (end < m_size) {
      bool zeros = true;
      for (std::size_t i = static_cast<std::size_t>(end - window_start); i < m_tail.size() && zeros; ++i)
        zeros = m_tail[i] == 0;
      const bool legacy_padding = zeros && comment == 0 && m_size % k_legacy_block == 0 && m_size - end < k_legacy_block;
      if (!legacy_padding) {
        problem(std::to_string(m_size - end) + " bytes follow the end record and its comment (the comment length says the file ends at " +
                std::to_string(end) + ")");
      }
    }
    // A second end record (or a directory) hidden in the comment is what a reader that
    // searches from the front would take.
    for (std::size_t i = static_cast<std::size_t>(m_end - window_start) + k_end_size;
         i + 4 <= std::min<std::size_t>(m_tail.size(), static_cast<std::size_t>(std::min(end, m_size) - window_start)); ++i) {
      if (is_record_sig(t + i)) {
        problem("the archive comment holds another zip record (offset " + std::to_string(window_start + i) +
                "): a second central directory");
        break;
      }
    }

    std::uint64_t count = n_total;
    std::uint64_t size = cd_size;
    std::uint64_t offset = cd_offset;
    m_cd_end = m_end;
    bool z64 = false;
    if (m_end >= k_z64_locator_size) {
      std::array<unsigned char, k_z64_locator_size> loc{};
      if (!read(m_end - k_z64_locator_size, loc.data(), loc.size(), "the zip64 locator")) return false;
      z64 = u32(loc.data()) == k_z64_locator_sig;
      if (z64) {
        const std::uint64_t rec_at = u64(loc.data() + 8);
        if (u32(loc.data() + 4) != 0 || u32(loc.data() + 16) != 1) problem("the zip64 locator names another disk");
        std::array<unsigned char, k_z64_end_size> rec{};
        if (!read(rec_at, rec.data(), rec.size(), "the zip64 end record")) return false;
        if (u32(rec.data()) != k_z64_end_sig) {
          problem("the zip64 locator points at offset " + std::to_string(rec_at) + ", where there is no zip64 end record");
          return false;
        }
        const std::uint64_t rec_len = u64(rec.data() + 4);
        if (rec_len < k_z64_end_size - 12 || rec_at + 12 + rec_len != m_end - k_z64_locator_size) {
          problem("the zip64 end record does not end where its locator begins");
        }
        if (u32(rec.data() + 16) != 0 || u32(rec.data() + 20) != 0 || u64(rec.data() + 24) != u64(rec.data() + 32)) {
          problem("the zip64 end record names another disk");
        }
        count = u64(rec.data() + 32);
        size = u64(rec.data() + 40);
        offset = u64(rec.data() + 48);
        if ((n_total != k_all16 && n_total != count) || (cd_size != k_all32 && cd_size != size) ||
            (cd_offset != k_all32 && cd_offset != offset)) {
          problem("the end record and the zip64 end record disagree on the central directory");
        }
        m_cd_end = rec_at;
      }
    }
    if (disk != 0 || cd_disk != 0 || n_disk != n_total) problem("the end record names more than one disk");
    if (offset > m_cd_end || size != m_cd_end - offset) {
      problem("the central directory (offset " + std::to_string(offset) + ", " + std::to_string(size) +
              " bytes) does not end where the end record begins (offset " + std::to_string(m_cd_end) + ")");
      return false;
    }
    if (count > m_max_members) {
      problem("the central directory lists " + std::to_string(count) + " entries, more than the " + std::to_string(m_max_members) +
              " verify reads");
      return false;
    }
    m_cd_offset = offset;
    m_count = count;
    m_tail.clear();
    m_tail.shrink_to_fit();
    return true;
  }

  // Zip64 extended information (header id 1): the 64-bit values of the fields whose 32-bit
  // value is all ones, in the order uncompressed size, compressed size, offset.
  static bool zip64_fields(const std::string& extra, std::uint64_t* usize, std::uint64_t* csize, std::uint64_t* offset, bool& present) {
    present = false;
    const auto* p = reinterpret_cast<const unsigned char*>(extra.data());
    std::size_t i = 0;
    while (i + 4 <= extra.size()) {
      const std::uint16_t id = u16(p + i);
      const std::uint16_t len = u16(p + i + 2);
      if (i + 4 + len > extra.size()) return false;
      if (id == 1) {
        present = true;
        std::size_t at = i + 4;
        for (std::uint64_t* v : {usize, csize, offset}) {
          if (v == nullptr || *v != k_all32) continue;
          if (at + 8 > i + 4 + len) return false;
          *v = u64(p + at);
          at += 8;
        }
      }
      i += 4 + len;
    }
    return true;
  }

  void walk() {
    std::uint64_t pos = m_cd_offset;
    std::uint64_t expected = 0; // where the next member must begin
    std::string previous;
    std::array<unsigned char, k_central_size> c{};
    std::array<unsigned char, k_local_size> l{};
    for (std::uint64_t i = 0; i < m_count; ++i) {
      const std::string nth = "central directory entry " + std::to_string(i + 1);
      if (pos + k_central_size > m_cd_end) {
        problem("the central directory ends after " + std::to_string(i) + " of the " + std::to_string(m_count) + " entries it should hold");
        return;
      }
      if (!read(pos, c.data(), c.size(), nth.c_str())) return;
      if (u32(c.data()) != k_central_sig) {
        problem(nth + " (offset " + std::to_string(pos) + ") is not a central directory header");
        return;
      }
      const std::uint16_t flags = u16(c.data() + 8);
      const std::uint16_t method = u16(c.data() + 10);
      const std::uint32_t crc = u32(c.data() + 16);
      std::uint64_t csize = u32(c.data() + 20);
      std::uint64_t usize = u32(c.data() + 24);
      const std::uint16_t nlen = u16(c.data() + 28);
      const std::uint16_t elen = u16(c.data() + 30);
      const std::uint16_t clen = u16(c.data() + 32);
      const std::uint16_t disk = u16(c.data() + 34);
      std::uint64_t offset = u32(c.data() + 42);
      std::string name(nlen, '\0');
      std::string extra(elen, '\0');
      if (!read(pos + k_central_size, name.data(), nlen, nth.c_str()) ||
          !read(pos + k_central_size + nlen, extra.data(), elen, nth.c_str()))
        return;
      pos += k_central_size + nlen + elen + clen;
      if (pos > m_cd_end) {
        problem(nth + " " + shown(name) + " runs past the end of the central directory");
        return;
      }
      bool z64 = false;
      if (!zip64_fields(extra, &usize, &csize, &offset, z64)) {
        problem(nth + " " + shown(name) + " has a malformed extra field");
        return;
      }
      const std::string who = "member " + shown(name);
      if ((flags & (k_flag_encrypted | k_flag_strong_encryption)) != 0) problem(who + " is encrypted");
      if (method != 0 && method != 8) problem(who + " uses compression method " + std::to_string(method) + " (only stored and deflate)");
      if (disk != 0 && !(disk == k_all16 && z64)) problem(who + " is on another disk");
      if (offset != expected) {
        if (i == 0) {
          problem(offset > expected ? std::to_string(offset) + " bytes come before the first member " + shown(name)
                                    : "the first member " + shown(name) + " starts before the file");
        } else if (offset > expected) {
          problem(std::to_string(offset - expected) + " bytes between " + shown(previous) + " and " + shown(name) +
                  " belong to no member the central directory lists");
        } else {
          problem(who + " overlaps " + shown(previous) + " (or the central directory lists the members out of their order in the file)");
        }
      }
      previous = name;
      if (!read(offset, l.data(), l.size(), ("the local header of " + who).c_str())) return;
      if (u32(l.data()) != k_local_sig) {
        problem("the central directory points " + who + " at offset " + std::to_string(offset) + ", where there is no local header");
        return;
      }
      const std::uint16_t lflags = u16(l.data() + 6);
      const std::uint16_t lmethod = u16(l.data() + 8);
      const std::uint32_t lcrc = u32(l.data() + 14);
      std::uint64_t lcsize = u32(l.data() + 18);
      std::uint64_t lusize = u32(l.data() + 22);
      const std::uint16_t lnlen = u16(l.data() + 26);
      const std::uint16_t lelen = u16(l.data() + 28);
      std::string lname(lnlen, '\0');
      std::string lextra(lelen, '\0');
      if (!read(offset + k_local_size, lname.data(), lnlen, "a local header") ||
          !read(offset + k_local_size + lnlen, lextra.data(), lelen, "a local header"))
        return;
      bool lz64 = false;
      if (!zip64_fields(lextra, &lusize, &lcsize, nullptr, lz64)) {
        problem("the local header of " + who + " has a malformed extra field");
        return;
      }
      if (lname != name) problem("the central directory names a member " + shown(name) + " whose local header says " + shown(lname));
      if (lflags != flags) problem(who + ": flags differ between the local header and the central directory");
      if (lmethod != method) problem(who + ": the compression method differs between the local header and the central directory");
      const bool descriptor = (flags & k_flag_descriptor) != 0;
      auto agree = [&](std::uint64_t local, std::uint64_t central) { return local == central || (descriptor && local == 0); };
      if (!agree(lcrc, crc)) problem(who + ": the CRC-32 differs between the local header and the central directory");
      if (!agree(lcsize, csize) || !agree(lusize, usize)) {
        problem(who + ": the sizes differ between the local header and the central directory");
      }
      std::uint64_t end = offset + k_local_size + lnlen + lelen;
      if (csize > m_cd_offset || end > m_cd_offset - csize) {
        problem(who + ": its data (" + std::to_string(csize) + " bytes) runs into the central directory");
        return;
      }
      end += csize;
      if (descriptor) {
        // Optional signature, CRC-32, then both sizes: 8 bytes each when the local header
        // carries a zip64 field, else 4.
        std::array<unsigned char, 24> d{};
        const std::size_t want = std::min<std::uint64_t>(d.size(), m_cd_offset - end);
        if (!read(end, d.data(), want, "a data descriptor")) return;
        std::size_t at = 0;
        if (want >= 4 && u32(d.data()) == k_descriptor_sig) at = 4;
        const std::size_t len = at + 4 + (lz64 ? 16 : 8);
        if (len > want) {
          problem(who + ": its data descriptor runs into the central directory");
          return;
        }
        const std::uint32_t dcrc = u32(d.data() + at);
        const std::uint64_t dcsize = lz64 ? u64(d.data() + at + 4) : u32(d.data() + at + 4);
        const std::uint64_t dusize = lz64 ? u64(d.data() + at + 12) : u32(d.data() + at + 8);
        if (dcrc != crc || dcsize != csize || dusize != usize) {
          problem(who + ": its data descriptor differs from the central directory (CRC-32 or sizes)");
        }
        end += len;
      }
      expected = end;
    }
    if (pos != m_cd_end) {
      problem("the central directory holds " + std::to_string(m_cd_end - pos) + " bytes after its " + std::to_string(m_count) +
              " entries (entries the end record does not count)");
    }
    if (expected != m_cd_offset) {
      problem(std::to_string(m_cd_offset - expected) + " bytes between the last member" + (previous.empty() ? "" : " " + shown(previous)) +
              " and the central directory belong to no member it lists");
    }
    m_out.members = m_count;
  }

  int m_fd;
  std::uint64_t m_size;
  std::uint64_t m_max_members;
  ZipLayout& m_out;
  std::string m_tail;
  std::uint64_t m_end = 0;    // the end record
  std::uint64_t m_cd_end = 0; // where the central directory must end (zip64 record or end record)
  std::uint64_t m_cd_offset = 0;
  std::uint64_t m_count = 0;
};

} // namespace

ZipLayout check_zip_layout(int fd, std::uint64_t size, std::uint64_t max_members) {
  ZipLayout out;
  Checker(fd, size, max_members, out).run();
  return out;
}

} // namespace cbkit::verify
