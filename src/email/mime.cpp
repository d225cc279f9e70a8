#include "cbkit/email/mime.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <functional>
#include <gmime/gmime.h>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::email {

namespace fs = std::filesystem;
using util::Json;

namespace {

// RAII for GLib/GMime objects and strings.
struct ObjectUnref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
template <typename T> using GPtr = std::unique_ptr<T, ObjectUnref>;
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using GString_ = std::unique_ptr<char, GFree>;

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string str_or_empty(const char* s) { return s != nullptr ? std::string(s) : std::string(); }

// Nesting depth beyond which the walk stops (GMime has its own, lower, parser limit).
constexpr int k_max_depth = 64;

// A text body whose encoded size is over this is decoded through a scratch file.
constexpr std::size_t k_text_in_memory = 4u << 20;

// A message up to this size is parsed from a copy in memory and its derived files are
// built in memory, hashed there and written with one write() each. Through a file stream
// GMime seeks and reads the message again for every part (some 80 lseek and 60 read calls
// per message of the corpus), writes a derived file in pieces with a seek before each,
// fsyncs it on flush, and the file is then read back to be hashed. Larger messages keep
// those streams, so memory stays bounded whatever the message.
constexpr std::size_t k_message_in_memory = 8u << 20;

const char* warning_code(GMimeParserWarning w) {
  switch (w) {
  case GMIME_WARN_DUPLICATED_HEADER:
    return "mime-duplicated-header";
  case GMIME_WARN_DUPLICATED_PARAMETER:
    return "mime-duplicated-parameter";
  case GMIME_WARN_UNENCODED_8BIT_HEADER:
    return "mime-unencoded-8bit-header";
  case GMIME_WARN_INVALID_CONTENT_TYPE:
    return "mime-invalid-content-type";
  case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
    return "mime-invalid-rfc2047-header";
  case GMIME_WARN_MALFORMED_MULTIPART:
    return "mime-malformed-multipart";
  case GMIME_WARN_TRUNCATED_MESSAGE:
    return "mime-truncated-message";
  case GMIME_WARN_MALFORMED_MESSAGE:
    return "mime-malformed-message";
  case GMIME_CRIT_INVALID_HEADER_NAME:
    return "mime-invalid-header-name";
  case GMIME_CRIT_CONFLICTING_HEADER:
    return "mime-conflicting-header";
  case GMIME_CRIT_CONFLICTING_PARAMETER:
    return "mime-conflicting-parameter";
  case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    return "mime-multipart-without-boundary";
  case GMIME_WARN_INVALID_PARAMETER:
    return "mime-invalid-parameter";
  case GMIME_WARN_INVALID_ADDRESS_LIST:
    return "mime-invalid-address-list";
  case GMIME_CRIT_NESTING_OVERFLOW:
    return "mime-nesting-overflow";
  case GMIME_WARN_PART_WITHOUT_CONTENT:
    return "mime-part-without-content";
  case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
    return "mime-part-without-headers-or-content";
  }
  return "mime-warning";
}

extern "C" void on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer user_data) {
  auto* defects = static_cast<std::vector<MimeDefect>*>(user_data);
  if (defects->size() >= 1000) return; // a hostile message must not grow this without bound
  std::string message = std::string("GMime: ") + warning_code(code);
  if (item != nullptr) message += ": " + util::one_line(item, 120);
  defects->push_back(MimeDefect{warning_code(code), message, offset});
}

bool charset_convertible(const std::string& charset) {
  if (charset.empty()) return true;
  // iconv_open() loads (and iconv_close() may unload) a gconv module: remember answers.
  static std::mutex mutex;
  static std::map<std::string, bool> known;
  const std::string key = util::to_lower_ascii(charset);
  std::lock_guard<std::mutex> lock(mutex);
  if (const auto it = known.find(key); it != known.end()) return it->second;
  iconv_t cd = g_mime_iconv_open("UTF-8", charset.c_str());
  const bool ok = cd != reinterpret_cast<iconv_t>(-1);
  if (ok) g_mime_iconv_close(cd);
  if (known.size() < 1000) known.emplace(key, ok); // bounded against hostile charset names
  return ok;
}

class Extractor {
public:
  // `in_memory`: derived files are built in memory (the message is small, see
  // k_message_in_memory).
  Extractor(const fs::path& entry_dir, MimeReport& report, bool in_memory) : m_dir(entry_dir), m_report(report), m_in_memory(in_memory) {}

