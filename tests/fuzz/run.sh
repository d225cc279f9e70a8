#!/usr/bin/env bash
# tests/fuzz/run.sh -- build the libFuzzer targets in a separate clang build folder and
# run each of them for a while on the seed corpus (../shared/corpora beside the project).
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
#   SECONDS   per target (default $FUZZ_SECONDS, else 20)
#   TARGET    fuzz_headers fuzz_received fuzz_dkim fuzz_analyze fuzz_mbox fuzz_manifest
#             fuzz_warc fuzz_tsa fuzz_chat fuzz_archive (default: all)
# Environment:
#   FUZZ_BUILD_DIR  build folder (default /tmp/cbkit-fuzz-build; must not be the
#                   project's normal g++ build folder)
#   FUZZ_JOBS       parallel build jobs (default 2)
#   CC, CXX         compilers (default clang, clang++)
# Exit status: 0 no target crashed, 1 a target found a crash (its reproducer is in
# FUZZ_BUILD_DIR/tests/fuzz/<target>.artifacts/), 2 usage, 3 build failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${1:-${FUZZ_SECONDS:-20}}
[[ $SECONDS_EACH =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: SECONDS must be a positive integer" >&2; exit 2; }
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(fuzz_headers fuzz_received fuzz_dkim fuzz_analyze fuzz_mbox fuzz_manifest fuzz_warc fuzz_tsa fuzz_chat fuzz_archive)
BUILD=${FUZZ_BUILD_DIR:-/tmp/cbkit-fuzz-build}
CORPORA=$ROOT/../shared/corpora
[[ -d $CORPORA/email ]] || { echo "run.sh: no seed corpus at $CORPORA/email" >&2; exit 2; }

export CC=${CC:-clang} CXX=${CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "run.sh: $CXX not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 3; }

cmake -S "$ROOT" -B "$BUILD" -DCBKIT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log" >&2; exit 3; }
cmake --build "$BUILD" -j"${FUZZ_JOBS:-2}" --target "${TARGETS[@]}" || exit 3

FUZZ_DIR=$BUILD/tests/fuzz
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Seeds per target (as tests/fuzz/CMakeLists.txt lists them), and the crashers kept.
EMAIL_SEEDS=("$CORPORA/email/mikel-mail" "$CORPORA/email/spamscope-mail-parser" "$CORPORA/dkim-dkimpy")
FIXTURE=$ROOT/tests/fixtures/case-v0.1.0/case
seeds_of() {
    case $1 in
        fuzz_manifest) echo "$FIXTURE" ;;
        fuzz_warc) echo "$FIXTURE/evidence/000004-web" ;;
        fuzz_tsa) echo "$FIXTURE/seals" ;;
        fuzz_chat) echo "$ROOT/tests/fuzz/seeds/chat" ;;
        fuzz_archive) echo "$ROOT/tests/fuzz/seeds/archive" ;;
        *) printf '%s\n' "${EMAIL_SEEDS[@]}" ;;
    esac
    [[ -d $ROOT/tests/fuzz/regressions/$1 ]] && echo "$ROOT/tests/fuzz/regressions/$1"
    return 0
}
rc=0
for t in "${TARGETS[@]}"; do
    mapfile -t seeds < <(seeds_of "$t")
    mkdir -p "$FUZZ_DIR/$t.corpus" "$FUZZ_DIR/$t.artifacts"
    echo "== $t: ${SECONDS_EACH} s"
    if "$FUZZ_DIR/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/$t.artifacts/" \
        "$FUZZ_DIR/$t.corpus" "${seeds[@]}" >"$FUZZ_DIR/$t.log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+.*DONE' "$FUZZ_DIR/$t.log" | sed 's/^/   /'
    else
        rc=1
        echo "   FAILED: see $FUZZ_DIR/$t.log; reproducers in $FUZZ_DIR/$t.artifacts/:"
        grep -E 'ERROR:|runtime error:|SUMMARY:' "$FUZZ_DIR/$t.log" | head -5 | sed 's/^/   /'
        ls "$FUZZ_DIR/$t.artifacts/" | sed 's/^/   /'
    fi
done
exit $rc
