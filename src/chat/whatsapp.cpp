// WhatsApp "Export chat" (Android and iOS, with or without media): a text file of lines
// "DATE, TIME - Name: text" (Android) or "[DATE, TIME] Name: text" (iOS), laid out in the
// phone's locale, no time zone anywhere. See NOTES "Chat exports" for the sources.
//
// The parser reads the chat file once, line by line with a bounded buffer, and hand-scans
// each line (no regex: exports reach 200 000 messages). A line is a message header when it
// starts with a date and a time in the layout of the file's first header (bracket, date
// separator, date-time joiner, year digits, clock, seconds: one export is written in one
// locale, so a pasted line in another layout stays text) and its date exists in at least
// one reading (WhatsApp never writes Feb 30, so such a line was typed by a person and is
// text of the message before it). Then:
//   1. day/month order is decided from the whole file (decide_date_order);
//   2. flags and attachments are read from each text (tables below, one row per fact);
//   3. local times are read in the case's zone (or --tz): one instant, two (autumn, never
//      guessed) or none (spring, a defect).
#include "cbkit/chat/chat.hpp"
#include "cbkit/error.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace cbkit::chat {

namespace {

constexpr std::size_t k_max_line = 1024 * 1024;     // longer lines are cut (defect)
constexpr std::size_t k_max_text = 4 * 1024 * 1024; // longer message texts are cut (defect)
constexpr std::size_t k_max_messages = 2'000'000;   // more is refused (Error input)
constexpr std::size_t k_max_defects_per_code = 100; // then one "and N more" defect
constexpr int k_header_search_lines = 20;           // a .txt of another name is a chat when a header is among these

// ---------------------------------------------------------------------------------------
// Knowledge as data. "Confirmed" names the source the row was checked against; the rest
// are the phone's translations as plausibly written (no sourced sample found).

// Chat file names: "<prefix>NAME.txt"; NAME becomes the conversation's title.
constexpr std::array k_chat_file_prefixes = {
    std::string_view{"WhatsApp Chat with "},       // en (Pustur/whatsapp-chat-parser README)
    std::string_view{"WhatsApp-chat met "},        // nl (plausible)
    std::string_view{"Discussion WhatsApp avec "}, // fr (plausible)
    std::string_view{"WhatsApp Chat mit "},        // de (plausible)
};

// Between date and time: ", " (most locales), " " (iOS nl "[20-11-2026 21:14:07]"),
// " à " (Android fr, JBGruber/rwhatsapp issue 8), " klo " (fi, Pustur tests/parser.test.ts).
constexpr std::array k_date_time_joiners = {
    std::string_view{", "}, std::string_view{" à "}, std::string_view{", à "}, std::string_view{" klo "}, std::string_view{" "},
};

// Before AM/PM (and inside "p. m."): space, NBSP, U+202F narrow no-break space (iOS,
// ChatLab PR 131).
constexpr std::array k_ampm_spaces = {
    std::string_view{" "},
    std::string_view{"\xC2\xA0"},
    std::string_view{"\xE2\x80\xAF"},
};

// The whole text of a message sent without its media: Android (en confirmed by Pustur
// README and joweich/chat-miner tests; nl, fr, de plausible).
constexpr std::array k_media_omitted = {
    std::string_view{"<Media omitted>"},
    std::string_view{"<Media weggelaten>"},
    std::string_view{"<Médias omis>"},
    std::string_view{"<Medien ausgeschlossen>"},
};

// iOS attachment: "<LABEL: NAME>" (en "attached" confirmed by Pustur src/parser.ts tests
// and NOTES; nl, fr, de plausible; French puts a space before the colon).
constexpr std::array k_attached_labels = {
    std::string_view{"<attached: "},
    std::string_view{"<bijgevoegd: "},
    std::string_view{"<pièce jointe : "},
    std::string_view{"<Anhang: "},
};

// Android attachment: "NAME (file attached)" as the message's first line (en confirmed by
// NOTES / chat-miner; nl, fr, de plausible).
constexpr std::array k_file_attached_suffixes = {
    std::string_view{" (file attached)"},   std::string_view{" (bestand bijgevoegd)"}, std::string_view{" (fichier joint)"},
    std::string_view{" (Datei angehängt)"}, std::string_view{" (archivo adjunto)"}, // es, rodrigogs/whats-reader issue 78
};

// The whole text of a deleted message (iOS adds a final '.', tolerated).
constexpr std::array k_deleted = {
    std::string_view{"This message was deleted"},       std::string_view{"You deleted this message"},
    std::string_view{"Dit bericht is verwijderd"},      std::string_view{"Je hebt dit bericht verwijderd"},
    std::string_view{"Ce message a été supprimé"},      std::string_view{"Vous avez supprimé ce message"},
    std::string_view{"Diese Nachricht wurde gelöscht"}, std::string_view{"Du hast diese Nachricht gelöscht"},
};

// At the end of an edited message's text.
constexpr std::array k_edited = {
    std::string_view{"<This message was edited>"},
    std::string_view{"<Dit bericht is bewerkt>"},
    std::string_view{"<Ce message a été modifié>"},
    std::string_view{"<Diese Nachricht wurde bearbeitet>"},
};

// The end-to-end notice: a system message even when iOS writes it after "Name: ".
constexpr std::array k_e2e_notices = {
    std::string_view{"Messages and calls are end-to-end encrypted"},
    std::string_view{"Berichten en oproepen worden end-to-end versleuteld"},
    std::string_view{"Les messages et les appels sont chiffrés de bout en bout"},
    std::string_view{"Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt"},
};

// System lines that hold user text with ": " in it (a group subject), which would otherwise
// be read as "Name: text": the part before ": " contains one of these.
constexpr std::array k_system_phrases = {
    std::string_view{" changed the subject"}, std::string_view{" changed the group description"},
    std::string_view{" created group"},       std::string_view{" heeft de groepsnaam"},
    std::string_view{" heeft groep"},         std::string_view{" a modifié le sujet"},
    std::string_view{" a créé le groupe"},    std::string_view{" hat den Betreff"},
    std::string_view{" hat die Gruppe"},
};

// iOS writes group events after the chat's name ("[...] Group: \u200eSam joined using this
// group's invite link"), with U+200E before the text. A text that starts with that mark and
// contains one of these is a system message (the mark alone is not enough: iOS puts it
// before attachments and deleted messages too, and a person may type it).
// en from public parsers' test data (Pustur, chat-miner) and NOTES; nl/fr/de plausible.
constexpr std::array k_event_phrases = {
    std::string_view{" joined using this group's invite link"},
    std::string_view{" changed their phone number"},
    std::string_view{" changed the subject"},
    std::string_view{" changed this group's icon"},
    std::string_view{" changed the group description"},
    std::string_view{" created group"},
    std::string_view{" added "},
    std::string_view{" removed "},
    std::string_view{" left"},
    std::string_view{" is lid geworden via de uitnodigingslink van deze groep"},
    std::string_view{" heeft het telefoonnummer gewijzigd"},
    std::string_view{" a rejoint ce groupe via le lien d'invitation"},
    std::string_view{" a changé de numéro de téléphone"},
    std::string_view{" ist über den Einladungslink dieser Gruppe beigetreten"},
    std::string_view{" hat die Telefonnummer geändert"},
};

// iOS exports without media write a line instead of each file (en from public parsers'
// lists of WhatsApp noise lines; other languages not sourced).
constexpr std::array k_ios_omitted = {
    std::string_view{"image omitted"},   std::string_view{"video omitted"}, std::string_view{"audio omitted"},
    std::string_view{"sticker omitted"}, std::string_view{"GIF omitted"},   std::string_view{"document omitted"},
};

// Attachment kinds from the name: iOS "00000012-PHOTO-2022-...", Android "IMG-20190101-WA0000".
struct KindToken {
  std::string_view token;
  std::string_view kind;
};
constexpr std::array k_kind_tokens = {
    KindToken{"PHOTO", "photo"}, KindToken{"IMG", "photo"},       KindToken{"VIDEO", "video"},
    KindToken{"VID", "video"},   KindToken{"AUDIO", "audio"},     KindToken{"PTT", "audio"},
    KindToken{"AUD", "audio"},   KindToken{"STICKER", "sticker"}, KindToken{"STK", "sticker"},
};

// Bidirectional marks WhatsApp writes at line start and before "<attached:".
constexpr std::string_view k_lrm = "\xE2\x80\x8E";
constexpr std::string_view k_rlm = "\xE2\x80\x8F";
constexpr std::string_view k_bom = "\xEF\xBB\xBF";

// ---------------------------------------------------------------------------------------
// Small scanning helpers.

// The first (last) byte is compared before the rest: these run against every line and
// every message, and most tables fail on that byte.
bool starts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && (p.empty() || s.front() == p.front()) && s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && (p.empty() || s.back() == p.back()) && s.substr(s.size() - p.size()) == p;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// s without leading U+200E / U+200F marks. Used for parsing only: texts and times keep them.
std::string_view skip_marks(std::string_view s) {
  while (starts_with(s, k_lrm) || starts_with(s, k_rlm))
    s.remove_prefix(3);
  return s;
}

// Reads 1..max_digits digits at s[pos]; returns the count read (0 when none).
std::size_t read_number(std::string_view s, std::size_t pos, std::size_t max_digits, int& value) {
  std::size_t n = 0;
  value = 0;
  while (pos + n < s.size() && n < max_digits && is_digit(s[pos + n]))
    value = value * 10 + (s[pos + n++] - '0');
  if (pos + n < s.size() && is_digit(s[pos + n])) return 0; // too many digits
  return n;
}

// ---------------------------------------------------------------------------------------
// One header line.

// How the file writes its headers; the first header fixes it for the whole file.
struct Layout {
  bool ios = false; // "[...] " rather than " - "
  char date_sep = '/';
  bool year_first = false; // ISO "2026-11-20"
  int year_digits = 4;
  std::size_t joiner = 0; // index in k_date_time_joiners
  bool clock12 = false;
  bool seconds = false;
  bool operator==(const Layout&) const = default;
};

struct Header {
  Layout layout;
  int f1 = 0, f2 = 0, year = 0; // date fields as written (f1/f2 day/month in some order; year 20YY for 2 digits)
  int hour = 0, minute = 0, second = 0;
  std::size_t time_begin = 0, time_end = 0; // the date-time as written: line[time_begin, time_end)
  std::size_t rest = 0;                     // where "Name: text" starts
};

// "20/11/2026", "20.11.26", "2026-11-20", "13. 6. 2018." at s[pos]. Advances pos.
bool scan_date(std::string_view s, std::size_t& pos, Header& h) {
  int a = 0, b = 0, c = 0;
  const std::size_t na = read_number(s, pos, 4, a);
  if (na == 0 || na == 3) return false;
  std::size_t p = pos + na;
  if (p >= s.size() || (s[p] != '/' && s[p] != '.' && s[p] != '-')) return false;
  const char sep = s[p++];
  if (sep == '.' && p < s.size() && s[p] == ' ') ++p; // "13. 6. 2018." (hu, Pustur tests)
  const std::size_t nb = read_number(s, p, 2, b);
  if (nb == 0) return false;
  p += nb;
  if (p >= s.size() || s[p] != sep) return false;
  ++p;
  if (sep == '.' && p < s.size() && s[p] == ' ') ++p;
  const std::size_t nc = read_number(s, p, 4, c);
  p += nc;
  if (na == 4) { // year first: YYYY-MM-DD
    if (nc == 0 || nc > 2) return false;
    h.layout.year_first = true;
    h.layout.year_digits = 4;
    h.year = a, h.f1 = b, h.f2 = c;
  } else {
    if (nc != 2 && nc != 4) return false;
    h.layout.year_digits = static_cast<int>(nc);
    h.year = nc == 2 ? 2000 + c : c;
    h.f1 = a, h.f2 = b;
  }
  if (sep == '.' && p < s.size() && s[p] == '.') ++p; // "2018." (hu)
  h.layout.date_sep = sep;
  pos = p;
  return true;
}

// ", " / " à " / " " between date and time.
bool scan_joiner(std::string_view s, std::size_t& pos, Header& h) {
  for (std::size_t i = 0; i < k_date_time_joiners.size(); ++i) {
    if (starts_with(s.substr(pos), k_date_time_joiners[i])) {
      h.layout.joiner = i;
      pos += k_date_time_joiners[i].size();
      return true;
    }
  }
  return false;
}

// AM/PM as the locales write it, ignoring case: "AM", "am", "a.m." (en-CA, dimagi/
// open-chat-studio issue 221), "a. m." (es, Pustur tests and issue 224, where the space
// inside is a no-break space), "p.\u202fm.". Returns the bytes read (0: none); `pm` set.
std::size_t scan_ampm(std::string_view s, bool& pm) {
  std::size_t p = 0;
  if (s.empty() || (s[0] != 'a' && s[0] != 'A' && s[0] != 'p' && s[0] != 'P')) return 0;
  pm = s[0] == 'p' || s[0] == 'P';
  ++p;
  if (p < s.size() && s[p] == '.') {
    ++p;
    for (const auto space : k_ampm_spaces) {
      if (starts_with(s.substr(p), space)) {
        p += space.size();
        break;
      }
    }
  }
  if (p >= s.size() || (s[p] != 'm' && s[p] != 'M')) return 0;
  ++p;
  if (p < s.size() && s[p] == '.') ++p;
  return p;
}

// "21:14", "21:22:39", "9.05", "1:55 PM", "1:55\u202fp.m.". Advances pos.
bool scan_time(std::string_view s, std::size_t& pos, Header& h) {
  std::size_t p = pos;
  const std::size_t nh = read_number(s, p, 2, h.hour);
  if (nh == 0) return false;
  p += nh;
  if (p >= s.size() || (s[p] != ':' && s[p] != '.')) return false;
  const char sep = s[p++];
  if (read_number(s, p, 2, h.minute) != 2) return false;
  p += 2;
  h.second = 0;
  h.layout.seconds = false;
  if (p + 2 < s.size() && s[p] == sep && is_digit(s[p + 1])) {
    if (read_number(s, p + 1, 2, h.second) != 2) return false;
    p += 3;
    h.layout.seconds = true;
  }
  h.layout.clock12 = false;
  bool pm = false;
  for (const auto space : k_ampm_spaces) {
    if (!starts_with(s.substr(p), space)) continue;
    if (const std::size_t n = scan_ampm(s.substr(p + space.size()), pm)) {
      h.layout.clock12 = true;
      p += space.size() + n;
      break;
    }
  }
  if (h.minute > 59 || h.second > 59) return false;
  if (h.layout.clock12) {
    // 1-12; 0 too, as some Android locales write it ("00:08 a. m.", joweich/chat-miner tests).
    if (h.hour > 12) return false;
    h.hour = (h.hour % 12) + (pm ? 12 : 0);
  } else if (h.hour > 23) {
    return false;
  }
  pos = p;
  return true;
}

// "] " (iOS) or " - " (Android) after the time.
bool scan_time_end(std::string_view s, std::size_t& pos, bool bracket) {
  const std::string_view end = bracket ? "] " : " - ";
  if (starts_with(s.substr(pos), end)) {
    pos += end.size();
    return true;
  }
  // "[date, time]" at the very end of a line (an empty system line) is not seen; an
  // Android header followed by nothing ("... -") neither.
  return false;
}

// The header at the start of `line` (marks before it skipped), or false.
bool scan_header(std::string_view line, Header& h) {
  const std::string_view s = skip_marks(line);
  const std::size_t lead = line.size() - s.size();
  if (s.empty() || (!is_digit(s[0]) && s[0] != '[')) return false; // the fast path for text lines
  std::size_t pos = 0;
  h.layout.ios = s[0] == '[';
  if (h.layout.ios) ++pos;
  const std::size_t begin = pos;
  if (!scan_date(s, pos, h) || !scan_joiner(s, pos, h) || !scan_time(s, pos, h)) return false;
  const std::size_t end = pos;
  if (!scan_time_end(s, pos, h.layout.ios)) return false;
  h.time_begin = lead + begin;
  h.time_end = lead + end;
  h.rest = lead + pos;
  return true;
}

// ---------------------------------------------------------------------------------------
// Reading the file: bounded lines, UTF-8 checked.

// Lines of at most k_max_line bytes from a stream, read through a fixed buffer; a longer
// line is cut at a UTF-8 boundary and the rest of it skipped.
class LineReader {
public:
  explicit LineReader(const std::filesystem::path& path) : m_in(path, std::ios::binary), m_buf(64 * 1024) {}
  bool is_open() const { return m_in.is_open(); }