  void walk(GMimeObject* obj, const std::string& part, int depth) {
    if (obj == nullptr) return;
    if (depth > k_max_depth) {
      m_report.defects.push_back(
          {"mime-depth-limit", "MIME parts nested deeper than " + std::to_string(k_max_depth) + " levels were not extracted", -1});
      return;
    }
    describe(obj, part);
    if (GMIME_IS_MULTIPART(obj)) {
      auto* mp = GMIME_MULTIPART(obj);
      const int n = g_mime_multipart_get_count(mp);
      for (int i = 0; i < n; ++i) {
        walk(g_mime_multipart_get_part(mp, i), part.empty() ? std::to_string(i + 1) : part + "." + std::to_string(i + 1), depth + 1);
      }
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (inner == nullptr) return;
      const std::string name = attachment_name(obj, "message.eml", ".eml");
      write_file("attachments/" + name, "message", util::utf8_lossy(declared_filename(obj)), "message/rfc822", part,
                 [&](GMimeStream* s) { g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, s); });
      ++m_report.attachment_count;
      walk(g_mime_message_get_mime_part(inner), part + ".1", depth + 1);
    } else if (GMIME_IS_PART(obj)) {
      leaf(GMIME_PART(obj), part);
    }
  }

  bool made_attachments_dir() const { return m_made_attachments_dir; }

