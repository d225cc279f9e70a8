#!/usr/bin/env bash
# examples/demo.sh — the whole cbkit flow on a fictional cyberbullying case: init, the
# victim and the suspect (person), add-file and add-email attributed to the suspect,
# add-call, a WhatsApp export (add-chat), a requested action, a checklist decision, capture-url of a page the demo serves itself on 127.0.0.1 (examples/web/, by
# python3's http.server on a free port, stopped when the demo ends), notes, verify, log,
# show, the report in English, Dutch, French and German (and as JSON, and as PDF when
# Chromium is installed), the identification annex, export-wacz of the capture and the
# account id it found confirmed into the suspect (person --from-capture), a duplicate
# refused by --skip-existing (--jsonl), then keygen, seal (the signed BagIt archive for
# handover), verify of that archive with the public key and with an allowed-signers file,
# seal --if-changed, and the encrypted handover (keygen --age, pack --recipient-file,
# verify ARCHIVE.age --identity, decrypt).
#
# Usage: examples/demo.sh [OUTPUT-DIR]
#   OUTPUT-DIR  where the case (OUTPUT-DIR/case), the generated screenshot
#               (OUTPUT-DIR/inputs/), the reports, the examiner's key pair
#               (OUTPUT-DIR/examiner.{key,pub,minisign.pub}) and the sealed archive
#               (OUTPUT-DIR/BE-2026-0042.tar.gz) go; must not hold a case already.
#               Default: a new temp dir (kept, so you can look at it afterwards).
# Environment:
#   CBKIT_BIN   cbkit binary (default: `cbkit` on PATH, else ../build/cbkit next to this
#               script)
#
# Every command is printed (prefixed with `$`) before it runs. The demo stops with the
# failing step's exit status as soon as a step fails.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INPUTS=$HERE/inputs

if [[ -z ${CBKIT_BIN:-} ]]; then
  if command -v cbkit >/dev/null 2>&1; then
    CBKIT_BIN=$(command -v cbkit)
  else
    CBKIT_BIN=$HERE/../build/cbkit
  fi
fi
if [[ ! -x $CBKIT_BIN ]]; then
  echo "demo.sh: error: $CBKIT_BIN: no cbkit binary here; build it (cmake -S . -B build && cmake --build build) or set CBKIT_BIN" >&2
  exit 2
fi
CBKIT_BIN=$(cd "$(dirname "$CBKIT_BIN")" && pwd)/$(basename "$CBKIT_BIN")

