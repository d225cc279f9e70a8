// Which platform wrote an export, from its files (the names the apps give them and the keys
// their JSON holds), then that platform's parser. The signs, one row per format:
//   Telegram Desktop   a file result.json holding a "messages" or a "chats" key
//   Instagram/Facebook message_N.json holding "participants" and "messages" (one thread folder)
//   WhatsApp           a .txt file (_chat.txt on iOS, "WhatsApp Chat with NAME.txt" on Android)

#include "cbkit/chat/chat.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"

#include <algorithm>
#include <fstream>
#include <set>

namespace cbkit::chat {

namespace {

// How much of a JSON file is searched for its keys: the keys of both formats come long before
// this in real exports (a Telegram full export lists contacts before "chats").
constexpr std::uint64_t k_key_search_bytes = 64u << 20;

std::string base_name(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

std::string parent_of(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

// Which of `keys` ("\"messages\"" with its quotes) occur in the first k_key_search_bytes of
// the file; reads in blocks, keeping the tail of each block so a key across two is found.
std::set<std::string> keys_in(const ExportFile& f, const std::vector<std::string>& keys) {
  std::set<std::string> found;
  std::ifstream in(f.path, std::ios::binary);
  if (!in) return found;
  std::string carry;
  std::string block(1u << 16, '\0');
  std::uint64_t total = 0;
  std::size_t longest = 0;
  for (const auto& k : keys)
    longest = std::max(longest, k.size());
  while (in && total < k_key_search_bytes && found.size() < keys.size()) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    total += n;
    const std::string window = carry + block.substr(0, n);
    for (const auto& k : keys) {
      if (window.find(k) != std::string::npos) found.insert(k);
    }
    carry = window.size() > longest ? window.substr(window.size() - longest) : window;
  }
  return found;
}

bool is_meta_message_file(const std::string& name) {
  // message_1.json, message_2.json, ...
  if (name.size() < 14 || name.rfind("message_", 0) != 0 || name.substr(name.size() - 5) != ".json") return false;
  const std::string digits = name.substr(8, name.size() - 13);
  return !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos;
}

[[noreturn]] void unknown_format() {
  throw Error(ErrorKind::input, "not a chat export cbkit understands; it reads: a WhatsApp \"Export chat\" (.txt, or the .zip with "
                                "media), a Telegram Desktop export (result.json, or its folder), an Instagram or Facebook/Messenger "
                                "\"Download your information\" thread (message_1.json, or the thread's folder)");
}

} // namespace

Conversation parse_export(const std::vector<ExportFile>& files, const TimeOptions& time) {
  if (files.empty()) throw Error(ErrorKind::input, "the export holds no file");

  for (const auto& f : files) {
    if (base_name(f.rel) == "result.json") {
      const auto keys = keys_in(f, {"\"messages\"", "\"chats\""});
      if (!keys.empty()) return parse_telegram(files, time);
    }
  }

  std::set<std::string> threads;
  for (const auto& f : files) {
    if (!is_meta_message_file(base_name(f.rel))) continue;
    if (keys_in(f, {"\"participants\"", "\"messages\""}).size() == 2) threads.insert(parent_of(f.rel));
  }
  if (threads.size() > 1) {
    // A whole "Download your information" folder: one entry per conversation, so one at a time.
    std::string list;
    std::size_t shown = 0;
    for (const auto& t : threads) {
      if (shown == 10) {
        list += ", and " + std::to_string(threads.size() - shown) + " more";
        break;
      }
      list += (shown++ == 0 ? "" : ", ") + util::one_line(t.empty() ? "." : t, 120);
    }
    throw Error(ErrorKind::input, "this export holds " + std::to_string(threads.size()) + " conversations (" + list +
                                      "); give the folder of one of them, one add-chat per conversation");
  }
  if (threads.size() == 1) return parse_meta(files, time);

  for (const auto& f : files) {
    if (util::to_lower_ascii(f.rel).ends_with(".txt")) return parse_whatsapp(files, time);
  }
  unknown_format();
}

} // namespace cbkit::chat
