// cbkit verify-proof: checks an inclusion proof with only the proof file and the public key.

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/seal/proof.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace cbkit::cli {

namespace {

struct VerifyProofArgs {
  std::string proof;
  std::string pubkey;
  std::vector<std::string> files;
};

int run_verify_proof(const VerifyProofArgs& args, const GlobalOptions& g) {
  const seal::PublicKey key = seal::load_public_key(args.pubkey);
  std::ifstream in(args.proof, std::ios::binary);
  if (!in) throw Error(ErrorKind::input, util::utf8_lossy(args.proof) + ": cannot be read; give the file written by 'cbkit prove'");
  std::string text(4u << 20, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.gcount() == static_cast<std::streamsize>(4u << 20))
    throw Error(ErrorKind::input, util::utf8_lossy(args.proof) + ": too large for a proof");
  std::vector<std::filesystem::path> files(args.files.begin(), args.files.end());
  const seal::ProofCheck r = seal::check_inclusion_proof(text, key, files);
  if (g.json) {
    manifest::Json fj = manifest::Json::array();
    for (const auto& [f, ok] : r.files)
      fj.push_back(manifest::Json{{"path", f}, {"recorded", ok}});
    const auto line = manifest::parse_line(r.line);
    // "seq" is the proven line here (not a case's seq), as before.
    g.out["seq"] = r.seq;
    g.out["tree_size"] = r.tree_size;
    g.out["origin"] = r.origin;
    g.out["root"] = r.root;
    g.out["key_fingerprint"] = r.key_fingerprint;
    g.out["line"] = line ? *line : manifest::Json();
    g.out["files"] = fj;
    g.out["problems"] = r.problems;
  } else {
    for (const auto& p : r.problems)
      std::cout << "error: " << p << "\n";
    for (const auto& [f, ok] : r.files) {
      if (ok) std::cout << "file " << f << ": recorded by line " << r.seq << "\n";
    }
    if (r.ok) {
      std::cout << "OK: line " << r.seq << " is in the checkpoint of " << r.origin << " (tree size " << r.tree_size << ", root " << r.root
                << "), signed by key " << r.key_fingerprint << "\n";
      std::cout << r.line << "\n";
    } else {
      std::cout << "FAILED: the proof does not hold\n";
    }
  }
  return r.ok ? 0 : 1;
}

} // namespace

void setup_verify_proof(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<VerifyProofArgs>();
  CLI::App* sub = app.add_subcommand("verify-proof", "Check an inclusion proof with only the proof file and the examiner's public key");
  sub->add_option("PROOF", args->proof, "Proof file written by 'cbkit prove'")->required();
  sub->add_option("--pubkey", args->pubkey, "The examiner's public key (PEM .pub or minisign .pub)")->required();
  sub->add_option("--file", args->files, "A file whose SHA-256 the proven line must record (repeatable)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_verify_proof(*args, g); }; });
}

} // namespace cbkit::cli
