#pragma once

// Kind-specific checks of one manifest entry (WARC record digests and timestamp tokens of a
// capture, the checkpoint of a seal, ...), run by verify_case on a case folder and by the
// archive verifier on an archive's content. The generic checks (line, chain, file size and
// hash) stay in verify.cpp; a kind names its check in its row of the table of kinds
// (src/kinds/kinds.cpp), which make_entry_check() consults.

#include "cbkit/manifest/line.hpp"
#include "cbkit/verify/verify.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cbkit::verify {

// What a check may read of the whole case at finish() time.
struct CaseView {
  // SHA-256 of every manifest line's bytes (without LF), by seq: line_hashes[i] is the head
  // after line i. Only lines that were read; a torn or unparsable line still has its hash.
  const std::vector<std::string>* line_hashes = nullptr;
  // RFC 9162 leaf hashes, SHA-256(0x00 || line bytes), by seq (raw 32 bytes each).
  const std::vector<std::string>* leaf_hashes = nullptr;
};

// One entry's content check. The verifier feeds it the content of every recorded file of the
// entry that wants() accepts — in any order, each file whole and in chunks, in constant
// memory — then end_file(intact) says whether the bytes had the recorded size and SHA-256
// (a mismatch is already a finding; the check should not build on those bytes). A missing or
// unreadable file is not fed at all. finish() is called once at the end, with every line's
// hash; it reports what could not be checked only when that matters.
class EntryCheck {
public:
  virtual ~EntryCheck() = default;
  virtual bool wants(const std::string& path) const = 0;
  virtual void begin_file(const std::string& path) = 0;
  virtual void update(const char* data, std::size_t size) = 0;
  virtual void end_file(bool intact) = 0;
  virtual void finish(const CaseView& view, std::vector<Finding>& out) = 0;
};

// The check for `line` (already parsed and of a valid shape), or nullptr when its kind has no
// content checks. May add findings from the line alone (e.g. a capture made with --insecure).
std::unique_ptr<EntryCheck> make_entry_check(const manifest::Json& line, std::uint64_t seq, const Options& options,
                                             std::vector<Finding>& out);

} // namespace cbkit::verify
