// Shared helpers for the libFuzzer targets (tests/fuzz/README in CMakeLists.txt).
#pragma once

#include "cbkit/email/dkim.hpp"
#include "cbkit/email/headers.hpp"
#include "cbkit/manifest/line.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit_fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Serializes like cbkit does for headers.json (invalid UTF-8 replaced), so the JSON
// conversion of every parsed value is exercised too.
inline std::size_t dump_size(const cbkit::manifest::Json& j) {
  return j.dump(-1, ' ', false, cbkit::manifest::Json::error_handler_t::replace).size();
}

// The dkimpy test key (test._domainkey.example.com, shared/corpora/dkim-dkimpy/test.txt):
// with it, a fuzzed message signed d=example.com s=test reaches the RSA verification.
inline std::vector<cbkit::email::DkimKey> test_keys() {
  cbkit::email::DkimKey k;
  k.domain = "example.com";
  k.selector = "test";
  k.text = "v=DKIM1; g=*; k=rsa; "
           "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3Fu"
           "tACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";
  k.origin = "fuzz test key";
  cbkit::email::DkimKey e;
  e.domain = "football.example.com";
  e.selector = "brisbane";
  e.text = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  e.origin = "fuzz test key (RFC 8463)";
  return {k, e};
}

// A fixed "now" so that runs are reproducible (2026-11-20T20:14:00Z).
inline constexpr std::int64_t k_now = 1795205640;

} // namespace cbkit_fuzz
