#include "cbkit/capture/browser.hpp"

#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"

#include <charconv>
#include <fstream>

namespace cbkit::capture {

namespace {

bool parse_bool_field(std::string_view s, bool& out) {
  if (s == "TRUE") {
    out = true;
    return true;
  }
  if (s == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    const auto tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return fields;
}

} // namespace

std::vector<BrowserCookie> read_netscape_cookie_file(const std::filesystem::path& file) {
  const std::string name = util::utf8_lossy(file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in) throw_errno(ErrorKind::input, name);
  std::vector<BrowserCookie> cookies;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view rest = line;
    bool http_only = false;
    static constexpr std::string_view k_http_only = "#HttpOnly_";
    if (rest.substr(0, k_http_only.size()) == k_http_only) {
      http_only = true;
      rest.remove_prefix(k_http_only.size());
    } else if (rest.empty() || rest.front() == '#' || rest.find_first_not_of(" \t") == std::string_view::npos) {
      continue;
    }
    const auto fields = split_tabs(rest);
    const auto bad = [&](const std::string& why) {
      return Error(ErrorKind::input, name + ":" + std::to_string(line_no) + ": not a Netscape cookie line (" + why +
                                         "); expected 7 TAB-separated fields: domain, TRUE/FALSE, path, TRUE/FALSE, expiry, name, value");
    };
    if (fields.size() != 7) throw bad(std::to_string(fields.size()) + " fields");
    BrowserCookie c;
    c.http_only = http_only;
    c.domain = std::string(fields[0]);
    if (c.domain.empty()) throw bad("empty domain");
    if (!parse_bool_field(fields[1], c.include_subdomains)) throw bad("field 2 is not TRUE or FALSE");
    c.path = fields[2].empty() ? "/" : std::string(fields[2]);
    if (!parse_bool_field(fields[3], c.secure)) throw bad("field 4 is not TRUE or FALSE");
    const auto exp = fields[4];
    const auto [ptr, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), c.expires);
    if (ec != std::errc() || ptr != exp.data() + exp.size() || c.expires < 0) throw bad("the expiry is not a number of seconds");
    c.name = std::string(fields[5]);
    c.value = std::string(fields[6]);
    if (c.name.empty()) throw bad("empty cookie name");
    cookies.push_back(std::move(c));
  }
  if (in.bad()) throw_errno(ErrorKind::input, name);
  return cookies;
}

} // namespace cbkit::capture
