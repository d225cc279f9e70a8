#!/usr/bin/env bash
# bench/append-cost.sh — does the cost of one append grow with the size of the log?
#
# Builds a case with APPEND_ENTRIES note entries (a loop of `cbkit note`) and times single
# appends (one `cbkit note` each, wall clock, median of APPEND_SAMPLES) right after the
# 10th entry and right after the last one. An append must read only the tail of
# manifest.jsonl (to chain `prev`), never the whole log, so the ratio should be ~1.0.
#
# Usage: bench/append-cost.sh
# Environment:
#   CBKIT_BIN         cbkit binary (default: build/cbkit of this checkout, as scripts/demo.sh builds it)
#   APPEND_ENTRIES    size of the big case, in note entries (default 10000)
#   APPEND_SAMPLES    timed appends at each point, the median counts (default 9)
#   APPEND_MAX_RATIO  target for median(late) / median(early) (default 1.5)
#   APPEND_JOBS       parallel `cbkit note` processes while filling (default 1; >1 also
#                     exercises the case lock; the timed appends are always sequential)
#   BENCH_TMPDIR      where the temp dir is made (default $TMPDIR or /tmp)
#
# Exit status: 0 PASS, 1 FAIL, 2 usage error, 3 a command failed.
set -euo pipefail

CBKIT_BIN=${CBKIT_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/cbkit}
ENTRIES=${APPEND_ENTRIES:-10000}
SAMPLES=${APPEND_SAMPLES:-9}
MAX_RATIO=${APPEND_MAX_RATIO:-1.5}
JOBS=${APPEND_JOBS:-1}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
EARLY=10

die() { echo "append-cost.sh: error: $*" >&2; exit "${2:-3}"; }

for v in ENTRIES SAMPLES JOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v '${!v}' is not a positive integer" 2
done
((ENTRIES > EARLY + SAMPLES)) || die "APPEND_ENTRIES must be > $((EARLY + SAMPLES))" 2
[[ -x $CBKIT_BIN ]] || die "$CBKIT_BIN: not an executable; build cbkit or set CBKIT_BIN"

source "$(dirname "$0")/lib.sh"
bench_setup append-cost
CASE=$WORK/case
export CBKIT_BIN CASE

now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"000; }

note_text() { # a realistic note, ~150 bytes
  printf 'Observation %d: new comment under the victim'"'"'s post by @x_hater_2026, ' "$1"
  printf 'saved the page and a screenshot; comment id %08d.' "$1"
}

# fill FROM TO: append notes number FROM..TO (no timing)
fill() {
  local from=$1 to=$2 i
  ((from <= to)) || return 0
  if ((JOBS == 1)); then
    for ((i = from; i <= to; i++)); do
      "$CBKIT_BIN" --case "$CASE" note "$(note_text "$i")" >/dev/null \
        || die "cbkit note (entry $i) failed"
    done
  else
    seq "$from" "$to" | xargs -P "$JOBS" -n 1 sh -c \
      '"$CBKIT_BIN" --case "$CASE" note "filler note $1 appended by a parallel fill" >/dev/null' sh \
      || die "cbkit note failed during the parallel fill"
  fi
}

