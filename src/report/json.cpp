#include "cbkit/report/checklist.hpp"
#include "cbkit/report/document.hpp"
#include "cbkit/report/report.hpp"

#include "cbkit/util/json.hpp"
#include "cbkit/version.hpp"

namespace cbkit::report {

using manifest::Json;
using util::member;

namespace {

Json message_json(const Message& m, Lang lang) {
  Json j = Json::object();
  j["key"] = m.key;
  j["entry"] = m.entry ? Json(*m.entry) : Json(nullptr);
  j["args"] = m.args;
  j["text"] = message_text(m, lang);
  return j;
}

Json messages_json(const std::vector<Message>& messages, Lang lang) {
  Json out = Json::array();
  for (const auto& m : messages)
    out.push_back(message_json(m, lang));
  return out;
}

Json persons_json(const CaseModel& model) {
  Json out = Json::array();
  for (const auto& p : collect_persons(model)) {
    Json ids = Json::array();
    for (const auto& id : p.identifiers) {
      Json j = {{"type", id.type}, {"value", id.value}, {"source", id.source}, {"via", id.via}};
      if (!id.detail.is_null()) j["detail"] = id.detail;
      ids.push_back(std::move(j));
    }
    Json notes = Json::array();
    for (const auto& [seq, text] : p.notes)
      notes.push_back(Json{{"source", seq}, {"text", text}});
    out.push_back(
        Json{{"id", p.id}, {"role", p.role}, {"entries", p.entries}, {"identifiers", std::move(ids)}, {"notes", std::move(notes)}});
  }
  return out;
}

Json checklist_json(const CaseModel& model, Lang lang) {
  Json out = Json::array();
  for (const auto& p : evaluate_checklist(model)) {
    Json j = Json::object();
    j["id"] = p.id;
    j["key"] = p.key;
    j["text"] = tr(lang, p.title_key);
    j["status"] = status_code(p.status);
    j["status_text"] = tr(lang, status_key(p.status));
    j["rule"] = p.rule;
    j["evidence"] = p.evidence;
    j["found"] = messages_json(p.found, lang);
    j["missing"] = messages_json(p.missing, lang);
    j["reason"] = p.reason ? message_json(*p.reason, lang) : Json(nullptr);
    out.push_back(std::move(j));
  }
  return out;
}

Json timeline_json(const CaseModel& model, Lang lang) {
  Json out = Json::array();
  for (const auto& ev : timeline_events(model, lang)) {
    std::string source = ev.source;
    if (source.starts_with("src_")) source = source.substr(4);
    out.push_back(Json{{"seq", ev.seq}, {"utc", ev.utc}, {"kind", ev.kind}, {"what", ev.what}, {"time_source", source}});
  }
  return out;
}

// What headers.json says about where each e-mail came from: its summary's keys about the
// origin, copied as they are (headers.json defines them, cbkit-headers(5)).
Json email_origins_json(const CaseModel& model) {
  Json out = Json::array();
  for (const auto& e : model.entries) {
    if (e.kind != "email") continue;
    const Json& em = member(e.line, "email");
    Json j = Json::object();
    j["seq"] = e.seq;
    j["message_id"] = member(em, "message_id");
    j["date_utc"] = member(em, "date_utc");
    j["headers_json"] = e.derived_path.empty() ? Json(nullptr) : Json(e.derived_path);
    j["headers_json_problem"] = e.derived ? Json(nullptr) : Json(e.derived_problem);
    const Json& s = e.derived ? member(*e.derived, "summary") : Json();
    j["from"] = member(s, "from").is_array() ? member(s, "from") : member(em, "from");
    Json origin = Json::object();
    if (s.is_object())
      for (auto it = s.begin(); it != s.end(); ++it)
        if (it.key().find("origin") != std::string::npos || it.key().find("client_ip") != std::string::npos ||
            it.key().find("provider") != std::string::npos)
          origin[it.key()] = it.value();
    if (origin.empty() && !member(em, "originating_ip").is_null()) origin["originating_ip"] = member(em, "originating_ip");
    j["origin"] = std::move(origin);
    out.push_back(std::move(j));
  }
  return out;
}

} // namespace

Json report_json(const CaseModel& model, Lang lang) {
  Json j = Json::object();
  j["report"] =
      Json{{"format", "cbkit-report-json"}, {"version", 1}, {"generator", std::string("cbkit ") + k_version}, {"lang", lang_code(lang)}};
  j["describes"] = Json{{"seq", model.seq}, {"head", model.head}};
  j["case"] = Json{
      {"id", model.case_id},        {"title", model.title},           {"examiner", model.examiner}, {"organisation", model.organisation},
      {"timezone", model.timezone}, {"utc_offset", model.utc_offset}, {"created", model.created}};
  j["persons"] = persons_json(model);
  j["checklist"] = checklist_json(model, lang);
  j["timeline"] = timeline_json(model, lang);
  j["email_origins"] = email_origins_json(model);
  if (model.check) {
    std::size_t errors = 0, warnings = 0;
    for (const auto& f : model.check->findings)
      (f.severity == verify::Severity::error ? errors : warnings) += 1;
    j["verify"] = Json{{"ok", errors == 0}, {"errors", errors}, {"warnings", warnings}};
  } else {
    j["verify"] = nullptr;
  }
  return j;
}

} // namespace cbkit::report
