#include "cbkit/capture/http.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/curl.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/openssl.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace cbkit::capture {

std::int64_t monotonic_ms() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

namespace {

std::int64_t now_micros() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::string format_micros(std::int64_t micros) { return util::format_utc(micros / 1000000, micros % 1000000); }

// ---------------------------------------------------------------- TLS details via OpenSSL

std::string name_text(const X509_NAME* name) {
  const util::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return "";
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return util::utf8_lossy(util::bio_contents(bio.get()));
}

std::string asn1_time_text(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

CertSummary summarize_cert(X509* cert) {
  CertSummary c;
  c.subject = name_text(X509_get_subject_name(cert));
  c.issuer = name_text(X509_get_issuer_name(cert));
  if (const util::BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)); bn) {
    if (const util::OpensslStringPtr hex(BN_bn2hex(bn.get())); hex) c.serial = util::to_lower_ascii(hex.get());
  }
  c.not_before = asn1_time_text(X509_get0_notBefore(cert));
  c.not_after = asn1_time_text(X509_get0_notAfter(cert));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) == 1) c.sha256 = util::to_hex(md, len);
  return c;
}

std::string cert_pem(X509* cert) {
  const util::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return "";
  PEM_write_bio_X509(bio.get(), cert);
  return util::bio_contents(bio.get());
}

int ex_index() {
  static const int idx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}

struct HopState;

} // namespace

// ------------------------------------------------------------------ the exchange

namespace {

struct HopState {
  HopResult* r = nullptr;
  const HttpClientOptions* options = nullptr;
  CURL* curl = nullptr;
  int body_fd = -1;
  std::string body_what;
  std::unique_ptr<util::Sha256> block;
  util::Sha256 payload;
  bool header_block_done = false;
  bool body_started = false;
  bool tls_queried = false;
  bool cut_at_limit = false;
  bool stalled = false;
  bool past_deadline = false;
  bool stopped = false;
  std::int64_t last_activity_ms = 0;
  curl_off_t last_dlnow = 0;
  std::size_t log_bytes = 0;
  std::string host;

  void query_tls() {
    if (tls_queried) return;
    tls_queried = true;
    const struct curl_tlssessioninfo* info = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == nullptr || info->backend != CURLSSLBACKEND_OPENSSL ||
        info->internals == nullptr)
      return;
    SSL* ssl = static_cast<SSL*>(info->internals);
    r->tls.used = true;
    r->tls.version = SSL_get_version(ssl);
    if (const char* c = SSL_get_cipher_name(ssl)) r->tls.cipher = c;
    r->tls.chain_verified = SSL_get_verify_result(ssl) == X509_V_OK;
    if (!r->tls.chain_verified && r->tls.verify_error.empty())
      r->tls.verify_error = X509_verify_cert_error_string(SSL_get_verify_result(ssl));
    if (r->tls.chain.empty()) {
      if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) {
        for (int i = 0; i < sk_X509_num(chain); ++i) {
          r->tls.chain.push_back(summarize_cert(sk_X509_value(chain, i)));
          r->tls.chain_pem += cert_pem(sk_X509_value(chain, i));
        }
      }
    }
  }

  void begin_body() {
    if (body_started) return;
    body_started = true;
    block = std::make_unique<util::Sha256>();
    block->update(r->response_header_bytes);
  }
};

// OpenSSL calls this for every certificate of the chain it builds, also when curl does not
// verify (--insecure): the peer's chain and the first failure are kept either way, so a
// refused certificate is still described in the record of the failed attempt.
int verify_callback(int preverify_ok, X509_STORE_CTX* store) {
  SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return preverify_ok;
  auto* st = static_cast<HopState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  if (st == nullptr) return preverify_ok;
  TlsDetails& tls = st->r->tls;
  tls.used = true;
  if (tls.chain.empty()) {
    if (STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store)) {
      for (int i = 0; i < sk_X509_num(sent); ++i) {
        tls.chain.push_back(summarize_cert(sk_X509_value(sent, i)));
        tls.chain_pem += cert_pem(sk_X509_value(sent, i));
      }
    }
    if (X509* leaf = X509_STORE_CTX_get0_cert(store); leaf != nullptr && !st->host.empty()) {
      const std::string& h = st->host;
      const bool is_ip = h.find(':') != std::string::npos ||
                         std::all_of(h.begin(), h.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
      tls.name_matches = is_ip ? X509_check_ip_asc(leaf, h.c_str(), 0) == 1 : X509_check_host(leaf, h.c_str(), h.size(), 0, nullptr) == 1;
    }
  }
  if (!preverify_ok && tls.verify_error.empty()) {
    tls.verify_error = std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(store))) + " (certificate depth " +
                       std::to_string(X509_STORE_CTX_get_error_depth(store)) + ")";
  }
  return preverify_ok;
}

CURLcode ssl_ctx_callback(CURL*, void* ssl_ctx, void* user) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_ex_data(ctx, ex_index(), user);
  SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), verify_callback);
  return CURLE_OK;
}

