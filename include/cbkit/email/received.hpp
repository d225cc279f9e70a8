#pragma once

#include "cbkit/email/headers.hpp"
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

// Looks at client-IP headers (X-Originating-IP, X-Sender-IP, X-Client-IP, X-Real-IP,
// X-Forwarded-For first entry, X-MS-Exchange-Organization-OriginalClientIPAddress ...) and
// at the oldest Received hop whose TCP-info holds a public (not private/loopback/link-local)
// IP. Prefers an explicit client-IP header, else the oldest public hop IP.
std::optional<OriginatingIp> likely_originating_ip(const HeaderBlock& block, const std::vector<Hop>& chain);

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
