// libFuzzer target: the chat export parsers of add-chat and verify (WhatsApp text, Telegram
// Desktop result.json, Meta message_N.json). The input is written as the export's one file
// and handed to each parser; an export it cannot read must be refused with cbkit::Error,
// never a crash, and what it reads must serialize.
#include "cbkit/chat/chat.hpp"
#include "cbkit/error.hpp"
#include "fuzz_common.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

const std::filesystem::path& work_dir() {
  static const std::filesystem::path dir = [] {
    char tmpl[] = "/tmp/cbkit-fuzz-chat-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

void try_parse(cbkit::chat::Conversation (*parse)(const std::vector<cbkit::chat::ExportFile>&, const cbkit::chat::TimeOptions&),
               const std::string& rel, std::string_view bytes) {
  const std::filesystem::path p = work_dir() / std::filesystem::path(rel).filename();
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  cbkit::chat::TimeOptions t;
  t.zone = "Europe/Brussels";
  t.zone_source = "case-zone";
  t.date_order = "day-first";
  try {
    const auto c = parse({{rel, p, bytes.size()}}, t);
    for (std::size_t i = 0; i < c.messages.size(); ++i) {
      if (c.messages[i].index != i) std::abort();
    }
  } catch (const cbkit::Error&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = cbkit_fuzz::as_view(data, size);
  try_parse(cbkit::chat::parse_whatsapp, "_chat.txt", in);
  try_parse(cbkit::chat::parse_telegram, "result.json", in);
  try_parse(cbkit::chat::parse_meta, "messages/inbox/sam_1/message_1.json", in);
  return 0;
}
