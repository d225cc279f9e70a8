#pragma once

// Conversations from chat exports (DESIGN "People, calls, conversations"; the derived file
// is documented in cbkit-messages.json(5)).
//
// A parser reads an export that is already stored (the original is the evidence) and
// returns the conversation as data; it never touches the case. The same parser runs at
// add-chat and again in verify, which re-derives messages.json from the stored files and
// compares it with the stored one, so a parser must be deterministic: same bytes and same
// options -> same Conversation.
//
// Every parser reads untrusted input: bounded in memory (a line, a message, a file are
// capped and a cut is a defect, never a crash), never follows a path outside the export.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::chat {

// One file of the export as stored in the entry: its path relative to the export's root
// ("_chat.txt", "photos/123.jpg", "messages/inbox/sam_1/message_1.json") and where the
// bytes are now on disk (in the staging folder or in the case).
struct ExportFile {
  std::string rel;            // relative path inside the export, '/'-separated
  std::filesystem::path path; // where to read it
  std::uint64_t size = 0;
};

// What the user told add-chat about time.
struct TimeOptions {
  std::string zone;        // IANA zone for local times without offset
  std::string zone_source; // "option" (--tz) or "case-zone"
  std::string date_order;  // "", "day-first", "month-first" (--date-order), for WhatsApp
};

// An attachment a message refers to.
struct Attachment {
  std::string name; // the name as written in the export ("IMG-20260101-WA0001.jpg")
  std::string rel;  // the export file it resolved to, or "" when missing from the export
  std::string kind; // "photo", "video", "audio", "file", "sticker", "share", ... as the export says
  std::string note; // the exporter's note written in place of a file it left out (Telegram
                    // "(File not included. ...)"); `name` is then ""
};

// One message, in the order of the conversation (oldest first, whatever the export's order).
struct Message {
  std::uint64_t index = 0;                  // 0-based, in conversation order
  std::string time_as_written;              // exactly as in the export ("20/11/2026, 21:14", "1732135440000");
                                            // Telegram: `date` (the exporter's local time), whose
                                            // `date_unixtime` gives `utc`
  std::string utc;                          // "2026-11-20T20:14:00Z", or "" when it could not be resolved
  std::string offset;                       // "+01:00", or "" (unresolved)
  std::string time_source;                  // "export-utc" (epoch in the export), "option", "case-zone", "export-local"
  bool time_ambiguous = false;              // the local time happens twice in the zone (autumn change)
  std::vector<std::string> time_candidates; // the UTC candidates when ambiguous/unresolved
  std::string sender;                       // as written ("~ Sam", "Sam"); "" for system messages
  std::string sender_id;                    // a platform ID when the export has one (Telegram "user123")
  std::string text;                         // the text, continuation lines joined with "\n"
  std::vector<Attachment> attachments;
  // flags
  bool system = false;  // a service/system line (joined, left, changed number, E2E notice)
  bool deleted = false; // "This message was deleted" and translations
  bool edited = false;
  bool forwarded = false;
  std::string forwarded_from;         // the original author when forwarded and the export names one (Telegram)
  std::string export_id;              // the message's ID in the export when it has one (Telegram "id")
  std::string reply_to;               // the export ID of the message this one answers (Telegram)
  bool media_omitted = false;         // "<Media omitted>" and translations
  bool continuation = false;          // continuation lines were joined into text
  std::vector<std::string> reactions; // "👍 by Sam" as the export gives them (Meta)
  std::string source_file;            // the export file the message was read from
  std::uint64_t source_line = 0;      // 1-based line (text formats) or 0
};

// A problem in the export that did not stop parsing (line cut, invalid UTF-8 replaced,
// mojibake repaired, unknown line kept as text...).
struct Defect {
  std::string code;    // stable, e.g. "line-too-long", "invalid-utf8", "mojibake-repaired"
  std::string message; // in words, naming the file and line
};

struct Conversation {
  std::string platform;                  // "whatsapp", "telegram", "instagram", "messenger"
  std::string variant;                   // e.g. "whatsapp-android-24h", "whatsapp-ios-12h-seconds", "telegram-desktop-json"
  std::string title;                     // the chat's name when the export gives one
  std::vector<std::string> participants; // as written, in order of first appearance (senders and listed participants)
  std::string date_order;                // WhatsApp: "day-first" / "month-first" / "" (not applicable)
  std::string date_order_rule;           // how it was decided ("a first field > 12 on line 4", "--date-order")
  std::string zone;                      // the zone local times were read in ("" when all times carry UTC)
  std::string zone_source;               // "option", "case-zone", or "" (all times in UTC in the export)
  std::vector<Message> messages;
  std::vector<Defect> defects;
};

// Thrown (as cbkit::Error with code `input`, exit 3) when no format is recognized; the
// message names the formats understood.
//
// Detects the platform from the files and parses. `files` is the whole export.
Conversation parse_export(const std::vector<ExportFile>& files, const TimeOptions& time);

// Per platform (called by parse_export; public for tests).
Conversation parse_whatsapp(const std::vector<ExportFile>& files, const TimeOptions& time);
Conversation parse_telegram(const std::vector<ExportFile>& files, const TimeOptions& time);
Conversation parse_meta(const std::vector<ExportFile>& files, const TimeOptions& time); // Instagram and Messenger

} // namespace cbkit::chat
