// cbkit seal and cbkit pack: see cbkit-seal(1) and include/cbkit/seal/seal.hpp.

#include "cbkit/seal/seal.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct SealArgs {
  std::string key;
  std::string out;
  std::optional<std::string> tsa;
  std::optional<std::string> tsa_ca;
  std::string examiner;
};

manifest::Json archive_json(const seal::ArchiveResult& a) {
  return manifest::Json{{"path", a.path.string()},
                        {"format", seal::format_name(a.format)},
                        {"sha256", a.sha256},
                        {"size", a.size},
                        {"top", a.top},
                        {"payload_files", a.payload_files},
                        {"payload_bytes", a.payload_bytes},
                        {"receipt", a.receipt.string()}};
}

void print_archive(const seal::ArchiveResult& a) {
  std::cout << "archive " << a.path.string() << " (" << seal::format_name(a.format) << ", " << a.size << " bytes, " << a.payload_files
            << " payload files)\n"
            << "archive sha256 " << a.sha256 << "\n"
            << "receipt " << a.receipt.string() << "\n";
}

int run_seal(const SealArgs& args, const GlobalOptions& g) {
  seal::SealOptions o;
  o.key = args.key;
  o.out = args.out;
  o.tsa_url = args.tsa;
  if (args.tsa_ca) o.tsa_ca = *args.tsa_ca;
  o.examiner = examiner_or_env(args.examiner);
  o.lock_timeout = g.lock_timeout();
  const store::Case c = open_case(g);
  const seal::SealResult r = seal::seal_case(c, o);
  if (g.json) {
    manifest::Json j{{"head", r.appended.head},
                     {"seq", r.appended.seq},
                     {"entry", r.appended.entry_dir},
                     {"tree_size", r.info.tree_size},
                     {"root", r.info.root},
                     {"sealed_head", r.info.covers_head},
                     {"origin", r.info.origin},
                     {"key_fingerprint", r.info.fingerprint},
                     {"key_id", r.info.key_id},
                     {"timestamp", !r.info.token_path.empty()},
                     {"archive", archive_json(r.archive)}};
    print_json(j);
  } else {
    std::cout << "sealed lines 0.." << r.info.tree_size - 1 << " (tree size " << r.info.tree_size << ")\n"
              << "root " << r.info.root << "\n"
              << "key fingerprint " << r.info.fingerprint << " (key id " << r.info.key_id << ")\n";
    if (!r.info.token_path.empty()) std::cout << "timestamp " << r.info.token_path << "\n";
    print_archive(r.archive);
    print_receipt(r.appended);
  }
  return 0;
}

struct PackArgs {
  std::optional<std::uint64_t> seal;
  std::string key;
  std::string out;
};

int run_pack(const PackArgs& args, const GlobalOptions& g) {
  const store::Case c = open_case(g);
  std::uint64_t seq = 0;
  if (args.seal) {
    seq = *args.seal;
  } else {
    const auto seals = seal::list_seals(c);
    if (seals.empty())
      throw Error(ErrorKind::usage, util::utf8_lossy(c.root().string()) + ": the case has no seal; run 'cbkit seal' first");
    seq = seals.back().seq;
  }
  const seal::PrivateKey key = seal::PrivateKey::load(args.key);
  const seal::ArchiveResult a = seal::write_archive(c, seq, key, args.out);
  if (g.json) {
    manifest::Json j = archive_json(a);
    j["seal"] = seq;
    print_json(j);
  } else {
    std::cout << "seal " << seq << "\n";
    print_archive(a);
  }
  return 0;
}

} // namespace

void setup_seal(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<SealArgs>();
  CLI::App* sub = app.add_subcommand("seal", "Seal the case (signed checkpoint, seal line) and write the BagIt archive for handover");
  sub->add_option("--key", args->key, "Ed25519 private key from 'cbkit keygen' (NAME.key)")->required();
  sub->add_option("--out", args->out, "Archive to write: .tar, .tar.gz/.tgz, .tar.zst or .zip")->required();
  sub->add_option("--tsa", args->tsa, "RFC 3161 time-stamping authority URL: also timestamp the sealed head");
  sub->add_option("--tsa-ca", args->tsa_ca, "Trust anchors (PEM) the TSA's token must chain to");
  sub->add_option("--examiner", args->examiner, "Who seals (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_seal(*args, g); }; });

  auto pargs = std::make_shared<PackArgs>();
  CLI::App* pack = app.add_subcommand("pack", "Write the archive of a sealed state again (byte-identical to the seal's)");
  pack->add_option("--seal", pargs->seal, "Seq of the seal line (default: the newest seal)");
  pack->add_option("--key", pargs->key, "The private key that made the seal")->required();
  pack->add_option("--out", pargs->out, "Archive to write: .tar, .tar.gz/.tgz, .tar.zst or .zip")->required();
  pack->callback([&action, &g, pargs] { action = [&g, pargs] { return run_pack(*pargs, g); }; });
}

} // namespace cbkit::cli