private:
  void describe(GMimeObject* obj, const std::string& part) {
    Json d = Json::object();
    d["part"] = part.empty() ? "0" : part;
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    GString_ type(ct != nullptr ? g_mime_content_type_get_mime_type(ct) : nullptr);
    d["content_type"] = util::utf8_lossy(str_or_empty(type.get()));
    const std::string charset = ct != nullptr ? str_or_empty(g_mime_content_type_get_parameter(ct, "charset")) : "";
    d["charset"] = charset.empty() ? Json() : Json(util::utf8_lossy(charset));
    const std::string disposition = str_or_empty(g_mime_object_get_disposition(obj));
    d["disposition"] = disposition.empty() ? Json() : Json(util::utf8_lossy(disposition));
    if (GMIME_IS_PART(obj)) {
      const std::string filename = str_or_empty(g_mime_part_get_filename(GMIME_PART(obj)));
      d["filename"] = filename.empty() ? Json() : Json(util::utf8_lossy(filename));
      d["encoding"] = g_mime_content_encoding_to_string(g_mime_part_get_content_encoding(GMIME_PART(obj))) != nullptr
                          ? Json(g_mime_content_encoding_to_string(g_mime_part_get_content_encoding(GMIME_PART(obj))))
                          : Json();
    }
    if (m_report.structure.size() < 10000) m_report.structure.push_back(std::move(d));
  }

  // The file name a part declares: Content-Disposition filename, else Content-Type name
  // (GMime decodes RFC 2231 and RFC 2047 forms).
  static std::string declared_filename(GMimeObject* obj) {
    if (GMIME_IS_PART(obj)) return str_or_empty(g_mime_part_get_filename(GMIME_PART(obj)));
    std::string name = str_or_empty(g_mime_object_get_content_disposition_parameter(obj, "filename"));
    return name.empty() ? str_or_empty(g_mime_object_get_content_type_parameter(obj, "name")) : name;
  }

  std::string attachment_name(GMimeObject* obj, const std::string& fallback, const std::string& ext) {
    std::string name = declared_filename(obj);
    if (name.empty()) {
      name = fallback;
    } else if (!ext.empty() && (name.size() < ext.size() || util::to_lower_ascii(name.substr(name.size() - ext.size())) != ext)) {
      name += ext;
    }
    return util::unique_name(std::to_string(++m_counter) + "-" + util::sanitize_file_name(name), m_taken);
  }

  void leaf(GMimePart* p, const std::string& part) {
    GMimeObject* obj = GMIME_OBJECT(p);
    // An RFC 2231 name with %00 is cut at the NUL by every C mail library (GMime too):
    // the stored name then hides the rest, so it is reported.
    for (const char* header : {"Content-Disposition", "Content-Type"}) {
      const std::string value = str_or_empty(g_mime_object_get_header(obj, header));
      if (value.find("%00") != std::string::npos && value.find("*=") != std::string::npos) {
        m_report.defects.push_back({"attachment-name-nul",
                                    "part " + (part.empty() ? std::string("0") : part) + ": the " + header +
                                        " file name holds an encoded NUL (%00); the stored name stops there, the full "
                                        "header is in original.eml",
                                    -1});
        break;
      }
    }
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    const std::string charset = ct != nullptr ? str_or_empty(g_mime_content_type_get_parameter(ct, "charset")) : "";
    if (!charset_convertible(charset)) {
      m_report.undecodable_charsets.push_back(util::utf8_lossy(charset));
    }
    const bool is_text = ct != nullptr && g_mime_content_type_is_type(ct, "text", "*");
    const bool attachment = g_mime_part_is_attachment(p) || (!is_text && g_mime_part_get_filename(p) != nullptr) ||
                            (!is_text && !g_mime_content_type_is_type(ct, "multipart", "*"));
    GString_ type(ct != nullptr ? g_mime_content_type_get_mime_type(ct) : nullptr);
    const std::string mime_type = util::utf8_lossy(str_or_empty(type.get()));

    if (!attachment && GMIME_IS_TEXT_PART(obj)) {
      const bool html = g_mime_content_type_is_type(ct, "text", "html");
      bool& done = html ? m_have_html : m_have_text;
      if (!done) {
        done = true;
        GMimeDataWrapper* content = g_mime_part_get_content(p);
        GMimeStream* encoded = content != nullptr ? g_mime_data_wrapper_get_stream(content) : nullptr;
        if (encoded != nullptr && g_mime_stream_length(encoded) > static_cast<gint64>(k_text_in_memory)) {
          write_large_text(content, ct, html, mime_type, part);
          return;
        }
        GString_ text(g_mime_text_part_get_text(GMIME_TEXT_PART(obj)));
        const std::string utf8 = util::utf8_lossy(str_or_empty(text.get()));
        write_file(html ? "body.html" : "body.txt", html ? "body-html" : "body-text", "", mime_type, part,
                   [&](GMimeStream* s) { g_mime_stream_write(s, utf8.data(), utf8.size()); });
        return;
      }
    }
    // Text shown inline after the first body (a forwarded message's text, a signature
    // block) is kept too, as an "inline" part; it is not counted as an attachment.
    const bool inline_text = !attachment && is_text;
    const std::string ext = !inline_text ? ".bin" : g_mime_content_type_is_type(ct, "text", "html") ? ".html" : ".txt";
    const std::string name = attachment_name(obj, "part-" + (part.empty() ? std::string("0") : part) + ext, "");
    GMimeDataWrapper* content = g_mime_part_get_content(p);
    write_file("attachments/" + name, inline_text ? "inline" : "attachment", util::utf8_lossy(str_or_empty(g_mime_part_get_filename(p))),
               mime_type, part, [&](GMimeStream* s) {
                 if (content != nullptr) g_mime_data_wrapper_write_to_stream(content, s); // decodes base64/QP
               });
    if (!inline_text) ++m_report.attachment_count;
  }

  // The text body as g_mime_text_part_get_text() gives it (transfer encoding decoded, the
  // declared charset converted to UTF-8, the text ending at the first NUL as that C string
  // does), then made valid UTF-8 like every derived text; but decoded into an unnamed
  // scratch file and converted in 1 MiB pieces, so a body of any size costs the same memory.
  void write_large_text(GMimeDataWrapper* content, GMimeContentType* ct, bool html, const std::string& mime_type, const std::string& part) {
    util::UniqueFd scratch = util::scratch_file(m_dir);
    {
      GPtr<GMimeStream> out(g_mime_stream_fs_new(::dup(scratch.get())));
      GPtr<GMimeStream> filtered;
      GMimeStream* sink = out.get();
      const char* charset = ct != nullptr ? g_mime_content_type_get_parameter(ct, "charset") : nullptr;
      if (charset != nullptr) {
        filtered.reset(g_mime_stream_filter_new(out.get()));
        if (GMimeFilter* f = g_mime_filter_charset_new(charset, "utf-8"); f != nullptr) {
          g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), f);
          g_object_unref(f);
        }
        sink = filtered.get();
      }
      if (g_mime_data_wrapper_write_to_stream(content, sink) < 0 || g_mime_stream_flush(sink) != 0)
        throw_errno(ErrorKind::io, (m_dir / "(scratch)").string());
    }
    if (::lseek(scratch.get(), 0, SEEK_SET) != 0) throw_errno(ErrorKind::io, (m_dir / "(scratch)").string());
    write_file(html ? "body.html" : "body.txt", html ? "body-html" : "body-text", "", mime_type, part, [&](GMimeStream* s) {
      std::vector<char> buf(1u << 20);
      util::Utf8LossyStream lossy;
      std::string out;
      bool at_nul = false;
      while (!at_nul) {
        const ssize_t n = ::read(scratch.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno(ErrorKind::io, (m_dir / "(scratch)").string());
        std::string_view piece(buf.data(), static_cast<std::size_t>(n));
        if (const auto nul = piece.find('\0'); nul != std::string_view::npos) {
          piece = piece.substr(0, nul);
          at_nul = true;
        }
        out.clear();
        lossy.feed(piece, n == 0 || at_nul, out);
        if (!out.empty() && g_mime_stream_write(s, out.data(), out.size()) != static_cast<ssize_t>(out.size()))
          throw_errno(ErrorKind::io, (m_dir / (html ? "body.html" : "body.txt")).string());
        if (n == 0) break;
      }
    });
  }

  template <typename Fn>
  void write_file(const std::string& rel, const std::string& role, const std::string& original_name, const std::string& content_type,
                  const std::string& part, Fn&& fill) {
    const fs::path path = m_dir / rel;
    if (rel.rfind("attachments/", 0) == 0 && !m_made_attachments_dir) {
      if (::mkdir((m_dir / "attachments").c_str(), 0700) != 0 && errno != EEXIST)
        throw_errno(ErrorKind::io, (m_dir / "attachments").string());
      m_made_attachments_dir = true;
    }
    util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) throw_errno(ErrorKind::io, path.string());
    util::FileDigest digest;
    if (m_in_memory) {
      GPtr<GMimeStream> stream(g_mime_stream_mem_new());
      fill(stream.get());
      const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
      const std::string_view content(reinterpret_cast<const char*>(bytes->data), bytes->len);
      util::write_all(fd.get(), content.data(), content.size(), path.string());
      digest.size = content.size();
      digest.sha256 = util::sha256_hex(content);
    } else {
      {
        GPtr<GMimeStream> stream(g_mime_stream_fs_new(::dup(fd.get())));
        fill(stream.get());
        if (g_mime_stream_flush(stream.get()) != 0) throw_errno(ErrorKind::io, path.string());
      }
      if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw_errno(ErrorKind::io, path.string());
      digest = util::sha256_fd(fd.get(), path.string());
    }
    // Read-only through the descriptor just written (no second lookup of the path).
    if (::fchmod(fd.get(), 0444) != 0) throw_errno(ErrorKind::io, path.string());
    m_report.files.push_back(DerivedFile{rel, role, original_name, content_type, part, digest.size, std::move(digest.sha256)});
  }

  fs::path m_dir;
  MimeReport& m_report;
  std::set<std::string> m_taken;
  int m_counter = 0;
  bool m_have_text = false;
  bool m_have_html = false;
  bool m_made_attachments_dir = false;
  bool m_in_memory = false;
};

} // namespace

