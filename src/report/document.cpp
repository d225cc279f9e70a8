#include "cbkit/report/document.hpp"

#include "cbkit/email/received.hpp"
#include "cbkit/kinds/kinds.hpp"

#include "cbkit/report/checklist.hpp"
#include "cbkit/report/qr.hpp"
#include "cbkit/report/text.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"
#include "cbkit/version.hpp"
#include "email_origin.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace cbkit::report {

namespace {
Block make_block(Block::Type type) {
  Block b;
  b.type = type;
  return b;
}
} // namespace

void Document::add_heading(std::string id, std::string text) {
  Block b = make_block(Block::Type::heading);
  b.id = std::move(id);
  b.text = std::move(text);
  blocks.push_back(std::move(b));
}
void Document::add_subheading(std::string id, std::string text) {
  Block b = make_block(Block::Type::subheading);
  b.id = std::move(id);
  b.text = std::move(text);
  blocks.push_back(std::move(b));
}
void Document::add_paragraph(std::string text) {
  Block b = make_block(Block::Type::paragraph);
  b.text = std::move(text);
  blocks.push_back(std::move(b));
}
void Document::add_fields(std::vector<std::pair<std::string, std::string>> items) {
  std::erase_if(items, [](const auto& kv) { return kv.second.empty(); });
  if (items.empty()) return;
  Block b = make_block(Block::Type::fields);
  b.fields = std::move(items);
  blocks.push_back(std::move(b));
}
void Document::add_table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
  Block b = make_block(Block::Type::table);
  b.header = std::move(header);
  b.rows = std::move(rows);
  blocks.push_back(std::move(b));
}
void Document::add_bullets(std::vector<std::string> items) {
  Block b = make_block(Block::Type::bullets);
  b.items = std::move(items);
  blocks.push_back(std::move(b));
}
void Document::add_code(std::string text) {
  Block b = make_block(Block::Type::code);
  b.text = std::move(text);
  blocks.push_back(std::move(b));
}

using manifest::Json;

namespace {

// Images shown as thumbnails: at most this size, and only when they match their hash. The
// evidence is embedded as stored (never re-encoded or resized); the browser scales it.
constexpr std::uint64_t k_max_thumbnail = 5u << 20;
// An e-mail's text body is read up to this size (then hashed as recorded), and shown up to
// this many characters and lines; the rest is named by its path and SHA-256.
constexpr std::uint64_t k_max_body_read = 16u << 20;
constexpr std::size_t k_body_chars = 4000;
constexpr std::size_t k_body_lines = 60;
// Generic listing of an entry of an unknown kind stops after this many fields.
constexpr std::size_t k_max_generic_fields = 80;

std::string str(const Json& obj, const char* key) { return util::string_field(obj, key); }

using util::member;
const Json& null_json() { return util::member(Json(), ""); }
std::string scalar(const Json& v) { return util::scalar_text(v); }

std::string size_text(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  char buf[48];
  const double kib = static_cast<double>(bytes) / 1024.0;
  if (kib < 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB (%llu B)", kib, static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB (%llu B)", kib / 1024.0, static_cast<unsigned long long>(bytes));
  }
  return buf;
}

std::uint64_t file_size(const Json& f) { return util::unsigned_field(f, "size").value_or(0); }

using util::join;

std::string entry_ref(std::uint64_t seq) { return "#" + std::to_string(seq); }

// The report's language for the kinds' timeline lines.
class LangTranslator : public kinds::Translator {
public:
  explicit LangTranslator(Lang lang) : m_lang(lang) {}
  std::string text(const std::string& key, const std::vector<std::string>& args) const override { return trf(m_lang, key, args); }

private:
  Lang m_lang;
};

} // namespace

std::vector<ReportEvent> timeline_events(const CaseModel& model, Lang lang) {
  const LangTranslator translator(lang);
  std::vector<ReportEvent> out;
  for (const auto& e : model.entries) {
    ReportEvent ev;
    ev.seq = e.seq;
    ev.kind = e.kind;
    ev.utc = e.time;
    ev.source = "src_recorded";
    const Json& c = member(e.line, "context");
    if (!str(c, "observed_at_utc").empty() && util::parse_rfc3339(str(c, "observed_at_utc"))) {
      ev.utc = str(c, "observed_at_utc");
      ev.source = "src_observed";
    }
    // The kind's own line (unknown kinds: their files), and a better time when it has one.
    const kinds::TimelineEvent k = kinds::timeline(e.line, e.derived ? &*e.derived : nullptr, translator);
    ev.what = k.what;
    if (!k.utc.empty()) {
      ev.utc = k.utc;
      ev.source = k.source;
    }
    if (!str(c, "kind").empty()) ev.what = "[" + str(c, "kind") + "] " + ev.what;
    const auto p = util::parse_rfc3339(ev.utc);
    ev.epoch = p ? p->epoch_seconds : 0;
    out.push_back(std::move(ev));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ReportEvent& a, const ReportEvent& b) { return a.epoch != b.epoch ? a.epoch < b.epoch : a.seq < b.seq; });
  return out;
}

namespace {

class Builder {
public:
  Builder(const CaseModel& m, Lang lang) : m_model(m), m_lang(lang) {}

  Document build() {
    m_doc.lang = m_lang;
    m_doc.title = trf(m_lang, "title", {m_model.case_id});
    collect_events();
    number_exhibits();
    intro();
    summary();
    persons();
    timeline();
    checklist();
    emails();
    captures();
    conversations();
    calls();
    files();
    notes();
    others();
    exhibits();
    integrity();
    return std::move(m_doc);
  }

private:
  const std::string& t(std::string_view key) const { return tr(m_lang, key); }
  std::string tf(std::string_view key, std::initializer_list<std::string> args) const { return trf(m_lang, key, args); }

  // ---------------------------------------------------------------- blocks

  void heading(const std::string& id, std::string_view key) { m_doc.add_heading(id, t(key)); }
  void subheading(const std::string& id, std::string text) { m_doc.add_subheading(id, std::move(text)); }
  void paragraph(std::string text) { m_doc.add_paragraph(std::move(text)); }
  void fields(std::vector<std::pair<std::string, std::string>> items) { m_doc.add_fields(std::move(items)); }
  void table(std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
    m_doc.add_table(std::move(header), std::move(rows));
  }
  void bullets(std::vector<std::string> items) { m_doc.add_bullets(std::move(items)); }
  void code(std::string text) { m_doc.add_code(std::move(text)); }

  // ---------------------------------------------------------------- times

  // "2026-11-20 21:02:58 UTC" from any RFC 3339 UTC text; the text itself when it is not one.
  static std::string utc_text(const std::string& rfc3339) {
    const auto p = util::parse_rfc3339(rfc3339);
    if (!p) return rfc3339;
    std::string s = p->utc.substr(0, 10) + " " + p->utc.substr(11, 8) + " UTC";
    return s;
  }
  std::string zone_text(const std::string& rfc3339) const {
    const auto p = util::parse_rfc3339(rfc3339);
    if (!p) return "";
    return util::format_in_zone(p->epoch_seconds, m_model.timezone);
  }
  // Both: "2026-11-20 21:02:58 UTC / 2026-11-20 22:02:58 +01:00 (Europe/Brussels)".
  std::string both_times(const std::string& rfc3339) const {
    if (rfc3339.empty()) return "";
    const std::string z = zone_text(rfc3339);
    return z.empty() ? rfc3339 : utc_text(rfc3339) + " / " + z;
  }

