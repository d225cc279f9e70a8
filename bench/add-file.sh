#!/usr/bin/env bash
# bench/add-file.sh — throughput and memory of `cbkit add-file` / `cbkit verify`
# compared with `openssl dgst -sha256` and `sha256sum` on the same file.
#
# Usage: bench/add-file.sh [SIZE_MB]
#   SIZE_MB        file size in MiB (default: $BENCH_SIZE_MB, else 1024)
# Environment:
#   CBKIT_BIN      cbkit binary (default: build/cbkit of this checkout, as scripts/demo.sh builds it)
#   BENCH_SIZE_MB  file size in MiB when no argument is given (default 1024)
#   BENCH_RUNS     timed runs per contender, best one counts (default 3)
#   BENCH_TMPDIR   where the temp dir (file + cases) is made (default $TMPDIR or /tmp);
#                  the test file and the cases are in the same temp dir, so on the same
#                  filesystem
#   BENCH_MIN_RATIO  add-file throughput / openssl dgst throughput target (default 0.85)
#   BENCH_MAX_RSS_MB peak RSS target for add-file and verify, in MiB (default 32)
#
# Exit status: 0 all targets PASS, 1 at least one FAIL, 2 usage error,
#              3 a command failed (cbkit exit status != 0, missing tool, ...).
set -euo pipefail

CBKIT_BIN=${CBKIT_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/cbkit}
SIZE_MB=${1:-${BENCH_SIZE_MB:-1024}}
RUNS=${BENCH_RUNS:-3}
MIN_RATIO=${BENCH_MIN_RATIO:-0.85}
MAX_RSS_MB=${BENCH_MAX_RSS_MB:-32}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
TIME_BIN=/usr/bin/time

die() { echo "add-file.sh: error: $*" >&2; exit "${2:-3}"; }

