// Telegram Desktop "Export chat history" in the machine-readable JSON format (result.json).
//
// What the exporter writes (telegramdesktop/tdesktop, export/output/export_output_json.cpp):
// - a single chat: {"name", "type", "id", "messages": [...]}; a full account export:
//   {"about", "personal_information", ..., "chats": {"about", "list": [chat...]},
//   "left_chats": {...}} where each chat has the same form.
// - a message: "id" (number), "type" ("message", "service" or "unsupported"), "date" (the
//   exporting computer's local time, "2026-11-20T21:14:00", no offset), "date_unixtime"
//   (the same instant, epoch seconds as a string; only in exports since 2022), "edited" /
//   "edited_unixtime", "from" (a name or null) and "from_id" ("user123", "channel5"),
//   "forwarded_from", "reply_to_message_id", "photo" / "file" (a path relative to the
//   export folder, or a note such as "(File not included. Change data exporting settings
//   to download.)"), "media_type", "text" (a string, or an array mixing strings and
//   {"type", "text", ...} objects) and "text_entities". A service message has "actor",
//   "actor_id" and "action" ("invite_members", "pin_message"...) instead of "from".
// - control characters in strings are written as \xNN, which JSON does not have; they
//   are read as \u00NN (defect "nonstandard-escape").

#include "cbkit/chat/chat.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "json_input.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

namespace cbkit::chat {
namespace {

using util::Json;

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Rewrites the exporter's \xNN escapes inside strings as \u00NN; counts them. Other
// escapes are copied untouched (an escaped backslash followed by "x41" stays what it is).
std::string repair_hex_escapes(std::string_view in, std::uint64_t& count) {
  if (in.find("\\x") == std::string_view::npos) return std::string(in);
  std::string out;
  out.reserve(in.size() + 64);
  bool in_string = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      out += c;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out += c;
    } else if (c == '\\' && i + 1 < in.size()) {
      if (in[i + 1] == 'x' && i + 3 < in.size() && is_hex(in[i + 2]) && is_hex(in[i + 3])) {
        out += "\\u00";
        out += in[i + 2];
        out += in[i + 3];
        i += 3;
        ++count;
      } else {
        out += c;
        out += in[i + 1];
        ++i;
      }
    } else {
      out += c;
    }
  }
  return out;
}

struct LocalFields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// "2026-11-20T21:14:00" (Qt's ISO form of a local time) -> its fields.
std::optional<LocalFields> parse_local(std::string_view t) {
  if (t.size() != 19 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  const auto num = [&](std::size_t pos, std::size_t len, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  LocalFields f;
  if (!num(0, 4, f.year) || !num(5, 2, f.month) || !num(8, 2, f.day) || !num(11, 2, f.hour) || !num(14, 2, f.minute) ||
      !num(17, 2, f.second)) {
    return std::nullopt;
  }
  if (!util::is_valid_date(f.year, f.month, f.day) || f.hour > 23 || f.minute > 59 || f.second > 59) return std::nullopt;
  return f;
}

// "date_unixtime": epoch seconds written as a string (a number is accepted too).
std::optional<std::int64_t> parse_epoch(const Json& v) {
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n > 253402300799ULL) return std::nullopt; // after 9999-12-31
    return static_cast<std::int64_t>(n);
  }
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size() || n < 0 || n > 253402300799LL) return std::nullopt;
  return n;
}

// The text of a message: a string, or the visible text of every part of an array.
std::string flatten_text(const Json& v, bool& unexpected) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (!v.is_array()) {
    unexpected = true;
    return "";
  }
  std::string out;
  for (const auto& part : v) {
    if (part.is_string()) {
      out += part.get_ref<const std::string&>();
    } else if (const auto t = util::optional_string(part, "text")) {
      out += *t;
    } else {
      unexpected = true;
    }
  }
  return out;
}

// The exporter's note in place of a path when a file was not downloaded: "(File not
// included. ...)", "(File unavailable, please try again later)", "(File exceeds maximum
// size. ...)", and the same with "Photo".
bool is_skip_note(const std::string& s) {
  return s.size() > 2 && s.back() == ')' && (s.rfind("(File ", 0) == 0 || s.rfind("(Photo ", 0) == 0);
}

