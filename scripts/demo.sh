#!/usr/bin/env bash
# Quick start, part 1: installs what cbkit needs, builds it, and runs the demo on
# examples/ (a sample cyberbullying case: init, add-file, note, verify, log, show, and its
# report in English, Dutch and French: OUTPUT-DIR/report.{en,nl,fr}.{html,md,txt}).
# Usage: bash scripts/demo.sh [OUTPUT-DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/deps.sh" build
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DCBKIT_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build" -j"$(nproc)" >/dev/null
CBKIT_BIN="$root/build/cbkit" exec bash "$root/examples/demo.sh" "$@"
