#include "json_input.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <fstream>

namespace cbkit::chat::detail {

std::string read_export_file(const ExportFile& file) {
  const std::string name = util::utf8_lossy(file.rel);
  std::error_code ec;
  const auto size = std::filesystem::file_size(file.path, ec);
  if (ec) throw Error(ErrorKind::input, name + ": cannot read the file (" + ec.message() + ")");
  if (size > k_max_json_file) {
    throw Error(ErrorKind::input, name + ": " + std::to_string(size) + " bytes, more than the " +
                                      std::to_string(k_max_json_file / (1024 * 1024)) +
                                      " MiB a chat export file may have here; export a shorter period or a single chat");
  }
  std::ifstream in(file.path, std::ios::binary);
  if (!in) throw_errno(ErrorKind::input, name);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

std::string utc_seconds_text(std::int64_t seconds) {
  // format_utc writes "YYYY-MM-DDTHH:MM:SS.uuuuuuZ"; the chat model keeps whole seconds.
  const std::string full = util::format_utc(seconds, 0);
  return full.substr(0, full.size() - 8) + "Z";
}

std::string utc_millis_text(std::int64_t seconds, int millis) {
  const std::string full = util::format_utc(seconds, static_cast<std::int64_t>(millis) * 1000);
  return full.substr(0, full.size() - 4) + "Z";
}

void DefectTally::add(const std::string& code, const std::string& what, const std::string& where) {
  auto [it, inserted] = m_entries.try_emplace(code);
  if (inserted) {
    m_order.push_back(code);
    it->second.what = what;
  }
  ++it->second.count;
  if (it->second.places.size() < 5) it->second.places.push_back(where);
}

void DefectTally::flush(std::vector<Defect>& out) const {
  for (const auto& code : m_order) {
    const Entry& e = m_entries.at(code);
    std::string message = e.what + " (" + std::to_string(e.count) + (e.count == 1 ? " time: " : " times: ") + util::join(e.places, ", ");
    if (e.count > e.places.size()) message += ", ...";
    message += ")";
    out.push_back({code, message});
  }
}

std::string name_list(const std::vector<std::string>& names, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < max; ++i) {
    if (i > 0) out += ", ";
    out += "'" + util::one_line(names[i], 80) + "'";
  }
  if (names.size() > max) out += " and " + std::to_string(names.size() - max) + " more";
  return out;
}

} // namespace cbkit::chat::detail
