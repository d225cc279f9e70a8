#!/usr/bin/env bash
# bench/email.sh — messages per second of `cbkit add-email FOLDER` vs Python's stdlib
# `email` package parsing the same files (issue 3: target ≥ 10× Python's rate).
#
# Usage: bench/email.sh [MESSAGES]
#   MESSAGES       how many messages (default: $BENCH_MESSAGES, else 10000): the corpus
#                  ../shared/corpora/email repeated (copies in the temp dir)
# Environment:
#   CBKIT_BIN        cbkit binary (default: build/cbkit of this checkout, as scripts/demo.sh builds it)
#   CBKIT_CORPORA    corpora folder (default: ../shared/corpora beside the project)
#   BENCH_TMPDIR     where the temp dir (messages + on-disk case) is made (default $TMPDIR or /tmp)
#   BENCH_MIN_RATIO  cbkit rate / Python rate target (default 10)
#   BENCH_TMPFS      1 (default): also time a run whose case is on /dev/shm (no disk flushes);
#                    0: skip it
#
# Exit status: 0 every target met, 1 a target missed, 2 usage error,
#              3 a command failed (cbkit exit status != 0, missing tool, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CBKIT_BIN=${CBKIT_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/cbkit}
N=${1:-${BENCH_MESSAGES:-10000}}
MIN_RATIO=${BENCH_MIN_RATIO:-10}
CORPORA=${CBKIT_CORPORA:-$ROOT/../shared/corpora}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
TIME_BIN=/usr/bin/time
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

die() { echo "email.sh: error: $*" >&2; exit "${2:-3}"; }

[[ $N =~ ^[1-9][0-9]*$ ]] || die "MESSAGES '$N' is not a positive integer" 2
[[ -x $CBKIT_BIN ]] || die "$CBKIT_BIN: not an executable; build cbkit or set CBKIT_BIN"
[[ -x $TIME_BIN ]] || die "$TIME_BIN not found; install GNU time (apt-get install time)"
[[ -d $CORPORA/email ]] || die "no corpus at $CORPORA/email (set CBKIT_CORPORA)"
command -v "$PY" >/dev/null || die "python3 not found"

# Temp dirs are named bench-*, not cbkit-* (see README: a cleaner removes /tmp/cbkit-*).
source "$(dirname "$0")/lib.sh"
bench_setup email
SHM=""