OUT=${1:-$(mktemp -d "${TMPDIR:-/tmp}/demo-cbkit.XXXXXX")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CASE=$OUT/case
if [[ -e $CASE ]]; then
  echo "demo.sh: error: $CASE already exists; pass an empty or new output folder" >&2
  exit 2
fi
if [[ -e $OUT/examiner.key || -e $OUT/examiner.pub || -e $OUT/BE-2026-0042.tar.gz ]]; then
  echo "demo.sh: error: $OUT already holds a key pair or an archive of the demo; pass an empty or new output folder" >&2
  exit 2
fi
for f in chat-export.txt whatsapp-3b-klas/_chat.txt profile-notes.md threat.eml ../web/x_hater_2026.html; do
  [[ -f $INPUTS/$f ]] || { echo "demo.sh: error: $INPUTS/$f missing" >&2; exit 2; }
done
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3 || true)
LAST=$(mktemp "${TMPDIR:-/tmp}/demo-cbkit-out.XXXXXX")
SERVER_PID=""
SERVER_LOG=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$LAST" ${SERVER_LOG:+"$SERVER_LOG"}
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server DIR: serve DIR on 127.0.0.1, on a port the system picks (python3's
# http.server, port 0); sets WEB to its base URL. stop_server stops it after the capture,
# and cleanup when the demo ends early.
start_server() {
  SERVER_LOG=$(mktemp "${TMPDIR:-/tmp}/demo-cbkit-server.XXXXXX")
  "$PY" -u -m http.server 0 --bind 127.0.0.1 --directory "$1" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  local i port=""
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's/^Serving HTTP on .* port \([0-9][0-9]*\).*/\1/p' "$SERVER_LOG" | head -n1)
    [[ -n $port ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    echo "demo.sh: error: the demo's web server did not start: $(cat "$SERVER_LOG")" >&2
    exit 1
  fi
  WEB="http://127.0.0.1:$port"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# cmdline ARG...: a command line, shell-quoted only where needed (into CMDLINE)
cmdline() {
  local a
  CMDLINE='$'
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@+,%-]+$ ]]; then
      CMDLINE+=" $a"
    elif [[ $a != *[\'\$\`\"\\!]* ]]; then
      CMDLINE+=" '$a'"
    elif [[ $a != *[\$\`\"\\!]* ]]; then
      CMDLINE+=" \"$a\""
    else
      CMDLINE+=" '${a//\'/\'\\\'\'}'"
    fi
  done
}
show() { cmdline "$@"; printf '\n%s\n' "$CMDLINE"; }

# run ARG...: print the command, run it, print its output; stop the demo if it fails
run() {
  show "$@"
  local rc=0
  "$@" >"$LAST" || rc=$?
  cat "$LAST"
  if ((rc != 0)); then
    echo "demo.sh: step failed with exit status $rc: ${CMDLINE#\$ }" >&2
    exit "$rc"
  fi
}

# run_stdin TEXT ARG...: same, with TEXT on the command's stdin (shown as a here-document)
run_stdin() {
  local text=$1; shift
  cmdline "$@"
  printf "\n%s <<'EOF'\n%s\nEOF\n" "$CMDLINE" "$text"
  local rc=0
  "$@" >"$LAST" <<<"$text" || rc=$?
  cat "$LAST"
  if ((rc != 0)); then
    echo "demo.sh: step failed with exit status $rc: ${CMDLINE#\$ }" >&2
    exit "$rc"
  fi
}

# receipt: the head hash printed by the last command ("head <hash> seq <n>")
receipt() {
  local h
  h=$(awk '$1 == "head" && $3 == "seq" {h = $2} END {print h}' "$LAST")
  if [[ -z $h ]]; then
    echo "demo.sh: error: the last command printed no 'head <hash> seq <n>' receipt" >&2
    exit 1
  fi
  echo "$h"
}

echo "cbkit demo: fictional cyberbullying case BE-2026-0042"
echo "binary: $CBKIT_BIN"
echo "output: $OUT"

# --- inputs: the binary screenshot is generated here, not committed ------------------
mkdir -p "$OUT/inputs"
SHOT=$OUT/inputs/screenshot-x_hater_2026.png
if [[ -n $PY ]]; then
  "$PY" "$HERE/make-screenshot.py" "$SHOT"
else
  # no Python: a 1x1 PNG (still a valid image file)
  printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mN48/QuAAVvAq8o2LZ1AAAAAElFTkSuQmCC' \
    | base64 -d >"$SHOT"
fi
echo "generated $SHOT ($(wc -c <"$SHOT") bytes)"

# --- 1. open the case ------------------------------------------------------------------
run "$CBKIT_BIN" init "$CASE" --case-id BE-2026-0042 --examiner "A. Peeters" \
  --org "Police zone X" --title "Cyberbullying of a pupil of class 3B (demo)" \
  --timezone Europe/Brussels
RECEIPT_INIT=$(receipt)

# --- 1b. who is who: the victim and the suspect. The report's points on the suspect take
# identifiers only from the suspect and from evidence attributed to them (--from-person).
run "$CBKIT_BIN" --case "$CASE" person --role victim --name "Emma (pupil, 3B)" --phone "0470 12 34 56" \
  --email emma.3b@school.example.be
VICTIM=$(awk '/^person / {print $2}' "$LAST")
run "$CBKIT_BIN" --case "$CASE" person --role suspect --handle @x_hater_2026 \
  --account instagram:1784100000042:https://instagram.com/x_hater_2026
SUSPECT=$(awk '/^person / {print $2}' "$LAST")

# --- 2. the screenshot and the chat export, one entry, with the context of the observation
run "$CBKIT_BIN" --case "$CASE" add-file "$SHOT" "$INPUTS/chat-export.txt" \
  --kind screenshot \
  --note "Instagram post by @x_hater_2026 showing the class chat with the victim's name circled; WhatsApp export of group '3B Klas 2026' with the messages of +44 7700 900461 and +44 7700 900587" \
  --source-url https://instagram.com/x_hater_2026 \
  --observed-at "2026-11-20 21:14" \
  --platform instagram \
  --account-id 1784100000042 \
  --from-person "$SUSPECT"

# --- 3. the notes about the profile --------------------------------------------------
run "$CBKIT_BIN" --case "$CASE" add-file "$INPUTS/profile-notes.md"

# --- 3b. the threatening e-mail, with its full headers -----------------------------
run "$CBKIT_BIN" --case "$CASE" add-email "$INPUTS/threat.eml" --from-person "$SUSPECT" \
  --note "Forwarded by the victim as an attachment; saved from her school mailbox"
EMAIL_SEQ=$(awk '/^head / {seq = $4} END {print seq}' "$LAST")
# The victim forwards the same message again a day later: --skip-existing keeps one copy, and
# --jsonl gives a script one line per entry (here: the duplicate) and a summary.
run "$CBKIT_BIN" --case "$CASE" add-email "$INPUTS/threat.eml" --skip-existing --jsonl

# --- 3c. the account's public page, captured as it is served: a stand-in for
# https://instagram.com/x_hater_2026, served by the demo itself on 127.0.0.1 (examples/web/).
# The entry holds the WARC with the request and response as sent and received.
if [[ -n $PY ]]; then
  start_server "$HERE/web"
  echo
  echo "(the demo serves examples/web/ at $WEB)"
  run "$CBKIT_BIN" --case "$CASE" capture-url "$WEB/x_hater_2026.html" \
    --note "Public profile page of @x_hater_2026 (demo stand-in served on 127.0.0.1)"
  WEB_SEQ=$(awk '/^head / {seq = $4} END {print seq}' "$LAST")
  stop_server
  # The same capture as a WACZ for ReplayWeb.page: a copy for replay, its WARC the case's
  # file byte for byte (datapackage.json carries the manifest's SHA-256).
  run "$CBKIT_BIN" --case "$CASE" export-wacz "$WEB_SEQ" --out "$OUT/captures.wacz" --force
  # cbkit read who the page is about from the stored response (rule, WARC record, offset):
  # the counsellor confirms that account id into the suspect's record.
  run "$CBKIT_BIN" --case "$CASE" person --id "$SUSPECT" --from-capture "$WEB_SEQ"
else
  echo
  echo "(python3 not found: skipping capture-url, which needs the demo's local web server)"
  WEB_SEQ=""
fi

# --- 3d. a call from a withheld number, and what the suspect asked the victim to do -----
run "$CBKIT_BIN" --case "$CASE" add-call --at "2026-11-21 22:03" --direction incoming --from withheld \
  --to "0470 12 34 56" --duration 40s --about-person "$VICTIM" --note "silence, then laughter; no recording"
run "$CBKIT_BIN" --case "$CASE" note "He wrote that she must send him a photo of her timetable" \
  --kind requested-action --observed-at "2026-11-19 20:00" --about-person "$VICTIM"
run "$CBKIT_BIN" --case "$CASE" checklist --na 14 --because "the victim did not record the call"

# --- 3e. the group chat exported from the victim's phone (WhatsApp iOS "Export chat" with
# media: a zip of _chat.txt and the photo; the demo builds it from examples/inputs/whatsapp-3b-klas/
# and uses the generated screenshot as the photo). One chat entry: the zip, its members and
# messages.json; WhatsApp writes no time zone, so the times are read in the case's zone.
if [[ -n $PY ]]; then
  CHAT_ZIP="$OUT/inputs/WhatsApp Chat - 3B Klas 2026.zip"
  "$PY" - "$CHAT_ZIP" "$INPUTS/whatsapp-3b-klas/_chat.txt" "$SHOT" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[2], "_chat.txt")
    z.write(sys.argv[3], "00000009-PHOTO-2026-11-20-20-59-12.png")
PYEOF
else
  CHAT_ZIP="$INPUTS/whatsapp-3b-klas/_chat.txt"
fi
run "$CBKIT_BIN" --case "$CASE" add-chat "$CHAT_ZIP" --self "Emma Janssens" --from-person "$VICTIM" --about-person "$SUSPECT" \
  --note "Exported from the victim's phone in front of the officer"
CHAT_SEQ=$(awk '/^head / {seq = $4} END {print seq}' "$LAST")

# --- 4. what was done, as notes ------------------------------------------------------
run "$CBKIT_BIN" --case "$CASE" note "Called 101, report number 123/2026"
run_stdin "2026-11-21 09:30 +01:00: met the victim and her mother at the police station.
The victim's phone was shown; the chat in the export matches what is on the phone.
Advised: do not reply, do not delete, keep collecting; school informed (Mr. Claes)." \
  "$CBKIT_BIN" --case "$CASE" note -
RECEIPT_LAST=$(receipt)

# --- 5. check and read the case --------------------------------------------------------
run "$CBKIT_BIN" --case "$CASE" verify
run "$CBKIT_BIN" --case "$CASE" log
run "$CBKIT_BIN" --case "$CASE" show 1
run "$CBKIT_BIN" --case "$CASE" show "$EMAIL_SEQ"
run "$CBKIT_BIN" --case "$CASE" show "$CHAT_SEQ"
if [[ -n $WEB_SEQ ]]; then
  run "$CBKIT_BIN" --case "$CASE" show "$WEB_SEQ"
fi

# --- 6. the receipts: the log still holds the heads printed at init and at the last note
run "$CBKIT_BIN" --case "$CASE" verify --expect-head "$RECEIPT_INIT"
run "$CBKIT_BIN" --case "$CASE" verify --expect-head "$RECEIPT_LAST"

# --- 7. the report for the police, in each language (HTML, Markdown, text) --------------
for lang in en nl fr; do
  for fmt in html md txt; do
    run "$CBKIT_BIN" --case "$CASE" report --lang "$lang" --out "$OUT/report.$lang.$fmt"
  done
done
run "$CBKIT_BIN" --case "$CASE" report --lang de --out "$OUT/report.de.html"
# The identification annex: per suspect identifier, every incident with its exact time,
# zone and exhibit, and what cannot be known (for the operator or the Ombudsman).
run "$CBKIT_BIN" --case "$CASE" report --template identification --lang nl --out "$OUT/identification.nl.html"
# The report printed to PDF by headless Chromium, when it is installed.
if command -v chromium >/dev/null 2>&1; then
  run "$CBKIT_BIN" --case "$CASE" report --lang nl --format pdf --out "$OUT/report.nl.pdf"
else
  echo
  echo "(chromium not found: skipping report --format pdf)"
fi
run "$CBKIT_BIN" --case "$CASE" report --lang nl --format json --out "$OUT/report.nl.json"
run "$CBKIT_BIN" --case "$CASE" report --lang nl --record

# --- 8. handover: the examiner's key pair, the seal and the signed archive, checked -------
run "$CBKIT_BIN" keygen --out "$OUT/examiner"
run "$CBKIT_BIN" --case "$CASE" seal --key "$OUT/examiner.key" --out "$OUT/BE-2026-0042.tar.gz"
RECEIPT_SEAL=$(receipt)
# Whoever receives the archive checks it, without the case, against the examiner's public
# key and the receipt printed by seal.
run "$CBKIT_BIN" verify "$OUT/BE-2026-0042.tar.gz" --pubkey "$OUT/examiner.pub" --expect-head "$RECEIPT_SEAL"
# Sealing again with nothing new makes no second seal.
run "$CBKIT_BIN" --case "$CASE" seal --key "$OUT/examiner.key" --out "$OUT/again.tar.gz" --if-changed
# Keys change over time: an allowed-signers file names each examiner's key and when it was
# valid; every seal must be signed by a listed key within its window.
printf 'A.Peeters examiner.pub valid-after=2026-01-01T00:00:00Z\n' >"$OUT/allowed_signers"
run "$CBKIT_BIN" verify "$OUT/BE-2026-0042.tar.gz" --allowed-signers "$OUT/allowed_signers"

# --- 9. encrypted handover (age): the archive readable only by the police's key -----------
run "$CBKIT_BIN" keygen --age --out "$OUT/police"
run "$CBKIT_BIN" --case "$CASE" pack --key "$OUT/examiner.key" --out "$OUT/BE-2026-0042.tar.gz.age" \
  --recipient-file "$OUT/police.age.pub"
run "$CBKIT_BIN" verify "$OUT/BE-2026-0042.tar.gz.age" --identity "$OUT/police.age.key" --pubkey "$OUT/examiner.pub"
run "$CBKIT_BIN" decrypt "$OUT/BE-2026-0042.tar.gz.age" --identity "$OUT/police.age.key" --out "$OUT/decrypted.tar.gz"

echo
echo "demo finished: case in $CASE"
echo "reports: $OUT/report.{en,nl,fr}.{html,md,txt}, $OUT/report.de.html, the identification annex $OUT/identification.nl.html"
if [[ -n $WEB_SEQ ]]; then echo "web capture for replay: $OUT/captures.wacz (open it in https://replayweb.page)"; fi
echo "sealed archive: $OUT/BE-2026-0042.tar.gz (receipt beside it), public key $OUT/examiner.pub"
echo "encrypted for the police: $OUT/BE-2026-0042.tar.gz.age (their key: $OUT/police.age.key)"
