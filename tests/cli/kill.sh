#!/usr/bin/env bash
# kill -9 during add-file of a large file: the case stays consistent.
source "$(dirname "$0")/lib.sh"

test_kill_during_add_file() {
    local P="$T/pristine"
    C=$P
    new_case "$P"
    mkfile "$T/in/small.txt" "recorded before the crash"
    add "$T/in/small.txt"
    note "also recorded before the crash"
    local before_lines before_size
    before_lines=$(manifest_lines "$P")
    before_size=$(size_of "$P/manifest.jsonl")
    cp "$P/manifest.jsonl" "$T/manifest.before"
    head -c 300M /dev/urandom >"$T/big.bin"

    # time one uninterrupted run, then kill at 5%, 25%, 50%, 75% and 95% of it
    local start full_ms
    cp -a "$P" "$T/timing"
    start=$EPOCHREALTIME
    expect_exit 0 cbkit --case "$T/timing" add-file "$T/big.bin"
    full_ms=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
    echo "uninterrupted add-file of 300 MiB: $full_ms ms"
    chmod -R u+w "$T/timing"
    rm -rf "$T/timing"

    local pct delay killed=0 R pid rc
    for pct in 5 25 50 75 95; do
        delay=$(awk -v ms="$full_ms" -v p="$pct" 'BEGIN { printf "%.3f", ms * p / 100000 }')
        R="$T/run-$pct"
        cp -a "$P" "$R"
        "$CBKIT_BIN" --case "$R" add-file "$T/big.bin" >"$T/add.out" 2>"$T/add.err" &
        pid=$!
        sleep "$delay"
        if kill -9 "$pid" 2>/dev/null; then
            killed=$((killed + 1))
        fi
        rc=0
        { wait "$pid"; } 2>/dev/null || rc=$?
        echo "kill after $delay s ($pct%): add-file exit $rc ($([[ $rc == 137 ]] && echo killed || echo finished))"

        # the lines written before the crash are intact, byte for byte
        cmp -n "$before_size" "$T/manifest.before" "$R/manifest.jsonl" ||
            fail "delay $delay: the manifest lines recorded before the kill changed"
        CBKIT_CMD_TIMEOUT=60 verify_json "$R"
        case $LAST_RC in
        0)
            expect_jq '.ok == true'
            ;;
        1)
            expect_jq '.ok == false'
            jq -e '[.findings[] | select(.severity == "error") | .code] | all(. == "unrecorded-file" or . == "line-torn")' "$OUT" >/dev/null ||
                _fail_with_outputs "delay $delay: after kill -9 verify may only report unrecorded-file / line-torn"
            ;;
        *)
            _fail_with_outputs "delay $delay: verify after kill -9 exited $LAST_RC"
            ;;
        esac
        echo "  verify: exit $LAST_RC, findings: $(jq -r '[.findings[] | .code + " " + (.path // "")] | join(", ")' "$OUT")"
        # every entry recorded before the crash still verifies
        jq -e "[.findings[] | select(.seq != null and .seq < $before_lines)] | length == 0" "$OUT" >/dev/null ||
            _fail_with_outputs "delay $delay: findings about entries recorded before the kill"
        for p in $(jq -r '.files[].path' "$T/manifest.before"); do
            cmp "$R/$p" "$P/$p" || fail "delay $delay: $p changed"
        done
        # if add-file completed, its entry is complete and verifies
        if (($(manifest_lines "$R") > before_lines)); then
            [[ $LAST_RC == 0 ]] || _fail_with_outputs "delay $delay: a new line was written but the case does not verify"
            expect_eq "$(jline "$R" "$before_lines" '.files[0].sha256')" "$(sha_of "$T/big.bin")" "delay $delay: hash of the recorded big file"
        fi
        chmod -R u+w "$R"
        rm -rf "$R"
    done
    ((killed > 0)) || echo "note: add-file finished before every kill; nothing was interrupted" >&2
    ((killed > 0)) || fail "add-file of 300 MiB always finished before the kill; the kill test tested nothing"
}

run_tests "$@"
