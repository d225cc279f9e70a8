#include "cbkit/email/analyze.hpp"

#include "cbkit/email/received.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <algorithm>
#include <map>

namespace cbkit::email {

using util::Json;

namespace {

// RFC 5322 section 3.6: fields that may appear at most once.
constexpr const char* k_single_instance[] = {"Date", "From",       "Sender",      "Reply-To",   "To",     "Cc",
                                             "Bcc",  "Message-ID", "In-Reply-To", "References", "Subject"};

constexpr const char* k_address_headers[] = {"From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Return-Path", "Delivered-To"};

// Listed with the client-IP fields in the summary, but they record a relaying server's
// address, so likely_originating_ip() does not choose from them.
constexpr const char* k_server_ip_headers[] = {"X-AOL-IP", "X-Source-IP", "X-Mailgun-Sending-Ip"};

// True when `name` is one of `names` (ASCII case-insensitive, as header names compare).
template <typename Names> bool is_one_of(std::string_view name, const Names& names) {
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return iequals(name, n); });
}

// The last instance wins nowhere: for evidence, the first instance is reported and the
// duplicates are anomalies.
const RawHeader* first(const HeaderBlock& b, std::string_view name) {
  for (const auto& h : b.fields) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

Json text_or_null(const std::string& s) { return s.empty() ? Json() : Json(s); }

class Anomalies {
public:
  void add(const std::string& code, const std::string& message) {
    if (m_list.size() >= 500) return;
    m_list.push_back(Json{{"code", code}, {"message", util::utf8_lossy(message)}});
    if (std::find(m_codes.begin(), m_codes.end(), code) == m_codes.end()) m_codes.push_back(code);
  }
  const Json& list() const { return m_list; }
  Json codes() const { return Json(m_codes); }

private:
  Json m_list = Json::array();
  std::vector<std::string> m_codes;
};

std::string duration_text(std::int64_t seconds) {
  const std::int64_t a = seconds < 0 ? -seconds : seconds;
  std::string s;
  if (a >= 86400) s = std::to_string(a / 86400) + " d ";
  if (a >= 3600) s += std::to_string(a / 3600 % 24) + " h ";
  s += std::to_string(a / 60 % 60) + " min " + std::to_string(a % 60) + " s";
  return s;
}

} // namespace

