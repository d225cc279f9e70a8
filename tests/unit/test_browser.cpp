#include "cbkit/capture/browser.hpp"
#include "cbkit/error.hpp"
#include "tmpdir.hpp"

#include <catch2/catch.hpp>

using cbkit::capture::BrowserRequest;
using cbkit::capture::read_netscape_cookie_file;

TEST_CASE("Netscape cookie file: fields, HttpOnly prefix, comments", "[browser]") {
  cbkit::test::TempDir t;
  cbkit::test::write_file(t / "c.txt", "# Netscape HTTP Cookie File\n"
                                       "\n"
                                       ".social.example\tTRUE\t/\tTRUE\t1893456000\tsession\tabc=def\r\n"
                                       "#HttpOnly_www.social.example\tFALSE\t/p\tFALSE\t0\tsid\t\n");
  const auto cookies = read_netscape_cookie_file(t / "c.txt");
  REQUIRE(cookies.size() == 2);
  CHECK(cookies[0].domain == ".social.example");
  CHECK(cookies[0].include_subdomains);
  CHECK(cookies[0].secure);
  CHECK_FALSE(cookies[0].http_only);
  CHECK(cookies[0].expires == 1893456000);
  CHECK(cookies[0].name == "session");
  CHECK(cookies[0].value == "abc=def"); // '=' and the CR of a CRLF file handled
  CHECK(cookies[1].domain == "www.social.example");
  CHECK(cookies[1].http_only);
  CHECK_FALSE(cookies[1].include_subdomains);
  CHECK(cookies[1].path == "/p");
  CHECK(cookies[1].expires == 0);
  CHECK(cookies[1].value.empty());
}

TEST_CASE("Netscape cookie file: a malformed line names the file and line", "[browser]") {
  cbkit::test::TempDir t;
  const auto expect_bad = [&](const std::string& line, const std::string& why) {
    cbkit::test::write_file(t / "bad.txt", "# comment\n" + line + "\n");
    try {
      read_netscape_cookie_file(t / "bad.txt");
      FAIL("accepted: " << line);
    } catch (const cbkit::Error& e) {
      CHECK(e.kind() == cbkit::ErrorKind::input);
      const std::string msg = e.what();
      CHECK(msg.find("bad.txt:2:") != std::string::npos);
      CHECK(msg.find(why) != std::string::npos);
    }
  };
  expect_bad("example.org TRUE / FALSE 0 a b", "1 fields");
  expect_bad("example.org\tyes\t/\tFALSE\t0\ta\tb", "field 2");
  expect_bad("example.org\tTRUE\t/\tFALSE\tsoon\ta\tb", "expiry");
  expect_bad("example.org\tTRUE\t/\tFALSE\t0\t\tb", "empty cookie name");
  CHECK_THROWS_AS(read_netscape_cookie_file(t / "missing.txt"), cbkit::Error);
}

TEST_CASE("Reconstructed HTTP heads for the WARC", "[browser]") {
  BrowserRequest r;
  r.url = "https://social.example/p/123?x=1#frag";
  r.method = "GET";
  r.request_headers = {{"Accept", "text/html"}, {":authority", "social.example"}};
  r.status = 200;
  r.status_text = "OK";
  r.response_headers = {{"content-type", "text/html"}, {"content-encoding", "gzip"}, {"Content-Length", "99"}, {"set-cookie", "a=1\nb=2"}};
  r.body_size = 1234;

  const std::string req = cbkit::capture::http_request_head(r);
  CHECK(req.starts_with("GET /p/123?x=1 HTTP/1.1\r\n")); // origin form, no fragment
  CHECK(req.find("Accept: text/html\r\n") != std::string::npos);
  CHECK(req.find(":authority") == std::string::npos); // HTTP/2 pseudo-header dropped
  CHECK(req.find("Host: social.example\r\n") != std::string::npos);
  CHECK(req.ends_with("\r\n\r\n"));

  const std::string resp = cbkit::capture::http_response_head(r);
  CHECK(resp.starts_with("HTTP/1.1 200 OK\r\n"));
  // The body is stored decoded: the encoding and length headers are kept renamed, and
  // Content-Length states the stored body's size.
  CHECK(resp.find("\r\ncontent-encoding:") == std::string::npos);
  CHECK(resp.find("X-Archive-Orig-content-encoding: gzip\r\n") != std::string::npos);
  CHECK(resp.find("X-Archive-Orig-Content-Length: 99\r\n") != std::string::npos);
  CHECK(resp.find("set-cookie: a=1\r\nset-cookie: b=2\r\n") != std::string::npos);
  CHECK(resp.ends_with("Content-Length: 1234\r\n\r\n"));
}

