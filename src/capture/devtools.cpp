#include "devtools.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/json.hpp"

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace cbkit::capture {

namespace {
constexpr std::size_t k_max_message_depth = 1000;
}

int Cdp::send(const std::string& method, const Json& params, const std::string& session) {
  Json msg = {{"id", m_next_id}, {"method", method}, {"params", params}};
  if (!session.empty()) msg["sessionId"] = session;
  std::string text = msg.dump(-1, ' ', false, Json::error_handler_t::replace);
  text.push_back('\0');
  if (!util::send_all(m_proc.fd(), text.data(), text.size())) died("sending " + method);
  return m_next_id++;
}

Cdp::Json Cdp::call(const std::string& method, const Json& params, const std::string& session, Clock::time_point deadline,
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

std::optional<Cdp::Json> Cdp::try_call(const std::string& method, const Json& params, const std::string& session,
                                       Clock::time_point deadline, const std::string& what, std::string* error) {
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

std::optional<Cdp::Json> Cdp::next(Clock::time_point deadline) {
  for (;;) {
    const auto nul = m_buf.find('\0', m_scan);
    if (nul != std::string::npos) {
      // The browser's replies carry what a page returns; bound their nesting like any
      // untrusted JSON (far above the DevTools protocol's own few levels).
      const std::string_view text = std::string_view(m_buf).substr(0, nul);
      Json msg = util::json_too_deep(text, k_max_message_depth) ? Json(Json::value_t::discarded) : Json::parse(text, nullptr, false);
      m_buf.erase(0, nul + 1);
      m_scan = 0;
      if (msg.is_discarded() || !msg.is_object())
        throw Error(ErrorKind::input, "browser: sent a message that is not JSON (or nested too deeply)");
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

void Cdp::died(const std::string& what) {
  // Give the process a moment to be reaped so the message can say how it ended.
  for (int i = 0; i < 20 && !m_proc.exited(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::string why = last_log_line(m_proc.log_file());
  throw Error(ErrorKind::input, "browser: the browser closed the connection while " + what + " (" + m_proc.exit_description() + ")" +
                                    (why.empty() ? "" : ": " + why));
}

} // namespace cbkit::capture
