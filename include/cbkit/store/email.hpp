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
  // A message whose SHA-256 is already the one of an original file in the case (or of a
  // message earlier in this run) is not stored again: it is reported as a duplicate.
  bool skip_existing = false;
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
  std::size_t message_count = 0;      // messages found in the inputs
  // When add_emails throws after the inputs were checked: the messages neither committed nor
  // reported as duplicates, in input order (their source labels, as EmailAdded::source).
  std::vector<std::string> not_committed;
};

// A message that --skip-existing did not store again.
struct EmailDuplicate {
  std::string source;             // as EmailAdded::source
  std::string sha256;             // of the message's bytes
  std::uint64_t duplicate_of = 0; // the seq of the entry that holds the same bytes
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
// as anomalies.
//
// Messages are parsed and staged on up to two worker threads while the previous ones are
// committed in groups (store::commit_batch: at most k_batch_max_entries messages and
// k_batch_max_bytes per group, one syncfs, one lock, one write, one fsync); the committer
// waits a little (at most 50 ms) for a group to fill. Entries keep the input order.
// `on_added` is called for each entry right after its group is durable, in order;
// `on_duplicate` (with options.skip_existing) for each message not stored again.
// `intake` (when given) receives the refused and left-aside inputs of the folders before the
// first message is stored. Throws Error(input) naming every refused input when there are any
// and options.skip_unreadable is false (nothing stored).
// On SIGINT/SIGTERM the group being staged or committed is rolled back (whole entries only)
// and Error(partial) says what was committed (or Error(interrupted) when nothing was); any
// other error is rethrown as it is. In both cases `intake->not_committed` lists the rest.
void add_emails(const Case& c, const AddEmailOptions& options, const std::function<void(const EmailAdded&)>& on_added,
                EmailIntake* intake = nullptr, const std::function<void(const EmailDuplicate&)>& on_duplicate = {});

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