  // The next line without its '\n'; `cut` says it was longer than k_max_line.
  bool next(std::string& line, bool& cut) {
    line.clear();
    cut = false;
    bool any = false;
    for (;;) {
      if (m_pos == m_end && !refill()) break;
      any = true;
      const char* start = m_buf.data() + m_pos;
      const char* nl = static_cast<const char*>(std::memchr(start, '\n', m_end - m_pos));
      const std::size_t len = nl ? static_cast<std::size_t>(nl - start) : m_end - m_pos;
      const std::size_t room = k_max_line - line.size();
      if (len > room) cut = true;
      line.append(start, std::min(len, room));
      m_pos += len;
      if (nl) {
        ++m_pos;
        break;
      }
    }
    if (cut) trim_partial_utf8(line);
    return any;
  }

private:
  bool refill() {
    if (!m_in) return false;
    m_in.read(m_buf.data(), static_cast<std::streamsize>(m_buf.size()));
    m_pos = 0;
    m_end = static_cast<std::size_t>(m_in.gcount());
    return m_end > 0;
  }
  // Drops an incomplete UTF-8 sequence the cut left at the end.
  static void trim_partial_utf8(std::string& s) {
    std::size_t i = s.size();
    std::size_t back = 0;
    while (i > 0 && back < 4 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80)
      --i, ++back;
    if (i == 0) return;
    const auto lead = static_cast<unsigned char>(s[i - 1]);
    const std::size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    if (need > back) s.resize(i - 1);
  }

