#pragma once

// libarchive converts entry names through the C library's locale: in the "C" locale a
// non-ASCII (UTF-8) evidence name cannot be converted at all. While an archive is written
// or read, the calling thread uses C.UTF-8 (built into glibc), so names are stored as UTF-8
// in pax/zip headers whatever the user's locale: the archive's bytes do not depend on it.

#include <clocale>
#include <locale.h>

namespace cbkit::seal {

class ScopedUtf8Locale {
public:
  ScopedUtf8Locale() : m_loc(::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr))) {
    if (m_loc != static_cast<locale_t>(nullptr)) m_old = ::uselocale(m_loc);
  }
  ~ScopedUtf8Locale() {
    if (m_loc != static_cast<locale_t>(nullptr)) {
      ::uselocale(m_old);
      ::freelocale(m_loc);
    }
  }
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

private:
  locale_t m_loc;
  locale_t m_old = LC_GLOBAL_LOCALE;
};

} // namespace cbkit::seal
