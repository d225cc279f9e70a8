#include "cbkit/seal/proof.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/seal/checkpoint.hpp"
#include "cbkit/seal/merkle.hpp"
#include "cbkit/seal/seal.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"

#include <fcntl.h>
#include <fstream>
#include <sstream>

namespace cbkit::seal {

using manifest::Json;

namespace {

std::string hex(const std::string& raw) { return util::to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()); }

bool unhex(const std::string& h, std::string& out) {
  if (h.size() != 64 || !util::is_sha256_hex(h)) return false;
  out.clear();
  for (std::size_t i = 0; i < h.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return true;
}

} // namespace

ProofResult make_inclusion_proof(const store::Case& c, std::uint64_t seq, std::optional<std::uint64_t> seal_seq) {
  const std::vector<SealInfo> seals = list_seals(c);
  const SealInfo* chosen = nullptr;
  for (const SealInfo& s : seals) {
    if (seal_seq ? s.seq == *seal_seq : s.tree_size > seq) {
      chosen = &s;
      break;
    }
  }
  if (!chosen) {
    if (seal_seq)
      throw Error(ErrorKind::usage, "--seal " + std::to_string(*seal_seq) + ": line " + std::to_string(*seal_seq) +
                                        " is not a seal; 'cbkit log' lists the seals");
    throw Error(ErrorKind::usage, "line " + std::to_string(seq) + " is not covered by any seal yet; run 'cbkit seal' first");
  }
  if (seq >= chosen->tree_size) {
    throw Error(ErrorKind::usage, "line " + std::to_string(seq) + " is not covered by seal " + std::to_string(chosen->seq) +
                                      " (it covers lines 0.." + std::to_string(chosen->tree_size - 1) + "); choose a later seal");
  }
  std::vector<std::string> leaves;
  std::string line;
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (leaves.size() < chosen->tree_size && reader.next(raw)) {
    leaves.push_back(leaf_hash(raw.bytes));
    if (raw.index == seq) line = raw.bytes;
  }
  const std::string where = util::utf8_lossy(c.manifest_path().string());
  if (leaves.size() < chosen->tree_size)
    throw Error(ErrorKind::case_, where + ": fewer lines than seal " + std::to_string(chosen->seq) + " covers; run 'cbkit verify'");
  const std::string root = root_of(leaves, leaves.size());
  if (hex(root) != chosen->root) {
    throw Error(ErrorKind::case_,
                where + ": the lines no longer match seal " + std::to_string(chosen->seq) + "'s root; run 'cbkit verify'");
  }
  std::ifstream in(c.root() / chosen->checkpoint_path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string checkpoint = ss.str();
  std::string error;
  const auto note = parse_checkpoint(checkpoint, error);
  if (!in || !note || note->checkpoint.root != root || note->checkpoint.size != chosen->tree_size) {
    throw Error(ErrorKind::case_, chosen->checkpoint_path + ": missing or not the checkpoint of seal " + std::to_string(chosen->seq) +
                                      "; run 'cbkit verify'");
  }
  Json proof = Json::array();
  for (const auto& h : inclusion_proof(leaves, seq, leaves.size()))
    proof.push_back(hex(h));
  Json j = Json::object();
  j["format"] = "cbkit-inclusion-proof-v1";
  j["case_id"] = c.info().id;
  j["seq"] = seq;
  j["line"] = line;
  j["tree_size"] = chosen->tree_size;
  j["seal_seq"] = chosen->seq;
  j["proof"] = std::move(proof);
  j["checkpoint"] = checkpoint;
  ProofResult r;
  r.json = j.dump(2) + "\n";
  r.seq = seq;
  r.seal_seq = chosen->seq;
  r.tree_size = chosen->tree_size;
  r.root = chosen->root;
  return r;
}

ProofCheck check_inclusion_proof(const std::string& text, const PublicKey& key, const std::vector<std::filesystem::path>& files) {
  ProofCheck r;
  r.key_fingerprint = key.fingerprint();
  auto parsed = util::parse_untrusted_json(text);
  if (!parsed) {
    r.problems.push_back(util::json_too_deep(text) ? "the proof file nests JSON too deeply" : "the proof file is not JSON");
    return r;
  }
  const Json& j = *parsed;
  if (!j.is_object() || j.value("format", "") != "cbkit-inclusion-proof-v1" || !j.contains("seq") || !j["seq"].is_number_unsigned() ||
      !j.contains("line") || !j["line"].is_string() || !j.contains("tree_size") || !j["tree_size"].is_number_unsigned() ||
      !j.contains("proof") || !j["proof"].is_array() || !j.contains("checkpoint") || !j["checkpoint"].is_string()) {
    r.problems.push_back(
        "the file is not a cbkit inclusion proof (format cbkit-inclusion-proof-v1 with seq, line, tree_size, proof, checkpoint)");
    return r;
  }
  r.seq = j["seq"].get<std::uint64_t>();
  r.line = j["line"].get<std::string>();
  r.tree_size = j["tree_size"].get<std::uint64_t>();
  // The line must say it is line `seq`: the position proven is the position claimed.
  const auto line = manifest::parse_line(r.line);
  if (!line || !line->contains("seq") || !(*line)["seq"].is_number_unsigned() || (*line)["seq"].get<std::uint64_t>() != r.seq) {
    r.problems.push_back("the line is not a manifest line with seq " + std::to_string(r.seq));
  }
  std::vector<std::string> path;
  for (const Json& h : j["proof"]) {
    std::string raw;
    if (!h.is_string() || !unhex(h.get<std::string>(), raw)) {
      r.problems.push_back("a proof hash is not 64 hex digits");
      return r;
    }
    path.push_back(raw);
  }
  std::string error;
  const auto note = parse_checkpoint(j["checkpoint"].get<std::string>(), error);
  if (!note) {
    r.problems.push_back("the checkpoint is not a signed note: " + error);
    return r;
  }
  r.origin = note->checkpoint.origin;
  r.root = hex(note->checkpoint.root);
  if (!checkpoint_signed_by(*note, key))
    r.problems.push_back("the checkpoint is not signed by key " + key.fingerprint().substr(0, 16) + "…");
  if (note->checkpoint.size != r.tree_size) r.problems.push_back("the proof's tree size is not the checkpoint's");
  const auto root = root_from_inclusion_proof(leaf_hash(r.line), r.seq, note->checkpoint.size, path);
  if (!root || *root != note->checkpoint.root) {
    r.problems.push_back(
        "the line and the audit path do not lead to the checkpoint's root: the line was altered or is not in the sealed log");
  }
  for (const auto& f : files) {
    util::UniqueFd fd(::open(f.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throw_errno(ErrorKind::input, util::utf8_lossy(f.string()));
    const std::string sha = util::sha256_fd(fd.get(), util::utf8_lossy(f.string())).sha256;
    bool found = false;
    if (line && line->contains("files") && (*line)["files"].is_array()) {
      for (const Json& rf : (*line)["files"]) {
        if (rf.is_object() && rf.contains("sha256") && rf["sha256"] == sha) found = true;
      }
    }
    r.files.emplace_back(util::utf8_lossy(f.string()), found);
    if (!found) r.problems.push_back(util::utf8_lossy(f.string()) + ": its SHA-256 is not one the line records");
  }
  r.ok = r.problems.empty();
  return r;
}

} // namespace cbkit::seal
