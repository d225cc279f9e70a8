#pragma once

// add-chat: one chat export (a file, a zip or a folder) stored byte for byte as one `chat`
// entry, with the derived messages.json (cbkit-add-chat(1), cbkit-manifest(5)).

#include "cbkit/chat/chat.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/entry.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::chat {

// Bounds on what an export may unpack to (a zip) or hold (a folder).
struct IntakeLimits {
  std::uint64_t max_total_bytes = 4ull << 30;  // all files of the export together
  std::uint64_t max_text_bytes = 256ull << 20; // an export given as one file (.txt, .json): parsed in memory
  std::uint64_t max_files = 100000;
  std::uint64_t max_ratio = 100;     // zip: bytes unpacked per byte of the zip (beyond the first MiB)
  std::size_t max_name_bytes = 1024; // a member's whole path
  std::size_t max_component_bytes = 255;
};

struct AddChatOptions {
  std::filesystem::path input;               // .txt, .json, .zip, or a folder
  std::string tz;                            // --tz; empty: the case's zone
  std::string date_order;                    // --date-order: "", "day-first", "month-first"
  std::string self;                          // --self: the export owner's name as the export writes it
  std::optional<std::uint64_t> from_person;  // --from-person: on whose device the export was made
  std::optional<std::uint64_t> about_person; // --about-person: whom the conversation is with (context.about_person)
  std::string note;
  std::string examiner;
  std::chrono::milliseconds lock_timeout{60000};
  IntakeLimits limits;
  // When every original file of the export (the zip, the text, each file of a folder) is
  // already an original in the case, nothing is stored: the result names that entry.
  bool skip_existing = false;
};

struct AddChatResult {
  // With skip_existing: the seq of the entry that already holds this export (nothing was
  // appended, appended and files are empty).
  std::optional<std::uint64_t> duplicate_of;
  std::string sha256; // of the export's first original file (the duplicate's hash)
  manifest::Appended appended;
  std::vector<store::FileRecord> files; // as recorded (paths relative to the case)
  manifest::Json chat;                  // the line's "chat" object
};

// Stores the export and its messages.json as one entry. Throws Error(usage) for a bad option
// (unknown zone, --from-person not a person), Error(input) for an input that is not an export
// cbkit reads, a hostile zip (member outside the export, link, device, duplicate, too large,
// too compressed), a folder holding anything but regular files and folders, or an export
// without messages; then nothing is recorded and no file is left in the case.
AddChatResult add_chat(const store::Case& c, const AddChatOptions& options);

// The files of a stored chat entry that form the export, in the order the line lists them:
// every file under "<entry>/export/", its `name` being its path inside the export. `line` is
// the entry's manifest line; `root` where the entry's folder is (a case root or a temporary
// folder). Files without a name are skipped.
struct LineExportFile {
  std::string case_path; // as recorded
  std::string rel;       // inside the export
  std::string entry_rel; // relative to the entry folder ("export/_chat.txt")
  std::string sha256;
  std::uint64_t size = 0;
};
std::vector<LineExportFile> export_files_of(const manifest::Json& line);

// The time options a line records (chat.parse), to re-derive messages.json.
TimeOptions time_options_of(const manifest::Json& line);

} // namespace cbkit::chat
