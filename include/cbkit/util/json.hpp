#pragma once

// The project's JSON type and the few typed reads every reader of a manifest line, a
// headers.json or a proof file repeats. A line read from disk is untrusted: each accessor
// checks the type and never throws on a missing or mistyped field.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace cbkit::util {

// Keys keep their insertion order, so a line is written in the fixed order the format
// prescribes and a parsed line re-serializes to the same order.
using Json = nlohmann::ordered_json;

// How deep arrays and objects may nest in JSON read from a case, an archive or a proof file.
// cbkit writes at most a handful of levels; a line nested thousands deep would exhaust the
// stack of the recursive copy, compare and dump of the JSON type, so it is refused unparsed.
inline constexpr std::size_t k_max_json_depth = 64;

// True when `text` opens more than `max_depth` arrays/objects inside each other. Brackets
// inside JSON strings (escapes included) do not count. One pass over the bytes; it does not
// check that `text` is JSON otherwise.
bool json_too_deep(std::string_view text, std::size_t max_depth = k_max_json_depth);

// Parses untrusted text: nullopt when it is not JSON or nests deeper than `max_depth`
// (checked before parsing). Never throws.
std::optional<Json> parse_untrusted_json(std::string_view text, std::size_t max_depth = k_max_json_depth);

// obj[key] when obj is an object that has `key`; null otherwise.
inline const Json* field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// obj[key], or a null value when obj is not an object or lacks `key` (so reads can chain:
// member(member(line, "seal"), "covers")).
inline const Json& member(const Json& obj, std::string_view key) {
  static const Json null;
  const Json* v = field(obj, key);
  return v != nullptr ? *v : null;
}

// Any JSON scalar as text: a string as is, numbers and booleans as JSON writes them; "" for
// null, objects and arrays.
inline std::string scalar_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  return "";
}

// obj[key] when it is a string; nullopt when obj is not an object, lacks key or holds
// another type there.
inline std::optional<std::string> optional_string(const Json& obj, std::string_view key) {
  const Json* v = field(obj, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

// obj[key] when it is a string, else `fallback`.
inline std::string string_field(const Json& obj, std::string_view key, const std::string& fallback = "") {
  return optional_string(obj, key).value_or(fallback);
}

// obj[key] when it is a non-negative integer as parsed from text (the parser stores those
// as unsigned; a value built in code from a signed int is not one); nullopt otherwise.
inline std::optional<std::uint64_t> unsigned_field(const Json& obj, std::string_view key) {
  const Json* v = field(obj, key);
  if (v == nullptr || !v->is_number_unsigned()) return std::nullopt;
  return v->get<std::uint64_t>();
}

// True when obj[key] exists and is a string / a non-negative integer / an array / an object.
inline bool has_string(const Json& obj, std::string_view key) {
  const Json* v = field(obj, key);
  return v != nullptr && v->is_string();
}
inline bool has_unsigned(const Json& obj, std::string_view key) {
  const Json* v = field(obj, key);
  return v != nullptr && v->is_number_unsigned();
}
inline bool has_array(const Json& obj, std::string_view key) {
  const Json* v = field(obj, key);
  return v != nullptr && v->is_array();
}
inline bool has_object(const Json& obj, std::string_view key) {
  const Json* v = field(obj, key);
  return v != nullptr && v->is_object();
}

} // namespace cbkit::util
