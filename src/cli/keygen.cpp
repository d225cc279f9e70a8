// cbkit keygen: an Ed25519 key pair for sealing. NAME.key (PEM PKCS#8, mode 0600),
// NAME.pub (PEM SPKI, for cbkit verify --pubkey and openssl pkeyutl) and NAME.minisign.pub
// (for minisign -V). Nothing is overwritten: a lost or replaced key would orphan every seal
// made with it. With --age: an age X25519 identity for receiving encrypted archives,
// NAME.age.key (mode 0600, as age-keygen writes it) and NAME.age.pub (the age1... recipient).

#include "cbkit/crypt/age.hpp"
#include "cbkit/error.hpp"
#include "cbkit/seal/keys.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>
#include <unistd.h>

namespace cbkit::cli {

namespace {

struct KeygenArgs {
  std::string out;
  bool force = false;
  bool age = false;
};

// The identity file in age-keygen's layout (two comment lines, then the secret), so `age -d
// -i` reads it as it is; the recipient alone in the .pub file.
int write_age_identity(const std::string& key_path, const std::string& pub_path, const GlobalOptions& g) {
  const crypt::X25519Identity id = crypt::X25519Identity::generate();
  const std::string recipient = id.recipient();
  const std::string key_text =
      "# created: " + util::utc_now().substr(0, 19) + "Z" + "\n# public key: " + recipient + "\n" + id.encode() + "\n";
  util::write_file_atomic(key_path, key_text, 0600);
  try {
    util::write_file_atomic(pub_path, recipient + "\n", 0644);
  } catch (...) {
    ::unlink(key_path.c_str());
    throw;
  }
  if (g.json) {
    g.out["key"] = key_path;
    g.out["public_key"] = pub_path;
    g.out["recipient"] = recipient;
  } else {
    std::cout << "age identity  " << key_path << " (keep it secret; mode 0600)\n"
              << "age recipient " << pub_path << "\n"
              << "recipient     " << recipient << "\n";
  }
  return 0;
}

int run_keygen(const KeygenArgs& args, const GlobalOptions& g) {
  const std::string key_path = args.out + (args.age ? ".age.key" : ".key");
  const std::string pub_path = args.out + (args.age ? ".age.pub" : ".pub");
  const std::string mini_path = args.out + ".minisign.pub";
  std::vector<std::string> paths{key_path, pub_path};
  if (!args.age) paths.push_back(mini_path);
  std::error_code ec;
  for (const auto& p : paths) {
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
  // holds the key can sign a forged seal (or, for an age identity, read the handover).
  if (const auto case_dir = store::case_containing(key_path); case_dir && !args.force) {
    throw Error(ErrorKind::usage, "--out " + util::utf8_lossy(args.out) + ": the private key would be written inside the case " +
                                      util::utf8_lossy(case_dir->string()) +
                                      "; keep it outside every case folder (e.g. --out ~/cbkit-keys/examiner), or pass --force");
  }
  if (args.age) return write_age_identity(key_path, pub_path, g);
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
    g.out["key"] = key_path;
    g.out["public_key"] = pub_path;
    g.out["minisign_public_key"] = mini_path;
    g.out["fingerprint"] = pub.fingerprint(); // kept for one release: "key_fingerprint"
    g.out["key_fingerprint"] = pub.fingerprint();
    g.out["key_id"] = pub.key_id();
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
  sub->add_flag("--age", args->age, "Make an age X25519 identity instead, to receive encrypted archives (NAME.age.key, NAME.age.pub)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_keygen(*args, g); }; });
}

} // namespace cbkit::cli
