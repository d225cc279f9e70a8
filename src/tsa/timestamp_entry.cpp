#include "cbkit/tsa/timestamp_entry.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/store/staging.hpp"
#include "cbkit/tsa/record.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"

namespace cbkit::tsa {

namespace {

using manifest::Json;

// Thrown from the line builder when the head moved after the token was obtained.
struct HeadMoved {};

struct Written {
  const char* name;
  const char* role;
  const char* media_type;
  std::string sha256;
  std::uint64_t size;
};

Written write_stored(const std::filesystem::path& dir, const char* name, const char* role, const char* media_type,
                     const std::string& bytes) {
  util::write_file_atomic(dir / name, bytes, 0444);
  return Written{name, role, media_type, util::sha256_hex(bytes), bytes.size()};
}

} // namespace

TimestampResult add_timestamp(const store::Case& c, const TimestampOptions& options) {
  check_url(options.obtain.url);
  const std::string ca_sha256 = options.obtain.ca ? ca_file_sha256(*options.obtain.ca) : "";
  const std::string examiner = options.examiner.empty() ? c.info().examiner : options.examiner;
  const manifest::Actor actor = manifest::current_actor(examiner);

  for (int attempt = 0; attempt < options.attempts; ++attempt) {
    const manifest::Tail tail = manifest::read_tail(c.manifest_path());
    TimestampResult result;
    result.covers_seq = tail.seq;
    result.covers_head = tail.head;
    result.stamp = obtain(options.obtain, tail.head);
    throw_if_interrupted("timestamp");

    store::Staging staging(c, manifest::entry_area("timestamp"));
    const Written files[] = {
        write_stored(staging.dir(), k_token_file, "token", k_token_media_type, result.stamp.response_der),
        write_stored(staging.dir(), k_request_file, "request", k_request_media_type, result.stamp.request_der),
        write_stored(staging.dir(), k_chain_file, "tsa-chain", k_chain_media_type, result.stamp.chain_pem),
    };
    throw_if_interrupted("timestamp");

    Json record = Json::object();
    record["covers"] = Json{{"seq", tail.seq}, {"head", tail.head}};
    record.update(stamp_record(result.stamp, options.obtain, ca_sha256));
    try {
      result.appended = manifest::append_entry(
          c.root(), "timestamp", staging.dir(),
          [&](const manifest::EntrySlot& slot) {
            // The token must cover the head this line follows; anything else would record
            // a trusted time for a log state that is no longer the one before it.
            if (slot.prev != tail.head || slot.seq != tail.seq + 1) throw HeadMoved{};
            Json list = Json::array();
            for (const Written& f : files) {
              list.push_back(Json{{"path", slot.entry_dir + "/" + f.name},
                                  {"sha256", f.sha256},
                                  {"size", f.size},
                                  {"role", f.role},
                                  {"media_type", f.media_type}});
            }
            Json line = manifest::make_line(slot.seq, slot.prev, slot.time, "timestamp", actor, std::move(list));
            line["timestamp"] = record;
            return line;
          },
          options.lock_timeout);
    } catch (const HeadMoved&) {
      continue; // the staging folder goes with `staging`; ask again over the new head
    }
    staging.committed();
    result.record = std::move(record);
    return result;
  }
  throw Error(ErrorKind::locked, "timestamp: other commands kept appending to the case while the TSA was asked (" +
                                     std::to_string(options.attempts) + " tries); nothing recorded: run it again when the case is quiet");
}

} // namespace cbkit::tsa
