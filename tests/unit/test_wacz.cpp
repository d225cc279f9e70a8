#include "cbkit/capture/wacz.hpp"

#include <catch2/catch.hpp>

using cbkit::capture::surt_key;

TEST_CASE("surt_key: host reversed, www and default ports dropped, lower case", "[wacz]") {
  CHECK(surt_key("https://www.Example.com/Path/To?b=2&a=1") == "com,example)/path/to?a=1&b=2");
  CHECK(surt_key("http://example.com") == "com,example)/");
  CHECK(surt_key("http://example.com:80/x") == "com,example)/x");
  CHECK(surt_key("https://example.com:443/x") == "com,example)/x");
  CHECK(surt_key("http://127.0.0.1:8080/page.html") == "1,0,0,127:8080)/page.html");
  CHECK(surt_key("https://user:pw@m.facebook.com/p#frag") == "com,facebook,m)/p");
  CHECK(surt_key("https://www2.example.org/") == "org,example)/");
  CHECK(surt_key("https://www.com/") == "com,www)/"); // "www." is only dropped before a domain
  CHECK(surt_key("http://[::1]:8000/a") == "[::1]:8000)/a");
  CHECK(surt_key("urn:cbkit:screenshot:X") == "urn:cbkit:screenshot:x");
}
