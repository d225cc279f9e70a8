#include "cli/common.hpp"

#include "cbkit/error.hpp"
#include "cbkit/manifest/reader.hpp"
#include "cbkit/util/json.hpp"
#include "cbkit/util/text.hpp"
#include "cbkit/util/time.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sys/stat.h>

namespace cbkit::cli {

// ---------------------------------------------------------------- the --json envelope

void Envelope::set_case(const store::Case& c) {
  m_case = c.root().string();
  try {
    m_case_id = c.info().id;
  } catch (const Error&) {
    // A case whose line 0 cannot be read still has a folder; the command says what is wrong.
  }
}

void Envelope::add_appended(const manifest::Appended& a, const std::vector<store::FileRecord>& files) {
  m_appended.push_back(manifest::Json{{"seq", a.seq},
                                      {"head", a.head},
                                      {"dir", a.entry_dir.empty() ? manifest::Json() : manifest::Json(a.entry_dir)},
                                      {"files", files_json(files)}});
  set_head(a.head, a.seq);
}

void Envelope::set_head(const std::string& head, std::uint64_t seq) {
  m_head = head;
  m_seq = seq;
}

void Envelope::warn(const std::string& code, const std::string& message, const std::string& input) {
  manifest::Json w{{"code", code}, {"message", message}};
  if (!input.empty()) w["input"] = input;
  m_warnings.push_back(std::move(w));
}

void Envelope::refuse(const std::string& input, const std::string& code, const std::string& message) {
  m_refused.push_back(manifest::Json{{"input", input}, {"code", code}, {"message", message}});
}

manifest::Json Envelope::document(bool ok) const {
  manifest::Json j = manifest::Json::object();
  j["format_version"] = k_json_format;
  j["ok"] = ok;
  j["command"] = command;
  j["case"] = m_case ? manifest::Json(*m_case) : manifest::Json();
  j["case_id"] = m_case_id ? manifest::Json(*m_case_id) : manifest::Json();
  j["appended"] = m_appended;
  j["head"] = m_head ? manifest::Json(*m_head) : manifest::Json();
  j["seq"] = m_seq ? manifest::Json(*m_seq) : manifest::Json();
  j["warnings"] = m_warnings;
  j["refused"] = m_refused;
  for (const auto& [key, value] : m_fields.items())
    j[key] = value;
  j["ok"] = ok; // the envelope's, whatever a command's own field said
  return j;
}

manifest::Json Envelope::failure(const Error& e, bool recorded) const {
  manifest::Json j = document(false);
  manifest::Json err = error_json(e.kind(), e.what());
  err["recorded"] = recorded || !m_appended.empty(); // a multi-entry command that stopped part way
  j["error"] = std::move(err);
  return j;
}

void Envelope::print(bool ok) {
  if (m_printed) return;
  m_printed = true;
  print_json(document(ok));
}

void Envelope::print_failure(const Error& e, bool recorded) {
  if (m_printed) return;
  m_printed = true;
  print_json(failure(e, recorded));
}

const char* error_code_name(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage:
    return "usage";
  case ErrorKind::input:
    return "input";
  case ErrorKind::case_:
    return "case";
  case ErrorKind::locked:
    return "locked";
  case ErrorKind::io:
    return "io";
  case ErrorKind::partial:
    return "partial";
  case ErrorKind::unavailable:
    return "unavailable";
  case ErrorKind::interrupted:
    return "interrupted";
  case ErrorKind::internal:
    return "internal";
  }
  return "internal";
}

manifest::Json error_json(ErrorKind kind, const std::string& message) {
  manifest::Json j = manifest::Json::object();
  j["code"] = error_code_name(kind);
  j["exit"] = static_cast<int>(kind);
  // Messages are written "<input>: <what>; <what to do>" (cbkit::Error's contract).
  const auto colon = message.find(": ");
  j["input"] = colon == std::string::npos || colon == 0 ? manifest::Json() : manifest::Json(message.substr(0, colon));
  j["message"] = message;
  const auto semi = message.rfind("; ");
  j["hint"] = semi == std::string::npos || (colon != std::string::npos && semi < colon) ? manifest::Json()
                                                                                        : manifest::Json(message.substr(semi + 2));
  return j;
}

std::string stderr_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  char buf[16];
  // Invalid bytes were made U+FFFD by utf8_lossy; escape the raw bytes instead so the
  // name stays recognisable: walk the original and copy only what is valid.
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len > 1 && (i + len > text.size() || util::utf8_lossy(text.substr(i, len)) != text.substr(i, len))) len = 0;
    if (len == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
      continue;
    }
    if (len == 1) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c < 0x20 || c == 0x7f) {
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // The code point, to escape C1 controls and bidirectional formatting characters.
    std::uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < len; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    const bool bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C;
    if ((cp >= 0x80 && cp <= 0x9F) || bidi) {
      std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

namespace {

// A stable code for why an input cannot be taken (refused[].code), from what it is.
std::string refusal_code(const std::string& path, bool follow_symlinks) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? "missing" : "unreadable";
  if (S_ISLNK(st.st_mode)) {
    if (!follow_symlinks) return "symlink";
    if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? "missing" : "unreadable";
  }
  if (S_ISDIR(st.st_mode)) return "directory";
  if (!S_ISREG(st.st_mode)) return "special-file";
  return "unreadable";
}

} // namespace

void check_inputs(const std::vector<std::string>& inputs, bool follow_symlinks, Envelope& out,
                  const std::function<bool(const std::string&)>& skip) {
  std::optional<Error> first;
  std::size_t count = 0;
  for (const auto& in : inputs) {
    if (skip && skip(in)) continue;
    try {
      struct stat st {};
      store::open_evidence_source(in, follow_symlinks, st, nullptr);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::input) throw;
      const std::string message = e.what();
      const std::string name = util::utf8_lossy(in);
      // The message starts with the input's name; refused[].message is what follows it.
      const std::string what = message.rfind(name + ": ", 0) == 0 ? message.substr(name.size() + 2) : message;
      out.refuse(name, refusal_code(in, follow_symlinks), what);
      if (!first) first = e;
      ++count;
    }
  }
  if (count == 1) throw *first;
  if (count > 1) {
    throw InputsRefused(std::to_string(count) + " of " + std::to_string(inputs.size()) +
                        " inputs cannot be taken (listed in refused[]); nothing was stored; fix or leave them out and run the "
                        "command again");
  }
}

