// cbkit keygen: an Ed25519 key pair for sealing. NAME.key (PEM PKCS#8, mode 0600),
// NAME.pub (PEM SPKI, for cbkit verify --pubkey and openssl pkeyutl) and NAME.minisign.pub
// (for minisign -V). Nothing is overwritten: a lost or replaced key would orphan every seal
// made with it.

#include "cbkit/error.hpp"
#include "cbkit/seal/keys.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>
#include <unistd.h>

namespace cbkit::cli {

namespace {

struct KeygenArgs {
  std::string out;
  bool force = false;
};

int run_keygen(const KeygenArgs& args, const GlobalOptions& g) {
  const std::string key_path = args.out + ".key";
  const std::string pub_path = args.out + ".pub";
  const std::string mini_path = args.out + ".minisign.pub";
  std::error_code ec;
  for (const auto& p : {key_path, pub_path, mini_path}) {
    if (std::filesystem::exists(std::filesystem::symlink_status(p, ec))) {
      throw Error(ErrorKind::usage, util::utf8_lossy(p) + ": exists; keygen never overwrites a key (choose another --out)");
    }
  }
  const std::filesystem::path dir = std::filesystem::path(key_path).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
    throw Error(ErrorKind::usage,
                "--out " + util::utf8_lossy(args.out) + ": the folder " + util::utf8_lossy(dir.string()) + " does not exist");
  }
  // A private key inside a case would travel with it: seal copies only recorded files into
  // the archive, but the case folder itself is often copied or shared whole, and whoever
  // holds the key can sign a forged seal.
  if (const auto case_dir = store::case_containing(key_path); case_dir && !args.force) {
    throw Error(ErrorKind::usage, "--out " + util::utf8_lossy(args.out) + ": the private key would be written inside the case " +
                                      util::utf8_lossy(case_dir->string()) +
                                      "; keep it outside every case folder (e.g. --out ~/cbkit-keys/examiner), or pass --force");
  }
  const seal::PrivateKey key = seal::PrivateKey::generate();
  const seal::PublicKey pub = key.public_key();
  std::vector<std::string> written;
  try {
    util::write_file_atomic(key_path, key.pem(), 0600);
    written.push_back(key_path);
    util::write_file_atomic(pub_path, pub.pem(), 0644);
    written.push_back(pub_path);
    util::write_file_atomic(mini_path, pub.minisign(), 0644);
    written.push_back(mini_path);
  } catch (...) {
    for (const auto& p : written)
      ::unlink(p.c_str());
    throw;
  }
  if (g.json) {
    print_json(manifest::Json{{"key", key_path},
                              {"public_key", pub_path},
                              {"minisign_public_key", mini_path},
                              {"fingerprint", pub.fingerprint()},
                              {"key_id", pub.key_id()}});
  } else {
    std::cout << "private key  " << key_path << " (keep it secret; mode 0600)\n"
              << "public key   " << pub_path << "\n"
              << "minisign key " << mini_path << "\n"
              << "fingerprint  " << pub.fingerprint() << "\n"
              << "key id       " << pub.key_id() << "\n";
  }
  return 0;
}

} // namespace

void setup_keygen(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<KeygenArgs>();
  CLI::App* sub = app.add_subcommand("keygen", "Make an Ed25519 key pair for sealing (NAME.key, NAME.pub, NAME.minisign.pub)");
  sub->add_option("--out", args->out, "Base name of the key files, e.g. examiner")->required();
  sub->add_flag("--force", args->force, "Write the key even inside a case folder (refused otherwise)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_keygen(*args, g); }; });
}

} // namespace cbkit::cli