namespace {

bool is_field_start(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && i < 256 && line[i] > ' ' && line[i] < 127 && line[i] != ':')
    ++i;
  return i > 0 && i < line.size() && line[i] == ':';
}

// What the MIME parse reads instead of the message when some header fields are too long:
// the message with each such field cut to `max_bytes` (its line break kept), written to an
// unnamed scratch file. `cuts` maps offsets in the copy back to the message.
struct ParseCopy {
  util::UniqueFd fd;
  std::vector<std::pair<std::size_t, std::size_t>> cuts; // (offset in the copy just after a cut, bytes removed up to there)
  std::size_t to_original(std::size_t copy_offset) const {
    std::size_t removed = 0;
    for (const auto& [at, total] : cuts)
      if (copy_offset >= at) removed = total;
    return copy_offset + removed;
  }
};

ParseCopy make_parse_copy(std::string_view message, const std::vector<LongHeaderField>& fields, const fs::path& dir,
                          std::size_t max_bytes) {
  ParseCopy copy;
  copy.fd = util::scratch_file(dir);
  const std::string what = (dir / "(MIME parse copy)").string();
  std::size_t from = 0;
  std::size_t removed = 0;
  std::size_t written = 0;
  for (const LongHeaderField& f : fields) {
    const std::string_view field = message.substr(f.offset, f.length);
    const std::size_t eol = field.size() >= 2 && field.substr(field.size() - 2) == "\r\n" ? 2
                            : !field.empty() && field.back() == '\n'                      ? 1
                                                                                          : 0;
    const std::size_t keep = std::min(max_bytes, field.size() - eol);
    util::write_all(copy.fd.get(), message.data() + from, f.offset + keep - from, what);
    util::write_all(copy.fd.get(), field.data() + field.size() - eol, eol, what);
    written += f.offset + keep - from + eol;
    removed += field.size() - keep - eol;
    copy.cuts.emplace_back(written, removed);
    from = f.offset + f.length;
  }
  util::write_all(copy.fd.get(), message.data() + from, message.size() - from, what);
  if (::lseek(copy.fd.get(), 0, SEEK_SET) != 0) throw_errno(ErrorKind::io, what);
  return copy;
}

} // namespace

