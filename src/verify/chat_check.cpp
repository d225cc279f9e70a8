// verify's content check of "chat" entries. The files a parser reads (the export's .txt and
// .json files) are copied, as they stream past, into a private temporary folder, the same way
// for a case folder and for an archive; at the end the conversation is parsed from them with
// the options the line records and messages.json is written again: its SHA-256 must be the
// recorded one. Media files are not copied: parsers only need their names, which the line has.

#include "chat_check.hpp"

#include "cbkit/chat/add_chat.hpp"
#include "cbkit/chat/messages_json.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <optional>
#include <set>

namespace cbkit::verify {

namespace {

using manifest::Json;
namespace fs = std::filesystem;

bool parser_reads(const std::string& rel) {
  const std::string lower = util::to_lower_ascii(rel);
  return lower.ends_with(".txt") || lower.ends_with(".json");
}

class ChatCheck : public EntryCheck {
public:
  ChatCheck(const Json& line, std::uint64_t seq) : m_seq(seq), m_files(chat::export_files_of(line)), m_time(chat::time_options_of(line)) {
    for (const Json& f : util::member(line, "files")) {
      if (util::string_field(f, "role") == "messages") {
        m_messages_path = util::string_field(f, "path");
        m_messages_sha256 = util::string_field(f, "sha256");
      }
    }
    for (std::size_t i = 0; i < m_files.size(); ++i) {
      if (parser_reads(m_files[i].rel)) m_wanted.emplace(m_files[i].case_path, i);
    }
  }
  ~ChatCheck() override {
    if (m_tmp) util::remove_tree_forcibly(*m_tmp);
  }
  ChatCheck(const ChatCheck&) = delete;
  ChatCheck& operator=(const ChatCheck&) = delete;

  bool wants(const std::string& path) const override { return m_wanted.count(path) != 0; }

  void begin_file(const std::string& path) override {
    m_current = m_wanted.at(path);
    m_out.reset();
    if (!m_failed.empty()) return;
    try {
      if (!m_tmp) {
        std::string tmpl = (fs::temp_directory_path() / "cbkit-verify-chat-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw_errno(ErrorKind::io, tmpl);
        m_tmp = fs::path(tmpl);
      }
      const fs::path dest = *m_tmp / ("f" + std::to_string(m_current));
      m_out = util::open_no_follow(dest, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    } catch (const Error& e) {
      m_failed = e.what();
    }
  }

  void update(const char* data, std::size_t size) override {
    if (!m_out.valid()) return;
    try {
      util::write_all(m_out.get(), data, size, "temporary copy");
    } catch (const Error& e) {
      m_failed = e.what();
      m_out.reset();
    }
  }

  void end_file(bool intact) override {
    m_out.reset();
    if (intact) m_intact.insert(m_current);
  }

  void finish(const CaseView&, std::vector<Finding>& out) override {
    // Every file the parser reads must have been read intact; a changed or missing one has its
    // own finding already, and nothing is re-derived from it.
    for (const auto& [path, i] : m_wanted) {
      if (m_intact.count(i) == 0) return;
    }
    if (m_messages_path.empty()) {
      out.push_back(
          Finding{"chat-messages-missing", Severity::error, m_seq, "", "the chat entry records no messages.json (role messages)"});
      return;
    }
    if (!m_failed.empty()) {
      out.push_back(
          Finding{"chat-rederive-failed", Severity::warning, m_seq, m_messages_path, "messages.json could not be re-derived: " + m_failed});
      return;
    }
    std::vector<chat::ExportFile> files;
    std::vector<chat::StoredExportFile> stored;
    for (std::size_t i = 0; i < m_files.size(); ++i) {
      const auto& f = m_files[i];
      // Files the parser does not read keep a path that does not exist: it needs their names only.
      const fs::path where = m_tmp ? *m_tmp / ("f" + std::to_string(i)) : fs::path("/nonexistent") / std::to_string(i);
      files.push_back(chat::ExportFile{f.rel, where, f.size});
      stored.push_back(chat::StoredExportFile{f.rel, f.entry_rel, f.sha256, f.size});
    }
    std::string text;
    try {
      text = chat::messages_json(chat::parse_export(files, m_time), stored);
    } catch (const Error& e) {
      out.push_back(Finding{"chat-rederive-failed", Severity::error, m_seq, m_messages_path,
                            std::string("the stored export no longer parses: ") + e.what()});
      return;
    }
    if (util::sha256_hex(text) != m_messages_sha256) {
      out.push_back(Finding{"chat-messages-differ", Severity::error, m_seq, m_messages_path,
                            "messages.json is not what the stored export gives (re-derived: " + std::to_string(text.size()) +
                                " bytes, SHA-256 " + util::sha256_hex(text) + ")"});
    }
  }

private:
  std::uint64_t m_seq;
  std::vector<chat::LineExportFile> m_files;
  chat::TimeOptions m_time;
  std::string m_messages_path;
  std::string m_messages_sha256;
  std::map<std::string, std::size_t> m_wanted; // case path -> index in m_files
  std::set<std::size_t> m_intact;
  std::size_t m_current = 0;
  std::optional<fs::path> m_tmp;
  util::UniqueFd m_out;
  std::string m_failed;
};

} // namespace

std::unique_ptr<EntryCheck> make_chat_check(const manifest::Json& line, std::uint64_t seq, const Options&, std::vector<Finding>& out) {
  const Json& c = util::member(line, "chat");
  const auto version = util::unsigned_field(c, "messages_format");
  if (!version || *version != chat::k_messages_format_version) {
    out.push_back(Finding{"chat-rederive-skipped", Severity::warning, seq, "",
                          "messages.json is of format " + (version ? std::to_string(*version) : std::string("(not recorded)")) +
                              ", which this cbkit does not write; it was not re-derived"});
    return nullptr;
  }
  return std::make_unique<ChatCheck>(line, seq);
}

} // namespace cbkit::verify
