#!/usr/bin/env bash
# bench/throughput.sh — the table of issue 17 in one run: each cbkit job against its
# reference tool, median of BENCH_RUNS interleaved rounds, ratio and target per row.
#
# Usage: bench/throughput.sh
# Environment:
#   CBKIT_BIN        cbkit binary (default: build/cbkit of this checkout)
#   BENCH_SIZE_MB    evidence size for add-file, seal and verify (default 1024; in 4 files)
#   BENCH_MESSAGES   messages for add-email (default 5000)
#   BENCH_RUNS       rounds; the median counts (default 3)
#   BENCH_ONLY       space-separated rows to run (email seal verify rss archive; default all)
#   BENCH_TMPDIR     where the temp dir is made (default $TMPDIR or /tmp)
#   CBKIT_CORPORA    corpora folder (default: ../shared/corpora beside the project)
#   BENCH_BAGIT_PYTHON  a python3 that can `import bagit` (default: python3; e.g. a venv's
#                    after `python3 -m venv V && V/bin/pip install bagit`)
#
# Exit status: 0 every target met, 1 a target missed, 2 usage error, 3 a command failed
# or a tool is missing. A row whose reference is not installed (bagit-python) is SKIP.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CBKIT_BIN=${CBKIT_BIN:-$ROOT/build/cbkit}
SIZE_MB=${BENCH_SIZE_MB:-1024}
N=${BENCH_MESSAGES:-5000}
RUNS=${BENCH_RUNS:-3}
ONLY=${BENCH_ONLY:-email seal verify rss archive}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
CORPORA=${CBKIT_CORPORA:-$ROOT/../shared/corpora}
TIME_BIN=/usr/bin/time
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
BAGIT_PY=${BENCH_BAGIT_PYTHON:-$PY}

die() { echo "throughput.sh: error: $*" >&2; exit "${2:-3}"; }

