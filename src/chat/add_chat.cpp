// add-chat: the export is stored first (a zip as it is, then its members unpacked beside it;
// a folder file by file; a single file as it is), then parsed from the stored copies (what is
// analysed is what is kept), then messages.json and the line. Everything happens in the
// EntryBuilder's staging folder, which is removed on any error: a refused export leaves
// nothing in the case.
//
// An export is hostile input. A zip member is refused when its name is absolute, holds "..",
// is too long, or repeats another's; when it is a link, a device or anything but a file or a
// folder; when it is encrypted; and the whole zip is refused when it unpacks to more than the
// limits (bytes, members, compression ratio). A folder is walked without following links and
// may hold only regular files and folders.

#include "cbkit/chat/add_chat.hpp"

#include "cbkit/chat/messages_json.hpp"
#include "cbkit/error.hpp"
#include "cbkit/store/ingest.hpp"
#include "cbkit/store/media_type.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/lazy_library.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <fcntl.h>
#include <map>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::chat {

namespace fs = std::filesystem;
using manifest::Json;

namespace {

constexpr const char* k_export_dir = "export";

std::string display(const fs::path& p) { return util::utf8_lossy(p.string()); }

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// Stored paths under export/: each component of the export's path made safe
// (util::sanitize_file_name), a component that collides with another (case-insensitively) made
// unique in its folder. A file and a folder of the same name cannot both exist: refused.
class StoredNames {
public:
  explicit StoredNames(std::string input) : m_input(std::move(input)) {}

