// libFuzzer target: split_headers (the header-section splitter) and, on every field it
// finds, the GMime-backed RFC 2047 decoding and address parsing.
#include "cbkit/email/headers.hpp"
#include "cbkit/email/mime.hpp"
#include "fuzz_common.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view msg = cbkit_fuzz::as_view(data, size);
  // Small limits so the limit paths are reached with small inputs.
  cbkit::email::HeaderLimits small;
  small.max_fields = 8;
  small.max_field_bytes = 256;
  const cbkit::email::HeaderLimits* const variants[] = {nullptr, &small};
  for (const cbkit::email::HeaderLimits* limits : variants) {
    const cbkit::email::HeaderBlock b = limits != nullptr ? cbkit::email::split_headers(msg, *limits) : cbkit::email::split_headers(msg);
    // Invariants documented in headers.hpp.
    if (b.body_offset > msg.size()) std::abort();
    std::size_t last = 0;
    for (const auto& h : b.fields) {
      if (h.offset < last || h.offset + h.raw.size() > msg.size()) std::abort();
      if (msg.substr(h.offset, h.raw.size()) != h.raw) std::abort(); // raw is the file's bytes
      if (h.raw.size() < h.raw_value.size() + 1 || h.raw.compare(h.raw.size() - h.raw_value.size(), std::string::npos, h.raw_value) != 0)
        std::abort(); // raw_value is the tail of raw
      if (h.unfolded.find('\n') != std::string::npos || h.unfolded.find('\r') != std::string::npos) std::abort();
      last = h.offset;
    }
    if (limits != nullptr && b.fields.size() > limits->max_fields) std::abort();
  }
  const cbkit::email::HeaderBlock block = cbkit::email::split_headers(msg);
  std::size_t n = 0;
  for (const auto& h : block.fields) {
    if (++n > 64) break; // GMime is not the target; keep executions fast
    std::string bad;
    (void)cbkit::email::decode_header_value(h.unfolded, &bad);
    (void)cbkit_fuzz::dump_size(cbkit::email::parse_addresses(h.unfolded));
    (void)cbkit::email::first_address_domain(h.unfolded);
    (void)cbkit::email::iequals(h.name, "Received");
  }
  return 0;
}
