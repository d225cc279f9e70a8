#pragma once

// libcurl for cbkit's two HTTP clients (capture-url's recorded exchange and the RFC 3161
// TSA request): owned handles, the process-wide init done once, and the options both set
// the same way.

#include "cbkit/error.hpp"

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>

namespace cbkit::util {

// curl_global_init(CURL_GLOBAL_DEFAULT), once per process (thread-safe). Throws
// Error(internal) when it fails.
void curl_global();

struct CurlEasyCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlEasyCleanup>;

// A new easy handle, after curl_global(). Throws Error(internal) when libcurl cannot make one.
CurlPtr curl_easy();

// Sets one option; throws Error(internal) when libcurl refuses it.
template <class T> void curl_set(CURL* c, CURLoption option, T value) {
  if (curl_easy_setopt(c, option, value) != CURLE_OK) throw Error(ErrorKind::internal, "libcurl refused an option");
}

// An owned list of request header lines (a curl_slist).
class CurlHeaders {
public:
  // Adds "Name: value" (or "Name:" to suppress one of curl's own). Throws Error(internal)
  // when out of memory.
  void append(const std::string& line);
  curl_slist* get() const { return m_list.get(); }

private:
  struct Free {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
  };
  std::unique_ptr<curl_slist, Free> m_list;
};

// The options both clients set alike.
struct CurlBasics {
  std::string url;
  std::string proxy; // exactly as curl takes it; "" disables proxies, those of the environment too
  std::string user_agent;
  const CurlHeaders* headers = nullptr;
  char* error_buffer = nullptr; // CURL_ERROR_SIZE bytes, filled by curl on failure
};
// Sets the URL, http and https as the only protocols, no redirect following (a redirect is
// the caller's to record or refuse), the proxy, no signals, the user agent, the headers and
// the error buffer. `b` must outlive the transfer. Throws Error(internal) when libcurl
// refuses an option.
void curl_set_basics(CURL* c, const CurlBasics& b);

// The host of `url` as libcurl parses it (an IPv6 literal keeps its brackets); nullopt when
// libcurl cannot parse the URL or finds no host, with curl's reason in `error` when given.
std::optional<std::string> curl_url_host(const std::string& url, std::string* error = nullptr);

} // namespace cbkit::util
