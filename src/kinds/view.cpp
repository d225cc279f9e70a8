#include "view.hpp"

namespace cbkit::kinds {

std::string str(const Json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : std::string();
}

const Json& member(const Json& obj, const char* key) {
  static const Json null;
  return obj.is_object() && obj.contains(key) ? obj[key] : null;
}

std::string scalar(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer() || v.is_number_unsigned() || v.is_number_float()) return v.dump();
  return "";
}

std::string short_hash(const std::string& hex) { return hex.size() > 12 ? hex.substr(0, 12) + "\xE2\x80\xA6" : hex; }

std::string file_names(const Json& line) {
  std::string s;
  const Json& files = member(line, "files");
  if (!files.is_array()) return s;
  for (const Json& f : files) {
    if (!s.empty()) s += ", ";
    s += str(f, "name").empty() ? str(f, "path") : str(f, "name");
  }
  return s;
}

} // namespace cbkit::kinds
