#include "cbkit/store/entry.hpp"

#include "cbkit/kinds/kinds.hpp"
#include "cbkit/store/ingest.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::store {

namespace fs = std::filesystem;
using manifest::Json;

Json FileRecord::to_json() const {
  Json o = Json::object();
  o["path"] = path;
  o["sha256"] = sha256;
  o["size"] = size;
  const auto put = [&o](const char* key, const std::string& value) {
    if (!value.empty()) o[key] = value;
  };
  put("role", role);
  put("name", name);
  put("source_path", source_path);
  if (!source_path_raw.empty()) o["source_path_base64"] = util::base64(source_path_raw);
  put("symlink", symlink);
  put("mtime", mtime);
  put("media_type", media_type);
  put("part", part);
  return o;
}

EntryBuilder::EntryBuilder(const Case& c, std::string kind, const std::string& examiner, std::chrono::milliseconds lock_timeout)
    : EntryBuilder(c, std::move(kind), actor_of(c, examiner), lock_timeout) {}

EntryBuilder::EntryBuilder(const Case& c, std::string kind, manifest::Actor actor, std::chrono::milliseconds lock_timeout)
    : m_case(c), m_kind(std::move(kind)), m_area(kinds::area_of(m_kind)), m_actor(std::move(actor)), m_lock_timeout(lock_timeout) {}

manifest::Actor EntryBuilder::actor_of(const Case& c, const std::string& examiner) {
  return manifest::current_actor(examiner.empty() ? c.info().examiner : examiner);
}

EntryBuilder::~EntryBuilder() {
  if (m_dir && !m_committed) util::remove_tree_forcibly(*m_dir);
}

const fs::path& EntryBuilder::dir() {
  if (!m_dir) {
    fs::path d = m_case.root() / m_area / (".incoming-" + util::random_hex(8));
    if (::mkdir(d.c_str(), 0700) != 0) throw_errno(ErrorKind::io, util::utf8_lossy(d.string()));
    m_dir = std::move(d);
  }
  return *m_dir;
}

namespace {

// Creates the folders between the staging folder and `rel_name` (e.g. attachments/).
fs::path staged_path(const fs::path& dir, const std::string& rel_name) {
  const fs::path p = dir / rel_name;
  if (rel_name.find('/') != std::string::npos) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) throw Error(ErrorKind::io, util::utf8_lossy(p.parent_path().string()) + ": " + ec.message());
  }
  return p;
}

} // namespace

FileRecord& EntryBuilder::add_stream(int fd, const std::string& source_name, const std::string& rel_name, const std::string& role,
                                     const std::string& media_type) {
  const fs::path dest = staged_path(dir(), rel_name);
  // Not fsynced one by one: commit() makes the whole staging folder durable at once.
  const CopyResult r = copy_and_hash(fd, source_name, dest, false, media_type.empty());
  util::make_read_only(dest, false);
  return add_written(rel_name, r.sha256, r.size, role, media_type.empty() ? r.media_type : media_type);
}

FileRecord& EntryBuilder::add_bytes(const std::string& rel_name, std::string_view bytes, const std::string& role,
                                    const std::string& media_type) {
  const fs::path dest = staged_path(dir(), rel_name);
  const std::string name = util::utf8_lossy(dest.string());
  util::UniqueFd fd = util::open_no_follow(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
  util::write_all(fd.get(), bytes.data(), bytes.size(), name);
  // Read-only through the descriptor just written (no second lookup of the path).
  if (::fchmod(fd.get(), 0444) != 0) throw_errno(ErrorKind::io, name);
  fd.reset();
  return add_written(rel_name, util::sha256_hex(bytes), bytes.size(), role, media_type);
}

FileRecord& EntryBuilder::add_written(const std::string& rel_name, const std::string& sha256, std::uint64_t size, const std::string& role,
                                      const std::string& media_type) {
  FileRecord f;
  f.path = rel_name;
  f.sha256 = sha256;
  f.size = size;
  f.role = role;
  f.media_type = media_type;
  m_files.push_back(std::move(f));
  return m_files.back();
}

void EntryBuilder::drop_last_file() {
  if (m_files.empty() || !m_dir) return;
  const fs::path p = *m_dir / m_files.back().path;
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) throw_errno(ErrorKind::io, util::utf8_lossy(p.string()));
  m_files.pop_back();
}

