#include "cbkit/report/document.hpp"

#include "cbkit/report/text.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <algorithm>
#include <map>

namespace cbkit::report {

namespace {

// Geometry of the chart, in SVG user units (the viewBox; the page scales it). Text widths are
// estimated from the font size (k_char_em of it per character, generous for digits and the
// Latin letters of the lane names) so that no two labels overlap and none leaves the box.
constexpr int k_width = 900;
constexpr int k_right = 48; // room for half a date label right of the last tick
constexpr int k_top = 14;
constexpr int k_axis_font = 11;
constexpr int k_label_font = 9;
constexpr double k_char_em = 0.62;
constexpr int k_tick_spacing = 84; // the least distance between two tick labels
constexpr int k_max_label_rows = 4;
constexpr int k_row_h = 11; // label rows above a lane's line

int text_width(std::size_t chars, int font) { return static_cast<int>(static_cast<double>(chars) * font * k_char_em + 0.999); }

// A time in the zone: the local seconds since the epoch (UTC seconds + offset) and its texts.
struct Local {
  std::int64_t local = 0;
  std::int64_t offset = 0;
  std::string date;        // "2026-11-20"
  std::string hm;          // "21:00"
  std::string offset_text; // "+01:00"
};

Local local_of(std::int64_t utc, const std::string& zone) {
  Local l;
  std::string s = zone.empty() ? util::format_utc(utc, 0) : util::format_in_zone(utc, zone);
  // "2026-11-20 21:14:00 +01:00 (Europe/Brussels)", or the UTC form "2026-11-20T21:14:00Z"
  if (s.size() >= 26 && (s[20] == '+' || s[20] == '-')) {
    const std::int64_t h = (s[21] - '0') * 10 + (s[22] - '0');
    const std::int64_t m = (s[24] - '0') * 10 + (s[25] - '0');
    l.offset = (s[20] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    l.offset_text = s.substr(20, 6);
  } else {
    l.offset_text = "+00:00";
  }
  l.local = utc + l.offset;
  l.date = s.substr(0, 10);
  l.hm = s.substr(11, 5);
  return l;
}

// The UTC instant whose local time in `zone` is `local` (the offset of the hour before, then
// of the result: right on both sides of a change of offset but in its skipped hour).
std::int64_t utc_of_local(std::int64_t local, const std::string& zone) {
  std::int64_t utc = local - local_of(local, zone).offset;
  return local - local_of(utc, zone).offset;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian calendar).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
void civil_from_days(std::int64_t z, std::int64_t& y, int& m) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

// Steps of the axis: round minutes, hours and days (seconds), then calendar months and years
// (ticks on the first of a month, on the first of January).
struct Step {
  std::int64_t seconds = 0; // 0: a calendar step
  int months = 0;
};
constexpr Step k_steps[] = {{60, 0},    {300, 0},   {600, 0},   {900, 0},    {1800, 0},   {3600, 0},    {7200, 0}, {10800, 0},
                            {21600, 0}, {43200, 0}, {86400, 0}, {172800, 0}, {604800, 0}, {1209600, 0}, {0, 1},    {0, 3},
                            {0, 6},     {0, 12},    {0, 24},    {0, 60},     {0, 120},    {0, 240},     {0, 600},  {0, 1200}};

struct Axis {
  std::int64_t lo = 0, hi = 0;
  Step step;
  std::vector<std::int64_t> ticks; // UTC seconds
};

// The local ticks (seconds since the epoch in local time) of `step` that enclose [l0, l1].
std::vector<std::int64_t> local_ticks(std::int64_t l0, std::int64_t l1, const Step& step) {
  std::vector<std::int64_t> out;
  if (step.seconds != 0) {
    std::int64_t lo = floor_div(l0, step.seconds) * step.seconds;
    std::int64_t hi = floor_div(l1 + step.seconds - 1, step.seconds) * step.seconds;
    if (hi <= lo) hi = lo + step.seconds;
    for (std::int64_t l = lo; l <= hi && out.size() < 2000; l += step.seconds)
      out.push_back(l);
    return out;
  }
  std::int64_t y = 0;
  int m = 1;
  civil_from_days(floor_div(l0, 86400), y, m);
  std::int64_t index = y * 12 + (m - 1); // months since year 0
  index = floor_div(index, step.months) * step.months;
  for (;;) {
    const std::int64_t l = days_from_civil(floor_div(index, 12), static_cast<int>(index - floor_div(index, 12) * 12) + 1, 1) * 86400;
    out.push_back(l);
    if ((l >= l1 && out.size() >= 2) || out.size() >= 2000) break;
    index += step.months;
  }
  return out;
}

// The smallest round step whose ticks, on a domain widened to whole steps around the events,
// keep k_tick_spacing apart on the plot.
Axis choose_axis(std::int64_t t0, std::int64_t t1, const std::string& zone, int plot_w) {
  Axis a;
  const std::int64_t l0 = local_of(t0, zone).local;
  const std::int64_t l1 = local_of(t1, zone).local;
  for (const Step& step : k_steps) {
    const auto ticks = local_ticks(l0, l1, step);
    if (static_cast<std::int64_t>(ticks.size() - 1) * k_tick_spacing > plot_w && &step != &k_steps[std::size(k_steps) - 1]) continue;
    a.step = step;
    for (const auto l : ticks)
      a.ticks.push_back(utc_of_local(l, zone));
    a.lo = a.ticks.front();
    a.hi = a.ticks.back();
    break;
  }
  return a;
}

std::string num(long v) { return std::to_string(v); }

std::string text_el(int x, int y, const std::string& anchor, int font, const std::string& text, const char* extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\" font-size=\"" + num(font) + "\"" + extra + ">" +
         escape_html(reveal_invisible(text, false)) + "</text>";
}

} // namespace

std::string timeline_svg(const std::vector<ReportEvent>& events, const std::string& zone, Lang lang) {
  if (events.empty()) return "";
  // Lanes: one per kind present, in a fixed order, unknown kinds last.
  std::vector<std::string> lanes;
  for (const char* k : {"case", "person", "email", "web", "file", "chat", "call", "note", "checklist", "report", "timestamp", "seal"})
    if (std::any_of(events.begin(), events.end(), [&](const ReportEvent& ev) { return ev.kind == k; })) lanes.emplace_back(k);
  for (const auto& ev : events)
    if (std::find(lanes.begin(), lanes.end(), ev.kind) == lanes.end()) lanes.push_back(ev.kind);
  const auto lane_name = [&](const std::string& kind) {
    return has_translation("kind_" + kind) ? tr(lang, "kind_" + kind) : util::one_line(kind, 24);
  };
  std::size_t name_chars = 0;
  for (const auto& l : lanes)
    name_chars = std::max(name_chars, lane_name(l).size());
  const int left = std::clamp(text_width(name_chars, k_axis_font) + 14, 90, 240);
  const int plot_w = k_width - left - k_right;

  std::int64_t t0 = events.front().epoch, t1 = events.front().epoch;
  for (const auto& ev : events) {
    t0 = std::min(t0, ev.epoch);
    t1 = std::max(t1, ev.epoch);
  }
  const Axis axis = choose_axis(t0, t1, zone, plot_w);
  const auto x_of = [&](std::int64_t e) {
    const double f = static_cast<double>(e - axis.lo) / static_cast<double>(std::max<std::int64_t>(axis.hi - axis.lo, 1));
    return left + static_cast<int>(f * plot_w + 0.5);
  };

  // Each event's number sits above its dot, in the lowest row of its lane where it does not
  // touch the previous number; a number with no room in k_max_label_rows rows is left out
  // (the table below the chart lists every entry).
  struct Placed {
    const ReportEvent* ev;
    int x;
    int row; // -1: not labelled
  };
  std::vector<std::vector<Placed>> placed(lanes.size());
  std::size_t unlabelled = 0;
  for (std::size_t li = 0; li < lanes.size(); ++li) {
    std::vector<const ReportEvent*> in;
    for (const auto& ev : events)
      if (ev.kind == lanes[li]) in.push_back(&ev);
    std::stable_sort(in.begin(), in.end(), [](const ReportEvent* a, const ReportEvent* b) { return a->epoch < b->epoch; });
    std::vector<int> row_end(k_max_label_rows, -1000000);
    for (const ReportEvent* ev : in) {
      const int x = x_of(ev->epoch);
      const int w = text_width(std::to_string(ev->seq).size(), k_label_font);
      // centred on the dot, kept inside the plot
      const int start = std::clamp(x - w / 2, left, k_width - 2 - w);
      int row = -1;
      for (int r = 0; r < k_max_label_rows; ++r)
        if (row_end[static_cast<std::size_t>(r)] + 3 <= start) {
          row = r;
          row_end[static_cast<std::size_t>(r)] = start + w;
          break;
        }
      if (row < 0) ++unlabelled;
      placed[li].push_back({ev, start, row});
    }
  }
  std::vector<int> lane_top(lanes.size() + 1, k_top);
  for (std::size_t li = 0; li < lanes.size(); ++li) {
    int rows = 0;
    for (const auto& p : placed[li])
      rows = std::max(rows, p.row + 1);
    lane_top[li + 1] = lane_top[li] + std::max(1, rows) * k_row_h + 18;
  }
  const int axis_y = lane_top[lanes.size()] + 4;

  // Tick labels: the time of day (with the date under it at the first tick and where the day
  // changes), or the date alone for steps of a day and more; the zone and its offsets below.
  std::vector<std::pair<int, std::vector<std::string>>> tick_labels;
  std::vector<std::string> offsets;
  std::string last_date;
  for (const auto t : axis.ticks) {
    const Local l = local_of(t, zone);
    if (std::find(offsets.begin(), offsets.end(), l.offset_text) == offsets.end()) offsets.push_back(l.offset_text);
    std::vector<std::string> lines;
    if (axis.step.seconds != 0 && axis.step.seconds < 86400) {
      lines.push_back(l.hm);
      if (l.date != last_date) lines.push_back(l.date);
    } else if (axis.step.seconds != 0) {
      lines.push_back(l.date);
    } else {
      lines.push_back(l.date.substr(0, axis.step.months % 12 == 0 ? 4 : 7)); // "2026" or "2026-11"
    }
    last_date = l.date;
    tick_labels.emplace_back(x_of(t), std::move(lines));
  }
  for (const auto& ev : events) {
    const Local l = local_of(ev.epoch, zone);
    if (std::find(offsets.begin(), offsets.end(), l.offset_text) == offsets.end()) offsets.push_back(l.offset_text);
  }
  std::vector<std::string> utc_offsets;
  for (const auto& o : offsets)
    utc_offsets.push_back("UTC" + o);
  const std::string caption = trf(lang, "timeline_axis", {zone.empty() ? std::string("UTC") : zone, util::join(utc_offsets, ", ")});
  const std::string note = unlabelled == 0 ? std::string() : trf(lang, "timeline_unlabelled", {std::to_string(unlabelled)});
  const int caption_y = axis_y + 18 + 2 * (k_axis_font + 2) + 6;
  const int height = caption_y + (note.empty() ? 0 : k_axis_font + 6) + 8;

  static const std::map<std::string, std::string> colours = {{"case", "#555"},    {"email", "#c0392b"}, {"web", "#2471a3"},
                                                             {"file", "#1e8449"}, {"note", "#b9770e"},  {"report", "#7d3c98"},
                                                             {"chat", "#117a65"}, {"call", "#a04000"},  {"person", "#34495e"}};
  std::string s = "<svg class=\"timeline\" width=\"100%\" viewBox=\"0 0 " + num(k_width) + " " + num(height) +
                  "\" role=\"img\" font-family=\"sans-serif\">";
  for (std::size_t li = 0; li < lanes.size(); ++li) {
    const int y = lane_top[li + 1] - 8;
    s += text_el(4, y + 4, "start", k_axis_font, lane_name(lanes[li]));
    s += "<line x1=\"" + num(left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(k_width - k_right) + "\" y2=\"" + num(y) +
         "\" stroke=\"#ddd\"/>";
  }
  s += "<line x1=\"" + num(left) + "\" y1=\"" + num(axis_y) + "\" x2=\"" + num(k_width - k_right) + "\" y2=\"" + num(axis_y) +
       "\" stroke=\"#333\"/>";
  for (const auto& [x, lines] : tick_labels) {
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(lane_top[0]) + "\" x2=\"" + num(x) + "\" y2=\"" + num(axis_y + 5) +
         "\" stroke=\"#eee\"/>";
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(axis_y) + "\" x2=\"" + num(x) + "\" y2=\"" + num(axis_y + 5) + "\" stroke=\"#333\"/>";
    for (std::size_t i = 0; i < lines.size(); ++i)
      s += text_el(x, axis_y + 18 + static_cast<int>(i) * (k_axis_font + 2), "middle", k_axis_font, lines[i]);
  }
  s += text_el(k_width - k_right, caption_y, "end", k_axis_font, caption);
  if (!note.empty()) s += text_el(k_width - k_right, caption_y + k_axis_font + 6, "end", k_axis_font, note);
  for (std::size_t li = 0; li < lanes.size(); ++li) {
    const int y = lane_top[li + 1] - 8;
    const auto colour = colours.count(lanes[li]) != 0 ? colours.at(lanes[li]) : std::string("#000");
    for (const auto& p : placed[li]) {
      s += "<circle cx=\"" + num(x_of(p.ev->epoch)) + "\" cy=\"" + num(y) + "\" r=\"4\" fill=\"" + colour + "\" fill-opacity=\"0.8\"/>";
      if (p.row >= 0) s += text_el(p.x, y - 7 - p.row * k_row_h, "start", k_label_font, std::to_string(p.ev->seq));
    }
  }
  s += "</svg>";
  return s;
}

} // namespace cbkit::report
