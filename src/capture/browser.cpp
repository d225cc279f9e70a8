#include "cbkit/capture/browser.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <map>
#include <poll.h>
#include <set>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace cbkit::capture {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string lossy(const fs::path& p) { return util::utf8_lossy(p.string()); }

// ---------------------------------------------------------------- temporary folders

// A new folder "<prefix>-XXXXXX" in `parent`, else in $TMPDIR, else in /tmp.
fs::path make_temp_dir(const char* prefix, const char* parent = nullptr) {
  const char* tmp = parent != nullptr ? parent : std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw_errno(ErrorKind::io, "creating a temporary folder " + templ);
  return templ;
}

// ---------------------------------------------------------------- base64 (streaming)

// Decodes base64 text in pieces (OpenSSL EVP_Decode*), so a PDF read in chunks never
// sits in memory whole.
class Base64Decoder {
public:
  Base64Decoder() : m_ctx(EVP_ENCODE_CTX_new()) {
    if (m_ctx == nullptr) throw std::bad_alloc();
    EVP_DecodeInit(m_ctx);
  }
  ~Base64Decoder() { EVP_ENCODE_CTX_free(m_ctx); }
  Base64Decoder(const Base64Decoder&) = delete;
  Base64Decoder& operator=(const Base64Decoder&) = delete;

