// cbkit decrypt: the clear archive of an age-encrypted one (see cbkit-decrypt(1)). The same
// as `age -d -i KEY -o OUT ARCHIVE.age`, but never leaves a partial or unauthenticated file.

#include "cbkit/crypt/age.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct DecryptArgs {
  std::string in;
  std::string out;
  std::optional<std::string> identity;
  std::optional<std::string> passphrase_file;
};

int run_decrypt(const DecryptArgs& args, const GlobalOptions& g) {
  std::optional<std::filesystem::path> id;
  std::optional<std::filesystem::path> pw;
  if (args.identity) id = *args.identity;
  if (args.passphrase_file) pw = *args.passphrase_file;
  const crypt::DecryptKeys keys = crypt::load_decrypt_keys(id, pw);
  const crypt::DecryptedFile r = crypt::decrypt_file(args.in, args.out, keys);
  if (g.json) {
    g.out["in"] = args.in;
    g.out["out"] = args.out;
    g.out["encrypted_bytes"] = r.encrypted_bytes;
    g.out["clear_bytes"] = r.clear_bytes;
    g.out["sha256"] = r.clear_sha256;
  } else {
    std::cout << "decrypted " << util::terminal_text(args.in, false) << " -> " << util::terminal_text(args.out, false) << " ("
              << r.clear_bytes << " bytes, sha256 " << r.clear_sha256 << ")\n"
              << "check: cbkit verify " << util::terminal_text(args.out, false) << " --pubkey EXAMINER.pub\n";
  }
  return 0;
}

} // namespace

void setup_decrypt(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<DecryptArgs>();
  CLI::App* sub = app.add_subcommand("decrypt", "Write the clear archive of an age-encrypted one (ARCHIVE.age)");
  sub->add_option("ARCHIVE", args->in, "The encrypted archive (NAME.tar.zst.age, ...)")->required();
  sub->add_option("--out", args->out, "The clear archive to write (never overwritten)")->required();
  sub->add_option("--identity", args->identity, "age identity file (NAME.age.key from 'cbkit keygen --age', or age-keygen's)");
  sub->add_option("--passphrase-file", args->passphrase_file, "File whose first line is the passphrase (for archives sealed with one)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_decrypt(*args, g); }; });
}

} // namespace cbkit::cli
