// libFuzzer target: the RFC 3161 response check (verify of a stored timestamp.tsr, the
// TSA's answer in capture-url/timestamp/seal --tsa). Never throws for bad input: the
// reason is in Verification::error.
#include "cbkit/tsa/rfc3161.hpp"
#include "fuzz_common.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string der(reinterpret_cast<const char*>(data), size);
  const std::string hash(64, 'a');
  cbkit::tsa::TokenInfo info;
  const auto v = cbkit::tsa::verify(der, hash, std::string("0102030405060708"), std::nullopt, "", &info);
  (void)v;
  (void)cbkit::tsa::verify(der, hash, std::nullopt, std::nullopt, cbkit::tsa::embedded_chain_pem(der), nullptr);
  return 0;
}
