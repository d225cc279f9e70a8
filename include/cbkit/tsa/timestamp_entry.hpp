#pragma once

// `cbkit timestamp`: an RFC 3161 token over the case's current head, stored as an entry of
// kind "timestamp" under seals/<seq>-timestamp/ (see cbkit-timestamp(1)).

#include "cbkit/manifest/line.hpp"
#include "cbkit/manifest/writer.hpp"
#include "cbkit/store/case.hpp"
#include "cbkit/tsa/rfc3161.hpp"

#include <chrono>
#include <string>

namespace cbkit::tsa {

struct TimestampOptions {
  ObtainOptions obtain;
  std::string examiner; // empty: the case's examiner
  std::chrono::milliseconds lock_timeout{60000};
  int attempts = 3; // how often to ask again when another command appended meanwhile
};

struct TimestampResult {
  manifest::Appended appended;
  Stamp stamp;
  std::uint64_t covers_seq = 0;
  std::string covers_head;
  manifest::Json record; // the line's "timestamp" object
};

// Asks the TSA for a token over the current head (the SHA-256 of the last manifest line),
// writes timestamp.tsr, timestamp.tsq and tsa-chain.pem, and appends a "timestamp" line
// whose prev is that head. The TSA is asked without holding the case lock (it may take a
// while); if another command appended meanwhile, the token covers a stale head, so it is
// dropped and the TSA asked again over the new head, up to `attempts` times, then
// Error(locked). Throws what tsa::obtain throws (nothing is written then), Error(case_) for
// a torn manifest, Error(io) when the case cannot be written. Nothing half-written stays.
TimestampResult add_timestamp(const store::Case& c, const TimestampOptions& options);

} // namespace cbkit::tsa
