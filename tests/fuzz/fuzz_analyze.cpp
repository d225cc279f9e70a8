// libFuzzer target: analyze_message on the input (no MIME walk: that is GMime's and
// writes files), with the test DKIM keys: every rule of the analysis, and the JSON the
// manifest line is built from, which must serialize even with strict UTF-8 checking
// (the manifest writer does not replace invalid UTF-8).
#include "cbkit/email/analyze.hpp"
#include "fuzz_common.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cbkit::email;
  const std::string_view in = cbkit_fuzz::as_view(data, size);
  static const std::vector<DkimKey> keys = cbkit_fuzz::test_keys();
  const HeaderBlock block = split_headers(in);
  const MimeReport mime;
  const Analysis a = analyze_message(in, std::string(64, '0'), block, mime, keys, cbkit_fuzz::k_now);
  (void)cbkit_fuzz::dump_size(a.headers_json);
  // The summary goes into manifest.jsonl; it must be valid UTF-8 as it is.
  try {
    (void)a.summary.dump();
  } catch (const cbkit::manifest::Json::type_error&) {
    std::abort(); // invalid UTF-8 reached the manifest summary
  }
  return 0;
}