  // Appends the decoded bytes of `in` to `out`; false on invalid base64.
  bool update(std::string_view in, std::string& out) {
    while (!in.empty()) {
      const int n = static_cast<int>(std::min<std::size_t>(in.size(), 1 << 20));
      const std::size_t at = out.size();
      out.resize(at + static_cast<std::size_t>(n) / 4 * 3 + 80);
      int got = 0;
      if (EVP_DecodeUpdate(m_ctx, reinterpret_cast<unsigned char*>(out.data() + at), &got,
                           reinterpret_cast<const unsigned char*>(in.data()), n) < 0) {
        return false;
      }
      out.resize(at + static_cast<std::size_t>(got));
      in.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  bool finish(std::string& out) {
    const std::size_t at = out.size();
    out.resize(at + 80);
    int got = 0;
    if (EVP_DecodeFinal(m_ctx, reinterpret_cast<unsigned char*>(out.data() + at), &got) < 0) return false;
    out.resize(at + static_cast<std::size_t>(got));
    return true;
  }

private:
  EVP_ENCODE_CTX* m_ctx;
};

std::string decode_base64(std::string_view text, const std::string& what) {
  Base64Decoder d;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  if (!d.update(text, out) || !d.finish(out)) throw Error(ErrorKind::input, "browser: " + what + " is not valid base64");
  return out;
}

// ---------------------------------------------------------------- output files

// A new file in the output folder, hashed while written; commit() fsyncs it.
class OutputFile {
public:
  // `created`, when given, gets the path once the file exists (to remove it on failure).
  OutputFile(const fs::path& dir, std::string name, std::vector<fs::path>* created = nullptr)
      : m_path(dir / name), m_name(std::move(name)) {
    m_fd = util::UniqueFd(::open(m_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!m_fd.valid()) throw_errno(ErrorKind::io, lossy(m_path));
    if (created != nullptr) created->push_back(m_path);
  }
  void write(std::string_view bytes) {
    util::write_all(m_fd.get(), bytes.data(), bytes.size(), lossy(m_path));
    m_sha.update(bytes);
    m_size += bytes.size();
  }
  BrowserFile commit() {
    util::fsync_or_throw(m_fd.get(), lossy(m_path));
    m_fd.reset();
    return BrowserFile{m_name, m_size, util::to_hex(m_sha.finish())};
  }

private:
  fs::path m_path;
  std::string m_name;
  util::UniqueFd m_fd;
  util::Sha256 m_sha;
  std::uint64_t m_size = 0;
};

BrowserFile write_output(const fs::path& dir, const std::string& name, std::string_view bytes, std::vector<fs::path>* created = nullptr) {
  OutputFile f(dir, name, created);
  f.write(bytes);
  return f.commit();
}

// ---------------------------------------------------------------- the browser process

std::string last_log_line(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  std::string line, last, fatal;
  while (std::getline(in, line)) {
    // The Debian wrapper script's shell noise and crash-reporter chatter are not the reason.
    if (line.find_first_not_of(" \t\r") == std::string::npos || line.find("unexpected operator") != std::string::npos ||
        line.find("crashpad") != std::string::npos)
      continue;
    last = line;
    if (line.find(":FATAL:") != std::string::npos) fatal = line;
  }
  if (!fatal.empty()) last = fatal;
  if (last.size() > 300) last = last.substr(0, 300) + "...";
  return util::utf8_lossy(last);
}

// Reads NUL-separated argv from /proc/<pid>/cmdline (the real browser's, after the
// Debian wrapper script exec'ed it with the flags of /etc/chromium.d).
std::vector<std::string> proc_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> out;
  std::string arg;
  while (std::getline(in, arg, '\0'))
    out.push_back(util::utf8_lossy(arg));
  return out;
}

// A headless browser in its own process group, talking CDP over a socket pair on fds
// 3 (browser reads) and 4 (browser writes). The destructor kills the whole group and
// removes the profile folder, whatever happened before.
class BrowserProcess {
public:
  BrowserProcess(const fs::path& exe, std::vector<std::string> args) : m_exe(exe), m_args(std::move(args)) {
    m_temp = make_temp_dir("cbkit-browser");
    try {
      start();
    } catch (...) {
      stop();
      throw;
    }
  }
  ~BrowserProcess() { stop(); }
  BrowserProcess(const BrowserProcess&) = delete;
  BrowserProcess& operator=(const BrowserProcess&) = delete;

  int fd() const { return m_sock.get(); }
  pid_t pid() const { return m_pid; }
  const fs::path& log_file() const { return m_log; }
  const std::vector<std::string>& argv() const { return m_argv; }

  // True when the browser process has exited (reaped here).
  bool exited() {
    if (m_pid <= 0) return true;
    int status = 0;
    const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid) {
      m_status = status;
      m_reaped = true;
      return true;
    }
    return false;
  }

  std::string exit_description() {
    if (!m_reaped) return "still running";
    if (WIFEXITED(m_status)) return "exited with status " + std::to_string(WEXITSTATUS(m_status));
    if (WIFSIGNALED(m_status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(m_status));
    return "ended";
  }

  // Kills the process group (SIGKILL), reaps the leader, then waits (up to 2 s) until
  // no process of the group is left, and removes the temporary folder.
  void stop() noexcept {
    if (m_pid > 0) {
      ::kill(-m_pid, SIGKILL);
      if (!m_reaped) {
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_reaped = true;
        m_status = status;
      }
      // Renderer, GPU and zygote processes are in the same group (they were not given
      // their own session); they may outlive the leader by a moment.
      for (int i = 0; i < 200 && ::kill(-m_pid, SIGKILL) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      m_pid = -1;
    }
    m_sock.reset();
    if (!m_temp.empty()) {
      util::remove_tree_forcibly(m_temp);
      if (!m_short_tmp.empty()) util::remove_tree_forcibly(m_short_tmp);
      m_short_tmp.clear();
      m_temp.clear();
    }
  }

private:
  void start() {
    const fs::path profile = m_temp / "profile";
    const fs::path home = m_temp / "home";
    // Chromium puts its singleton socket in $TMPDIR; a socket path is limited to 107 bytes
    // and the browser aborts beyond it, so a long $TMPDIR gets a short folder in /tmp.
    fs::path tmp = m_temp / "tmp";
    if (tmp.string().size() > 60) {
      m_short_tmp = make_temp_dir("cbkit-btmp", "/tmp");
      tmp = m_short_tmp;
    } else {
      fs::create_directories(tmp);
    }
    fs::create_directories(profile);
    fs::create_directories(home);
    m_log = m_temp / "browser.log";

    m_argv.push_back(m_exe.string());
    m_argv.push_back("--user-data-dir=" + profile.string());
    for (auto& a : m_args)
      m_argv.push_back(a);

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno(ErrorKind::io, "socketpair for the browser");
    m_sock = util::UniqueFd(sv[0]);
    util::UniqueFd child_sock(sv[1]);
    // Every descriptor handed to the child sits above 4, so the dup2 calls below never
    // land on themselves (which would keep FD_CLOEXEC set).
    const auto high = [](int fd, const std::string& what) {
      if (fd < 0) throw_errno(ErrorKind::io, what);
      const int h = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
      ::close(fd);
      if (h < 0) throw_errno(ErrorKind::io, what);
      return util::UniqueFd(h);
    };
    child_sock = high(child_sock.release(), "socketpair for the browser");
    util::UniqueFd devnull = high(::open("/dev/null", O_RDONLY | O_CLOEXEC), "/dev/null");
    util::UniqueFd log = high(::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), lossy(m_log));

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, devnull.get(), 0);
    posix_spawn_file_actions_adddup2(&fa, log.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, log.get(), 2);
    posix_spawn_file_actions_adddup2(&fa, child_sock.get(), 3);
    posix_spawn_file_actions_adddup2(&fa, child_sock.get(), 4);
    posix_spawn_file_actions_addclosefrom_np(&fa, 5);
    // Own process group: a Ctrl-C on the terminal reaches cbkit only, and one kill(-pgid)
    // ends the browser with all its helpers.
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT})
      sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    // The environment, with HOME, TMPDIR and the XDG folders inside the temporary folder so
    // the browser leaves nothing behind (NSS database, caches, its singleton socket folder)
    // even when it is killed.
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view v(*e);
      if (v.starts_with("HOME=") || v.starts_with("XDG_CONFIG_HOME=") || v.starts_with("XDG_CACHE_HOME=") ||
          v.starts_with("XDG_DATA_HOME=") || v.starts_with("TMPDIR="))
        continue;
      env.emplace_back(v);
    }
    env.push_back("HOME=" + home.string());
    env.push_back("XDG_CONFIG_HOME=" + (home / ".config").string());
    env.push_back("XDG_CACHE_HOME=" + (home / ".cache").string());
    env.push_back("XDG_DATA_HOME=" + (home / ".local/share").string());
    env.push_back("TMPDIR=" + tmp.string());

    std::vector<char*> cargv, cenv;
    for (auto& a : m_argv)
      cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& e : env)
      cenv.push_back(e.data());
    cenv.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, m_exe.c_str(), &fa, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw Error(ErrorKind::input, errno_message("starting the browser " + lossy(m_exe), rc));
    m_pid = pid;
  }

  fs::path m_exe;
  std::vector<std::string> m_args;
  std::vector<std::string> m_argv;
  fs::path m_temp;
  fs::path m_short_tmp;
  fs::path m_log;
  util::UniqueFd m_sock;
  pid_t m_pid = -1;
  bool m_reaped = false;
  int m_status = 0;
};

// ---------------------------------------------------------------- CDP transport

// JSON messages separated by NUL bytes on one socket. Every wait has a deadline and polls
// cbkit::interrupted() at least every 100 ms.
class Cdp {
public:
  Cdp(BrowserProcess& proc, std::size_t max_message) : m_proc(proc), m_max_message(max_message) {}

  std::function<void(const Json&)> on_event;

