// store::media_type_of: libmagic's answer, from a helper process that a crash, a hang or
// its death between requests cannot take cbkit down with it.

#include "cbkit/store/media_type.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>

using cbkit::store::media_type_of;
namespace detail = cbkit::store::detail;

namespace {
const std::string k_png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde", 33);
const std::string k_pdf = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
const std::string k_text = "Je bent een loser, iedereen lacht om je.\n";

std::string type_of(const std::string& s) { return media_type_of(s.data(), s.size()); }
} // namespace

TEST_CASE("media types come from libmagic in a helper process", "[media_type]") {
  CHECK(type_of(k_png) == "image/png");
  CHECK(type_of(k_pdf) == "application/pdf");
  CHECK(type_of(k_text) == "text/plain");
  CHECK(media_type_of("", 0) == "application/x-empty");
  const int pid = detail::media_type_helper_pid();
  CHECK(pid > 0);
  CHECK(pid != ::getpid());
  // the same helper serves the next request
  CHECK(type_of(k_png) == "image/png");
  CHECK(detail::media_type_helper_pid() == pid);
}

TEST_CASE("a helper that died between requests is replaced without losing the answer", "[media_type]") {
  REQUIRE(type_of(k_text) == "text/plain");
  const int pid = detail::media_type_helper_pid();
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  ::usleep(50 * 1000);
  CHECK(type_of(k_pdf) == "application/pdf");
  const int next = detail::media_type_helper_pid();
  CHECK(next > 0);
  CHECK(next != pid);
}

TEST_CASE("a helper that does not answer in time costs that one type, not the run", "[media_type]") {
  REQUIRE(type_of(k_text) == "text/plain");
  const int pid = detail::media_type_helper_pid();
  REQUIRE(pid > 0);
  detail::set_media_type_timeout(300);
  REQUIRE(::kill(pid, SIGSTOP) == 0); // as if stuck in libmagic
  const auto start = std::chrono::steady_clock::now();
  CHECK(type_of(k_png) == "application/octet-stream");
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::seconds(5));
  CHECK(detail::media_type_helper_pid() == -1); // killed and reaped
  detail::set_media_type_timeout(20000);
  CHECK(type_of(k_png) == "image/png"); // a new helper for the next file
  CHECK(detail::media_type_helper_pid() != pid);
}

TEST_CASE("where no helper can be started, libmagic answers in this process", "[media_type]") {
  detail::set_media_type_helper_program("/nonexistent/cbkit-no-such-program");
  CHECK(type_of(k_png) == "image/png");
  CHECK(type_of(k_pdf) == "application/pdf");
  CHECK(detail::media_type_helper_pid() == -1); // none was started
  detail::set_media_type_helper_program("/proc/self/exe");
  CHECK(type_of(k_text) == "text/plain");
  CHECK(detail::media_type_helper_pid() > 0);
}
