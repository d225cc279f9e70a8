// messages.json (cbkit-messages.json(5)): written by hand around nlohmann's dump so that a
// conversation of 200 000 messages is never one JSON tree in memory, and so that the layout
// (one message per line) stays readable with grep and a pager.

#include "cbkit/chat/messages_json.hpp"

#include "cbkit/util/json.hpp"

#include <map>

namespace cbkit::chat {

namespace {

using util::Json;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json strings(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const auto& s : v)
    a.push_back(s);
  return a;
}

Json flags_of(const Message& m) {
  Json a = Json::array();
  if (m.system) a.push_back("system");
  if (m.deleted) a.push_back("deleted");
  if (m.edited) a.push_back("edited");
  if (m.forwarded) a.push_back("forwarded");
  if (m.media_omitted) a.push_back("media-omitted");
  if (m.continuation) a.push_back("continuation");
  return a;
}

Json message_json(const Message& m, const std::map<std::string, const StoredExportFile*>& by_rel) {
  Json o = Json::object();
  o["index"] = m.index;
  o["export_id"] = m.export_id;
  o["time_as_written"] = m.time_as_written;
  o["utc"] = m.utc;
  o["offset"] = m.offset;
  o["time_source"] = m.time_source;
  o["ambiguous"] = m.time_ambiguous;
  o["candidates"] = strings(m.time_candidates);
  o["sender"] = m.sender;
  o["sender_id"] = m.sender_id;
  o["text"] = m.text;
  o["reply_to"] = m.reply_to;
  o["forwarded_from"] = m.forwarded_from;
  Json atts = Json::array();
  for (const Attachment& a : m.attachments) {
    Json x = Json::object();
    x["name"] = a.name;
    x["kind"] = a.kind;
    const auto it = a.rel.empty() ? by_rel.end() : by_rel.find(a.rel);
    if (it != by_rel.end()) {
      x["rel"] = a.rel;
      x["path"] = it->second->path;
      x["sha256"] = it->second->sha256;
      x["size"] = it->second->size;
    } else {
      if (!a.rel.empty()) x["rel"] = a.rel;
      x["missing"] = true;
    }
    atts.push_back(std::move(x));
  }
  o["attachments"] = std::move(atts);
  o["flags"] = flags_of(m);
  o["reactions"] = strings(m.reactions);
  o["source"] = Json{{"file", m.source_file}, {"line", m.source_line}};
  return o;
}

} // namespace

std::pair<std::string, std::string> utc_range(const Conversation& c) {
  std::string first;
  std::string last;
  for (const Message& m : c.messages) {
    if (m.utc.empty()) continue;
    if (first.empty() || m.utc < first) first = m.utc;
    if (last.empty() || m.utc > last) last = m.utc;
  }
  return {first, last};
}

std::string messages_json(const Conversation& c, const std::vector<StoredExportFile>& stored) {
  std::map<std::string, const StoredExportFile*> by_rel;
  for (const auto& f : stored)
    by_rel.emplace(f.rel, &f);
  const auto [first, last] = utc_range(c);
  std::string out = "{\n";
  const auto field = [&out](const char* key, const Json& value) { out += "  " + dump(Json(key)) + ": " + dump(value) + ",\n"; };
  field("format_version", k_messages_format_version);
  field("platform", c.platform);
  field("variant", c.variant);
  field("title", c.title);
  field("participants", strings(c.participants));
  field("date_order", c.date_order);
  field("date_order_rule", c.date_order_rule);
  field("zone", c.zone);
  field("zone_source", c.zone_source);
  field("message_count", static_cast<std::uint64_t>(c.messages.size()));
  field("first_utc", first);
  field("last_utc", last);
  out += "  \"messages\": [";
  for (std::size_t i = 0; i < c.messages.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    out += dump(message_json(c.messages[i], by_rel));
  }
  out += c.messages.empty() ? "],\n" : "\n  ],\n";
  out += "  \"defects\": [";
  for (std::size_t i = 0; i < c.defects.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    out += dump(Json{{"code", c.defects[i].code}, {"message", c.defects[i].message}});
  }
  out += c.defects.empty() ? "]\n" : "\n  ]\n";
  out += "}\n";
  return out;
}

} // namespace cbkit::chat