  int send(const std::string& method, const Json& params, const std::string& session) {
    Json msg = {{"id", m_next_id}, {"method", method}, {"params", params}};
    if (!session.empty()) msg["sessionId"] = session;
    std::string text = msg.dump(-1, ' ', false, Json::error_handler_t::replace);
    text.push_back('\0');
    std::string_view rest = text;
    while (!rest.empty()) {
      const ssize_t n = ::send(m_proc.fd(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        died("sending " + method);
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return m_next_id++;
  }

  // Sends a command and waits for its answer (events that arrive meanwhile go to on_event).
  // Throws Error(input) on a protocol error or when `deadline` passes; `what` names the step.
  Json call(const std::string& method, const Json& params, const std::string& session, Clock::time_point deadline,
            const std::string& what) {
    const int id = send(method, params, session);
    for (;;) {
      auto msg = next(deadline);
      if (!msg) throw Error(ErrorKind::input, "browser: timed out while " + what + " (no answer to " + method + ")");
      if (msg->contains("id")) {
        if ((*msg)["id"] != id) continue; // a late answer to an abandoned command
        if (msg->contains("error")) {
          throw Error(ErrorKind::input,
                      "browser: " + what + " failed: " + method + ": " + msg->at("error").value("message", std::string("error")));
        }
        return msg->value("result", Json::object());
      }
      if (on_event) on_event(*msg);
    }
  }

  // Like call() but returns nullopt instead of throwing on a protocol error.
  std::optional<Json> try_call(const std::string& method, const Json& params, const std::string& session, Clock::time_point deadline,
                               const std::string& what, std::string* error) {
    const int id = send(method, params, session);
    for (;;) {
      auto msg = next(deadline);
      if (!msg) throw Error(ErrorKind::input, "browser: timed out while " + what + " (no answer to " + method + ")");
      if (msg->contains("id")) {
        if ((*msg)["id"] != id) continue;
        if (msg->contains("error")) {
          if (error != nullptr) *error = msg->at("error").value("message", std::string("error"));
          return std::nullopt;
        }
        return msg->value("result", Json::object());
      }
      if (on_event) on_event(*msg);
    }
  }

  // The next message, or nullopt when `deadline` passed first.
  std::optional<Json> next(Clock::time_point deadline) {
    for (;;) {
      const auto nul = m_buf.find('\0', m_scan);
      if (nul != std::string::npos) {
        Json msg = Json::parse(std::string_view(m_buf).substr(0, nul), nullptr, false);
        m_buf.erase(0, nul + 1);
        m_scan = 0;
        if (msg.is_discarded() || !msg.is_object()) throw Error(ErrorKind::input, "browser: sent a message that is not JSON");
        return msg;
      }
      m_scan = m_buf.size();
      throw_if_interrupted("browser capture");
      const auto now = Clock::now();
      if (now >= deadline) return std::nullopt;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      pollfd p{m_proc.fd(), POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::clamp<long long>(left, 1, 100)));
      if (r < 0) {
        if (errno == EINTR) continue;
        throw_errno(ErrorKind::io, "poll on the browser connection");
      }
      if (r == 0) {
        if (m_proc.exited()) died("waiting for the browser");
        continue;
      }
      char chunk[1 << 16];
      const ssize_t n = ::read(m_proc.fd(), chunk, sizeof chunk);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        died("reading from the browser");
      }
      if (n == 0) died("reading from the browser");
      m_buf.append(chunk, static_cast<std::size_t>(n));
      if (m_buf.size() > m_max_message) {
        throw Error(ErrorKind::input,
                    "browser: a protocol message is larger than " + std::to_string(m_max_message >> 20) + " MiB; giving up");
      }
    }
  }

private:
  [[noreturn]] void died(const std::string& what) {
    // Give the process a moment to be reaped so the message can say how it ended.
    for (int i = 0; i < 20 && !m_proc.exited(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const std::string why = last_log_line(m_proc.log_file());
    throw Error(ErrorKind::input, "browser: the browser closed the connection while " + what + " (" + m_proc.exit_description() + ")" +
                                      (why.empty() ? "" : ": " + why));
  }

  BrowserProcess& m_proc;
  std::size_t m_max_message;
  std::string m_buf;
  std::size_t m_scan = 0;
  int m_next_id = 1;
};

// ---------------------------------------------------------------- network bookkeeping

std::string wall_time_utc(double wall) {
  if (!(wall > 0)) return "";
  const auto micros = static_cast<std::int64_t>(std::llround(wall * 1e6));
  return util::format_utc(micros / 1000000, micros % 1000000);
}

struct Pending {
  std::vector<Json> request_extra;                  // requestWillBeSentExtraInfo headers, oldest first
  std::vector<std::pair<int, Json>> response_extra; // responseReceivedExtraInfo (statusCode, headers), oldest first
};

// Collects the requests of the page from Network.* events and tracks which are in flight.
class NetworkLog {
public:
  std::vector<BrowserRequest> requests;
  Clock::time_point last_activity = Clock::now();
  std::map<std::string, std::uint64_t> decoded_length; // by requestId, from dataReceived

  std::size_t in_flight() const { return m_in_flight.size(); }
  std::vector<std::string> in_flight_urls() const {
    std::vector<std::string> urls;
    for (const auto& id : m_in_flight) {
      const auto it = m_current.find(id);
      if (it != m_current.end()) urls.push_back(requests[it->second].url);
    }
    return urls;
  }
  // The latest request (last redirect hop) of each requestId, whose body the browser holds.
  std::optional<std::size_t> current(const std::string& id) const {
    const auto it = m_current.find(id);
    if (it == m_current.end()) return std::nullopt;
    return it->second;
  }

  void handle(const std::string& method, const Json& p) {
    const std::string id = p.value("requestId", std::string());
    if (id.empty()) return;
    if (method == "Network.requestWillBeSent") {
      last_activity = Clock::now();
      if (p.contains("redirectResponse")) {
        if (auto idx = current(id)) {
          set_response(requests[*idx], p["redirectResponse"]);
          requests[*idx].finished = true;
          set_end(requests[*idx], p.value("timestamp", 0.0));
        }
      }
      BrowserRequest r;
      r.request_id = id;
      const Json& req = p.value("request", Json::object());
      r.url = req.value("url", std::string());
      if (r.url.starts_with("data:") && r.url.size() > 120) {
        // The bytes of a data: URL are in the page itself (rendered.html); keep a readable head.
        r.url = r.url.substr(0, 100) + "...(" + std::to_string(r.url.size()) + " characters)";
      }
      if (req.value("urlFragment", std::string()).size() > 0) r.url += req.value("urlFragment", std::string());
      r.method = req.value("method", std::string("GET"));
      r.request_headers = req.value("headers", Json::object());
      r.post_data = req.value("postData", std::string());
      r.resource_type = p.value("type", std::string());
      r.started_utc = wall_time_utc(p.value("wallTime", 0.0));
      r.started_monotonic = p.value("timestamp", 0.0);
      requests.push_back(std::move(r));
      m_current[id] = requests.size() - 1;
      m_hops[id].push_back(requests.size() - 1);
      m_in_flight.insert(id);
      auto& pend = m_pending[id].request_extra;
      if (!pend.empty()) {
        requests.back().request_headers = pend.front();
        pend.erase(pend.begin());
      } else {
        m_wants_request_extra.insert(id);
      }
    } else if (method == "Network.requestWillBeSentExtraInfo") {
      // The headers as actually sent (cookies included); may come before or after.
      const Json headers = p.value("headers", Json::object());
      if (m_wants_request_extra.erase(id) != 0) {
        if (auto idx = current(id)) requests[*idx].request_headers = headers;
      } else {
        m_pending[id].request_extra.push_back(headers);
      }
    } else if (method == "Network.responseReceived") {
      last_activity = Clock::now();
      if (auto idx = current(id)) {
        set_response(requests[*idx], p.value("response", Json::object()));
        if (requests[*idx].resource_type.empty()) requests[*idx].resource_type = p.value("type", std::string());
      }
    } else if (method == "Network.responseReceivedExtraInfo") {
      // The network's headers (Set-Cookie included) win over the filtered ones. Redirect
      // hops share one requestId and this event may come before or after its response, so
      // it goes to the newest hop with that status still lacking them, else waits.
      const Json headers = p.value("headers", Json::object());
      const int code = p.value("statusCode", 0);
      const auto& hops = m_hops[id];
      for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        auto& r = requests[*it];
        if (r.status && (code == 0 || *r.status == code) && m_raw_response_set.count(*it) == 0) {
          r.response_headers = headers;
          m_raw_response_set.insert(*it);
          return;
        }
      }
      m_pending[id].response_extra.emplace_back(code, headers);
    } else if (method == "Network.dataReceived") {
      last_activity = Clock::now();
      const auto len = p.value("dataLength", std::int64_t{0});
      if (len > 0) decoded_length[id] += static_cast<std::uint64_t>(len);
    } else if (method == "Network.loadingFinished") {
      last_activity = Clock::now();
      m_in_flight.erase(id);
      if (auto idx = current(id)) {
        auto& r = requests[*idx];
        r.finished = true;
        const double enc = p.value("encodedDataLength", 0.0);
        if (enc > 0) r.encoded_length = static_cast<std::uint64_t>(enc);
        set_end(r, p.value("timestamp", 0.0));
      }
    } else if (method == "Network.loadingFailed") {
      last_activity = Clock::now();
      m_in_flight.erase(id);
      if (auto idx = current(id)) {
        auto& r = requests[*idx];
        r.error = p.value("errorText", std::string("failed"));
        if (p.value("canceled", false)) r.error += " (canceled)";
        if (p.contains("blockedReason")) r.error += " (blocked: " + p.value("blockedReason", std::string()) + ")";
        set_end(r, p.value("timestamp", 0.0));
      }
    } else if (method == "Network.requestServedFromCache") {
      if (auto idx = current(id)) requests[*idx].from_cache = true;
    }
  }

private:
  void set_response(BrowserRequest& r, const Json& resp) {
    if (resp.contains("status") && resp["status"].is_number()) r.status = resp["status"].get<int>();
    r.status_text = resp.value("statusText", std::string());
    r.protocol = resp.value("protocol", std::string());
    r.mime_type = resp.value("mimeType", std::string());
    r.remote_ip = resp.value("remoteIPAddress", std::string());
    r.remote_port = resp.value("remotePort", 0);
    r.from_cache = r.from_cache || resp.value("fromDiskCache", false) || resp.value("fromPrefetchCache", false);
    const std::size_t idx = static_cast<std::size_t>(&r - requests.data());
    if (m_raw_response_set.count(idx) == 0) {
      auto& pend = m_pending[r.request_id].response_extra;
      const auto match =
          std::find_if(pend.begin(), pend.end(), [&](const auto& e) { return e.first == 0 || e.first == r.status.value_or(-1); });
      if (match != pend.end()) {
        r.response_headers = match->second;
        pend.erase(match);
        m_raw_response_set.insert(idx);
      } else {
        r.response_headers = resp.value("headers", Json::object());
      }
    }
    // Headers the browser reports for the request as it went out (fills in when no
    // ExtraInfo event came, e.g. for cached responses).
    if (resp.contains("requestHeaders") && r.request_headers.empty()) r.request_headers = resp["requestHeaders"];
  }
  static void set_end(BrowserRequest& r, double ts) {
    if (ts > 0 && r.started_monotonic > 0) r.duration_ms = std::round((ts - r.started_monotonic) * 1e6) / 1e3;
  }

  std::map<std::string, std::size_t> m_current;
  std::set<std::string> m_in_flight;
  std::set<std::string> m_wants_request_extra;
  std::set<std::size_t> m_raw_response_set;
  std::map<std::string, std::vector<std::size_t>> m_hops; // every hop of a requestId, oldest first
  std::map<std::string, Pending> m_pending;
};

// ---------------------------------------------------------------- helpers

int png_dimension(const std::string& png, std::size_t at) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return -1;
  return (static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
         (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
}

// Split a CDP header value: several header lines of one name arrive joined by '\n'.
void append_header_lines(std::string& out, const std::string& name, const Json& value) {
  const std::string v = value.is_string() ? value.get<std::string>() : value.dump();
  std::size_t start = 0;
  for (;;) {
    const auto nl = v.find('\n', start);
    out += name + ": " + v.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\r\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// "a=1; b=2" -> "a=<redacted>; b=<redacted>"
std::string redact_cookie_header(const std::string& v) {
  std::string out;
  std::size_t start = 0;
  while (start < v.size()) {
    auto end = v.find(';', start);
    if (end == std::string::npos) end = v.size();
    std::string part = v.substr(start, end - start);
    const auto b = part.find_first_not_of(' ');
    part = b == std::string::npos ? "" : part.substr(b);
    if (!part.empty()) {
      if (!out.empty()) out += "; ";
      out += part.substr(0, part.find('=')) + "=<redacted>";
    }
    start = end + 1;
  }
  return out;
}

bool running_as_root() { return ::geteuid() == 0; }

} // namespace

// ---------------------------------------------------------------- public

BrowserCapture::~BrowserCapture() {
  if (!scratch.empty()) util::remove_tree_forcibly(scratch);
}

BrowserCapture::BrowserCapture(BrowserCapture&& other) noexcept
    : files(std::move(other.files)), record(std::move(other.record)), requests(std::move(other.requests)), settled(other.settled),
      scratch(std::move(other.scratch)) {
  other.scratch.clear();
}

std::optional<std::pair<int, int>> parse_viewport(std::string_view text) {
  const auto x = text.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  const auto number = [](std::string_view s) -> std::optional<int> {
    int v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < 100 || v > 10000) return std::nullopt;
    return v;
  };
  const auto w = number(text.substr(0, x));
  const auto h = number(text.substr(x + 1));
  if (!w || !h) return std::nullopt;
  return std::make_pair(*w, *h);
}

std::optional<fs::path> find_browser(const std::string& browser) {
  const std::string name = browser.empty() ? "chromium" : browser;
  const auto usable = [](const fs::path& p) { return ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); };
  if (name.find('/') != std::string::npos) {
    if (usable(name)) return fs::path(name);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (usable(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string http_request_head(const BrowserRequest& r) {
  std::string target = r.url;
  // Origin-form request target: the path and query of the URL.
  const auto scheme = target.find("://");
  if (scheme != std::string::npos) {
    const auto slash = target.find('/', scheme + 3);
    target = slash == std::string::npos ? "/" : target.substr(slash);
  }
  const auto hash = target.find('#');
  if (hash != std::string::npos) target.erase(hash);
  std::string out = r.method + " " + target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : r.request_headers.items()) {
    if (!name.empty() && name[0] == ':') continue; // HTTP/2 pseudo-headers
    if (iequals(name, "host")) has_host = true;
    append_header_lines(out, name, value);
  }
  if (!has_host && scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto end = r.url.find_first_of("/?#", start);
    out += "Host: " + r.url.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\r\n";
  }
  out += "\r\n";
  return out;
}

std::string http_response_head(const BrowserRequest& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status.value_or(0)) + (r.status_text.empty() ? "" : " " + r.status_text) + "\r\n";
  for (const auto& [name, value] : r.response_headers.items()) {
    if (!name.empty() && name[0] == ':') continue;
    if (iequals(name, "content-encoding") || iequals(name, "transfer-encoding") || iequals(name, "content-length")) {
      append_header_lines(out, "X-Archive-Orig-" + name, value);
      continue;
    }
    append_header_lines(out, name, value);
  }
  out += "Content-Length: " + std::to_string(r.body_size) + "\r\n\r\n";
  return out;
}

namespace {

BrowserCapture capture_rendered_into(const std::string& url, const BrowserOptions& options, const fs::path& out_dir,
                                     std::vector<fs::path>& created) {
  const auto exe = find_browser(options.browser);
  if (!exe) {
    if (options.browser.empty()) {
      throw Error(ErrorKind::input,
                  "browser: 'chromium' not found on PATH; install the Debian package chromium (apt-get install chromium) or give "
                  "--browser PATH");
    }
    throw Error(ErrorKind::input,
                "browser: '" + options.browser + "' is not an executable file; install the Debian package chromium or fix --browser");
  }
  if (options.viewport_width < 1 || options.viewport_height < 1)
    throw Error(ErrorKind::usage, "browser: the viewport must be at least 1x1");

  const std::string started = util::utc_now();
  const bool root = running_as_root();
  std::vector<std::string> args = {
      "--headless",
      "--remote-debugging-pipe",
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-breakpad",
      "--metrics-recording-only",
      "--disable-quic",
      "--mute-audio",
      "--hide-scrollbars",
      "--js-flags=--max-old-space-size=" + std::to_string(options.js_heap_mb),
      "--window-size=" + std::to_string(options.viewport_width) + "," + std::to_string(options.viewport_height),
  };
  // Chromium's sandbox refuses to run as root; the capture still works, and this is recorded.
  if (root) args.push_back("--no-sandbox");
  if (!options.proxy.empty()) args.push_back("--proxy-server=" + options.proxy);
  if (options.insecure) args.push_back("--ignore-certificate-errors");
  args.push_back("about:blank");

  // The response bodies outlive the browser: the caller writes them into the WARC.
  BrowserCapture result;
  result.scratch = make_temp_dir("cbkit-bodies");

  const auto t0 = Clock::now();
  const auto startup_deadline = t0 + options.startup_timeout;
  BrowserProcess proc(*exe, args);
  const std::size_t max_message = std::max<std::size_t>(256u << 20, static_cast<std::size_t>(options.max_body_size / 3 * 4 + (16u << 20)));
  Cdp cdp(proc, max_message);

  NetworkLog net;
  bool load_fired = false;
  std::string session;
  Json dialogs = Json::array();
  std::string page_crash;
  cdp.on_event = [&](const Json& msg) {
    const std::string method = msg.value("method", std::string());
    if (msg.value("sessionId", std::string()) != session || session.empty()) return;
    const Json& p = msg.contains("params") ? msg["params"] : Json::object();
    if (method.starts_with("Network.")) {
      net.handle(method, p);
    } else if (method == "Page.loadEventFired") {
      load_fired = true;
      net.last_activity = Clock::now();
    } else if (method == "Page.javascriptDialogOpening") {
      // alert()/confirm() would block the page for ever: record the text, dismiss it.
      dialogs.push_back({{"type", p.value("type", std::string())}, {"message", p.value("message", std::string())}});
      cdp.send("Page.handleJavaScriptDialog", {{"accept", false}}, session);
    } else if (method == "Inspector.targetCrashed") {
      page_crash = "the page's renderer crashed (out of memory?)";
    }
  };

  const Json version = cdp.call("Browser.getVersion", Json::object(), "", startup_deadline, "starting the browser");
  const auto process_cmdline = proc_cmdline(proc.pid());
  const Json target = cdp.call("Target.createTarget", {{"url", "about:blank"}}, "", startup_deadline, "opening a tab");
  const std::string target_id = target.value("targetId", std::string());
  const Json attached =
      cdp.call("Target.attachToTarget", {{"targetId", target_id}, {"flatten", true}}, "", startup_deadline, "attaching to the tab");
  session = attached.value("sessionId", std::string());
  if (session.empty()) throw Error(ErrorKind::input, "browser: attaching to the tab gave no session id");

  cdp.call("Page.enable", Json::object(), session, startup_deadline, "enabling page events");
  cdp.call("Network.enable",
           {{"maxTotalBufferSize", static_cast<std::int64_t>(std::min<std::uint64_t>(options.max_body_size * 4, 1ull << 30))},
            {"maxResourceBufferSize", static_cast<std::int64_t>(options.max_body_size)}},
           session, startup_deadline, "enabling network events");
  cdp.call("Inspector.enable", Json::object(), session, startup_deadline, "enabling crash events");
  const Json viewport = {
      {"width", options.viewport_width}, {"height", options.viewport_height}, {"deviceScaleFactor", 1}, {"mobile", false}};
  cdp.call("Emulation.setDeviceMetricsOverride", viewport, session, startup_deadline, "setting the viewport");

  std::string user_agent = options.user_agent;
  if (user_agent.empty()) {
    user_agent = version.value("userAgent", std::string());
    const auto at = user_agent.find("HeadlessChrome/");
    if (at != std::string::npos) user_agent.replace(at, 15, "Chrome/");
  }
  cdp.call("Network.setUserAgentOverride", {{"userAgent", user_agent}}, session, startup_deadline, "setting the user agent");

  Json cookie_names = Json::array();
  if (!options.cookies.empty()) {
    Json cookies = Json::array();
    for (const auto& c : options.cookies) {
      Json j = {{"name", c.name}, {"value", c.value}, {"path", c.path}, {"secure", c.secure}, {"httpOnly", c.http_only}};
      std::string domain = c.domain;
      if (c.include_subdomains) {
        if (!domain.starts_with(".")) domain = "." + domain;
        j["domain"] = domain;
      } else {
        // A host-only cookie is set through a URL (CDP makes a domain cookie from "domain").
        if (domain.starts_with(".")) domain.erase(0, 1);
        j["url"] = std::string(c.secure ? "https://" : "http://") + domain + c.path;
      }
      if (c.expires > 0) j["expires"] = c.expires;
      cookies.push_back(std::move(j));
      cookie_names.push_back(c.name);
    }
    cdp.call("Network.setCookies", {{"cookies", cookies}}, session, startup_deadline, "setting the cookies");
  }
  Json header_names = Json::array();
  if (!options.headers.empty()) {
    Json h = Json::object();
    for (const auto& [name, value] : options.headers) {
      h[name] = value;
      header_names.push_back(name);
    }
    cdp.call("Network.setExtraHTTPHeaders", {{"headers", h}}, session, startup_deadline, "setting extra headers");
  }

  // Navigate, then wait for the load event and a quiet network, or until settle_timeout.
  const std::string navigated = util::utc_now();
  const auto settle_deadline = Clock::now() + options.settle_timeout;
  std::string navigation_error;
  // Page.navigate answers once the response starts; a server that never answers must not
  // stop the capture, so its answer is awaited in the same loop as the settling.
  const int nav_id = cdp.send("Page.navigate", {{"url", url}}, session);
  bool nav_answered = false;
  bool settled = false;
  for (;;) {
    const auto now = Clock::now();
    if (nav_answered && load_fired && net.in_flight() == 0 && now - net.last_activity >= options.idle_time) {
      settled = true;
      break;
    }
    if (now >= settle_deadline || !page_crash.empty()) break;
    const auto wake = std::min(settle_deadline, now + std::chrono::milliseconds(50));
    auto msg = cdp.next(wake);
    if (!msg) continue;
    if (!msg->contains("id")) {
      cdp.on_event(*msg);
    } else if ((*msg)["id"] == nav_id) {
      nav_answered = true;
      if (msg->contains("error")) {
        navigation_error = msg->at("error").value("message", std::string("error"));
      } else {
        navigation_error = msg->value("result", Json::object()).value("errorText", std::string());
      }
    }
  }
  if (!nav_answered) navigation_error = "the server did not answer within the settle time";
  if (!page_crash.empty()) throw Error(ErrorKind::input, "browser: " + page_crash + " while loading " + url);
  const std::string settled_at = util::utc_now();
  const auto in_flight_urls = net.in_flight_urls();
  const auto capture_deadline = Clock::now() + options.capture_timeout;

  // Full-page screenshot: clip to the whole content (captureBeyondViewport renders what
  // is below the fold), cut at max_screenshot_height.
  const Json metrics = cdp.call("Page.getLayoutMetrics", Json::object(), session, capture_deadline, "measuring the page");
  const Json& size = metrics.contains("cssContentSize") ? metrics["cssContentSize"] : metrics.value("contentSize", Json::object());
  const int content_w = static_cast<int>(std::ceil(size.value("width", 0.0)));
  const int content_h = static_cast<int>(std::ceil(size.value("height", 0.0)));
  const int shot_w = std::clamp(content_w, options.viewport_width, std::max(options.viewport_width, 16384));
  const int shot_h = std::clamp(content_h, options.viewport_height, std::max(options.viewport_height, options.max_screenshot_height));
  const Json shot = cdp.call("Page.captureScreenshot",
                             {{"format", "png"},
                              {"captureBeyondViewport", true},
                              {"fromSurface", true},
                              {"clip", {{"x", 0}, {"y", 0}, {"width", shot_w}, {"height", shot_h}, {"scale", 1}}}},
                             session, capture_deadline, "taking the screenshot");
  const std::string png = decode_base64(shot.value("data", std::string()), "the screenshot");
  if (png_dimension(png, 16) < 0) throw Error(ErrorKind::input, "browser: the screenshot is not a PNG image");
  result.files.push_back(write_output(out_dir, "screenshot.png", png, &created));
  const int png_w = png_dimension(png, 16);
  const int png_h = png_dimension(png, 20);

  // PDF, streamed in 1 MiB pieces through the IO domain.
  {
    const Json pdf = cdp.call("Page.printToPDF", {{"printBackground", true}, {"transferMode", "ReturnAsStream"}}, session, capture_deadline,
                              "printing the PDF");
    const std::string handle = pdf.value("stream", std::string());
    OutputFile f(out_dir, "page.pdf", &created);
    if (handle.empty()) {
      f.write(decode_base64(pdf.value("data", std::string()), "the PDF"));
    } else {
      Base64Decoder dec;
      std::string bytes;
      for (;;) {
        const Json piece = cdp.call("IO.read", {{"handle", handle}, {"size", 1 << 20}}, session, capture_deadline, "reading the PDF");
        const std::string data = piece.value("data", std::string());
        bytes.clear();
        if (piece.value("base64Encoded", false)) {
          if (!dec.update(data, bytes)) throw Error(ErrorKind::input, "browser: the PDF is not valid base64");
        } else {
          bytes = data;
        }
        f.write(bytes);
        if (piece.value("eof", false)) break;
      }
      bytes.clear();
      if (!dec.finish(bytes)) throw Error(ErrorKind::input, "browser: the PDF is not valid base64");
      f.write(bytes);
      cdp.try_call("IO.close", {{"handle", handle}}, session, capture_deadline, "closing the PDF stream", nullptr);
    }
    result.files.push_back(f.commit());
  }

  // The DOM after scripts ran, with its doctype.
  const std::string dom_js =
      "(() => { const d = document; let s = ''; if (d.doctype) s = new XMLSerializer().serializeToString(d.doctype) + '\\n';"
      " return s + (d.documentElement ? d.documentElement.outerHTML : ''); })()";
  const Json dom =
      cdp.call("Runtime.evaluate", {{"expression", dom_js}, {"returnByValue", true}}, session, capture_deadline, "reading the DOM");
  if (dom.contains("exceptionDetails")) throw Error(ErrorKind::input, "browser: reading the DOM failed in the page");
  result.files.push_back(
      write_output(out_dir, "rendered.html", dom.value("result", Json::object()).value("value", std::string()), &created));
  const Json loc = cdp.call("Runtime.evaluate", {{"expression", "({url: location.href, title: document.title})"}, {"returnByValue", true}},
                            session, capture_deadline, "reading the page's address");
  const Json loc_value = loc.value("result", Json::object()).value("value", Json::object());

  // Response bodies (decoded by the browser) into the scratch folder for the WARC.
  std::size_t body_count = 0;
  for (std::size_t i = 0; i < net.requests.size(); ++i) {
    auto& r = net.requests[i];
    if (net.current(r.request_id) != i) {
      r.body_note = "redirect: no body kept";
      continue;
    }
    if (!r.url.starts_with("http:") && !r.url.starts_with("https:")) {
      r.body_note = "not an http(s) request";
      continue;
    }
    if (!r.finished || !r.error.empty()) {
      r.body_note = r.error.empty() ? "the response did not finish before the capture" : "the request failed";
      continue;
    }
    const auto dl = net.decoded_length.find(r.request_id);
    if (dl != net.decoded_length.end() && dl->second > options.max_body_size) {
      r.body_note = "larger than the body limit (" + std::to_string(options.max_body_size) + " bytes): not kept";
      continue;
    }
    if (Clock::now() >= capture_deadline) {
      r.body_note = "the capture time ran out before this body was read";
      continue;
    }
    std::string err;
    const auto body =
        cdp.try_call("Network.getResponseBody", {{"requestId", r.request_id}}, session, capture_deadline, "reading response bodies", &err);
    if (!body) {
      r.body_note = "the browser did not keep the body: " + err;
      continue;
    }
    std::string bytes = body->value("body", std::string());
    if (body->value("base64Encoded", false)) bytes = decode_base64(bytes, "a response body");
    const fs::path file = result.scratch / ("body-" + std::to_string(i));
    const BrowserFile bf = write_output(result.scratch, file.filename().string(), bytes);
    r.body_file = file;
    r.body_size = bf.size;
    r.body_sha256 = bf.sha256;
    ++body_count;
  }

  proc.stop();
  // Cookie values are credentials (a session cookie logs anyone in as the victim): only
  // their names are kept, in browser.json and in the reconstructed WARC requests.
  for (auto& r : net.requests) {
    for (auto& [name, value] : r.request_headers.items()) {
      if (iequals(name, "cookie") && value.is_string()) value = redact_cookie_header(value.get<std::string>());
    }
  }
  const std::string finished = util::utc_now();

  // browser.json
  Json requests = Json::array();
  for (const auto& r : net.requests) {
    Json j = {{"url", r.url}, {"method", r.method}, {"resource_type", r.resource_type}};
    if (r.status) {
      j["status"] = *r.status;
      j["status_text"] = r.status_text;
    } else {
      j["status"] = nullptr;
    }
    j["protocol"] = r.protocol;
    j["mime_type"] = r.mime_type;
    j["remote_ip"] = r.remote_ip;
    j["remote_port"] = r.remote_port;
    j["started"] = r.started_utc;
    j["duration_ms"] = r.duration_ms >= 0 ? Json(r.duration_ms) : Json(nullptr);
    j["encoded_length"] = r.encoded_length;
    j["from_cache"] = r.from_cache;
    j["finished"] = r.finished;
    j["error"] = r.error;
    j["request_headers"] = r.request_headers;
    j["response_headers"] = r.response_headers;
    if (!r.body_file.empty()) {
      j["body"] = {{"size", r.body_size}, {"sha256", r.body_sha256}};
    } else {
      j["body"] = nullptr;
      j["body_note"] = r.body_note;
    }
    requests.push_back(std::move(j));
  }
  Json rec;
  rec["url"] = url;
  rec["final_url"] = loc_value.value("url", std::string());
  rec["title"] = loc_value.value("title", std::string());
  rec["browser"] = {{"path", exe->string()},
                    {"product", version.value("product", std::string())},
                    {"revision", version.value("revision", std::string())},
                    {"protocol_version", version.value("protocolVersion", std::string())},
                    {"js_version", version.value("jsVersion", std::string())},
                    {"default_user_agent", version.value("userAgent", std::string())},
                    {"transport", "CDP over --remote-debugging-pipe (no TCP port)"}};
  rec["command_line"] = proc.argv();
  rec["process_command_line"] = process_cmdline;
  rec["sandbox"] = !root;
  if (root) rec["sandbox_note"] = "running as root: Chromium's sandbox cannot start, so --no-sandbox was given";
  rec["viewport"] = viewport;
  rec["user_agent"] = user_agent;
  rec["cookies"] = cookie_names;
  rec["extra_headers"] = header_names;
  rec["proxy"] = options.proxy;
  rec["insecure"] = options.insecure;
  rec["limits"] = {{"startup_timeout_ms", options.startup_timeout.count()},
                   {"settle_timeout_ms", options.settle_timeout.count()},
                   {"network_idle_ms", options.idle_time.count()},
                   {"capture_timeout_ms", options.capture_timeout.count()},
                   {"js_heap_mb", options.js_heap_mb},
                   {"max_body_size", options.max_body_size},
                   {"max_screenshot_height", options.max_screenshot_height}};
  rec["times"] = {{"started", started}, {"navigated", navigated}, {"settled", settled_at}, {"finished", finished}};
  rec["navigation_error"] = navigation_error;
  rec["load_event"] = load_fired;
  rec["network_idle"] = settled;
  rec["settle"] = settled ? "network-idle" : "timeout";
  rec["in_flight_at_capture"] = in_flight_urls;
  rec["dialogs"] = dialogs;
  rec["screenshot"] = {{"file", "screenshot.png"},
                       {"width", png_w},
                       {"height", png_h},
                       {"content_width", content_w},
                       {"content_height", content_h},
                       {"truncated", content_h > shot_h || content_w > shot_w}};
  rec["pdf"] = {{"file", "page.pdf"}, {"method", "Page.printToPDF (printBackground)"}};
  rec["rendered_dom"] = {{"file", "rendered.html"}, {"method", "Runtime.evaluate: doctype + document.documentElement.outerHTML"}};
  rec["bodies_kept"] = body_count;
  rec["requests"] = std::move(requests);
  result.files.push_back(write_output(out_dir, "browser.json", rec.dump(2, ' ', false, Json::error_handler_t::replace) + "\n", &created));
  result.record = std::move(rec);
  result.requests = std::move(net.requests);
  result.settled = settled;
  return result;
}

} // namespace

BrowserCapture capture_rendered(const std::string& url, const BrowserOptions& options, const fs::path& out_dir) {
  std::vector<fs::path> created;
  try {
    return capture_rendered_into(url, options, out_dir, created);
  } catch (...) {
    // Nothing half-written stays in the staging folder: a failed rendering leaves no files.
    std::error_code ec;
    for (const auto& p : created)
      fs::remove(p, ec);
    throw;
  }
}

} // namespace cbkit::capture
