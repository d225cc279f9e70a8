// Instagram and Facebook Messenger conversations from Meta's "Download your information"
// in JSON format.
//
// A thread is a folder (messages/inbox/<thread>/, your_instagram_activity/messages/inbox/
// <thread>/, your_activity_across_facebook/messages/inbox/<thread>/) holding message_1.json,
// message_2.json, ...: {"participants": [{"name"}], "messages": [...], "title",
// "thread_path": "inbox/<thread>", ...}. message_1.json holds the newest messages and each
// file lists its messages newest first. A message: "sender_name" (the display name only),
// "timestamp_ms" (epoch milliseconds, UTC), "content", "photos" / "videos" /
// "audio_files" / "files" / "gifs" ([{"uri"}], the uri relative to the export's root),
// "sticker" ({"uri"}), "share" ({"link", "share_text"}), "reactions" ([{"reaction",
// "actor"}]), "is_unsent", "is_geoblocked_for_viewer", and on older Messenger exports
// "type" ("Generic", "Share", "Call", "Subscribe", "Unsubscribe").
//
// Every string is UTF-8 whose bytes were each written as a \u00XX escape (mojibake: "é"
// arrives as "Ã©"); strings are repaired back (defect "mojibake-repaired", counted once).

#include "cbkit/chat/chat.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "json_input.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

namespace cbkit::chat {
namespace {

using util::Json;

// One message_N.json of the thread.
struct ThreadFile {
  const ExportFile* file = nullptr;
  std::uint64_t number = 0; // N of message_N.json
};

// N when `base` is "message_N.json".
std::optional<std::uint64_t> message_file_number(std::string_view base) {
  constexpr std::string_view prefix = "message_";
  constexpr std::string_view suffix = ".json";
  if (base.size() <= prefix.size() + suffix.size() || base.substr(0, prefix.size()) != prefix ||
      base.substr(base.size() - suffix.size()) != suffix) {
    return std::nullopt;
  }
  const std::string_view digits = base.substr(prefix.size(), base.size() - prefix.size() - suffix.size());
  if (digits.size() > 9) return std::nullopt;
  std::uint64_t n = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

std::string parent_of(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

std::string base_of(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

// True when every code point of UTF-8 `s` is below 256 and one at least is above 127;
// `latin1` then holds one byte per code point.
bool all_below_256(const std::string& s, std::string& latin1) {
  latin1.clear();
  bool high = false;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      latin1 += static_cast<char>(c);
      ++i;
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
      latin1 += static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F));
      high = true;
      i += 2;
    } else {
      return false; // a code point >= 256 (or not UTF-8): not Meta's mojibake
    }
  }
  return high;
}

// The export's file to which a uri refers. The uri is relative to the export's root; the
// files' rel paths are relative to what the user gave (the root, a folder above it, or
// only the thread folder). A file matches when its rel equals the uri, ends with "/" + uri
// (the user gave a folder above the root), or is a '/'-bounded tail of the uri (the user
// gave a folder inside the root); the longest tail wins, and among files that end with
// the uri the smallest rel, so the choice never depends on the order of `files`.
class UriResolver {
public:
  explicit UriResolver(const std::vector<ExportFile>& files) {
    for (const auto& f : files) {
      m_rels.insert(f.rel);
      for (std::size_t pos = 0;;) {
        const std::string tail = f.rel.substr(pos);
        auto [it, inserted] = m_by_tail.try_emplace(tail, f.rel);
        if (!inserted && f.rel < it->second) it->second = f.rel;
        const auto slash = f.rel.find('/', pos);
        if (slash == std::string::npos) break;
        pos = slash + 1;
      }
    }
  }

