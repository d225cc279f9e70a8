#include "cbkit/verify/verify.hpp"

#include "cbkit/crypt/age.hpp"
#include "cbkit/seal/keys.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/sha256.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct VerifyArgs {
  std::string target;
  std::optional<std::string> expect_head;
  std::vector<std::string> pubkeys;
  std::vector<std::string> allowed_signers;
  std::optional<std::string> tsa_ca;
  std::optional<std::string> identity;
  std::optional<std::string> passphrase_file;
  unsigned jobs = 0;
};

const char* severity_name(verify::Severity s) { return s == verify::Severity::error ? "error" : "warning"; }

int run_verify(const VerifyArgs& args, const GlobalOptions& g) {
  verify::Options options;
  if (args.expect_head) {
    std::string h = util::to_lower_ascii(*args.expect_head);
    if (!util::is_sha256_hex(h)) {
      throw Error(ErrorKind::usage, "--expect-head '" + util::utf8_lossy(*args.expect_head) +
                                        "': not a SHA-256 head (64 hex digits, as printed after 'head' by an appending command)");
    }
    options.expect_head = h;
  }
  if (args.tsa_ca) options.tsa_ca = *args.tsa_ca;
  options.jobs = args.jobs;
  for (const auto& k : args.pubkeys) {
    seal::load_public_key(k); // a key that cannot be read is a usage problem, not a finding
    options.pubkeys.emplace_back(k);
  }
  // A line that is not a signer is a usage problem naming the file and line.
  for (const auto& f : args.allowed_signers) {
    for (auto& s : verify::load_allowed_signers(f))
      options.signers.push_back(std::move(s));
  }
  // A file is an archive; an extracted archive (the bag folder or its data/) is checked like
  // the archive; another folder (or nothing) is a case.
  std::error_code ec;
  // A target that does not exist is a mistyped input (an archive or folder name), not a
  // folder that is no case.
  if (!args.target.empty() && !std::filesystem::exists(std::filesystem::symlink_status(args.target, ec))) {
    throw Error(ErrorKind::input, util::utf8_lossy(args.target) + ": no such file or folder; give a case folder or a sealed archive");
  }
  const bool is_archive =
      !args.target.empty() && !std::filesystem::is_directory(args.target, ec) && std::filesystem::exists(args.target, ec);
  std::optional<std::filesystem::path> bag;
  if (!is_archive && !args.target.empty()) bag = verify::bag_folder_of(args.target);
  std::optional<store::Case> c;
  if (!is_archive && !bag) {
    GlobalOptions where = g;
    if (!args.target.empty()) where.case_dir = args.target;
    c = open_case(where);
    g.out.set_case(*c);
    bag = verify::bag_folder_of(c->root()); // found from the working directory inside data/
  }
  // An age-encrypted archive is decrypted as it is read; the keys are checked first, so a
  // key file that cannot be used is a usage error, not a finding.
  // With keys, the archive is taken as encrypted even when its start was altered (that is
  // then the finding archive-age-header).
  if (is_archive && (crypt::looks_like_age_file(args.target) || args.identity || args.passphrase_file)) {
    std::optional<std::filesystem::path> id;
    std::optional<std::filesystem::path> pw;
    if (args.identity) id = *args.identity;
    if (args.passphrase_file) pw = *args.passphrase_file;
    options.decrypt = crypt::load_decrypt_keys(id, pw);
  } else if (args.identity || args.passphrase_file) {
    throw Error(ErrorKind::usage, std::string(args.identity ? "--identity" : "--passphrase-file") +
                                      ": only an encrypted archive file (ARCHIVE.age) is decrypted, not a folder");
  }
  std::string checked;
  verify::Report r;
  if (is_archive) {
    r = verify::verify_archive(args.target, options);
    checked = args.target;
  } else if (bag) {
    r = verify::verify_bag_folder(*bag, options);
    checked = util::utf8_lossy(bag->string());
  } else {
    r = verify::verify_case(c->root(), options);
    checked = c->root().string();
  }

  std::size_t errors = 0;
  std::size_t warnings = 0;
  for (const auto& f : r.findings)
    (f.severity == verify::Severity::error ? errors : warnings)++;

  if (g.json) {
    manifest::Json findings = manifest::Json::array();
    for (const auto& f : r.findings) {
      manifest::Json o = manifest::Json::object();
      o["code"] = f.code;
      o["severity"] = severity_name(f.severity);
      if (f.seq) o["seq"] = *f.seq;
      if (!f.path.empty()) o["path"] = f.path;
      o["message"] = f.message;
      findings.push_back(std::move(o));
    }
    manifest::Json& out = g.out.fields();
    out[is_archive ? "archive" : bag ? "bag_folder" : "case"] = checked;
    out["ok"] = r.ok();
    out["entries"] = r.entries; // kept for one release: "entry_count"
    out["entry_count"] = r.entries;
    out["files_checked"] = r.files_checked;
    out["bytes_checked"] = r.bytes_checked;
    out["head"] = r.head ? manifest::Json(*r.head) : manifest::Json();
    out["seq"] = r.seq ? manifest::Json(*r.seq) : manifest::Json();
    if (r.expect_head) {
      manifest::Json e = manifest::Json::object();
      e["hash"] = r.expect_head->hash;
      e["found_at_seq"] = r.expect_head->found_at_seq ? manifest::Json(*r.expect_head->found_at_seq) : manifest::Json();
      e["entries_after"] = r.expect_head->entries_after;
      out["expect_head"] = std::move(e);
    }
    out["findings"] = std::move(findings);
    manifest::Json seals = manifest::Json::array();
    for (const auto& s : r.seals) {
      seals.push_back(manifest::Json{{"seq", s.seq},
                                     {"tree_size", s.tree_size},
                                     {"root", s.root},
                                     {"key_fingerprint", s.key_fingerprint},
                                     {"pinned", s.pinned},
                                     {"ok", s.ok}});
      if (!s.signer.empty()) seals.back()["signer"] = s.signer;
    }
    out["seals"] = std::move(seals);
    if (!r.seals.empty()) {
      manifest::Json after = manifest::Json::array();
      for (const auto& [seq, kind] : r.after_last_seal)
        after.push_back(manifest::Json{{"seq", seq}, {"kind", kind}});
      // "seal" and "entries" kept for one release: "seal_seq" and "entries" as an array stay
      out["after_seal"] = manifest::Json{{"seal", r.seals.back().seq}, {"seal_seq", r.seals.back().seq}, {"entries", std::move(after)}};
    }
    if (r.archive) {
      const auto& a = *r.archive;
      out["bag"] = manifest::Json{{"format", a.format},
                                  {"top", a.top},
                                  {"sha256", a.sha256},
                                  {"size", a.size},
                                  {"payload_files", a.payload_files},
                                  {"payload_bytes", a.payload_bytes},
                                  {"signature_ok", a.signature_ok},
                                  {"pinned", a.pinned},
                                  {"key_fingerprint", a.key_fingerprint}};
    }
  } else {
    for (const auto& f : r.findings) {
      std::cout << severity_name(f.severity) << " " << f.code;
      if (!f.path.empty()) std::cout << " " << util::terminal_text(f.path, false);
      if (f.seq) std::cout << " (line " << *f.seq << ")";
      std::cout << ": " << util::terminal_text(f.message, false) << "\n"; // paths and values come from the case
    }
    for (const auto& s : r.seals) {
      std::cout << "seal " << s.seq << ": lines 0.." << (s.tree_size == 0 ? 0 : s.tree_size - 1) << ", key "
                << s.key_fingerprint.substr(0, 16) << "… "
                << (s.signer.empty() ? "" : "(signer " + util::terminal_text(s.signer, false) + ") ")
                << (s.pinned ? "(pinned)" : "(unpinned)") << ": " << (s.ok ? "OK" : "FAILED") << "\n";
    }
    for (const auto& [seq, kind] : r.after_last_seal)
      std::cout << "after seal " << r.seals.back().seq << ": seq " << seq << " (" << util::one_line(kind, 40)
                << ") is not covered by a seal yet\n";
    if (r.archive && bag) {
      const auto& a = *r.archive;
      std::cout << "bag folder " << util::terminal_text(a.path, false) << " (extracted archive): " << a.payload_files
                << " payload files; signature " << (a.signature_ok ? "OK" : "FAILED")
                << (a.pinned ? " (pinned key)" : " (embedded key, unpinned)") << "\n";
    } else if (r.archive) {
      const auto& a = *r.archive;
      std::cout << "archive " << util::terminal_text(a.path, false) << " (" << a.format << ", " << a.size << " bytes, sha256 " << a.sha256
                << "): bag " << a.top << ", " << a.payload_files << " payload files; signature " << (a.signature_ok ? "OK" : "FAILED")
                << (a.pinned ? " (pinned key)" : " (embedded key, unpinned)") << "\n";
    }
    if (r.expect_head && r.expect_head->found_at_seq) {
      std::cout << "receipt head found at seq " << *r.expect_head->found_at_seq << "; " << r.expect_head->entries_after << " entr"
                << (r.expect_head->entries_after == 1 ? "y" : "ies") << " added since\n";
    }
    const std::string totals = std::to_string(r.entries) + " entries, " + std::to_string(r.files_checked) + " files (" +
                               std::to_string(r.bytes_checked) + " bytes) verified";
    if (errors == 0) {
      std::cout << "OK: " << totals;
    } else {
      std::cout << "FAILED: " << errors << " problem" << (errors == 1 ? "" : "s") << " found; " << totals;
    }
    if (warnings > 0) std::cout << "; " << warnings << " warning" << (warnings == 1 ? "" : "s");
    if (r.head) std::cout << "; head " << *r.head;
    if (r.seq) std::cout << " seq " << *r.seq;
    std::cout << "\n";
  }
  return r.ok() ? 0 : 1;
}

} // namespace

