#pragma once

// Private to capture/: the Chrome DevTools Protocol (CDP) over --remote-debugging-pipe.
// Messages are JSON objects separated by NUL bytes on the browser process's socket.
// A command carries an id and gets a reply with the same id ("result" or "error"); every
// other message is an event. Every wait has a deadline and polls cbkit::interrupted() at
// least every 100 ms; a browser that closes the connection is reported with how it ended
// and the reason from its log.

#include "browser_process.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace cbkit::capture {

class Cdp {
public:
  using Clock = std::chrono::steady_clock;
  using Json = nlohmann::json;

  // Messages larger than `max_message` bytes are refused (Error(input)).
  Cdp(BrowserProcess& proc, std::size_t max_message) : m_proc(proc), m_max_message(max_message) {}

  // Receives the events that arrive while call()/try_call() wait for their reply.
  std::function<void(const Json&)> on_event;

  // Sends a command (to the browser when `session` is empty, else to that tab) and returns
  // its id without waiting. Throws Error(input) when the browser has gone.
  int send(const std::string& method, const Json& params, const std::string& session);

  // Sends a command and waits for its answer (events that arrive meanwhile go to on_event).
  // Throws Error(input) on a protocol error or when `deadline` passes; `what` names the step.
  Json call(const std::string& method, const Json& params, const std::string& session, Clock::time_point deadline, const std::string& what);

  // Like call() but returns nullopt instead of throwing on a protocol error (its message
  // in *error when given). Still throws when `deadline` passes.
  std::optional<Json> try_call(const std::string& method, const Json& params, const std::string& session, Clock::time_point deadline,
                               const std::string& what, std::string* error);

  // The next message, or nullopt when `deadline` passed first. Throws Error(input) when
  // the browser closed the connection or sent something that is not a JSON object,
  // Error(interrupted) on SIGINT/SIGTERM.
  std::optional<Json> next(Clock::time_point deadline);

private:
  [[noreturn]] void died(const std::string& what);

  BrowserProcess& m_proc;
  std::size_t m_max_message;
  std::string m_buf;
  std::size_t m_scan = 0;
  int m_next_id = 1;
};

} // namespace cbkit::capture
