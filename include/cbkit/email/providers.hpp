#pragma once

#include <span>
#include <string_view>

namespace cbkit::email {

// A mail provider whose outgoing relays hand a user's message to other servers without
// writing the user's own IP address into it (webmail and the big mailbox providers). The
// table (providers.cpp) is data: one row per provider, with how it is recognised.
struct RelayProvider {
  std::string_view key;        // stable code written to headers.json: "google", "microsoft", ...
  std::string_view name;       // the provider as people know it: "Google (Gmail / Google Workspace)"
  std::string_view suffixes;   // host-name suffixes of its servers, separated by spaces; a suffix
                               // matches the whole name or a name ending in "." + suffix
  std::string_view id_headers; // header fields (besides Received) this provider writes with its own
                               // identifiers of the message, separated by spaces; may be empty
  bool received_ids = true;    // the "id" clause of its Received lines is its queue id (Exchange
                               // writes its build number there instead)
};

// Every row of the table, in a fixed order.
std::span<const RelayProvider> relay_providers();

// The provider whose servers carry this host name (ASCII case-insensitive, a trailing dot
// ignored), or nullptr. Only a name is recognised: never an IP address.
const RelayProvider* provider_of_host(std::string_view host);

} // namespace cbkit::email