int debug_callback(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* st = static_cast<HopState*>(user);
  switch (type) {
  case CURLINFO_HEADER_OUT:
    if (size >= 8 && std::memcmp(data, "CONNECT ", 8) == 0 && st->r->request_bytes.empty()) {
      st->r->proxy_connect.append(data, size);
    } else {
      st->r->request_bytes.append(data, size);
    }
    break;
  case CURLINFO_DATA_OUT:
    st->r->request_bytes.append(data, size);
    break;
  case CURLINFO_TEXT:
    // Connection and handshake notes for the record; capped, a hostile server cannot grow it.
    if (st->log_bytes < 64 * 1024 && st->r->log.size() < 400) {
      const std::string line(util::trim_end(std::string_view(data, size), "\r\n"));
      st->log_bytes += line.size();
      st->r->log.push_back(util::utf8_lossy(line));
    }
    break;
  default:
    break;
  }
  return 0;
}

size_t header_callback(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<HopState*>(user);
  const size_t len = size * n;
  HopResult& r = *st->r;
  st->last_activity_ms = monotonic_ms();
  st->query_tls();
  if (st->body_started) return len; // trailers: already in the raw body
  const std::string line(data, len);
  if (st->header_block_done) {
    // Another block after a complete one: the one before was an interim (1xx) response.
    r.interim_headers.push_back(r.response_header_bytes);
    r.response_header_bytes.clear();
    st->header_block_done = false;
  }
  if (r.response_header_bytes.size() + len > (4u << 20)) return 0; // absurd header block: abort
  r.response_header_bytes += line;
  if (line == "\r\n" || line == "\n") {
    st->header_block_done = true;
    r.response_received = true;
    r.headers_received_micros = now_micros();
    // Status line: HTTP/1.1 404 Not Found
    const std::string& h = r.response_header_bytes;
    const std::size_t eol = h.find('\n');
    std::string status_line = h.substr(0, eol);
    if (!status_line.empty() && status_line.back() == '\r') status_line.pop_back();
    const std::size_t sp1 = status_line.find(' ');
    if (status_line.rfind("HTTP/", 0) == 0 && sp1 != std::string::npos) {
      r.http_version = status_line.substr(5, sp1 - 5);
      const std::size_t sp2 = status_line.find(' ', sp1 + 1);
      const std::string code = status_line.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1);
      r.status = std::all_of(code.begin(), code.end(), ::isdigit) && !code.empty() && code.size() <= 3 ? std::stol(code) : 0;
      r.reason = sp2 == std::string::npos ? "" : util::utf8_lossy(status_line.substr(sp2 + 1));
    }
  }
  return len;
}

size_t write_callback(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<HopState*>(user);
  HopResult& r = *st->r;
  const size_t len = size * n;
  st->last_activity_ms = monotonic_ms();
  st->begin_body();
  std::size_t keep = len;
  if (r.body_size + len > st->options->max_size) {
    keep = static_cast<std::size_t>(st->options->max_size - r.body_size);
    st->cut_at_limit = true;
  }
  if (keep > 0) {
    try {
      util::write_all(st->body_fd, data, keep, st->body_what);
    } catch (const Error&) {
      st->stopped = true;
      r.error = "cannot write the body to " + st->body_what;
      r.error_kind = "io";
      return 0;
    }
    st->block->update(data, keep);
    st->payload.update(data, keep);
    r.body_size += keep;
  }
  return st->cut_at_limit ? 0 : len; // returning less than len stops the transfer
}

int progress_callback(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* st = static_cast<HopState*>(user);
  const std::int64_t now = monotonic_ms();
  if (dlnow != st->last_dlnow) {
    st->last_dlnow = dlnow;
    st->last_activity_ms = now;
  }
  (void)ulnow;
  if (interrupted()) {
    st->stopped = true;
    return 1;
  }
  if (now - st->last_activity_ms > st->options->timeout_ms) {
    st->stalled = true;
    return 1;
  }
  if (st->options->deadline_ms > 0 && now >= st->options->deadline_ms) {
    st->past_deadline = true;
    return 1;
  }
  return 0;
}

std::string classify(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
    return "dns";
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_PROXY:
    return "proxy";
  case CURLE_COULDNT_CONNECT:
    return "connect";
  case CURLE_OPERATION_TIMEDOUT:
    return "timeout";
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_ENGINE_INITFAILED:
    return "tls";
  case CURLE_GOT_NOTHING:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_PARTIAL_FILE:
    return "disconnect";
  default:
    return "other";
  }
}

} // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  CURLSH* share = nullptr;
  bool cookies_loaded = false;
};

