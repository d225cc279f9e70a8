#pragma once

// The report as a document: translated headings, paragraphs, field lists and tables of plain
// text, built once from the model and rendered as HTML, Markdown or plain text. Every string
// in a Document is plain text (user-controlled or not); the renderers escape all of it. Only
// Block::raw holds markup, and only markup cbkit generated from numbers and hex digits (the
// timeline and QR code SVGs, a base64 data: URI of a verified PNG/JPEG/GIF/WebP).

#include "cbkit/report/i18n.hpp"
#include "cbkit/report/model.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cbkit::report {

struct Block {
  enum class Type {
    heading,    // section: text, id
    subheading, // one item of a section (an e-mail, a capture): text, id
    paragraph,  // text (may hold line feeds)
    fields,     // fields: label -> value
    table,      // header, rows
    bullets,    // items
    code,       // text: a command to type
    svg,        // raw: inline SVG (HTML only); text: what it shows, for the other formats
    image,      // raw: data: URI; text: caption (HTML only; the others print the caption)
    quote,      // text: evidence quoted as written (an e-mail's body), line feeds kept
  };
  Type type = Type::paragraph;
  std::string text;
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> items;
  std::string raw;
};

struct Document {
  Lang lang = Lang::en;
  std::string title;
  std::vector<Block> blocks;

  // Appending blocks: what the report's and the annex's builders share.
  void add_heading(std::string id, std::string text);
  void add_subheading(std::string id, std::string text);
  void add_paragraph(std::string text);
  void add_fields(std::vector<std::pair<std::string, std::string>> items); // empty values left out; no block when none is left
  void add_table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows);
  void add_bullets(std::vector<std::string> items);
  void add_code(std::string text);
};

// One event of the report's timeline: an entry at the best time known for it (the e-mail's
// Date, the capture's start, the observation, else when it was recorded).
struct ReportEvent {
  std::int64_t epoch = 0;
  std::string utc; // RFC 3339, as stored
  std::uint64_t seq = 0;
  std::string kind;
  std::string what;   // in the language asked for
  std::string source; // translation key of where the time comes from ("src_recorded", ...)
};

// Every line of the case as a timeline event, in time order (ties in seq order).
std::vector<ReportEvent> timeline_events(const CaseModel& model, Lang lang);

// The timeline chart as an inline SVG element (no xmlns): one lane per kind, each event a dot
// with its entry number; the axis in the case's `zone` (IANA name; empty: UTC) with ticks on
// round minutes, hours or days and the zone with its UTC offsets under it. No label overlaps
// another or leaves the picture: numbers that find no room are left out and counted below
// the axis (the timeline table lists every entry). "" when there is no event.
std::string timeline_svg(const std::vector<ReportEvent>& events, const std::string& zone, Lang lang);

// Builds the translated document of the whole case.
Document build_document(const CaseModel& model, Lang lang);

std::string render_html(const Document& doc);
std::string render_markdown(const Document& doc);
std::string render_text(const Document& doc);

} // namespace cbkit::report