// The "result.json" to read: the one nearest the export's root.
const ExportFile& find_result_json(const std::vector<ExportFile>& files) {
  const ExportFile* best = nullptr;
  std::size_t best_depth = 0;
  std::vector<std::string> same_depth;
  for (const auto& f : files) {
    const auto slash = f.rel.rfind('/');
    const std::string_view base = slash == std::string::npos ? std::string_view(f.rel) : std::string_view(f.rel).substr(slash + 1);
    if (base != "result.json") continue;
    const auto depth = static_cast<std::size_t>(std::count(f.rel.begin(), f.rel.end(), '/'));
    if (best == nullptr || depth < best_depth) {
      best = &f;
      best_depth = depth;
      same_depth = {f.rel};
    } else if (depth == best_depth) {
      same_depth.push_back(f.rel);
    }
  }
  if (best == nullptr) {
    throw Error(ErrorKind::input, "no result.json in the export: Telegram Desktop's chat export is read in its "
                                  "machine-readable JSON format (Export chat history, format JSON), not as HTML");
  }
  if (same_depth.size() > 1) {
    std::sort(same_depth.begin(), same_depth.end());
    throw Error(ErrorKind::input, "several Telegram exports side by side (" + detail::name_list(same_depth) + "); add them one at a time");
  }
  return *best;
}

// The chat object to read: the document itself for a single-chat export; for a full
// account export the only chat in "chats" and "left_chats", else an error naming them.
const Json& select_chat(const Json& doc, const std::string& file) {
  if (util::has_array(doc, "messages")) return doc;
  std::vector<const Json*> chats;
  for (const char* list : {"chats", "left_chats"}) {
    const Json& l = util::member(util::member(doc, list), "list");
    if (!l.is_array()) continue;
    for (const auto& c : l) {
      if (util::has_array(c, "messages")) chats.push_back(&c);
    }
  }
  if (chats.size() == 1) return *chats.front();
  if (chats.empty()) {
    throw Error(ErrorKind::input,
                util::utf8_lossy(file) + ": not a Telegram Desktop chat export (no \"messages\" list, no chat in \"chats\")");
  }
  std::vector<std::string> names;
  for (const Json* c : chats) {
    std::string name = util::string_field(*c, "name");
    if (name.empty()) name = util::string_field(*c, "type", "chat") + " " + util::scalar_text(util::member(*c, "id"));
    names.push_back(std::move(name));
  }
  throw Error(ErrorKind::input, util::utf8_lossy(file) + ": a full Telegram account export with " + std::to_string(chats.size()) +
                                    " chats (" + detail::name_list(names) +
                                    "); export the one conversation with Export chat history in that chat, and add that");
}

class TelegramReader {
public:
  TelegramReader(const std::vector<ExportFile>& files, const TimeOptions& time, const ExportFile& json) : m_time(time), m_json(json) {
    const auto slash = json.rel.rfind('/');
    m_base = slash == std::string::npos ? "" : json.rel.substr(0, slash + 1);
    for (const auto& f : files)
      m_rels.insert(f.rel);
  }

  Conversation read() {
    const std::string bytes = detail::read_export_file(m_json);
    std::uint64_t escapes = 0;
    const std::string repaired = repair_hex_escapes(bytes, escapes);
    const auto doc = util::parse_untrusted_json(repaired);
    if (!doc || !doc->is_object()) {
      throw Error(ErrorKind::input, util::utf8_lossy(m_json.rel) + ": not JSON, or nested too deep; not a Telegram Desktop export");
    }
    const Json& chat = select_chat(*doc, m_json.rel);

    Conversation conv;
    conv.platform = "telegram";
    conv.variant = &chat == &*doc ? "telegram-desktop-json" : "telegram-desktop-json-full-export";
    conv.title = util::string_field(chat, "name");
    if (escapes > 0) {
      conv.defects.push_back({"nonstandard-escape", util::utf8_lossy(m_json.rel) + ": " + std::to_string(escapes) +
                                                        " control characters written as \\xNN (not JSON) were read as U+00NN"});
    }

    const Json& messages = util::member(chat, "messages");
    std::set<std::string> seen;
    std::size_t position = 0;
    for (const auto& m : messages) {
      ++position;
      if (conv.messages.size() >= detail::k_max_messages) {
        m_tally.add("too-many-messages", "messages after the first " + std::to_string(detail::k_max_messages) + " were not read",
                    "from item " + std::to_string(position));
        break;
      }
      if (!m.is_object()) {
        m_tally.add("unexpected-type", "an item of \"messages\" is not an object and was skipped", where(position));
        continue;
      }
      Message msg = read_message(m, position);
      msg.index = conv.messages.size();
      if (!msg.sender.empty() && seen.insert(msg.sender).second) conv.participants.push_back(msg.sender);
      conv.messages.push_back(std::move(msg));
    }

    if (m_local_read > 0) {
      conv.zone = m_time.zone;
      conv.zone_source = m_time.zone_source;
      conv.defects.push_back({"zone-assumed", util::utf8_lossy(m_json.rel) + ": " + std::to_string(m_local_read) +
                                                  " times have no date_unixtime (an export older than 2022) and were read as local "
                                                  "times in " +
                                                  m_time.zone + " (" + m_time.zone_source +
                                                  "): the zone of the computer that exported them is assumed, not known"});
    }
    m_tally.flush(conv.defects);
    return conv;
  }

private:
  std::string where(std::size_t position) const { return util::utf8_lossy(m_json.rel) + " message " + std::to_string(position); }

