// libFuzzer target: the manifest line reader and everything that reads a line's fields.
// Each input line goes through parse_line (depth-limited JSON), then the kind table's
// one-line summary and report timeline line, as log, show and report would read a hostile
// case. A summary must be one line of bounded width.
#include "cbkit/kinds/kinds.hpp"
#include "cbkit/manifest/reader.hpp"
#include "fuzz_common.hpp"

#include <cstdlib>

namespace {
struct EchoTranslator : cbkit::kinds::Translator {
  std::string text(const std::string& key, const std::vector<std::string>& args) const override {
    std::string out = key;
    for (const auto& a : args)
      out += " " + a;
    return out;
  }
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = cbkit_fuzz::as_view(data, size);
  const EchoTranslator t;
  std::size_t pos = 0;
  while (pos <= in.size()) {
    const std::size_t eol = in.find('\n', pos);
    const std::string line(in.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos));
    if (const auto j = cbkit::manifest::parse_line(line)) {
      const std::string s = cbkit::kinds::summarize(*j, 100);
      if (s.find('\n') != std::string::npos) std::abort();
      (void)cbkit::kinds::timeline(*j, nullptr, t);
      (void)cbkit::kinds::timeline(*j, &*j, t); // a derived file as hostile as the line
      (void)cbkit_fuzz::dump_size(*j);
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return 0;
}
