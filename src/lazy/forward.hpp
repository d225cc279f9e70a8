#pragma once

// The forwarders of src/lazy/: each file lists the functions cbkit calls from one library
// as X(return type, name, (parameters), (arguments)) and expands the list three times:
// the indexes, the names for dlsym, and the definitions. A definition whose parameters
// differ from the library header's declaration does not compile ("conflicting declaration
// of C function"), so the list cannot drift from the headers; a function cbkit starts to
// call without adding it here does not link.

#include "cbkit/util/lazy_library.hpp"

#define CBKIT_LAZY_INDEX(ret, name, params, args) i_##name,
#define CBKIT_LAZY_NAME(ret, name, params, args) #name,
// (name) in parentheses: a library may also define a function-like macro of that name.
#define CBKIT_LAZY_FORWARD(ret, name, params, args)                                                                                        \
  ret(name) params { return reinterpret_cast<decltype(&name)>(library().address(i_##name)) args; }

// One library's table from its list: the indexes, the names, the LazyLibrary (by the SONAME
// the build found, what cbkit needs it for, the package that installs it on Debian 12) and util::REQUIRE(), which
// opens it now. Then `extern "C" { LIST(CBKIT_LAZY_FORWARD) }` defines the forwarders.
#define CBKIT_LAZY_LIBRARY(LIST, REQUIRE, soname, used_for, package)                                                                       \
  namespace {                                                                                                                              \
  enum : std::size_t { LIST(CBKIT_LAZY_INDEX) };                                                                                           \
  constexpr const char* k_symbols[] = {LIST(CBKIT_LAZY_NAME)};                                                                             \
  cbkit::util::LazyLibrary& library() {                                                                                                    \
    /* never destroyed: a forwarder called during exit must not find a freed table */                                                      \
    static cbkit::util::LazyLibrary& lib = *new cbkit::util::LazyLibrary(soname, used_for, package, k_symbols);                            \
    return lib;                                                                                                                            \
  }                                                                                                                                        \
  }                                                                                                                                        \
  namespace cbkit::util {                                                                                                                  \
  void REQUIRE() { library().load(); }                                                                                                     \
  }