  // A string field, or "" with a defect when the field holds another type (null is the
  // exporter's way to say "no name" and is not a defect).
  std::string text_field(const Json& m, const char* key, std::size_t position) {
    const Json* v = util::field(m, key);
    if (v == nullptr || v->is_null()) return "";
    if (v->is_string()) return v->get<std::string>();
    m_tally.add("unexpected-type", "a field that should be text holds another type and was ignored", where(position) + " \"" + key + "\"");
    return "";
  }

  void read_time(const Json& m, Message& msg, std::size_t position) {
    const std::string date = text_field(m, "date", position);
    msg.time_as_written = date;
    const Json* unix_time = util::field(m, "date_unixtime");
    const auto local = parse_local(date);
    if (unix_time != nullptr) {
      const auto epoch = parse_epoch(*unix_time);
      if (!epoch) {
        m_tally.add("bad-time", "a date_unixtime that is not epoch seconds", where(position));
      } else {
        if (msg.time_as_written.empty()) msg.time_as_written = util::scalar_text(*unix_time);
        msg.utc = detail::utc_seconds_text(*epoch);
        msg.time_source = "export-utc";
        if (local) {
          // `date` is the same instant on the exporting computer's clock: the difference is
          // that computer's UTC offset at the time, which says in which zone it was.
          const std::int64_t wall =
              util::days_from_civil(local->year, static_cast<unsigned>(local->month), static_cast<unsigned>(local->day)) * 86400 +
              local->hour * 3600 + local->minute * 60 + local->second;
          const std::int64_t off = wall - *epoch;
          if (off % 60 == 0 && off >= -14 * 3600 && off <= 14 * 3600) {
            msg.offset = util::format_offset(static_cast<long>(off));
          } else {
            m_tally.add("date-mismatch", "date and date_unixtime differ by more than a UTC offset; date_unixtime is used", where(position));
          }
        } else if (!date.empty()) {
          m_tally.add("bad-time", "a date that is not a local date-time; date_unixtime is used", where(position));
        }
        return;
      }
    }
    if (const auto given = util::parse_rfc3339(date)) {
      // Not what Telegram Desktop writes, but unambiguous when present.
      msg.utc = detail::utc_seconds_text(given->epoch_seconds);
      msg.offset = date.back() == 'Z' ? "+00:00" : date.substr(date.size() - 6);
      msg.time_source = "export-utc";
      return;
    }
    if (!local) {
      if (!date.empty() || unix_time == nullptr) m_tally.add("bad-time", "a message without a readable date", where(position));
      return;
    }
    if (m_time.zone.empty()) {
      m_tally.add("no-zone", "a local time without date_unixtime and no zone to read it in (give --tz)", where(position));
      return;
    }
    if (!m_zone) m_zone = std::make_unique<util::LocalZoneReader>(m_time.zone);
    ++m_local_read;
    msg.time_source = m_time.zone_source;
    const auto found = m_zone->candidates(local->year, local->month, local->day, local->hour, local->minute, local->second);
    if (found.size() == 1) {
      msg.utc = detail::utc_seconds_text(found.front().epoch_seconds);
      msg.offset = found.front().offset;
    } else if (found.size() == 2) {
      msg.time_ambiguous = true;
      for (const auto& c : found)
        msg.time_candidates.push_back(detail::utc_seconds_text(c.epoch_seconds));
      m_tally.add("ambiguous-time", "a local time that happened twice in " + m_time.zone + " (autumn clock change); not resolved",
                  where(position));
    } else {
      m_tally.add("nonexistent-time", "a local time that never happened in " + m_time.zone + " (spring clock change); not resolved",
                  where(position));
    }
  }

