#include "cbkit/store/email.hpp"

#include "cbkit/email/analyze.hpp"
#include "cbkit/email/headers.hpp"
#include "cbkit/email/mime.hpp"
#include "cbkit/error.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/lazy_library.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace cbkit::store {

namespace fs = std::filesystem;
using manifest::Json;

namespace {

std::string display(const fs::path& p) { return util::utf8_lossy(p.string()); }

// A read-only view of a file's bytes (mmap; empty files give an empty view). A file smaller
// than `read_below` is read into memory instead: unmapping in a process of several
// threads interrupts every core to flush its TLB, once per message when the file is each
// message's stored copy.
class MappedFile {
public:
  explicit MappedFile(const fs::path& path, std::size_t read_below = 0) {
    util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throw_errno(ErrorKind::io, display(path));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno(ErrorKind::io, display(path));
    m_size = static_cast<std::size_t>(st.st_size);
    if (m_size > 0 && m_size < read_below) {
      m_copy.resize(m_size);
      if (util::read_full(fd.get(), m_copy.data(), m_size, display(path)) != m_size)
        throw Error(ErrorKind::io, display(path) + ": shorter than its size while being read");
    } else if (m_size > 0) {
      m_data = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
      if (m_data == MAP_FAILED) throw_errno(ErrorKind::io, display(path));
    }
  }
  ~MappedFile() {
    if (m_data != nullptr && m_data != MAP_FAILED) ::munmap(m_data, m_size);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view view() const {
    if (!m_copy.empty()) return m_copy;
    return m_size == 0 ? std::string_view() : std::string_view(static_cast<const char*>(m_data), m_size);
  }

private:
  std::string m_copy; // the bytes, when read rather than mapped
  void* m_data = nullptr;
  std::size_t m_size = 0;
};

// Where one message comes from.
struct Source {
  enum class Type { file, stdin_, mbox } type = Type::file;
  fs::path path;
  std::uint64_t offset = 0; // mbox: byte offset of the message (after its From_ line)
  std::uint64_t length = 0;
  std::string from_line; // mbox: the separator line, without line break
  std::size_t mbox = 0;  // mbox: index of its file in the mapped mboxes
  std::string label() const {
    switch (type) {
    case Type::stdin_:
      return "stdin";
    case Type::mbox:
      return display(path) + " @" + std::to_string(offset);
    default:
      return display(path);
    }
  }
};

bool has_eml_extension(const fs::path& p) { return util::to_lower_ascii(p.extension().string()) == ".eml"; }

// A file without the .eml extension that starts with an mbox "From " line is taken as an
// mbox (a Google Takeout "All mail Including Spam and Trash.mbox", a mail spool): one entry
// per message, as --mbox does, never the whole file as one message. A .eml file that starts
// with a "From " line is one saved message (several mail clients write the line), kept whole.
bool starts_like_mbox(const fs::path& p) {
  if (has_eml_extension(p)) return false;
  std::ifstream in(p, std::ios::binary);
  char buf[5] = {};
  in.read(buf, sizeof buf);
  return in.gcount() == 5 && std::string_view(buf, 5) == "From ";
}

// In a folder, a file without the .eml extension is taken when it starts like a message:
// an mbox "From " line or a header field ("Name:" with a printable name). Exports from
// mail servers often have no extension (maildir, spool files); README/LICENSE do not match.
bool looks_like_message(const fs::path& p) {
  if (p.filename().string().rfind('.', 0) == 0) return false; // hidden files
  std::ifstream in(p, std::ios::binary);
  char buf[256] = {};
  in.read(buf, sizeof buf);
  const std::string_view head(buf, static_cast<std::size_t>(in.gcount()));
  if (head.substr(0, 5) == "From ") return true;
  const std::size_t colon = head.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 76) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = head[i];
    // Real field names are letters, digits and '-' (JSON or YAML files do not start so).
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// The spans of split_mbox (public, below) as sources of `path`.
std::vector<Source> mbox_sources(const fs::path& path, std::string_view data) {
  std::vector<Source> out;
  for (MboxSpan& span : split_mbox(data, display(path))) {
    Source s;
    s.type = Source::Type::mbox;
    s.path = path;
    s.offset = span.offset;
    s.length = span.length;
    s.from_line = std::move(span.from_line);
    out.push_back(std::move(s));
  }
  return out;
}

// The stored original.eml of a message below this size is read, not mapped (MappedFile).
constexpr std::size_t k_read_stored_below = 1u << 20;

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

// One message staged by the worker thread, waiting for its group commit.
struct StagedMessage {
  StagedEntry entry;  // no builder when the message is a duplicate
  EmailAdded added;   // source and summary; receipt and files once committed
  std::string sha256; // of original.eml
  std::uint64_t bytes = 0;
  bool duplicate = false;
};

// What every message of one add_emails call shares, looked up once rather than per message.
struct IntakeShared {
  Json context;          // the line's "context" object
  manifest::Actor actor; // the OS user and host name (a getpwuid and a uname each)
  fs::path cwd;          // the working folder, for absolute source paths (empty: unknown)
};

// fs::absolute(p) without its getcwd(): `cwd` read once (when it could not be read,
// fs::absolute as before).
std::string absolute_source_path(const fs::path& p, const fs::path& cwd) {
  std::error_code ec;
  const fs::path abs = p.is_absolute() || cwd.empty() ? fs::absolute(p, ec) : cwd / p;
  return util::utf8_lossy(abs.lexically_normal().string());
}

StagedMessage stage_one_email(const Case& c, const AddEmailOptions& options, const IntakeShared& shared, const Source& src,
                              const std::vector<std::unique_ptr<MappedFile>>& mboxes,
                              const std::unordered_map<std::string, std::uint64_t>& existing);

// How long the committer waits for a group to fill once its first message is ready. The
// stagers hand over a message every half millisecond or so, and a commit costs a syncfs, an
// fsync of the area folder and one of the manifest whatever the group's size: without a
// wait the committer takes each message as it comes and pays them per message. Bounded, so
// a slow input (standard input, one huge message) is not held back uncommitted for long.
constexpr std::chrono::milliseconds k_group_wait{50};

// The hand-over between the workers that parse and stage messages and the thread that
// commits them. Bounded (two groups ahead at most), so disk and memory use do not grow with
// the number of messages; first in, first out, so entries keep the input order.
class StageQueue {
public:
  // Waits for room; false when the committer gave up (the message is then dropped).
  bool push(StagedMessage m) {
    std::unique_lock lock(m_mutex);
    m_room.wait(lock, [&] { return m_stopped || (m_items.size() < 2 * k_batch_max_entries && m_bytes < 2 * k_batch_max_bytes); });
    if (m_stopped) return false;
    m_bytes += m.bytes;
    if (!m.duplicate) ++m_entries;
    m_items.push_back(std::move(m));
    // The committer waits for a first message, then for a full group: woken for those
    // only, not once per message.
    if (m_items.size() == 1 || group_ready()) m_ready.notify_one();
    return true;
  }
  // The workers are done (error: what stopped them, rethrown by take() once the queue is
  // empty).
  void finish(std::exception_ptr error) {
    std::lock_guard lock(m_mutex);
    if (m_finished) return; // the first reason to finish stands
    m_finished = true;
    m_error = std::move(error);
    m_ready.notify_all();
  }
  // The committer gives up: push() returns false from now on.
  void stop() {
    std::lock_guard lock(m_mutex);
    m_stopped = true;
    m_room.notify_all();
  }
  bool stopped() {
    std::lock_guard lock(m_mutex);
    return m_stopped;
  }
  // Waits for at least one message, then up to k_group_wait for a full group (or the end of
  // the input), and takes what is ready up to one group's bounds. False at the end;
  // rethrows the workers' error after the messages staged before it.
  bool take(std::vector<StagedMessage>& out) {
    std::unique_lock lock(m_mutex);
    m_ready.wait(lock, [&] { return !m_items.empty() || m_finished; });
    if (m_items.empty()) {
      if (m_error) std::rethrow_exception(m_error);
      return false;
    }
    m_ready.wait_for(lock, k_group_wait, [&] { return m_finished || group_ready(); });
    std::size_t entries = 0;
    std::uint64_t bytes = 0;
    while (!m_items.empty() && entries < k_batch_max_entries && (entries == 0 || bytes + m_items.front().bytes <= k_batch_max_bytes)) {
      if (!m_items.front().duplicate) {
        ++entries;
        --m_entries;
      }
      bytes += m_items.front().bytes;
      m_bytes -= m_items.front().bytes;
      out.push_back(std::move(m_items.front()));
      m_items.pop_front();
    }
    m_room.notify_all();
    return true;
  }

private:
  // A whole group is waiting (by count of entries or by bytes), or the queue is full (of
  // duplicates, --skip-existing) and no more can come.
  bool group_ready() const {
    return m_entries >= k_batch_max_entries || m_bytes >= k_batch_max_bytes || m_items.size() >= 2 * k_batch_max_entries;
  }

