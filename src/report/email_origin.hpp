#pragma once

// Private to report/: the sender's client IP of an e-mail entry, read from headers.json the
// same way by the complaint report and the identification annex: summary.origin when the
// headers.json has it, else (older headers.json) its originating IP checked against the table
// of provider relays through the Received hop it was read from. Never a relay's address.

#include "cbkit/email/providers.hpp"
#include "cbkit/report/model.hpp"

#include <string>

namespace cbkit::report {

// For headers.json written before summary.origin: the provider when `ip` was read from a
// Received hop whose connecting host is a known provider's relay, with its queue id (on its
// own lines up to that hop) and the hop's date.
struct LegacyRelay {
  const email::RelayProvider* provider = nullptr;
  std::string queue_id;
  std::string handoff; // the hop's UTC date
};
LegacyRelay legacy_relay(const ModelEntry& e, const std::string& ip);

// The sender's client IP of an e-mail entry, or "" when the message discloses none.
std::string email_client_ip(const ModelEntry& e);

} // namespace cbkit::report
