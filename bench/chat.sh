#!/usr/bin/env bash
# bench/chat.sh — `cbkit add-chat` on a WhatsApp Android export vs the npm package
# whatsapp-chat-parser (Node) parsing the same file (issue 13: target cbkit ≥ 5× faster).
#
# Usage: bench/chat.sh [MESSAGES]
#   MESSAGES       how many messages the generated export holds (default: $BENCH_MESSAGES,
#                  else 200000)
# Environment:
#   CBKIT_BIN        cbkit binary (default: build/cbkit of this checkout, as scripts/demo.sh builds it)
#   CBKIT_NODE_DIR   folder whose node_modules holds whatsapp-chat-parser (default: tests/node,
#                    installed by `bash scripts/deps.sh test`)
#   BENCH_TMPDIR     where the temp dir is made (default $TMPDIR or /tmp)
#   BENCH_RUNS       interleaved rounds, the median counts (default 3)
#   BENCH_MIN_RATIO  parser time / cbkit time target (default 5)
#   BENCH_TMPFS      1 (default): the cases on /dev/shm when it has room (no disk flushes);
#                    0: in the temp dir
#
# Exit status: 0 target met, 1 target missed, 2 usage error,
#              3 a command failed (cbkit exit status != 0, missing tool, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CBKIT_BIN=${CBKIT_BIN:-$ROOT/build/cbkit}
N=${1:-${BENCH_MESSAGES:-200000}}
RUNS=${BENCH_RUNS:-3}
MIN_RATIO=${BENCH_MIN_RATIO:-5}
NODE_DIR=${CBKIT_NODE_DIR:-$ROOT/tests/node}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
TIME_BIN=/usr/bin/time
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

die() { echo "chat.sh: error: $*" >&2; exit "${2:-3}"; }

[[ $N =~ ^[1-9][0-9]*$ ]] || die "MESSAGES '$N' is not a positive integer" 2
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS '$RUNS' is not a positive integer" 2
[[ -x $CBKIT_BIN ]] || die "$CBKIT_BIN: not an executable; build cbkit or set CBKIT_BIN"
[[ -x $TIME_BIN ]] || die "$TIME_BIN not found; install GNU time (apt-get install time)"
command -v "$PY" >/dev/null || die "python3 not found"
command -v node >/dev/null || die "node not found (bash scripts/deps.sh test installs it)"
PARSER=$NODE_DIR/node_modules/whatsapp-chat-parser/dist/index.cjs
[[ -f $PARSER ]] || die "no whatsapp-chat-parser in $NODE_DIR/node_modules (bash scripts/deps.sh test installs it)"
PARSER_VERSION=$(node -p "require('$NODE_DIR/node_modules/whatsapp-chat-parser/package.json').version")

source "$(dirname "$0")/lib.sh"
bench_setup chat

# The export: an Android WhatsApp .txt (24-hour clock, day first, no seconds), two people,
# one message every 1-30 minutes from 1 January 2025; one in 20 spans two lines, one in 50
# is "<Media omitted>", some carry accents and emoji. Deterministic (seeded).
EXPORT="$WORK/WhatsApp Chat with Sam.txt"
"$PY" - "$EXPORT" "$N" <<'PYEOF'
import datetime, random, sys
path, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(13)
words = ("you", "will", "regret", "this", "everybody", "knows", "what", "you", "did", "stop",
         "writing", "to", "me", "café", "demain", "ok", "why", "answer", "now", "😡", "never", "again")
t = datetime.datetime(2025, 1, 1, 8, 0)
with open(path, "w", encoding="utf-8", newline="\n") as f:
    for i in range(n):
        t += datetime.timedelta(minutes=rnd.randint(1, 30))
        who = "Sam" if rnd.random() < 0.6 else "Lotte"
        r = rnd.random()
        if r < 0.02:
            text = "<Media omitted>"
        else:
            text = " ".join(rnd.choice(words) for _ in range(rnd.randint(2, 14)))
            if r < 0.07:
                text += "\n" + " ".join(rnd.choice(words) for _ in range(rnd.randint(2, 8)))
        f.write(t.strftime("%d/%m/%Y, %H:%M") + " - " + who + ": " + text + "\n")
PYEOF
BYTES=$(stat -c %s "$EXPORT")
MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b / 1048576}')

CASES=$WORK
if [[ ${BENCH_TMPFS:-1} == 1 && -d /dev/shm && -w /dev/shm ]]; then
  free_kb=$(df -Pk /dev/shm | awk 'NR==2 {print $4}')
  # a case holds the export and messages.json (about 8× the export); one case at a time
  if ((free_kb > BYTES / 1024 * 10 + 65536)); then
    CASES=$(mktemp -d /dev/shm/bench-chat.XXXXXX)
    BENCH_EXTRA_DIRS+=("$CASES")
  fi