[[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZE_MB '$SIZE_MB' is not a positive number of MiB" 2
[[ $N =~ ^[1-9][0-9]*$ ]] || die "BENCH_MESSAGES '$N' is not a positive integer" 2
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS '$RUNS' is not a positive integer" 2
[[ -x $CBKIT_BIN ]] || die "$CBKIT_BIN: not an executable; build cbkit or set CBKIT_BIN"
[[ -x $TIME_BIN ]] || die "$TIME_BIN not found; install GNU time (apt-get install time)"
for t in openssl tar zstd bsdtar awk "$PY"; do
  command -v "$t" >/dev/null || die "$t not found on PATH"
done
want() { [[ " $ONLY " == *" $1 "* ]]; }

source "$(dirname "$0")/lib.sh"
bench_setup throughput
export CBKIT_EXAMINER=bench

echo "cbkit:  $ORIG_BIN ($("$CBKIT_BIN" --version 2>/dev/null), run from a copy)"
echo "host:   $(nproc) cores; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rounds: $RUNS (interleaved), the median counts"
echo

# timed KEY CMD... -- one run; appends its wall seconds to T[KEY] and peak RSS (KiB) to M[KEY].
declare -A T M
now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"000; }
timed() {
  local key=$1 t0 t1 rc=0
  shift
  t0=$(now_ns)
  "$TIME_BIN" -f %M -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  t1=$(now_ns)
  ((rc == 0)) || die "$key: '$*' exited with status $rc: $(tail -n 3 "$WORK/err")"
  T[$key]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}') "
  M[$key]+="$(tail -n 1 "$WORK/rss") "
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

ROWS=()
fail=0
# row JOB CBKIT REFERENCE RATIO OP TARGET -- one line of the table; checks RATIO OP TARGET.
row() {
  local verdict=PASS
  awk -v v="$4" -v l="$6" "BEGIN { exit !(v $5 l) }" || { verdict=FAIL; fail=1; }
  ROWS+=("$(printf '| %s | %s | %s | %s | %s %s | %s |' "$1" "$2" "$3" "$4" "$5" "$6" "$verdict")")
}
skip_row() { ROWS+=("$(printf '| %s | | %s | | | SKIP |' "$1" "$2")"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# ---------------------------------------------------------------- evidence
if want seal || want verify || want rss || want archive; then
  per=$((SIZE_MB / 4))
  ((per > 0)) || per=1
  mkdir -p "$WORK/in"
  for i in 1 2 3 4; do
    # AES-128-CTR keystream: fast, incompressible (like photos and videos)
    { openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0$i -iv 00000000000000000000000000000000 \
      -in /dev/zero 2>/dev/null || true; } | head -c "$((per * 1048576))" >"$WORK/in/video$i.bin"
  done
  C=$WORK/case
  "$CBKIT_BIN" init "$C" --case-id BENCH-17 --timezone UTC >/dev/null
  "$CBKIT_BIN" --case "$C" add-file "$WORK"/in/*.bin >/dev/null
  "$CBKIT_BIN" keygen --out "$WORK/k" >/dev/null
  STORED=("$C"/evidence/000001-file/*.bin)
  echo "evidence: $((per * 4)) MiB of random bytes in 4 files"
fi
warm() { cat "$@" >/dev/null; }

# ---------------------------------------------------------------- add-email
if want email; then
  if [[ -d $CORPORA/email ]]; then
    mapfile -t SRC < <(find "$CORPORA/email" -type f \( -iname '*.eml' -o -name 'mail_*' \) ! -name 'mail_outlook_*' | LC_ALL=C sort)
    ((${#SRC[@]} > 0)) || die "no message in $CORPORA/email"
    MSGS=$WORK/messages
    mkdir -p "$MSGS"
    for ((i = 0; i < N; i++)); do
      printf -v name '%06d.eml' "$i"
      cp "${SRC[i % ${#SRC[@]}]}" "$MSGS/$name"
    done
    # The same Python work as bench/email.sh: parse, decode every header and leaf payload.
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
    SHM_OK=0
    if [[ -d /dev/shm && -w /dev/shm ]]; then
      SHM=$(mktemp -d /dev/shm/bench-throughput.XXXXXX)
      BENCH_EXTRA_DIRS+=("$SHM")
      SHM_OK=1
    fi
    echo "add-email: $N messages, $RUNS rounds ..."
    for ((r = 1; r <= RUNS; r++)); do
      warm "$MSGS"/*
      timed py "$PY" -c "$PY_PROG" "$MSGS"
      [[ $(cat "$WORK/out") == "$N" ]] || die "python parsed $(cat "$WORK/out") messages, expected $N"
      # A fresh case per round, all removed after the last round: removing one just before
      # the next run makes the file system's inode allocator walk the freed inodes (ext4
      # without a journal skips inodes freed in the last 30 s), which the run would pay for.
      "$CBKIT_BIN" init "$WORK/ecase.$r" --case-id BENCH-17 --timezone UTC >/dev/null
      timed email_disk "$CBKIT_BIN" --case "$WORK/ecase.$r" add-email "$MSGS"
      lines=$(wc -l <"$WORK/ecase.$r/manifest.jsonl")
      ((lines == N + 1)) || die "add-email: $lines manifest lines, expected $((N + 1))"
      if ((SHM_OK)); then
        "$CBKIT_BIN" init "$SHM/case.$r" --case-id BENCH-17 --timezone UTC >/dev/null
        timed email_tmpfs "$CBKIT_BIN" --case "$SHM/case.$r" add-email "$MSGS"
      fi
    done
    chmod -R u+w "$WORK"/ecase.* 2>/dev/null || true
    rm -rf "$WORK"/ecase.*
    if ((SHM_OK)); then
      chmod -R u+w "$SHM" 2>/dev/null || true
      rm -rf "${SHM:?}"/case.*
    fi
    py_rate=$(awk -v n="$N" -v s="$(median "${T[py]}")" 'BEGIN {printf "%.0f", n / s}')
    disk_rate=$(awk -v n="$N" -v s="$(median "${T[email_disk]}")" 'BEGIN {printf "%.0f", n / s}')
    row "add-email of $N messages, case on disk" "$disk_rate msg/s" "Python email compat32, parse only: $py_rate msg/s" \
      "$(ratio "$disk_rate" "$py_rate")" ">=" 2
    if ((SHM_OK)); then
      shm_rate=$(awk -v n="$N" -v s="$(median "${T[email_tmpfs]}")" 'BEGIN {printf "%.0f", n / s}')
      row "the same, case on tmpfs" "$shm_rate msg/s" "$py_rate msg/s" "$(ratio "$shm_rate" "$py_rate")" ">=" 4
    else
      skip_row "the same, case on tmpfs" "no writable /dev/shm"
    fi
  else
    skip_row "add-email" "no corpus at $CORPORA/email (set CBKIT_CORPORA)"
  fi
fi

# ---------------------------------------------------------------- seal
if want seal; then
  echo "seal: $RUNS rounds ..."
  for ((r = 1; r <= RUNS; r++)); do
    warm "${STORED[@]}"
    rm -f "$WORK/t.tar.zst"
    timed tar tar --zstd -cf "$WORK/t.tar.zst" -C "$WORK" case
    warm "${STORED[@]}"
    timed seal "$CBKIT_BIN" --case "$C" seal --key "$WORK/k.key" --out "$WORK/s$r.tar.zst"
    rm -f "$WORK/s$r.tar.zst" "$WORK/s$r.tar.zst.receipt.txt"
  done
  rm -f "$WORK/t.tar.zst"
  ts=$(median "${T[seal]}")
  tt=$(median "${T[tar]}")
  row "seal $SIZE_MB MiB to .tar.zst" "$ts s" "tar --zstd -cf: $tt s" "$(ratio "$ts" "$tt")x the time" "<=" 1.15
fi

# ---------------------------------------------------------------- verify (case folder)
if want verify; then
  echo "verify: $RUNS rounds ..."
  for ((r = 1; r <= RUNS; r++)); do
    warm "${STORED[@]}"
    timed dgst openssl dgst -sha256 "${STORED[@]}"
    warm "${STORED[@]}"
    timed verify "$CBKIT_BIN" verify "$C"
  done
  tv=$(median "${T[verify]}")
  td=$(median "${T[dgst]}")
  row "verify of a case of four $((SIZE_MB / 4)) MiB files" "$tv s" "openssl dgst -sha256 on the same bytes: $td s" \
    "$(ratio "$td" "$tv")x the speed" ">=" 1.5
fi

# ---------------------------------------------------------------- add-file peak RSS
if want rss; then
  cat "${STORED[@]}" >"$WORK/one.bin"
  echo "add-file peak RSS: $RUNS rounds ..."
  for ((r = 1; r <= RUNS; r++)); do
    chmod -R u+w "$WORK/fcase" 2>/dev/null || true
    rm -rf "$WORK/fcase"
    "$CBKIT_BIN" init "$WORK/fcase" --case-id BENCH-17 --timezone UTC >/dev/null
    timed addfile "$CBKIT_BIN" --case "$WORK/fcase" add-file "$WORK/one.bin"
    timed dgst1 openssl dgst -sha256 "$WORK/one.bin"
  done
  chmod -R u+w "$WORK/fcase" 2>/dev/null || true
  rm -rf "$WORK/fcase" "$WORK/one.bin"
  ma=$(median "${M[addfile]}")
  md=$(median "${M[dgst1]}")
  row "add-file $SIZE_MB MiB, peak RSS" "$((ma / 1024)) MiB" "openssl dgst: $((md / 1024)) MiB" \
    "$(awk -v k="$ma" 'BEGIN {printf "%.1f", k / 1024}') MiB" "<" 16
fi

# ---------------------------------------------------------------- verify ARCHIVE.tar
if want archive; then
  if "$BAGIT_PY" -c 'import bagit' 2>/dev/null; then
    "$CBKIT_BIN" --case "$C" pack --key "$WORK/k.key" --out "$WORK/a.tar" >/dev/null 2>&1 ||
      "$CBKIT_BIN" --case "$C" seal --key "$WORK/k.key" --out "$WORK/a.tar" >/dev/null
    mkdir -p "$WORK/x"
    bsdtar -xf "$WORK/a.tar" -C "$WORK/x"
    BAG=$(find "$WORK/x" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    echo "verify ARCHIVE.tar: $RUNS rounds ..."
    for ((r = 1; r <= RUNS; r++)); do
      warm "$WORK/a.tar"
      timed averify "$CBKIT_BIN" verify "$WORK/a.tar" --pubkey "$WORK/k.pub"
      find "$BAG" -type f -exec cat {} + >/dev/null
      timed bagit "$BAGIT_PY" -c 'import bagit, sys; bagit.Bag(sys.argv[1]).validate(processes=2)' "$BAG"
    done
    chmod -R u+w "$WORK/x"
    rm -rf "$WORK/x" "$WORK/a.tar"
    ta=$(median "${T[averify]}")
    tb=$(median "${T[bagit]}")
    row "verify ARCHIVE.tar ($SIZE_MB MiB in 4 files)" "$ta s" "bagit-python validate(processes=2), extracted: $tb s" \
      "$(ratio "$tb" "$ta")x the speed" ">=" 1.0
  else
    skip_row "verify ARCHIVE.tar" "bagit-python is not installed (pip install bagit)"
  fi
fi

echo
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| job | cbkit | reference | ratio | target | |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
exit "$fail"
