#include "cbkit/seal/seal.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/seal/checkpoint.hpp"
#include "cbkit/seal/merkle.hpp"
#include "cbkit/store/staging.hpp"
#include "cbkit/tsa/rfc3161.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/version.hpp"

#include <sys/stat.h>

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

struct StoredFile {
  std::string name;
  std::string content;
};

// The log grew between reading it and taking the lock: seal again.
struct LogMoved {};

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
  const auto format = archive_format_of(options.out);
  if (!format) {
    throw Error(ErrorKind::usage,
                "--out " + display(options.out) + ": unknown archive format; end the name with .tar, .tar.gz, .tgz, .tar.zst or .zip");
  }
  std::error_code ec;
  if (fs::exists(fs::symlink_status(options.out, ec))) {
    throw Error(ErrorKind::usage, "--out " + display(options.out) + ": exists; choose a new name (nothing is overwritten)");
  }
  const fs::path out_dir = options.out.parent_path().empty() ? fs::path(".") : options.out.parent_path();
  if (!fs::is_directory(out_dir, ec)) throw Error(ErrorKind::usage, "--out " + display(options.out) + ": its folder does not exist");
  if (options.tsa_ca && !options.tsa_url) throw Error(ErrorKind::usage, "--tsa-ca needs --tsa URL");
  const PrivateKey key = PrivateKey::load(options.key);
  const PublicKey pub = key.public_key();
  const std::string examiner = options.examiner.empty() ? c.info().examiner : options.examiner;
  const manifest::Actor actor = manifest::current_actor(examiner);

  for (int attempt = 0;; ++attempt) {
    LogState log = read_log(c);
    Checkpoint cp;
    cp.origin = log.origin.empty() ? "cbkit/" + c.info().id + "/" + util::random_hex(8) : log.origin;
    cp.size = log.lines;
    cp.root = log.tree.root();
    const std::string root_hex = util::to_hex(reinterpret_cast<const std::uint8_t*>(cp.root.data()), cp.root.size());

    std::vector<StoredFile> files;
    files.push_back({"checkpoint", sign_checkpoint(cp, key)});
    files.push_back({"public-key.pem", pub.pem()});
    std::optional<tsa::Stamp> stamp;
    if (options.tsa_url) {
      tsa::ObtainOptions o;
      o.url = *options.tsa_url;
      o.ca = options.tsa_ca;
      o.user_agent = std::string("cbkit/") + k_version;
      stamp = tsa::obtain(o, log.head);
      files.push_back({"timestamp.tsr", stamp->response_der});
      if (!stamp->chain_pem.empty()) files.push_back({"tsa-chain.pem", stamp->chain_pem});
    }

    store::Staging staging(c, manifest::entry_area("seal"));
    for (const auto& f : files)
      util::write_file_atomic(staging.dir() / f.name, f.content, 0444);

    SealInfo info;
    info.tree_size = log.lines;
    info.root = root_hex;
    info.covers_head = log.head;
    info.origin = cp.origin;
    info.fingerprint = pub.fingerprint();
    info.key_id = pub.key_id();
    manifest::Appended appended;
    try {
      appended = manifest::append_entry(
          c.root(), "seal", staging.dir(),
          [&](const manifest::EntrySlot& slot) {
            if (slot.seq != log.lines || slot.prev != log.head) throw LogMoved{};
            Json jf = Json::array();
            for (const auto& f : files) {
              jf.push_back(
                  Json{{"path", slot.entry_dir + "/" + f.name}, {"sha256", util::sha256_hex(f.content)}, {"size", f.content.size()}});
            }
            Json line = manifest::make_line(slot.seq, slot.prev, slot.time, "seal", actor, std::move(jf));
            Json s = Json::object();
            s["tree_size"] = log.lines;
            s["root"] = root_hex;
            s["covers"] = Json{{"seq", log.lines - 1}, {"head", log.head}};
            s["origin"] = cp.origin;
            s["key"] = Json{{"algorithm", "ed25519"}, {"fingerprint", info.fingerprint}, {"key_id", info.key_id}};
            s["archive"] = Json{{"name", util::utf8_lossy(options.out.filename().string())}, {"format", format_name(*format)}};
            if (stamp) {
              s["timestamp"] = Json{{"tsa", *options.tsa_url},
                                    {"gen_time", stamp->info.gen_time},
                                    {"serial", stamp->info.serial},
                                    {"imprint", log.head},
                                    {"skew_micros", stamp->skew_micros}};
            }
            line["seal"] = std::move(s);
            info.time = slot.time;
            for (const auto& f : files) {
              const std::string p = slot.entry_dir + "/" + f.name;
              if (f.name == "checkpoint") info.checkpoint_path = p;
              if (f.name == "public-key.pem") info.public_key_path = p;
              if (f.name == "timestamp.tsr") info.token_path = p;
              if (f.name == "tsa-chain.pem") info.tsa_chain_path = p;
            }
            return line;
          },
          options.lock_timeout);
      staging.committed();
    } catch (const LogMoved&) {
      // Another command appended between our read and the lock: the checkpoint would not
      // cover it. The staged files are removed with `staging`; sign again.
      if (attempt >= 4)
        throw Error(ErrorKind::locked, display(c.root()) + ": the case keeps changing while sealing; try again when it is idle");
      continue;
    }
    info.seq = appended.seq;

    SealResult r;
    r.appended = appended;
    r.info = info;
    try {
      r.archive = write_archive(c, appended.seq, key, options.out);
    } catch (const Error& e) {
      throw Error(e.kind(), std::string(e.what()) + " — seal line " + std::to_string(appended.seq) + " (head " + appended.head +
                                ") was recorded but no archive was written; after fixing this, write it with 'cbkit pack --seal " +
                                std::to_string(appended.seq) + " --key KEY --out ARCHIVE'");
    }
    return r;
  }
}

} // namespace cbkit::seal
