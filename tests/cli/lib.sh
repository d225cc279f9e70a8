# lib.sh -- helpers for the cbkit black-box CLI tests (mold/ccache style).
#
# Each test script sources this file, defines one function per behaviour
# (`test_<name>() { ... }`) and ends with `run_tests "$@"`:
#
#   bash tests/cli/add_file.sh single      # run one test
#   bash tests/cli/add_file.sh             # run every test of the script
#
# The binary comes from $CBKIT_BIN; the manifest JSON Schema from $CBKIT_SCHEMA.
# Every test runs in its own temporary folder ($T, also the working directory),
# removed on success and kept (path printed) on failure. Exit 77 = skipped.

set -o errexit -o nounset -o pipefail -o errtrace

: "${CBKIT_BIN:?set CBKIT_BIN to the cbkit binary (e.g. build/cbkit)}"
if [[ ! -x $CBKIT_BIN ]]; then
    echo "FAIL: CBKIT_BIN=$CBKIT_BIN is not an executable file" >&2
    exit 1
fi
CBKIT_BIN=$(realpath "$CBKIT_BIN")
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_SCRIPT=$(basename "${BASH_SOURCE[1]}" .sh)
TEST_NAME=$TEST_SCRIPT
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
MTOOL="$TESTS_DIR/mtool.py"
NOBODY=65534
EXAMINER="A. Peeters"
CASE_ID="TEST-0001"
ZERO64=0000000000000000000000000000000000000000000000000000000000000000

# The tests choose the case explicitly; nothing may leak in from the caller.
unset CBKIT_CASE CBKIT_EXAMINER

T=""
OUT=""
ERR=""
LAST_RC=0
_EXIT_HOOKS=()

# ---------------------------------------------------------------- basics

fail() {
    echo "FAIL: $TEST_NAME: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $TEST_NAME: $*" >&2
    exit 77
}

# at_exit CMD -- run CMD (eval'd) when the test ends, last registered first.
at_exit() {
    _EXIT_HOOKS+=("$*")
}

# start_server_on_port NAME PORT_FILE COMMAND... -- start a test server in the background
# (stopped when the test ends) and wait up to 10 s for it to write its port to PORT_FILE;
# sets PORT and BASE (http://127.0.0.1:PORT). The server's stderr goes to $T/server.err.
start_server_on_port() {
    local name=$1 port_file=$2
    shift 2
    "$@" 2>"$T/server.err" &
    local pid=$!
    at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s $port_file ]] && break
        sleep 0.1
    done
    [[ -s $port_file ]] || fail "the $name did not start: $(cat "$T/server.err")"
    PORT=$(cat "$port_file")
    BASE="http://127.0.0.1:$PORT"
}

# small_disk DIR SIZE -- mount a tmpfs of SIZE (e.g. 2m) on DIR, unmounted when the test
# ends; skips the test where mounting is not permitted (needs root or CAP_SYS_ADMIN).
small_disk() {
    mkdir -p "$1"
    mount -t tmpfs -o size="$2" tmpfs "$1" 2>"$T/mount.err" ||
        skip "cannot mount a tmpfs ($(cat "$T/mount.err")); a disk-full test needs root or CAP_SYS_ADMIN"
    at_exit "umount '$1'"
}