  // ---------------------------------------------------------------- helpers on entries

  static const Json& context_of(const ModelEntry& e) { return member(e.line, "context"); }
  static const Json& files_of(const ModelEntry& e) {
    static const Json empty = Json::array();
    const Json& f = member(e.line, "files");
    return f.is_array() ? f : empty;
  }
  // The kind of one entry: a file entry with a single file is "File", not "Files".
  std::string kind_name(const ModelEntry& e) const {
    if (e.kind == "file" && files_of(e).size() == 1) return t("kind_file_one");
    return kind_name(e.kind);
  }
  std::string kind_name_at(std::uint64_t seq, const std::string& kind) const {
    for (const auto& e : m_model.entries)
      if (e.seq == seq) return kind_name(e);
    return kind_name(kind);
  }
  std::string kind_name(const std::string& kind) const {
    static const std::set<std::string> known = {"case", "file",      "email",  "note", "web",       "report",
                                                "seal", "timestamp", "person", "call", "checklist", "chat"};
    if (known.count(kind) != 0) return t("kind_" + kind);
    return kind;
  }
  std::string examiner_of(const ModelEntry& e) const {
    const Json& a = member(e.line, "actor");
    std::string s = str(a, "examiner");
    const std::string user = str(a, "user");
    const std::string host = str(a, "host");
    if (!user.empty() || !host.empty()) s += " (" + user + "@" + host + ")";
    return s;
  }
  std::vector<std::pair<std::string, std::string>> context_fields(const ModelEntry& e) const {
    const Json& c = context_of(e);
    std::string observed = str(c, "observed_at");
    if (!observed.empty()) {
      const std::string utc = str(c, "observed_at_utc");
      observed = tf("observed_as_given", {observed}) + "\n" + both_times(utc.empty() ? observed : utc);
    }
    return {{t("f_context_kind"), str(c, "kind")}, {t("f_source_url"), str(c, "source_url")},
            {t("f_platform"), str(c, "platform")}, {t("f_account_id"), str(c, "account_id")},
            {t("f_observed_at"), observed},        {t("f_context_note"), str(c, "note")}};
  }
  std::vector<std::pair<std::string, std::string>> recorded_fields(const ModelEntry& e) const {
    return {{t("f_recorded_at"), both_times(e.time)}, {t("f_recorded_by"), examiner_of(e)}};
  }
  std::string email_from(const ModelEntry& e) const {
    if (e.derived) {
      std::vector<std::string> parts;
      for (const Json& a : member(member(*e.derived, "summary"), "from")) {
        const std::string name = str(a, "name");
        const std::string addr = str(a, "address");
        parts.push_back(name.empty() ? addr : name + " <" + addr + ">");
      }
      if (!parts.empty()) return join(parts, ", ");
    }
    std::vector<std::string> parts;
    for (const Json& a : member(member(e.line, "email"), "from"))
      parts.push_back(scalar(a));
    return join(parts, ", ");
  }
  std::string email_subject(const ModelEntry& e) const { return str(member(e.line, "email"), "subject"); }
  std::string web_field(const ModelEntry& e, const char* key) const {
    std::string v = scalar(member(member(e.line, "web"), key));
    if (v.empty() && e.derived) v = scalar(member(*e.derived, key));
    return v;
  }
  std::string web_url(const ModelEntry& e) const {
    std::string u = web_field(e, "url");
    if (u.empty()) u = web_field(e, "requested_url");
    return u;
  }
  static bool is_image(const Json& f) {
    const std::string mt = str(f, "media_type");
    return mt.starts_with("image/");
  }
  // An export member recorded without a media type: an image by its name (the bytes are
  // checked by thumbnail_uri before anything is embedded).
  static bool is_image_name(const std::string& path) {
    const std::string lower = util::to_lower_ascii(path);
    for (const char* ext : {".png", ".jpg", ".jpeg", ".gif", ".webp"})
      if (lower.ends_with(ext)) return true;
    return false;
  }

  // The exhibit number of a recorded file (its row in the exhibit index), as text.
  std::string exhibit_of(const Json& f) const {
    const auto it = m_exhibit_no.find(str(f, "path"));
    return it == m_exhibit_no.end() ? "-" : std::to_string(it->second);
  }

  // The media type of an image's bytes, read from its signature (PNG, JPEG, GIF, WebP), else "".
  static std::string sniff_image(const std::string& bytes) {
    if (bytes.starts_with("\x89PNG\r\n\x1a\n")) return "image/png";
    if (bytes.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
    if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) return "image/gif";
    if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.compare(8, 4, "WEBP") == 0) return "image/webp";
    return "";
  }

  // A data: URI of a PNG/JPEG/GIF/WebP file that matches its record, else empty.
  std::string thumbnail_uri(const ModelEntry& e, const Json& f) const {
    const auto bytes = read_recorded_file(m_model.root, e.kind, f, k_max_thumbnail);
    if (!bytes) return "";
    const std::string type = sniff_image(*bytes);
    if (type.empty()) return "";
    return "data:" + type + ";base64," + util::base64(*bytes);
  }
  // An image file as a thumbnail (HTML: embedded as a data: URI, exactly the recorded bytes;
  // Markdown and text: named), captioned with its exhibit number, path and SHA-256; a file
  // over k_max_thumbnail is named, not embedded. `what` is the caption's first part.
  void image(const ModelEntry& e, const Json& f, const std::string& what) {
    const std::string exhibit = exhibit_of(f);
    const std::string path = str(f, "path");
    const std::string sha = str(f, "sha256");
    Block b;
    b.type = Block::Type::image;
    if (file_size(f) > k_max_thumbnail) {
      b.text = tf("image_too_large", {exhibit, path, size_text(file_size(f)), sha, size_text(k_max_thumbnail)});
    } else {
      b.raw = thumbnail_uri(e, f);
      b.text = b.raw.empty() ? tf("image_not_shown", {exhibit, path, sha}) : tf("thumbnail_caption", {what, exhibit, path, sha});
    }
    m_doc.blocks.push_back(std::move(b));
  }
  void quote(std::string text) {
    Block b;
    b.type = Block::Type::quote;
    b.text = std::move(text);
    m_doc.blocks.push_back(std::move(b));
  }

