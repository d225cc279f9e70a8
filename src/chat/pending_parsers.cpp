// TEMPORARY: stand-ins for the parsers written on other branches, removed when they merge.
#include "cbkit/chat/chat.hpp"
#include "cbkit/error.hpp"

namespace cbkit::chat {
Conversation parse_whatsapp(const std::vector<ExportFile>&, const TimeOptions&) {
  throw Error(ErrorKind::input, "the WhatsApp parser is not built yet");
}
Conversation parse_meta(const std::vector<ExportFile>&, const TimeOptions&) {
  throw Error(ErrorKind::input, "the Meta parser is not built yet");
}
} // namespace cbkit::chat
