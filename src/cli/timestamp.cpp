#include "cbkit/tsa/timestamp_entry.hpp"

#include "cbkit/error.hpp"
#include "cli/common.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

namespace cbkit::cli {

namespace {

struct TimestampArgs {
  std::string tsa;
  std::optional<std::string> tsa_ca;
  double timeout_seconds = 60;
  std::string proxy;
  std::string examiner;
};

// "+0.012345 s" from microseconds.
std::string seconds_text(std::int64_t micros) {
  char buf[48];
  const std::int64_t a = micros < 0 ? -micros : micros;
  std::snprintf(buf, sizeof buf, "%c%lld.%06lld s", micros < 0 ? '-' : '+', static_cast<long long>(a / 1000000),
                static_cast<long long>(a % 1000000));
  return buf;
}

int run_timestamp(const TimestampArgs& args, const GlobalOptions& g) {
  tsa::TimestampOptions options;
  options.obtain.url = args.tsa;
  if (args.tsa_ca) options.obtain.ca = std::filesystem::path(*args.tsa_ca);
  options.obtain.timeout_seconds = static_cast<long>(args.timeout_seconds);
  options.obtain.proxy = args.proxy;
  options.examiner = examiner_or_env(args.examiner);
  options.lock_timeout = g.lock_timeout();
  tsa::check_url(options.obtain.url); // a bad URL is a usage error even outside a case
  const store::Case c = open_case(g);
  const tsa::TimestampResult r = tsa::add_timestamp(c, options);

  const tsa::Stamp& s = r.stamp;
  g.out.add_appended(r.appended, recorded_files(c, r.appended));
  if (g.json) {
    g.out["entry"] = r.appended.entry_dir; // kept for one release: "dir"
    g.out["dir"] = r.appended.entry_dir;
    g.out["timestamp"] = r.record;
  } else {
    std::cout << "TSA time " << s.info.gen_time << " (local " << s.local_before << ", skew " << seconds_text(s.skew_micros) << ")\n";
    std::cout << "  covers head " << r.covers_head << " (seq " << r.covers_seq << ")\n";
    std::cout << "  serial " << s.info.serial << ", policy " << s.info.policy << ", signed by " << s.info.signer_subject << "\n";
    if (s.verification.chain_checked) {
      std::cout << "  TSA certificate chains to " << *args.tsa_ca << "\n";
    } else {
      std::cout << "  TSA not pinned: signature checked with the certificate it sent (give --tsa-ca to check who it is)\n";
    }
    print_receipt(r.appended);
  }
  return 0;
}

} // namespace

void setup_timestamp(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto args = std::make_shared<TimestampArgs>();
  CLI::App* sub = app.add_subcommand("timestamp", "Get an RFC 3161 trusted timestamp over the current head and record it");
  sub->add_option("--tsa", args->tsa, "URL of the time-stamping authority (http:// or https://)")->required();
  sub->add_option("--tsa-ca", args->tsa_ca,
                  "CA certificates (PEM) the TSA must chain to; without it only the token's own signature is checked")
      ->check(CLI::ExistingFile);
  sub->add_option("--timeout", args->timeout_seconds, "Seconds to wait for the TSA (default 60)")->check(CLI::Range(1.0, 3600.0));
  sub->add_option("--proxy", args->proxy, "Proxy for the TSA request, as curl takes it (default: none; the environment is ignored)");
  sub->add_option("--examiner", args->examiner, "Who adds this entry (default: $CBKIT_EXAMINER, else the case's examiner)");
  sub->callback([&action, &g, args] { action = [&g, args] { return run_timestamp(*args, g); }; });
}

} // namespace cbkit::cli
