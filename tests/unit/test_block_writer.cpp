#include "bytes.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/block_writer.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

using namespace cbkit;

TEST_CASE("BlockWriter writes the bytes in order, whole blocks and a short last one, and hands each block to on_block") {
  test::TempDir dir;
  const auto path = dir.path() / "out.bin";
  // 3 blocks of 8 KiB and a short rest, fed in pieces that do not line up with the blocks.
  const std::string data = test::pseudo_random_bytes(3 * 8192 + 1234);
  for (const bool direct : {false, true}) {
    std::filesystem::remove(path);
    util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | (direct ? O_DIRECT : 0), 0600));
    if (!fd.valid()) fd = util::UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600)); // no O_DIRECT here
    REQUIRE(fd.valid());
    util::Sha256 seen;
    std::size_t blocks = 0;
    {
      util::BlockWriter w(fd.get(), direct, "out.bin", 8192, 2, [&](const char* p, std::size_t n) {
        seen.update(p, n);
        ++blocks;
      });
      std::size_t at = 0;
      for (std::size_t piece : {1u, 5000u, 8192u, 3u, 20000u}) {
        const std::size_t k = std::min(piece, data.size() - at);
        REQUIRE(w.write(data.data() + at, k));
        at += k;
      }
      REQUIRE(at == data.size());
      w.finish();
      CHECK(w.error() == 0);
    }
    CHECK(blocks == 4);
    CHECK(util::to_hex(seen.finish()) == util::sha256_hex(data));
    CHECK(test::read_file(path) == data);
  }
}

TEST_CASE("BlockWriter's acquire/submit writes the caller's buffers in order") {
  test::TempDir dir;
  const auto path = dir.path() / "out.bin";
  util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
  REQUIRE(fd.valid());
  const std::string data = test::pseudo_random_bytes(5 * 4096 + 17);
  {
    util::BlockWriter w(fd.get(), false, "out.bin", 4096, 3);
    for (std::size_t at = 0; at < data.size(); at += 4096) {
      char* b = w.acquire();
      const std::size_t k = std::min<std::size_t>(4096, data.size() - at);
      std::memcpy(b, data.data() + at, k);
      w.submit(b, k);
    }
    w.finish();
  }
  CHECK(test::read_file(path) == data);
}

TEST_CASE("BlockWriter reports a failed write: write() returns false with the errno, finish() throws naming the file") {
  test::TempDir dir;
  const auto path = dir.path() / "ro.bin";
  { std::ofstream(path) << "x"; }
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY)); // every write fails with EBADF
  REQUIRE(fd.valid());
  util::BlockWriter w(fd.get(), false, "ro.bin", 4096, 2);
  const std::string data = test::pseudo_random_bytes(4 * 4096);
  bool ok = true;
  for (int i = 0; i < 50 && ok; ++i) // the failure shows once the writer thread has met it
    ok = w.write(data.data(), data.size());
  if (ok) {
    REQUIRE_THROWS_AS(w.finish(), Error);
  } else {
    CHECK(w.error() == EBADF);
    try {
      w.finish();
      FAIL("finish() did not throw");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("ro.bin") != std::string::npos);
    }
  }
  CHECK(w.error() == EBADF);
}
