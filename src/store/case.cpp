#include "cbkit/store/case.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <cerrno>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace cbkit::store {

namespace {

bool has_manifest(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / manifest::k_manifest_name, ec);
}

Case open_at(const fs::path& dir, const std::string& how) {
  std::error_code ec;
  const fs::path abs = fs::absolute(dir, ec);
  if (!has_manifest(abs)) {
    throw Error(ErrorKind::case_, dir.string() + ": not a cbkit case (no manifest.jsonl in this folder" + how +
                                      "); create one with 'cbkit init DIR' or point --case at an existing case");
  }
  return Case::discover(abs);
}

} // namespace

bool is_valid_case_id(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.' || id[0] == '-') return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<fs::path> case_containing(const fs::path& path) {
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) dir = fs::absolute(path, ec).lexically_normal();
  for (;; dir = dir.parent_path()) {
    if (has_manifest(dir)) return dir;
    if (dir.empty() || dir == dir.root_path() || dir.parent_path() == dir) return std::nullopt;
  }
}

Case Case::discover(const std::optional<fs::path>& explicit_dir) {
  std::error_code ec;
  if (explicit_dir) {
    const fs::path abs = fs::absolute(*explicit_dir, ec).lexically_normal();
    if (!has_manifest(abs)) {
      throw Error(ErrorKind::case_, explicit_dir->string() +
                                        ": not a cbkit case (no manifest.jsonl in this folder); create one with 'cbkit init DIR' or "
                                        "pass the folder of an existing case");
    }
    return Case(abs);
  }
  if (const char* env = std::getenv("CBKIT_CASE"); env != nullptr && *env != '\0') {
    return open_at(env, ", taken from CBKIT_CASE");
  }
  const fs::path cwd = fs::current_path(ec);
  if (ec) throw Error(ErrorKind::case_, "cannot determine the working directory: " + ec.message());
  for (fs::path dir = cwd;; dir = dir.parent_path()) {
    if (has_manifest(dir)) return Case(dir);
    if (dir == dir.root_path() || dir.parent_path() == dir) break;
  }
  throw Error(ErrorKind::case_,
              cwd.string() + ": not a cbkit case (no manifest.jsonl here or in any parent folder); pass --case DIR or set CBKIT_CASE");
}

Case Case::init(const fs::path& dir, const InitOptions& options) {
  std::string id = options.case_id;
  if (id.empty()) {
    const std::string now = util::utc_now();
    id = "CASE-" + now.substr(0, 4) + now.substr(5, 2) + now.substr(8, 2) + "-" + util::random_hex(4);
  } else if (!is_valid_case_id(id)) {
    throw Error(ErrorKind::usage, "--case-id '" + util::utf8_lossy(id) +
                                      "': use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-' (e.g. BE-2026-0042)");
  }
  if (options.examiner.empty()) {
    throw Error(ErrorKind::usage, "--examiner: the name of the person collecting the evidence is required (or set CBKIT_EXAMINER)");
  }
  for (const auto* field : {&options.examiner, &options.organisation, &options.title, &options.timezone}) {
    if (!util::is_valid_utf8(*field)) throw Error(ErrorKind::usage, "'" + util::utf8_lossy(*field) + "': not valid UTF-8");
  }
  std::string tz = options.timezone.empty() ? util::local_timezone_name() : options.timezone;
  if (!options.timezone.empty() && tz != "UTC" && !fs::is_regular_file(fs::path("/usr/share/zoneinfo") / tz)) {
    throw Error(ErrorKind::usage, "--timezone '" + tz + "': unknown time zone; use an IANA name such as Europe/Brussels");
  }

  std::error_code ec;
  const fs::path abs = fs::absolute(dir, ec).lexically_normal();
  if (has_manifest(abs)) {
    throw Error(ErrorKind::case_, dir.string() + ": a case already exists here (manifest.jsonl found); use it, or pick another folder");
  }
  bool created = false;
  if (fs::exists(fs::symlink_status(abs, ec))) {
    if (!fs::is_directory(abs, ec)) throw Error(ErrorKind::case_, dir.string() + ": exists and is not a folder; pick another path");
    if (!fs::is_empty(abs, ec)) {
      throw Error(ErrorKind::case_, dir.string() + ": folder is not empty; a new case needs an empty or new folder");
    }
  } else {
    fs::create_directories(abs, ec);
    if (ec) {
      errno = ec.value();
      throw_errno(ErrorKind::io, dir.string());
    }
    created = true;
  }

  try {
    for (const char* sub : {"evidence", "seals"}) {
      if (::mkdir((abs / sub).c_str(), 0755) != 0) throw_errno(ErrorKind::io, (abs / sub).string());
    }
    util::write_file_atomic(abs / ".cbkit.lock", "", 0644);

    const std::string now = util::utc_now();
    manifest::Json line =
        manifest::make_line(0, manifest::k_zero_hash, now, "case", manifest::current_actor(options.examiner), manifest::Json::array());
    manifest::Json c = manifest::Json::object();
    c["format"] = 1;
    c["id"] = id;
    if (!options.title.empty()) c["title"] = options.title;
    c["examiner"] = options.examiner;
    if (!options.organisation.empty()) c["organisation"] = options.organisation;
    c["created"] = now;
    c["timezone"] = tz;
    c["utc_offset"] = util::current_utc_offset(tz);
    c["hash_algorithms"] = manifest::Json::array({"sha256"});
    line["case"] = std::move(c);
    // The manifest appears last and atomically: a folder without it is not a case.
    util::write_file_atomic(abs / manifest::k_manifest_name, manifest::serialize(line) + "\n", 0644);
  } catch (...) {
    if (created) {
      util::remove_tree_forcibly(abs);
    } else {
      for (const char* sub : {"evidence", "seals", ".cbkit.lock"}) {
        std::error_code ignored;
        fs::remove(abs / sub, ignored);
      }
    }
    throw;
  }
  return Case(abs);
}

CaseInfo Case::info() const {
  manifest::LineReader reader(manifest_path());
  manifest::RawLine raw;
  std::optional<manifest::Json> j;
  if (reader.next(raw) && !raw.too_long) j = manifest::parse_line(raw.bytes);
  if (!j || !j->contains("case") || !(*j)["case"].is_object()) {
    throw Error(ErrorKind::case_, manifest_path().string() + ": line 0 does not open a case; run 'cbkit verify'");
  }
  const auto& c = (*j)["case"];
  auto str = [&](const char* key) { return util::string_field(c, key); };
  return CaseInfo{str("id"), str("title"), str("examiner"), str("organisation"), str("timezone"), str("utc_offset")};
}

} // namespace cbkit::store