  std::string resolve(const std::string& uri) const {
    if (uri.empty()) return "";
    if (const auto it = m_by_tail.find(uri); it != m_by_tail.end()) return it->second;
    for (auto slash = uri.find('/'); slash != std::string::npos; slash = uri.find('/', slash + 1)) {
      const std::string tail = uri.substr(slash + 1);
      if (!tail.empty() && m_rels.count(tail) != 0) return tail;
    }
    return "";
  }

private:
  std::set<std::string> m_rels;
  std::unordered_map<std::string, std::string> m_by_tail;
};

// Which app exported the thread, and the rule that said so.
struct PlatformGuess {
  std::string platform; // "instagram", "messenger", or "" (unknown)
  std::string rule;
};

// Instagram's and Facebook's exports name their top folder differently; the uris carry
// that folder even when the user gave only the thread folder.
PlatformGuess platform_from_path(std::string_view path) {
  const auto has_part = [&](std::string_view part) {
    return path.rfind(std::string(part) + "/", 0) == 0 || path.find("/" + std::string(part) + "/") != std::string_view::npos;
  };
  if (has_part("your_instagram_activity")) return {"instagram", "a path under your_instagram_activity/"};
  if (has_part("your_activity_across_facebook")) return {"messenger", "a path under your_activity_across_facebook/"};
  if (has_part("your_facebook_activity")) return {"messenger", "a path under your_facebook_activity/"};
  return {};
}

class MetaReader {
public:
  MetaReader(const std::vector<ExportFile>& files, std::vector<ThreadFile> thread) : m_resolver(files), m_thread(std::move(thread)) {}

  Conversation read() {
    Conversation conv;
    std::vector<std::string> listed;
    std::set<std::string> listed_seen;
    PlatformGuess guess = platform_from_path(m_thread.front().file->rel);
    std::string thread_path;

    for (const auto& tf : m_thread) {
      const std::string bytes = detail::read_export_file(*tf.file);
      const auto doc = util::parse_untrusted_json(bytes);
      if (!doc || !doc->is_object() || !util::has_array(*doc, "messages")) {
        throw Error(ErrorKind::input, util::utf8_lossy(tf.file->rel) +
                                          ": not a Meta \"Download your information\" message file (JSON with a \"messages\" list)");
      }
      if (conv.title.empty()) conv.title = text(*doc, "title", tf, 0);
      if (thread_path.empty()) thread_path = text(*doc, "thread_path", tf, 0);
      const Json& participants = util::member(*doc, "participants");
      if (participants.is_array()) {
        for (const auto& p : participants) {
          const std::string name = text(p, "name", tf, 0);
          if (!name.empty() && listed_seen.insert(name).second) listed.push_back(name);
        }
      }
      std::size_t position = 0;
      for (const auto& m : util::member(*doc, "messages")) {
        ++position;
        if (m_read.size() >= detail::k_max_messages) {
          m_tally.add("too-many-messages", "messages after the first " + std::to_string(detail::k_max_messages) + " were not read",
                      where(tf, position));
          break;
        }
        if (!m.is_object()) {
          m_tally.add("unexpected-type", "an item of \"messages\" is not an object and was skipped", where(tf, position));
          continue;
        }
        m_read.push_back(read_message(m, tf, position, guess));
      }
    }

    // Conversation order: oldest first. The export lists newest first, so the reversed
    // export order is the fallback when two messages carry the same millisecond; messages
    // without a timestamp go last.
    std::reverse(m_read.begin(), m_read.end());
    std::stable_sort(m_read.begin(), m_read.end(), [](const Read& a, const Read& b) { return a.sort_key < b.sort_key; });

    if (guess.platform.empty()) {
      // Older exports put both apps' threads under messages/inbox/: the thread's folder
      // name then tells them apart, <name>_<digits> for Instagram's numeric thread IDs,
      // <name>_<letters and digits> for Facebook's.
      const std::string folder = base_of(thread_path.empty() ? parent_of(m_thread.front().file->rel) : thread_path);
      const auto underscore = folder.rfind('_');
      const std::string id = underscore == std::string::npos ? "" : folder.substr(underscore + 1);
      const bool digits = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
      const bool alnum = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      });
      if (digits) {
        guess = {"instagram", "the thread folder '" + folder + "' ends in a numeric ID"};
      } else if (alnum) {
        guess = {"messenger", "the thread folder '" + folder + "' ends in an ID with letters"};
      }
      if (!guess.platform.empty()) {
        conv.defects.push_back({"platform-inferred", "no your_instagram_activity/ or your_activity_across_facebook/ folder in the paths; " +
                                                         guess.platform + " was inferred because " + util::utf8_lossy(guess.rule)});
      } else {
        conv.defects.push_back({"platform-unclear", "Instagram or Messenger could not be told apart from the paths of this export"});
      }
    }
    conv.platform = guess.platform.empty() ? "meta" : guess.platform;
    conv.variant = conv.platform + "-dyi-json";