std::uint64_t EntryBuilder::staged_bytes() const {
  std::uint64_t n = 0;
  for (const FileRecord& f : m_files)
    n += f.size;
  return n;
}

void EntryBuilder::seal_staged_files() {
  if (m_committed) throw Error(ErrorKind::internal, "entry of kind " + m_kind + " committed twice");
  if (!m_dir) return;
  for (const FileRecord& f : m_files) {
    const fs::path p = *m_dir / f.path;
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0 && (st.st_mode & 0222) != 0) util::make_read_only(p, false);
  }
}

manifest::PendingEntry EntryBuilder::pending(const Json& fields, const std::optional<std::string>& expected_prev, Committed& out) {
  manifest::PendingEntry p;
  p.kind = m_kind;
  p.area = m_area;
  p.staged_dir = m_dir;
  p.build = [this, &fields, expected_prev, &out](const manifest::EntrySlot& slot) {
    if (expected_prev && slot.prev != *expected_prev) {
      throw HeadMoved(m_kind + ": the case's head moved from " + *expected_prev + " to " + slot.prev + " meanwhile");
    }
    Json files = Json::array();
    // The builder is done with its records once its line is built: moved, not copied.
    out.files = std::move(m_files);
    for (FileRecord& f : out.files) {
      f.path.insert(0, slot.entry_dir + "/");
      files.push_back(f.to_json());
    }
    Json line = manifest::make_line(slot.seq, slot.prev, slot.time, m_kind, m_actor, std::move(files));
    for (const auto& [key, value] : fields.items())
      line[key] = value;
    out.time = slot.time;
    return line;
  };
  return p;
}

Committed EntryBuilder::commit(const Json& fields, const std::optional<std::string>& expected_prev) {
  seal_staged_files();
  // One syncfs() makes every staged file and folder durable: far cheaper than an fsync
  // per file for entries of many small files, and still before the line that records them.
  if (m_dir) util::sync_filesystem(*m_dir);
  throw_if_interrupted(m_kind);

  Committed out;
  out.appended = manifest::append_entry(m_case.root(), m_kind, m_area, m_dir, pending(fields, expected_prev, out).build, m_lock_timeout);
  m_committed = true;
  return out;
}

std::vector<Committed> commit_batch(std::vector<StagedEntry>& batch) {
  std::vector<Committed> out(batch.size());
  if (batch.empty()) return out;
  const EntryBuilder& first = *batch.front().builder;
  std::vector<manifest::PendingEntry> pending;
  pending.reserve(batch.size());
  std::optional<fs::path> any_dir;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EntryBuilder& b = *batch[i].builder;
    if (&b.m_case != &first.m_case && b.m_case.root() != first.m_case.root())
      throw Error(ErrorKind::internal, "commit_batch: entries of different cases");
    b.seal_staged_files();
    if (b.m_dir) any_dir = b.m_dir;
    pending.push_back(b.pending(batch[i].fields, std::nullopt, out[i]));
  }
  // One syncfs() for the whole batch: every staged file of every entry is durable before
  // the lines that record them.
  if (any_dir) util::sync_filesystem(*any_dir);
  throw_if_interrupted(first.m_kind);

  const std::vector<manifest::Appended> appended = manifest::append_entries(first.m_case.root(), pending, first.m_lock_timeout);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    out[i].appended = appended[i];
    batch[i].builder->m_committed = true;
  }
  return out;
}

} // namespace cbkit::store
