// util::LazyLibrary: a library opened on first use, every symbol resolved at once, and the
// error a missing or wrong library gives (exit code 69, the library and the package named).

#include "cbkit/error.hpp"
#include "cbkit/util/lazy_library.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <string>

using cbkit::Error;
using cbkit::ErrorKind;
using cbkit::util::LazyLibrary;

namespace {
// zlib: linked into cbkit anyway, so the test opens a library that is surely installed.
constexpr const char* k_zlib_symbols[] = {"zlibVersion", "crc32"};

ErrorKind kind_of_load(LazyLibrary& lib, std::string& message) {
  try {
    lib.load();
  } catch (const Error& e) {
    message = e.what();
    return e.kind();
  }
  return ErrorKind::internal;
}
} // namespace

TEST_CASE("a lazy library resolves every symbol on first use", "[lazy]") {
  LazyLibrary lib("libz.so.1", "for the test", "zlib1g", k_zlib_symbols);
  using VersionFn = const char* (*)();
  const auto version = reinterpret_cast<VersionFn>(lib.address(0));
  REQUIRE(version != nullptr);
  CHECK(std::string(version()) == zlibVersion());
  using CrcFn = uLong (*)(uLong, const Bytef*, uInt);
  const auto crc = reinterpret_cast<CrcFn>(lib.address(1));
  const Bytef text[] = {'a', 'b', 'c'};
  CHECK(crc(0, text, 3) == 0x352441c2UL); // CRC-32 of "abc"
  lib.load();                             // a second load is a no-op
  CHECK(lib.address(0) == reinterpret_cast<void*>(version));
}

TEST_CASE("a library that is not installed is an unavailable error naming it and its package", "[lazy]") {
  LazyLibrary lib("libcbkit-no-such-library.so.7", "to test errors", "cbkit-no-such-package", k_zlib_symbols);
  std::string message;
  CHECK(kind_of_load(lib, message) == ErrorKind::unavailable);
  CHECK(message.find("cannot load libcbkit-no-such-library.so.7") != std::string::npos);
  CHECK(message.find("(on Debian 12: cbkit-no-such-package)") != std::string::npos);
  CHECK(message.find("to test errors") != std::string::npos);
  // and again on the next call, not a crash or a null address
  std::string again;
  CHECK(kind_of_load(lib, again) == ErrorKind::unavailable);
  CHECK(again == message);
  CHECK_THROWS_AS(lib.address(0), Error);
  CHECK(static_cast<int>(ErrorKind::unavailable) == 69);
}

TEST_CASE("a library without one of the functions is an unavailable error naming the function", "[lazy]") {
  constexpr const char* symbols[] = {"zlibVersion", "cbkit_no_such_function"};
  LazyLibrary lib("libz.so.1", "for the test", "zlib1g", symbols);
  std::string message;
  CHECK(kind_of_load(lib, message) == ErrorKind::unavailable);
  CHECK(message.find("libz.so.1 has no function cbkit_no_such_function") != std::string::npos);
  CHECK(message.find("(on Debian 12: zlib1g)") != std::string::npos);
}