  std::ifstream m_in;
  std::vector<char> m_buf;
  std::size_t m_pos = 0, m_end = 0;
};

// Defects, at most k_max_defects_per_code of each code, then one count.
class Defects {
public:
  explicit Defects(std::vector<Defect>& out) : m_out(out) {}
  void add(const std::string& code, const std::string& message) {
    if (++m_count[code] <= k_max_defects_per_code) m_out.push_back({code, message});
  }
  void finish(const std::string& file) {
    for (const auto& [code, n] : m_count) {
      if (n > k_max_defects_per_code) {
        m_out.push_back({code, file + ": " + std::to_string(n - k_max_defects_per_code) + " more '" + code + "' defects not listed"});
      }
    }
  }

private:
  std::vector<Defect>& m_out;
  std::map<std::string, std::size_t> m_count;
};

// Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm).
void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0));
}

// "2026-11-20T20:14:00Z" (written by hand: one per message, and snprintf showed in profiles).
std::string utc_text(std::int64_t epoch) {
  std::int64_t days = epoch / 86400;
  std::int64_t secs = epoch % 86400;
  if (secs < 0) secs += 86400, --days;
  int y = 0, m = 0, d = 0;
  civil_from_days(days, y, m, d);
  std::string out = "0000-00-00T00:00:00Z";
  const auto put = [&out](std::size_t at, int value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, y, 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, static_cast<int>(secs / 3600), 2);
  put(14, static_cast<int>(secs / 60 % 60), 2);
  put(17, static_cast<int>(secs % 60), 2);
  return out;
}

