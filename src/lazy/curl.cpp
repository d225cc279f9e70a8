// libcurl, opened on first use: capture-url, timestamp and seal --tsa. See forward.hpp.

#include "lazy/forward.hpp"

#include <curl/curl.h>

#include <cstdarg>

#define CBKIT_CURL_FUNCTIONS(X)                                                                                                            \
  X(void, curl_easy_cleanup, (CURL * a0), (a0))                                                                                            \
  X(CURL*, curl_easy_init, (), ())                                                                                                         \
  X(CURLcode, curl_easy_perform, (CURL * a0), (a0))                                                                                        \
  X(const char*, curl_easy_strerror, (CURLcode a0), (a0))                                                                                  \
  X(void, curl_free, (void* a0), (a0))                                                                                                     \
  X(time_t, curl_getdate, (const char* a0, const time_t* a1), (a0, a1))                                                                    \
  X(CURLcode, curl_global_init, (long a0), (a0))                                                                                           \
  X(CURLSHcode, curl_share_cleanup, (CURLSH * a0), (a0))                                                                                   \
  X(CURLSH*, curl_share_init, (), ())                                                                                                      \
  X(struct curl_slist*, curl_slist_append, (struct curl_slist * a0, const char* a1), (a0, a1))                                             \
  X(void, curl_slist_free_all, (struct curl_slist * a0), (a0))                                                                             \
  X(CURLU*, curl_url, (), ())                                                                                                              \
  X(void, curl_url_cleanup, (CURLU * a0), (a0))                                                                                            \
  X(CURLUcode, curl_url_get, (CURLU * a0, CURLUPart a1, char** a2, unsigned int a3), (a0, a1, a2, a3))                                     \
  X(CURLUcode, curl_url_set, (CURLU * a0, CURLUPart a1, const char* a2, unsigned int a3), (a0, a1, a2, a3))                                \
  X(const char*, curl_url_strerror, (CURLUcode a0), (a0))                                                                                  \
  X(char*, curl_version, (), ())

// The three functions that take a variable argument, forwarded by hand below.
#define CBKIT_CURL_VARIADIC(X)                                                                                                             \
  X(, curl_easy_setopt, , )                                                                                                                \
  X(, curl_easy_getinfo, , )                                                                                                               \
  X(, curl_share_setopt, , )

#define CBKIT_CURL_ALL(X) CBKIT_CURL_FUNCTIONS(X) CBKIT_CURL_VARIADIC(X)

CBKIT_LAZY_LIBRARY(CBKIT_CURL_ALL, require_curl, CBKIT_SONAME_CURL, "for HTTP and HTTPS (capture-url, timestamp, seal --tsa)", "libcurl4")

namespace {
template <class F> F real(std::size_t index) { return reinterpret_cast<F>(library().address(index)); }

// A function pointer of no particular type, to carry a callback option through.
using AnyFunction = void (*)();
} // namespace

extern "C" {
CBKIT_CURL_FUNCTIONS(CBKIT_LAZY_FORWARD)

// The option number says the type of its argument (curl.h, CURLOPTTYPE_*), and libcurl
// takes it with va_arg by that type: so does this forwarder, and passes it on unchanged.
CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  const auto f = real<decltype(&curl_easy_setopt)>(i_curl_easy_setopt);
  va_list ap;
  va_start(ap, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    rc = f(curl, option, va_arg(ap, long));
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
    rc = f(curl, option, va_arg(ap, void*));
  } else if (option < CURLOPTTYPE_OFF_T) {
    rc = f(curl, option, va_arg(ap, AnyFunction));
  } else if (option < CURLOPTTYPE_BLOB) {
    rc = f(curl, option, va_arg(ap, curl_off_t));
  } else {
    rc = f(curl, option, va_arg(ap, void*)); // struct curl_blob*
  }
  va_end(ap);
  return rc;
}

// Every CURLINFO_* takes a pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  const auto f = real<decltype(&curl_easy_getinfo)>(i_curl_easy_getinfo);
  va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);
  va_end(ap);
  return f(curl, info, out);
}

// CURLSHOPT_SHARE and _UNSHARE take an int (a curl_lock_data), the lock functions a
// function pointer, CURLSHOPT_USERDATA a pointer.
CURLSHcode curl_share_setopt(CURLSH* share, CURLSHoption option, ...) {
  const auto f = real<decltype(&curl_share_setopt)>(i_curl_share_setopt);
  va_list ap;
  va_start(ap, option);
  CURLSHcode rc;
  switch (option) {
  case CURLSHOPT_SHARE:
  case CURLSHOPT_UNSHARE:
    rc = f(share, option, va_arg(ap, int));
    break;
  case CURLSHOPT_LOCKFUNC:
  case CURLSHOPT_UNLOCKFUNC:
    rc = f(share, option, va_arg(ap, AnyFunction));
    break;
  default:
    rc = f(share, option, va_arg(ap, void*));
    break;
  }
  va_end(ap);
  return rc;
}
}
