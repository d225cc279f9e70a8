// libFuzzer target: parse_received, parse_mail_date, parse_authentication_results,
// received_chain, likely_originating_ip and origin_of. The input is used both as one header value
// and as a whole message (whose Received / Date / Authentication-Results fields are
// parsed the way analyze_message does).
#include "cbkit/email/received.hpp"
#include "fuzz_common.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cbkit::email;
  const std::string_view in = cbkit_fuzz::as_view(data, size);

  // The input as one value.
  const Hop hop = parse_received(in);
  (void)cbkit_fuzz::dump_size(to_json(hop));
  const MailDate d = parse_mail_date(in);
  if (d.valid && (d.offset_minutes <= -24 * 60 || d.offset_minutes >= 24 * 60)) std::abort();
  (void)cbkit_fuzz::dump_size(to_json(d));
  (void)cbkit_fuzz::dump_size(to_json(parse_authentication_results(in)));

  // The input as a message.
  const HeaderBlock block = split_headers(in);
  for (const auto& h : block.fields) {
    if (iequals(h.name, "Date")) (void)cbkit_fuzz::dump_size(to_json(parse_mail_date(h.unfolded)));
    if (iequals(h.name, "Authentication-Results")) (void)cbkit_fuzz::dump_size(to_json(parse_authentication_results(h.unfolded)));
  }
  const std::vector<Hop> chain = received_chain(block);
  for (const Hop& h : chain) {
    if (h.header_index >= block.fields.size()) std::abort();
    (void)cbkit_fuzz::dump_size(to_json(h));
  }
  (void)likely_originating_ip(block, chain);
  const Origin origin = origin_of(block, chain);
  if (origin.rule == k_rule_provider_relay && origin.client) std::abort(); // a relay is never the origin
  (void)cbkit_fuzz::dump_size(to_json(origin, chain, "<id@example>"));
  return 0;
}
