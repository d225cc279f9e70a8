// cbkit prove: an RFC 9162 inclusion proof of one manifest line in a sealed checkpoint.

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/seal/proof.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct ProveArgs {
  std::uint64_t seq = 0;
  std::optional<std::uint64_t> seal;
  std::string out;
};

int run_prove(const ProveArgs& args, const GlobalOptions& g) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(args.out, ec))) {
    throw Error(ErrorKind::usage, "--out " + util::utf8_lossy(args.out) + ": exists; choose a new name (nothing is overwritten)");
  }
  const store::Case c = open_case(g);
  // A line the case does not have is a case error, as for 'cbkit show'.
  if (const manifest::Tail tail = manifest::read_tail(c.manifest_path()); args.seq > tail.seq) {
    throw Error(ErrorKind::case_, "entry " + std::to_string(args.seq) + ": no such entry in " + c.manifest_path().string() + " (it has " +
                                      std::to_string(tail.seq + 1) + " entries, 0 to " + std::to_string(tail.seq) + "); see 'cbkit log'");
  }
  const seal::ProofResult r = seal::make_inclusion_proof(c, args.seq, args.seal);
  util::write_file_atomic(args.out, r.json, 0644);
  if (g.json) {
    // "seq" is the proven line here (not the case's seq), as before.
    g.out["proof"] = args.out;
    g.out["seq"] = r.seq;
    g.out["seal"] = r.seal_seq; // kept for one release: "seal_seq"
    g.out["seal_seq"] = r.seal_seq;
    g.out["tree_size"] = r.tree_size;
    g.out["root"] = r.root;
  } else {
    std::cout << "proof " << args.out << ": line " << r.seq << " in seal " << r.seal_seq << " (tree size " << r.tree_size << ", root "
              << r.root << ")\n";
  }
  return 0;
}

} // namespace

void setup_prove(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<ProveArgs>();
  CLI::App* sub = app.add_subcommand("prove", "Write a proof that one manifest line is part of a sealed checkpoint");
  sub->add_option("SEQ", args->seq, "The line (entry) to prove")->required();
  sub->add_option("--seal", args->seal, "Seq of the seal line (default: the oldest seal that covers SEQ)");
  sub->add_option("--out", args->out, "Proof file to write (JSON)")->required();
  sub->callback([&action, &g, args] { action = [&g, args] { return run_prove(*args, g); }; });
}

} // namespace cbkit::cli
