// libFuzzer target: the WARC reader verify uses on stored captures (gzip members, record
// framing, header fields, block and payload digests). The input is fed in uneven pieces,
// as a file read in chunks would be; the reader must frame or refuse it without crashing.
#include "cbkit/capture/warc.hpp"
#include "fuzz_common.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::size_t seen = 0;
  cbkit::capture::WarcReader reader(
      [&](const cbkit::capture::WarcRecordInfo& r) {
        if (r.index != seen) std::abort();
        ++seen;
        (void)r.field("WARC-Type");
      },
      4096);
  const char* p = reinterpret_cast<const char*>(data);
  std::size_t at = 0;
  std::size_t piece = 1;
  while (at < size) {
    const std::size_t n = std::min(piece, size - at);
    reader.update(p + at, n);
    at += n;
    piece = piece * 3 + 1;
  }
  reader.finish();
  if (reader.records() != seen) std::abort();
  return 0;
}
