#pragma once

#include "cbkit/util/json.hpp"

#include <cstdint>
#include <string>

namespace cbkit::manifest {

// The project's JSON type (insertion-ordered keys), under the name the manifest code uses.
using Json = util::Json;

inline constexpr const char* k_zero_hash = "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr const char* k_manifest_name = "manifest.jsonl";

// Who made an entry.
struct Actor {
  std::string examiner;
  std::string user;
  std::string host;
};

// The current OS user and host name, with `examiner` as given.
Actor current_actor(const std::string& examiner);

// The common head of every line, in the fixed key order:
// seq, prev, time, kind, actor, tool, files. Kind-specific keys are appended by the caller.
Json make_line(std::uint64_t seq, const std::string& prev, const std::string& time, const std::string& kind, const Actor& actor,
               Json files);

// The canonical bytes of a line (no LF): no insignificant whitespace, UTF-8 unescaped,
// keys in insertion order. Throws Error(internal) if a string is not valid UTF-8.
std::string serialize(const Json& line);

} // namespace cbkit::manifest
