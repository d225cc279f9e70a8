// cbkit seal and cbkit pack: see cbkit-seal(1) and include/cbkit/seal/seal.hpp.

#include "cbkit/seal/seal.hpp"
#include "cbkit/crypt/age.hpp"
#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/report/report.hpp"
#include "cbkit/util/text.hpp"
#include "cli/common.hpp"

#include <algorithm>
#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

// --recipient (repeatable), --recipient-file, --passphrase-file: whom the archive is
// encrypted to, or nothing for a clear archive.
struct EncryptArgs {
  std::vector<std::string> recipients;
  std::vector<std::string> recipient_files;
  std::optional<std::string> passphrase_file;

  std::optional<crypt::Recipients> resolve() const {
    if (recipients.empty() && recipient_files.empty() && !passphrase_file) return std::nullopt;
    crypt::Recipients r;
    for (const std::string& t : recipients) {
      std::string error;
      if (!crypt::parse_recipient(t, error)) throw Error(ErrorKind::usage, "--recipient '" + util::utf8_lossy(t) + "': " + error);
      r.x25519.push_back(util::to_lower_ascii(t));
    }
    for (const std::string& f : recipient_files)
      for (std::string& t : crypt::load_recipient_file(f))
        r.x25519.push_back(std::move(t));
    if (passphrase_file) {
      if (!r.x25519.empty())
        throw Error(ErrorKind::usage, "--passphrase-file cannot be combined with recipients (age allows a passphrase only alone)");
      r.passphrase = crypt::load_passphrase_file(*passphrase_file);
    }
    // The same recipient twice would only make the header longer.
    std::vector<std::string> unique;
    for (std::string& t : r.x25519)
      if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(std::move(t));
    r.x25519 = std::move(unique);
    return r;
  }

  void add_options(CLI::App* sub) {
    sub->add_option("--recipient", recipients,
                    "Encrypt the archive with age to this recipient (age1..., from 'cbkit keygen --age' or age-keygen); repeatable");
    sub->add_option("--recipient-file", recipient_files, "Encrypt to the age1... recipients in this file (one a line, # comments)");
    sub->add_option("--passphrase-file", passphrase_file, "Encrypt with the passphrase on this file's first line (age scrypt; alone)");
  }
};

struct SealArgs {
  EncryptArgs encrypt;
  std::string key;
  std::string out;
  std::optional<std::string> tsa;
  std::optional<std::string> tsa_ca;
  std::string examiner;
  bool no_report = false;
  std::string report_lang;
  bool if_changed = false;
};

// seal --if-changed when the last line is a seal: nothing was added since, so nothing is
// written; the existing seal is reported instead.
bool report_unchanged(const store::Case& c, const GlobalOptions& g) {
  const std::vector<seal::SealInfo> seals = seal::list_seals(c);
  const manifest::Tail tail = manifest::read_tail(c.manifest_path());
  if (seals.empty() || seals.back().seq != tail.seq) return false;
  const seal::SealInfo& s = seals.back();
  g.out.set_head(tail.head, tail.seq);
  if (g.json) {
    g.out["sealed"] = false;
    g.out["seal_seq"] = s.seq;
    g.out["tree_size"] = s.tree_size;
    g.out["root"] = s.root;
    g.out["sealed_head"] = s.covers_head;
    g.out["key_fingerprint"] = s.fingerprint;
    g.out["archive"] = nullptr;
    g.out["report"] = nullptr;
  } else {
    std::cout << "unchanged: nothing was added since seal " << s.seq << " (lines 0.." << s.tree_size - 1
              << "); no new seal, no archive written ('cbkit pack' writes its archive again)\n";
    std::cout << "head " << tail.head << " seq " << tail.seq << "\n";
  }
  return true;
}

// The language of the report recorded before the seal: --report-lang, else the case's own
// ("lang" of line 0's case object, when it names one), else the language of the newest
// recorded report (the one the examiner chose before), else English.
report::Lang seal_report_lang(const SealArgs& args, const report::CaseModel& model) {
  if (!args.report_lang.empty()) return *report::parse_lang(args.report_lang); // checked before
  const auto lang_of = [](const manifest::Json& line, const char* object) -> std::optional<report::Lang> {
    if (!line.is_object() || !line.contains(object) || !line[object].is_object()) return std::nullopt;
    const manifest::Json& o = line[object];
    if (!o.contains("lang") || !o["lang"].is_string()) return std::nullopt;
    return report::parse_lang(o["lang"].get<std::string>());
  };
  if (!model.entries.empty()) {
    if (auto l = lang_of(model.entries.front().line, "case")) return *l;
  }
  for (auto it = model.entries.rbegin(); it != model.entries.rend(); ++it) {
    if (it->kind != "report") continue;
    if (auto l = lang_of(it->line, "report")) return *l;
  }
  return report::Lang::en;
}

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

void add_encryption(manifest::Json& j, const seal::ArchiveResult& a) {
  if (a.recipients.empty()) return;
  j["encrypted_to"] = a.recipients;
  j["clear_sha256"] = a.clear_sha256;
  j["clear_size"] = a.clear_size;
}

void print_archive(const seal::ArchiveResult& a) {
  std::cout << "archive " << a.path.string() << " (" << seal::format_name(a.format) << ", " << a.size << " bytes, " << a.payload_files
            << " payload files)\n"
            << "archive sha256 " << a.sha256 << "\n"
            << "receipt " << a.receipt.string() << "\n";
  for (const std::string& r : a.recipients)
    std::cout << "encrypted to " << (r == "scrypt" ? std::string("a passphrase (age scrypt)") : r) << "\n";
}

