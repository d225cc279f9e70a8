#include "cbkit/report/report.hpp"

#include "cbkit/capture/browser.hpp"
#include "cbkit/error.hpp"
#include "cbkit/report/document.hpp"
#include "cbkit/report/identification.hpp"
#include "cbkit/report/text.hpp"
#include "cbkit/store/entry.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace cbkit::report {

std::optional<Format> parse_format(std::string_view name) {
  if (name == "html") return Format::html;
  if (name == "md") return Format::markdown;
  if (name == "txt") return Format::text;
  if (name == "json") return Format::json;
  if (name == "pdf") return Format::pdf;
  return std::nullopt;
}

std::optional<Template> parse_template(std::string_view name) {
  if (name == "complaint") return Template::complaint;
  if (name == "identification") return Template::identification;
  return std::nullopt;
}

std::string format_name(Format format) {
  switch (format) {
  case Format::html:
    return "html";
  case Format::markdown:
    return "md";
  case Format::text:
    return "txt";
  case Format::json:
    return "json";
  case Format::pdf:
    return "pdf";
  }
  return "html";
}

std::string format_media_type(Format format) {
  switch (format) {
  case Format::html:
    return "text/html; charset=utf-8";
  case Format::markdown:
    return "text/markdown; charset=utf-8";
  case Format::text:
    return "text/plain; charset=utf-8";
  case Format::json:
    return "application/json";
  case Format::pdf:
    return "application/pdf";
  }
  return "application/octet-stream";
}

std::string render_report(const CaseModel& model, const Options& options) {
  const bool annex = options.what == Template::identification;
  if (options.format == Format::json)
    return (annex ? identification_json(model, options.lang) : report_json(model, options.lang))
               .dump(2, ' ', false, manifest::Json::error_handler_t::replace) +
           "\n";
  const Document doc = annex ? build_identification_document(model, options.lang) : build_document(model, options.lang);
  if (options.format == Format::pdf) {
    capture::PdfPrintOptions print;
    print.browser = options.browser;
    print.footer_html = pdf_footer_html(model, options.lang);
    return capture::print_html_to_pdf(render_html(doc), print);
  }
  switch (options.format) {
  case Format::html:
    return render_html(doc);
  case Format::markdown:
    return render_markdown(doc);
  case Format::text:
    return render_text(doc);
  case Format::json:
  case Format::pdf:
    break;
  }
  return render_html(doc);
}

std::string pdf_footer_html(const CaseModel& model, Lang lang) {
  // Chromium draws the footer in the page margin with its own (tiny) default font size, so
  // the template sets its size; the two outer spans sit left and right.
  const std::string head = model.head.substr(0, 16);
  std::string out = "<div style=\"font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 7.5pt; color: #333; "
                    "width: 100%; margin: 0 14mm; display: flex; justify-content: space-between; white-space: nowrap;\">";
  out += "<span>" + escape_html(reveal_invisible(trf(lang, "pdf_footer_case", {model.case_id, head}), false)) + "</span>";
  // "page {1} / {2}" with the two numbers as Chromium's fill-in elements.
  const std::string page = escape_html(tr(lang, "pdf_footer_page"));
  const auto one = page.find("{1}");
  const auto two = page.find("{2}");
  if (one == std::string::npos || two == std::string::npos || two < one)
    throw Error(ErrorKind::internal, "pdf_footer_page: {1} before {2}");
  out += "<span>" + page.substr(0, one) + "<span class=\"pageNumber\"></span>" + page.substr(one + 3, two - one - 3) +
         "<span class=\"totalPages\"></span>" + page.substr(two + 3) + "</span></div>";
  return out;
}

Recorded record_report(const store::Case& c, const CaseModel& model, const std::string& content, const Options& options,
                       const RecordOptions& record) {
  store::EntryBuilder entry(c, "report", record.examiner.empty() ? model.examiner : record.examiner, record.lock_timeout);
  const std::string name = "report." + format_name(options.format);
  entry.add_bytes(name, content, "", format_media_type(options.format));
  manifest::Json fields = manifest::Json::object();
  fields["report"] = manifest::Json{{"lang", lang_code(options.lang)},
                                    {"format", format_name(options.format)},
                                    {"describes", manifest::Json{{"seq", model.seq}, {"head", model.head}}}};
  // The report describes the case up to the line before its own; anything appended since it
  // was read would be missing from it (HeadMoved: the caller renders it again).
  const store::Committed committed = entry.commit(fields, model.head);
  Recorded out;
  out.appended = committed.appended;
  out.path = committed.files.front().path;
  out.sha256 = committed.files.front().sha256;
  out.size = committed.files.front().size;
  return out;
}

} // namespace cbkit::report