std::vector<LongHeaderField> find_long_header_fields(std::string_view message, std::size_t max_bytes) {
  std::vector<LongHeaderField> out;
  bool in_header = true;                      // in a header block
  bool after_block = false;                   // the line before ended a header block
  std::size_t field = std::string_view::npos; // start of the open field
  const auto close = [&](std::size_t at) {
    if (field != std::string_view::npos && at - field > max_bytes) out.push_back({field, at - field});
    field = std::string_view::npos;
  };
  for (std::size_t pos = 0; pos < message.size();) {
    const std::size_t nl = message.find('\n', pos);
    const std::size_t next = nl == std::string_view::npos ? message.size() : nl + 1;
    std::string_view line = message.substr(pos, next - pos);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.remove_suffix(1);
    if (in_header) {
      if (line.empty()) {
        close(pos);
        in_header = false;
        after_block = true;
      } else if (line[0] == ' ' || line[0] == '\t') {
        if (field == std::string_view::npos) field = pos; // a leading continuation: counted as a field of its own
      } else {
        close(pos);
        field = pos; // a field, or a line GMime would still read into its header buffer
      }
    } else {
      const bool boundary = line.size() >= 3 && line.size() <= 80 && line.substr(0, 2) == "--";
      if (boundary || (after_block && is_field_start(line))) {
        in_header = true;
        if (!boundary) field = pos;
      }
      after_block = false;
    }
    pos = next;
  }
  close(message.size());
  return out;
}

MimeReport extract_mime(const fs::path& message_file, const fs::path& entry_dir, std::optional<std::string_view> message_bytes) {
  init_gmime();
  MimeReport report;
  util::UniqueFd fd;
  const auto open_message = [&] {
    fd.reset(::open(message_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throw_errno(ErrorKind::io, message_file.string());
  };
  ParseCopy copy;
  GPtr<GMimeStream> stream;
  bool in_memory = false;
  {
    std::size_t size = message_bytes ? message_bytes->size() : 0;
    void* map = nullptr;
    if (!message_bytes) {
      open_message();
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) throw_errno(ErrorKind::io, message_file.string());
      size = static_cast<std::size_t>(st.st_size);
      map = size > 0 ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0) : nullptr;
      if (map == MAP_FAILED) throw_errno(ErrorKind::io, message_file.string());
    }
    const std::unique_ptr<void, std::function<void(void*)>> unmap(map, [size](void* m) {
      if (m != nullptr) ::munmap(m, size);
    });
    const std::string_view message = message_bytes ? *message_bytes : std::string_view(static_cast<const char*>(map), size);
    const std::vector<LongHeaderField> long_fields = find_long_header_fields(message);
    if (!long_fields.empty()) {
      copy = make_parse_copy(message, long_fields, entry_dir, k_mime_max_header_field);
      for (const LongHeaderField& f : long_fields) {
        if (report.defects.size() >= 1000) break;
        report.defects.push_back({"mime-header-field-cut",
                                  "a header field of " + std::to_string(f.length) + " bytes is longer than " +
                                      std::to_string(k_mime_max_header_field >> 20) +
                                      " MiB: the MIME parse read only its first MiB (original.eml keeps it whole; the body and "
                                      "attachments come from that parse)",
                                  static_cast<std::int64_t>(f.offset)});
      }
    } else if (message.size() <= k_message_in_memory) {
      // The same bytes as the file, parsed from a copy the stream owns.
      stream.reset(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
      in_memory = true;
    }
  }
  if (!stream) {
    if (!copy.fd.valid() && !fd.valid()) open_message();
    stream.reset(g_mime_stream_fs_new(copy.fd.valid() ? copy.fd.release() : fd.release()));
  }
  const std::size_t own_defects = report.defects.size();
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  std::unique_ptr<GMimeParserOptions, decltype(&g_mime_parser_options_free)> options(g_mime_parser_options_new(),
                                                                                     &g_mime_parser_options_free);
  g_mime_parser_options_set_warning_callback(options.get(), on_parser_warning, &report.defects);
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options.get()));
  if (!copy.cuts.empty()) { // GMime's offsets are in the parse copy
    for (std::size_t i = own_defects; i < report.defects.size(); ++i)
      if (report.defects[i].offset >= 0)
        report.defects[i].offset = static_cast<std::int64_t>(copy.to_original(static_cast<std::size_t>(report.defects[i].offset)));
  }
  if (!message) {
    report.defects.push_back({"mime-unparsable", "GMime could not parse the message at all", -1});
    return report;
  }
  report.parsed = true;
  Extractor extractor(entry_dir, report, in_memory);
  extractor.walk(g_mime_message_get_mime_part(message.get()), "", 0);
  if (extractor.made_attachments_dir()) util::make_read_only(entry_dir / "attachments", true);
  return report;
}

