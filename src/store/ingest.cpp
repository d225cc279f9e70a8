#include "cbkit/store/ingest.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/store/media_type.hpp"
#include "cbkit/util/block_writer.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace cbkit::store {

namespace {

std::string display(const fs::path& p) { return util::utf8_lossy(p.string()); }

// One buffer; a multiple of util::BlockWriter::k_align. 1 MiB writes keep the disk as busy as 4 MiB ones did
// (O_DIRECT, three in flight) at a quarter of the memory (issue 17: 3 MiB instead of 12).
constexpr std::size_t k_block = 1u << 20;
constexpr std::size_t k_buffers = 3;

} // namespace

// Opens an input as evidence: a regular file, readable, and a symbolic link only when
// allowed. Never blocks (a FIFO is opened non-blocking and then refused).
util::UniqueFd open_evidence_source(const fs::path& path, bool follow_symlinks, struct stat& st, std::string* link_target) {
  const std::string name = display(path);
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) != 0) {
    if (errno == ENOENT) throw Error(ErrorKind::input, name + ": no such file");
    throw_errno(ErrorKind::input, name);
  }
  if (S_ISLNK(lst.st_mode)) {
    if (!follow_symlinks) {
      throw Error(ErrorKind::input,
                  name + ": is a symbolic link; add the file it points to (add-file also takes --follow-symlinks to record both)");
    }
    std::error_code ec;
    const fs::path target = fs::read_symlink(path, ec);
    if (link_target != nullptr) *link_target = target.string();
  }
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow_symlinks ? 0 : O_NOFOLLOW)));
  if (!fd.valid()) {
    if (errno == ENOENT) throw Error(ErrorKind::input, name + ": no such file (dangling symbolic link)");
    if (errno == EACCES) throw Error(ErrorKind::input, name + ": permission denied; make it readable for this user first");
    throw_errno(ErrorKind::input, name);
  }
  if (::fstat(fd.get(), &st) != 0) throw_errno(ErrorKind::input, name);
  if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::input, name + ": is a directory; add the files inside it (e.g. " + name + "/*)");
  if (S_ISFIFO(st.st_mode))
    throw Error(ErrorKind::input, name + ": is a FIFO (named pipe), not a regular file; save its content to a file first");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    throw Error(ErrorKind::input, name + ": is a device, not a regular file; image it to a file first");
  }
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::input, name + ": is not a regular file");
  // Reads should block normally from here on.
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

namespace {

// Small files (most e-mails, screenshots) are copied with one buffer: the pipeline's
// threads and 4 MiB buffers cost more than they save below this size.
constexpr std::uint64_t k_small_file = 1u << 20;

CopyResult copy_small(int src_fd, const std::string& src_name, const fs::path& dest, std::size_t expected, bool sync, bool detect_type) {
  std::string buf(expected + 1, '\0'); // one spare byte: notices a file that grew meanwhile
  const std::size_t len = util::read_full(src_fd, buf.data(), buf.size(), src_name, ErrorKind::input);
  buf.resize(len);
  if (len > expected) {
    // It grew: copy the rest through the streaming path's loop below.
    return CopyResult{};
  }
  util::UniqueFd out = util::open_no_follow(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
  util::write_all(out.get(), buf.data(), buf.size(), display(dest));
  if (sync) util::fsync_or_throw(out.get(), display(dest));
  CopyResult r;
  r.size = len;
  if (detect_type) r.media_type = media_type_of(buf.data(), buf.size());
  r.sha256 = util::sha256_hex(buf);
  return r;
}

} // namespace

CopyResult copy_and_hash(int src_fd, const std::string& src_name, const fs::path& dest, bool sync, bool detect_type) {
  struct stat st {};
  if (::fstat(src_fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) < k_small_file &&
      ::lseek(src_fd, 0, SEEK_CUR) == 0) {
    CopyResult r = copy_small(src_fd, src_name, dest, static_cast<std::size_t>(st.st_size), sync, detect_type);
    if (!r.sha256.empty()) return r;
    // The file grew while being read: start over with the streaming copy.
    if (::lseek(src_fd, 0, SEEK_SET) != 0) throw_errno(ErrorKind::input, src_name);
  }
  // O_DIRECT where the file system supports it (not tmpfs, for one); buffered otherwise.
  bool direct = true;
  util::UniqueFd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_DIRECT, 0600));
  if (!out.valid()) {
    // Not every file system has O_DIRECT (EINVAL); any other failure repeats below and is
    // thrown naming the path (a link in its place included).
    direct = false;
    out = util::open_no_follow(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
  }
  ::posix_fadvise(src_fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  util::Sha256 hash;
  CopyResult r;
  {
    // Writing overlaps reading and hashing here: SHA-256 and the disk run at the same time.
    util::BlockWriter writer(out.get(), direct, display(dest), k_block, k_buffers);
    for (;;) {
      throw_if_interrupted(src_name);
      char* buf = writer.acquire();
      const std::size_t len = util::read_full(src_fd, buf, k_block, src_name, ErrorKind::input);
      if (r.size == 0 && detect_type) r.media_type = media_type_of(buf, len);
      if (len == 0) break;
      hash.update(buf, len);
      r.size += len;
      writer.submit(buf, len);
      if (len < k_block) break;
    }
    writer.finish();
  }
  if (sync) util::fsync_or_throw(out.get(), display(dest));
  r.sha256 = util::to_hex(hash.finish());
  return r;
}

void validate_context(const Context& c) {
  const std::pair<const char*, const std::string*> fields[] = {{"--kind", &c.kind},
                                                               {"--note", &c.note},
                                                               {"--source-url", &c.source_url},
                                                               {"--platform", &c.platform},
                                                               {"--account-id", &c.account_id}};
  for (const auto& [option, value] : fields) {
    if (!util::is_valid_utf8(*value))
      throw Error(ErrorKind::usage, std::string(option) + " '" + util::utf8_lossy(*value) + "': not valid UTF-8");
  }
  const std::string& url = c.source_url;
  if (!url.empty()) {
    const auto colon = url.find(':');
    bool ok = colon != std::string::npos && colon > 0 && std::isalpha(static_cast<unsigned char>(url[0]));
    for (std::size_t i = 0; ok && i < colon; ++i) {
      const char ch = url[i];
      ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '-' || ch == '.';
    }
    for (char ch : url) {
      if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) ok = false;
    }
    if (!ok) {
      throw Error(ErrorKind::usage, "--source-url '" + util::utf8_lossy(url) +
                                        "': not an absolute URL (expected e.g. https://instagram.com/account, no spaces)");
    }
  }
}