HttpClient::HttpClient(HttpClientOptions options) : m(std::make_unique<Impl>()) {
  util::curl_global();
  m->options = std::move(options);
  m->share = curl_share_init();
  if (m->share == nullptr) throw Error(ErrorKind::internal, "curl_share_init failed");
  curl_share_setopt(m->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
}

HttpClient::~HttpClient() {
  if (m->share) curl_share_cleanup(m->share);
}

HopResult HttpClient::fetch(const std::string& url, const std::filesystem::path& body_file) {
  HopResult r;
  r.url = url;
  HopState st;
  st.r = &r;
  st.options = &m->options;
  st.body_what = util::utf8_lossy(body_file.string());
  util::UniqueFd fd(::open(body_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) throw_errno(ErrorKind::io, st.body_what);
  st.body_fd = fd.get();

  const util::CurlPtr handle = util::curl_easy();
  CURL* curl = handle.get();
  st.curl = curl;
  if (const auto host = util::curl_url_host(url)) {
    st.host = *host;
    if (st.host.size() > 2 && st.host.front() == '[') st.host = st.host.substr(1, st.host.size() - 2);
  }

  char errbuf[CURL_ERROR_SIZE] = {};
  util::CurlHeaders headers;
  for (const auto& h : m->options.headers)
    headers.append(h);

  util::curl_set_basics(curl, {url, m->options.proxy, m->options.user_agent, &headers, errbuf});
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_HTTP_TRANSFER_DECODING, 0L);
  curl_easy_setopt(curl, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(curl, CURLOPT_SHARE, m->share);
  // The cookie file is read once; later hops use the shared jar (with what hops set).
  if (m->options.cookie_file && !m->cookies_loaded) {
    curl_easy_setopt(curl, CURLOPT_COOKIEFILE, m->options.cookie_file->c_str());
    m->cookies_loaded = true;
  } else {
    curl_easy_setopt(curl, CURLOPT_COOKIEFILE, "");
  }
  if (m->options.ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, m->options.ca_file->c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, m->options.insecure ? 0L : 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, m->options.insecure ? 0L : 2L);
  curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_callback);
  curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &st);
  long connect_ms = m->options.timeout_ms;
  if (m->options.deadline_ms > 0)
    connect_ms = std::max(1L, std::min<long>(connect_ms, static_cast<long>(m->options.deadline_ms - monotonic_ms())));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, debug_callback);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &st);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_callback);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_callback);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress_callback);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &st);

  r.started_micros = now_micros();
  r.started = format_micros(r.started_micros);
  st.last_activity_ms = monotonic_ms();
  const CURLcode rc = curl_easy_perform(curl);
  const std::int64_t ended = now_micros();
  r.ended = format_micros(ended);
  st.query_tls();

  char* ip = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip) r.remote_ip = ip;
  curl_easy_getinfo(curl, CURLINFO_PRIMARY_PORT, &r.remote_port);
  char* lip = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_LOCAL_IP, &lip) == CURLE_OK && lip) r.local_ip = lip;
  curl_easy_getinfo(curl, CURLINFO_LOCAL_PORT, &r.local_port);
  char* redirect = nullptr;
  if (r.status >= 300 && r.status < 400 && curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect)
    r.redirect_url = redirect;

  if (st.block) {
    r.block_sha256 = st.block->finish();
  } else {
    util::Sha256 b;
    b.update(r.response_header_bytes);
    r.block_sha256 = b.finish();
  }
  r.payload_sha256 = st.payload.finish();

  if (rc != CURLE_OK && !(st.cut_at_limit && rc == CURLE_WRITE_ERROR)) {
    if (r.error.empty()) {
      if (st.stalled) {
        r.error_kind = "timeout";
        r.error = "no data for " + std::to_string(m->options.timeout_ms) + " ms (--timeout)";
      } else if (st.past_deadline) {
        r.error_kind = "deadline";
        r.error = "the capture's total time limit was reached (--deadline); the response was cut there";
      } else if (st.stopped && interrupted()) {
        r.error_kind = "interrupted";
        r.error = "interrupted";
      } else {
        r.error_kind = classify(rc);
        r.error = errbuf[0] ? util::utf8_lossy(errbuf) : curl_easy_strerror(rc);
        if (!r.tls.verify_error.empty() && r.error_kind == "tls") r.error += " (" + r.tls.verify_error + ")";
      }
    }
    if (r.response_received) r.truncated = r.error_kind == "timeout" || r.error_kind == "deadline" ? "time" : "disconnect";
  } else if (st.cut_at_limit) {
    r.truncated = "length";
  }
  // An interim-only exchange (1xx then nothing) is not a response.
  if (r.response_received && r.status >= 100 && r.status < 200) r.response_received = false;
  if (!r.response_received && r.error.empty()) {
    r.error_kind = "other";
    r.error = "no complete HTTP response";
  }
  // Not fsynced here: the caller syncs the staging folder as a whole before recording it.
  return r;
}

std::string curl_version_text() {
  util::curl_global();
  return curl_version();
}

std::optional<std::int64_t> parse_http_date(const std::string& text) {
  const time_t t = curl_getdate(text.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

} // namespace cbkit::capture