std::string decode_header_value(std::string_view raw_value, std::string* bad_charset) {
  init_gmime();
  std::string value(raw_value);
  for (char& c : value) {
    if (c == '\0') c = ' ';
  }
  if (bad_charset != nullptr) {
    // Find encoded words "=?charset?" whose charset iconv does not know.
    for (std::size_t pos = value.find("=?"); pos != std::string::npos; pos = value.find("=?", pos + 2)) {
      const std::size_t q = value.find('?', pos + 2);
      if (q == std::string::npos || q - pos > 64) continue;
      std::string cs = value.substr(pos + 2, q - pos - 2);
      if (const auto star = cs.find('*'); star != std::string::npos) cs.resize(star); // RFC 2231 language
      if (!cs.empty() && !charset_convertible(cs)) {
        *bad_charset = util::utf8_lossy(cs);
        break;
      }
    }
  }
  GString_ decoded(g_mime_utils_header_decode_text(nullptr, value.c_str()));
  std::string out = str_or_empty(decoded.get());
  // Unfold: line breaks inside a folded value carry no meaning.
  std::string unfolded;
  for (char c : out) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  return util::utf8_lossy(util::trim(unfolded, " \t"));
}

namespace {

void collect_addresses(InternetAddressList* list, Json& out, int depth) {
  if (list == nullptr || depth > 4) return;
  const int n = internet_address_list_length(list);
  for (int i = 0; i < n && out.size() < 1000; ++i) {
    InternetAddress* ia = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
      Json a = Json::object();
      const std::string name = str_or_empty(internet_address_get_name(ia));
      a["name"] = name.empty() ? Json() : Json(util::utf8_lossy(name));
      a["address"] = util::utf8_lossy(str_or_empty(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))));
      out.push_back(std::move(a));
    } else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      collect_addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
    }
  }
}

} // namespace

Json parse_addresses(std::string_view raw_value) {
  init_gmime();
  std::string value(raw_value);
  for (char& c : value) {
    if (c == '\0') c = ' ';
  }
  Json out = Json::array();
  GPtr<InternetAddressList> list(internet_address_list_parse(nullptr, value.c_str()));
  collect_addresses(list.get(), out, 0);
  return out;
}

std::string first_address_domain(std::string_view raw_value) {
  const Json list = parse_addresses(raw_value);
  if (list.empty()) return "";
  const std::string addr = list[0]["address"].get<std::string>();
  const auto at = addr.rfind('@');
  if (at == std::string::npos) return "";
  std::string domain = util::to_lower_ascii(addr.substr(at + 1));
  while (!domain.empty() && (domain.back() == '>' || domain.back() == '.'))
    domain.pop_back();
  return domain;
}

} // namespace cbkit::email
