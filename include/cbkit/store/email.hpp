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
void add_emails(const Case& c, const AddEmailOptions& options, const std::function<void(const EmailAdded&)>& on_added);

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
