#include "cli/progress.hpp"

#include <iostream>

namespace cbkit::cli {

using manifest::Json;

Json CommittedRange::to_json() const {
  Json j = Json::object();
  j["count"] = count;
  j["first_seq"] = first ? Json(first->seq) : Json(nullptr);
  j["last_seq"] = last ? Json(last->seq) : Json(nullptr);
  j["head"] = last ? Json(last->head) : Json(nullptr);
  return j;
}

void print_jsonl(const Json& j) {
  std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  std::cout.flush();
}

Json jsonl_entry(const manifest::Appended& a, const std::string& input, const std::vector<store::FileRecord>& files, const Json& extra) {
  Json j = Json::object();
  j["type"] = "entry";
  j["seq"] = a.seq;
  j["head"] = a.head;
  j["dir"] = a.entry_dir;
  j["input"] = input;
  Json list = Json::array();
  for (const auto& f : files) {
    Json o{{"path", f.path}, {"sha256", f.sha256}, {"size", f.size}};
    if (!f.role.empty()) o["role"] = f.role;
    list.push_back(std::move(o));
  }
  j["files"] = std::move(list);
  for (const auto& [key, value] : extra.items())
    j[key] = value;
  return j;
}

Json jsonl_duplicate(const std::string& input, const std::string& sha256, std::uint64_t duplicate_of) {
  return Json{{"type", "duplicate"}, {"input", input}, {"sha256", sha256}, {"duplicate_of", duplicate_of}};
}

Json jsonl_summary(int exit_code, const CommittedRange& committed, const std::vector<std::string>& not_committed, std::size_t duplicates,
                   const std::string& error) {
  Json j = Json::object();
  j["type"] = "summary";
  j["ok"] = exit_code == 0;
  j["exit"] = exit_code;
  j["committed"] = committed.to_json();
  j["not_committed"] = not_committed;
  j["duplicate_count"] = duplicates;
  if (!error.empty()) j["error"] = error;
  return j;
}

} // namespace cbkit::cli
