#!/usr/bin/env bash
# examples/make-sample-case.sh — builds the complete sample case of the demo from the
# example inputs (examples/inputs/, the screenshot drawn by make-screenshot.py), so the
# sample stays current with cbkit; then writes its report in every language and format.
#
# Usage: examples/make-sample-case.sh OUTPUT-DIR
#   OUTPUT-DIR/case           the case (must not exist yet)
#   OUTPUT-DIR/inputs/        the generated screenshot
#   OUTPUT-DIR/report.LANG.EXT  report.{en,nl,fr}.{html,md,txt}
# Environment: CBKIT_BIN (default: cbkit on PATH, else ../build/cbkit next to this script).
# Quiet on success except for the list of files written; stops at the first failing step.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INPUTS=$HERE/inputs
if [[ -z ${CBKIT_BIN:-} ]]; then
  if command -v cbkit >/dev/null 2>&1; then CBKIT_BIN=$(command -v cbkit); else CBKIT_BIN=$HERE/../build/cbkit; fi
fi
[[ -x $CBKIT_BIN ]] || { echo "make-sample-case.sh: error: $CBKIT_BIN: no cbkit binary; build it or set CBKIT_BIN" >&2; exit 2; }
[[ $# == 1 ]] || { echo "usage: make-sample-case.sh OUTPUT-DIR" >&2; exit 2; }
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CASE=$OUT/case
[[ ! -e $CASE ]] || { echo "make-sample-case.sh: error: $CASE already exists" >&2; exit 2; }

cb() { "$CBKIT_BIN" --case "$CASE" "$@" >/dev/null; }

mkdir -p "$OUT/inputs"
SHOT=$OUT/inputs/screenshot-x_hater_2026.png
PY=$(command -v python3 || true)
if [[ -n $PY ]]; then
  "$PY" "$HERE/make-screenshot.py" "$SHOT" >/dev/null
else
  printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mN48/QuAAVvAq8o2LZ1AAAAAElFTkSuQmCC' | base64 -d >"$SHOT"
fi

"$CBKIT_BIN" init "$CASE" --case-id BE-2026-0042 --examiner "A. Peeters" --org "Police zone X" \
  --title "Cyberbullying of a pupil of class 3B (demo)" --timezone Europe/Brussels >/dev/null
cb add-file "$SHOT" "$INPUTS/chat-export.txt" --kind screenshot \
  --note "Instagram post by @x_hater_2026 showing the class chat with the victim's name circled; WhatsApp export of group '3B Klas 2026' with the messages of +44 7700 900461 and +44 7700 900587" \
  --source-url https://instagram.com/x_hater_2026 --observed-at 2026-11-20T21:14:00+01:00 \
  --platform instagram --account-id 1784100000042
cb add-file "$INPUTS/profile-notes.md" --kind profile-notes --source-url https://instagram.com/x_hater_2026 \
  --platform instagram --account-id 1784100000042
cb add-email "$INPUTS/threat.eml" --note "Forwarded by the victim as an attachment; saved from her school mailbox"
cb note "Called 101, report number 123/2026" --kind phone-call --observed-at 2026-11-21T09:05:00+01:00
cb note - <<'NOTE'
2026-11-21 09:30 +01:00: met the victim and her mother at the police station.
The victim's phone was shown; the chat in the export matches what is on the phone.
Advised: do not reply, do not delete, keep collecting; school informed (Mr. Claes).
NOTE
"$CBKIT_BIN" --case "$CASE" verify >/dev/null

for lang in en nl fr; do
  for fmt in html md txt; do
    "$CBKIT_BIN" --case "$CASE" report --lang "$lang" --format "$fmt" --out "$OUT/report.$lang.$fmt" >/dev/null
    echo "$OUT/report.$lang.$fmt"
  done
done
