#include "cbkit/report/report.hpp"

#include "cbkit/error.hpp"
#include "cbkit/report/document.hpp"
#include "cbkit/store/staging.hpp"
#include "cbkit/util/fs.hpp"
#include "cbkit/util/sha256.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace cbkit::report {

std::optional<Format> parse_format(std::string_view name) {
  if (name == "html") return Format::html;
  if (name == "md") return Format::markdown;
  if (name == "txt") return Format::text;
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
  }
  return "application/octet-stream";
}

std::string render_report(const CaseModel& model, const Options& options) {
  const Document doc = build_document(model, options.lang);
  switch (options.format) {
  case Format::html:
    return render_html(doc);
  case Format::markdown:
    return render_markdown(doc);
  case Format::text:
    return render_text(doc);
  }
  return render_html(doc);
}

Recorded record_report(const store::Case& c, const CaseModel& model, const std::string& content, const Options& options,
                       const RecordOptions& record) {
  const std::string kind = "report";
  store::Staging staging(c, manifest::entry_area(kind));
  const std::string name = "report." + format_name(options.format);
  const std::filesystem::path staged = staging.dir() / name;
  {
    util::UniqueFd fd(::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) throw_errno(ErrorKind::io, staged.string());
    util::write_all(fd.get(), content.data(), content.size(), staged.string());
    util::fsync_or_throw(fd.get(), staged.string());
  }
  util::make_read_only(staged, false);
  util::fsync_dir(staging.dir());
  throw_if_interrupted("report");

  Recorded out;
  out.sha256 = util::sha256_hex(content);
  out.size = content.size();
  const std::string examiner = record.examiner.empty() ? model.examiner : record.examiner;
  const manifest::Actor actor = manifest::current_actor(examiner);
  out.appended = manifest::append_entry(
      c.root(), kind, staging.dir(),
      [&](const manifest::EntrySlot& slot) {
        // The report describes the case up to the line before its own; anything appended
        // since it was read would be missing from it.
        if (slot.prev != model.head) {
          throw Error(ErrorKind::case_, "report: the case changed while the report was being made (head is now " + slot.prev +
                                            "); run 'cbkit report --record' again");
        }
        out.path = slot.entry_dir + "/" + name;
        manifest::Json files = manifest::Json::array();
        files.push_back(manifest::Json{
            {"path", out.path}, {"sha256", out.sha256}, {"size", out.size}, {"media_type", format_media_type(options.format)}});
        manifest::Json line = manifest::make_line(slot.seq, slot.prev, slot.time, kind, actor, std::move(files));
        line["report"] = manifest::Json{{"lang", lang_code(options.lang)},
                                        {"format", format_name(options.format)},
                                        {"describes", manifest::Json{{"seq", model.seq}, {"head", model.head}}}};
        return line;
      },
      record.lock_timeout);
  staging.committed();
  return out;
}

} // namespace cbkit::report