  std::string place(const std::vector<std::string>& components) {
    std::string dir = k_export_dir;
    for (std::size_t i = 0; i + 1 < components.size(); ++i) {
      const std::string safe = util::sanitize_file_name(components[i]);
      const std::string key = dir + "/" + util::to_lower_ascii(safe);
      if (m_files.count(key) != 0) conflict(components);
      m_dirs.insert(key);
      dir += "/" + safe;
    }
    std::set<std::string>& taken = m_taken[util::to_lower_ascii(dir)];
    std::string name = util::unique_name(util::sanitize_file_name(components.back()), taken);
    const std::string key = util::to_lower_ascii(dir) + "/" + util::to_lower_ascii(name);
    if (m_dirs.count(key) != 0) conflict(components);
    m_files.insert(key);
    return dir + "/" + name;
  }

private:
  [[noreturn]] void conflict(const std::vector<std::string>& components) {
    throw Error(ErrorKind::input, m_input + ": '" + util::one_line(util::join(components, "/"), 200) +
                                      "' is both a file and a folder of the export; refused, nothing recorded");
  }
  std::string m_input;
  std::set<std::string> m_dirs;
  std::set<std::string> m_files;
  std::map<std::string, std::set<std::string>> m_taken;
};

std::vector<std::string> split_components(std::string_view name) {
  std::vector<std::string> out;
  std::string cur;
  for (const char ch : name) {
    if (ch == '/' || ch == '\\') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  out.push_back(cur);
  return out;
}

// The components of a zip member's name, or an Error(input) saying why it is refused.
std::vector<std::string> checked_member_name(const std::string& input, const char* raw, const IntakeLimits& limits) {
  if (raw == nullptr || *raw == '\0') throw Error(ErrorKind::input, input + ": a member of the zip has no name; refused, nothing recorded");
  const std::string name = raw;
  const std::string shown = "'" + util::one_line(name, 200) + "'";
  const auto refuse = [&](const std::string& why) {
    throw Error(ErrorKind::input, input + ": member " + shown + " " + why + "; refused, nothing recorded");
  };
  if (name.size() > limits.max_name_bytes) refuse("has a name longer than " + std::to_string(limits.max_name_bytes) + " bytes");
  if (name[0] == '/' || name[0] == '\\' || (name.size() >= 2 && name[1] == ':'))
    refuse("has an absolute name (it would be written outside the export)");
  std::vector<std::string> parts;
  for (auto& c : split_components(name)) {
    if (c == "..") refuse("has '..' in its name (it would be written outside the export)");
    if (c.size() > limits.max_component_bytes)
      refuse("has a name part longer than " + std::to_string(limits.max_component_bytes) + " bytes");
    if (c.empty() || c == ".") continue;
    if (c.find('\0') != std::string::npos) refuse("has a NUL in its name");
    parts.push_back(std::move(c));
  }
  if (parts.empty()) refuse("has an empty name");
  return parts;
}

struct Intake {
  store::EntryBuilder& entry;
  std::string input; // for messages
  const IntakeLimits& limits;
  StoredNames names;
  std::vector<ExportFile> files;        // for the parser
  std::vector<StoredExportFile> stored; // for messages.json
  std::uint64_t total = 0;

  void record(const std::string& rel, const std::string& stored_path, const store::FileRecord& f) {
    files.push_back(ExportFile{rel, entry.dir() / stored_path, f.size});
    stored.push_back(StoredExportFile{rel, stored_path, f.sha256, f.size});
  }
};

// Unpacks the stored zip `zip` (a path in the staging folder) into export/, member by member.
void unpack_zip(Intake& in, const fs::path& zip, std::uint64_t zip_size) {
  std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
  archive_read_support_format_zip(a.get());
  if (archive_read_open_filename(a.get(), zip.c_str(), 1u << 16) != ARCHIVE_OK) {
    throw Error(ErrorKind::input, in.input + ": not a zip file cbkit can read (" +
                                      util::utf8_lossy(archive_error_string(a.get()) ? archive_error_string(a.get()) : "?") + ")");
  }
  const std::uint64_t ratio_cap = (1ull << 20) + in.limits.max_ratio * zip_size;
  std::set<std::string> seen;
  std::uint64_t count = 0;
  std::string buf(1u << 16, '\0');
  for (;;) {
    throw_if_interrupted("add-chat");
    struct archive_entry* e = nullptr;
    const int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      throw Error(ErrorKind::input, in.input + ": the zip is damaged or truncated (" +
                                        util::utf8_lossy(archive_error_string(a.get()) ? archive_error_string(a.get()) : "?") +
                                        "); nothing recorded");
    }
    if (++count > in.limits.max_files) {
      throw Error(ErrorKind::input,
                  in.input + ": more than " + std::to_string(in.limits.max_files) + " members; refused, nothing recorded");
    }
    const char* raw = archive_entry_pathname(e);
    const std::vector<std::string> parts = checked_member_name(in.input, raw, in.limits);
    const std::string rel = util::join(parts, "/");
    const std::string shown = "'" + util::one_line(rel, 200) + "'";
    const auto refuse = [&](const std::string& why) {
      throw Error(ErrorKind::input, in.input + ": member " + shown + " " + why + "; refused, nothing recorded");
    };
    if (archive_entry_hardlink(e) != nullptr) refuse("is a hard link");
    const auto type = archive_entry_filetype(e);
    if (type == AE_IFLNK) refuse("is a symbolic link");
    if (type == AE_IFDIR) {
      if (!seen.insert(rel + "/").second) refuse("appears twice");
      continue;
    }
    if (type != AE_IFREG) refuse("is not a regular file (a device, a FIFO or a socket)");
    if (archive_entry_is_encrypted(e)) refuse("is encrypted; export the chat again without a password");
    if (!seen.insert(rel).second) refuse("appears twice in the zip");

    const std::string stored_path = in.names.place(parts);
    const fs::path dest = in.entry.dir() / stored_path;
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    if (ec) throw Error(ErrorKind::io, display(dest.parent_path()) + ": " + ec.message());
    util::UniqueFd out = util::open_no_follow(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
    util::Sha256 hash;
    std::uint64_t size = 0;
    std::string media_type;
    for (;;) {
      const la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n < 0) {
        refuse("cannot be unpacked (" + util::utf8_lossy(archive_error_string(a.get()) ? archive_error_string(a.get()) : "?") +
               "): the zip is damaged or truncated");
      }
      if (n == 0) break;
      const auto len = static_cast<std::size_t>(n);
      if (size == 0) media_type = store::media_type_of(buf.data(), len);
      size += len;
      in.total += len;
      if (in.total > in.limits.max_total_bytes) {
        throw Error(ErrorKind::input, in.input + ": unpacks to more than " + std::to_string(in.limits.max_total_bytes >> 20) +
                                          " MiB; refused, nothing recorded");
      }
      if (in.total > ratio_cap) {
        throw Error(ErrorKind::input, in.input + ": unpacks to more than " + std::to_string(in.limits.max_ratio) +
                                          " times its size (a zip bomb?); refused, nothing recorded");
      }
      hash.update(buf.data(), len);
      util::write_all(out.get(), buf.data(), len, display(dest));
    }
    out.reset();
    util::make_read_only(dest, false);
    store::FileRecord& f = in.entry.add_written(stored_path, util::to_hex(hash.finish()), size, "export-member",
                                                size == 0 ? "application/x-empty" : media_type);
    f.name = util::utf8_lossy(rel);
    in.record(f.name, stored_path, f);
  }
}

// The regular files under `root`, sorted by their path inside it; anything else refused.
std::vector<std::pair<std::string, fs::path>> list_folder(const std::string& input, const fs::path& root, const IntakeLimits& limits) {
  std::vector<std::pair<std::string, fs::path>> out;
  std::vector<std::string> refused;
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::none, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    // Lexically: fs::relative would resolve links, and a link must be named as itself.
    const std::string rel = it->path().lexically_relative(root).generic_string();
    if (fs::is_directory(st)) continue;
    if (!fs::is_regular_file(st)) {
      refused.push_back(util::one_line(rel, 200) + (fs::is_symlink(st) ? " (a symbolic link)" : " (not a regular file)"));
      continue;
    }
    if (rel.size() > limits.max_name_bytes) refused.push_back(util::one_line(rel, 200) + " (name too long)");
    total += it->file_size(ec);
    if (out.size() >= limits.max_files) {
      throw Error(ErrorKind::input, input + ": more than " + std::to_string(limits.max_files) + " files; refused, nothing recorded");
    }
    if (total > limits.max_total_bytes) {
      throw Error(ErrorKind::input,
                  input + ": holds more than " + std::to_string(limits.max_total_bytes >> 20) + " MiB; refused, nothing recorded");
    }
    out.emplace_back(util::utf8_lossy(rel), it->path());
  }
  if (ec) throw Error(ErrorKind::input, input + ": cannot list the folder: " + ec.message());
  if (!refused.empty()) {
    std::string list;
    for (std::size_t i = 0; i < refused.size() && i < 10; ++i)
      list += (i == 0 ? "" : ", ") + refused[i];
    if (refused.size() > 10) list += ", and " + std::to_string(refused.size() - 10) + " more";
    throw Error(ErrorKind::input, input + ": holds what an export does not (" + list +
                                      "); cbkit stores regular files only and follows no link; nothing recorded");
  }
  if (out.empty()) throw Error(ErrorKind::input, input + ": the folder is empty");
  std::sort(out.begin(), out.end());
  return out;
}