    std::set<std::string> seen(listed_seen);
    conv.participants = listed;
    for (auto& r : m_read) {
      r.msg.index = conv.messages.size();
      if (!r.msg.sender.empty() && seen.insert(r.msg.sender).second) conv.participants.push_back(r.msg.sender);
      conv.messages.push_back(std::move(r.msg));
    }
    if (m_mojibake > 0) {
      conv.defects.push_back({"mojibake-repaired", std::to_string(m_mojibake) +
                                                       " strings written as UTF-8 bytes in \\u00XX escapes (Meta's export) were decoded "
                                                       "back to the characters they encode"});
    }
    m_tally.flush(conv.defects);
    return conv;
  }

private:
  struct Read {
    std::pair<std::uint64_t, std::uint64_t> sort_key; // (has no time, timestamp_ms)
    Message msg;
  };

  static std::string where(const ThreadFile& tf, std::size_t position) {
    return util::utf8_lossy(tf.file->rel) + " message " + std::to_string(position);
  }

  // Undoes Meta's mojibake: a string whose code points are all below 256, re-read as the
  // bytes they stand for, that forms valid UTF-8 different from the string.
  std::string repair(std::string s) {
    std::string bytes;
    if (!all_below_256(s, bytes) || !util::is_valid_utf8(bytes) || bytes == s) return s;
    ++m_mojibake;
    return bytes;
  }

  // obj[key] as repaired text; "" when absent or null; a defect for another type.
  std::string text(const Json& obj, const char* key, const ThreadFile& tf, std::size_t position) {
    const Json* v = util::field(obj, key);
    if (v == nullptr || v->is_null()) return "";
    if (v->is_string()) return repair(v->get<std::string>());
    m_tally.add("unexpected-type", "a field that should be text holds another type and was ignored",
                (position == 0 ? util::utf8_lossy(tf.file->rel) : where(tf, position)) + " \"" + key + "\"");
    return "";
  }

  void attach(Message& msg, const std::string& uri, const std::string& kind, const ThreadFile& tf, std::size_t position,
              PlatformGuess& guess) {
    if (uri.empty()) return;
    Attachment a;
    a.name = uri;
    a.kind = kind;
    if (uri.find("://") == std::string::npos) {
      if (guess.platform.empty()) guess = platform_from_path(uri);
      a.rel = m_resolver.resolve(uri);
      if (a.rel.empty()) {
        m_tally.add("attachment-missing", "a file the export names is not in the export",
                    where(tf, position) + " " + util::one_line(uri, 80));
      }
    }
    msg.attachments.push_back(std::move(a));
  }

  Read read_message(const Json& m, const ThreadFile& tf, std::size_t position, PlatformGuess& guess) {
    Read r;
    Message& msg = r.msg;
    msg.source_file = tf.file->rel;
    msg.sender = text(m, "sender_name", tf, position);
    const Json* ts = util::field(m, "timestamp_ms");
    if (ts != nullptr && ts->is_number_unsigned() && ts->get<std::uint64_t>() <= 253402300799999ULL) {
      const auto ms = ts->get<std::uint64_t>();
      msg.time_as_written = std::to_string(ms);
      msg.utc = detail::utc_millis_text(static_cast<std::int64_t>(ms / 1000), static_cast<int>(ms % 1000));
      msg.offset = "+00:00";
      msg.time_source = "export-utc";
      r.sort_key = {0, ms};
    } else {
      if (ts != nullptr) msg.time_as_written = util::scalar_text(*ts);
      m_tally.add("bad-time", "a message without a timestamp_ms in epoch milliseconds", where(tf, position));
      r.sort_key = {1, 0};
    }
    msg.text = text(m, "content", tf, position);

    static const std::pair<const char*, const char*> k_lists[] = {
        {"photos", "photo"}, {"videos", "video"}, {"audio_files", "audio"}, {"files", "file"}, {"gifs", "gif"}};
    for (const auto& [key, kind] : k_lists) {
      const Json* list = util::field(m, key);
      if (list == nullptr || list->is_null()) continue;
      if (!list->is_array()) {
        m_tally.add("unexpected-type", "an attachment list that is not a list was ignored", where(tf, position) + " \"" + key + "\"");
        continue;
      }
      for (const auto& item : *list)
        attach(msg, text(item, "uri", tf, position), kind, tf, position, guess);
    }
    if (const Json* sticker = util::field(m, "sticker"); sticker != nullptr) {
      attach(msg, text(*sticker, "uri", tf, position), "sticker", tf, position, guess);
    }
    if (const Json* share = util::field(m, "share"); share != nullptr && share->is_object()) {
      const std::string link = text(*share, "link", tf, position);
      if (!link.empty()) msg.attachments.push_back({link, "", "share", ""});
      if (msg.text.empty()) msg.text = text(*share, "share_text", tf, position);
    }

    const Json& reactions = util::member(m, "reactions");
    if (reactions.is_array()) {
      for (const auto& re : reactions) {
        const std::string emoji = text(re, "reaction", tf, position);
        const std::string actor = text(re, "actor", tf, position);
        if (!emoji.empty() || !actor.empty()) msg.reactions.push_back(emoji + " by " + actor);
      }
    }
    const std::string type = text(m, "type", tf, position);
    msg.system = type == "Subscribe" || type == "Unsubscribe";
    msg.deleted = util::member(m, "is_unsent").is_boolean() && util::member(m, "is_unsent").get<bool>();
    if (util::member(m, "is_geoblocked_for_viewer").is_boolean() && util::member(m, "is_geoblocked_for_viewer").get<bool>()) {
      m_tally.add("geoblocked", "Meta withheld a message's content from the export for the viewer's country", where(tf, position));
    }
    return r;
  }

  UriResolver m_resolver;
  std::vector<ThreadFile> m_thread;
  std::vector<Read> m_read;
  std::uint64_t m_mojibake = 0;
  detail::DefectTally m_tally;
};

} // namespace

