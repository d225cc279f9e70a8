#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace cbkit::manifest {

// Keys keep their insertion order, so a line is written in the fixed order the format
// prescribes and a parsed line re-serializes to the same order.
using Json = nlohmann::ordered_json;

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
