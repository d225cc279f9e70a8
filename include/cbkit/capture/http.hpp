#pragma once

// One HTTP exchange at a time over libcurl, keeping the bytes exactly as they crossed the
// wire: the request as sent (CURLOPT_DEBUGFUNCTION, HEADER_OUT/DATA_OUT), the status line
// and header fields as received (header callback) and the message body as received
// (transfer decoding and content decoding off, so chunk framing and gzip stay as they
// came). HTTP/1.1 is forced: with HTTP/2 curl only hands out a re-synthesized text form
// of binary frames, which is not what was received.
//
// Redirects are not followed here: the caller asks for each hop, so every hop has its own
// request and response record.

#include "cbkit/util/sha256.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::capture {

struct HttpClientOptions {
  std::vector<std::string> headers; // "Name: value", sent in this order (replace curl's own of the same name)
  std::string user_agent;
  std::optional<std::filesystem::path> cookie_file; // Netscape format, read once at the first hop
  std::string proxy;                                // empty: no proxy (the environment's proxy variables are ignored)
  std::optional<std::filesystem::path> ca_file;     // trust anchors instead of the system's
  bool insecure = false;                            // do not verify the peer's certificate or name
  long timeout_ms = 30000;                          // connect timeout and the longest stall without data
  std::uint64_t max_size = 512ull << 20;            // message-body bytes kept; beyond: cut
  std::int64_t deadline_ms = 0;                     // CLOCK_MONOTONIC milliseconds (monotonic_ms()) by which the exchange must end; 0: none
};

// Milliseconds of CLOCK_MONOTONIC, the clock of HttpClientOptions::deadline_ms.
std::int64_t monotonic_ms();

struct CertSummary {
  std::string subject;
  std::string issuer;
  std::string serial;     // hex
  std::string not_before; // UTC RFC 3339
  std::string not_after;
  std::string sha256; // of the DER
};

struct TlsDetails {
  bool used = false;
  std::string version; // e.g. TLSv1.3
  std::string cipher;
  std::vector<CertSummary> chain; // as the peer sent it, leaf first
  std::string chain_pem;
  bool chain_verified = false;      // OpenSSL built a chain to a trust anchor
  std::string verify_error;         // OpenSSL's reason when not
  std::optional<bool> name_matches; // leaf matches the host name or IP (checked even with --insecure)
};

// What one hop produced.
struct HopResult {
  std::string url;
  std::string started; // UTC, microseconds
  std::string ended;
  std::int64_t started_micros = 0;
  std::string request_bytes;                // the request as sent
  std::string proxy_connect;                // a CONNECT request sent to the proxy, if any
  std::string response_header_bytes;        // final status line + header fields + empty line, as received
  std::vector<std::string> interim_headers; // 1xx responses that came before it
  bool response_received = false;           // a complete header block arrived
  std::int64_t headers_received_micros = 0;
  long status = 0;
  std::string http_version; // from the status line, e.g. "1.1"
  std::string reason;
  std::uint64_t body_size = 0;   // message-body bytes written to the body file
  util::Digest block_sha256{};   // of response_header_bytes + body
  util::Digest payload_sha256{}; // of the body
  std::string truncated;         // "" or WARC-Truncated's reason: "length", "time", "disconnect"
  std::string error;             // empty when the exchange completed
  std::string error_kind;        // dns, connect, tls, timeout, deadline, disconnect, proxy, interrupted, other
  std::string remote_ip;
  long remote_port = 0;
  std::string local_ip;
  long local_port = 0;
  std::string redirect_url; // Location resolved against url, when the status is a redirect
  TlsDetails tls;
  std::vector<std::string> log; // curl's informational lines (connection, TLS handshake)
};

// A sequence of exchanges sharing one cookie jar (cookies set by a hop are sent on the next,
// as a browser does). Each hop opens its own connection, so each records its own peer
// address and TLS chain.
class HttpClient {
public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends GET `url`, writing the message body as received to `body_file` (created, 0600).
  // Network failures are returned in HopResult::error, never thrown; throws Error(io) when
  // body_file cannot be written and Error(internal) when curl cannot be set up.
  HopResult fetch(const std::string& url, const std::filesystem::path& body_file);

private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

// "libcurl/7.88.1 OpenSSL/3.0.x zlib/..." (curl_version()).
std::string curl_version_text();

// Seconds since the epoch of an HTTP date (IMF-fixdate and the obsolete forms), or nullopt.
std::optional<std::int64_t> parse_http_date(const std::string& text);

} // namespace cbkit::capture
