#pragma once

// Private to report/: the German strings of the report (i18n_de.cpp), by the keys of the
// main table in i18n.cpp. Every key there has exactly one row here (checked by the tests).

#include <cstddef>

namespace cbkit::report {

struct GermanText {
  const char* key;
  const char* de;
};

extern const GermanText k_texts_de[];
extern const std::size_t k_texts_de_count;

} // namespace cbkit::report
