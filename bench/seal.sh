#!/usr/bin/env bash
# bench/seal.sh — `cbkit seal`/`pack` against `tar czf` and `tar --zstd -cf` of the same case
# folder, and `cbkit verify ARCHIVE` against `sha256sum -c` on the extracted payload, in one
# run; wall time ratios and peak RSS. When `age` is installed, also `cbkit pack --recipient`
# (the encrypted archive, .tar.zst.age) against `tar --zstd -cf - | age -r`.
#
# Usage: bench/seal.sh [SIZE_MB]
#   SIZE_MB          evidence in MiB (default: $BENCH_SIZE_MB, else 1024), as 4 random files
#                    (random: like photos and videos, it does not compress)
# Environment:
#   CBKIT_BIN        cbkit binary (default: build/cbkit of this checkout, as scripts/demo.sh builds it)
#   BENCH_TMPDIR     where the temp dir is made (default $TMPDIR or /tmp)
#   BENCH_MAX_RATIO  seal time / matching tar time target (default 1.3)
#   BENCH_MAX_RSS_MB peak RSS target for seal and verify, in MiB (default 64)
#
# The seal of .tar.gz is timed with `cbkit pack` (the same archive writer, without the
# seal line), so that both formats are written from one sealed state; one real `seal` is
# timed too. Exit status: 0 all targets PASS, 1 a target FAILs, 2 usage, 3 a command failed.
set -euo pipefail

CBKIT_BIN=${CBKIT_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/cbkit}
SIZE_MB=${1:-${BENCH_SIZE_MB:-1024}}
MAX_RATIO=${BENCH_MAX_RATIO:-1.3}
MAX_RSS_MB=${BENCH_MAX_RSS_MB:-64}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
TIME_BIN=/usr/bin/time

die() { echo "seal.sh: error: $*" >&2; exit "${2:-3}"; }

[[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "size '$SIZE_MB' is not a positive number of MiB" 2
[[ -x $CBKIT_BIN ]] || die "$CBKIT_BIN: not an executable; build cbkit or set CBKIT_BIN"
[[ -x $TIME_BIN ]] || die "$TIME_BIN not found; install GNU time (apt-get install time)"
for t in tar gzip zstd sha256sum bsdtar awk; do
  command -v "$t" >/dev/null || die "$t not found on PATH"
done

source "$(dirname "$0")/lib.sh"
bench_setup seal

# timed NAME CMD... -- run CMD under GNU time; sets SECS and RSS_MB.
timed() {
  local name=$1
  shift
  sync
  "$TIME_BIN" -f '%e %M' -o "$WORK/time.$name" "$@" >"$WORK/out.$name" 2>"$WORK/err.$name" ||
    die "$name failed: $(tail -n 3 "$WORK/err.$name")"
  read -r SECS RSS_KB <"$WORK/time.$name"
  RSS_MB=$((RSS_KB / 1024))
  printf '%-34s %8.2f s %6d MiB\n' "$name" "$SECS" "$RSS_MB"
}

C=$WORK/case
"$CBKIT_BIN" init "$C" --examiner Bench --case-id BENCH-1 >/dev/null
mkdir -p "$WORK/in"
per=$((SIZE_MB / 4))
((per > 0)) || per=1
for i in 1 2 3 4; do head -c "$((per * 1048576))" /dev/urandom >"$WORK/in/video$i.bin"; done
"$CBKIT_BIN" --case "$C" add-file "$WORK"/in/*.bin >/dev/null
rm -rf "$WORK/in"
"$CBKIT_BIN" keygen --out "$WORK/k" >/dev/null
echo "case: $((per * 4)) MiB of random evidence in 4 files; $(nproc) cores"
cat "$C"/evidence/*/* >/dev/null # warm the page cache for every contender alike

fail=0
check() { # check WHAT VALUE OP LIMIT
  if awk -v v="$2" -v l="$4" "BEGIN { exit !(v $3 l) }"; then echo "PASS: $1 = $2 ($3 $4)"; else
    echo "FAIL: $1 = $2 (target $3 $4)"
    fail=1
  fi
}

timed "cbkit seal .tar.zst" "$CBKIT_BIN" --case "$C" seal --key "$WORK/k.key" --out "$WORK/s.tar.zst"
seal_zst=$SECS seal_rss=$RSS_MB
timed "tar --zstd -cf" tar -C "$WORK" --zstd -cf "$WORK/t.tar.zst" case
tar_zst=$SECS
timed "cbkit pack .tar.gz" "$CBKIT_BIN" --case "$C" pack --key "$WORK/k.key" --out "$WORK/s.tar.gz"
seal_gz=$SECS
((RSS_MB > seal_rss)) && seal_rss=$RSS_MB
timed "tar czf" tar -C "$WORK" -czf "$WORK/t.tar.gz" case
tar_gz=$SECS
if command -v age >/dev/null; then
  "$CBKIT_BIN" keygen --age --out "$WORK/police" >/dev/null
  recipient=$(cat "$WORK/police.age.pub")
  timed "cbkit pack .tar.zst.age" "$CBKIT_BIN" --case "$C" pack --key "$WORK/k.key" --out "$WORK/s.tar.zst.age" --recipient "$recipient"
  seal_age=$SECS
  ((RSS_MB > seal_rss)) && seal_rss=$RSS_MB
  timed "tar --zstd -cf - | age -r" sh -c "tar -C '$WORK' --zstd -cf - case | age -r '$recipient' -o '$WORK/t.tar.zst.age'"
  tar_age=$SECS
  timed "cbkit verify .tar.zst.age" "$CBKIT_BIN" verify "$WORK/s.tar.zst.age" --identity "$WORK/police.age.key" --pubkey "$WORK/k.pub"
  verify_rss_age=$RSS_MB
else
  echo "age not installed: the encrypted archive is not timed (apt-get install age)"
fi
timed "cbkit verify .tar.zst" "$CBKIT_BIN" verify "$WORK/s.tar.zst" --pubkey "$WORK/k.pub"
verify_s=$SECS verify_rss=$RSS_MB
mkdir "$WORK/x" && bsdtar -xf "$WORK/s.tar.zst" -C "$WORK/x"
bag=$(echo "$WORK"/x/*)
timed "sha256sum -c (extracted bag)" sh -c "cd '$bag' && sha256sum --quiet -c manifest-sha256.txt"
sum_s=$SECS

echo
check "seal .tar.zst / tar --zstd -cf" "$(awk -v a="$seal_zst" -v b="$tar_zst" 'BEGIN{printf "%.2f", a/b}')" "<=" "$MAX_RATIO"
check "pack .tar.gz / tar czf" "$(awk -v a="$seal_gz" -v b="$tar_gz" 'BEGIN{printf "%.2f", a/b}')" "<=" "$MAX_RATIO"
echo "info: verify .tar.zst / sha256sum -c = $(awk -v a="$verify_s" -v b="$sum_s" 'BEGIN{printf "%.2f", a/b}')" \
  "(verify also decompresses and computes SHA-512)"
if [[ -n ${seal_age:-} ]]; then
  check "pack .tar.zst.age / tar --zstd -cf - | age -r" "$(awk -v a="$seal_age" -v b="$tar_age" 'BEGIN{printf "%.2f", a/b}')" "<=" "$MAX_RATIO"
  check "peak RSS verify .age (MiB)" "$verify_rss_age" "<=" "$MAX_RSS_MB"
fi
check "peak RSS seal/pack (MiB)" "$seal_rss" "<=" "$MAX_RSS_MB"
check "peak RSS verify (MiB)" "$verify_rss" "<=" "$MAX_RSS_MB"
exit "$fail"