std::optional<std::string> person_role(const Case& c, std::uint64_t id) {
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (reader.next(raw)) {
    if (raw.index < id) continue;
    if (raw.index > id || !raw.has_lf) break;
    const auto line = manifest::parse_line(raw.bytes);
    if (!line || util::string_field(*line, "kind") != "person") return std::nullopt;
    const std::string role = util::string_field(util::member(*line, "person"), "role");
    if (role.empty()) return std::nullopt;
    return role;
  }
  return std::nullopt;
}

void validate_context(const Case& c, const Context& context) {
  validate_context(context);
  const std::pair<const char*, const std::optional<std::uint64_t>*> refs[] = {{"--from-person", &context.from_person},
                                                                              {"--about-person", &context.about_person}};
  for (const auto& [option, id] : refs) {
    if (*id && !person_role(c, **id)) {
      throw Error(ErrorKind::usage, std::string(option) + " " + std::to_string(**id) + ": entry " + std::to_string(**id) +
                                        " is not a person of this case; 'cbkit log' lists them (kind person), 'cbkit person' adds one");
    }
  }
}

manifest::Json context_json(const Context& c) {
  manifest::Json j = manifest::Json::object();
  if (!c.kind.empty()) j["kind"] = c.kind;
  if (!c.note.empty()) j["note"] = c.note;
  if (!c.source_url.empty()) j["source_url"] = c.source_url;
  if (c.observed_at) {
    j["observed_at"] = c.observed_at->as_given;
    j["observed_at_utc"] = c.observed_at->utc;
  }
  if (!c.platform.empty()) j["platform"] = c.platform;
  if (!c.account_id.empty()) j["account_id"] = c.account_id;
  if (c.observed_at && !c.observed_at_offset.empty()) j["observed_at_offset"] = c.observed_at_offset;
  if (c.observed_at && !c.observed_at_zone_source.empty()) j["observed_at_zone_source"] = c.observed_at_zone_source;
  if (c.from_person) j["from_person"] = *c.from_person;
  if (c.about_person) j["about_person"] = *c.about_person;
  return j;
}