std::string attachment_kind(std::string_view name) {
  // The first two '-'-separated tokens: "IMG" in IMG-2019..., "PHOTO" in 00000012-PHOTO-...
  std::size_t start = 0;
  for (int i = 0; i < 2 && start <= name.size(); ++i) {
    const std::size_t dash = name.find('-', start);
    const std::string_view token = name.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    for (const auto& k : k_kind_tokens) {
      if (token == k.token) return std::string(k.kind);
    }
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  return "file";
}

std::string_view base_name(std::string_view rel) {
  const std::size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

// Media names WhatsApp gives, recognisable whatever the phone's language: iOS
// "00000012-PHOTO-2022-12-31-14-17-51.jpg" (8 digits and '-'), Android
// "IMG-20190101-WA0000.jpg" (3 capitals, '-', 8 digits, "-WA").
bool digits_at(std::string_view s, std::size_t at, std::size_t n) {
  if (s.size() < at + n) return false;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!is_digit(s[i])) return false;
  }
  return true;
}
bool is_ios_media_name(std::string_view n) { return n.size() > 9 && digits_at(n, 0, 8) && n[8] == '-'; }
bool is_android_media_name(std::string_view n) {
  return n.size() > 16 && n[0] >= 'A' && n[0] <= 'Z' && n[1] >= 'A' && n[1] <= 'Z' && n[2] >= 'A' && n[2] <= 'Z' && n[3] == '-' &&
         digits_at(n, 4, 8) && n.substr(12, 3) == "-WA";
}

