# bench/lib.sh -- shared by the bench scripts (sourced after they define die()).

# bench_setup NAME -- makes WORK (a temp dir bench-NAME.* under $TMPBASE, removed on exit,
# with every path listed in BENCH_EXTRA_DIRS) and replaces CBKIT_BIN by a snapshot copy
# inside it, so that a rebuild during the run cannot swap the binary under the bench.
BENCH_EXTRA_DIRS=()
bench_cleanup() {
  # evidence is stored read-only (0444 files, 0555 folders): make it writable to remove it
  chmod -R u+w "$WORK" "${BENCH_EXTRA_DIRS[@]}" 2>/dev/null || true
  rm -rf "$WORK" "${BENCH_EXTRA_DIRS[@]}"
}
bench_setup() {
  WORK=$(mktemp -d "$TMPBASE/bench-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  ORIG_BIN=$CBKIT_BIN
  CBKIT_BIN=$WORK/cbkit
  cp "$ORIG_BIN" "$CBKIT_BIN"
  "$CBKIT_BIN" --version >/dev/null 2>&1 || die "$ORIG_BIN --version failed (being rebuilt?)"
}