  std::mutex m_mutex;
  std::condition_variable m_room;  // the workers wait for room in the queue
  std::condition_variable m_ready; // the committer waits for a group
  std::deque<StagedMessage> m_items;
  std::uint64_t m_bytes = 0;
  std::size_t m_entries = 0; // messages that are not duplicates
  bool m_finished = false;
  bool m_stopped = false;
  std::exception_ptr m_error;
};

} // namespace

// The message bytes are kept as they are in the file (">From " quoting is not undone: it is
// what the file holds); the LF before the next separator belongs to the mbox format and is
// dropped.
std::vector<MboxSpan> split_mbox(std::string_view data, const std::string& name) {
  std::vector<MboxSpan> out;
  if (data.substr(0, 5) != "From ") {
    throw Error(ErrorKind::input,
                name + ": not an mbox file (it does not start with a \"From \" line); add single messages without --mbox");
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t eol = data.find('\n', pos);
    const std::size_t body = eol == std::string_view::npos ? data.size() : eol + 1;
    MboxSpan s;
    s.from_line = std::string(data.substr(pos, (eol == std::string_view::npos ? data.size() : eol) - pos));
    if (!s.from_line.empty() && s.from_line.back() == '\r') s.from_line.pop_back();
    const std::size_t next = data.find("\nFrom ", body > 0 ? body - 1 : 0);
    const std::size_t end = next == std::string_view::npos ? data.size() : next + 1;
    std::size_t msg_end = end;
    // The empty line before the next separator (or at the end of the file) belongs to the
    // mbox format (LF or CRLF), not to the message.
    const std::string_view m = data.substr(body, msg_end - body);
    if (m.size() >= 2 && m.substr(m.size() - 2) == "\n\n") {
      msg_end -= 1;
    } else if (m.size() >= 4 && m.substr(m.size() - 4) == "\r\n\r\n") {
      msg_end -= 2;
    }
    s.offset = body;
    s.length = msg_end - body;
    out.push_back(std::move(s));
    pos = end;
  }
  return out;
}

email::DkimKey parse_dkim_key_arg(const std::string& arg) {
  const auto colon = arg.find(':');
  const auto eq = arg.find('=');
  if (colon == std::string::npos || eq == std::string::npos || colon == 0 || eq < colon + 2 || eq + 1 >= arg.size()) {
    throw Error(ErrorKind::usage,
                "--dkim-key '" + util::utf8_lossy(arg) + "': expected DOMAIN:SELECTOR=FILE (e.g. example.com:sel1=sel1.txt)");
  }
  email::DkimKey k;
  k.domain = arg.substr(0, colon);
  k.selector = arg.substr(colon + 1, eq - colon - 1);
  const std::string file = arg.substr(eq + 1);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, util::utf8_lossy(file) + ": cannot read the DKIM key file");
  std::ostringstream ss;
  ss << in.rdbuf();
  k.text = ss.str();
  if (k.text.size() > 65536) throw Error(ErrorKind::input, util::utf8_lossy(file) + ": too large for a DKIM key");
  k.origin = "file " + util::utf8_lossy(file);
  return k;
}