fi

echo "cbkit:    $ORIG_BIN ($("$CBKIT_BIN" --version 2>/dev/null || echo 'version unknown'), run from a copy)"
echo "parser:   whatsapp-chat-parser $PARSER_VERSION on node $(node --version) (parseString, daysFirst, parseAttachments)"
echo "export:   $N messages, $MB MiB, $EXPORT"
echo "cases:    $CASES ($(df -PT "$CASES" | awk 'NR==2 {print $1 ", " $2}'))"
echo "load:     $(uptime)"
echo

now_ns() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"000; }

# The parser: read the file, parse every message (author, date, text, attachment), print the
# count. It keeps nothing; cbkit also copies, hashes and fsyncs the export and writes
# messages.json and the manifest line.
NODE_PROG='
const fs = require("fs");
const { parseString } = require(process.argv[1]);
const text = fs.readFileSync(process.argv[2], "utf8");
const messages = parseString(text, { daysFirst: true, parseAttachments: true });
console.log(messages.length);
'

# run_timed NAME CMD... -> appends to TIMES[NAME] and RSSES[NAME] (KiB)
declare -A TIMES RSSES
run_timed() {
  local name=$1; shift
  local tv=$WORK/time-v.txt t0 t1 rc=0 secs rss
  t0=$(now_ns)
  "$TIME_BIN" -v -o "$tv" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  t1=$(now_ns)
  if ((rc != 0)); then
    echo "chat.sh: error: '$*' exited with status $rc" >&2
    tail -n 20 "$WORK/err.txt" | sed 's/^/  | /' >&2
    exit 3
  fi
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
  TIMES[$name]+="$secs "
  RSSES[$name]+="$rss "
  printf '  %-26s %9.3f s  %8d KiB max RSS\n' "$name" "$secs" "$rss"
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

P="whatsapp-chat-parser"
K="cbkit add-chat"
for ((r = 1; r <= RUNS; r++)); do
  echo "round $r/$RUNS"
  cat "$EXPORT" >/dev/null # hot page cache for both
  run_timed "$P" node -e "$NODE_PROG" "$PARSER" "$EXPORT"
  [[ $(cat "$WORK/out.txt") == "$N" ]] || die "whatsapp-chat-parser parsed $(cat "$WORK/out.txt") messages, expected $N"
  CASE=$CASES/case
  "$CBKIT_BIN" init "$CASE" --case-id BENCH-CHAT --examiner bench --timezone Europe/Brussels >/dev/null ||
    die "cbkit init $CASE failed"
  cat "$EXPORT" >/dev/null
  run_timed "$K" "$CBKIT_BIN" --case "$CASE" --json add-chat "$EXPORT"
  got=$(jq -r '.chat.message_count' "$WORK/out.txt")
  [[ $got == "$N" ]] || die "cbkit add-chat read $got messages, expected $N"
  chmod -R u+w "$CASE"
  rm -rf "$CASE"
done
echo "load:     $(uptime)"
echo

P_T=$(median "${TIMES[$P]}")
K_T=$(median "${TIMES[$K]}")
P_RSS=$(median "${RSSES[$P]}")
K_RSS=$(median "${RSSES[$K]}")
RATIO=$(awk -v p="$P_T" -v c="$K_T" 'BEGIN {printf "%.2f", p / c}')
if awk -v r="$RATIO" -v m="$MIN_RATIO" 'BEGIN {exit !(r >= m)}'; then V=PASS; else V=FAIL; fi
rate() { awk -v n="$N" -v s="$1" 'BEGIN {printf "%.0f", n / s}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
printf '%-26s %10s %12s %12s\n' "contender (median of $RUNS)" "seconds" "msg/s" "peak RSS MiB"
printf '%-26s %10s %12s %12s\n' "$P" "$P_T" "$(rate "$P_T")" "$(mib "$P_RSS")"
printf '%-26s %10s %12s %12s\n' "$K" "$K_T" "$(rate "$K_T")" "$(mib "$K_RSS")"
echo
echo "ratio (parser time / cbkit time): ${RATIO}x, target >= ${MIN_RATIO}x: $V"
echo "note: the parser only parses in memory; cbkit also copies and hashes the export, writes"
echo "      messages.json (sender, local and UTC time, text, defects) and one fsynced manifest line."
[[ $V == PASS ]] || { echo "RESULT: FAIL"; exit 1; }
echo "RESULT: PASS"
