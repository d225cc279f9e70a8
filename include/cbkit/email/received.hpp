#pragma once

#include "cbkit/email/headers.hpp"
#include "cbkit/email/providers.hpp"
#include "cbkit/util/json.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::email {

// A date as an e-mail header writes it (RFC 5322 section 3.3, obsolete forms included).
struct MailDate {
  std::string as_written;         // trimmed text as in the header
  bool valid = false;             // parsed to an instant
  std::int64_t epoch_seconds = 0; // when valid
  int offset_minutes = 0;         // zone offset as written (+0100 -> 60); named zones mapped
  bool zone_unknown = false;      // "-0000" or an unknown zone name: UTC assumed (RFC 5322 4.3)
  std::string problem;            // why it is invalid, or a note on an obsolete form
};

// Parses "Fri, 20 Nov 2026 21:14:00 +0100" and obsolete variants (no day name, 2- or
// 3-digit years, named zones UT/GMT/EST/EDT/CST/CDT/MST/MDT/PST/PDT/Z, comments, extra
// white space). Never throws; returns valid=false with a problem for anything else.
MailDate parse_mail_date(std::string_view text);

// {"as_written":..,"utc":"2026-11-20T20:14:00Z"|null,"offset":"+01:00"|null,"valid":bool,
//  "problem": ".." (only when set)}
util::Json to_json(const MailDate& d);

// One Received header (RFC 5321 section 4.4), parsed leniently.
struct Hop {
  std::size_t header_index = 0; // index in HeaderBlock::fields
  std::string from;             // the "from" clause's host as the sender claimed (HELO/EHLO)
  std::string from_tcp_host;    // host name from the TCP-info comment, e.g. "(mail.x.org [1.2.3.4])"
  std::string from_ip;          // IP from the TCP-info comment only (IPv4 or IPv6, "IPv6:" prefix stripped)
  std::string by;
  std::string via;
  std::string with; // protocol: SMTP, ESMTP, ESMTPS, ESMTPSA, LMTP, HTTP, ...
  std::string id;
  std::string for_;                          // the "for" address
  std::string tls;                           // TLS hints: "ESMTPS", a "version=TLS1.3 cipher=..." comment, ...
  MailDate date;                             // the part after the last ';'
  std::optional<std::int64_t> delay_seconds; // this hop's date minus the previous (older) hop's
  std::vector<std::string> problems;         // e.g. "no date", "unparsable"
};

// Parses one Received value (unfolded).
Hop parse_received(std::string_view unfolded);

// Every Received field of the block, oldest hop first (the reverse of header order), with
// delays between consecutive valid dates.
std::vector<Hop> received_chain(const HeaderBlock& block);

// {"header_index":..,"from":..,"from_tcp_host":..,"from_ip":..,"by":..,"via":..,"with":..,
//  "id":..,"for":..,"tls":..,"date":{MailDate},"delay_seconds":int|null,"problems":[..]}
// (empty strings are written as null)
util::Json to_json(const Hop& h);

// Fields in which a webmail or submission server records the sender's own IP address,
// in order of preference for likely_originating_ip().
inline constexpr std::array<const char*, 8> k_client_ip_headers{"X-Originating-IP",
                                                                "X-Sender-IP",
                                                                "X-Client-IP",
                                                                "X-Real-IP",
                                                                "X-Forwarded-For",
                                                                "X-MS-Exchange-Organization-OriginalClientIPAddress",
                                                                "X-Originating-Client-IP",
                                                                "X-Yahoo-Post-IP"};

// The client IP the message most likely came from, and why it was chosen.
struct OriginatingIp {
  std::string ip;
  std::string reason; // e.g. "X-Originating-IP header", "oldest Received hop with a public IP in its TCP-info"
  std::string source; // the header name it came from
};

// The sender's client IP when the message discloses it: origin_of(block, chain).client
// (see there). Never the address of a known provider's relay.
std::optional<OriginatingIp> likely_originating_ip(const HeaderBlock& block, const std::vector<Hop>& chain);

