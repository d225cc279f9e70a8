#include "cbkit/report/i18n.hpp"
#include "cbkit/report/qr.hpp"
#include "cbkit/report/report.hpp"
#include "cbkit/report/text.hpp"

#include <catch2/catch.hpp>
#include <regex>
#include <set>

using namespace cbkit::report;

namespace {

std::multiset<std::string> placeholders(const std::string& s) {
  std::multiset<std::string> out;
  const std::regex re("\\{[0-9]+\\}");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it)
    out.insert(it->str());
  return out;
}

} // namespace

TEST_CASE("reveal_invisible shows bidi, zero-width and control characters as [U+XXXX]", "[report]") {
  CHECK(reveal_invisible("a\u202Eb", false) == "a[U+202E]b");
  CHECK(reveal_invisible("\u2066x\u2069", false) == "[U+2066]x[U+2069]");
  CHECK(reveal_invisible("z\u200Bw\u200F", false) == "z[U+200B]w[U+200F]");
  CHECK(reveal_invisible("\xEF\xBB\xBFstart", false) == "[U+FEFF]start");
  CHECK(reveal_invisible("a\x1b[31mb", false) == "a[U+001B][31mb");
  CHECK(reveal_invisible("line1\nline2", true) == "line1\nline2");
  CHECK(reveal_invisible("line1\nline2", false) == "line1[U+000A]line2");
  CHECK(reveal_invisible("a\r\nb", true) == "a\nb");
  CHECK(reveal_invisible("tab\there", false) == "tab here");
  // Ordinary non-ASCII text stays as it is; invalid UTF-8 becomes U+FFFD.
  CHECK(reveal_invisible("Iedereen weet het al \xF0\x9F\x98\x88 é", false) == "Iedereen weet het al \xF0\x9F\x98\x88 é");
  CHECK(reveal_invisible("a\xFF", false) == "a\xEF\xBF\xBD");
}

TEST_CASE("escape_html escapes the five significant characters", "[report]") {
  CHECK(escape_html("<script>\"'&") == "&lt;script&gt;&quot;&#39;&amp;");
  CHECK(escape_html("\"><img src=x onerror=alert(1)>") == "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
}

TEST_CASE("escape_markdown leaves no markup active", "[report]") {
  CHECK(escape_markdown("[a](http://x)") == "\\[a\\](http://x)");
  CHECK(escape_markdown("![i](u)") == "!\\[i\\](u)");
  CHECK(escape_markdown("<b>x</b>") == "\\<b\\>x\\</b\\>");
  CHECK(escape_markdown("a|b") == "a\\|b");
  CHECK(escape_markdown("*em* _u_ `c`") == "\\*em\\* \\_u\\_ \\`c\\`");
  CHECK(escape_markdown("# title") == "\\# title");
  CHECK(escape_markdown("- item") == "\\- item");
  CHECK(escape_markdown("1. first") == "1\\. first");
  CHECK(escape_markdown("a - b 2.5") == "a - b 2.5");
  CHECK(escape_markdown("&amp;") == "\\&amp;");
  CHECK(escape_markdown("    code") == "\u00A0\u00A0\u00A0\u00A0code");
}

TEST_CASE("every translation exists in en, nl and fr with the same placeholders", "[report]") {
  const auto keys = translation_keys();
  REQUIRE(keys.size() > 100);
  std::set<std::string> unique(keys.begin(), keys.end());
  CHECK(unique.size() == keys.size());
  for (const auto& key : keys) {
    INFO(key);
    const std::string& en = tr(Lang::en, key);
    const std::string& nl = tr(Lang::nl, key);
    const std::string& fr = tr(Lang::fr, key);
    CHECK(!en.empty());
    CHECK(!nl.empty());
    CHECK(!fr.empty());
    CHECK(placeholders(en) == placeholders(nl));
    CHECK(placeholders(en) == placeholders(fr));
  }
  CHECK_THROWS(tr(Lang::en, "no-such-key"));
  CHECK(tr(Lang::nl, "sec_exhibits") == "Inventaris van de stukken");
  CHECK(tr(Lang::fr, "sec_exhibits") == "Inventaire des pièces");
}

TEST_CASE("every translation exists in German with the same placeholders", "[report]") {
  for (const auto& key : translation_keys()) {
    INFO(key);
    const std::string& de = tr(Lang::de, key);
    CHECK(!de.empty());
    CHECK(placeholders(tr(Lang::en, key)) == placeholders(de));
  }
  CHECK(tr(Lang::de, "sec_exhibits") == "Verzeichnis der Beweisstücke");
  CHECK(parse_lang("de") == Lang::de);
  CHECK(lang_code(Lang::de) == "de");
}

TEST_CASE("trf fills placeholders once, never inside an inserted value", "[report]") {
  CHECK(trf(Lang::en, "miss_received", {"e-mail #4"}) == "e-mail #4 has no Received headers");
  CHECK(trf(Lang::en, "ev_email", {"{2}", "subject"}) == "From {2}: subject");
  CHECK(trf(Lang::fr, "ev_email", {"a", "b"}) == "De a : b");
}

TEST_CASE("languages and formats parse only their names", "[report]") {
  CHECK(parse_lang("nl") == Lang::nl);
  CHECK_FALSE(parse_lang("NL"));
  CHECK_FALSE(parse_lang("es"));
  CHECK(parse_format("md") == Format::markdown);
  CHECK_FALSE(parse_format("docx"));
  CHECK(parse_format("pdf") == Format::pdf);
  CHECK(format_name(Format::text) == "txt");
}

TEST_CASE("the QR code of a head is a valid symbol with finder patterns", "[report]") {
  const std::string head(64, 'a');
  const QrCode code = qr_encode(head);
  REQUIRE(code.width >= 21);
  CHECK((code.width - 17) % 4 == 0);
  // Top-left finder: a dark 7x7 ring around a light ring around a dark 3x3 centre.
  for (int i = 0; i < 7; ++i) {
    CHECK(code.dark(i, 0));
    CHECK(code.dark(i, 6));
    CHECK(code.dark(0, i));
    CHECK(code.dark(6, i));
  }
  CHECK_FALSE(code.dark(1, 1));
  CHECK(code.dark(3, 3));
  const std::string svg = qr_svg(code, 180);
  CHECK(svg.starts_with("<svg"));
  CHECK(svg.find("http") == std::string::npos);
  CHECK(svg.find("width=\"180\"") != std::string::npos);
  // Two different heads give two different codes.
  CHECK(qr_encode(std::string(64, 'b')).modules != code.modules);
}