bool looks_like_zip(const fs::path& p, const struct stat& st) {
  if (util::to_lower_ascii(p.extension().string()) == ".zip") return true;
  if (st.st_size < 4) return false;
  util::UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  char head[4] = {};
  return fd.valid() && ::read(fd.get(), head, 4) == 4 && std::string_view(head, 4) == std::string_view("PK\x03\x04", 4);
}

void fill_source(store::FileRecord& f, const fs::path& src, const struct stat& st) {
  std::error_code ec;
  const fs::path abs = fs::absolute(src, ec).lexically_normal();
  f.source_path = util::utf8_lossy(abs.string());
  if (!util::is_valid_utf8(abs.string())) f.source_path_raw = abs.string();
  f.mtime = util::format_utc(st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000);
}

} // namespace

AddChatResult add_chat(const store::Case& c, const AddChatOptions& options) {
  // Options first: a bad one records nothing and reads nothing.
  store::Context context;
  context.note = options.note;
  context.about_person = options.about_person;
  store::validate_context(c, context);
  if (!util::is_valid_utf8(options.self)) throw Error(ErrorKind::usage, "--self '" + util::utf8_lossy(options.self) + "': not valid UTF-8");
  if (!options.date_order.empty() && options.date_order != "day-first" && options.date_order != "month-first") {
    throw Error(ErrorKind::usage, "--date-order '" + util::utf8_lossy(options.date_order) + "': expected day-first or month-first");
  }
  TimeOptions time;
  time.date_order = options.date_order;
  if (!options.tz.empty()) {
    if (!util::is_known_timezone(options.tz)) {
      throw Error(ErrorKind::usage,
                  "--tz '" + util::utf8_lossy(options.tz) + "': not a time zone of the system's database (e.g. Europe/Brussels)");
    }
    time.zone = options.tz;
    time.zone_source = "option";
  } else {
    time.zone = c.info().timezone;
    time.zone_source = "case-zone";
    if (time.zone.empty() || !util::is_known_timezone(time.zone)) {
      throw Error(ErrorKind::usage,
                  "the case has no usable time zone ('" + util::utf8_lossy(time.zone) + "'); give the export's with --tz");
    }
  }
  if (options.from_person && !store::person_role(c, *options.from_person)) {
    throw Error(ErrorKind::usage, "--from-person " + std::to_string(*options.from_person) + ": entry " +
                                      std::to_string(*options.from_person) +
                                      " is not a person of this case; 'cbkit log' lists them (kind person), 'cbkit person' adds one");
  }

  const fs::path& src = options.input;
  const std::string input = display(src);
  struct stat lst {};
  if (::lstat(src.c_str(), &lst) != 0) throw Error(ErrorKind::input, input + ": no such file or folder");
  if (S_ISLNK(lst.st_mode)) throw Error(ErrorKind::input, input + ": is a symbolic link; give the export it points to");

  store::EntryBuilder entry(c, "chat", options.examiner, options.lock_timeout);
  Intake in{entry, input, options.limits, StoredNames(input), {}, {}, 0};
  std::string input_type;
  if (S_ISDIR(lst.st_mode)) {
    input_type = "folder";
    for (const auto& [rel, path] : list_folder(input, src, options.limits)) {
      struct stat st {};
      util::UniqueFd fd = store::open_evidence_source(path, false, st, nullptr);
      const std::string stored_path = in.names.place(split_components(rel));
      store::FileRecord& f = entry.add_stream(fd.get(), display(path), stored_path, "original");
      f.name = rel;
      fill_source(f, path, st);
      in.record(rel, stored_path, f);
    }
  } else {
    struct stat st {};
    util::UniqueFd fd = store::open_evidence_source(src, false, st, nullptr);
    if (st.st_size == 0) throw Error(ErrorKind::input, input + ": is empty; nothing recorded");
    const std::string base = util::utf8_lossy(src.filename().string());
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const bool zip = looks_like_zip(src, st);
    // The limits are checked on the size before a byte is copied: a huge input is refused at once.
    if (zip && size > options.limits.max_total_bytes) {
      throw Error(ErrorKind::input, input + ": " + std::to_string(size) + " bytes, more than add-chat's limit of " +
                                        std::to_string(options.limits.max_total_bytes >> 20) +
                                        " MiB for an export; refused, nothing recorded");
    }
    if (!zip && size > options.limits.max_text_bytes) {
      throw Error(ErrorKind::input, input + ": " + std::to_string(size) + " bytes, more than add-chat's limit of " +
                                        std::to_string(options.limits.max_text_bytes >> 20) +
                                        " MiB for a chat text (it is parsed in memory); refused, nothing recorded");
    }
    if (zip) {
      input_type = "zip";
      util::require_archive(); // before the zip is copied into the case
      store::FileRecord& f = entry.add_stream(fd.get(), input, "original.zip", "original", "application/zip");
      f.name = base;
      fill_source(f, src, st);
      unpack_zip(in, entry.dir() / "original.zip", f.size);
      if (in.files.empty()) throw Error(ErrorKind::input, input + ": the zip holds no file; nothing recorded");
    } else {
      input_type = "file";
      const std::string stored_path = in.names.place({base});
      store::FileRecord& f = entry.add_stream(fd.get(), input, stored_path, "original");
      f.name = base;
      fill_source(f, src, st);
      in.record(base, stored_path, f);
    }
  }

  if (options.skip_existing) {
    // The export is a duplicate when each of its originals is already one of the case's.
    const auto existing = store::recorded_originals(c);
    std::optional<std::uint64_t> first_seq;
    bool all_known = !entry.files().empty();
    for (const store::FileRecord& f : entry.files()) {
      if (f.role != "original") continue;
      const auto it = existing.find(f.sha256);
      if (it == existing.end()) {
        all_known = false;
        break;
      }
      if (!first_seq) first_seq = it->second;
    }
    if (all_known && first_seq) {
      AddChatResult dup;
      dup.duplicate_of = first_seq;
      dup.sha256 = entry.files().front().sha256;
      return dup; // the builder removes what was staged
    }
  }

  Conversation conv;
  try {
    conv = parse_export(in.files, time);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::input) throw Error(ErrorKind::input, input + ": " + e.what() + "; nothing recorded");
    throw;
  }
  if (conv.messages.empty()) {
    throw Error(ErrorKind::input,
                input + ": no message found in this " + conv.platform + " export (empty or truncated?); nothing recorded");
  }
  entry.add_bytes("messages.json", messages_json(conv, in.stored), "messages", "application/json");

  const auto [first, last] = utc_range(conv);
  Json chat = Json::object();
  chat["platform"] = conv.platform;
  chat["variant"] = conv.variant;
  chat["title"] = conv.title;
  Json participants = Json::array();
  for (const auto& p : conv.participants)
    participants.push_back(p);
  chat["participants"] = participants;
  chat["message_count"] = static_cast<std::uint64_t>(conv.messages.size());
  chat["first_utc"] = first;
  chat["last_utc"] = last;
  chat["zone"] = conv.zone;
  chat["zone_source"] = conv.zone_source;
  chat["date_order"] = conv.date_order;
  chat["defect_count"] = static_cast<std::uint64_t>(conv.defects.size());
  std::uint64_t unresolved = 0;
  for (const Message& m : conv.messages)
    unresolved += m.utc.empty() && !m.time_as_written.empty() ? 1 : 0;
  chat["unresolved_times"] = unresolved;
  chat["input"] = Json{{"type", input_type}, {"name", util::utf8_lossy(src.filename().string())}};
  chat["parse"] = Json{{"zone", time.zone}, {"zone_source", time.zone_source}, {"date_order", time.date_order}};
  chat["messages_format"] = k_messages_format_version;
  if (!options.self.empty()) chat["self"] = options.self;
  if (options.from_person) chat["from_person"] = *options.from_person;

  Json fields = Json::object();
  fields["chat"] = chat;
  const Json ctx = store::context_json(context);
  if (!ctx.empty()) fields["context"] = ctx;
  store::Committed committed = entry.commit(fields);
  return AddChatResult{std::nullopt, {}, committed.appended, std::move(committed.files), chat};
}

std::vector<LineExportFile> export_files_of(const manifest::Json& line) {
  std::vector<LineExportFile> out;
  const Json& files = util::member(line, "files");
  if (!files.is_array()) return out;
  for (const Json& f : files) {
    const std::string path = util::string_field(f, "path");
    const std::string name = util::string_field(f, "name");
    // "evidence/000007-chat/export/..." : the entry folder is the first two components.
    const auto first = path.find('/');
    const auto second = first == std::string::npos ? std::string::npos : path.find('/', first + 1);
    if (second == std::string::npos || name.empty()) continue;
    const std::string entry_rel = path.substr(second + 1);
    if (entry_rel.rfind(std::string(k_export_dir) + "/", 0) != 0) continue;
    out.push_back(LineExportFile{path, name, entry_rel, util::string_field(f, "sha256"), util::unsigned_field(f, "size").value_or(0)});
  }
  return out;
}

TimeOptions time_options_of(const manifest::Json& line) {
  const Json& p = util::member(util::member(line, "chat"), "parse");
  return TimeOptions{util::string_field(p, "zone"), util::string_field(p, "zone_source"), util::string_field(p, "date_order")};
}

} // namespace cbkit::chat
