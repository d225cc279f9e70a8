#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cbkit::verify {

enum class Severity { error, warning };

// One problem. `code` is stable (documented in cbkit-verify(1)); `message` is a sentence.
struct Finding {
  std::string code;
  Severity severity = Severity::error;
  std::optional<std::uint64_t> seq; // manifest line it concerns, when it concerns one
  std::string path;                 // case-relative path it concerns, when it concerns one
  std::string message;
};

struct Options {
  std::optional<std::string> expect_head;      // lowercase hex; the receipt's head
  std::optional<std::filesystem::path> tsa_ca; // trust anchors (PEM) for RFC 3161 tokens
  std::optional<std::filesystem::path> pubkey; // pinned seal key (PEM SPKI or minisign .pub)
};

// Where the receipt's head was found in the chain.
struct ExpectHead {
  std::string hash;
  std::optional<std::uint64_t> found_at_seq;
  std::uint64_t entries_after = 0;
};

struct Report {
  std::uint64_t entries = 0;       // manifest lines read
  std::uint64_t files_checked = 0; // recorded files hashed
  std::uint64_t bytes_checked = 0;
  std::optional<std::string> head;  // hash of the last line, when there is one
  std::optional<std::uint64_t> seq; // seq of the last line, when it parsed
  std::optional<ExpectHead> expect_head;
  std::vector<Finding> findings;

  // True when no finding has severity error.
  bool ok() const;
};

// Checks a case folder: the manifest (every line parses, canonical, ends with LF, seq
// contiguous, prev chain), every recorded file (exists, regular, size, SHA-256), nothing
// unrecorded under evidence/, and the --expect-head pin. Reports every problem; never
// stops at the first. Reads files in constant memory. Throws only when `case_root` has
// no manifest at all (Error(case_)).
Report verify_case(const std::filesystem::path& case_root, const Options& options);

} // namespace cbkit::verify