[[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "size '$SIZE_MB' is not a positive number of MiB" 2
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS '$RUNS' is not a positive integer" 2
[[ -x $CBKIT_BIN ]] || die "$CBKIT_BIN: not an executable; build cbkit or set CBKIT_BIN"
[[ -x $TIME_BIN ]] || die "$TIME_BIN not found; install GNU time (apt-get install time)"
for t in openssl sha256sum awk; do
  command -v "$t" >/dev/null || die "$t not found on PATH"
done

source "$(dirname "$0")/lib.sh"
bench_setup add-file
FILE=$WORK/bench-${SIZE_MB}MiB.bin
BYTES=$((SIZE_MB * 1024 * 1024))
free_kb=$(df -Pk "$WORK" | awk 'NR==2 {print $4}')
# file + one copy at a time (each case / copy is removed before the next run)
need_kb=$((BYTES / 1024 * 2 + 65536))  # file + the copy of one run
((free_kb > need_kb)) || die "$WORK: need about $((need_kb / 1024)) MiB free, have $((free_kb / 1024)) MiB"

echo "cbkit:    $ORIG_BIN ($("$CBKIT_BIN" --version 2>/dev/null || echo 'version unknown'), run from a copy)"
echo "work dir: $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $1 ", " $2}'))"
echo "file:     $SIZE_MB MiB, best of $RUNS runs each"
echo

echo "generating $SIZE_MB MiB test file ..."
# AES-128-CTR keystream: fast pseudo-random bytes (incompressible, unlike zeros).
# openssl dies of SIGPIPE when head has enough; that is expected, so its status is ignored.
{ openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
    -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null || true; } \
  | head -c "$BYTES" >"$FILE"
actual=$(stat -c %s "$FILE")
((actual == BYTES)) || die "$FILE: generated $actual bytes, expected $BYTES"

warm() { cat "$FILE" >/dev/null; }
warm # warm-up read: the page cache is hot for all contenders (repeated before each run)

now_ns() { # wall clock in ns, no external command (bash 5 EPOCHREALTIME)
  local t=${EPOCHREALTIME/[.,]/}
  echo "$t"000
}

# run_timed NAME CMD...: time one run; BEST[NAME] keeps the fastest, RSS[NAME] the peak RSS (KiB)
declare -A BEST RSS
run_timed() {
  local name=$1; shift
  local tv=$WORK/time-v.txt out=$WORK/out.txt err=$WORK/err.txt t0 t1 rc=0 secs rss
  warm # before every run: cbkit add-file drops the source from the page cache as it goes
  t0=$(now_ns)
  "$TIME_BIN" -v -o "$tv" "$@" >"$out" 2>"$err" || rc=$?
  t1=$(now_ns)
  if ((rc != 0)); then
    echo "add-file.sh: error: '$*' exited with status $rc" >&2
    sed 's/^/  | /' "$err" >&2
    exit 3
  fi
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", (b - a) / 1e9}')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
  if [[ -z ${BEST[$name]:-} ]] || awk -v s="$secs" -v b="${BEST[$name]}" 'BEGIN {exit !(s < b)}'; then
    BEST[$name]=$secs
  fi
  if [[ -z ${RSS[$name]:-} ]] || ((rss > RSS[$name])); then
    RSS[$name]=$rss
  fi
  printf '  %-18s run %d: %8.3f s  %8d KiB max RSS\n' "$name" "$RUN" "$secs" "$rss"
}

echo "timing (rounds interleave the contenders, so load changes on the machine hit all alike) ..."
CASE=
for ((RUN = 1; RUN <= RUNS; RUN++)); do
  run_timed "openssl dgst" openssl dgst -sha256 "$FILE"
  REF_HASH=$(awk '{print $NF}' "$WORK/out.txt")

  run_timed "sha256sum" sha256sum "$FILE"
  [[ $(awk '{print $1}' "$WORK/out.txt") == "$REF_HASH" ]] || die "sha256sum and openssl disagree"

  # reference for the write side: a durable copy written the way add-file writes it
  # (O_DIRECT, 4 MiB blocks, fsync at the end) on the same filesystem; no hashing
  run_timed "dd direct+fsync" dd if="$FILE" of="$WORK/copy.bin" bs=4M oflag=direct conv=fsync status=none
  rm -f "$WORK/copy.bin"

  # fresh case for each run; the previous one is removed first (disk space)
  if [[ -n $CASE ]]; then chmod -R u+w "$CASE"; rm -rf "$CASE"; fi
  CASE=$WORK/case-$RUN
  "$CBKIT_BIN" init "$CASE" --case-id "BENCH-$RUN" --examiner "bench" >/dev/null \
    || die "cbkit init $CASE failed"
  run_timed "cbkit add-file" "$CBKIT_BIN" --case "$CASE" add-file "$FILE"
  got=$(awk 'NF >= 3 && length($1) == 64 && $1 ~ /^[0-9a-f]+$/ {print $1; exit}' "$WORK/out.txt")
  [[ $got == "$REF_HASH" ]] \
    || die "cbkit add-file printed sha256 '$got', openssl says $REF_HASH"

  # verify re-reads the stored copy (just written, so mostly in the page cache)
  run_timed "cbkit verify" "$CBKIT_BIN" --case "$CASE" verify
done
echo

mibs() { awk -v s="$1" -v m="$SIZE_MB" 'BEGIN {printf "%.1f", m / s}'; }
T_OSSL=${BEST["openssl dgst"]}
T_SUM=${BEST["sha256sum"]}
T_ADD=${BEST["cbkit add-file"]}
T_VER=${BEST["cbkit verify"]}

FAILS=0
verdict() { # verdict VAR AWK-CONDITION: sets VAR to PASS or FAIL, counts failures
  if awk "BEGIN {exit !($2)}"; then printf -v "$1" PASS; else FAILS=$((FAILS + 1)); printf -v "$1" FAIL; fi
}

printf '%-16s %10s %10s %14s\n' "tool" "seconds" "MiB/s" "max RSS (MiB)"
printf '%-16s %10s %10s %14s\n' "----" "-------" "-----" "-------------"
for name in "openssl dgst" "sha256sum" "dd direct+fsync" "cbkit add-file" "cbkit verify"; do
  printf '%-16s %10.3f %10s %14s\n' "$name" "${BEST[$name]}" "$(mibs "${BEST[$name]}")" \
    "$(awk -v k="${RSS[$name]}" 'BEGIN {printf "%.1f", k / 1024}')"
done
echo

R_OSSL=$(awk -v a="$T_OSSL" -v b="$T_ADD" 'BEGIN {printf "%.2f", a / b}')
R_SUM=$(awk -v a="$T_SUM" -v b="$T_ADD" 'BEGIN {printf "%.2f", a / b}')
R_CP=$(awk -v a="${BEST["dd direct+fsync"]}" -v b="$T_ADD" 'BEGIN {printf "%.2f", a / b}')
# add-file can go no faster than the slower of hashing (openssl) and a durable copy (dd)
T_BOUND=$(awk -v a="$T_OSSL" -v b="${BEST["dd direct+fsync"]}" 'BEGIN {print (a > b ? a : b)}')
R_BOUND=$(awk -v a="$T_BOUND" -v b="$T_ADD" 'BEGIN {printf "%.2f", a / b}')
R_VER=$(awk -v a="$T_OSSL" -v b="$T_VER" 'BEGIN {printf "%.2f", a / b}')
RSS_ADD=$(awk -v k="${RSS["cbkit add-file"]}" 'BEGIN {printf "%.1f", k / 1024}')
RSS_VER=$(awk -v k="${RSS["cbkit verify"]}" 'BEGIN {printf "%.1f", k / 1024}')
verdict V_RATIO "$R_OSSL >= $MIN_RATIO"
verdict V_RSS_ADD "$RSS_ADD < $MAX_RSS_MB"
verdict V_RSS_VER "$RSS_VER < $MAX_RSS_MB"

printf '%-44s %8s  %-12s %s\n' "check" "value" "target" "result"
printf '%-44s %8s  %-12s %s\n' "-----" "-----" "------" "------"
printf '%-44s %7sx  %-12s %s\n' "add-file throughput / openssl dgst" "$R_OSSL" ">= ${MIN_RATIO}x" \
  "$V_RATIO"
printf '%-44s %7sx  %-12s %s\n' "add-file throughput / sha256sum" "$R_SUM" "(info)" "-"
printf '%-44s %7sx  %-12s %s\n' "add-file throughput / durable copy (dd)" "$R_CP" "(info)" "-"
printf '%-44s %7sx  %-12s %s\n' "add-file / slower of openssl and dd" "$R_BOUND" "(info)" "-"
printf '%-44s %7sx  %-12s %s\n' "verify throughput / openssl dgst" "$R_VER" "(info)" "-"
printf '%-44s %8s  %-12s %s\n' "add-file peak RSS (MiB)" "$RSS_ADD" "< $MAX_RSS_MB MiB" \
  "$V_RSS_ADD"
printf '%-44s %8s  %-12s %s\n' "verify peak RSS (MiB)" "$RSS_VER" "< $MAX_RSS_MB MiB" \
  "$V_RSS_VER"
echo
echo "note: add-file also writes the copy and fsyncs it (plus the manifest line); openssl"
echo "      dgst and sha256sum only read. 'dd direct+fsync' is a durable copy written the"
echo "      same way without hashing: what the disk alone allows. add-file hashes on one"
echo "      thread while another writes, so it cannot beat the slower of dd and openssl dgst;"
echo "      when dd is the slower one, the openssl target measures the disk, not cbkit."
if ((FAILS > 0)); then
  echo "RESULT: FAIL ($FAILS target(s) missed)"
  exit 1
fi
echo "RESULT: PASS"
