#!/usr/bin/env bash
# Multi-entry ingest (add-email folders and mboxes, add-file, add-chat): group commit,
# kill -9 and Ctrl-C part way, --jsonl, --skip-existing, the "partly done" exit code 8.
source "$(dirname "$0")/lib.sh"

# mkinbox DIR N -- N small, distinct messages DIR/m00000.eml ...
mkinbox() {
    mkdir -p "$1"
    local i
    for ((i = 0; i < $2; i++)); do
        printf 'From: s%d@example.com\nTo: v@example.com\nSubject: m%d\nMessage-ID: <%d@example.com>\nDate: Fri, 20 Nov 2026 21:14:05 +0100\n\nbody %d\n' \
            "$i" "$i" "$i" "$i" >"$1/m$(printf %05d "$i").eml"
    done
}

# mkmbox FILE N -- an mbox of N small, distinct messages
mkmbox() {
    local i
    for ((i = 0; i < $2; i++)); do
        printf 'From sender@example.com Fri Nov 20 21:14:05 2026\nFrom: sender@example.com\nTo: v@example.com\nSubject: m%d\nMessage-ID: <%d@example.com>\n\nbody %d\n\n' "$i" "$i" "$i"
    done >"$1"
}

# expect_jsonl_entries_committed CASE JSONL -- every whole "entry" line of the stream is a
# committed entry (its seq's line has that head), in order, with no gap; the committed
# entries it lacks are the last ones, at most one group (64): a kill between a group's
# fsync and the write of its lines. Prints how many lines and entries there are.
expect_jsonl_entries_committed() {
    local case=$1 jsonl=$2 entries seq head expected
    entries=$(($(manifest_lines "$case") - 1 - ${BEFORE_ENTRIES:-0}))
    local whole="$T/jsonl.whole"
    # a line cut by the kill has no LF: not a line the reader may count
    if [[ -s $jsonl && $(tail -c 1 "$jsonl" | od -An -c | tr -d ' ') != '\n' ]]; then
        head -n -1 "$jsonl" >"$whole" || true
    else
        cp "$jsonl" "$whole"
    fi
    jq -e -s 'all(.[]; type == "object")' "$whole" >/dev/null || fail "a whole --jsonl line is not JSON: $(head -c 500 "$whole")"
    local n
    n=$(jq -s '[.[] | select(.type == "entry")] | length' "$whole")
    expected=$((${BEFORE_ENTRIES:-0} + 1))
    while IFS=$'\t' read -r seq head; do
        expect_eq "$seq" "$expected" "seq of --jsonl entry line"
        expect_eq "$head" "$(line_hash "$case" "$seq")" "head of --jsonl entry seq $seq"
        expected=$((expected + 1))
    done < <(jq -r 'select(.type == "entry") | [.seq, .head] | @tsv' "$whole")
    ((n <= entries)) || fail "--jsonl names $n entries, the manifest holds $entries"
    ((entries - n <= 64)) || fail "--jsonl lacks $((entries - n)) committed entries (more than one group)"
    echo "  --jsonl: $n entry line(s); manifest: $entries entr(y/ies)"
    JSONL_ENTRIES=$n
}

