// messages.json (cbkit-messages.json(5)): written by hand around nlohmann's dump so that a
// conversation of 200 000 messages is never one JSON tree in memory, and so that the layout
// (one message per line) stays readable with grep and a pager.

#include "cbkit/chat/messages_json.hpp"

#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"

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

std::vector<std::string> flags_of(const Message& m) {
  std::vector<std::string> a;
  if (m.system) a.emplace_back("system");
  if (m.deleted) a.emplace_back("deleted");
  if (m.edited) a.emplace_back("edited");
  if (m.forwarded) a.emplace_back("forwarded");
  if (m.media_omitted) a.emplace_back("media-omitted");
  if (m.continuation) a.emplace_back("continuation");
  return a;
}

// A JSON string as nlohmann's dump writes it (UTF-8 kept, '"', '\\' and the control
// characters escaped, \b \f \n \r \t short, the others \u00xx), written straight into `out`:
// building a Json object per message cost more than parsing the export. A string that is not
// valid UTF-8 goes through nlohmann (invalid bytes replaced), so the bytes are the same.
void put_string(std::string& out, const std::string& s) {
  if (!util::is_valid_utf8(s)) {
    out += dump(Json(s));
    return;
  }
  out += '"';
  std::size_t run = 0; // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default: {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
    }
  }
  out.append(s, run, s.size() - run);
  out += '"';
}

void put_key(std::string& out, const char* key, bool first = false) {
  if (!first) out += ',';
  out += '"';
  out += key;
  out += "\":";
}

void put_field(std::string& out, const char* key, const std::string& value, bool first = false) {
  put_key(out, key, first);
  put_string(out, value);
}

void put_strings(std::string& out, const char* key, const std::vector<std::string>& v) {
  put_key(out, key);
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) out += ',';
    put_string(out, v[i]);
  }
  out += ']';
}

// One message as one line of JSON: the keys in this order, as the format fixes them.
void put_message(std::string& out, const Message& m, const std::map<std::string, const StoredExportFile*>& by_rel) {
  out += '{';
  put_key(out, "index", true);
  out += std::to_string(m.index);
  put_field(out, "export_id", m.export_id);
  put_field(out, "time_as_written", m.time_as_written);
  put_field(out, "utc", m.utc);
  put_field(out, "offset", m.offset);
  put_field(out, "time_source", m.time_source);
  put_key(out, "ambiguous");
  out += m.time_ambiguous ? "true" : "false";
  put_strings(out, "candidates", m.time_candidates);
  put_field(out, "sender", m.sender);
  put_field(out, "sender_id", m.sender_id);
  put_field(out, "text", m.text);
  put_field(out, "reply_to", m.reply_to);
  put_field(out, "forwarded_from", m.forwarded_from);
  put_key(out, "attachments");
  out += '[';
  for (std::size_t i = 0; i < m.attachments.size(); ++i) {
    const Attachment& a = m.attachments[i];
    if (i != 0) out += ',';
    out += '{';
    put_field(out, "name", a.name, true);
    put_field(out, "kind", a.kind);
    if (!a.note.empty()) put_field(out, "note", a.note);
    const auto it = a.rel.empty() ? by_rel.end() : by_rel.find(a.rel);
    if (it != by_rel.end()) {
      put_field(out, "rel", a.rel);
      put_field(out, "path", it->second->path);
      put_field(out, "sha256", it->second->sha256);
      put_key(out, "size");
      out += std::to_string(it->second->size);
    } else {
      if (!a.rel.empty()) put_field(out, "rel", a.rel);
      put_key(out, "missing");
      out += "true";
    }
    out += '}';
  }
  out += ']';
  put_strings(out, "flags", flags_of(m));
  put_strings(out, "reactions", m.reactions);
  put_key(out, "source");
  out += '{';
  put_field(out, "file", m.source_file, true);
  put_key(out, "line");
  out += std::to_string(m.source_line);
  out += "}}";
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
  std::string out;
  // One allocation for the whole file: the fixed keys take about 330 bytes a message.
  std::size_t size = 4096;
  for (const Message& m : c.messages)
    size += 400 + m.text.size() + m.sender.size() + m.time_as_written.size() + m.attachments.size() * 200;
  out.reserve(size);
  out += "{\n";
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
    put_message(out, c.messages[i], by_rel);
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
