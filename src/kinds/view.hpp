#pragma once

// Private to src/kinds/: tolerant readers of a manifest line (a hostile or older line may
// lack any key or hold another type; these never throw) and the functions the table names.

#include "cbkit/kinds/kinds.hpp"
#include "cbkit/util/json.hpp"

#include <string>

namespace cbkit::kinds {

using manifest::Json;

// The tolerant readers of util/json.hpp, by short names.
inline std::string str(const Json& obj, const char* key) { return util::string_field(obj, key); }
using util::member;
inline std::string scalar(const Json& v) { return util::scalar_text(v); }
// The first 12 hex digits of a hash, for a one-line summary (the full hash is in show).
std::string short_hash(const std::string& hex);
// "name" of each recorded file (its path when it has no name), comma-separated.
std::string file_names(const Json& line);

std::string summarize_case(const Json& line);
std::string summarize_file(const Json& line);
std::string summarize_note(const Json& line);
std::string summarize_email(const Json& line);
std::string summarize_web(const Json& line);
std::string summarize_timestamp(const Json& line);
std::string summarize_report(const Json& line);
std::string summarize_seal(const Json& line);
std::string summarize_person(const Json& line);
std::string summarize_call(const Json& line);
std::string summarize_checklist(const Json& line);
std::string summarize_chat(const Json& line);

TimelineEvent timeline_case(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_files(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_note(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_email(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_web(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_timestamp(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_report(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_seal(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_person(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_call(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_checklist(const Json& line, const Json* derived, const Translator& t);
TimelineEvent timeline_chat(const Json& line, const Json* derived, const Translator& t);

} // namespace cbkit::kinds
