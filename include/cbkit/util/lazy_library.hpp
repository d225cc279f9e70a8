#pragma once

// A shared library that cbkit opens the first time one of its functions is called, instead
// of at start-up. libcurl, GMime (with GLib and GIO) and libarchive bring some forty
// further libraries with them; linked the ordinary way, every run of cbkit maps, relocates
// and initialises all of them, also add-file, note or a verify of a case, which use none.
// src/lazy/ defines each function cbkit calls from those three libraries as a small
// forwarder to the real one (ARCHITECTURE.md, "Libraries opened on first use").

#include <atomic>
#include <cstddef>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace cbkit::util {

class LazyLibrary {
public:
  // soname: the file name the build found (e.g. libcurl.so.4); used_for: what cbkit needs
  // it for, in the error message; package: the package that installs it on Debian 12 (the
  // message says so: other systems name it differently); symbols: every function cbkit
  // calls, all resolved at once when the library is opened.
  LazyLibrary(std::string soname, std::string used_for, std::string package, std::span<const char* const> symbols);
  LazyLibrary(const LazyLibrary&) = delete;
  LazyLibrary& operator=(const LazyLibrary&) = delete;

  // Opens the library and resolves every symbol, the first time (thread-safe); the handle
  // is never closed. Throws Error(unavailable) naming the library, what failed and the
  // package to install, on this and every later call, when that is not possible.
  void load();

  // The address of symbols[index], after load().
  void* address(std::size_t index) {
    if (!m_loaded.load(std::memory_order_acquire)) load();
    return m_addresses[index];
  }

private:
  std::string m_soname;
  std::string m_used_for;
  std::string m_package;
  std::span<const char* const> m_symbols;
  std::vector<void*> m_addresses;
  std::mutex m_mutex;
  std::atomic<bool> m_loaded{false};
};

// Each opens one library now (src/lazy/*.cpp), for a command to call before it records or
// writes anything, so that a missing library cannot leave half a result behind. Each throws
// Error(unavailable) as load() does.
void require_curl();
void require_gmime();
void require_archive();

} // namespace cbkit::util
