// The --json envelope of the command line (src/cli/common.hpp): field order, the error
// object read from a message, and the one-line stderr text.

#include "cli/common.hpp"

#include <catch2/catch.hpp>

using cbkit::Error;
using cbkit::ErrorKind;
using cbkit::cli::Envelope;
using cbkit::manifest::Json;

namespace {

std::vector<std::string> keys_of(const Json& j) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items())
    keys.push_back(k);
  return keys;
}

} // namespace

TEST_CASE("envelope: the shared fields first, in order, then the command's own", "[cli]") {
  Envelope e;
  e.command = "note";
  e["entry"] = "evidence/000001-file";
  e["seq"] = 7; // a command's field with an envelope name keeps the envelope's place
  e.add_appended(cbkit::manifest::Appended{3, std::string(64, 'a'), ""});
  const Json d = e.document(true);
  CHECK(keys_of(d) == std::vector<std::string>{"format_version", "ok", "command", "case", "case_id", "appended", "head", "seq", "warnings",
                                               "refused", "entry"});
  CHECK(d["format_version"] == "cbkit-json/1");
  CHECK(d["seq"] == 7);
  CHECK(d["appended"][0]["dir"].is_null());
  CHECK(d["appended"][0]["files"] == Json::array());
  CHECK_FALSE(d.contains("error"));
}

TEST_CASE("envelope: a failure carries error and ok false whatever the command said", "[cli]") {
  Envelope e;
  e.command = "add-file";
  e["ok"] = true;
  e.refuse("/tmp/x", "missing", "no such file");
  const Json d = e.failure(Error(ErrorKind::input, "/tmp/x: no such file"), false);
  CHECK(d["ok"] == false);
  CHECK(d["error"] == Json{{"code", "input"},
                           {"exit", 3},
                           {"input", "/tmp/x"},
                           {"message", "/tmp/x: no such file"},
                           {"hint", nullptr},
                           {"recorded", false}});
  CHECK(d["refused"].size() == 1);
}

TEST_CASE("error_json: input before the first ': ', hint after the last '; '", "[cli]") {
  const Json j = cbkit::cli::error_json(ErrorKind::case_, "/c: not a cbkit case (no manifest.jsonl); pass --case DIR or set CBKIT_CASE");
  CHECK(j["code"] == "case");
  CHECK(j["exit"] == 4);
  CHECK(j["input"] == "/c");
  CHECK(j["hint"] == "pass --case DIR or set CBKIT_CASE");
  const Json n = cbkit::cli::error_json(ErrorKind::internal, "something broke");
  CHECK(n["input"].is_null());
  CHECK(n["hint"].is_null());
  // a "; " inside the input part is not a hint
  CHECK(cbkit::cli::error_json(ErrorKind::usage, "a; b: c")["hint"].is_null());
}

TEST_CASE("stderr_text: one line, control characters and bidi overrides escaped", "[cli]") {
  using cbkit::cli::stderr_text;
  CHECK(stderr_text("plain é name") == "plain é name");
  CHECK(stderr_text("a\nb\tc\rd") == "a\\nb\\tc\\rd");
  CHECK(stderr_text("x\x1b[31my") == "x\\x1b[31my");
  CHECK(stderr_text("bad\xff") == "bad\\xff");
  CHECK(stderr_text("rtl\u202etxt") == "rtl\\u{202e}txt");
  CHECK(stderr_text("c1\u0085") == "c1\\u{0085}");
}
