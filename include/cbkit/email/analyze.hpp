#pragma once

#include "cbkit/email/dkim.hpp"
#include "cbkit/email/headers.hpp"
#include "cbkit/email/mime.hpp"
#include "cbkit/util/json.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::email {

// Thresholds of the time anomalies (documented in cbkit-headers.json(5)).
inline constexpr std::int64_t k_future_tolerance_seconds = 15 * 60;
inline constexpr std::int64_t k_date_vs_first_hop_seconds = 2 * 60 * 60;

struct Analysis {
  util::Json headers_json; // the content of headers.json
  util::Json summary;      // the manifest entry's "email" object
};

// Analyses one message: every header (raw, unfolded, decoded), the Received chain, the
// summary fields, Authentication-Results, DKIM (with `keys`), the originating IP, and the
// anomalies, combined with what the MIME walk found (`mime`). `now` is the ingestion time
// (epoch seconds). Never throws on bad input.
Analysis analyze_message(std::string_view message, const std::string& sha256, const HeaderBlock& block, const MimeReport& mime,
                         const std::vector<DkimKey>& keys, std::int64_t now);

} // namespace cbkit::email