Conversation parse_meta(const std::vector<ExportFile>& files, const TimeOptions& /*time: every time is UTC*/) {
  // The threads in the export: message_N.json files grouped by their folder.
  std::map<std::string, std::vector<ThreadFile>> threads;
  for (const auto& f : files) {
    if (const auto n = message_file_number(base_of(f.rel))) threads[parent_of(f.rel)].push_back({&f, *n});
  }
  if (threads.empty()) {
    throw Error(ErrorKind::input, "no message_1.json in the export: Instagram and Messenger conversations are read from \"Download "
                                  "your information\" in JSON format (messages/inbox/<conversation>/message_1.json)");
  }
  if (threads.size() > 1) {
    std::vector<std::string> names;
    for (const auto& [folder, list] : threads)
      names.push_back(folder.empty() ? "." : folder);
    throw Error(ErrorKind::input, "the export holds " + std::to_string(threads.size()) + " conversations (" + detail::name_list(names) +
                                      "); add the folder of the one conversation to preserve");
  }
  auto thread = std::move(threads.begin()->second);
  std::sort(thread.begin(), thread.end(), [](const ThreadFile& a, const ThreadFile& b) {
    return a.number != b.number ? a.number < b.number : a.file->rel < b.file->rel;
  });
  return MetaReader(files, std::move(thread)).read();
}

} // namespace cbkit::chat
