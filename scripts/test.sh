#!/usr/bin/env bash
# Quick start, part 2: installs what the tests need, builds cbkit with -Werror, and runs
# every test (Catch2 unit tests and the black-box tests of the real binary) with ctest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/deps.sh" test
build="${CBKIT_TEST_BUILD_DIR:-$root/build-test}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCBKIT_WERROR=ON -DCBKIT_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 600

# Opt-in: CBKIT_SANITIZE=1 also builds with AddressSanitizer + UBSan (no recovery) in a folder
# of its own and runs the whole suite there (peak-RSS bounds are not asserted in that build).
if [[ ${CBKIT_SANITIZE:-0} == 1 ]]; then
  asan="${CBKIT_SANITIZE_BUILD_DIR:-$root/build-asan}"
  cmake -S "$root" -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCBKIT_SANITIZE=ON -DCBKIT_BUILD_TESTS=ON >/dev/null
  cmake --build "$asan" -j"$(nproc)"
  (cd "$asan" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j"$(nproc)" --timeout 900)
fi

# Opt-in: CBKIT_FUZZ=1 also builds the libFuzzer targets with clang (ASan+UBSan) in a
# folder of their own and runs each for CBKIT_FUZZ_SECONDS (default 10) on the corpora.
if [[ ${CBKIT_FUZZ:-0} == 1 ]]; then
  bash "$root/scripts/deps.sh" fuzz
  FUZZ_BUILD_DIR="${CBKIT_FUZZ_BUILD_DIR:-$root/build-fuzz}" bash "$root/tests/fuzz/run.sh" "${CBKIT_FUZZ_SECONDS:-10}"
fi