// The attachment a text names, if any, from its first line (marks skipped): iOS
// "<attached: NAME>" at its start, Android "NAME (file attached)" as the whole line; in a
// language the tables do not hold, the same shapes around a name WhatsApp gave.
std::optional<std::string> attachment_name(std::string_view text) {
  const std::string_view first = text.substr(0, text.find('\n'));
  const std::string_view s = skip_marks(first);
  for (const auto label : k_attached_labels) {
    if (!starts_with(s, label)) continue;
    const std::size_t close = s.find('>', label.size());
    if (close == std::string_view::npos) return std::nullopt;
    return std::string(util::trim(s.substr(label.size(), close - label.size())));
  }
  for (const auto suffix : k_file_attached_suffixes) {
    if (ends_with(s, suffix)) return std::string(util::trim(skip_marks(s.substr(0, s.size() - suffix.size()))));
  }
  if (starts_with(s, "<")) { // "<LABEL: NAME>"
    const std::size_t close = s.find('>');
    const std::size_t colon = s.substr(0, close).find(": ");
    if (close != std::string_view::npos && colon != std::string_view::npos) {
      const std::string_view name = util::trim(s.substr(colon + 2, close - colon - 2));
      if (is_ios_media_name(name)) return std::string(name);
    }
  }
  if (ends_with(s, ")")) { // "NAME (LABEL)"
    const std::size_t open = s.rfind(" (");
    if (open != std::string_view::npos && is_android_media_name(s.substr(0, open))) return std::string(s.substr(0, open));
  }
  return std::nullopt;
}

template <std::size_t N> bool equals_any(std::string_view s, const std::array<std::string_view, N>& table) {
  for (const auto t : table) {
    if (s.size() == t.size() && starts_with(s, t)) return true;
  }
  return false;
}

// Flags and attachments from the text (marks and surrounding space ignored for matching;
// the text itself stays as written).
void read_markers(Message& msg, const std::map<std::string, std::string, std::less<>>& files_by_name) {
  std::string_view plain = util::trim(skip_marks(msg.text));
  if (equals_any(plain, k_media_omitted) || equals_any(plain, k_ios_omitted)) msg.media_omitted = true;
  std::string_view no_dot = plain;
  if (ends_with(no_dot, ".")) no_dot.remove_suffix(1);
  if (equals_any(no_dot, k_deleted)) msg.deleted = true;
  for (const auto e : k_edited) {
    if (ends_with(plain, e)) msg.edited = true;
  }
  if (auto name = attachment_name(msg.text)) {
    Attachment a;
    a.name = *name;
    const auto it = files_by_name.find(a.name);
    a.rel = it == files_by_name.end() ? "" : it->second;
    a.kind = attachment_kind(a.name);
    msg.attachments.push_back(std::move(a));
  }
}

// Sender and text from "Name: text" after the header; system when there is no "Name: ".
void read_sender(Message& msg, std::string_view rest) {
  std::size_t colon = rest.find(": ");
  if (colon == std::string_view::npos && ends_with(rest, ":")) colon = rest.size() - 1; // "Name:" with an empty text
  bool system = colon == std::string_view::npos || colon == 0;
  if (!system) {
    const std::string_view name = rest.substr(0, colon);
    for (const auto p : k_system_phrases) {
      if (name.find(p) != std::string_view::npos) system = true;
    }
    const std::string_view text = rest.substr(std::min(rest.size(), colon + 2));
    const std::string_view after = skip_marks(text);
    for (const auto n : k_e2e_notices) {
      if (starts_with(after, n)) system = true;
    }
    if (starts_with(text, k_lrm)) {
      for (const auto p : k_event_phrases) {
        if (after.find(p) != std::string_view::npos) system = true;
      }
    }
  }
  if (system) {
    msg.system = true;
    msg.text = std::string(rest);
  } else {
    msg.sender = std::string(rest.substr(0, colon));
    msg.text = std::string(rest.substr(std::min(rest.size(), colon + 2)));
  }
}

std::string variant_of(const Layout& l) {
  std::string v = l.ios ? "whatsapp-ios" : "whatsapp-android";
  v += l.clock12 ? "-12h" : "-24h";
  if (l.seconds) v += "-seconds";
  return v;
}

