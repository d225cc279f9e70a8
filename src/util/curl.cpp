#include "cbkit/util/curl.hpp"

#include <mutex>

namespace cbkit::util {

void curl_global() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw Error(ErrorKind::internal, "curl_global_init failed");
  });
}

CurlPtr curl_easy() {
  curl_global();
  CurlPtr c(curl_easy_init());
  if (!c) throw Error(ErrorKind::internal, "cannot start libcurl (curl_easy_init failed)");
  return c;
}

void CurlHeaders::append(const std::string& line) {
  curl_slist* next = curl_slist_append(m_list.get(), line.c_str());
  if (next == nullptr) throw Error(ErrorKind::internal, "out of memory");
  m_list.release(); // now the head of `next`
  m_list.reset(next);
}

void curl_set_basics(CURL* c, const CurlBasics& b) {
  curl_set(c, CURLOPT_URL, b.url.c_str());
  curl_set(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_set(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_set(c, CURLOPT_PROXY, b.proxy.c_str());
  curl_set(c, CURLOPT_NOSIGNAL, 1L);
  curl_set(c, CURLOPT_USERAGENT, b.user_agent.c_str());
  curl_set(c, CURLOPT_HTTPHEADER, b.headers != nullptr ? b.headers->get() : nullptr);
  curl_set(c, CURLOPT_ERRORBUFFER, b.error_buffer);
}

std::optional<std::string> curl_url_host(const std::string& url, std::string* error) {
  curl_global();
  struct UrlFree {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
  };
  const std::unique_ptr<CURLU, UrlFree> u(curl_url());
  if (!u) throw Error(ErrorKind::internal, "out of memory");
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0);
  char* host = nullptr;
  if (rc == CURLUE_OK) rc = curl_url_get(u.get(), CURLUPART_HOST, &host, 0);
  if (rc != CURLUE_OK || host == nullptr) {
    if (error != nullptr) *error = rc != CURLUE_OK ? curl_url_strerror(rc) : "no host";
    return std::nullopt;
  }
  std::string out(host);
  curl_free(host);
  return out;
}

} // namespace cbkit::util