Analysis analyze_message(std::string_view message, const std::string& sha256, const HeaderBlock& block, const MimeReport& mime,
                         const std::vector<DkimKey>& keys, std::int64_t now) {
  Anomalies anomalies;
  Json out = Json::object();
  out["format"] = 1;
  out["message"] = Json{{"sha256", sha256}, {"size", message.size()}, {"line_endings", block.crlf ? "CRLF" : "LF"}};

  // A message starts with a header field (or an mbox "From " line right before one).
  const bool starts_with_field =
      !block.fields.empty() && (block.fields[0].offset == 0 || (!block.defects.empty() && block.defects[0].code == "mbox-from-line" &&
                                                                block.defects[0].line == 1 && block.fields[0].line == 2));
  if (message.empty()) {
    anomalies.add("empty-message", "the file is empty: there is no message to analyse");
  } else if (!starts_with_field) {
    anomalies.add("not-an-email", "the file does not start with a header field: this does not look like an e-mail");
  }

  // Every header in original order.
  Json headers = Json::array();
  std::string bad_charset;
  for (std::size_t i = 0; i < block.fields.size(); ++i) {
    const RawHeader& h = block.fields[i];
    Json o = Json::object();
    o["index"] = i;
    o["name"] = util::utf8_lossy(h.name);
    o["line"] = h.line;
    o["offset"] = h.offset;
    o["raw"] = util::utf8_lossy(h.raw_value);
    if (!util::is_valid_utf8(h.raw_value)) o["raw_base64"] = util::base64(h.raw_value);
    o["unfolded"] = util::utf8_lossy(h.unfolded);
    std::string bad;
    o["decoded"] = decode_header_value(h.unfolded, &bad);
    if (!bad.empty() && bad_charset.empty()) bad_charset = bad;
    if (is_one_of(h.name, k_address_headers)) o["addresses"] = parse_addresses(h.unfolded);
    headers.push_back(std::move(o));
  }
  if (!bad_charset.empty())
    anomalies.add("undecodable-charset", "an encoded header word uses charset \"" + bad_charset + "\", which cannot be converted");
  for (const auto& cs : mime.undecodable_charsets) {
    anomalies.add("undecodable-charset", "a text part declares charset \"" + cs + "\", which cannot be converted");
  }

  // Summary fields.
  auto decoded = [&](const char* name) -> std::string {
    const RawHeader* h = first(block, name);
    return h != nullptr ? decode_header_value(h->unfolded) : std::string();
  };
  auto addresses = [&](const char* name) -> Json {
    const RawHeader* h = first(block, name);
    return h != nullptr ? parse_addresses(h->unfolded) : Json::array();
  };
  const RawHeader* date_h = first(block, "Date");
  const MailDate date = date_h != nullptr ? parse_mail_date(date_h->unfolded) : MailDate{};
  const std::vector<Hop> chain = received_chain(block);
  const Origin origin_full = origin_of(block, chain);
  const std::optional<OriginatingIp>& origin = origin_full.client;

  Json summary = Json::object();
  summary["message_id"] = text_or_null(decoded("Message-ID"));
  summary["date"] = date_h != nullptr ? to_json(date) : Json();
  summary["subject"] = first(block, "Subject") != nullptr ? Json(decoded("Subject")) : Json();
  for (const auto& [key, name] : {std::pair{"from", "From"},
                                  {"sender", "Sender"},
                                  {"reply_to", "Reply-To"},
                                  {"return_path", "Return-Path"},
                                  {"to", "To"},
                                  {"cc", "Cc"}}) {
    summary[key] = addresses(name);
  }
  Json client_ips = Json::array();
  for (const auto& h : block.fields) {
    if (is_one_of(h.name, k_client_ip_headers) || is_one_of(h.name, k_server_ip_headers)) {
      client_ips.push_back(Json{{"name", util::utf8_lossy(h.name)}, {"value", util::utf8_lossy(h.unfolded)}});
    }
  }
  summary["client_ip_headers"] = client_ips;
  // Only ever the sender's client (never a provider's relay); summary.origin says why, or why none.
  summary["originating_ip"] =
      origin ? Json{{"ip", origin->ip}, {"reason", origin->reason}, {"source", origin->source}, {"rule", origin_full.rule}} : Json();
  summary["origin"] = to_json(origin_full, chain, decoded("Message-ID"));
  summary["attachment_count"] = mime.attachment_count;

  // Missing and duplicated fields.
  if (!message.empty() && !block.fields.empty()) {
    if (date_h == nullptr) anomalies.add("missing-date", "the message has no Date header");
    if (first(block, "Message-ID") == nullptr) anomalies.add("missing-message-id", "the message has no Message-ID header");
    if (first(block, "From") == nullptr) anomalies.add("missing-from", "the message has no From header");
  }
  for (const char* name : k_single_instance) {
    const auto n = std::count_if(block.fields.begin(), block.fields.end(), [&](const RawHeader& h) { return iequals(h.name, name); });
    if (n > 1) anomalies.add("duplicate-header", std::string(name) + " appears " + std::to_string(n) + " times; RFC 5322 allows it once");
  }

  // Time anomalies.
  if (date_h != nullptr && !date.valid)
    anomalies.add("date-unparsable", "the Date header \"" + date.as_written + "\" is not a valid date: " + date.problem);
  if (date.valid && date.epoch_seconds > now + k_future_tolerance_seconds) {
    anomalies.add("date-in-future", "the Date header is " + duration_text(date.epoch_seconds - now) + " after the time of ingestion");
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const Hop& hop = chain[i];
    if (hop.delay_seconds && *hop.delay_seconds < 0) {
      anomalies.add("received-time-travel", "hop " + std::to_string(i + 1) + " (by " + hop.by + ") is dated " +
                                                duration_text(*hop.delay_seconds) + " before the hop that handed the message to it");
    }
    if (hop.date.valid && hop.date.epoch_seconds > now + k_future_tolerance_seconds) {
      anomalies.add("received-date-in-future", "hop " + std::to_string(i + 1) + " is dated " + duration_text(hop.date.epoch_seconds - now) +
                                                   " after the time of ingestion");
    }
  }
  const auto first_hop = std::find_if(chain.begin(), chain.end(), [](const Hop& h) { return h.date.valid; });
  if (date.valid && first_hop != chain.end()) {
    const std::int64_t d = first_hop->date.epoch_seconds - date.epoch_seconds;
    if (d > k_date_vs_first_hop_seconds || d < -k_date_vs_first_hop_seconds) {
      anomalies.add("date-far-from-first-hop", "the Date header is " + duration_text(d) + (d > 0 ? " before" : " after") +
                                                   " the first Received hop (more than 2 hours apart)");
    }
  }

  // Domain mismatches.
  const RawHeader* from_h = first(block, "From");
  const std::string from_domain = from_h != nullptr ? first_address_domain(from_h->unfolded) : "";
  for (const auto& [name, code] :
       {std::pair{"Return-Path", "from-return-path-domain-mismatch"}, {"Reply-To", "from-reply-to-domain-mismatch"}}) {
    const RawHeader* h = first(block, name);
    if (h == nullptr || from_domain.empty()) continue;
    const std::string other = first_address_domain(h->unfolded);
    if (!other.empty() && other != from_domain) {
      anomalies.add(code, std::string("the From domain \"") + from_domain + "\" differs from the " + name + " domain \"" + other + "\"");
    }
  }

  // Authentication-Results and DKIM.
  Json auth = Json::array();
  for (std::size_t i = 0; i < block.fields.size(); ++i) {
    if (!iequals(block.fields[i].name, "Authentication-Results")) continue;
    AuthResults a = parse_authentication_results(block.fields[i].unfolded);
    a.header_index = i;
    auth.push_back(to_json(a));
  }
  // DKIM is judged at the delivery time: the date of the topmost Received line, written by the
  // recipient's own server. A signature that held then is not an anomaly when its x= has passed
  // since; without a usable delivery date (none, unparsable, or later than now) the check time
  // is now and an expiry is not called an anomaly, since whether it held at delivery is unknown.
  std::optional<std::int64_t> delivered_at;
  std::optional<std::size_t> delivery_index;
  if (!chain.empty() && chain.back().date.valid && chain.back().date.epoch_seconds <= now + k_future_tolerance_seconds) {
    delivered_at = chain.back().date.epoch_seconds;
    delivery_index = chain.size() - 1;
  }
  Json dkim = Json::array();
  Json dkim_summary = Json::array();
  for (const DkimResult& r : verify_dkim(message, block, keys, delivered_at.value_or(now))) {
    DkimTime when = dkim_time(r.signature, delivered_at, now, k_future_tolerance_seconds);
    if (delivery_index) {
      when.delivery_received_index = delivery_index;
      when.delivery_header_index = chain[*delivery_index].header_index;
    }
    Json dj = to_json(r);
    dj["time"] = to_json(when);
    dkim.push_back(std::move(dj));
    dkim_summary.push_back(Json{{"domain", text_or_null(util::utf8_lossy(r.signature.domain))},
                                {"selector", text_or_null(util::utf8_lossy(r.signature.selector))},
                                {"body_hash", r.body_hash},
                                {"signature", r.signature_result}});
    const std::string who = "DKIM signature of " + (r.signature.domain.empty() ? std::string("?") : util::utf8_lossy(r.signature.domain));
    if (r.body_hash == "fail")
      anomalies.add("dkim-body-hash-fail", who + ": the body does not match the signed body hash (changed after signing)");
    if (r.signature_result == "fail")
      anomalies.add("dkim-signature-fail", who + ": the signature does not verify (signed headers changed, or wrong key)");
    if (r.signature_result == "expired" && delivered_at)
      anomalies.add("dkim-expired",
                    who + ": the signature had already expired (x=) when the message was delivered (topmost Received date)");
    if (when.signed_after_delivery.value_or(false))
      anomalies.add("dkim-signed-after-delivery", who + ": the signing time t= is " +
                                                      duration_text(*r.signature.timestamp - *delivered_at) +
                                                      " after the message was delivered (topmost Received date)");
  }

  // Structure problems.
  for (const auto& d : block.defects)
    anomalies.add(d.code, d.message + " (line " + std::to_string(d.line) + ")");
  for (const auto& d : mime.defects)
    anomalies.add(d.code, d.message + (d.offset >= 0 ? " (offset " + std::to_string(d.offset) + ")" : ""));

  Json hops = Json::array();
  for (const Hop& h : chain)
    hops.push_back(to_json(h));
  Json mime_json = Json::object();
  mime_json["parsed"] = mime.parsed;
  mime_json["structure"] = mime.structure;
  Json defects = Json::array();
  for (const auto& d : mime.defects)
    defects.push_back(Json{{"code", d.code}, {"message", d.message}, {"offset", d.offset}});
  mime_json["defects"] = defects;

  out["summary"] = summary;
  out["anomalies"] = anomalies.list();
  out["received"] = hops;
  out["authentication_results"] = auth;
  out["dkim"] = dkim;
  out["mime"] = mime_json;
  out["headers"] = headers;

  Analysis a;
  a.headers_json = std::move(out);
  Json s = Json::object();
  s["message_id"] = summary["message_id"];
  s["date"] = date_h != nullptr ? Json(util::utf8_lossy(date.as_written)) : Json();
  s["date_utc"] = date.valid ? Json(util::format_utc(date.epoch_seconds, 0).substr(0, 19) + "Z") : Json();
  Json from_list = Json::array();
  for (const auto& x : summary["from"])
    from_list.push_back(x["address"]);
  Json to_list = Json::array();
  for (const auto& x : summary["to"])
    to_list.push_back(x["address"]);
  s["from"] = from_list;
  s["to"] = to_list;
  s["subject"] = summary["subject"];
  s["originating_ip"] = origin ? Json(origin->ip) : Json();
  s["attachment_count"] = mime.attachment_count;
  s["dkim"] = dkim_summary;
  s["anomalies"] = anomalies.codes();
  a.summary = std::move(s);
  return a;
}

} // namespace cbkit::email