// The chat file among the export's files.
const ExportFile& find_chat_file(const std::vector<ExportFile>& files, std::string& title) {
  std::vector<const ExportFile*> named;
  std::vector<std::string> titles;
  for (const auto& f : files) {
    const std::string_view base = base_name(f.rel);
    if (base == "_chat.txt") {
      named.push_back(&f);
      titles.emplace_back();
      continue;
    }
    if (!ends_with(base, ".txt")) continue;
    for (const auto p : k_chat_file_prefixes) {
      if (starts_with(base, p)) {
        named.push_back(&f);
        titles.emplace_back(base.substr(p.size(), base.size() - p.size() - 4));
        break;
      }
    }
  }
  if (named.size() == 1) {
    title = titles.front();
    return *named.front();
  }
  if (named.size() > 1) {
    std::string list;
    for (const auto* f : named)
      list += (list.empty() ? "" : ", ") + f->rel;
    throw Error(ErrorKind::input, "the export holds several WhatsApp chat files (" + list + "); add them one at a time");
  }
  // No known name: the one .txt with a message header among its first lines (a tool that
  // passed the file on may have put a line before it).
  std::vector<const ExportFile*> parsing;
  for (const auto& f : files) {
    if (!ends_with(base_name(f.rel), ".txt")) continue;
    LineReader reader(f.path);
    std::string line;
    bool cut = false;
    Header h;
    for (int n = 0; n < k_header_search_lines && reader.is_open() && reader.next(line, cut); ++n) {
      if (n == 0 && starts_with(line, k_bom)) line.erase(0, k_bom.size());
      if (scan_header(line, h)) {
        parsing.push_back(&f);
        break;
      }
    }
  }
  if (parsing.size() == 1) return *parsing.front();
  if (parsing.empty()) {
    throw Error(ErrorKind::input, "no WhatsApp chat file in the export (_chat.txt, 'WhatsApp Chat with NAME.txt', or a .txt with a message "
                                  "among its first 20 lines)");
  }
  std::string list;
  for (const auto* f : parsing)
    list += (list.empty() ? "" : ", ") + f->rel;
  throw Error(ErrorKind::input, "several .txt files look like WhatsApp chats (" + list + "); add them one at a time");
}

// ---------------------------------------------------------------------------------------
// Pass 1: messages as written, with their local date-time fields kept aside.

// The date and time of one header as written; day and month are known after the whole
// file is read.
struct Stamp {
  int f1 = 0, f2 = 0, year = 0;
  int hour = 0, minute = 0, second = 0;
  bool year_first = false;
};

bool valid_under(const Stamp& s, bool day_first) {
  if (s.year_first) return util::is_valid_date(s.year, s.f1, s.f2);
  return day_first ? util::is_valid_date(s.year, s.f2, s.f1) : util::is_valid_date(s.year, s.f1, s.f2);
}

Stamp stamp_of(const Header& h) { return {h.f1, h.f2, h.year, h.hour, h.minute, h.second, h.layout.year_first}; }

struct ReadChat {
  Layout layout;
  bool has_layout = false;
  std::vector<Stamp> stamps; // one per message of the conversation
};

// Appends "\n" + line to the message's text, within k_max_text; `cut` says the message was
// already cut (one defect per message).
void append_line(Message& m, std::string_view line, bool& cut, std::uint64_t line_no, Defects& defects) {
  if (cut) return;
  if (m.text.size() + 1 + line.size() > k_max_text) {
    cut = true;
    defects.add("message-too-long", m.source_file + " line " + std::to_string(m.source_line) +
                                        ": the message is longer than 4 MiB; cut at line " + std::to_string(line_no));
    return;
  }
  m.text += '\n';
  m.text += line;
  m.continuation = true;
}

// Reads the chat file into conv.messages (text, sender, time as written) and the stamps.
//
// A line that looks like a header but whose date exists in neither reading (Feb 30, a
// month 13 either way) is text: WhatsApp never writes such a date, so a person typed it.
// Every header kept is valid in the order decided later: with both fields <= 12 a date is
// valid both ways (no month has fewer than 28 days), and a field > 12 decides the order
// (or contradicts it, which is refused).
ReadChat read_chat(const ExportFile& file, Conversation& conv, Defects& defects) {
  LineReader reader(file.path);
  if (!reader.is_open()) throw Error(ErrorKind::input, file.rel + ": cannot be read");
  ReadChat chat;
  // Room for as many messages as the file could hold lines of 32 bytes, so the vector does
  // not move 200 000 messages while it grows (the unused part is never touched).
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file.path, ec);
  if (!ec) conv.messages.reserve(static_cast<std::size_t>(std::min<std::uintmax_t>(size / 32 + 1, k_max_messages)));
  std::string line;
  bool cut = false;
  bool text_cut = false;
  std::uint64_t line_no = 0;
  std::uint64_t crlf = 0;
  while (reader.next(line, cut)) {
    ++line_no;
    if (line_no == 1 && starts_with(line, k_bom)) line.erase(0, k_bom.size());
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
      ++crlf;
    }
    if (cut) defects.add("line-too-long", file.rel + " line " + std::to_string(line_no) + ": longer than 1 MiB; cut");
    if (!util::is_valid_utf8(line)) {
      line = util::utf8_lossy(line);
      defects.add("invalid-utf8", file.rel + " line " + std::to_string(line_no) + ": invalid UTF-8 replaced with U+FFFD");
    }
    Header h;
    if (scan_header(line, h) && (!chat.has_layout || h.layout == chat.layout) &&
        (valid_under(stamp_of(h), true) || valid_under(stamp_of(h), false))) {
      if (!chat.has_layout) chat.layout = h.layout, chat.has_layout = true;
      if (conv.messages.size() >= k_max_messages) {
        throw Error(ErrorKind::input,
                    file.rel + ": more than " + std::to_string(k_max_messages) + " messages; not a chat export cbkit takes");
      }
      Message& msg = conv.messages.emplace_back();
      msg.index = conv.messages.size() - 1;
      msg.source_file = file.rel;
      msg.source_line = line_no;
      // time_as_written is the file's bytes from the date to the end of the time (AM/PM and
      // the U+202F before it included); the marks before the line and the brackets are not
      // part of it. Marks are skipped only to find the header, never removed from a text.
      msg.time_as_written = line.substr(h.time_begin, h.time_end - h.time_begin);
      read_sender(msg, std::string_view(line).substr(h.rest));
      chat.stamps.push_back(stamp_of(h));
      text_cut = false;
    } else if (!conv.messages.empty()) {
      append_line(conv.messages.back(), line, text_cut, line_no, defects);
    } else if (!line.empty()) {
      defects.add("line-outside-message", file.rel + " line " + std::to_string(line_no) + ": text before the first message; not kept");
    }
  }
  if (crlf > 0 && chat.has_layout && !chat.layout.ios) {
    // iOS ends messages with CR LF and a person's line breaks with LF (Pustur/
    // whatsapp-chat-parser issue 266); Android writes LF only, so CR LF there means the
    // file went through another program: read the same, but worth saying.
    defects.add("crlf-line-ends",
                file.rel + ": " + std::to_string(crlf) + " line(s) end with CR LF, which WhatsApp on Android does not write; read as LF");
  }
  return chat;
}

