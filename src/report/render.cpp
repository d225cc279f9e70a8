#include "cbkit/report/document.hpp"
#include "cbkit/report/text.hpp"

#include <algorithm>

namespace cbkit::report {

namespace {

// Every piece of text, whatever its origin, is made visible-and-inert first.
std::string visible(const std::string& s, bool keep_newlines) { return reveal_invisible(s, keep_newlines); }

std::string html_text(const std::string& s) { return escape_html(visible(s, false)); }

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool has_digit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A hash as the report prints them: 32 or more hexadecimal digits (SHA-256 is 64).
bool is_hash(std::string_view s) { return s.size() >= 32 && std::all_of(s.begin(), s.end(), is_hex_digit); }

// A word longer than this (a URL, a file name) may break anywhere rather than widen a
// table beyond the page.
constexpr std::size_t k_long_word = 30;
// A line up to this length that holds a digit (a date and time, an IP address, a size, an
// exhibit number) is kept on one line.
constexpr std::size_t k_keep_line = 40;

// One line of visible text, escaped, with the line-break rules of the printed report. The
// text itself stays contiguous in the HTML (no markup inside a word or between words that
// belong together), so a search in the page or the source finds it:
// - a line that is a hash is a monospace span that breaks only at fixed points (in a
//   table cell or a field list, a block 32 digits wide: two lines of 32; copied text is
//   still the hash);
// - a short line with digits, or of one word ("seal-unpinned", a media type), never breaks;
// - in other lines, words break only at spaces, except words longer than k_long_word,
//   which may break anywhere, and hashes, which stay whole.
// Browsers do not break inside "81.164.201.77", "2026-11-20" or "21:14:00" by themselves
// (UAX #14): it is overflow-wrap: anywhere that did, and it is only on long words now.
std::string html_line(std::string_view line) {
  std::size_t b = 0, e = line.size();
  while (b < e && line[b] == ' ')
    ++b;
  while (e > b && line[e - 1] == ' ')
    --e;
  const std::string_view core = line.substr(b, e - b);
  if (is_hash(core))
    return escape_html(line.substr(0, b)) + "<span class=\"hash\">" + escape_html(core) + "</span>" + escape_html(line.substr(e));
  if ((has_digit(core) || core.find(' ') == std::string_view::npos) && line.size() <= k_keep_line)
    return "<span class=\"nw\">" + escape_html(line) + "</span>";
  std::string out;
  for (std::size_t at = 0;;) {
    const auto space = line.find(' ', at);
    const std::string_view word = line.substr(at, space == std::string_view::npos ? std::string_view::npos : space - at);
    // A hash in a sentence ("... is <hash>.") stays whole: it moves to the next line.
    std::size_t hash_end = word.size();
    while (hash_end > 0 && std::string_view(".,;:)").find(word[hash_end - 1]) != std::string_view::npos)
      --hash_end;
    if (is_hash(word.substr(0, hash_end))) {
      out += "<span class=\"hash\">" + escape_html(word.substr(0, hash_end)) + "</span>" + escape_html(word.substr(hash_end));
    } else if (word.size() > k_long_word) {
      out += "<span class=\"long\">" + escape_html(word) + "</span>";
    } else {
      out += escape_html(word);
    }
    if (space == std::string_view::npos) break;
    out += ' ';
    at = space + 1;
  }
  return out;
}

// Multi-line text: each line escaped with html_line(), joined with <br>.
std::string html_lines(const std::string& s) {
  const std::string v = visible(s, true);
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const auto nl = v.find('\n', start);
    out += html_line(std::string_view(v).substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
    if (start < v.size()) out += "<br>";
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const auto nl = s.find('\n', start);
    lines.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  while (lines.size() > 1 && lines.back().empty())
    lines.pop_back();
  return lines;
}

// Printed inline by the browser, no external resource: fonts are the system's, images are
// data: URIs, and the Content-Security-Policy forbids fetching anything else.
constexpr const char* k_css = R"css(
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; line-height: 1.4; color: #111; background: #fff; margin: 2em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 2px solid #222; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #888; }
h3 { font-size: 1.05em; margin-top: 1.4em; background: #f0f0f0; padding: .2em .4em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; font-size: .92em; }
th, td { border: 1px solid #999; padding: .2em .4em; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #e8e8e8; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: .5em 0 1em; }
dl.fields dt { font-weight: bold; }
dl.fields dd { margin: 0; overflow-wrap: break-word; min-width: 0; }
pre { background: #f6f6f6; border: 1px solid #ccc; padding: .4em; white-space: pre-wrap; overflow-wrap: anywhere; }
.mono, td.hash, .hash { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
.nw { white-space: nowrap; }
.long { overflow-wrap: anywhere; }
td .hash, dd .hash { display: inline-block; width: 32ch; word-break: break-all; }
svg.timeline { border: 1px solid #ccc; background: #fff; max-width: 100%; height: auto; }
figure { margin: .5em 0 1em; }
figure img { max-width: min(100%, 720px); max-height: 640px; border: 1px solid #999; }
figcaption { font-size: .9em; overflow-wrap: anywhere; }
blockquote.evidence { white-space: pre-wrap; margin: .5em 0 1em; padding: .4em .6em; border-left: 3px solid #c0392b; background: #fbf7f6; font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: .92em; }
nav ol { columns: 2; }
.note { white-space: normal; border-left: 3px solid #b9770e; padding-left: .6em; }
@page { size: A4; margin: 14mm 14mm 18mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; }
  figure img { max-width: 100%; max-height: 150mm; }
  p:has(+ table), p:has(+ blockquote), p:has(+ figure) { break-after: avoid; }
  tr, li, figure, dl.fields, pre, svg, blockquote { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
)css";

bool is_hash_column(const std::string& header) { return header == "SHA-256"; }

} // namespace

std::string render_html(const Document& doc) {
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"" + lang_code(doc.lang) + "\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + html_text(doc.title) + "</title>\n<style>" + k_css + "</style>\n</head>\n<body>\n";
  out += "<h1>" + html_text(doc.title) + "</h1>\n";
  // Table of contents: links to the sections of this same file only.
  out += "<nav><ol>\n";
  for (const auto& b : doc.blocks)
    if (b.type == Block::Type::heading) out += "<li><a href=\"#" + escape_html(b.id) + "\">" + html_text(b.text) + "</a></li>\n";
  out += "</ol></nav>\n";
  for (const auto& b : doc.blocks) {
    switch (b.type) {
    case Block::Type::heading:
      out += "<h2 id=\"" + escape_html(b.id) + "\">" + html_text(b.text) + "</h2>\n";
      break;
    case Block::Type::subheading:
      out += "<h3 id=\"" + escape_html(b.id) + "\">" + html_text(b.text) + "</h3>\n";
      break;
    case Block::Type::paragraph:
      out += "<p>" + html_lines(b.text) + "</p>\n";
      break;
    case Block::Type::fields:
      out += "<dl class=\"fields\">\n";
      for (const auto& [k, v] : b.fields)
        out += "<dt>" + html_text(k) + "</dt><dd>" + html_lines(v) + "</dd>\n";
      out += "</dl>\n";
      break;
    case Block::Type::table: {
      out += "<table>\n<thead><tr>";
      for (const auto& h : b.header)
        out += "<th>" + html_text(h) + "</th>";
      out += "</tr></thead>\n<tbody>\n";
      for (const auto& row : b.rows) {
        out += "<tr>";
        for (std::size_t i = 0; i < row.size(); ++i) {
          const bool hash = i < b.header.size() && is_hash_column(b.header[i]);
          out += std::string(hash ? "<td class=\"hash\">" : "<td>") + html_lines(row[i]) + "</td>";
        }
        out += "</tr>\n";
      }
      out += "</tbody>\n</table>\n";
      break;
    }
    case Block::Type::bullets:
      out += "<ul>\n";
      for (const auto& item : b.items)
        out += "<li>" + html_lines(item) + "</li>\n";
      out += "</ul>\n";
      break;
    case Block::Type::code:
      out += "<pre>" + html_text(b.text) + "</pre>\n";
      break;
    case Block::Type::svg:
      out += "<figure>" + b.raw + "</figure>\n";
      break;
    case Block::Type::image:
      if (b.raw.starts_with("data:image/")) {
        out += "<figure><img src=\"" + escape_html(b.raw) + "\" alt=\"" + html_text(b.text) + "\"><figcaption>" + html_text(b.text) +
               "</figcaption></figure>\n";
      } else {
        out += "<p><em>" + html_text(b.text) + "</em></p>\n";
      }
      break;
    case Block::Type::quote:
      out += "<blockquote class=\"evidence\">" + html_lines(b.text) + "</blockquote>\n";
      break;
    }
  }
  out += "</body>\n</html>\n";
  return out;
}

std::string render_markdown(const Document& doc) {
  const auto md = [](const std::string& s) { return escape_markdown(visible(s, false)); };
  // Multi-line text: each line escaped on its own, hard line breaks between them.
  const auto md_lines = [](const std::string& s, const std::string& indent) {
    std::string out;
    const auto lines = split_lines(visible(s, true));
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) out += "  \n" + indent;
      out += escape_markdown(lines[i]);
    }
    return out;
  };
  std::string out = "# " + md(doc.title) + "\n";
  for (const auto& b : doc.blocks) {
    out += "\n";
    switch (b.type) {
    case Block::Type::heading:
      out += "## " + md(b.text) + "\n";
      break;
    case Block::Type::subheading:
      out += "### " + md(b.text) + "\n";
      break;
    case Block::Type::paragraph:
      out += md_lines(b.text, "") + "\n";
      break;
    case Block::Type::fields:
      for (const auto& [k, v] : b.fields)
        out += "- **" + md(k) + ":** " + md_lines(v, "  ") + "\n";
      break;
    case Block::Type::table: {
      const auto cell = [&](const std::string& s) {
        std::string c;
        const auto lines = split_lines(visible(s, true));
        for (std::size_t i = 0; i < lines.size(); ++i)
          c += (i > 0 ? "<br>" : "") + escape_markdown(lines[i]);
        return c.empty() ? std::string(" ") : c;
      };
      out += "|";
      for (const auto& h : b.header)
        out += " " + cell(h) + " |";
      out += "\n|";
      for (std::size_t i = 0; i < b.header.size(); ++i)
        out += "---|";
      out += "\n";
      for (const auto& row : b.rows) {
        out += "|";
        for (const auto& c : row)
          out += " " + cell(c) + " |";
        out += "\n";
      }
      break;
    }
    case Block::Type::bullets:
      for (const auto& item : b.items)
        out += "- " + md_lines(item, "  ") + "\n";
      break;
    case Block::Type::code:
      out += "```\n" + visible(b.text, false) + "\n```\n";
      break;
    case Block::Type::svg:
    case Block::Type::image:
      out += "*" + md(b.text) + "*\n";
      break;
    case Block::Type::quote:
      for (const auto& line : split_lines(visible(b.text, true)))
        out += line.empty() ? ">\n" : "> " + escape_markdown(line) + "  \n";
      break;
    }
  }
  return out;
}

namespace {

std::size_t width_of(const std::string& s) {
  std::size_t n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

std::string pad(const std::string& s, std::size_t width) {
  const std::size_t w = width_of(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string underline(const std::string& s, char ch) { return std::string(width_of(s), ch); }

// Aligned columns when the table fits in this many characters, else one block per row.
constexpr std::size_t k_text_width = 120;

} // namespace

std::string render_text(const Document& doc) {
  const auto one = [](const std::string& s) { return visible(s, false); };
  const auto indented = [](const std::string& s, const std::string& indent) {
    std::string out;
    const auto lines = split_lines(visible(s, true));
    for (std::size_t i = 0; i < lines.size(); ++i)
      out += (i > 0 ? "\n" + indent : "") + lines[i];
    return out;
  };
  std::string out = one(doc.title) + "\n" + underline(one(doc.title), '=') + "\n";
  for (const auto& b : doc.blocks) {
    out += "\n";
    switch (b.type) {
    case Block::Type::heading:
      out += "\n" + one(b.text) + "\n" + underline(one(b.text), '=') + "\n";
      break;
    case Block::Type::subheading:
      out += one(b.text) + "\n" + underline(one(b.text), '-') + "\n";
      break;
    case Block::Type::paragraph:
      out += indented(b.text, "") + "\n";
      break;
    case Block::Type::fields: {
      std::size_t w = 0;
      for (const auto& kv : b.fields)
        w = std::max(w, width_of(one(kv.first)) + 1);
      for (const auto& [k, v] : b.fields)
        out += "  " + pad(one(k) + ":", w + 1) + indented(v, std::string(w + 3, ' ')) + "\n";
      break;
    }
    case Block::Type::table: {
      std::vector<std::size_t> widths(b.header.size(), 0);
      bool multiline = false;
      for (std::size_t i = 0; i < b.header.size(); ++i)
        widths[i] = width_of(one(b.header[i]));
      for (const auto& row : b.rows)
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
          widths[i] = std::max(widths[i], width_of(one(row[i])));
          if (row[i].find('\n') != std::string::npos) multiline = true;
        }
      std::size_t total = 0;
      for (auto w : widths)
        total += w + 2;
      if (total <= k_text_width && !multiline) {
        std::string line = "  ";
        for (std::size_t i = 0; i < b.header.size(); ++i)
          line += pad(one(b.header[i]), widths[i] + 2);
        while (!line.empty() && line.back() == ' ')
          line.pop_back();
        out += line + "\n  " + std::string(total - 2, '-') + "\n";
        for (const auto& row : b.rows) {
          line = "  ";
          for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
            line += pad(one(row[i]), widths[i] + 2);
          while (!line.empty() && line.back() == ' ')
            line.pop_back();
          out += line + "\n";
        }
      } else {
        std::size_t w = 0;
        for (const auto& h : b.header)
          w = std::max(w, width_of(one(h)) + 1);
        std::size_t n = 0;
        for (const auto& row : b.rows) {
          if (n++ > 0) out += "\n";
          for (std::size_t i = 0; i < row.size() && i < b.header.size(); ++i) {
            if (row[i].empty()) continue;
            const std::string label = b.header[i].empty() ? "#" : one(b.header[i]);
            out += "  " + pad(label + ":", w + 1) + indented(row[i], std::string(w + 3, ' ')) + "\n";
          }
        }
      }
      break;
    }
    case Block::Type::bullets:
      for (const auto& item : b.items)
        out += "  - " + indented(item, "    ") + "\n";
      break;
    case Block::Type::code:
      out += "    " + one(b.text) + "\n";
      break;
    case Block::Type::svg:
    case Block::Type::image:
      out += "(" + one(b.text) + ")\n";
      break;
    case Block::Type::quote:
      for (const auto& line : split_lines(visible(b.text, true)))
        out += line.empty() ? "  |\n" : "  | " + line + "\n";
      break;
    }
  }
  return out;
}

} // namespace cbkit::report
