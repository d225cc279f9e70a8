#pragma once

// Making user-controlled text safe to show in a report. Every string that reaches a report
// goes through reveal_invisible() first, then through the escaping of its format, so a
// hostile e-mail subject, note or file name can neither inject markup nor reorder or hide
// text with bidirectional or zero-width characters.

#include <string>
#include <string_view>

namespace cbkit::report {

// Replaces every character that would act on the layout instead of being seen with a
// visible, inert tag "[U+XXXX]": bidi embeddings, overrides and isolates (U+202A-U+202E,
// U+2066-U+2069), zero-width and direction marks (U+200B-U+200F), U+FEFF, U+061C, C0 and
// C1 controls and DEL. Line feeds are kept when `keep_newlines`, else shown as "[U+000A]";
// tabs become a space. Invalid UTF-8 becomes U+FFFD.
std::string reveal_invisible(std::string_view text, bool keep_newlines);

// HTML text and attribute escaping of & < > " ' (input already passed through reveal_invisible).
std::string escape_html(std::string_view text);

// Markdown (CommonMark/GFM) neutralisation: every ASCII punctuation character that can
// start markup (\ ` * _ { } [ ] < > ( ) # + - ! | ~ & and line-leading . = digits-dot) is
// backslash-escaped, so the text renders literally and cannot open a link, an image or HTML.
// Line feeds are not expected (callers give one line at a time).
std::string escape_markdown(std::string_view text);

} // namespace cbkit::report