// ---------------------------------------------------------------------------------------
// Day/month order.

struct DateOrder {
  bool day_first = true;
  std::string words; // date_order
  std::string rule;
};

// The first pair of lines where dates decrease under one reading, or {0, 0}.
std::pair<std::uint64_t, std::uint64_t> first_decrease(const Conversation& conv, const std::vector<Stamp>& stamps, bool day_first) {
  long previous = -1;
  std::uint64_t previous_line = 0;
  for (std::size_t i = 0; i < stamps.size(); ++i) {
    const Stamp& s = stamps[i];
    const long key = s.year * 10000L + (day_first ? s.f2 * 100 + s.f1 : s.f1 * 100 + s.f2);
    if (key < previous) return {previous_line, conv.messages[i].source_line};
    previous = key;
    previous_line = conv.messages[i].source_line;
  }
  return {0, 0};
}

std::string order_name(bool day_first) { return day_first ? "day-first" : "month-first"; }

// The rules, in order: a field above 12 proves the order (both fields above 12 somewhere
// contradict: refused); else the one reading under which dates never decrease (an export
// is in order); else --date-order; else refused, asking for --date-order. An option that
// contradicts a proof is refused; one that differs from the inference wins (a phone's
// clock may have been set back) and the rule says what the export suggested.
DateOrder decide_date_order(const Conversation& conv, const ReadChat& chat, const ExportFile& file, const TimeOptions& time) {
  DateOrder out;
  const bool option_given = !time.date_order.empty();
  const bool option_day_first = time.date_order == "day-first";
  if (option_given && time.date_order != "day-first" && time.date_order != "month-first") {
    throw Error(ErrorKind::usage, "--date-order must be day-first or month-first, not '" + util::utf8_lossy(time.date_order) + "'");
  }
  if (chat.layout.year_first) {
    out.rule = "dates written year-month-day";
    return out;
  }
  std::uint64_t first_over = 0, second_over = 0; // lines where a field > 12
  for (std::size_t i = 0; i < chat.stamps.size() && !(first_over && second_over); ++i) {
    if (first_over == 0 && chat.stamps[i].f1 > 12) first_over = conv.messages[i].source_line;
    if (second_over == 0 && chat.stamps[i].f2 > 12) second_over = conv.messages[i].source_line;
  }
  const std::string prefix = file.rel + ": ";
  if (first_over && second_over) {
    throw Error(ErrorKind::input, prefix + "the first date field is above 12 on line " + std::to_string(first_over) +
                                      " (day first) but the second is on line " + std::to_string(second_over) +
                                      " (month first); the dates contradict each other");
  }
  if (first_over || second_over) {
    const bool proven = first_over != 0;
    out.rule = std::string("the ") + (proven ? "first" : "second") + " date field is above 12 on line " +
               std::to_string(proven ? first_over : second_over);
    if (option_given && option_day_first != proven) {
      throw Error(ErrorKind::input, prefix + "--date-order " + time.date_order + " contradicts the export: " + out.rule);
    }
    out.day_first = proven;
    out.words = order_name(out.day_first);
    return out;
  }
  const auto dec_day = first_decrease(conv, chat.stamps, true);
  const auto dec_month = first_decrease(conv, chat.stamps, false);
  const bool day_ok = dec_day.first == 0;
  const bool month_ok = dec_month.first == 0;
  if (day_ok != month_ok) {
    const auto& bad = day_ok ? dec_month : dec_day;
    out.day_first = day_ok;
    out.rule = "dates never decrease when read " + order_name(day_ok) + "; read " + order_name(!day_ok) + " they go back from line " +
               std::to_string(bad.first) + " to line " + std::to_string(bad.second);
    if (option_given) {
      out.day_first = option_day_first;
      out.rule = "--date-order (the export alone suggests " + order_name(day_ok) + ": " + out.rule + ")";
    }
    out.words = order_name(out.day_first);
    return out;
  }
  if (!option_given) {
    throw Error(ErrorKind::input, prefix + "the order of day and month cannot be decided from this export (no date field above 12, and the "
                                           "dates are in order either way); pass --date-order day-first|month-first");
  }
  out.day_first = option_day_first;
  out.words = order_name(out.day_first);
  out.rule = "--date-order";
  return out;
}

