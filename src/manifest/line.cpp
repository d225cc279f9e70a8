#include "cbkit/manifest/line.hpp"

#include "cbkit/error.hpp"
#include "cbkit/version.hpp"

#include <pwd.h>
#include <unistd.h>

namespace cbkit::manifest {

Actor current_actor(const std::string& examiner) {
  Actor a;
  a.examiner = examiner;
  // The reentrant form: entries are built on several threads at once (add-email's stagers).
  passwd pw{};
  passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(::geteuid(), &pw, buf, sizeof buf, &found) == 0 && found != nullptr && found->pw_name != nullptr) {
    a.user = found->pw_name;
  } else {
    a.user = "uid " + std::to_string(::geteuid());
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) a.host = host;
  return a;
}

Json make_line(std::uint64_t seq, const std::string& prev, const std::string& time, const std::string& kind, const Actor& actor,
               Json files) {
  Json line = Json::object();
  line["seq"] = seq;
  line["prev"] = prev;
  line["time"] = time;
  line["kind"] = kind;
  line["actor"] = Json{{"examiner", actor.examiner}, {"user", actor.user}, {"host", actor.host}};
  line["tool"] = Json{{"name", k_tool_name}, {"version", k_version}};
  line["files"] = files.is_null() ? Json::array() : std::move(files);
  return line;
}

std::string serialize(const Json& line) {
  try {
    return line.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::internal, std::string("cannot serialize manifest line: ") + e.what());
  }
}

} // namespace cbkit::manifest