TEST_CASE("find_browser: PATH lookup and explicit paths", "[browser]") {
  cbkit::test::TempDir t;
  CHECK_FALSE(cbkit::capture::find_browser((t / "no-such-browser").string()));
  cbkit::test::write_file(t / "not-executable", "#!/bin/sh\n");
  CHECK_FALSE(cbkit::capture::find_browser((t / "not-executable").string()));
  CHECK_FALSE(cbkit::capture::find_browser("cbkit-no-such-browser-anywhere"));
  const auto sh = cbkit::capture::find_browser("sh");
  REQUIRE(sh);
  CHECK(sh->is_absolute());
}

namespace {
bool process_gone(const std::filesystem::path& pid_file) {
  std::ifstream in(pid_file);
  long pid = 0;
  in >> pid;
  REQUIRE(pid > 0);
  // Reaped or a zombie waiting for init: either way no longer running.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}
} // namespace

TEST_CASE("A missing browser names the Debian package", "[browser]") {
  cbkit::test::TempDir t;
  cbkit::capture::BrowserOptions o;
  o.browser = (t / "chromium").string();
  try {
    cbkit::capture::capture_rendered("http://127.0.0.1:1/", o, t.path());
    FAIL("no error");
  } catch (const cbkit::Error& e) {
    CHECK(e.kind() == cbkit::ErrorKind::input);
    CHECK(std::string(e.what()).find("Debian package chromium") != std::string::npos);
  }
  CHECK(std::filesystem::is_empty(t.path())); // nothing written
}

TEST_CASE("A browser that dies at once: clear error, nothing left", "[browser]") {
  cbkit::test::TempDir t;
  cbkit::test::write_file(t / "fake", "#!/bin/sh\necho 'fake browser: cannot open display' >&2\nexit 7\n");
  std::filesystem::permissions(t / "fake", std::filesystem::perms::owner_all);
  std::filesystem::create_directory(t / "out");
  cbkit::capture::BrowserOptions o;
  o.browser = (t / "fake").string();
  try {
    cbkit::capture::capture_rendered("http://127.0.0.1:1/", o, t / "out");
    FAIL("no error");
  } catch (const cbkit::Error& e) {
    CHECK(e.kind() == cbkit::ErrorKind::input);
    const std::string msg = e.what();
    CHECK(msg.find("exited with status 7") != std::string::npos);
    CHECK(msg.find("cannot open display") != std::string::npos); // the browser's own last words
  }
  CHECK(std::filesystem::is_empty(t / "out"));
}

TEST_CASE("A browser that never answers: the deadline kills its whole process group", "[browser]") {
  cbkit::test::TempDir t;
  // The "browser" starts a helper in the background (like Chromium's renderers), then hangs.
  cbkit::test::write_file(t / "fake", "#!/bin/sh\nsleep 300 &\necho $! > '" + (t / "helper.pid").string() + "'\necho $$ > '" +
                                          (t / "main.pid").string() + "'\nexec sleep 300\n");
  std::filesystem::permissions(t / "fake", std::filesystem::perms::owner_all);
  cbkit::capture::BrowserOptions o;
  o.browser = (t / "fake").string();
  o.startup_timeout = std::chrono::milliseconds(1500);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    cbkit::capture::capture_rendered("http://127.0.0.1:1/", o, t.path());
    FAIL("no error");
  } catch (const cbkit::Error& e) {
    CHECK(e.kind() == cbkit::ErrorKind::input);
    CHECK(std::string(e.what()).find("timed out while starting the browser") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  CHECK(process_gone(t / "main.pid"));
  CHECK(process_gone(t / "helper.pid"));
}

TEST_CASE("parse_viewport: WIDTHxHEIGHT within 100..10000", "[browser]") {
  using cbkit::capture::parse_viewport;
  CHECK(parse_viewport("390x844") == std::make_pair(390, 844));
  CHECK(parse_viewport("100x10000") == std::make_pair(100, 10000));
  for (const char* bad :
       {"", "x", "1280", "1280x", "x800", "99x800", "1280x10001", "1280X800", "12a0x800", "-5x800", "1280x800x2", " 1280x800"})
    CHECK_FALSE(parse_viewport(bad));
}
