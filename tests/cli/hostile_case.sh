#!/usr/bin/env bash
# A hostile case folder: JSON nested far too deep in a manifest line (a stack-exhaustion
# attempt on every reader) and links planted where cbkit creates or appends to files.
source "$(dirname "$0")/lib.sh"

setup() {
    C="$T/case"
    M="$C/manifest.jsonl"
    new_case "$C" --timezone UTC
    mkfile "$T/in/a.txt" "alpha content"
    add "$T/in/a.txt"
    note "a note"
}

# deep_line SEQ PREV LEVELS -- a manifest line whose "x" nests LEVELS arrays.
deep_line() {
    "$PY" - "$1" "$2" "$3" <<'PYEOF'
import sys
seq, prev, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
sys.stdout.write('{"seq":%d,"prev":"%s","time":"2026-01-01T00:00:00Z","kind":"note","x":%s%s}\n'
                 % (seq, prev, '[' * n, ']' * n))
PYEOF
}

# ---------------------------------------------------------------- nested JSON

test_deep_line_in_case() {
    setup
    deep_line 3 "$(manifest_head "$C")" 80000 >>"$M"
    expect_eq "$(manifest_lines "$C")" 4 "lines after appending the deep one"
    CBKIT_CMD_TIMEOUT=30 verify_json "$C"
    [[ $LAST_RC == 1 ]] || _fail_with_outputs "verify: expected exit 1, got $LAST_RC"
    expect_one_json_doc
    expect_jq '.ok == false' "$(finding_filter line-too-deep 3)"
    expect_exit 1 cbkit verify "$C"
    expect_stdout_contains "line-too-deep"

    expect_exit 4 cbkit --case "$C" show 3
    expect_stderr_contains "line 3 is not a valid manifest entry"
    expect_exit 0 cbkit --case "$C" show 1

    run_rc cbkit --case "$C" log --json
    [[ $LAST_RC == 0 || $LAST_RC == 1 || $LAST_RC == 4 ]] || _fail_with_outputs "log: exit $LAST_RC"
    expect_jq '.entries[3].invalid == true' '.entries[1].invalid != true'

    expect_exit 4 cbkit --case "$C" report --out "$T/report.html"
    expect_stderr_contains "manifest.jsonl line 3:" # numbered from 0, as verify and show number it
    [[ ! -e $T/report.html ]] || fail "report wrote a file from a hostile case"

    local before
    before=$(sha_of "$M")
    expect_exit 0 cbkit keygen --out "$T/examiner"
    expect_exit 4 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/out.tar"
    expect_stderr_contains "nothing was sealed"
    expect_eq "$(sha_of "$M")" "$before" "manifest after the refused seal"
    [[ ! -e $T/out.tar ]] || fail "seal wrote an archive of a hostile case"

    # An append cannot continue after it either (the tail is read through the same parser).
    expect_exit 4 cbkit --case "$C" note "after"
    expect_eq "$(sha_of "$M")" "$before" "manifest after the refused note"
}

test_deep_but_allowed_nesting_is_only_invalid() {
    # 60 levels is within the limit: the line is read, then found not canonical/invalid,
    # never reported as too deep.
    setup
    deep_line 3 "$(manifest_head "$C")" 60 >>"$M"
    verify_json "$C"
    [[ $LAST_RC == 1 ]] || _fail_with_outputs "verify: expected exit 1, got $LAST_RC"
    expect_jq '[.findings[] | select(.code == "line-too-deep")] | length == 0' \
        '[.findings[] | select(.seq == 3)] | length >= 1'
}