# A folder ingest killed with SIGKILL at random moments: only whole entries exist (verify
# finds nothing but unrecorded staging/entry folders) and the --jsonl lines written are
# committed entries.
test_kill_folder_ingest_at_random_moments() {
    local P="$T/pristine"
    new_case "$P" --timezone UTC
    C=$P
    mkinbox "$T/inbox" 800

    local start full_ms
    cp -a "$P" "$T/timing"
    start=$EPOCHREALTIME
    expect_exit 0 cbkit --case "$T/timing" add-email --jsonl "$T/inbox"
    full_ms=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
    expect_eq "$(jq -s '[.[] | select(.type == "entry")] | length' "$OUT")" 800 "--jsonl entry lines of a whole run"
    expect_jq_file <(tail -n 1 "$OUT") '.type == "summary"' '.ok == true' '.committed.count == 800' '.committed.last_seq == 800' \
        ".committed.head == \"$(manifest_head "$T/timing")\""
    echo "uninterrupted add-email of 800 messages: $full_ms ms"
    chmod -R u+w "$T/timing"
    rm -rf "$T/timing"

    local run delay R pid rc killed=0
    for run in 1 2 3 4 5; do
        delay=$(awk -v ms="$full_ms" -v r="$RANDOM" 'BEGIN { printf "%.3f", ms * (0.05 + 0.9 * r / 32768) / 1000 }')
        R="$T/run-$run"
        cp -a "$P" "$R"
        "$CBKIT_BIN" --case "$R" add-email --jsonl "$T/inbox" >"$T/run-$run.jsonl" 2>"$T/run-$run.err" &
        pid=$!
        sleep "$delay"
        kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
        rc=0
        { wait "$pid"; } 2>/dev/null || rc=$?
        echo "kill after $delay s: exit $rc"
        CBKIT_CMD_TIMEOUT=120 verify_json "$R"
        case $LAST_RC in
        0) expect_jq '.ok == true' ;;
        1)
            jq -e '[.findings[] | select(.severity == "error") | .code] | all(. == "unrecorded-file" or . == "line-torn")' "$OUT" >/dev/null ||
                _fail_with_outputs "run $run: after kill -9 verify may only report unrecorded-file / line-torn"
            ;;
        *) _fail_with_outputs "run $run: verify after kill -9 exited $LAST_RC" ;;
        esac
        # every line is a whole entry: parses, and its files are there (verify checked them)
        jq -e -s 'length >= 1' "$R/manifest.jsonl" >/dev/null || fail "run $run: the manifest does not parse"
        BEFORE_ENTRIES=0 expect_jsonl_entries_committed "$R" "$T/run-$run.jsonl"
        # messages are committed in input order
        jq -e -s '[.[1:][] | .email.subject] as $s | $s == [range(0; $s | length) | "m\(.)"]' "$R/manifest.jsonl" >/dev/null ||
            fail "run $run: the entries are not in input order"
        chmod -R u+w "$R"
        rm -rf "$R"
    done
    ((killed > 0)) || echo "note: every run finished before its kill" >&2
}

# Ctrl-C during an mbox import: exit 8 (partly done), the JSON names exactly the committed
# entries and the messages not committed; the same command with --skip-existing stores
# only the rest.
test_interrupted_mbox_then_skip_existing() {
    C="$T/case"
    new_case "$C" --timezone UTC
    mkmbox "$T/big.mbox" 3000
    "$CBKIT_BIN" --case "$C" --json add-email --mbox "$T/big.mbox" >"$OUT" 2>"$ERR" &
    local pid=$! n=0 i
    for ((i = 0; i < 400; i++)); do
        n=$(manifest_lines "$C")
        ((n >= 4)) && break
        sleep 0.02
    done
    kill -INT "$pid"
    local rc=0
    wait "$pid" || rc=$?
    ((rc != 0)) || skip "the import of 3000 messages finished before the interruption"
    expect_eq "$rc" 8 "exit code after SIGINT with entries committed (partly done)"
    local recorded=$(($(manifest_lines "$C") - 1))
    expect_stderr_contains "interrupted after $recorded of 3000 messages were recorded (seq 1 to $recorded, head $(manifest_head "$C"))"
    expect_stderr_contains "--skip-existing"
    expect_jq ".committed.count == $recorded" '.committed.first_seq == 1' ".committed.last_seq == $recorded" \
        ".committed.head == \"$(manifest_head "$C")\"" "(.entries | length) == $recorded" \
        "(.not_committed | length) == $((3000 - recorded))" \
        "[.entries[].seq] == [range(1; $recorded + 1)]"
    # the first message not committed is the one after the last committed
    local last_offset
    last_offset=$(jline "$C" "$recorded" '.email.source.offset')
    expect_jq ".not_committed[0] | test(\"@[0-9]+$\")" \
        "(.not_committed[0] | capture(\"@(?<o>[0-9]+)$\").o | tonumber) > $last_offset"
    expect_verify_ok "$C"

    expect_exit 0 cbkit --case "$C" --json add-email --mbox "$T/big.mbox" --skip-existing
    expect_jq ".committed.count == $((3000 - recorded))" "(.duplicates | length) == $recorded" \
        '.committed.last_seq == 3000' '[.duplicates[].duplicate_of] == [range(1; '"$recorded"' + 1)]' '.not_committed == []'
    expect_eq "$(manifest_lines "$C")" 3001 "lines after the re-run"
    expect_eq "$(jq -r 'select(.seq >= 1) | .email.message_id' "$C/manifest.jsonl" | sort -u | wc -l)" 3000 "distinct messages"
    expect_verify_ok "$C"
}