// ---------------------------------------------------------------- the rest

store::Case open_case(const GlobalOptions& g) {
  store::Case c = store::Case::discover(g.case_dir ? std::optional<std::filesystem::path>(*g.case_dir) : std::nullopt);
  g.out.set_case(c);
  return c;
}

void add_context_options(CLI::App& sub, ContextArgs& args, bool with_note) {
  sub.add_option("--kind", args.kind, "What the evidence is: screenshot, chat-export, photo, recording, phone-call, ...");
  if (with_note) sub.add_option("--note", args.note, "Free text about the evidence");
  sub.add_option("--source-url", args.source_url, "Exact URL of the post, profile or account");
  sub.add_option("--observed-at", args.observed_at,
                 "When it was seen: a local time read in the case's time zone, e.g. 2026-11-20T21:14 or \"2026-11-20 21:14:00\", "
                 "or with its offset, e.g. 2026-11-20T21:14:00+01:00");
  sub.add_option("--platform", args.platform, "Platform or service, e.g. instagram, whatsapp, sms");
  sub.add_option("--account-id", args.account_id, "The account's unique id on the platform");
  sub.add_option("--from-person", args.from_person, "Who the evidence comes from: the id of a person entry (cbkit person)");
  sub.add_option("--about-person", args.about_person, "Who the evidence is about: the id of a person entry (cbkit person)");
}

store::Context to_context(const ContextArgs& args, const GlobalOptions& g) {
  store::Context c;
  c.kind = args.kind;
  c.note = args.note;
  c.source_url = args.source_url;
  c.platform = args.platform;
  c.account_id = args.account_id;
  c.from_person = args.from_person;
  c.about_person = args.about_person;
  if (!args.observed_at.empty()) {
    // Only a time without offset needs the case (its zone, from line 0).
    const std::string zone = util::parse_rfc3339(args.observed_at) ? "" : open_case(g).info().timezone;
    try {
      const util::ResolvedTime r = util::resolve_user_time(args.observed_at, zone, "case-zone");
      c.observed_at = util::Rfc3339{r.as_typed, r.utc, r.epoch_seconds};
      c.observed_at_offset = r.offset;
      c.observed_at_zone_source = r.how;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::usage) throw;
      throw Error(ErrorKind::usage, std::string("--observed-at ") + e.what());
    }
  }
  return c;
}

std::string examiner_or_env(const std::string& given) {
  if (!given.empty()) return given;
  const char* env = std::getenv("CBKIT_EXAMINER");
  return env != nullptr ? env : "";
}

void print_json(const manifest::Json& j) { std::cout << j.dump(2, ' ', false, manifest::Json::error_handler_t::replace) << "\n"; }

manifest::Json files_json(const std::vector<store::FileRecord>& files) {
  manifest::Json a = manifest::Json::array();
  for (const auto& f : files)
    a.push_back(manifest::Json{
        {"path", f.path}, {"sha256", f.sha256}, {"size", f.size}, {"role", f.role.empty() ? manifest::Json() : manifest::Json(f.role)}});
  return a;
}

std::vector<store::FileRecord> recorded_files(const store::Case& c, const manifest::Appended& a) {
  std::vector<store::FileRecord> out;
  manifest::LineReader reader(c.manifest_path());
  manifest::RawLine raw;
  while (reader.next(raw)) {
    if (raw.index != a.seq) continue;
    const auto line = raw.sha256 == a.head ? manifest::parse_line(raw.bytes) : std::nullopt;
    if (!line || !line->contains("files") || !(*line)["files"].is_array()) break;
    for (const auto& f : (*line)["files"]) {
      if (!f.is_object()) continue;
      store::FileRecord r;
      r.path = util::string_field(f, "path");
      r.sha256 = util::string_field(f, "sha256");
      r.size = f.contains("size") && f["size"].is_number_unsigned() ? f["size"].get<std::uint64_t>() : 0;
      r.role = util::string_field(f, "role");
      out.push_back(std::move(r));
    }
    break;
  }
  return out;
}

void print_receipt(const manifest::Appended& a) { std::cout << "head " << a.head << " seq " << a.seq << "\n"; }

std::string string_field(const manifest::Json& obj, const char* key, const std::string& fallback) {
  return util::string_field(obj, key, fallback);
}

} // namespace cbkit::cli
