#pragma once

// Private to capture/: the page's requests, collected from the DevTools Network domain's
// events. A redirect is its own request: the hop's response comes with the next
// requestWillBeSent of the same requestId. The *ExtraInfo events (the headers as they
// crossed the network, cookies included) may come before or after the event they
// complete and are matched to it either way.

#include "cbkit/capture/browser.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace cbkit::capture {

// Collects the requests of the page from Network.* events and tracks which are in flight.
class NetworkLog {
public:
  std::vector<BrowserRequest> requests;
  // When the network was last busy (a request, response, data or end); the page has
  // settled once nothing is in flight for long enough after this.
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  std::map<std::string, std::uint64_t> decoded_length; // by requestId, from dataReceived

  std::size_t in_flight() const { return m_in_flight.size(); }
  std::vector<std::string> in_flight_urls() const;
  // The latest request (last redirect hop) of each requestId, whose body the browser holds.
  std::optional<std::size_t> current(const std::string& id) const;

  // Takes one Network.* event (`method`, its `params`); other events are ignored.
  void handle(const std::string& method, const nlohmann::json& params);

  // Cookie values are credentials (a session cookie logs anyone in as the victim): the
  // Cookie request headers keep only the names ("a=<redacted>; b=<redacted>").
  void redact_cookies();

  // browser.json's "requests": one object per request, in the order they were made.
  nlohmann::json requests_json() const;

private:
  struct Pending {
    std::vector<nlohmann::json> request_extra;                  // requestWillBeSentExtraInfo headers, oldest first
    std::vector<std::pair<int, nlohmann::json>> response_extra; // responseReceivedExtraInfo (statusCode, headers), oldest first
  };

  void set_response(BrowserRequest& r, const nlohmann::json& resp);
  static void set_end(BrowserRequest& r, double ts);

  std::map<std::string, std::size_t> m_current;
  std::set<std::string> m_in_flight;
  std::set<std::string> m_wants_request_extra;
  std::set<std::size_t> m_raw_response_set;
  std::map<std::string, std::vector<std::size_t>> m_hops; // every hop of a requestId, oldest first
  std::map<std::string, Pending> m_pending;
};

} // namespace cbkit::capture
