#include "cbkit/seal/seal.hpp"

#include "cbkit/error.hpp"
#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/seal/checkpoint.hpp"
#include "cbkit/seal/merkle.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/tsa/record.hpp"
#include "cbkit/tsa/rfc3161.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/lazy_library.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/version.hpp"

#include <sys/stat.h>

#include <set>

namespace cbkit::seal {

namespace fs = std::filesystem;
using manifest::Json;

namespace {

std::string display(const fs::path& p) { return util::utf8_lossy(p.string()); }

// What sealing learns from one read of the manifest.
struct LogState {
  TreeBuilder tree;
  std::string head;
  std::uint64_t lines = 0;
  std::string origin; // of the newest seal, reused so that one case is one log
};

// Reads every line and refuses to seal a log that `verify` would reject at the chain level
// (the seal would sign a broken chain), or whose recorded files are missing or resized.
// File contents are hashed while the archive is written, not here, so sealing reads each
// file once.
LogState read_log(const store::Case& c) {
  LogState s;
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  std::string prev = manifest::k_zero_hash;
  std::set<std::string> paths; // a path recorded twice would be two archive members
  const std::string where = display(c.manifest_path());
  auto broken = [&](std::uint64_t at, const std::string& what) {
    return Error(ErrorKind::case_, where + ": line " + std::to_string(at) + " " + what +
                                       "; nothing was sealed (run 'cbkit verify' and repair the case first)");
  };
  while (reader.next(raw)) {
    if (!raw.has_lf) throw broken(raw.index, "is torn (no final LF)");
    if (raw.too_long) throw broken(raw.index, "is too long");
    const auto j = manifest::parse_line(raw.bytes);
    if (!j || !j->contains("seq") || !(*j)["seq"].is_number_unsigned() || (*j)["seq"].get<std::uint64_t>() != raw.index)
      throw broken(raw.index, "is not valid JSON with seq " + std::to_string(raw.index));
    if (!j->contains("prev") || !(*j)["prev"].is_string() || (*j)["prev"].get<std::string>() != prev)
      throw broken(raw.index, "does not chain to the line before it");
    if (j->contains("files") && (*j)["files"].is_array()) {
      for (const Json& f : (*j)["files"]) {
        if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("size") || !f["size"].is_number_unsigned())
          throw broken(raw.index, "records an invalid file");
        const std::string path = f["path"].get<std::string>();
        // Everything the archive writer would refuse is refused here, before the seal line
        // and its signed checkpoint are appended.
        const std::string kind = j->contains("kind") && (*j)["kind"].is_string() ? (*j)["kind"].get<std::string>() : "";
        if (!manifest::is_safe_entry_path(path, kinds::area_of(kind)))
          throw broken(raw.index,
                       "records the path '" + util::utf8_lossy(path) + "', which leaves the " + kinds::area_of(kind) + "/ folder");
        if (!paths.insert(path).second) throw broken(raw.index, "records '" + util::utf8_lossy(path) + "' a second time");
        struct stat st {};
        if (::lstat((c.root() / path).c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
            static_cast<std::uint64_t>(st.st_size) != f["size"].get<std::uint64_t>()) {
          throw Error(ErrorKind::case_, display(c.root() / path) + " (recorded by line " + std::to_string(raw.index) +
                                            "): missing or not the recorded size; nothing was sealed (run 'cbkit verify')");
        }
      }
    }
    if (j->contains("kind") && (*j)["kind"] == "seal" && (*j).contains("seal") && (*j)["seal"].is_object() &&
        (*j)["seal"].contains("origin") && (*j)["seal"]["origin"].is_string()) {
      s.origin = (*j)["seal"]["origin"].get<std::string>();
    }
    s.tree.add_leaf_hash(leaf_hash(raw.bytes));
    prev = raw.sha256;
    s.head = raw.sha256;
    ++s.lines;
  }
  if (s.lines == 0) throw Error(ErrorKind::case_, where + ": empty; nothing to seal");
  return s;
}

} // namespace

std::vector<SealInfo> list_seals(const store::Case& c) {
  std::vector<SealInfo> out;
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (reader.next(raw)) {
    if (raw.bytes.find("\"kind\":\"seal\"") == std::string::npos) continue;
    const auto j = manifest::parse_line(raw.bytes);
    if (!j || !j->contains("kind") || (*j)["kind"] != "seal") continue;
    std::string error;
    if (auto s = parse_seal_line(*j, raw.index, error)) out.push_back(*s);
  }
  return out;
}

SealResult seal_case(const store::Case& c, const SealOptions& options) {
  check_archive_name(options.out, options.archive.encrypt_to.has_value());
  const auto format = archive_format_of(options.out);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(options.out, ec))) {
    throw Error(ErrorKind::usage, "--out " + display(options.out) + ": exists; choose a new name (nothing is overwritten)");
  }
  const fs::path out_dir = options.out.parent_path().empty() ? fs::path(".") : options.out.parent_path();
  if (!fs::is_directory(out_dir, ec)) throw Error(ErrorKind::usage, "--out " + display(options.out) + ": its folder does not exist");
  if (options.tsa_ca && !options.tsa_url) throw Error(ErrorKind::usage, "--tsa-ca needs --tsa URL");
  // The report and the seal line are recorded before the archive is written: the libraries
  // for the archive and the TSA must be there before either.
  util::require_archive();
  if (options.tsa_url) util::require_curl();
  const PrivateKey key = PrivateKey::load(options.key);
  const PublicKey pub = key.public_key();
  // If another command appends between reading the log and taking the lock, the checkpoint
  // would not cover it: the staged files go with the builder and the case is signed again.
  const auto [appended, sealed] = store::retry_on_head_move(5, "seal " + display(c.root()), [&] {
    std::optional<std::string> must_follow;
    if (options.before_seal) {
      read_log(c); // a log that cannot be sealed is refused before anything is recorded
      must_follow = options.before_seal();
    }
    LogState log = read_log(c);
    if (must_follow && log.head != *must_follow) {
      throw store::HeadMoved(display(c.root()) + ": the case changed after the entry recorded before the seal");
    }
    Checkpoint cp;
    cp.origin = log.origin.empty() ? "cbkit/" + c.info().id + "/" + util::random_hex(8) : log.origin;
    cp.size = log.lines;
    cp.root = log.tree.root();
    const std::string root_hex = util::to_hex(reinterpret_cast<const std::uint8_t*>(cp.root.data()), cp.root.size());

    store::EntryBuilder entry(c, "seal", options.examiner, options.lock_timeout);
    entry.add_bytes("checkpoint", sign_checkpoint(cp, key), "checkpoint", "text/plain; charset=utf-8");
    entry.add_bytes("public-key.pem", pub.pem(), "public-key", "application/x-pem-file");
    const Json covers = Json{{"seq", log.lines - 1}, {"head", log.head}};
    Json token;
    if (options.tsa_url) {
      tsa::ObtainOptions o;
      o.url = *options.tsa_url;
      o.ca = options.tsa_ca;
      o.user_agent = std::string("cbkit/") + k_version;
      const tsa::Stamp stamp = tsa::obtain(o, log.head);
      tsa::add_token_files(entry, stamp);
      token = tsa::token_record(covers, stamp, o, options.tsa_ca ? tsa::ca_file_sha256(*options.tsa_ca) : "");
    }

    SealInfo info;
    info.tree_size = log.lines;
    info.root = root_hex;
    info.covers_head = log.head;
    info.origin = cp.origin;
    info.fingerprint = pub.fingerprint();
    info.key_id = pub.key_id();
    Json s = Json::object();
    s["tree_size"] = log.lines;
    s["root"] = root_hex;
    s["covers"] = covers;
    s["origin"] = cp.origin;
    s["key"] = Json{{"algorithm", "ed25519"}, {"fingerprint", info.fingerprint}, {"key_id", info.key_id}};
    s["archive"] = Json{{"name", util::utf8_lossy(options.out.filename().string())}, {"format", format_name(*format)}};
    if (!token.is_null()) s["timestamp"] = std::move(token);
    const store::Committed committed = entry.commit(Json{{"seal", std::move(s)}}, log.head);
    info.time = committed.time;
    for (const store::FileRecord& f : committed.files) {
      if (f.role == "checkpoint") info.checkpoint_path = f.path;
      if (f.role == "public-key") info.public_key_path = f.path;
      if (f.role == "token") info.token_path = f.path;
      if (f.role == "tsa-chain") info.tsa_chain_path = f.path;
    }
    return std::make_pair(committed.appended, info);
  });
  SealResult r;
  r.appended = appended;
  r.info = sealed;
  r.info.seq = appended.seq;
  try {
    r.archive = write_archive(c, appended.seq, key, options.out, options.archive);
  } catch (const Error& e) {
    // The seal line is recorded: a full disk's "not recorded" would contradict what follows.
    std::string what = e.what();
    if (const auto at = what.find(k_disk_full_not_recorded); at != std::string::npos)
      what.replace(at, std::string_view(k_disk_full_not_recorded).size(), k_disk_full_hint);
    throw Error(e.kind(), what + " — seal line " + std::to_string(appended.seq) + " (head " + appended.head +
                              ") was recorded but no archive was written; after fixing this, write it with 'cbkit pack --seal " +
                              std::to_string(appended.seq) + " --key KEY --out ARCHIVE'");
  }
  return r;
}

} // namespace cbkit::seal