test_deep_line_in_archive() {
    setup
    expect_exit 0 cbkit keygen --out "$T/examiner"
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/good.tar"
    deep_line 5 0000000000000000000000000000000000000000000000000000000000000000 80000 >"$T/deep.jsonl"
    "$PY" - "$T/good.tar" "$T/bad.tar" "$T/deep.jsonl" <<'PYEOF' || fail "rewriting the archive"
import io, sys, tarfile
src, dst, extra = sys.argv[1], sys.argv[2], open(sys.argv[3], 'rb').read()
with tarfile.open(src) as t, tarfile.open(dst, 'w', format=tarfile.PAX_FORMAT) as out:
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else None
        if m.isfile() and m.name.endswith('/data/manifest.jsonl'):
            data += extra
            m.size = len(data)
        out.addfile(m, io.BytesIO(data) if data is not None else None)
PYEOF
    CBKIT_CMD_TIMEOUT=30 run_rc cbkit verify "$T/bad.tar" --json --pubkey "$T/examiner.pub"
    [[ $LAST_RC == 1 ]] || _fail_with_outputs "verify ARCHIVE: expected exit 1, got $LAST_RC"
    expect_one_json_doc
    expect_jq '.ok == false' "$(finding_filter line-too-deep 5)"
}

test_deep_proof_file() {
    setup
    expect_exit 0 cbkit keygen --out "$T/examiner"
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/good.tar"
    "$PY" -c 'import sys; n = 80000; sys.stdout.write("{\"format\":\"cbkit-inclusion-proof-v1\",\"x\":" + "[" * n + "]" * n + "}\n")' >"$T/deep.proof"
    CBKIT_CMD_TIMEOUT=30 run_rc cbkit verify-proof "$T/deep.proof" --pubkey "$T/examiner.pub"
    [[ $LAST_RC != 0 && $LAST_RC -lt 70 && $LAST_RC != 124 ]] || _fail_with_outputs "verify-proof: exit $LAST_RC"
    expect_stdout_contains "nests JSON too deeply"
}

# ---------------------------------------------------------------- links in the case

test_dangling_lock_symlink() {
    setup
    local outside="$T/outside/lockfile"
    mkdir -p "$T/outside"
    rm -f "$C/.cbkit.lock"
    ln -s "$outside" "$C/.cbkit.lock"
    local before
    before=$(sha_of "$M")
    expect_exit 4 cbkit --case "$C" note x
    expect_stderr_contains ".cbkit.lock: is a symbolic link"
    [[ ! -e $outside && ! -L $outside ]] || fail "the append created $outside through the link"
    expect_eq "$(find "$T/outside" -mindepth 1 | wc -l)" 0 "files created outside the case"
    expect_eq "$(sha_of "$M")" "$before" "manifest after the refused note"
}

test_lock_symlink_to_existing_file() {
    setup
    mkfile "$T/outside/victim" "do not touch"
    rm -f "$C/.cbkit.lock"
    ln -s "$T/outside/victim" "$C/.cbkit.lock"
    expect_exit 4 cbkit --case "$C" add-file "$T/in/a.txt"
    expect_stderr_contains "is a symbolic link"
    expect_eq "$(cat "$T/outside/victim")" "do not touch" "the linked file"
    expect_eq "$(manifest_lines "$C")" 3 "manifest lines"
}

test_lock_not_a_regular_file() {
    setup
    rm -f "$C/.cbkit.lock"
    mkfifo "$C/.cbkit.lock"
    expect_exit 4 cbkit --case "$C" note x
    expect_stderr_contains "not a regular file"
}

test_manifest_symlink_not_appended_through() {
    setup
    mkdir -p "$T/outside"
    cp "$M" "$T/outside/manifest.jsonl"
    rm -f "$M"
    ln -s "$T/outside/manifest.jsonl" "$M"
    local before
    before=$(sha_of "$T/outside/manifest.jsonl")
    run_rc cbkit --case "$C" note x
    [[ $LAST_RC == 4 ]] || _fail_with_outputs "note through a linked manifest: expected exit 4, got $LAST_RC"
    expect_eq "$(sha_of "$T/outside/manifest.jsonl")" "$before" "the file the link points at"
}

run_tests "$@"
