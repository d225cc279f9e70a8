#pragma once

#include "cbkit/email/dkim.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/store/ingest.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::store {

struct AddEmailOptions {
  // .eml files, folders (recursively, sorted: every *.eml, and other non-hidden files that
  // start with a header field or "From "), or "-" (stdin). A file (given or found in a
  // folder) that is not *.eml and starts with an mbox "From " line is split as an mbox.
  std::vector<std::filesystem::path> inputs;
  std::vector<std::filesystem::path> mboxes; // mbox files: one entry per message
  Context context;
  std::vector<email::DkimKey> keys;
  std::string examiner;
  std::chrono::milliseconds lock_timeout{60000};
  // In a folder, what cannot be taken (a FIFO, socket or device, a symbolic link, a file that
  // cannot be read) is refused: without this, add-email stops before storing anything and
  // names every refused input; with it, the rest is stored and the refused are reported.
  bool skip_unreadable = false;
};

// An input of a folder that was not taken, and why.
struct RefusedInput {
  std::string input;  // the path as found
  std::string code;   // "special-file", "symlink", "unreadable"
  std::string reason; // in words
};

// Files of a folder that were looked at and left aside because they are not e-mails
// (no .eml name and no header field at their start) are not refused: they are counted.
struct EmailIntake {
  std::vector<RefusedInput> refused;
  std::vector<std::string> not_email; // regular files left aside as not e-mails (paths)
};

// The receipt of one stored message.
struct EmailAdded {
  manifest::Appended appended;
  std::string source;            // the input it came from (path, "stdin", or "mbox:offset")
  std::vector<StoredFile> files; // original.eml first, then headers.json and the derived files
  manifest::Json summary;        // the entry's "email" object
};

// Stores every message of the inputs, one manifest entry (kind "email") each, in input
// order: original.eml (the exact bytes), headers.json (the analysis), body.txt/body.html
// and attachments/. Every input is checked before the first message is stored (Error(input)
// naming it). A message that does not parse is still stored byte for byte, with its defects
// as anomalies. `on_added` is called after each entry is committed.
// `intake` (when given) receives the refused and left-aside inputs of the folders before the
// first message is stored. Throws Error(input) naming every refused input when there are any
// and options.skip_unreadable is false (nothing stored).
void add_emails(const Case& c, const AddEmailOptions& options, const std::function<void(const EmailAdded&)>& on_added,
                EmailIntake* intake = nullptr);

// One message of an mbox: where its bytes are (after its From_ line, without the empty
// line that separates it from the next) and the separator line itself.
struct MboxSpan {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string from_line; // without its line break
};

// Splits mbox bytes at lines starting with "From " (mboxo/mboxrd). Throws Error(input)
// naming `name` when the data does not start with a "From " line. Spans are in file order,
// do not overlap and lie inside `data`.
std::vector<MboxSpan> split_mbox(std::string_view data, const std::string& name);

// Parses a --dkim-key argument "DOMAIN:SELECTOR=FILE" and reads FILE (a TXT record text
// or a PEM public key). Throws Error(usage) for bad syntax, Error(input) for a bad file.
email::DkimKey parse_dkim_key_arg(const std::string& arg);

} // namespace cbkit::store
