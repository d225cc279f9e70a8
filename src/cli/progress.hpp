#pragma once

// What the multi-entry commands (add-email, add-file, add-chat) share for long runs: the
// --jsonl stream (one line per committed entry, written and flushed as soon as its group
// commit is durable, then one summary line) and the account of a run that stopped part way
// (committed and not committed inputs, in text and JSON).

#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/entry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::cli {

// The entries a run committed, in order.
struct CommittedRange {
  std::size_t count = 0;
  std::optional<manifest::Appended> first, last;

  void add(const manifest::Appended& a) {
    ++count;
    if (!first) first = a;
    last = a;
  }
  // {"count", "first_seq", "last_seq", "head"} (seqs and head null when nothing was committed).
  manifest::Json to_json() const;
};

// One --jsonl line: compact JSON and LF, written to stdout and flushed at once, so that a
// reader killed with the writer sees whole lines (a line cut by a kill has no LF).
void print_jsonl(const manifest::Json& j);

// The --jsonl line of a committed entry: {"type":"entry","seq","head","dir","input",
// "files":[{"path","sha256","size","role"}]} plus `extra`'s keys.
manifest::Json jsonl_entry(const manifest::Appended& a, const std::string& input, const std::vector<store::FileRecord>& files,
                           const manifest::Json& extra = manifest::Json::object());

// The --jsonl line of an input not stored again (--skip-existing).
manifest::Json jsonl_duplicate(const std::string& input, const std::string& sha256, std::uint64_t duplicate_of);

// The final --jsonl line: {"type":"summary","ok","exit","committed":{...},"not_committed":[...],
// "duplicate_count", "error"} ("error" only when the run failed).
manifest::Json jsonl_summary(int exit_code, const CommittedRange& committed, const std::vector<std::string>& not_committed,
                             std::size_t duplicates, const std::string& error = "");

} // namespace cbkit::cli