  // The translated label of a line's field ("seal.covers.head"), else its path as written
  // (the fields of a kind this version does not know).
  std::string field_label(const std::string& path) const {
    std::string key = "field.";
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '[') {
        i = path.find(']', i);
        if (i == std::string::npos) break;
        continue;
      }
      key += path[i];
    }
    if (key.starts_with("field.seal.timestamp.")) key = "field." + key.substr(11);
    return has_translation(key) ? t(key) : path;
  }

  std::vector<std::pair<std::string, std::string>> generic_fields(const ModelEntry& e) const {
    static const std::set<std::string> common = {"seq", "prev", "time", "kind", "actor", "tool", "files", "context"};
    std::vector<std::pair<std::string, std::string>> out;
    std::function<void(const Json&, const std::string&)> walk = [&](const Json& v, const std::string& path) {
      if (out.size() >= k_max_generic_fields) return;
      if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it)
          walk(it.value(), path.empty() ? it.key() : path + "." + it.key());
      } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i)
          walk(v[i], path + "[" + std::to_string(i) + "]");
      } else if (v.is_boolean()) {
        out.emplace_back(field_label(path), t(v.get<bool>() ? "bool_true" : "bool_false"));
      } else {
        out.emplace_back(field_label(path), v.is_null() ? "null" : scalar(v));
      }
    };
    for (auto it = e.line.begin(); it != e.line.end(); ++it) {
      if (common.count(it.key()) == 0) walk(it.value(), it.key());
    }
    return out;
  }

  std::vector<std::vector<std::string>> file_rows(const ModelEntry& e) const {
    std::vector<std::vector<std::string>> rows;
    for (const Json& f : files_of(e)) {
      std::string what = str(f, "name");
      const std::string role = str(f, "role");
      if (!role.empty()) what = what.empty() ? role : role + ": " + what;
      rows.push_back({what, str(f, "path"), size_text(file_size(f)), str(f, "media_type"), str(f, "sha256")});
    }
    return rows;
  }
  std::vector<std::string> file_header() const { return {t("c_name"), t("c_path"), t("c_size"), t("c_media_type"), "SHA-256"}; }

  std::vector<const ModelEntry*> of_kind(const std::string& kind) const {
    std::vector<const ModelEntry*> out;
    for (const auto& e : m_model.entries)
      if (e.kind == kind) out.push_back(&e);
    return out;
  }

  // ---------------------------------------------------------------- events

  void collect_events() { m_events = timeline_events(m_model, m_lang); }

  // The exhibit numbers: every recorded file in manifest order, as the exhibit index lists them.
  void number_exhibits() {
    int n = 0;
    for (const auto& e : m_model.entries)
      for (const Json& f : files_of(e))
        m_exhibit_no.emplace(str(f, "path"), ++n);
  }

  // ---------------------------------------------------------------- sections

  void intro() {
    const ModelEntry& last = m_model.entries.back();
    paragraph(tf("intro_describes", {m_model.case_id, std::to_string(m_model.seq), utc_text(last.time), m_model.head}));
    paragraph(tf("intro_how", {k_version, m_model.timezone}));
  }

  void summary() {
    heading("summary", "sec_summary");
    std::uint64_t nfiles = 0;
    std::uint64_t bytes = 0;
    std::map<std::string, std::uint64_t> counts;
    for (const auto& e : m_model.entries) {
      ++counts[e.kind];
      for (const Json& f : files_of(e)) {
        ++nfiles;
        bytes += file_size(f);
      }
    }
    std::string period;
    if (m_events.size() > 1) {
      period = tf("period", {both_times(m_events.front().utc), both_times(m_events.back().utc)});
    }
    fields({{t("f_case_id"), m_model.case_id},
            {t("f_title"), m_model.title},
            {t("f_examiner"), m_model.examiner},
            {t("f_organisation"), m_model.organisation},
            {t("f_timezone"), tf("timezone_value", {m_model.timezone, m_model.utc_offset})},
            {t("f_opened"), both_times(m_model.created)},
            {t("f_period"), period},
            {t("f_entries"), std::to_string(m_model.entries.size())},
            {t("f_files_stored"), tf("files_total", {std::to_string(nfiles), size_text(bytes)})},
            {t("f_head"), m_model.head},
            {t("f_seq"), std::to_string(m_model.seq)}});
    std::vector<std::vector<std::string>> rows;
    for (const auto& [kind, n] : counts)
      rows.push_back({kind_name(kind), std::to_string(n)});
    table({t("c_kind"), t("c_count")}, std::move(rows));
  }

  void timeline() {
    heading("timeline", "sec_timeline");
    paragraph(t("timeline_intro"));
    Block b;
    b.type = Block::Type::svg;
    b.raw = timeline_svg(m_events, m_model.timezone, m_lang);
    b.text = t("timeline_svg_only_html");
    m_doc.blocks.push_back(std::move(b));
    std::vector<std::vector<std::string>> rows;
    for (const auto& ev : m_events) {
      // The zone is the column's heading: the cell holds the local time with its offset.
      std::string local = zone_text(ev.utc);
      local = local.substr(0, local.find(" ("));
      rows.push_back({entry_ref(ev.seq), utc_text(ev.utc), local, kind_name_at(ev.seq, ev.kind), t(ev.source), ev.what});
    }
    table({t("c_entry"), t("c_time_utc"), tf("c_time_zone", {m_model.timezone}), t("c_kind"), t("c_time_source"), t("c_what")},
          std::move(rows));
  }

  // ---------------------------------------------------------------- persons

  void persons() {
    const auto list = collect_persons(m_model);
    if (list.empty()) return;
    heading("persons", "sec_persons");
    paragraph(t("persons_intro"));
    for (const auto& p : list) {
      // The heading names the person by their names, else by their handles, else their first
      // identifier: a suspect often has no known name.
      std::vector<std::string> names;
      for (const char* type : {"name", "handle"}) {
        for (const auto& id : p.identifiers)
          if (id.type == type) names.push_back(id.value);
        if (!names.empty()) break;
      }
      if (names.empty() && !p.identifiers.empty()) names.push_back(p.identifiers.front().value);
      subheading("person-" + std::to_string(p.id), tf("person_heading", {role_name(p.role), std::to_string(p.id), join(names, ", ")}));
      std::vector<std::vector<std::string>> rows;
      for (const auto& id : p.identifiers) {
        std::string value = id.value;
        // A phone as typed and how it was normalized; an account's URL and handle.
        if (id.type == "phone") {
          const std::string typed = str(id.detail, "as_typed");
          if (!typed.empty() && typed != value) value += "\n" + typed;
          if (!str(id.detail, "e164_rule").empty()) value += "\n" + e164_rule_text(str(id.detail, "e164_rule"));
        }
        if (id.type == "account") value = join({value, str(id.detail, "handle"), str(id.detail, "url")}, "\n");
        rows.push_back({identifier_type(id.type), value, via_text(id)});
      }
      if (!rows.empty()) table({t("c_identifier"), t("c_value"), t("c_came_from")}, std::move(rows));
      for (const auto& [seq, text] : p.notes)
        paragraph(tf("person_note", {entry_ref_text("person", seq, m_lang), text}));
    }
  }

  // The rule a person entry records for its E.164 form (people::parse_phone writes it in
  // English) in the report's language; a rule this version does not know, as written.
  std::string e164_rule_text(const std::string& rule) const {
    if (rule == "international number as typed") return t("e164_international");
    if (rule == "international prefix 00") return t("e164_prefix_00");
    static const std::string national = "national number, country code ";
    static const std::string zone = " from the case's time zone ";
    const auto z = rule.find(zone);
    if (rule.starts_with(national) && z != std::string::npos)
      return tf("e164_national", {rule.substr(national.size(), z - national.size()), rule.substr(z + zone.size())});
    return rule;
  }

  std::string role_name(const std::string& role) const {
    if (role == "victim" || role == "suspect" || role == "witness" || role == "reporter") return t("role_" + role);
    return role.empty() ? t("role_other") : t("role_other") + " (" + role + ")";
  }
  std::string identifier_type(const std::string& type) const {
    if (type == "name" || type == "email" || type == "phone" || type == "account" || type == "handle") return t("id_" + type);
    if (type == "profile-url") return t("id_profile_url");
    return type;
  }
  std::string via_text(const PersonIdentifier& id) const {
    const ModelEntry* e = entry_at(id.source);
    const std::string ref = entry_ref_text(e != nullptr ? e->kind : "", id.source, m_lang);
    std::string key = "via_" + id.via;
    std::replace(key.begin(), key.end(), '-', '_');
    static const std::set<std::string> known = {"via_person", "via_email_from", "via_email_reply_to", "via_email_return_path",
                                                "via_call_from"};
    return known.count(key) != 0 ? tf(key, {ref}) : ref + " (" + id.via + ")";
  }
  const ModelEntry* entry_at(std::uint64_t seq) const {
    for (const auto& e : m_model.entries)
      if (e.seq == seq) return &e;
    return nullptr;
  }

  // ---------------------------------------------------------------- checklist

  // The police's 15 points as evaluated by evaluate_checklist(): a table with each point's
  // status and the entries that answer it, then per point what each entry shows, what is
  // missing and the rule that decided.
  void checklist() {
    heading("checklist", "sec_checklist");
    paragraph(t("checklist_intro"));
    const auto points = evaluate_checklist(m_model);
    const auto refs = [](const std::vector<std::uint64_t>& seqs) {
      std::vector<std::string> parts;
      for (const auto seq : seqs)
        parts.push_back(entry_ref(seq));
      return join(parts, ", ");
    };
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : points)
      rows.push_back({std::to_string(p.id), t(p.title_key), t(status_key(p.status)), refs(p.evidence)});
    table({"", t("c_point"), t("c_status"), t("c_entries")}, std::move(rows));
    const auto texts = [&](const std::vector<Message>& messages) {
      std::vector<std::string> out;
      for (const auto& m : messages)
        out.push_back(message_text(m, m_lang));
      return out.empty() ? std::string("\xE2\x80\x94") : join(out, "\n");
    };
    for (const auto& p : points) {
      subheading("checklist-" + std::to_string(p.id), std::to_string(p.id) + ". " + t(p.title_key));
      std::vector<std::pair<std::string, std::string>> f = {{t("c_status"), t(status_key(p.status))}};
      if (p.reason) f.emplace_back(t("f_not_applicable"), message_text(*p.reason, m_lang));
      if (p.status != PointStatus::not_applicable || !p.found.empty()) f.emplace_back(t("f_evidence"), texts(p.found));
      if (p.status != PointStatus::not_applicable) f.emplace_back(t("f_missing"), texts(p.missing));
      f.emplace_back(t("f_rule"), p.rule);
      fields(std::move(f));
    }
  }

  // ---------------------------------------------------------------- e-mails

  void emails() {
    heading("emails", "sec_emails");
    const auto list = of_kind("email");
    if (list.empty()) {
      paragraph(t("none_recorded"));
      return;
    }
    for (const auto* e : list)
      email(*e);
  }

  // The e-mail's origin as report fields, the first being the "Likely originating IP" value:
  // the sender's client IP with its rule, or, when the message left through a provider's relay,
  // the statement that the provider does not disclose it, what to ask it and with which
  // identifiers. headers.json from before summary.origin existed is read the same way: its
  // originating IP is checked against the table of provider relays, through the Received hop
  // it was read from.
  std::vector<std::pair<std::string, std::string>> origin_fields(const ModelEntry& e, const Json& s, const Json& em) const {
    std::vector<std::pair<std::string, std::string>> out;
    const Json& origin = member(s, "origin");
    const Json& client = member(origin, "client_ip");
    const Json& provider = member(origin, "provider");
    std::string provider_name = str(provider, "name");
    std::string rule = str(origin, "rule");
    std::string ip;
    std::string source;
    std::string legacy_queue_id;
    std::string legacy_handoff;
    if (client.is_object()) {
      ip = str(client, "ip");
      source = str(client, "source");
    } else if (!origin.is_object()) { // older headers.json, or none
      const Json& o = member(s, "originating_ip");
      ip = o.is_object() ? str(o, "ip") : str(em, "originating_ip");
      source = str(o, "source");
      if (!o.is_object() || source == "Received") {
        const LegacyRelay relay = legacy_relay(e, ip);
        if (relay.provider != nullptr) {
          provider_name = std::string(relay.provider->name);
          legacy_queue_id = relay.queue_id;
          legacy_handoff = relay.handoff;
          ip.clear();
        }
      }
      if (!ip.empty() && o.is_object()) rule = "legacy:" + str(o, "reason");
    }
    if (!ip.empty()) {
      std::string why;
      if (rule == email::k_rule_first_public_hop)
        why = t("origin_rule_first_hop");
      else if (rule == email::k_rule_client_ip_header)
        why = tf("origin_rule_header", {source});
      else if (rule == email::k_rule_provider_submission)
        why = tf("origin_rule_submission", {provider_name});
      else if (rule == email::k_rule_client_ip_header_private)
        why = tf("origin_rule_header_private", {source});
      else if (rule.starts_with("legacy:"))
        why = rule.substr(7);
      out.push_back({t("f_originating_ip"), why.empty() ? ip : ip + " (" + why + ")"});
      std::string limits = t("origin_limit_ip");
      if (rule == email::k_rule_client_ip_header || rule == email::k_rule_client_ip_header_private)
        limits += " " + t("origin_limit_header");
      if (rule == email::k_rule_first_public_hop && member(e.derived ? *e.derived : null_json(), "received").size() > 1)
        limits += " " + t("origin_limit_hop");
      out.push_back({t("f_origin_limits"), limits});
    } else if (rule == email::k_rule_unconfirmed_relay) {
      out.push_back(
          {t("f_originating_ip"), tf("origin_unconfirmed", {str(provider, "relay_name"), provider_name, str(provider, "relay_ip")})});
    } else if (!provider_name.empty()) {
      out.push_back({t("f_originating_ip"), tf("origin_not_disclosed", {provider_name})});
    } else if (origin.is_object()) {
      out.push_back({t("f_originating_ip"), t("origin_none")});
    } else {
      out.push_back({t("f_originating_ip"), ""});
    }
    if (!provider_name.empty()) {
      out.push_back({t("f_origin_request"), tf("origin_ask", {provider_name})});
      const Json& ids = member(origin, "identifiers");
      const std::string message_id = str(ids, "message_id").empty() ? str(em, "message_id") : str(ids, "message_id");
      const std::string handoff = origin.is_object() ? str(ids, "handoff_utc") : legacy_handoff;
      const std::string queue_id = origin.is_object() ? str(ids, "queue_id") : legacy_queue_id;
      out.push_back({t("f_origin_ids"), tf("origin_ids", {message_id.empty() ? "-" : message_id, provider_name,
                                                          queue_id.empty() ? "-" : queue_id, handoff.empty() ? "-" : utc_text(handoff)})});
    }
    return out;
  }

  void email(const ModelEntry& e) {
    subheading("entry-" + std::to_string(e.seq), tf("email_heading", {std::to_string(e.seq), email_subject(e)}));
    const Json& em = member(e.line, "email");
    if (!e.derived) paragraph(tf("derived_problem", {e.derived_path.empty() ? "headers.json" : e.derived_path, e.derived_problem}));
    const Json& s = e.derived ? member(*e.derived, "summary") : null_json();
    const auto addresses = [&](const char* key) {
      std::vector<std::string> parts;
      for (const Json& a : member(s, key)) {
        const std::string name = str(a, "name");
        parts.push_back(name.empty() ? str(a, "address") : name + " <" + str(a, "address") + ">");
      }
      if (parts.empty())
        for (const Json& a : member(em, key))
          parts.push_back(scalar(a));
      return join(parts, ", ");
    };
    std::string date = str(em, "date");
    if (!str(em, "date_utc").empty()) date += "\n" + both_times(str(em, "date_utc"));
    std::vector<std::pair<std::string, std::string>> origin = origin_fields(e, s, em);
    const std::string ip = origin.front().second;
    origin.erase(origin.begin());
    std::vector<std::pair<std::string, std::string>> f = {{t("f_from"), addresses("from")},
                                                          {t("f_subject"), email_subject(e)},
                                                          {t("f_date"), date},
                                                          {t("f_to"), addresses("to")},
                                                          {t("f_cc"), addresses("cc")},
                                                          {t("f_reply_to"), addresses("reply_to")},
                                                          {t("f_return_path"), addresses("return_path")},
                                                          {t("f_message_id"), str(em, "message_id")},
                                                          {t("f_originating_ip"), ip}};
    for (auto& kv : origin)
      f.push_back(std::move(kv));
    for (auto& kv : context_fields(e))
      f.push_back(std::move(kv));
    for (auto& kv : recorded_fields(e))
      f.push_back(std::move(kv));
    fields(std::move(f));

    if (e.derived) {
      const Json& hops = member(*e.derived, "received");
      paragraph(t("email_hops"));
      if (hops.empty()) {
        paragraph(t("email_no_hops"));
      } else {
        std::vector<std::vector<std::string>> rows;
        int n = 0;
        for (const Json& h : hops) {
          ++n;
          std::string from = str(h, "from");
          if (!str(h, "from_tcp_host").empty() && str(h, "from_tcp_host") != from) from += " (" + str(h, "from_tcp_host") + ")";
          const Json& d = member(h, "date");
          const std::string when = str(d, "utc").empty() ? str(d, "as_written") : utc_text(str(d, "utc"));
          // The local time in the case's zone with its offset (the zone is the column's heading).
          std::string local = str(d, "utc").empty() ? std::string() : zone_text(str(d, "utc"));
          local = local.substr(0, local.find(" ("));
          const Json& delay = member(h, "delay_seconds");
          rows.push_back({std::to_string(n), from, str(h, "from_ip"), str(h, "by"), join({str(h, "with"), str(h, "tls")}, "; "), local,
                          when, delay.is_number() ? delay.dump() + " s" : ""});
        }
        table({"", t("c_hop_from"), "IP", t("c_hop_by"), t("c_hop_with"), tf("c_time_zone", {m_model.timezone}), t("c_time_utc"),
               t("c_delay")},
              std::move(rows));
      }
      std::vector<std::vector<std::string>> auth;
      for (const Json& a : member(*e.derived, "authentication_results")) {
        for (const Json& mth : member(a, "methods")) {
          std::vector<std::string> props;
          const Json& p = member(mth, "properties");
          if (p.is_object())
            for (auto it = p.begin(); it != p.end(); ++it)
              props.push_back(it.key() + "=" + scalar(it.value()));
          auth.push_back({str(a, "authserv_id"), str(mth, "method"), str(mth, "result"), join(props, ", ")});
        }
      }
      paragraph(t("email_auth"));
      if (auth.empty()) {
        paragraph(t("email_no_auth"));
      } else {
        table({t("c_authserv"), t("c_method"), t("c_result"), t("c_details")}, std::move(auth));
      }
      std::vector<std::vector<std::string>> dkim;
      for (const Json& d : member(*e.derived, "dkim"))
        dkim.push_back({str(d, "domain"), str(d, "selector"), str(d, "body_hash"), str(d, "signature"), str(d, "key_source")});
      paragraph(t("email_dkim"));
      if (dkim.empty()) {
        paragraph(t("email_no_dkim"));
      } else {
        table({t("c_domain"), t("c_selector"), t("c_body_hash"), t("c_signature"), t("c_key")}, std::move(dkim));
      }
      paragraph(t("email_anomalies"));
      std::vector<std::string> anomalies;
      for (const Json& a : member(*e.derived, "anomalies")) {
        const std::string key = "anomaly." + str(a, "code");
        if (m_lang != Lang::en && has_translation(key)) {
          anomalies.push_back(tf("anomaly_translated", {str(a, "code"), t(key), str(a, "message")}));
        } else {
          anomalies.push_back(str(a, "code") + ": " + str(a, "message"));
        }
      }
      if (anomalies.empty()) {
        paragraph(t("email_no_anomalies"));
      } else {
        bullets(std::move(anomalies));
      }
    } else {
      std::vector<std::string> anomalies;
      for (const Json& a : member(em, "anomalies"))
        anomalies.push_back(scalar(a));
      if (!anomalies.empty()) {
        paragraph(t("email_anomalies"));
        bullets(std::move(anomalies));
      }
    }
    email_body(e);
    email_attachments(e);
    paragraph(t("email_files"));
    table(file_header(), file_rows(e));
  }

  // The first file of `e` with one of these roles, else nullptr.
  static const Json* file_with_role(const ModelEntry& e, std::initializer_list<std::string_view> roles) {
    for (const Json& f : files_of(e)) {
      const std::string role = str(f, "role");
      if (std::find(roles.begin(), roles.end(), role) != roles.end()) return &f;
    }
    return nullptr;
  }

  // The decoded text body (body.txt, read through the recorded-file checks), quoted; cut after
  // k_body_lines lines or k_body_chars characters with a note naming the full text.
  void email_body(const ModelEntry& e) {
    const Json* body = file_with_role(e, {"body-text"});
    if (body == nullptr) {
      if (const Json* html = file_with_role(e, {"body-html"})) {
        paragraph(tf("email_body_html_only", {exhibit_of(*html), str(*html, "path"), str(*html, "sha256")}));
      } else {
        paragraph(t("email_body_none"));
      }
      return;
    }
    const std::string exhibit = exhibit_of(*body);
    const std::string path = str(*body, "path");
    const std::string sha = str(*body, "sha256");
    paragraph(tf("email_body", {exhibit, path, sha}));
    const auto bytes = read_recorded_file(m_model.root, e.kind, *body, k_max_body_read);
    if (!bytes) {
      paragraph(tf("email_body_unreadable", {exhibit, path, size_text(k_max_body_read)}));
      return;
    }
    // CR LF line ends as line feeds (a lone CR stays, and is shown as [U+000D]).
    std::string text;
    text.reserve(bytes->size());
    for (std::size_t i = 0; i < bytes->size(); ++i)
      if (!((*bytes)[i] == '\r' && i + 1 < bytes->size() && (*bytes)[i + 1] == '\n')) text += (*bytes)[i];
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
      text.pop_back();
    if (text.empty()) {
      paragraph(t("email_body_empty"));
      return;
    }
    // Cut on a character boundary: count UTF-8 lead bytes and line feeds.
    std::size_t chars = 0, lines = 1, cut = text.size();
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if ((c & 0xC0) == 0x80) continue;
      if (chars == k_body_chars || (text[i] == '\n' && lines == k_body_lines)) {
        cut = i;
        break;
      }
      ++chars;
      if (text[i] == '\n') ++lines;
    }
    if (cut == text.size()) {
      quote(std::move(text));
      return;
    }
    std::size_t total_lines = 1 + static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    std::size_t shown_lines = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(cut), '\n'));
    quote(text.substr(0, cut) + "\n[...]");
    paragraph(tf("email_body_cut", {std::to_string(shown_lines), std::to_string(total_lines), exhibit, path, sha}));
  }

  // The attachments (and inline parts) by name, size and SHA-256, images as thumbnails.
  void email_attachments(const ModelEntry& e) {
    std::vector<std::vector<std::string>> rows;
    std::vector<const Json*> images;
    for (const Json& f : files_of(e)) {
      const std::string role = str(f, "role");
      if (role != "attachment" && role != "inline") continue;
      const std::string name = attachment_name(f);
      rows.push_back({exhibit_of(f), name, size_text(file_size(f)), str(f, "media_type"), str(f, "sha256")});
      if (is_image(f)) images.push_back(&f);
    }
    if (rows.empty()) {
      paragraph(t("email_no_attachments"));
      return;
    }
    paragraph(t("email_attachments"));
    table({t("c_exhibit"), t("c_name"), t("c_size"), t("c_media_type"), "SHA-256"}, std::move(rows));
    for (const Json* f : images)
      image(e, *f, tf("email_attachment_image", {std::to_string(e.seq), attachment_name(*f)}));
  }
  // The name the sender gave an attachment, else the name it is stored under, else "(no name)".
  std::string attachment_name(const Json& f) const {
    std::string name = str(f, "name");
    if (name.empty()) {
      const std::string path = str(f, "path");
      name = path.substr(path.rfind('/') + 1);
    }
    return name.empty() ? t("email_attachment_unnamed") : name;
  }

  // ---------------------------------------------------------------- captures

  void captures() {
    const auto list = of_kind("web");
    heading("captures", "sec_captures");
    if (list.empty()) {
      paragraph(t("none_recorded"));
      return;
    }
    for (const auto* e : list)
      capture(*e);
  }

  void capture(const ModelEntry& e) {
    subheading("entry-" + std::to_string(e.seq), tf("capture_heading", {std::to_string(e.seq), web_url(e)}));
    if (!e.derived && !e.derived_problem.empty()) paragraph(tf("derived_problem", {e.derived_path, e.derived_problem}));
    const Json& d = e.derived ? *e.derived : null_json();
    std::string tls_subject, tls_issuer;
    const Json& tls = member(d, "tls");
    const Json& chain = member(tls, "chain");
    if (chain.is_array() && !chain.empty()) {
      tls_subject = str(chain[0], "subject");
      tls_issuer = str(chain[0], "issuer");
    }
    if (tls_subject.empty()) tls_subject = str(tls, "subject");
    if (tls_issuer.empty()) tls_issuer = str(tls, "issuer");
    std::string skew;
    if (const Json& sk = member(d, "server_date_skew_micros"); sk.is_number_integer()) {
      const auto micros = sk.get<std::int64_t>();
      char buf[64];
      std::snprintf(buf, sizeof buf, "%+.3f s", static_cast<double>(micros) / 1e6);
      skew = buf;
    }
    std::string server_date = str(d, "server_date");
    if (!str(d, "server_date_utc").empty()) server_date += "\n" + both_times(str(d, "server_date_utc"));
    // capture-url --tsa records the token as web.tsa (its time in web.tsa.tsa.time).
    std::string ts_time = str(member(member(member(e.line, "web"), "tsa"), "tsa"), "time");
    for (const Json* src : {&member(e.line, "web"), &d}) {
      if (!ts_time.empty()) break;
      const Json& ts = member(*src, "timestamp");
      if (ts.is_object()) {
        ts_time = str(ts, "time");
        if (ts_time.empty()) ts_time = str(ts, "gen_time");
      }
      if (!ts_time.empty()) break;
    }
    if (!ts_time.empty() && util::parse_rfc3339(ts_time)) ts_time = both_times(ts_time);
    std::string started = web_field(e, "started");
    if (!started.empty() && util::parse_rfc3339(started)) started = both_times(started);
    std::string tls_text;
    if (tls.is_object()) tls_text = join({str(tls, "version"), str(tls, "cipher"), str(tls, "verification")}, ", ");
    std::vector<std::pair<std::string, std::string>> f = {
        {t("f_url"), web_url(e)},
        {t("f_final_url"), web_field(e, "final_url")},
        {t("f_status"), web_field(e, "status")},
        {t("f_outcome"), web_field(e, "outcome")},
        {t("f_server_ip"), web_field(e, "remote_ip")},
        {t("f_tls"), tls_text},
        {t("f_tls_subject"), tls_subject},
        {t("f_tls_issuer"), tls_issuer},
        {t("f_capture_time"), started},
        {t("f_server_date"), server_date},
        {t("f_skew"), skew},
        {t("f_timestamp_time"), ts_time.empty() ? t("no_timestamp") : ts_time},
    };
    for (auto& kv : context_fields(e))
      f.push_back(std::move(kv));
    for (auto& kv : recorded_fields(e))
      f.push_back(std::move(kv));
    fields(std::move(f));
    if (const Json* s = screenshot_of(e)) {
      image(e, *s, tf("capture_screenshot", {std::to_string(e.seq)}));
    } else {
      paragraph(t("capture_no_screenshot"));
    }
    table(file_header(), file_rows(e));
  }

  // ---------------------------------------------------------------- conversations

  // How many messages of one conversation the report shows; the rest are in messages.json.
  static constexpr std::size_t k_transcript_messages = 500;
  // How many of its images are embedded (each at most k_max_thumbnail); the rest are named.
  static constexpr std::size_t k_transcript_images = 40;

  void conversations() {
    const auto list = of_kind("chat");
    if (list.empty()) return;
    heading("conversations", "sec_conversations");
    for (const auto* e : list)
      conversation(*e);
  }

  // A message's time as the phone showed it: "2026-11-20 21:14:07 +01:00" from its UTC time
  // and offset; the time as written, marked, when it was not resolved.
  std::string message_time(const Json& m) const {
    const auto p = util::parse_rfc3339(str(m, "utc"));
    const std::string offset = str(m, "offset");
    const bool offset_ok = offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') && offset[3] == ':' &&
                           std::all_of(offset.begin() + 1, offset.end(), [](char c) { return c == ':' || (c >= '0' && c <= '9'); });
    if (p && offset_ok) {
      const long seconds = ((offset[1] - '0') * 10 + (offset[2] - '0')) * 3600L + ((offset[4] - '0') * 10 + (offset[5] - '0')) * 60L;
      std::string s = util::format_utc(p->epoch_seconds + (offset[0] == '-' ? -seconds : seconds), 0).substr(0, 19);
      s[10] = ' ';
      return s + " " + offset;
    }
    // Each candidate on its own line, "2026-10-25 00:30:00 UTC", so a table never breaks it.
    std::string candidates;
    for (const Json& c : member(m, "candidates")) {
      std::string u = scalar(c);
      if (util::is_manifest_time(u.size() == 20 ? u.substr(0, 19) + ".000000Z" : std::string()))
        u = u.substr(0, 10) + " " + u.substr(11, 8) + " UTC";
      candidates += (candidates.empty() ? "\n" : ",\n") + u;
    }
    return tf(util::member(m, "ambiguous") == true ? "chat_time_ambiguous" : "chat_time_unresolved",
              {str(m, "time_as_written"), candidates});
  }

  void conversation(const ModelEntry& e) {
    const Json& c = member(e.line, "chat");
    std::vector<std::string> participants;
    for (const Json& p : member(c, "participants"))
      participants.push_back(scalar(p));
    subheading("entry-" + std::to_string(e.seq), tf("chat_heading", {std::to_string(e.seq), str(c, "platform"), join(participants, ", ")}));
    const std::string zone = str(c, "zone");
    const std::string zone_source = str(c, "zone_source");
    std::string zone_text = t("chat_zone_utc");
    if (!zone.empty()) zone_text = tf(zone_source == "option" ? "chat_zone_option" : "chat_zone_case", {zone});
    std::string from_person;
    if (const auto id = util::unsigned_field(c, "from_person")) from_person = entry_ref(*id);
    std::vector<std::pair<std::string, std::string>> f = {
        {t("f_chat_platform"), join({str(c, "platform"), str(c, "variant")}, ", ")},
        {t("f_chat_title"), str(c, "title")},
        {t("f_chat_participants"), join(participants, ", ")},
        {t("f_chat_self"), str(c, "self")},
        {t("f_chat_device_of"), from_person},
        {t("f_chat_messages"), scalar(member(c, "message_count"))},
        {t("f_chat_first"), both_times(str(c, "first_utc"))},
        {t("f_chat_last"), both_times(str(c, "last_utc"))},
        {t("f_chat_zone"), zone_text},
        {t("f_chat_date_order"),
         has_translation("chat_order." + str(c, "date_order")) ? t("chat_order." + str(c, "date_order")) : str(c, "date_order")},
    };
    for (auto& kv : context_fields(e))
      f.push_back(std::move(kv));
    for (auto& kv : recorded_fields(e))
      f.push_back(std::move(kv));
    fields(std::move(f));
    if (!e.derived) {
      paragraph(tf("derived_problem", {e.derived_path, e.derived_problem.empty() ? "-" : e.derived_problem}));
      return;
    }
    const Json& messages = member(*e.derived, "messages");
    const std::vector<std::string> header = {t("c_chat_index"), t("c_chat_time"), t("c_chat_sender"), t("c_chat_text")};
    std::vector<std::vector<std::string>> rows;
    std::size_t n = 0;
    std::size_t images = 0;
    for (const Json& m : messages) {
      if (n++ == k_transcript_messages) break;
      // An image the message carries, when the export holds it: shown right after its message
      // (the table goes on below it), as the report shows every image: the recorded bytes.
      std::vector<const Json*> pictures;
      for (const Json& a : member(m, "attachments")) {
        // messages.json names an export member by its path in the entry's folder
        const std::string path = e.derived_path.substr(0, e.derived_path.rfind('/') + 1) + str(a, "path");
        if (str(a, "path").empty() || images == k_transcript_images) continue;
        for (const Json& file : files_of(e))
          if (str(file, "path") == path && (is_image(file) || is_image_name(path))) {
            pictures.push_back(&file);
            ++images;
            break;
          }
      }
      std::string text = str(m, "text");
      for (const Json& a : member(m, "attachments")) {
        // a file the exporter left out has no name but the exporter's note (Telegram)
        const std::string name = str(a, "name").empty() ? str(a, "note") : str(a, "name");
        text += (text.empty() ? "" : "\n") + tf(member(a, "missing") == true ? "chat_attachment_missing" : "chat_attachment", {name});
      }
      std::vector<std::string> flags;
      for (const Json& fl : member(m, "flags")) {
        const std::string key = "chat_flag." + scalar(fl);
        flags.push_back(has_translation(key) ? t(key) : scalar(fl));
      }
      if (!flags.empty()) text += std::string(text.empty() ? "" : "\n") + "[" + join(flags, ", ") + "]";
      const std::string sender = str(m, "sender");
      rows.push_back({scalar(member(m, "index")), message_time(m), sender.empty() ? t("chat_system") : sender, text});
      if (!pictures.empty()) {
        table(header, std::move(rows));
        rows.clear();
        for (const Json* file : pictures)
          image(e, *file, tf("chat_image_caption", {scalar(member(m, "index")), std::to_string(e.seq), attachment_name(*file)}));
      }
    }
    if (!rows.empty() || n == 0) table(header, std::move(rows));
    if (messages.is_array() && messages.size() > k_transcript_messages) {
      paragraph(tf("chat_more", {std::to_string(messages.size() - k_transcript_messages), e.derived_path}));
    }
  }

  // ---------------------------------------------------------------- calls

  void calls() {
    const auto list = of_kind("call");
    if (list.empty()) return;
    heading("calls", "sec_calls");
    for (const auto* e : list)
      call(*e);
  }

  // A number of a call line ({"number": {"as_typed", "e164", "e164_rule"}} or {"withheld": true}
  // / {"unknown": true}) in words: the E.164 form, then as typed when it differs.
  std::string call_number(const Json& side) const {
    if (member(side, "withheld") == Json(true)) return t("call_shown_withheld");
    if (member(side, "unknown") == Json(true)) return t("call_shown_unknown");
    const Json& n = member(side, "number");
    const std::string e164 = str(n, "e164");
    const std::string typed = str(n, "as_typed");
    if (e164.empty()) return typed;
    return typed.empty() || typed == e164 ? e164 : e164 + "\n" + tf("call_as_typed", {typed});
  }

  // Each call's content: the numbers, direction, time (as typed, in the case's zone and in
  // UTC), duration, the SMS text quoted, the recording as a named exhibit with its hash.
  void call(const ModelEntry& e) {
    const Json& c = member(e.line, "call");
    subheading("entry-" + std::to_string(e.seq), tf("call_heading", {std::to_string(e.seq)}));
    const Json& at = member(c, "at");
    std::string when = both_times(str(at, "utc"));
    if (!str(at, "as_typed").empty()) when = tf("observed_as_given", {str(at, "as_typed")}) + "\n" + when;
    std::string duration;
    if (const auto d = util::unsigned_field(c, "duration_seconds")) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu (%llu s)", static_cast<unsigned long long>(*d / 3600),
                    static_cast<unsigned long long>(*d / 60 % 60), static_cast<unsigned long long>(*d % 60),
                    static_cast<unsigned long long>(*d));
      duration = buf;
    }
    const std::string direction = str(c, "direction");
    std::vector<std::pair<std::string, std::string>> f = {
        {t("f_call_direction"), direction == "incoming"   ? t("call_dir_incoming")
                                : direction == "outgoing" ? t("call_dir_outgoing")
                                                          : direction},
        {t("f_call_from"), call_number(member(c, "from"))},
        {t("f_call_to"), call_number(member(c, "to"))},
        {t("f_call_time"), when},
        {t("f_call_duration"), duration},
    };
    for (const auto& [key, label] : {std::pair{"from_person", "f_from_person"}, {"about_person", "f_about_person"}})
      if (const auto id = util::unsigned_field(context_of(e), key)) {
        const ModelEntry* p = entry_at(*id);
        f.emplace_back(t(label), entry_ref_text(p != nullptr ? p->kind : "person", *id, m_lang));
      }
    for (auto& kv : context_fields(e))
      f.push_back(std::move(kv));
    for (auto& kv : recorded_fields(e))
      f.push_back(std::move(kv));
    fields(std::move(f));
    if (!str(c, "sms").empty()) {
      paragraph(t("call_sms"));
      quote(str(c, "sms"));
    }
    bool recording = false;
    for (const Json& file : files_of(e)) {
      if (str(file, "role") != "recording") continue;
      recording = true;
      paragraph(tf("call_recording", {exhibit_of(file), attachment_name(file), str(file, "path"), size_text(file_size(file)),
                                      str(file, "media_type").empty() ? "-" : str(file, "media_type"), str(file, "sha256")}));
    }
    if (!recording) paragraph(t("call_no_recording"));
  }

  // ---------------------------------------------------------------- files and notes

  void files() {
    heading("files", "sec_files");
    const auto list = of_kind("file");
    if (list.empty()) {
      paragraph(t("none_recorded"));
      return;
    }
    for (const auto* e : list) {
      subheading("entry-" + std::to_string(e->seq),
                 tf(files_of(*e).size() == 1 ? "file_heading_one" : "file_heading", {std::to_string(e->seq)}));
      auto f = context_fields(*e);
      for (auto& kv : recorded_fields(*e))
        f.push_back(std::move(kv));
      fields(std::move(f));
      std::vector<std::vector<std::string>> rows;
      for (const Json& file : files_of(*e)) {
        std::string source = str(file, "source_path");
        if (!str(file, "mtime").empty()) source += "\n" + tf("source_mtime", {utc_text(str(file, "mtime"))});
        rows.push_back(
            {str(file, "name"), str(file, "path"), size_text(file_size(file)), str(file, "media_type"), str(file, "sha256"), source});
      }
      table({t("c_name"), t("c_path"), t("c_size"), t("c_media_type"), "SHA-256", t("c_source")}, std::move(rows));
      for (const Json& file : files_of(*e))
        if (is_image(file)) image(*e, file, tf("image_of_entry", {kind_name(*e), std::to_string(e->seq)}));
    }
  }

  void notes() {
    heading("notes", "sec_notes");
    const auto list = of_kind("note");
    if (list.empty()) {
      paragraph(t("none_recorded"));
      return;
    }
    for (const auto* e : list) {
      subheading("entry-" + std::to_string(e->seq), tf("note_heading", {std::to_string(e->seq)}));
      auto f = recorded_fields(*e);
      for (auto& kv : context_fields(*e))
        f.push_back(std::move(kv));
      fields(std::move(f));
      paragraph(str(member(e->line, "note"), "text"));
    }
  }

  // Reports and any kind this version does not know: listed field by field.
  void others() {
    static const std::set<std::string> shown = {"case", "file", "email", "note", "web", "seal", "timestamp", "person", "chat", "call"};
    std::vector<const ModelEntry*> list;
    for (const auto& e : m_model.entries)
      if (shown.count(e.kind) == 0) list.push_back(&e);
    if (list.empty()) return;
    heading("other", "sec_other");
    for (const auto* e : list) {
      subheading("entry-" + std::to_string(e->seq), tf("other_heading", {kind_name(e->kind), std::to_string(e->seq)}));
      auto f = recorded_fields(*e);
      for (auto& kv : context_fields(*e))
        f.push_back(std::move(kv));
      for (auto& kv : generic_fields(*e))
        f.push_back(std::move(kv));
      fields(std::move(f));
      if (!files_of(*e).empty()) table(file_header(), file_rows(*e));
    }
  }

  // ---------------------------------------------------------------- exhibits and integrity

  std::map<std::string, std::vector<std::string>> findings_by_path() const {
    std::map<std::string, std::vector<std::string>> out;
    if (!m_model.check) return out;
    for (const auto& f : m_model.check->findings)
      if (!f.path.empty()) out[f.path].push_back(f.code);
    return out;
  }

  void exhibits() {
    heading("exhibits", "sec_exhibits");
    paragraph(t("exhibits_intro"));
    const auto problems = findings_by_path();
    std::vector<std::vector<std::string>> rows;
    int n = 0;
    for (const auto& e : m_model.entries) {
      for (const Json& f : files_of(e)) {
        ++n;
        std::string check = "";
        if (m_model.check) {
          const auto it = problems.find(str(f, "path"));
          check = it == problems.end() ? t("check_ok") : join(it->second, ", ");
        }
        rows.push_back({std::to_string(n), entry_ref(e.seq) + " " + kind_name(e), str(f, "path"), std::to_string(file_size(f)),
                        str(f, "sha256"), check});
      }
    }
    if (rows.empty()) {
      paragraph(t("none_recorded"));
      return;
    }
    table({t("c_exhibit"), t("c_entry"), t("c_path"), t("c_bytes"), "SHA-256", t("c_check")}, std::move(rows));
  }

  void integrity() {
    heading("integrity", "sec_integrity");
    std::string check;
    if (m_model.check) {
      const auto& r = *m_model.check;
      std::size_t errors = 0;
      for (const auto& f : r.findings)
        if (f.severity == verify::Severity::error) ++errors;
      check = errors == 0 ? tf("verify_ok", {std::to_string(r.entries), std::to_string(r.files_checked)})
                          : tf("verify_problems", {std::to_string(errors)});
    }
    fields({{t("f_head"), m_model.head},
            {t("f_seq"), std::to_string(m_model.seq)},
            {t("f_lines"), std::to_string(m_model.entries.size())},
            {t("f_check"), check}});
    if (m_model.check && !m_model.check->findings.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& f : m_model.check->findings) {
        // verify's own message is English and names the values; the other languages get the
        // translated sentence of its code (the entry and path stand beside it).
        const std::string key = "finding." + f.code;
        const std::string details = m_lang != Lang::en && has_translation(key) ? t(key) : f.message;
        rows.push_back({f.severity == verify::Severity::error ? t("sev_error") : t("sev_warning"), f.code,
                        f.seq ? std::to_string(*f.seq) : "", f.path, details});
      }
      table({t("c_severity"), t("c_code"), t("c_entry"), t("c_path"), t("c_details")}, std::move(rows));
    }

    paragraph(t("seals_intro"));
    std::vector<const ModelEntry*> seals;
    for (const auto& e : m_model.entries)
      if (e.kind == "seal" || e.kind == "timestamp") seals.push_back(&e);
    if (seals.empty()) {
      paragraph(t("seals_none"));
    } else {
      for (const auto* e : seals) {
        subheading("entry-" + std::to_string(e->seq), tf("seal_heading", {kind_name(e->kind), std::to_string(e->seq)}));
        auto f = recorded_fields(*e);
        for (auto& kv : generic_fields(*e))
          f.push_back(std::move(kv));
        fields(std::move(f));
        if (!files_of(*e).empty()) table(file_header(), file_rows(*e));
      }
    }

    paragraph(t("howto_intro"));
    const std::string n1 = std::to_string(m_model.seq + 1);
    paragraph(t("howto_cbkit"));
    code("cbkit verify --case CASE --expect-head " + m_model.head);
    paragraph(tf("howto_sha256sum", {std::to_string(m_model.seq)}));
    code("sed -n '" + n1 + "p' CASE/manifest.jsonl | head -c -1 | sha256sum");
    paragraph(t("howto_files"));
    code("cd CASE && head -n " + n1 + " manifest.jsonl | jq -r '.files[] | \"\\(.sha256)  \\(.path)\"' | sha256sum -c");
    paragraph(t("qr_intro"));
    Block qr;
    qr.type = Block::Type::svg;
    qr.raw = qr_svg(qr_encode(m_model.head), 180);
    qr.text = tf("qr_only_html", {m_model.head});
    m_doc.blocks.push_back(std::move(qr));
  }

  const CaseModel& m_model;
  Lang m_lang;
  Document m_doc;
  std::vector<ReportEvent> m_events;
  std::map<std::string, int> m_exhibit_no; // recorded path -> exhibit number
};

} // namespace

Document build_document(const CaseModel& model, Lang lang) { return Builder(model, lang).build(); }

} // namespace cbkit::report