void add_emails(const Case& c, const AddEmailOptions& options, const std::function<void(const EmailAdded&)>& on_added, EmailIntake* intake,
                const std::function<void(const EmailDuplicate&)>& on_duplicate) {
  std::vector<RefusedInput> refused;
  std::vector<std::string> not_email;
  validate_context(c, options.context);
  util::require_gmime(); // before any message is read or staged
  // Expand and check every input before storing anything.
  std::vector<Source> sources;
  std::vector<std::unique_ptr<MappedFile>> mboxes;
  const auto add_mbox = [&](const fs::path& m) {
    struct stat st {};
    open_evidence_source(m, false, st, nullptr);
    mboxes.push_back(std::make_unique<MappedFile>(m));
    for (auto& s : mbox_sources(m, mboxes.back()->view())) {
      s.mbox = mboxes.size() - 1;
      sources.push_back(std::move(s));
    }
  };
  const auto add_file = [&](const fs::path& f) {
    struct stat st {};
    open_evidence_source(f, false, st, nullptr); // an unreadable file is refused before anything is stored
    if (starts_like_mbox(f)) {
      add_mbox(f);
    } else {
      sources.push_back(Source{Source::Type::file, f, 0, 0, {}, 0});
    }
  };
  for (const auto& in : options.inputs) {
    if (in == "-") {
      if (std::any_of(sources.begin(), sources.end(), [](const Source& x) { return x.type == Source::Type::stdin_; })) {
        throw Error(ErrorKind::usage, "add-email: - (standard input) given twice; it can be read only once");
      }
      sources.push_back(Source{Source::Type::stdin_, {}, 0, 0, {}, 0});
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(fs::symlink_status(in, ec))) {
      std::vector<fs::path> found;
      // Every entry of the folder is taken, left aside as not an e-mail, or refused (and why).
      for (auto it = fs::recursive_directory_iterator(in, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        const fs::file_status st = it->symlink_status(ec);
        if (ec) break;
        if (fs::is_directory(st)) continue; // walked into (never through a link)
        if (fs::is_symlink(st)) {
          refused.push_back({display(p), "symlink", "a symbolic link; links are not followed (add its target itself)"});
        } else if (!fs::is_regular_file(st)) {
          refused.push_back({display(p), "special-file", "not a regular file (a FIFO, socket or device)"});
        } else if (::access(p.c_str(), R_OK) != 0) {
          refused.push_back({display(p), "unreadable", std::string("cannot be read: ") + std::strerror(errno)});
        } else if (has_eml_extension(p) || looks_like_message(p)) {
          found.push_back(p);
        } else {
          not_email.push_back(display(p));
        }
      }
      if (ec) throw Error(ErrorKind::input, display(in) + ": cannot list the folder: " + ec.message());
      if (found.empty() && refused.empty())
        throw Error(ErrorKind::input, display(in) + ": no e-mail in this folder (no .eml file, nor a file that starts with header fields)");
      std::sort(found.begin(), found.end());
      for (auto& f : found)
        add_file(f);
      continue;
    }
    add_file(in);
  }
  for (const auto& m : options.mboxes)
    add_mbox(m);
  std::sort(refused.begin(), refused.end(), [](const RefusedInput& a, const RefusedInput& b) { return a.input < b.input; });
  std::sort(not_email.begin(), not_email.end());
  if (intake != nullptr) {
    intake->refused = refused;
    intake->not_email = not_email;
  }
  if (!refused.empty() && !options.skip_unreadable) {
    std::string list;
    for (std::size_t i = 0; i < refused.size() && i < 20; ++i)
      list += (i == 0 ? "" : "; ") + refused[i].input + " (" + refused[i].reason + ")";
    if (refused.size() > 20) list += "; and " + std::to_string(refused.size() - 20) + " more";
    throw Error(ErrorKind::input,
                "add-email: " + std::to_string(refused.size()) + " input(s) of the folder cannot be taken: " + list +
                    "; nothing was stored. Fix them, or pass --skip-unreadable to store the rest and list these as refused");
  }
  if (options.inputs.empty() && options.mboxes.empty())
    throw Error(ErrorKind::usage, "add-email: no message given (a file, a folder, - for stdin, or --mbox FILE)");
  if (sources.empty()) throw Error(ErrorKind::input, "add-email: no e-mail could be taken from the inputs; nothing was stored");

  IntakeShared shared;
  shared.context = context_json(options.context);
  shared.actor = EntryBuilder::actor_of(c, options.examiner);
  {
    std::error_code ec;
    shared.cwd = fs::current_path(ec);
    if (ec) shared.cwd.clear();
  }
  std::vector<std::string> labels;
  labels.reserve(sources.size());
  for (const Source& src : sources)
    labels.push_back(src.label());
  if (intake != nullptr) intake->message_count = sources.size();
  const std::unordered_map<std::string, std::uint64_t> existing =
      options.skip_existing ? recorded_originals(c) : std::unordered_map<std::string, std::uint64_t>();

  // Both cores: two workers parse and stage messages (each takes the next one) while this
  // thread commits the group before. They hand their messages over in input order (a
  // worker waits for its turn), so the entries keep that order whatever the timing. Only
  // the workers touch GMime (one parser object per message) and the inputs; only this
  // thread appends and calls back.
  StageQueue queue;
  std::atomic<std::size_t> next_index{0};
  std::mutex turn_mutex;
  std::condition_variable turn_cv;
  std::size_t turn = 0;     // the index of the next message to hand over
  bool turn_failed = false; // a worker failed at its turn: nobody hands over after it
  std::atomic<unsigned> running{0};
  const unsigned stagers = std::thread::hardware_concurrency() > 1 && sources.size() > 1 ? 2 : 1;
  std::size_t staging = 0; // workers inside stage_one_email (under turn_mutex)
  // Waits until message i may be handed over (`alone`: and no other worker is staging);
  // false when a worker failed before it.
  const auto wait_turn = [&](std::size_t i, bool alone = false) {
    std::unique_lock lock(turn_mutex);
    turn_cv.wait(lock, [&] { return (turn == i && (!alone || staging == 0)) || turn_failed; });
    return !turn_failed;
  };
  const auto stage = [&](std::size_t i) {
    {
      std::lock_guard lock(turn_mutex);
      ++staging;
    }
    // What a failed message staged is removed before this count drops (unwinding).
    struct Done {
      std::mutex& mutex;
      std::condition_variable& cv;
      std::size_t& staging;
      ~Done() {
        {
          std::lock_guard lock(mutex);
          --staging;
        }
        cv.notify_all();
      }
    } done{turn_mutex, turn_cv, staging};
    return stage_one_email(c, options, shared, sources[i], mboxes, existing);
  };
  const auto stage_loop = [&] {
    std::size_t i = 0;
    try {
      for (;;) {
        if (interrupted() || queue.stopped()) break;
        i = next_index.fetch_add(1);
        if (i >= sources.size()) break;
        std::optional<StagedMessage> m;
        try {
          m = stage(i);
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::io || stagers == 1) throw;
          // A full disk may come from the message staged beside this one: once every
          // message before this one is handed over and no other is being staged, stage it
          // again alone, so the messages before the one that does not fit are recorded.
          if (!wait_turn(i, true)) break;
          m = stage(i);
        }
        if (!wait_turn(i)) break;
        const bool taken = queue.push(std::move(*m));
        {
          std::lock_guard lock(turn_mutex);
          ++turn;
        }
        turn_cv.notify_all();
        if (!taken) break;
      }
    } catch (...) {
      // The messages before this one are handed over first; then the error ends the queue.
      wait_turn(i);
      {
        std::lock_guard lock(turn_mutex);
        turn_failed = true;
      }
      turn_cv.notify_all();
      queue.finish(std::current_exception());
    }
    if (running.fetch_sub(1) == 1) queue.finish(nullptr);
  };
  running = stagers;
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < stagers; ++w)
    workers.emplace_back(stage_loop);
  const auto join_workers = [&] {
    for (std::thread& t : workers)
      if (t.joinable()) t.join();
  };

  // What is committed is in the manifest: an interruption must say so, never "nothing was
  // recorded" after some messages were (a script that retries would store them twice).
  std::size_t done = 0;      // messages committed or found duplicates, in input order
  std::size_t committed = 0; // entries appended
  std::optional<manifest::Appended> first_added, last_added;
  std::unordered_map<std::string, std::uint64_t> run_seq; // original hashes committed in this run
  try {
    std::vector<StagedMessage> group;
    while (queue.take(group)) {
      if (options.skip_existing) {
        // A message already committed in this run, or earlier in this group, is a
        // duplicate: decided here, in input order, so the first copy is the one stored.
        std::unordered_set<std::string> in_group;
        for (StagedMessage& m : group) {
          if (m.duplicate) continue;
          if (run_seq.count(m.sha256) != 0 || !in_group.insert(m.sha256).second) {
            m.duplicate = true;
            m.entry.builder.reset(); // removes what was staged
          }
        }
      }
      std::vector<StagedEntry> entries;
      entries.reserve(group.size());
      for (StagedMessage& m : group)
        if (!m.duplicate) entries.push_back(std::move(m.entry));
      std::vector<Committed> receipts = commit_batch(entries);
      std::size_t k = 0;
      for (StagedMessage& m : group) {
        if (m.duplicate) {
          const auto it = existing.find(m.sha256);
          EmailDuplicate d{std::move(m.added.source), m.sha256, it != existing.end() ? it->second : run_seq.at(m.sha256)};
          ++done;
          if (on_duplicate) on_duplicate(d);
          continue;
        }
        Committed& r = receipts[k++];
        m.added.appended = std::move(r.appended);
        m.added.files = std::move(r.files);
        if (options.skip_existing) run_seq.emplace(m.sha256, m.added.appended.seq);
        ++done;
        ++committed;
        if (!first_added) first_added = m.added.appended;
        last_added = m.added.appended;
        on_added(m.added);
      }
      group.clear();
    }
    // The workers stop early only when interrupted.
    if (done < sources.size()) throw_if_interrupted("add-email");
    join_workers();
  } catch (const Error& e) {
    queue.stop();
    join_workers();
    if (intake != nullptr) intake->not_committed.assign(labels.begin() + static_cast<std::ptrdiff_t>(done), labels.end());
    if (e.kind() != ErrorKind::interrupted || committed == 0) throw;
    throw Error(ErrorKind::partial, "add-email: interrupted after " + std::to_string(committed) + " of " + std::to_string(sources.size()) +
                                        " messages were recorded (seq " + std::to_string(first_added->seq) + " to " +
                                        std::to_string(last_added->seq) + ", head " + last_added->head + "); the other " +
                                        std::to_string(sources.size() - done) +
                                        " were not: run the same command again with --skip-existing to store only those");
  } catch (...) {
    queue.stop();
    join_workers();
    if (intake != nullptr) intake->not_committed.assign(labels.begin() + static_cast<std::ptrdiff_t>(done), labels.end());
    throw;
  }
}

