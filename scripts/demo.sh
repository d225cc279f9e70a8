#!/usr/bin/env bash
# Quick start, part 1: installs what cbkit needs, builds it (Release, quietly), and runs the
# demo on examples/ (a sample cyberbullying case: init, add-file, add-email, capture-url of
# a page the demo serves on 127.0.0.1, notes, verify, log, show, its report in English,
# Dutch and French: OUTPUT-DIR/report.{en,nl,fr}.{html,md,txt}, then keygen, seal and verify
# of the signed archive OUTPUT-DIR/BE-2026-0042.tar.gz with the public key).
# Usage: bash scripts/demo.sh [OUTPUT-DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/deps.sh" demo
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DCBKIT_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build" -j"$(nproc)" >/dev/null
CBKIT_BIN="$root/build/cbkit" exec bash "$root/examples/demo.sh" "$@"
