#include "cbkit/email/providers.hpp"

#include "cbkit/util/text.hpp"

#include <array>

namespace cbkit::email {

namespace {

// The relays of the providers whose users a victim is most likely to receive mail from (the
// large webmail services and the Belgian consumer access providers). A row is recognised by
// the host name of the server that handed the message on, as the receiving server recorded
// it in its Received line: the reverse-DNS name in the TCP-info comment
// ("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])") or, when the
// receiving server wrote none, the name the relay gave in HELO/EHLO (the "from" word). The
// same suffixes recognise the provider's own Received lines ("by ...") that carry its queue
// id. Names, not address ranges: ranges change without notice and cannot be checked against
// the message, while the name is in the evidence for anyone to read.
//
// A suffix matches on a label boundary, so "google.com" matches "mail-sor-f41.google.com"
// but not "bc.googleusercontent.com" (Google Cloud customers' own machines, which are not
// Gmail relays and whose address may well be the sender's). For the same reason an access
// provider's row lists only its mail servers' names, never its whole domain: its customers'
// own connections are named under that domain too (d54c1234.access.telenet.be is a home
// connection, the sender's client, not a relay).
constexpr std::array<RelayProvider, 8> k_providers{{
    // Gmail and Google Workspace hand mail to other servers from mail-<x>.google.com (older
    // messages: <x>.proxy.gmail.com / zproxy.gmail.com)
    // (mail-sor-f41, mail-wr1-f54, ...) and receive at mx.google.com; the user's IP is never
    // written (the submission is recorded only as "Received: by mail-<x>.google.com with SMTP
    // id ..." or in X-Received lines "by 2002:a05:...", which carry Google's ids).
    // X-Google-Smtp-Source is Google's identifier of the submission.
    {"google", "Google (Gmail / Google Workspace)", "google.com googlemail.com gmail.com", "X-Received X-Google-Smtp-Source"},
    // Outlook.com, Hotmail and Microsoft 365 send from *.outbound.protection.outlook.com
    // (EUR05-AM6-obe.outbound.protection.outlook.com) and pass messages between
    // *.prod.outlook.com / *.protection.outlook.com / *.outlook.office365.com hosts; older Hotmail hosts were
    // *.hotmail.com and *.phx.gbl. The Network Message ID is what Microsoft's message trace
    // searches for. Exchange writes its build number ("with mapi id 15.20.7677.030") where
    // other servers write a queue id, so its Received ids are not quoted.
    {"microsoft", "Microsoft (Outlook.com / Hotmail / Microsoft 365)", "outlook.com office365.com hotmail.com phx.gbl",
     "X-MS-Exchange-Organization-Network-Message-Id X-MS-Exchange-CrossTenant-Network-Message-Id", false},
    // Yahoo Mail and AOL Mail (one platform) send from sonic*.consmr.mail.<dc>.yahoo.com and
    // older *.mail.yahoo.com / *.mail.aol.com hosts (not all of aol.com: *.ipt.aol.com were
    // AOL's dial-up customers).
    {"yahoo", "Yahoo / AOL", "yahoo.com mail.aol.com", ""},
    // iCloud Mail sends from *.mail.icloud.com and, for @me.com / @mac.com addresses and older
    // messages, from *.me.com hosts.
    {"apple", "Apple (iCloud Mail)", "icloud.com me.com mac.com", ""},
    // GMX and WEB.DE (both 1&1 Mail & Media) send from mout.gmx.net / mout.web.de and accept
    // from users at mail.gmx.net / smtp.web.de. Their submission hop usually records the
    // user's address; when it does, that hop (not this row) gives the client IP.
    {"gmx", "GMX / WEB.DE", "gmx.net gmx.com gmx.de web.de", ""},
    // Proton Mail sends from mail-<n>.protonmail.ch.
    {"proton", "Proton Mail", "protonmail.ch protonmail.com proton.me", ""},
    // Telenet's mail servers are named <first name>.telenet-ops.be (e.g. andre.telenet-ops.be);
    // telenet.be itself is not listed: its customers' connections are *.access.telenet.be.
    {"telenet", "Telenet", "telenet-ops.be", ""},
    // Proximus consumer mail (@skynet.be, @proximus.be) is sent through relay.proximus.be,
    // formerly relay.skynet.be (the outgoing server Proximus names for private customers); not
    // the whole domains, under which its customers' connections are named too.
    {"proximus", "Proximus / Skynet", "relay.proximus.be relay.skynet.be", ""},
}};

bool ends_with_label(std::string_view host, std::string_view suffix) {
  if (host.size() < suffix.size()) return false;
  if (!util::iequals(host.substr(host.size() - suffix.size()), suffix)) return false;
  return host.size() == suffix.size() || host[host.size() - suffix.size() - 1] == '.';
}

} // namespace

std::span<const RelayProvider> relay_providers() { return k_providers; }

const RelayProvider* provider_of_host(std::string_view host) {
  host = util::trim(host);
  while (!host.empty() && host.back() == '.')
    host.remove_suffix(1);
  if (host.empty() || host.find('.') == std::string_view::npos) return nullptr;
  for (const RelayProvider& p : k_providers) {
    std::string_view rest = p.suffixes;
    while (!rest.empty()) {
      const std::size_t sp = rest.find(' ');
      const std::string_view suffix = rest.substr(0, sp);
      if (!suffix.empty() && ends_with_label(host, suffix)) return &p;
      rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    }
  }
  return nullptr;
}

} // namespace cbkit::email
