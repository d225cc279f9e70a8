#pragma once

// cbkit report: a readable account of a case for the police, in English, Dutch or French,
// as one self-contained HTML file, that HTML printed to an A4 PDF, Markdown or plain text.

#include "cbkit/manifest/writer.hpp"
#include "cbkit/report/i18n.hpp"
#include "cbkit/report/model.hpp"
#include "cbkit/store/case.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cbkit::report {

enum class Format { html, markdown, text, json, pdf };

// "html", "md", "txt", "json" or "pdf" -> Format; nullopt for anything else.
std::optional<Format> parse_format(std::string_view name);
// "html", "md", "txt", "json", "pdf": the --format name and the file extension.
std::string format_name(Format format);
// The media type of a report file, e.g. "text/html; charset=utf-8".
std::string format_media_type(Format format);

// What the report is: the complaint report of the whole case, or the identification annex
// (identification.hpp: per suspect identifier its incidents and evidence).
enum class Template { complaint, identification };

// "complaint" or "identification" -> Template; nullopt for anything else.
std::optional<Template> parse_template(std::string_view name);

struct Options {
  Lang lang = Lang::en;
  Template what = Template::complaint;
  Format format = Format::html;
  // The browser that prints a PDF (capture::BrowserOptions::browser; empty: chromium on PATH).
  std::string browser;
};

// The report of `model` in one language and format. Deterministic: the same case and options
// give the same bytes (no wall-clock time: the report is dated by the last line it describes),
// except a PDF, whose bytes hold the browser's creation date: a PDF is the HTML report
// printed by headless Chromium (capture::print_html_to_pdf), A4, with the case ID, the
// head's first 16 digits and "page X / Y" in the footer of every page.
// Throws for a PDF what capture::print_html_to_pdf throws (Error(input) naming the Debian
// package chromium when it is missing).
std::string render_report(const CaseModel& model, const Options& options);

// The footer of every page of the PDF report: a Chromium footer template (elements of class
// pageNumber and totalPages are filled in per page) with the case ID and the head cut to 16
// hexadecimal digits (the full head is in the report's integrity section), all escaped.
std::string pdf_footer_html(const CaseModel& model, Lang lang);

// The report's content as data (`report --format json`, cbkit-report-json(5)): the case,
// persons, the 15 points with status, evidence and what is missing (texts in `lang` beside
// stable keys), the timeline and the e-mail origins as headers.json gives them.
manifest::Json report_json(const CaseModel& model, Lang lang);

struct RecordOptions {
  std::string examiner; // empty: the case's examiner
  std::chrono::milliseconds lock_timeout{60000};
};

struct Recorded {
  manifest::Appended appended;
  std::string path; // evidence/<seq>-report/report.<ext>
  std::string sha256;
  std::uint64_t size = 0;
};

// Stores `content` (the report of `model` made with `options`) as a new entry of kind
// "report": evidence/<seq>-report/report.<ext>, read-only; the line records the language,
// the format and the head and seq the report describes, which must still be the case's head
// when the line is written (else store::HeadMoved: the case changed meanwhile, nothing is
// stored; make the report again from the new state).
// Throws Error(io) when the case cannot be written, Error(locked) when it stays locked.
Recorded record_report(const store::Case& c, const CaseModel& model, const std::string& content, const Options& options,
                       const RecordOptions& record);

} // namespace cbkit::report
