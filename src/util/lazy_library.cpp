#include "cbkit/util/lazy_library.hpp"

#include "cbkit/error.hpp"

#include <dlfcn.h>

namespace cbkit::util {

LazyLibrary::LazyLibrary(std::string soname, std::string used_for, std::string package, std::span<const char* const> symbols)
    : m_soname(std::move(soname)), m_used_for(std::move(used_for)), m_package(std::move(package)), m_symbols(symbols) {}

void LazyLibrary::load() {
  const std::lock_guard lock(m_mutex);
  if (m_loaded.load(std::memory_order_relaxed)) return;
  const std::string fix =
      "; install the package that provides it (on Debian 12: " + m_package + "); cbkit needs " + m_soname + " " + m_used_for;
  // RTLD_NOW: every symbol the library itself needs is bound here, so a broken
  // installation fails now, with this message, and not in the middle of a command.
  void* handle = dlopen(m_soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw Error(ErrorKind::unavailable, "cannot load " + m_soname + ": " + (why != nullptr ? why : "unknown error") + fix);
  }
  std::vector<void*> addresses(m_symbols.size());
  for (std::size_t i = 0; i < m_symbols.size(); ++i) {
    dlerror();
    addresses[i] = dlsym(handle, m_symbols[i]);
    if (addresses[i] == nullptr) {
      // The handle stays open: closing a library that may have run initialisers is not
      // worth the risk, and a second load() reports the same error again.
      throw Error(ErrorKind::unavailable,
                  m_soname + " has no function " + m_symbols[i] + " (an older or different build of the library)" + fix);
    }
  }
  m_addresses = std::move(addresses);
  m_loaded.store(true, std::memory_order_release);
}

} // namespace cbkit::util
