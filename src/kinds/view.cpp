#include "view.hpp"

namespace cbkit::kinds {

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