# --jsonl: one line per committed entry (seq, head, dir, input, files with sha256), then
# the summary; duplicates (--skip-existing) have their own lines.
test_jsonl_stream_and_duplicates() {
    C="$T/case"
    new_case "$C" --timezone UTC
    mkinbox "$T/in" 3
    expect_exit 0 cbkit --case "$C" add-email --jsonl "$T/in"
    expect_eq "$(nlines "$OUT")" 4 "--jsonl lines"
    local i
    for i in 1 2 3; do
        expect_jq_file <(sed -n "${i}p" "$OUT") '.type == "entry"' ".seq == $i" ".head == \"$(line_hash "$C" "$i")\"" \
            ".dir == \"evidence/$(printf %06d "$i")-email\"" ".input == \"$T/in/m$(printf %05d $((i - 1))).eml\"" \
            ".files[0].role == \"original\"" ".files[0].sha256 == \"$(sha_of "$T/in/m$(printf %05d $((i - 1))).eml")\""
    done
    expect_jq_file <(sed -n 4p "$OUT") '.type == "summary"' '.ok == true' '.exit == 0' '.committed.count == 3' '.duplicate_count == 0'
    # again, with one new message and --skip-existing: three duplicates, one entry
    mkinbox "$T/in2" 4
    expect_exit 0 cbkit --case "$C" add-email --jsonl --skip-existing "$T/in2"
    expect_eq "$(jq -s -c '[.[] | .type]' "$OUT")" '["duplicate","duplicate","duplicate","entry","summary"]' "--jsonl line types"
    expect_jq_file <(head -n 1 "$OUT") '.duplicate_of == 1' ".sha256 == \"$(sha_of "$T/in2/m00000.eml")\""
    expect_jq_file <(sed -n 4p "$OUT") '.seq == 4'
    expect_jq_file <(tail -n 1 "$OUT") '.committed.count == 1' '.duplicate_count == 3'
    # the same message twice in one run: the second is a duplicate of the first
    mkinbox "$T/in3" 6
    cp "$T/in3/m00005.eml" "$T/in3/m00006.eml"
    expect_exit 0 cbkit --case "$C" --json add-email --skip-existing "$T/in3"
    expect_jq '.committed.count == 2' '.committed.first_seq == 5' '(.duplicates | length) == 5' \
        '.duplicates[-1].duplicate_of == 6' ".duplicates[-1].input == \"$T/in3/m00006.eml\""
    # without --skip-existing everything is stored again (a plain re-run)
    expect_exit 0 cbkit --case "$C" --json add-email "$T/in"
    expect_jq '.committed.count == 3' '.duplicates == []'
    expect_verify_ok "$C"
}

# add-file --skip-existing leaves out files already in the case; all duplicates: nothing
# appended, exit 0, the receipt is the current head.
test_add_file_skip_existing_and_jsonl() {
    C="$T/case"
    new_case "$C"
    mkfile "$T/a.txt" "first"
    mkfile "$T/b.txt" "second"
    add "$T/a.txt"
    expect_exit 0 cbkit --case "$C" --json add-file "$T/a.txt" "$T/b.txt" --skip-existing
    expect_jq '.seq == 2' '.committed.count == 1' '(.files | length) == 1' ".files[0].source_path == \"$T/b.txt\"" \
        ".duplicates == [{\"input\": \"$T/a.txt\", \"sha256\": \"$(sha_of "$T/a.txt")\", \"duplicate_of\": 1}]"
    expect_exit 0 cbkit --case "$C" add-file "$T/a.txt" "$T/b.txt" --skip-existing
    expect_stdout_contains "nothing was appended"
    expect_stdout_contains "head $(manifest_head "$C") seq 2"
    expect_eq "$(manifest_lines "$C")" 3 "lines after an all-duplicate add-file"
    mkfile "$T/c.txt" "third"
    expect_exit 0 cbkit --case "$C" add-file --jsonl "$T/c.txt"
    expect_eq "$(nlines "$OUT")" 2 "--jsonl lines"
    expect_jq_file <(head -n 1 "$OUT") '.type == "entry"' '.seq == 3' ".head == \"$(manifest_head "$C")\"" \
        ".files[0].sha256 == \"$(sha_of "$T/c.txt")\""
    expect_jq_file <(tail -n 1 "$OUT") '.type == "summary"' '.committed.count == 1'
    expect_verify_ok "$C"
}

run_tests "$@"