// ---------------------------------------------------------------------------------------
// Pass 2: flags, attachments, times, participants.

// The zone's offsets for local times, asked of the reader as rarely as it is correct to:
//  - once per local day when the day has one offset from 00:00:00 to 23:59:59 (no zone
//    changes its offset twice within a day, so equal offsets at both ends mean none between);
//  - otherwise (the days of a change) per local quarter hour, the unit offsets change on.
class Resolver {
public:
  explicit Resolver(const std::string& zone) : m_reader(zone) {}

  using Offsets = std::vector<std::pair<long, std::string>>; // (offset seconds, "+01:00")

  // The offsets under which the wall clock showed this local time: one, two (the repeated
  // hour, earlier first) or none (the skipped hour). `wall` is the local time as if UTC.
  const Offsets& offsets(int year, int month, int day, int hour, int minute, int second, std::int64_t& wall) {
    const std::int64_t day_number = util::days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    wall = day_number * 86400 + hour * 3600 + minute * 60 + second;
    if (!m_has_day || day_number != m_day) {
      m_day = day_number;
      m_has_day = true;
      m_day_offsets = lookup(year, month, day, 0, 0, 0, day_number * 86400);
      const Offsets end = lookup(year, month, day, 23, 59, 59, day_number * 86400 + 86399);
      if (m_day_offsets.size() != 1 || end.size() != 1 || end[0].first != m_day_offsets[0].first) m_day_offsets.clear();
    }
    if (!m_day_offsets.empty()) return m_day_offsets;
    const std::int64_t quarter = (wall - ((wall % 900) + 900) % 900) / 900;
    if (!m_has_quarter || quarter != m_quarter) {
      m_quarter_offsets = lookup(year, month, day, hour, minute, second, wall);
      m_quarter = quarter;
      m_has_quarter = true;
    }
    return m_quarter_offsets;
  }

private:
  Offsets lookup(int year, int month, int day, int hour, int minute, int second, std::int64_t wall) {
    Offsets out;
    for (const auto& c : m_reader.candidates(year, month, day, hour, minute, second)) {
      out.emplace_back(static_cast<long>(wall - c.epoch_seconds), c.offset);
    }
    return out;
  }

  util::LocalZoneReader m_reader;
  Offsets m_day_offsets; // the day's one offset, or empty on the day of a change
  std::int64_t m_day = 0;
  bool m_has_day = false;
  Offsets m_quarter_offsets;
  std::int64_t m_quarter = 0;
  bool m_has_quarter = false;
};

} // namespace

Conversation parse_whatsapp(const std::vector<ExportFile>& files, const TimeOptions& time) {
  Conversation conv;
  conv.platform = "whatsapp";
  const ExportFile& file = find_chat_file(files, conv.title);
  if (time.zone.empty()) throw Error(ErrorKind::usage, file.rel + ": WhatsApp writes no time zone; give one with --tz");
  Resolver resolver(time.zone);
  conv.zone = time.zone;
  conv.zone_source = time.zone_source;

  Defects defects(conv.defects);
  const ReadChat chat = read_chat(file, conv, defects);
  if (conv.messages.empty()) {
    throw Error(ErrorKind::input,
                file.rel + ": no line is a WhatsApp message (\"DATE, TIME - Name: text\" or \"[DATE, TIME] Name: text\")");
  }
  conv.variant = variant_of(chat.layout);
  const DateOrder order = decide_date_order(conv, chat, file, time);
  conv.date_order = order.words;
  conv.date_order_rule = order.rule;

  std::map<std::string, std::string, std::less<>> files_by_name; // base name -> rel (first wins)
  for (const auto& f : files) {
    if (&f != &file) files_by_name.emplace(std::string(base_name(f.rel)), f.rel);
  }
  std::set<std::string, std::less<>> seen; // senders already in participants
  for (std::size_t i = 0; i < conv.messages.size(); ++i) {
    Message& msg = conv.messages[i];
    const Stamp& s = chat.stamps[i];
    read_markers(msg, files_by_name);
    const bool month_in_f1 = s.year_first || !order.day_first;
    const int month = month_in_f1 ? s.f1 : s.f2;
    const int day = month_in_f1 ? s.f2 : s.f1;
    msg.time_source = time.zone_source;
    std::int64_t wall = 0;
    const auto& offsets = resolver.offsets(s.year, month, day, s.hour, s.minute, s.second, wall);
    if (offsets.size() == 1) {
      msg.utc = utc_text(wall - offsets[0].first);
      msg.offset = offsets[0].second;
    } else if (offsets.size() == 2) {
      msg.time_ambiguous = true;
      for (const auto& o : offsets)
        msg.time_candidates.push_back(utc_text(wall - o.first));
    } else {
      defects.add("time-nonexistent", file.rel + " line " + std::to_string(msg.source_line) + ": " + msg.time_as_written +
                                          " did not exist in " + time.zone + " (the clocks were put forward); left unresolved");
    }
    if (!msg.system && !msg.sender.empty() && seen.insert(msg.sender).second) conv.participants.push_back(msg.sender);
  }
  defects.finish(file.rel);
  return conv;
}

} // namespace cbkit::chat
