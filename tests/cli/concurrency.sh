#!/usr/bin/env bash
# Several cbkit processes appending to one case at the same time.
source "$(dirname "$0")/lib.sh"

# start_together N CMD-BUILDER -- run "$CBKIT_BIN" with the args that
# args_for I prints (one per line), for I in 1..N, all released at once.
# Outputs in $T/out.I / $T/err.I; exit codes checked.
run_together() {
    local n=$1 i pids=() rc bad=0
    for ((i = 1; i <= n; i++)); do
        local -a argv
        mapfile -t argv < <(args_for "$i")
        (
            while [[ ! -e $T/go ]]; do sleep 0.005; done
            exec timeout -k 5 120 "$CBKIT_BIN" "${argv[@]}" >"$T/out.$i" 2>"$T/err.$i"
        ) &
        pids+=($!)
    done
    sleep 0.2
    touch "$T/go"
    for ((i = 1; i <= n; i++)); do
        rc=0
        wait "${pids[i - 1]}" || rc=$?
        if [[ $rc != 0 ]]; then
            echo "process $i exited $rc: $(args_for "$i" | tr '\n' ' ')" >&2
            sed 's/^/  | /' "$T/err.$i" >&2
            bad=1
        fi
    done
    [[ $bad == 0 ]] || fail "not every concurrent cbkit succeeded"
}

# check_receipts N -- every process printed a distinct seq 1..N and a head that
# is the hash of the line at that seq.
check_receipts() {
    local n=$1 i seqs=() last
    for ((i = 1; i <= n; i++)); do
        last=$(tail -n1 "$T/out.$i")
        [[ $last =~ ^head\ ([0-9a-f]{64})\ seq\ ([0-9]+)$ ]] || fail "process $i printed no receipt: '$last'"
        seqs+=("${BASH_REMATCH[2]}")
        expect_eq "${BASH_REMATCH[1]}" "$(line_hash "$C" "${BASH_REMATCH[2]}")" "process $i head vs line ${BASH_REMATCH[2]}"
    done
    expect_eq "$(printf '%s\n' "${seqs[@]}" | sort -n | paste -sd' ')" "$(seq 1 "$n" | paste -sd' ')" "seqs printed by the processes"
}

test_four_add_file() {
    C="$T/case"
    new_case "$C"
    local i
    for i in 1 2 3 4; do
        mkrandom "$T/in/f$i.bin" $((3 * 1024 * 1024 + i))
    done
    args_for() { printf '%s\n' --case "$C" add-file "$T/in/f$1.bin"; }
    run_together 4
    expect_eq "$(manifest_lines "$C")" 5 "manifest lines"
    check_receipts 4
    expect_chain "$C"
    # each file recorded exactly once, with its own hash, in its own entry
    for i in 1 2 3 4; do
        expect_eq "$(jq -r "select(.files[]?.sha256 == \"$(sha_of "$T/in/f$i.bin")\") | .seq" "$C/manifest.jsonl" | wc -l)" 1 \
            "lines recording f$i.bin"
    done
    expect_eq "$(find "$C/evidence" -mindepth 1 -maxdepth 1 | LC_ALL=C sort | xargs -n1 basename | paste -sd' ')" \
        "000001-file 000002-file 000003-file 000004-file" "entry folders"
    expect_verify_ok "$C"
    expect_jq '.files_checked == 4'
}

test_mixed_notes_and_files() {
    C="$T/case"
    new_case "$C"
    local i
    for i in 1 2 3 4; do
        mkrandom "$T/in/f$i.bin" $((1024 * 1024 + i))
    done
    args_for() {
        if (($1 % 2)); then
            printf '%s\n' --case "$C" add-file "$T/in/f$((($1 + 1) / 2)).bin"
        else
            printf '%s\n' --case "$C" note "concurrent note $1"
        fi
    }
    run_together 8
    expect_eq "$(manifest_lines "$C")" 9 "manifest lines"
    check_receipts 8
    expect_chain "$C"
    expect_eq "$(jq -r 'select(.kind == "note") | .note.text' "$C/manifest.jsonl" | sort | paste -sd' ')" \
        "concurrent note 2 concurrent note 4 concurrent note 6 concurrent note 8" "notes recorded"
    expect_verify_ok "$C"
    expect_jq '.files_checked == 4 and .entries == 9'
}

run_tests "$@"