int run_seal(const SealArgs& args, const GlobalOptions& g) {
  seal::SealOptions o;
  o.key = args.key;
  o.out = args.out;
  o.tsa_url = args.tsa;
  if (args.tsa_ca) o.tsa_ca = *args.tsa_ca;
  o.examiner = examiner_or_env(args.examiner);
  o.lock_timeout = g.lock_timeout();
  o.archive.encrypt_to = args.encrypt.resolve();
  if (!args.report_lang.empty() && !report::parse_lang(args.report_lang)) {
    throw Error(ErrorKind::usage, "--report-lang '" + util::utf8_lossy(args.report_lang) + "': unknown language; use en, nl, fr or de");
  }
  if (args.no_report && !args.report_lang.empty()) throw Error(ErrorKind::usage, "--report-lang and --no-report exclude each other");
  const store::Case c = open_case(g);
  if (args.if_changed && report_unchanged(c, g)) return 0;
  // The archive's data/report.html must be the sealed state: the report is recorded as the
  // line just before the seal line, describing everything before it (seal_case calls this
  // again when another command appends in between).
  std::optional<report::Recorded> recorded;
  report::Options ropts;
  if (!args.no_report) {
    o.before_seal = [&] {
      const report::CaseModel model = report::load_case(c.root(), true);
      ropts.lang = seal_report_lang(args, model);
      const std::string content = report::render_report(model, ropts);
      report::RecordOptions ro;
      ro.examiner = o.examiner;
      ro.lock_timeout = o.lock_timeout;
      recorded = report::record_report(c, model, content, ropts, ro);
      return recorded->appended.head;
    };
  }
  const seal::SealResult r = seal::seal_case(c, o);
  if (recorded) g.out.add_appended(recorded->appended, recorded_files(c, recorded->appended));
  g.out.add_appended(r.appended, recorded_files(c, r.appended));
  if (g.json) {
    manifest::Json j{{"head", r.appended.head},
                     {"seq", r.appended.seq},
                     {"entry", r.appended.entry_dir}, // kept for one release: "dir"
                     {"dir", r.appended.entry_dir},
                     {"sealed", true},
                     {"seal_seq", r.appended.seq},
                     {"tree_size", r.info.tree_size},
                     {"root", r.info.root},
                     {"sealed_head", r.info.covers_head},
                     {"origin", r.info.origin},
                     {"key_fingerprint", r.info.fingerprint},
                     {"key_id", r.info.key_id},
                     {"timestamp", !r.info.token_path.empty()},
                     {"archive", archive_json(r.archive)}};
    add_encryption(j["archive"], r.archive);
    if (recorded) {
      j["report"] = manifest::Json{
          {"path", recorded->path},        {"lang", report::lang_code(ropts.lang)}, {"format", report::format_name(ropts.format)},
          {"seq", recorded->appended.seq}, {"head", recorded->appended.head},       {"sha256", recorded->sha256}};
    } else {
      j["report"] = nullptr;
    }
    for (auto& [name, value] : j.items())
      g.out[name.c_str()] = std::move(value);
  } else {
    if (recorded) {
      std::cout << "report " << recorded->path << " (" << report::lang_code(ropts.lang) << ", line " << recorded->appended.seq << ")\n";
    }
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
  EncryptArgs encrypt;
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
  seal::ArchiveOptions ao;
  ao.encrypt_to = args.encrypt.resolve();
  const seal::ArchiveResult a = seal::write_archive(c, seq, key, args.out, ao);
  if (g.json) {
    manifest::Json j = archive_json(a);
    add_encryption(j, a);
    // The archive's fields stay flat for one release; "archive" holds them as seal's does.
    for (const auto& [name, value] : j.items())
      g.out[name.c_str()] = value;
    g.out["seal"] = seq; // kept for one release: "seal_seq"
    g.out["seal_seq"] = seq;
    g.out["archive"] = j;
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
  sub->add_option("--out", args->out, "Archive to write: .tar, .tar.gz/.tgz, .tar.zst or .zip (then .age when encrypted)")->required();
  args->encrypt.add_options(sub);
  sub->add_option("--tsa", args->tsa, "RFC 3161 time-stamping authority URL: also timestamp the sealed head");
  sub->add_option("--tsa-ca", args->tsa_ca, "Trust anchors (PEM) the TSA's token must chain to");
  sub->add_option("--examiner", args->examiner, "Who seals (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->add_flag("--no-report", args->no_report,
                "Do not record the report of the sealed state first (the archive then holds the newest recorded report, if any)");
  sub->add_option("--report-lang", args->report_lang,
                  "Language of the report recorded before the seal: en, nl, fr or de (default: the case's, else the newest recorded "
                  "report's, else en)");
  sub->add_flag("--if-changed", args->if_changed,
                "Seal only when something was added since the last seal; otherwise write nothing and report that seal");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_seal(*args, g); }; });

  auto pargs = std::make_shared<PackArgs>();
  CLI::App* pack = app.add_subcommand("pack", "Write the archive of a sealed state again (byte-identical to the seal's)");
  pack->add_option("--seal", pargs->seal, "Seq of the seal line (default: the newest seal)");
  pack->add_option("--key", pargs->key, "The private key that made the seal")->required();
  pack->add_option("--out", pargs->out, "Archive to write: .tar, .tar.gz/.tgz, .tar.zst or .zip (then .age when encrypted)")->required();
  pargs->encrypt.add_options(pack);
  pack->callback([&action, &g, pargs] { action = [&g, pargs] { return run_pack(*pargs, g); }; });
}

} // namespace cbkit::cli