void setup_verify(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* sub = app.add_subcommand("verify", "Check a case or a sealed archive: hash chain, every file, nothing unrecorded, seals");
  sub->add_option("TARGET", args->target,
                  "Case folder or sealed archive to check (default: --case, $CBKIT_CASE, or the working directory's case)");
  sub->add_option("--expect-head", args->expect_head, "Head hash from a receipt: the log must still contain it");
  sub->add_option("--pubkey", args->pubkeys,
                  "The examiner's public key (PEM .pub or minisign .pub): seals must be signed by it; repeat it after a key rotation "
                  "(each seal must be signed by one of them)")
      ->allow_extra_args(false);
  sub->add_option("--allowed-signers", args->allowed_signers,
                  "File of allowed seal keys, one a line: NAME KEY [valid-after=RFC3339] [valid-before=RFC3339]; each seal must be "
                  "signed by a listed key at a time within its window (combines with --pubkey)")
      ->allow_extra_args(false);
  sub->add_option("--tsa-ca", args->tsa_ca, "CA certificates (PEM) that RFC 3161 timestamp tokens must chain to")->check(CLI::ExistingFile);
  sub->add_option("--identity", args->identity,
                  "age identity file (NAME.age.key) to decrypt an encrypted archive (ARCHIVE.age) as it is read");
  sub->add_option("--passphrase-file", args->passphrase_file, "File whose first line is the passphrase of an encrypted archive");
  sub->add_option("--jobs", args->jobs, "Files of a case folder read and hashed at once (default 0: one per core, at most 4)")
      ->check(CLI::Range(0u, 64u));
  sub->callback([&action, &g, args] { action = [&g, args] { return run_verify(*args, g); }; });
}

} // namespace cbkit::cli
