#include "cbkit/tsa/timestamp_entry.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/tsa/record.hpp"

namespace cbkit::tsa {

using manifest::Json;

TimestampResult add_timestamp(const store::Case& c, const TimestampOptions& options) {
  check_url(options.obtain.url);
  const std::string ca_sha256 = options.obtain.ca ? ca_file_sha256(*options.obtain.ca) : "";

  return store::retry_on_head_move(options.attempts, "timestamp", [&] {
    const manifest::Tail tail = manifest::read_tail(c.manifest_path());
    TimestampResult result;
    result.covers_seq = tail.seq;
    result.covers_head = tail.head;
    result.stamp = obtain(options.obtain, tail.head);
    throw_if_interrupted("timestamp");

    store::EntryBuilder entry(c, "timestamp", options.examiner, options.lock_timeout);
    add_token_files(entry, result.stamp);
    result.record = token_record(Json{{"seq", tail.seq}, {"head", tail.head}}, result.stamp, options.obtain, ca_sha256);
    // The token must cover the head this line follows; anything else would record a
    // trusted time for a log state that is no longer the one before it.
    result.appended = entry.commit(Json{{"timestamp", result.record}}, tail.head).appended;
    return result;
  });
}

} // namespace cbkit::tsa