# sample N: time SAMPLES appends; the first gets seq N. Prints the median in seconds.
sample() {
  local seq=$1 i t0 t1 out got times=()
  for ((i = 0; i < SAMPLES; i++)); do
    t0=$(now_ns)
    out=$("$CBKIT_BIN" --case "$CASE" note "$(note_text $((seq + i)))") \
      || die "cbkit note (entry $((seq + i))) failed"
    t1=$(now_ns)
    got=$(awk '$1 == "head" && $3 == "seq" {print $4}' <<<"$out")
    [[ $got == "$((seq + i))" ]] || die "expected 'head <hash> seq $((seq + i))', cbkit printed: $out"
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", (b - a) / 1e9}')")
  done
  echo "    samples (s): ${times[*]}" >&2
  printf '%s\n' "${times[@]}" | sort -g | awk '{v[NR] = $1}
    END {if (NR % 2) printf "%.6f", v[(NR + 1) / 2]; else printf "%.6f", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

echo "cbkit:    $ORIG_BIN ($("$CBKIT_BIN" --version 2>/dev/null || echo 'version unknown'), run from a copy)"
echo "work dir: $WORK"
echo "entries:  $ENTRIES, $SAMPLES timed appends at each point, fill jobs: $JOBS"
echo
"$CBKIT_BIN" init "$CASE" --case-id BENCH-APPEND --examiner bench >/dev/null || die "cbkit init failed"

# entries 1..EARLY-1, then time the appends of entries EARLY .. EARLY+SAMPLES-1
fill 1 $((EARLY - 1))
echo "timing appends of entries $EARLY..$((EARLY + SAMPLES - 1)) ..."
T_EARLY=$(sample "$EARLY")

# fill up to entry ENTRIES-1, then time the appends of entries ENTRIES .. ENTRIES+SAMPLES-1
first=$((EARLY + SAMPLES)) last=$((ENTRIES - 1))
echo "filling entries $first..$last ..."
t0=$(now_ns)
fill "$first" "$last"
t1=$(now_ns)
FILL_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
FILL_MS=$(awk -v a="$t0" -v b="$t1" -v n=$((last - first + 1)) 'BEGIN {printf "%.2f", (b - a) / 1e6 / n}')
echo "  $((last - first + 1)) appends in $FILL_S s ($FILL_MS ms per append, wall clock)"
echo "timing appends of entries $ENTRIES..$((ENTRIES + SAMPLES - 1)) ..."
T_LATE=$(sample "$ENTRIES")

LINES=$(wc -l <"$CASE/manifest.jsonl")
SIZE_KB=$(( $(stat -c %s "$CASE/manifest.jsonl") / 1024 ))
((LINES == ENTRIES + SAMPLES)) || die "manifest.jsonl has $LINES lines, expected $((ENTRIES + SAMPLES))"

echo "checking the big case with cbkit verify ..."
t0=$(now_ns)
"$CBKIT_BIN" --case "$CASE" verify >"$WORK/verify.txt" 2>&1 \
  || { sed 's/^/  | /' "$WORK/verify.txt" | tail -20 >&2; die "cbkit verify failed on the ${LINES}-line case"; }
t1=$(now_ns)
VERIFY_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
echo "  $(tail -1 "$WORK/verify.txt")"
echo

RATIO=$(awk -v a="$T_EARLY" -v b="$T_LATE" 'BEGIN {printf "%.2f", b / a}')
if awk -v r="$RATIO" -v m="$MAX_RATIO" 'BEGIN {exit !(r <= m)}'; then V=PASS; else V=FAIL; fi
printf '%-48s %12s\n' "measure" "value"
printf '%-48s %12s\n' "-------" "-----"
printf '%-48s %10.2f ms\n' "append of entry $EARLY (median of $SAMPLES)" \
  "$(awk -v s="$T_EARLY" 'BEGIN {print s * 1000}')"
printf '%-48s %10.2f ms\n' "append of entry $ENTRIES (median of $SAMPLES)" \
  "$(awk -v s="$T_LATE" 'BEGIN {print s * 1000}')"
printf '%-48s %12s\n' "manifest size at the end" "$LINES lines, $SIZE_KB KiB"
printf '%-48s %10s ms\n' "fill: mean wall time per cbkit note (jobs=$JOBS)" "$FILL_MS"
printf '%-48s %10s s\n' "cbkit verify of the whole case (info)" "$VERIFY_S"
printf '%-48s %11sx  (target <= %s, ~1.0)  %s\n' "ratio entry $ENTRIES / entry $EARLY" "$RATIO" "$MAX_RATIO" "$V"
echo "RESULT: $V"
[[ $V == PASS ]]