// Stable codes of the rule behind an origin conclusion (headers.json summary.origin.rule).
inline constexpr std::string_view k_rule_client_ip_header = "client-ip-header";
inline constexpr std::string_view k_rule_client_ip_header_private = "client-ip-header-private";
inline constexpr std::string_view k_rule_first_public_hop = "first-public-hop";
inline constexpr std::string_view k_rule_provider_relay = "provider-relay";
inline constexpr std::string_view k_rule_provider_submission = "provider-submission-hop";
inline constexpr std::string_view k_rule_unconfirmed_relay = "unconfirmed-relay";
inline constexpr std::string_view k_rule_no_origin = "no-origin";

// An identifier of the message in a provider's own records (its queue id on a Received or
// X-Received line, or an id header it writes).
struct ProviderIdentifier {
  std::string kind;                          // "queue-id" or "header"
  std::string value;                         // the id as written
  std::string header;                        // the field it is in: "Received", "X-Received", ...
  std::size_t header_index = 0;              // index in HeaderBlock::fields
  std::optional<std::size_t> received_index; // index in the chain (0 = oldest) for Received lines
  std::string by;                            // the provider's server that wrote it (queue ids)
  MailDate date;                             // that line's date (queue ids)
};

// What the headers say about where a message came from, with the rule and the evidence.
struct Origin {
  std::string rule;                                 // one of the k_rule_* codes
  std::optional<OriginatingIp> client;              // the sender's client IP, only when the message discloses it
  std::size_t client_header_index = 0;              // the field the client IP was read from (header or Received)
  std::optional<std::size_t> client_received_index; // the hop, when read from a Received line

  const RelayProvider* provider = nullptr;         // the relay's provider (provider-relay; also with a client-IP header)
  std::optional<std::size_t> relay_received_index; // the hop on which the provider's relay handed the message on
  std::string relay_ip;                            // that relay's address as the receiving server saw it
  std::string relay_matched_on;                    // "reverse-dns", "helo" or "helo-unconfirmed"
  std::string relay_matched_name;                  // the name that matched the table
  std::vector<ProviderIdentifier> identifiers;     // the provider's ids of the message, oldest first

  std::vector<std::string> cannot_know; // what the headers cannot tell, in plain sentences
};

// Decides the origin, in this order:
//  1. a client-IP header (k_client_ip_headers) with a public address: client-ip-header;
//  2. the oldest Received hop whose TCP-info holds a public address: when the host that
//     connected is a known provider's relay (providers.hpp: its reverse-DNS name, else its
//     HELO name on a line the same provider wrote), provider-relay: no client IP, the
//     provider and its identifiers instead; but provider-submission-hop when a line that
//     provider wrote names the user's public address as "from [a.b.c.d]" (old webmail "via
//     HTTP"); unconfirmed-relay when only an unconfirmed HELO name is the provider's (no
//     client IP either); otherwise first-public-hop, that address. A provider relay newer
//     than the oldest public hop counts when that provider never recorded receiving the
//     message from outside (then the older lines came with the submitted message);
//  3. a client-IP header with a non-public address: client-ip-header-private;
//  4. no-origin.
// A provider relay behind a client-IP header is reported too. Never throws.
Origin origin_of(const HeaderBlock& block, const std::vector<Hop>& chain);

// summary.origin of headers.json (cbkit-headers(5)): {"rule","conclusion","client_ip":{..}|null,
// "provider":{..}|null,"identifiers":{..},"evidence":[..],"cannot_know":[..]}. `message_id` is
// the decoded Message-ID (may be empty).
util::Json to_json(const Origin& o, const std::vector<Hop>& chain, const std::string& message_id);

// One Authentication-Results header (RFC 8601).
struct AuthMethod {
  std::string method; // spf, dkim, dmarc, arc, auth, iprev, ...
  std::string result; // pass, fail, softfail, neutral, none, temperror, permerror, policy, ...
  std::string reason;
  std::vector<std::pair<std::string, std::string>> properties; // "smtp.mailfrom" -> "x@y", "header.d" -> ..
};
struct AuthResults {
  std::size_t header_index = 0;
  std::string authserv_id;
  std::vector<AuthMethod> methods;
  std::vector<std::string> problems;
};

// Parses an Authentication-Results value (unfolded); comments are skipped. Never throws.
AuthResults parse_authentication_results(std::string_view unfolded);

// {"header_index":..,"authserv_id":..,"methods":[{"method":..,"result":..,"reason":..|null,
//  "properties":{"smtp.mailfrom":"..", ...}}],"problems":[..]}
util::Json to_json(const AuthResults& a);

} // namespace cbkit::email