_finish() {
    local rc=$?
    set +o errexit
    trap - ERR
    local i
    for ((i = ${#_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
        eval "${_EXIT_HOOKS[i]}"
    done
    if [[ -n $T ]]; then
        cd /
        if [[ $rc == 0 || $rc == 77 ]]; then
            chmod -R u+rwX "$T" 2>/dev/null
            rm -rf "$T"
        else
            echo "FAIL: $TEST_NAME (exit $rc); test folder kept: $T" >&2
        fi
    fi
    [[ $rc == 0 ]] && echo "PASS: $TEST_NAME"
    exit "$rc"
}

_on_err() {
    echo "FAIL: $TEST_NAME: unexpected failure (exit $1) at ${BASH_SOURCE[1]:-?}:$2: $3" >&2
}

# run_tests [NAME] -- run test_NAME in a fresh folder, or every test_* (each in
# its own bash process) when no NAME is given.
run_tests() {
    if [[ $# == 0 ]]; then
        local t rc=0 failed=()
        for t in $(declare -F | awk '$3 ~ /^test_/ {print substr($3, 6)}'); do
            bash "${BASH_SOURCE[1]}" "$t" || { [[ $? == 77 ]] || failed+=("$t"); }
        done
        if ((${#failed[@]})); then
            echo "FAILED in $TEST_SCRIPT: ${failed[*]}" >&2
            return 1
        fi
        return 0
    fi
    local name=$1
    shift
    declare -F "test_$name" >/dev/null || fail "no test named '$name' in $TEST_SCRIPT.sh"
    TEST_NAME="$TEST_SCRIPT/$name"
    T=$(mktemp -d "${TMPDIR:-/tmp}/cbkit-$TEST_SCRIPT-$name-XXXXXX")
    T=$(realpath "$T")
    OUT="$T/stdout"
    ERR="$T/stderr"
    trap _finish EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
    trap '_on_err $? $LINENO "$BASH_COMMAND"' ERR
    cd "$T"
    "test_$name" "$@"
}

# ---------------------------------------------------------------- running cbkit

# cbkit ARGS... -- the binary under test, with a safety timeout (exit 124).
cbkit() {
    timeout -k 5 "${CBKIT_CMD_TIMEOUT:-60}" "$CBKIT_BIN" "$@"
}

# expect_exit CODE CMD... -- run CMD with stdout -> $OUT, stderr -> $ERR (stdin is
# the caller's), and fail unless it exits with CODE. Sets LAST_RC.
expect_exit() {
    local want=$1
    shift
    local rc=0
    "$@" >"$OUT" 2>"$ERR" || rc=$?
    LAST_RC=$rc
    if [[ $rc != "$want" ]]; then
        {
            echo "FAIL: $TEST_NAME: expected exit $want, got $rc$([[ $rc == 124 ]] && echo ' (TIMED OUT)')"
            echo "  command: $(printf '%q ' "$@")"
            show_outputs
        } >&2
        exit 1
    fi
}

# run_rc CMD... -- like expect_exit but accepts any code; it is in $LAST_RC.
run_rc() {
    local rc=0
    "$@" >"$OUT" 2>"$ERR" || rc=$?
    LAST_RC=$rc
}

show_outputs() {
    echo "  --- stdout ($OUT) ---"
    head -c 6000 "$OUT" 2>/dev/null | sed 's/^/  | /' || true
    echo "  --- stderr ($ERR) ---"
    head -c 6000 "$ERR" 2>/dev/null | sed 's/^/  | /' || true
    echo "  ---"
}

_fail_with_outputs() {
    {
        echo "FAIL: $TEST_NAME: $*"
        show_outputs
    } >&2
    exit 1
}

expect_stdout_contains() {
    grep -qF -- "$1" "$OUT" || _fail_with_outputs "stdout does not contain '$1'"
}

expect_stderr_contains() {
    grep -qF -- "$1" "$ERR" || _fail_with_outputs "stderr does not contain '$1'"
}

expect_stdout_matches() {
    grep -qE -- "$1" "$OUT" || _fail_with_outputs "no stdout line matches /$1/"
}

expect_stderr_matches() {
    grep -qE -- "$1" "$ERR" || _fail_with_outputs "no stderr line matches /$1/"
}

expect_stdout_empty() {
    [[ ! -s $OUT ]] || _fail_with_outputs "stdout should be empty"
}

expect_stderr_empty() {
    [[ ! -s $ERR ]] || _fail_with_outputs "stderr should be empty"
}

# nlines FILE -- number of lines, counting a last line without LF.
nlines() {
    awk 'END { print NR }' "$1"
}

# expect_error_line NEEDLE... -- stderr is exactly ONE line
# "cbkit: error: ..." that contains every NEEDLE (the input it names).
expect_error_line() {
    local n
    n=$(nlines "$ERR")
    [[ $n == 1 ]] || _fail_with_outputs "stderr should be exactly one error line, got $n lines"
    grep -q '^cbkit: error: ' "$ERR" || _fail_with_outputs "stderr does not start with 'cbkit: error: '"
    local needle
    for needle in "$@"; do
        grep -qF -- "$needle" "$ERR" || _fail_with_outputs "the error line does not name '$needle'"
    done
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
    [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

# expect_jq_file FILE FILTER... -- every FILTER must be true on the JSON in FILE
# (one jq process for all of them; the failing filters are listed).
expect_jq_file() {
    local file=$1
    shift
    local prog="" f
    for f in "$@"; do
        prog+="${prog:+, }([$f] | length > 0 and all)"
    done
    local res
    res=$(jq -c "[$prog]" "$file" 2>&1) || res="jq error: $res"
    if [[ $res != "[$(printf 'true,%.0s' "$@" | sed 's/,$//')]" ]]; then
        {
            echo "FAIL: $TEST_NAME: JSON check failed on $file"
            if [[ $res == "jq error"* ]]; then
                echo "  $res"
                printf '  filter: %s\n' "$@"
            else
                local i=0
                for f in "$@"; do
                    [[ $(jq -c ".[$i]" <<<"$res") == true ]] || echo "  false: $f"
                    i=$((i + 1))
                done
            fi
            echo "  --- $file ---"
            head -c 6000 "$file" | sed 's/^/  | /' || true
            echo "  --- stderr ($ERR) ---"
            head -c 3000 "$ERR" 2>/dev/null | sed 's/^/  | /' || true
        } >&2
        exit 1
    fi
}

# expect_jq FILTER... -- every FILTER must be true on stdout ($OUT).
expect_jq() {
    expect_jq_file "$OUT" "$@"
}

# jout FILTER -- jq -r FILTER on $OUT
jout() {
    jq -r "$1" "$OUT"
}

# The envelope's keys, in order: every --json document starts with them (cbkit-json(5)).
JSON_ENVELOPE_KEYS='["format_version","ok","command","case","case_id","appended","head","seq","warnings","refused"]'

# json_keys_are KEY... -- jq filter: the document's keys are the envelope's and KEY...
# (the command's own fields), no more, no fewer.
json_keys_are() {
    local own
    own=$(printf '"%s",' "$@")
    printf 'keys_unsorted | sort == ((%s + [%s]) | unique)' "$JSON_ENVELOPE_KEYS" "${own%,}"
}

# expect_json_error CODE EXIT -- a failure with --json: stdout is exactly one JSON document,
# the error envelope (ok false, error.code CODE, error.exit EXIT), that appended nothing.
expect_json_error() {
    expect_one_json_doc
    expect_jq '.ok == false' ".error.code == \"$1\"" ".error.exit == $2" '.appended == []' \
        '.format_version == "cbkit-json/1"' '.error.message | length > 0'
}

# expect_one_json_doc -- stdout is exactly one JSON document (an object).
expect_one_json_doc() {
    local n
    n=$(jq -s 'if length == 1 and (.[0] | type == "object") then "ok" else "\(length) documents: \(map(type))" end' "$OUT" 2>/dev/null) ||
        _fail_with_outputs "stdout is not JSON"
    [[ $n == '"ok"' ]] || _fail_with_outputs "stdout should hold one JSON object, got $n"
}

sha_of() {
    sha256sum <"$1" | cut -d' ' -f1
}

size_of() {
    stat -c %s "$1"
}

mode_of() {
    stat -c %a "$1"
}

# ---------------------------------------------------------------- cases and manifests

# new_case DIR [INIT ARGS...] -- init a case (examiner $EXAMINER, id $CASE_ID).
new_case() {
    expect_exit 0 cbkit init "$1" --examiner "$EXAMINER" --case-id "$CASE_ID" "${@:2}"
}

# add FILE... [OPTS] (in case $C) -- add-file that must succeed.
add() {
    expect_exit 0 cbkit --case "$C" add-file "$@"
}

# note TEXT [OPTS] (in case $C) -- note that must succeed.
note() {
    expect_exit 0 cbkit --case "$C" note "$@"
}

# mkfile PATH CONTENT -- write CONTENT (printf %s) to PATH, creating folders.
mkfile() {
    mkdir -p "$(dirname "$1")"
    printf '%s' "$2" >"$1"
}

# mkrandom PATH BYTES
mkrandom() {
    mkdir -p "$(dirname "$1")"
    head -c "$2" /dev/urandom >"$1"
}

manifest_lines() {
    nlines "$1/manifest.jsonl"
}

# line_at CASE N -- line N (0-based) without its LF.
line_at() {
    sed -n "$(($2 + 1))p" "$1/manifest.jsonl"
}

# line_hash CASE N -- sha256 of line N's bytes without LF (standard tools only).
line_hash() {
    sed -n "$(($2 + 1))p" "$1/manifest.jsonl" | head -c -1 | sha256sum | cut -d' ' -f1
}

# manifest_head CASE -- exactly the documented recipe.
manifest_head() {
    tail -n1 "$1/manifest.jsonl" | head -c -1 | sha256sum | cut -d' ' -f1
}

# jline CASE N FILTER -- jq -r FILTER on line N.
jline() {
    line_at "$1" "$2" | jq -r "$3"
}

# expect_line_jq CASE N FILTER... -- every FILTER must hold on line N.
expect_line_jq() {
    line_at "$1" "$2" >"$T/line.$2.json"
    expect_jq_file "$T/line.$2.json" "${@:3}"
}

# expect_receipt CASE [SEQ] -- the last stdout line is "head <64hex> seq <n>",
# head is the sha256 of the last manifest line and n its seq.
expect_receipt() {
    local last want_seq
    last=$(tail -n1 "$OUT")
    [[ $last =~ ^head\ ([0-9a-f]{64})\ seq\ ([0-9]+)$ ]] ||
        _fail_with_outputs "last stdout line is not 'head <64 hex> seq <n>': '$last'"
    expect_eq "${BASH_REMATCH[1]}" "$(manifest_head "$1")" "printed head vs sha256 of the last manifest line"
    want_seq=$(($(manifest_lines "$1") - 1))
    expect_eq "${BASH_REMATCH[2]}" "$want_seq" "printed seq vs number of manifest lines - 1"
    if [[ $# -ge 2 ]]; then
        expect_eq "${BASH_REMATCH[2]}" "$2" "printed seq"
    fi
    RECEIPT_HEAD=${BASH_REMATCH[1]}
}

# expect_json_receipt CASE [SEQ] -- same for --json output .head/.seq.
expect_json_receipt() {
    expect_one_json_doc
    expect_eq "$(jout .head)" "$(manifest_head "$1")" "JSON .head vs sha256 of the last manifest line"
    expect_eq "$(jout .seq)" "$(($(manifest_lines "$1") - 1))" "JSON .seq vs number of lines - 1"
    if [[ $# -ge 2 ]]; then
        expect_eq "$(jout .seq)" "$2" "JSON .seq"
    fi
}

# expect_chain CASE -- recompute seq/prev/LF of every line with python's hashlib
# and the head with sha256sum; both must agree.
expect_chain() {
    local res
    res=$("$PY" "$MTOOL" chain "$1/manifest.jsonl") || fail "hash chain of $1 does not hold"
    expect_eq "${res#* }" "$(manifest_head "$1")" "python head vs sha256sum head"
}

# ---------------------------------------------------------------- snapshots

# case_snapshot DIR -- one line per path below DIR (DIR included): type and mode,
# size for files, target for links, then the sha256 of every file. Covers the
# manifest.jsonl bytes. (Few processes, so it stays fast.)
case_snapshot() {
    (
        cd "$1"
        find . ! -type f -printf '%p %y %m %l\n' | LC_ALL=C sort
        find . -type f -printf '%p f %m %s\n' | LC_ALL=C sort
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum 2>&1 || true
    )
}

# snap_save DIR [TAG] / snap_check DIR [TAG] -- prove a command changed nothing.
snap_save() {
    case_snapshot "$1" >"$T/snap.${2:-0}.before"
}

snap_check() {
    case_snapshot "$1" >"$T/snap.${2:-0}.after"
    if ! diff -u "$T/snap.${2:-0}.before" "$T/snap.${2:-0}.after" >"$T/snap.diff"; then
        {
            echo "FAIL: $TEST_NAME: the command changed $1:"
            sed 's/^/  /' "$T/snap.diff"
            show_outputs
        } >&2
        exit 1
    fi
}

# ---------------------------------------------------------------- verify

# verify_json CASE [ARGS...] -- run verify --json; exit code in $LAST_RC.
verify_json() {
    run_rc cbkit verify "$1" --json "${@:2}"
}

# expect_verify_ok CASE -- verify --json exits 0 with ok:true and no error findings.
expect_verify_ok() {
    expect_exit 0 cbkit verify "$1" --json "${@:2}"
    expect_one_json_doc
    expect_jq '.ok == true' '[.findings[] | select(.severity == "error")] | length == 0'
}

# finding_filter CODE [SEQ [PATH]] -- jq filter: verify --json output has a
# finding CODE (with that seq / path when given and not empty).
finding_filter() {
    local f=".code == \"$1\""
    if [[ $# -ge 2 && -n $2 ]]; then f+=" and .seq == $2"; fi
    if [[ $# -ge 3 && -n $3 ]]; then f+=" and .path == \"$3\""; fi
    printf '[.findings[] | select(%s)] | length >= 1' "$f"
}

# expect_finding CODE [SEQ [PATH]] -- the last verify --json output ($OUT) has it.
# sanitized_build -- true when $CBKIT_BIN is an ASan/TSan build: its shadow memory makes
# peak-RSS bounds meaningless there (the other assertions of a test still hold).
sanitized_build() {
    readelf -d "$CBKIT_BIN" 2>/dev/null | grep -q 'libasan\|libtsan'
}

expect_finding() {
    expect_jq "$(finding_filter "$@")"
}

# ---------------------------------------------------------------- privileges

# as_nobody CMD... -- run CMD as uid/gid 65534 when root (CI), else as is.
as_nobody() {
    if [[ $(id -u) == 0 ]]; then
        setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups -- "$@"
    else
        "$@"
    fi
}

# need_unprivileged -- skip unless we can drop to an unprivileged user. As root, the test
# folder $T is opened to that user, and when it cannot reach the binary under test (a build
# folder in a clone under /root, mode 0700 on Debian), CBKIT_BIN becomes a copy in a folder
# of mode 0755 under /tmp, removed when the test ends. Skips, saying why, when the user still
# cannot reach $T or run the binary.
need_unprivileged() {
    if [[ $(id -u) == 0 ]]; then
        command -v setpriv >/dev/null || skip "running as root and setpriv is missing; cannot test as an unprivileged user"
        chmod 755 "$T"
        as_nobody test -x "$T" ||
            skip "uid $NOBODY cannot reach the test folder $T (a parent folder is closed to it; set TMPDIR to a folder it can reach)"
        if ! as_nobody test -x "$CBKIT_BIN"; then
            local dir
            dir=$(mktemp -d /tmp/cbkit-bin-XXXXXX)
            at_exit "rm -rf '$dir'"
            chmod 755 "$dir"
            cp "$CBKIT_BIN" "$dir/cbkit"
            chmod 755 "$dir/cbkit"
            CBKIT_BIN="$dir/cbkit"
            as_nobody "$CBKIT_BIN" --version >/dev/null 2>&1 ||
                skip "uid $NOBODY can run neither the binary under test nor a copy of it in $dir (is /tmp mounted noexec?)"
        fi
    fi
}

# cbkit_nobody ARGS... -- the binary under test as uid/gid 65534 (see as_nobody).
cbkit_nobody() {
    as_nobody timeout -k 5 "${CBKIT_CMD_TIMEOUT:-60}" "$CBKIT_BIN" "$@"
}

# hexdump_ -- stdin as lowercase hex, no spaces or newlines.
hexdump_() {
    od -An -v -tx1 | tr -d ' \n'
}