# The corpus: every message file (the .eml files and spamscope's mail_* files; the
# Outlook .msg is left out: it is not an RFC 5322 message).
mapfile -t SRC < <(find "$CORPORA/email" -type f \( -iname '*.eml' -o -name 'mail_*' \) ! -name 'mail_outlook_*' | LC_ALL=C sort)
((${#SRC[@]} > 0)) || die "no message in $CORPORA/email"
MSGS=$WORK/messages
mkdir -p "$MSGS"
for ((i = 0; i < N; i++)); do
  printf -v name '%06d.eml' "$i"
  cp "${SRC[i % ${#SRC[@]}]}" "$MSGS/$name"
done
BYTES=$(du -sb "$MSGS" | cut -f1)
MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b / 1048576}')

echo "cbkit:    $ORIG_BIN ($("$CBKIT_BIN" --version 2>/dev/null || echo 'version unknown'), run from a copy)"
echo "python:   $("$PY" --version 2>&1) (stdlib email, compat32 policy)"
echo "messages: $N = the corpus's ${#SRC[@]} messages repeated, $MB MiB, in $MSGS"
echo "work dir: $WORK ($(df -PT "$WORK" | awk 'NR==2 {print $1 ", " $2}'))"
echo

now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"000; }
cat "$MSGS"/* >/dev/null # hot page cache for every contender

# run_timed NAME CMD... -> SECS[NAME], RSS[NAME] (KiB)
declare -A SECS RSS
run_timed() {
  local name=$1; shift
  local tv=$WORK/time-v.txt t0 t1 rc=0
  t0=$(now_ns)
  "$TIME_BIN" -v -o "$tv" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  t1=$(now_ns)
  if ((rc != 0)); then
    echo "email.sh: error: '$*' exited with status $rc" >&2
    tail -n 20 "$WORK/err.txt" | sed 's/^/  | /' >&2
    exit 3
  fi
  SECS[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
  RSS[$name]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
  printf '  %-28s %9.3f s  %8.0f msg/s  %7d KiB max RSS\n' "$name" "${SECS[$name]}" \
    "$(awk -v n="$N" -v s="${SECS[$name]}" 'BEGIN {print n / s}')" "${RSS[$name]}"
}

# Python: parse each file, decode every header (RFC 2047), walk the parts and decode
# every leaf's payload (base64/QP) — the same work cbkit's analysis does, minus storing.
PY_PROG='
import email, os, sys
from email.header import decode_header, make_header
d = sys.argv[1]
n = 0
for name in sorted(os.listdir(d)):
    with open(os.path.join(d, name), "rb") as f:
        m = email.message_from_binary_file(f)
    for k, v in m.items():
        try:
            str(make_header(decode_header(str(v))))
        except Exception:
            pass
    for part in m.walk():
        if not part.is_multipart():
            part.get_payload(decode=True)
    n += 1
print(n)
'

echo "timing ..."
run_timed "python3 email (parse only)" "$PY" -c "$PY_PROG" "$MSGS"
[[ $(cat "$WORK/out.txt") == "$N" ]] || die "python parsed $(cat "$WORK/out.txt") messages, expected $N"

# check_case CASE -- one entry per message
check_case() {
  local lines
  lines=$(wc -l <"$1/manifest.jsonl")
  ((lines == N + 1)) || die "$1: $lines manifest lines, expected $((N + 1))"
}

CASE=$WORK/case
"$CBKIT_BIN" init "$CASE" --case-id BENCH-EMAIL --examiner bench >/dev/null || die "cbkit init $CASE failed"
run_timed "cbkit add-email (disk)" "$CBKIT_BIN" --case "$CASE" add-email "$MSGS"
check_case "$CASE"
STORED=$(du -sb "$CASE/evidence" | cut -f1)
chmod -R u+w "$CASE"; rm -rf "$CASE"

if [[ ${BENCH_TMPFS:-1} == 1 && -d /dev/shm && -w /dev/shm ]]; then
  SHM=$(mktemp -d /dev/shm/bench-email.XXXXXX)
  BENCH_EXTRA_DIRS+=("$SHM")
  free_kb=$(df -Pk "$SHM" | awk 'NR==2 {print $4}')
  if ((free_kb > STORED / 1024 * 3 / 2 + 65536)); then
    "$CBKIT_BIN" init "$SHM/case" --case-id BENCH-EMAIL --examiner bench >/dev/null || die "cbkit init $SHM/case failed"
    run_timed "cbkit add-email (tmpfs case)" "$CBKIT_BIN" --case "$SHM/case" add-email "$MSGS"
    check_case "$SHM/case"
  else
    echo "  (tmpfs run skipped: /dev/shm has $((free_kb / 1024)) MiB free, needs about $((STORED / 1048576 * 3 / 2)) MiB)"
  fi
fi
echo

rate() { awk -v n="$N" -v s="$1" 'BEGIN {printf "%.0f", n / s}'; }
P_RATE=$(rate "${SECS["python3 email (parse only)"]}")
FAILS=0
printf '%-40s %10s %8s  %-10s %s\n' "contender" "msg/s" "ratio" "target" "result"
printf '%-40s %10s %8s  %-10s %s\n' "---------" "-----" "-----" "------" "------"
printf '%-40s %10s %8s  %-10s %s\n' "python3 email (parse only)" "$P_RATE" "1.00x" "" ""
for name in "cbkit add-email (disk)" "cbkit add-email (tmpfs case)"; do
  [[ -n ${SECS[$name]:-} ]] || continue
  r=$(awk -v p="${SECS["python3 email (parse only)"]}" -v c="${SECS[$name]}" 'BEGIN {printf "%.2f", p / c}')
  if awk -v r="$r" -v m="$MIN_RATIO" 'BEGIN {exit !(r >= m)}'; then v=PASS; else v=FAIL; FAILS=$((FAILS + 1)); fi
  printf '%-40s %10s %7sx  %-10s %s\n' "$name" "$(rate "${SECS[$name]}")" "$r" ">= ${MIN_RATIO}x" "$v"
done
echo
echo "stored per run: $(awk -v b="$STORED" 'BEGIN {printf "%.1f", b / 1048576}') MiB (original.eml, headers.json, bodies,"
echo "attachments) for $MB MiB of input."
echo "note: Python only parses in memory. cbkit also copies and hashes every message, writes"
echo "      headers.json, the bodies and the attachments (made read-only, one syncfs per entry),"
echo "      fsyncs every entry folder and appends one fsynced, locked manifest line per"
echo "      message. The tmpfs run keeps the same work but with flushes that cost nothing:"
echo "      the gap between the two runs is the disk's flush latency."
if ((FAILS > 0)); then
  echo "RESULT: FAIL ($FAILS target(s) missed)"
  exit 1
fi
echo "RESULT: PASS"
