// libFuzzer target: the mbox splitter of add-email --mbox. Every span lies inside the input,
// in order, without overlap, and starts right after its From_ line.
#include "cbkit/error.hpp"
#include "cbkit/store/email.hpp"
#include "fuzz_common.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = cbkit_fuzz::as_view(data, size);
  try {
    const auto spans = cbkit::store::split_mbox(in, "fuzz");
    std::uint64_t end = 0;
    for (const auto& s : spans) {
      if (s.offset < end || s.offset > in.size() || s.length > in.size() - s.offset) std::abort();
      if (s.from_line.rfind("From ", 0) != 0) std::abort();
      end = s.offset + s.length;
    }
  } catch (const cbkit::Error&) {
    if (in.substr(0, 5) == "From ") std::abort(); // refused only when it does not start like an mbox
  }
  return 0;
}
