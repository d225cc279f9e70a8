#include "cbkit/report/document.hpp"
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

namespace {

// The text elements of a timeline SVG with their estimated boxes (the chart's own estimate of
// a character's width, k_char_em = 0.62 of the font size; 0.6 would do for its digits).
struct SvgText {
  double x0, x1, y0, y1;
  std::string text;
};
std::vector<SvgText> svg_texts(const std::string& svg) {
  std::vector<SvgText> out;
  const std::regex re("<text x=\"(-?[0-9]+)\" y=\"(-?[0-9]+)\" text-anchor=\"([a-z]+)\" font-size=\"([0-9]+)\">([^<]*)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it) {
    const double x = std::stod((*it)[1]), y = std::stod((*it)[2]), font = std::stod((*it)[4]);
    const std::string text = (*it)[5];
    const double w = static_cast<double>(text.size()) * font * 0.6;
    const std::string anchor = (*it)[3];
    const double x0 = anchor == "start" ? x : anchor == "middle" ? x - w / 2 : x - w;
    out.push_back({x0, x0 + w, y - font * 0.8, y + font * 0.2, text});
  }
  return out;
}
std::pair<double, double> svg_size(const std::string& svg) {
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, std::regex("viewBox=\"0 0 ([0-9]+) ([0-9]+)\"")));
  return {std::stod(m[1]), std::stod(m[2])};
}
void check_no_overlap_no_clip(const std::string& svg) {
  const auto texts = svg_texts(svg);
  REQUIRE(texts.size() > 3);
  const auto [w, h] = svg_size(svg);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO(texts[i].text);
    CHECK(texts[i].x0 >= 0);
    CHECK(texts[i].x1 <= w);
    CHECK(texts[i].y0 >= 0);
    CHECK(texts[i].y1 <= h);
    for (std::size_t j = i + 1; j < texts.size(); ++j) {
      const bool overlap = texts[i].x0 < texts[j].x1 && texts[j].x0 < texts[i].x1 && texts[i].y0 < texts[j].y1 && texts[j].y0 < texts[i].y1;
      INFO(texts[j].text);
      CHECK_FALSE(overlap);
    }
  }
}
std::vector<ReportEvent> events_every(std::int64_t start, std::int64_t every, int n, const std::vector<std::string>& kinds) {
  std::vector<ReportEvent> out;
  for (int i = 0; i < n; ++i)
    out.push_back(ReportEvent{start + every * i, "", static_cast<std::uint64_t>(i + 1), kinds[static_cast<std::size_t>(i) % kinds.size()],
                              "", "src_recorded"});
  return out;
}
// The tick labels under the axis: "HH:MM", "YYYY-MM-DD", "YYYY-MM" or "YYYY".
std::vector<std::string> tick_texts(const std::string& svg) {
  std::vector<std::string> out;
  for (const auto& t : svg_texts(svg))
    if (std::regex_match(t.text, std::regex("[0-9]{2}:[0-9]{2}|[0-9]{4}(-[0-9]{2}){0,2}"))) out.push_back(t.text);
  return out;
}

} // namespace

TEST_CASE("the timeline chart: round ticks in the case's zone, labels never overlapping or clipped", "[report]") {
  const std::int64_t t0 = 1795205640; // 2026-11-20 20:14:00 UTC, 21:14 in Brussels
  SECTION("dense: 1000 events in 17 minutes in three lanes") {
    const auto events = events_every(t0, 1, 1000, {"email", "chat", "call"});
    const std::string svg = timeline_svg(events, "Europe/Brussels", Lang::nl);
    check_no_overlap_no_clip(svg);
    const auto ticks = tick_texts(svg);
    REQUIRE(ticks.size() >= 3);
    CHECK(ticks[0] == "21:10"); // the local time, on a round 5 minutes before the first event
    for (const auto& t : ticks)
      if (t.size() == 5) CHECK((t[4] == '0' || t[4] == '5'));
    CHECK(svg.find("Tijd in Europe/Brussels (UTC+01:00)") != std::string::npos);
    CHECK(svg.find("stuknummers zijn wegens plaatsgebrek niet in de grafiek vermeld") != std::string::npos);
  }
  SECTION("a few events in one day: ticks on whole hours, the date under the first") {
    std::vector<ReportEvent> events = events_every(t0, 3 * 3600 + 17, 4, {"email", "note"});
    const std::string svg = timeline_svg(events, "Europe/Brussels", Lang::en);
    check_no_overlap_no_clip(svg);
    const auto ticks = tick_texts(svg);
    REQUIRE(ticks.size() >= 3);
    CHECK(ticks[0].ends_with(":00"));
    CHECK(ticks[1] == "2026-11-20");
    CHECK(svg.find("left out of the chart") == std::string::npos);
  }
  SECTION("a long span across a change of offset: ticks on local midnights") {
    auto events = events_every(t0 - 200LL * 86400, 86400 * 7 + 3600, 30, {"web", "file", "email", "seal"});
    events.push_back(ReportEvent{t0, "", 99, "a-kind-this-version-does-not-know-with-a-long-name", "", "src_recorded"});
    const std::string svg = timeline_svg(events, "Europe/Brussels", Lang::fr);
    check_no_overlap_no_clip(svg);
    const auto ticks = tick_texts(svg);
    REQUIRE(ticks.size() >= 3);
    for (const auto& t : ticks)
      CHECK(std::regex_match(t, std::regex("2026-[0-9]{2}"))); // the first of each month
    CHECK(svg.find("UTC+02:00") != std::string::npos);
    CHECK(svg.find("UTC+01:00") != std::string::npos);
  }
  SECTION("eighteen years: ticks on the first of January") {
    std::vector<ReportEvent> events = events_every(t0 - 18LL * 365 * 86400, 3LL * 365 * 86400, 7, {"email", "case"});
    const std::string svg = timeline_svg(events, "Europe/Brussels", Lang::en);
    check_no_overlap_no_clip(svg);
    const auto ticks = tick_texts(svg);
    REQUIRE(ticks.size() >= 3);
    for (const auto& t : ticks)
      CHECK(t.size() == 4);
    CHECK(ticks.front() <= "2008");
    CHECK(ticks.back() >= "2026");
  }
  SECTION("one event") {
    const std::string svg = timeline_svg(events_every(t0, 0, 1, {"case"}), "Europe/Brussels", Lang::de);
    check_no_overlap_no_clip(svg);
    CHECK(tick_texts(svg).size() >= 2);
  }
}
