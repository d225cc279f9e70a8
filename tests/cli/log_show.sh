#!/usr/bin/env bash
# cbkit log and cbkit show.
source "$(dirname "$0")/lib.sh"

# A case with: 0 case, 1 file (2 files), 2 note, 3 file (1 file).
setup() {
    C="$T/case"
    new_case "$C" --timezone UTC --title "Log test"
    mkfile "$T/in/a.txt" "alpha"
    mkfile "$T/in/b.txt" "bravo!"
    add "$T/in/a.txt" "$T/in/b.txt" --kind screenshot
    note "Called 101"
    mkfile "$T/in/c.jpg" "charlie-jpeg"
    add "$T/in/c.jpg"
}

test_log_table() {
    setup
    expect_exit 0 cbkit --case "$C" log
    # header + 4 rows (a trailing "head <hex> seq <n>" line is allowed)
    if [[ $(tail -n1 "$OUT") == head\ * ]]; then
        expect_receipt "$C" 3
        expect_eq "$(nlines "$OUT")" 6 "log lines (header + 4 rows + head)"
    else
        expect_eq "$(nlines "$OUT")" 5 "log lines (header + 4 rows)"
    fi
    sed -n 1p "$OUT" | grep -qE '^ *SEQ +TIME \(UTC\) +KIND +FILES +SUMMARY *$' ||
        _fail_with_outputs "log header is not 'SEQ  TIME (UTC)  KIND  FILES  SUMMARY'"
    local i kinds=(case file note file) files=(0 2 0 1) t
    for i in 0 1 2 3; do
        t=$(jline "$C" "$i" .time)
        sed -n "$((i + 2))p" "$OUT" | grep -qE "^ *$i +${t:0:10}[T ]${t:11:8}[^ ]* +${kinds[i]} +${files[i]}( |$)" ||
            _fail_with_outputs "log row $i should show seq $i, time ${t:0:19}, kind ${kinds[i]}, ${files[i]} files"
    done
}

test_log_json() {
    setup
    expect_exit 0 cbkit --case "$C" log --json
    expect_one_json_doc
    expect_jq \
        ".case == \"$C\" and .head == \"$(manifest_head "$C")\" and .seq == 3" \
        '.entries | length == 4' \
        '[.entries[].seq] == [0,1,2,3]' \
        '[.entries[].kind] == ["case","file","note","file"]' \
        '[.entries[].files] == [0,2,0,1]' \
        '[.entries[].bytes] == [0,11,0,12]'
    local i
    for i in 0 1 2 3; do
        expect_jq \
            ".entries[$i].hash == \"$(line_hash "$C" "$i")\"" \
            ".entries[$i].time == \"$(jline "$C" "$i" .time)\"" \
            ".entries[$i].summary | type == \"string\""
    done
}

test_log_torn_manifest() {
    setup
    printf '{"seq":4,"prev":"%s","ti' "$(manifest_head "$C")" >>"$C/manifest.jsonl"
    snap_save "$C"
    expect_exit 0 cbkit --case "$C" log
    [[ -s $ERR ]] || _fail_with_outputs "log on a torn manifest should warn on stderr"
    local s
    for s in 0 1 2 3; do
        grep -qE "^ *$s +" "$OUT" || _fail_with_outputs "log on a torn manifest should still print row $s"
    done
    snap_check "$C"
}

test_show_human() {
    setup
    expect_exit 0 cbkit --case "$C" show 1
    expect_stdout_contains "evidence/000001-file/a.txt"
    expect_stdout_contains "evidence/000001-file/b.txt"
    expect_stdout_contains "$(sha_of "$T/in/a.txt")"
    expect_stdout_contains "$(sha_of "$T/in/b.txt")"
    expect_stdout_contains "$(line_hash "$C" 1)"
    expect_stdout_contains "$(jline "$C" 1 .time)"
    expect_stdout_contains "screenshot"
    expect_stdout_contains "A. Peeters"
}

test_show_json() {
    setup
    local n
    for n in 0 1 2 3; do
        expect_exit 0 cbkit --case "$C" show "$n" --json
        expect_one_json_doc
        expect_jq ".seq == $n and .hash == \"$(line_hash "$C" "$n")\""
        # .entry is the parsed line, keys in stored order
        "$PY" - "$OUT" "$(line_at "$C" "$n")" <<'PY' || fail "show $n --json .entry differs from manifest line $n"
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"), object_pairs_hook=lambda kv: dict(kv))
again = json.dumps(doc["entry"], separators=(",", ":"), ensure_ascii=False)
if again != sys.argv[2]:
    print("entry:", again, "\nline: ", sys.argv[2], file=sys.stderr)
    sys.exit(1)
PY
    done
}

test_show_note() {
    setup
    expect_exit 0 cbkit --case "$C" show 2
    expect_stdout_contains "Called 101"
    expect_stdout_contains "$(line_hash "$C" 2)"
}

run_tests "$@"