  void add_attachment(const Json& m, const char* key, const std::string& kind, Message& msg, std::size_t position) {
    const std::string value = text_field(m, key, position);
    if (value.empty()) return;
    Attachment a;
    a.kind = kind;
    if (is_skip_note(value)) {
      // Not a file name: the sentence is kept as the attachment's note, the name left empty.
      a.note = value;
      msg.media_omitted = true;
      msg.attachments.push_back(std::move(a));
      return;
    }
    a.name = value;
    if (m_rels.count(m_base + value) != 0) {
      a.rel = m_base + value;
    } else if (m_rels.count(value) != 0) {
      a.rel = value;
    } else {
      m_tally.add("attachment-missing", "a file the export names is not in the export", where(position) + " " + util::one_line(value, 80));
    }
    msg.attachments.push_back(std::move(a));
  }

  // A service message in words: the action ("invite_members"), the members it names and
  // the title it sets ("create_group: Ana, Bo \"Class 3B\"").
  std::string service_text(const Json& m, std::size_t position) {
    std::string out = text_field(m, "action", position);
    if (out.empty()) out = text_field(m, "information_text", position);
    const Json& members = util::member(m, "members");
    if (members.is_array()) {
      std::vector<std::string> names;
      for (const auto& n : members) {
        if (n.is_string()) names.push_back(n.get<std::string>());
      }
      if (!names.empty()) out += ": " + util::join(names, ", ");
    }
    const std::string title = text_field(m, "title", position);
    if (!title.empty()) out += " \"" + title + "\"";
    return out;
  }

  Message read_message(const Json& m, std::size_t position) {
    Message msg;
    msg.source_file = m_json.rel;
    msg.export_id = util::scalar_text(util::member(m, "id"));
    const std::string type = text_field(m, "type", position);
    if (type == "unsupported") {
      // The exporter writes only the ID of a message it cannot represent: no time, no text.
      m_tally.add("unsupported-message", "a message the exporter could not write (\"type\": \"unsupported\")", where(position));
      return msg;
    }
    read_time(m, msg, position);
    bool unexpected = false;
    std::string text = flatten_text(util::member(m, "text"), unexpected);
    if (unexpected) m_tally.add("unexpected-type", "a text part that is not text was ignored", where(position) + " \"text\"");
    if (type == "service") {
      msg.system = true;
      msg.sender = text_field(m, "actor", position);
      msg.sender_id = text_field(m, "actor_id", position);
      if (msg.sender.empty() && msg.sender_id.empty()) { // "proximity_reached" names "from" instead
        msg.sender = text_field(m, "from", position);
        msg.sender_id = text_field(m, "from_id", position);
      }
      std::string words = service_text(m, position);
      if (!text.empty()) words += words.empty() ? text : "\n" + text;
      msg.text = std::move(words);
    } else {
      msg.sender = text_field(m, "from", position);
      msg.sender_id = text_field(m, "from_id", position);
      msg.text = std::move(text);
    }
    msg.edited = util::field(m, "edited") != nullptr || util::field(m, "edited_unixtime") != nullptr;
    if (util::field(m, "forwarded_from") != nullptr) {
      msg.forwarded = true;
      msg.forwarded_from = text_field(m, "forwarded_from", position);
    }
    msg.reply_to = util::scalar_text(util::member(m, "reply_to_message_id"));
    add_attachment(m, "photo", "photo", msg, position);
    std::string file_kind = text_field(m, "media_type", position);
    add_attachment(m, "file", file_kind.empty() ? "file" : file_kind, msg, position);
    add_attachment(m, "contact_vcard", "contact", msg, position);
    return msg;
  }

  const TimeOptions& m_time;
  const ExportFile& m_json;
  std::string m_base; // the folder of result.json inside the export, "" or "dir/"
  std::set<std::string> m_rels;
  std::unique_ptr<util::LocalZoneReader> m_zone; // made at the first local time
  std::uint64_t m_local_read = 0;
  detail::DefectTally m_tally;
};

} // namespace

Conversation parse_telegram(const std::vector<ExportFile>& files, const TimeOptions& time) {
  const ExportFile& json = find_result_json(files);
  return TelegramReader(files, time, json).read();
}

} // namespace cbkit::chat
