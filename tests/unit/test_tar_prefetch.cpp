#include "bytes.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "tmpdir.hpp"
#include "verify/tar_prefetch.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fstream>
#include <openssl/evp.h>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace cbkit;
using cbkit::test::TempDir;
using cbkit::test::write_file;

namespace {

std::string sha512_hex(const std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out, &len, EVP_sha512(), nullptr);
  return util::to_hex(out, len);
}

} // namespace

TEST_CASE("RegionHasher: digests of regions at any offset, across mapped windows") {
  TempDir t;
  const std::string data = test::pseudo_random_bytes(verify::RegionHasher::k_window * 2 + 12345);
  write_file(t / "f", data);
  util::UniqueFd fd(::open((t / "f").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  verify::RegionHasher h(fd.get(), 2);
  const std::size_t whole = h.queue(0, data.size(), verify::RegionDigest::sha256);
  const std::size_t middle = h.queue(512, data.size() - 1024, verify::RegionDigest::sha512);
  const std::size_t empty = h.queue(700, 0, verify::RegionDigest::sha256);
  CHECK(h.wait(whole) == util::sha256_hex(data));
  CHECK(h.wait(middle) == sha512_hex(data.substr(512, data.size() - 1024)));
  CHECK(h.wait(empty) == util::sha256_hex(""));
}

TEST_CASE("RegionHasher: a region past the end of the file is reported unread, not a crash") {
  TempDir t;
  const std::string data = test::pseudo_random_bytes(1u << 20);
  write_file(t / "f", data);
  util::UniqueFd fd(::open((t / "f").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  verify::RegionHasher h(fd.get(), 1);
  // Mapped beyond the end: the pages past it raise SIGBUS when read (as when the file is
  // truncated while verify reads it); the job fails and the next one still runs.
  const std::size_t beyond = h.queue(0, 3u << 20, verify::RegionDigest::sha256);
  const std::size_t after = h.queue(4096, 4096, verify::RegionDigest::sha256);
  CHECK_FALSE(h.wait(beyond).has_value());
  CHECK(h.wait(after) == util::sha256_hex(data.substr(4096, 4096)));
}

TEST_CASE("index_plain_tar: a file that is not a tar has no index") {
  TempDir t;
  write_file(t / "f", test::pseudo_random_bytes(100000));
  util::UniqueFd fd(::open((t / "f").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  CHECK_FALSE(verify::index_plain_tar(fd.get(), 100000, 0, 1000).has_value());
}

TEST_CASE("index_plain_tar: each large member's data offset, behind pax headers too") {
  TempDir t;
  const std::string big = test::pseudo_random_bytes(3u << 20);
  const std::string small = "tiny";
  const std::string long_name = "bag/data/" + std::string(200, 'n') + "/video.bin"; // needs a pax header
  {
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    REQUIRE(archive_write_open_filename(a, (t / "a.tar").c_str()) == ARCHIVE_OK);
    for (const auto& [name, body] :
         {std::pair<std::string, std::string>{"bag/data/a.bin", big}, {"bag/data/s.txt", small}, {long_name, big.substr(1000)}}) {
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(body.size()));
      REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
      REQUIRE(archive_write_data(a, body.data(), body.size()) == static_cast<la_ssize_t>(body.size()));
      archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
  }
  std::ifstream in(t / "a.tar", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string file = ss.str();
  util::UniqueFd fd(::open((t / "a.tar").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd.valid());
  const auto index = verify::index_plain_tar(fd.get(), file.size(), 1u << 20, 1000);
  REQUIRE(index.has_value());
  REQUIRE(index->size() == 2); // the small member is read in the pass
  CHECK((*index)[0].name == "bag/data/a.bin");
  CHECK((*index)[0].size == big.size());
  CHECK(file.substr((*index)[0].offset, big.size()) == big);
  CHECK((*index)[1].name == long_name);
  CHECK(file.substr((*index)[1].offset, big.size() - 1000) == big.substr(1000));
  // Cut inside the last member's data: that member is no longer listed.
  const auto cut = verify::index_plain_tar(fd.get(), (*index)[1].offset + 10, 1u << 20, 1000);
  REQUIRE(cut.has_value());
  CHECK(cut->size() == 1);
}
