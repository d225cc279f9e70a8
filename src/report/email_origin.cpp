#include "email_origin.hpp"

#include "cbkit/util/json.hpp"

namespace cbkit::report {

using manifest::Json;
using util::member;
using util::string_field;

LegacyRelay legacy_relay(const ModelEntry& e, const std::string& ip) {
  LegacyRelay r;
  static const Json none;
  const Json& hops = member(e.derived ? *e.derived : none, "received");
  for (std::size_t i = 0; i < hops.size() && !ip.empty(); ++i) {
    const Json& h = hops[i];
    if (string_field(h, "from_ip") != ip) continue;
    const email::RelayProvider* p = email::provider_of_host(string_field(h, "from_tcp_host"));
    if (p == nullptr) p = email::provider_of_host(string_field(h, "from"));
    if (p == nullptr) break;
    r.provider = p;
    r.handoff = string_field(member(h, "date"), "utc");
    for (std::size_t j = 0; j <= i && p->received_ids; ++j) {
      const std::string by = string_field(hops[j], "by");
      if (email::provider_of_host(by.substr(0, by.find(' '))) == p && !string_field(hops[j], "id").empty())
        r.queue_id = string_field(hops[j], "id");
    }
    break;
  }
  return r;
}

std::string email_client_ip(const ModelEntry& e) {
  static const Json none;
  const Json& s = e.derived ? member(*e.derived, "summary") : none;
  if (const Json& origin = member(s, "origin"); origin.is_object()) return string_field(member(origin, "client_ip"), "ip");
  const Json& o = member(s, "originating_ip");
  const std::string ip = o.is_object() ? string_field(o, "ip") : string_field(member(e.line, "email"), "originating_ip");
  return legacy_relay(e, ip).provider != nullptr ? std::string() : ip;
}

} // namespace cbkit::report