AddFileResult add_files(const Case& c, const AddFileOptions& options) {
  if (options.files.empty()) throw Error(ErrorKind::usage, "add-file: no file given");
  validate_context(c, options.context);

  // Check every input before writing anything: one bad file and nothing is stored.
  std::vector<struct stat> stats(options.files.size());
  for (std::size_t i = 0; i < options.files.size(); ++i) {
    open_evidence_source(options.files[i], options.follow_symlinks, stats[i], nullptr);
  }

  const std::unordered_map<std::string, std::uint64_t> existing =
      options.skip_existing ? recorded_originals(c) : std::unordered_map<std::string, std::uint64_t>();
  std::unordered_set<std::string> in_run; // hashes of the files given so far
  AddFileResult result;
  EntryBuilder entry(c, "file", options.examiner, options.lock_timeout);
  std::set<std::string> taken;
  for (std::size_t i = 0; i < options.files.size(); ++i) {
    const fs::path& src = options.files[i];
    const std::string name = display(src);
    struct stat st {};
    std::string symlink;
    util::UniqueFd fd = open_evidence_source(src, options.follow_symlinks, st, &symlink);
    if (st.st_dev != stats[i].st_dev || st.st_ino != stats[i].st_ino) {
      throw Error(ErrorKind::input, name + ": was replaced while cbkit was reading it; add it again");
    }
    const std::string base = src.filename().string();
    const std::string stored_name = util::unique_name(util::sanitize_file_name(base), taken);
    FileRecord& f = entry.add_stream(fd.get(), name, stored_name);

    struct stat after {};
    if (::fstat(fd.get(), &after) != 0) throw_errno(ErrorKind::input, name);
    if (static_cast<std::uint64_t>(after.st_size) != f.size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
        after.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
      throw Error(ErrorKind::input, name + ": changed while cbkit was copying it; add it again once nothing writes to it");
    }
    if (options.skip_existing) {
      const auto known = existing.find(f.sha256);
      const bool earlier = known == existing.end() && !in_run.insert(f.sha256).second;
      if (known != existing.end() || earlier) {
        // Already an original of the case (or given twice): not stored again.
        result.duplicates.push_back(DuplicateInput{name, f.sha256, known != existing.end() ? known->second : 0});
        entry.drop_last_file();
        continue;
      }
    }

    std::error_code ec;
    fs::path abs = fs::absolute(src, ec).lexically_normal();
    if (!symlink.empty()) {
      f.symlink = util::utf8_lossy(abs.string());
      const fs::path target = fs::canonical(src, ec);
      if (!ec) abs = target;
    }
    f.name = util::utf8_lossy(base);
    f.source_path = util::utf8_lossy(abs.string());
    if (!util::is_valid_utf8(abs.string())) f.source_path_raw = abs.string();
    f.mtime = util::format_utc(st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000);
  }
  throw_if_interrupted("add-file");

  if (entry.files().empty()) return result; // every file is a duplicate: nothing to append

  const manifest::Json context = context_json(options.context);
  manifest::Json fields = manifest::Json::object();
  if (!context.empty()) fields["context"] = context;
  Committed committed = entry.commit(fields);
  result.committed = true;
  result.appended = committed.appended;
  result.files = std::move(committed.files);
  // A file given twice is a duplicate of this very entry.
  for (DuplicateInput& d : result.duplicates)
    if (d.duplicate_of == 0) d.duplicate_of = result.appended.seq;
  return result;
}

std::unordered_map<std::string, std::uint64_t> recorded_originals(const Case& c) {
  std::unordered_map<std::string, std::uint64_t> out;
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (reader.next(raw)) {
    if (raw.too_long || !raw.has_lf) continue;
    const auto line = manifest::parse_line(raw.bytes);
    if (!line) continue;
    const auto seq = line->find("seq");
    const auto kind = line->find("kind");
    const auto files = line->find("files");
    if (seq == line->end() || !seq->is_number_unsigned() || files == line->end() || !files->is_array()) continue;
    const bool file_kind = kind != line->end() && kind->is_string() && kind->get_ref<const std::string&>() == "file";
    for (const auto& f : *files) {
      if (!f.is_object()) continue;
      const auto role = f.find("role");
      const auto sha = f.find("sha256");
      if (sha == f.end() || !sha->is_string()) continue;
      const bool original = role == f.end() ? file_kind : role->is_string() && role->get_ref<const std::string&>() == "original";
      if (original) out.emplace(sha->get<std::string>(), seq->get<std::uint64_t>());
    }
  }
  return out;
}

manifest::Appended add_note(const Case& c, const NoteOptions& options) {
  validate_context(c, options.context);
  if (options.text.size() > k_max_note_bytes) {
    throw Error(ErrorKind::input, "note text: longer than 1 MiB; store long texts as a file with 'cbkit add-file'");
  }
  if (!util::is_valid_utf8(options.text)) throw Error(ErrorKind::input, "note text: not valid UTF-8; convert it to UTF-8 first");
  if (options.text.find_first_not_of(" \t\r\n") == std::string::npos) throw Error(ErrorKind::input, "note text: is empty");

  manifest::Json fields = manifest::Json::object();
  fields["note"] = manifest::Json{{"text", options.text}};
  const manifest::Json context = context_json(options.context);
  if (!context.empty()) fields["context"] = context;
  return EntryBuilder(c, "note", options.examiner, options.lock_timeout).commit(fields).appended;
}

} // namespace cbkit::store
