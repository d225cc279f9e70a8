#pragma once

// The report's user-facing strings in English, Dutch, French and German, kept as tables of
// data (src/report/i18n.cpp; German in i18n_de.cpp). Placeholders are {1}, {2}, ... and every language has the same ones.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cbkit::report {

enum class Lang { en, nl, fr, de };

// "en", "nl", "fr" or "de" -> Lang; nullopt for anything else.
std::optional<Lang> parse_lang(std::string_view code);
std::string lang_code(Lang lang);

// The text for `key` in `lang`. Throws Error(internal) for an unknown key (a bug).
const std::string& tr(Lang lang, std::string_view key);

// tr() with {1}, {2}, ... replaced by `args` in order.
std::string trf(Lang lang, std::string_view key, std::initializer_list<std::string> args);
std::string trf(Lang lang, std::string_view key, const std::vector<std::string>& args);

// Whether the table has `key` (for labels looked up by data, such as a line's field paths).
bool has_translation(std::string_view key);

// Every key of the table, for the tests (each must exist in every language).
std::vector<std::string> translation_keys();

} // namespace cbkit::report