namespace {

// Stages one message as one entry (the worker's part of add_emails): its files written,
// its line's fields ready. A duplicate (--skip-existing) leaves nothing staged.
StagedMessage stage_one_email(const Case& c, const AddEmailOptions& options, const IntakeShared& shared, const Source& src,
                              const std::vector<std::unique_ptr<MappedFile>>& mboxes,
                              const std::unordered_map<std::string, std::uint64_t>& existing) {
  StagedMessage out;
  out.added.source = src.label();
  {
    const Json& context = shared.context;
    out.entry.builder = std::make_unique<EntryBuilder>(c, "email", shared.actor, options.lock_timeout);
    EntryBuilder& entry = *out.entry.builder;
    FileRecord* orig = nullptr;
    if (src.type == Source::Type::file) {
      struct stat st {};
      util::UniqueFd fd = open_evidence_source(src.path, false, st, nullptr);
      orig = &entry.add_stream(fd.get(), display(src.path), "original.eml", "original", "message/rfc822");
      orig->name = util::utf8_lossy(src.path.filename().string());
      orig->source_path = absolute_source_path(src.path, shared.cwd);
      orig->mtime = util::format_utc(st.st_mtim.tv_sec, st.st_mtim.tv_nsec / 1000);
    } else if (src.type == Source::Type::stdin_) {
      orig = &entry.add_stream(STDIN_FILENO, "standard input", "original.eml", "original", "message/rfc822");
      orig->name = "stdin";
      orig->source_path = "-";
    } else {
      orig = &entry.add_bytes("original.eml", mboxes[src.mbox]->view().substr(src.offset, src.length), "original", "message/rfc822");
      orig->name = util::utf8_lossy(src.path.filename().string());
      orig->source_path = absolute_source_path(src.path, shared.cwd);
    }
    const fs::path original = entry.dir() / "original.eml";
    const std::string orig_sha256 = orig->sha256;
    out.sha256 = orig_sha256;
    if (options.skip_existing) {
      if (existing.count(orig_sha256) != 0) {
        out.duplicate = true;
        out.entry.builder.reset(); // removes what was staged
        return out;
      }
    }
    const std::string orig_source_path = orig->source_path;

    // Analyse the stored copy, not the source: what is analysed is what is kept.
    const MappedFile message(original, k_read_stored_below);
    const email::HeaderBlock block = email::split_headers(message.view());
    email::MimeReport mime = email::extract_mime(original, entry.dir(), message.view());
    email::Analysis analysis = email::analyze_message(message.view(), orig_sha256, block, mime, options.keys, now_seconds());
    // Per message, the JSON and strings are built once and moved, not copied (a profile of a
    // folder import showed malloc/free and JSON destruction among the top entries).
    std::string headers_text = analysis.headers_json.dump(2, ' ', false, Json::error_handler_t::replace);
    headers_text += '\n';
    entry.add_bytes("headers.json", headers_text, "headers", "application/json");
    for (auto& d : mime.files) {
      FileRecord& f = entry.add_written(d.rel_path, d.sha256, d.size, d.role,
                                        d.role == "body-text"   ? "text/plain; charset=utf-8"
                                        : d.role == "body-html" ? "text/html; charset=utf-8"
                                                                : d.content_type);
      f.name = std::move(d.original_name);
      f.part = d.part.empty() ? "0" : std::move(d.part);
    }

    out.added.summary = analysis.summary;
    Json email = std::move(analysis.summary);
    Json source = Json::object();
    source["type"] = src.type == Source::Type::mbox ? "mbox" : src.type == Source::Type::stdin_ ? "stdin" : "file";
    if (src.type == Source::Type::mbox) {
      source["path"] = orig_source_path;
      source["offset"] = src.offset;
      source["length"] = src.length;
      source["from_line"] = util::utf8_lossy(src.from_line);
    }
    email["source"] = std::move(source);
    Json fields = Json::object();
    fields["email"] = std::move(email);
    if (!context.empty()) fields["context"] = context;

    out.entry.fields = std::move(fields);
    out.bytes = entry.staged_bytes();
  }
  return out;
}

} // namespace

} // namespace cbkit::store
