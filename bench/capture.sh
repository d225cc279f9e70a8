#!/usr/bin/env bash
# bench/capture.sh — `cbkit capture-url` against `wget --warc-file` (Debian's wget) on the same
# local response, at two body sizes, to show that cbkit is no slower and that its peak memory
# does not grow with the body (the body streams to disk while it is hashed; the WARC is
# gzipped record by record from that file).
#
# Usage: bench/capture.sh [SIZE_MB [SMALL_MB]]
#   SIZE_MB   the large body in MiB (default 100)
#   SMALL_MB  the small body in MiB (default 10)
# Environment:
#   CBKIT_BIN        cbkit binary (default: build/cbkit of this checkout, as scripts/demo.sh builds it)
#   BENCH_RUNS       timed runs per contender and size, best one counts (default 2)
#   BENCH_TMPDIR     where the temp dir is made (default $TMPDIR or /tmp)
#   BENCH_MIN_RATIO  wget time / cbkit time must be at least this (default 0.9: "no slower", with noise)
#   BENCH_MAX_RSS_GROWTH_MB  cbkit's peak RSS at SIZE_MB minus at SMALL_MB, at most (default 8)
#
# Both tools fetch over HTTP/1.1 from tests/cli/support/web_server.py on 127.0.0.1, write a
# gzipped WARC (request + response records) and the body to disk. cbkit also writes
# capture.json, hashes every file, fsyncs and appends a manifest line.
#
# Exit status: 0 all targets PASS, 1 at least one FAIL, 2 usage, 3 a command failed.
set -euo pipefail

CBKIT_BIN=${CBKIT_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/cbkit}
SIZE_MB=${1:-100}
SMALL_MB=${2:-10}
RUNS=${BENCH_RUNS:-2}
MIN_RATIO=${BENCH_MIN_RATIO:-0.9}
MAX_GROWTH_MB=${BENCH_MAX_RSS_GROWTH_MB:-8}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
TIME_BIN=/usr/bin/time
SERVER=$(cd "$(dirname "$0")/.." && pwd)/tests/cli/support/web_server.py

die() { echo "capture.sh: error: $*" >&2; exit "${2:-3}"; }

[[ $SIZE_MB =~ ^[1-9][0-9]*$ && $SMALL_MB =~ ^[1-9][0-9]*$ ]] || die "sizes must be positive numbers of MiB" 2
[[ -x $CBKIT_BIN ]] || die "$CBKIT_BIN: not an executable; build cbkit or set CBKIT_BIN"
[[ -x $TIME_BIN ]] || die "$TIME_BIN not found; install GNU time (apt-get install time)"
command -v wget >/dev/null || die "wget not found (apt-get install wget)"
[[ -f $SERVER ]] || die "$SERVER not found"

source "$(dirname "$0")/lib.sh"
bench_setup capture

python3 "$SERVER" --port-file "$WORK/port" 2>"$WORK/server.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; bench_cleanup' EXIT
for _ in $(seq 100); do [[ -s $WORK/port ]] && break; sleep 0.05; done
[[ -s $WORK/port ]] || die "the test server did not start"
BASE="http://127.0.0.1:$(cat "$WORK/port")"

# measure NAME CMD... -- best wall time (s) and the peak RSS (KiB) of that run, as "secs kib"
measure() {
  local best="" best_rss="" i
  for ((i = 0; i < RUNS; i++)); do
    "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; die "command failed: $*"; }
    local line secs rss
    line=$(tail -n1 "$WORK/time")
    secs=${line% *}
    rss=${line#* }
    if [[ -z $best ]] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$secs
      best_rss=$rss
    fi
  done
  echo "$best $best_rss"
}

run_cbkit() {
  rm -rf "$WORK/case"
  "$CBKIT_BIN" init "$WORK/case" --examiner bench --case-id BENCH >/dev/null
  $TIME_BIN -o "$WORK/time" -f "%e %M" "$CBKIT_BIN" --case "$WORK/case" capture-url "$1" --max-size 4G
}

run_wget() {
  rm -rf "$WORK/wget"
  mkdir -p "$WORK/wget"
  (cd "$WORK/wget" && $TIME_BIN -o "$WORK/time" -f "%e %M" wget -q --no-config --warc-file=capture -O body "$1")
}

status=0
declare -A RSS
for mb in "$SMALL_MB" "$SIZE_MB"; do
  url="$BASE/large?size=$((mb * 1048576))"
  read -r c_secs c_rss < <(measure run_cbkit "$url")
  read -r w_secs w_rss < <(measure run_wget "$url")
  RSS[$mb]=$c_rss
  ratio=$(awk -v c="$c_secs" -v w="$w_secs" 'BEGIN { printf "%.2f", (c > 0 ? w / c : 0) }')
  printf '%5d MiB  cbkit %6.2f s  %6d KiB peak RSS   wget --warc-file %6.2f s  %6d KiB peak RSS   wget/cbkit time %s\n' \
    "$mb" "$c_secs" "$c_rss" "$w_secs" "$w_rss" "$ratio"
  if [[ $mb == "$SIZE_MB" ]]; then
    if awk -v r="$ratio" -v m="$MIN_RATIO" 'BEGIN { exit !(r >= m) }'; then
      echo "PASS: at $mb MiB cbkit is no slower than wget (ratio $ratio >= $MIN_RATIO)"
    else
      echo "FAIL: at $mb MiB cbkit is slower than wget (ratio $ratio < $MIN_RATIO)"
      status=1
    fi
  fi
done
growth=$(((RSS[$SIZE_MB] - RSS[$SMALL_MB]) / 1024))
if ((growth <= MAX_GROWTH_MB)); then
  echo "PASS: cbkit's peak RSS grows by $growth MiB from $SMALL_MB to $SIZE_MB MiB (<= $MAX_GROWTH_MB MiB)"
else
  echo "FAIL: cbkit's peak RSS grows by $growth MiB from $SMALL_MB to $SIZE_MB MiB (> $MAX_GROWTH_MB MiB)"
  status=1
fi
exit $status
