// libFuzzer target: parse_dkim_signature (the tag=value parser) on the input as one
// value, and verify_dkim on the input as a message, with no keys and with the dkimpy
// test keys (so the canonicalization, body hash and signature paths are reached).
#include "cbkit/email/dkim.hpp"
#include "fuzz_common.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cbkit::email;
  const std::string_view in = cbkit_fuzz::as_view(data, size);
  const DkimSignature sig = parse_dkim_signature(in);
  (void)sig;

  static const std::vector<DkimKey> keys = cbkit_fuzz::test_keys();
  const HeaderBlock block = split_headers(in);
  for (const auto* k : {static_cast<const std::vector<DkimKey>*>(nullptr), &keys}) {
    const std::vector<DkimResult> results = verify_dkim(in, block, k != nullptr ? *k : std::vector<DkimKey>{}, cbkit_fuzz::k_now);
    for (const DkimResult& r : results) {
      // With no key a signature is never reported as failed (issue 3).
      if (k == nullptr && r.signature_result == "fail") std::abort();
      if (r.body_hash != "pass" && r.body_hash != "fail" && r.body_hash != "not-checked") std::abort();
      (void)cbkit_fuzz::dump_size(to_json(r));
    }
  }
  return 0;
}
