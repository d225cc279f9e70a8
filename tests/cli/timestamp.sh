#!/usr/bin/env bash
# cbkit timestamp: an RFC 3161 token over the head from a local TSA (openssl ts -reply behind
# tests/cli/support/tsa_server.py, PKI from make_tsa_pki.sh); the entry and its files; verify
# with and without --tsa-ca; `openssl ts -verify` on the stored files; every way a TSA can
# fail (nothing recorded, case still verifies); tokens and lines altered after the fact.
source "$(dirname "$0")/lib.sh"

# start_tsa -- a fresh PKI in $T/pki and a TSA server on 127.0.0.1; sets $TSA (base URL).
# TSA_SLOW_SECONDS in the environment sets how long /slow sleeps.
start_tsa() {
    command -v openssl >/dev/null || skip "openssl (the command) is needed for the local TSA"
    bash "$TESTS_DIR/support/make_tsa_pki.sh" "$T/pki"
    "$PY" "$TESTS_DIR/support/tsa_server.py" "$T/pki" "$T/tsa.port" >/dev/null 2>"$T/tsa.log" &
    local pid=$!
    at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    local i
    for i in $(seq 200); do
        [[ -s $T/tsa.port ]] && break
        sleep 0.05
    done
    [[ -s $T/tsa.port ]] || fail "the TSA server did not start: $(cat "$T/tsa.log")"
    TSA="http://127.0.0.1:$(cat "$T/tsa.port")"
}

setup() {
    start_tsa
    C="$T/case"
    new_case "$C" --timezone UTC
    mkfile "$T/in/shot.png" "a screenshot"
    add "$T/in/shot.png"
}

# stamp [ARGS...] -- cbkit timestamp against the good TSA, pinned to the test root; must succeed.
stamp() {
    expect_exit 0 cbkit --case "$C" timestamp --tsa "$TSA/tsr" --tsa-ca "$T/pki/ca.pem" "$@"
}

# entry_file SEQ ROLE -- absolute path of the entry's file with that role.
entry_file() {
    echo "$C/$(jline "$C" "$1" ".files[] | select(.role == \"$2\") | .path")"
}

# expect_refused PATH CODE NEEDLE... [-- EXTRA ARGS] -- timestamp against $TSA/PATH exits
# CODE with one error line naming the URL and each NEEDLE; the case is unchanged and
# still verifies.
expect_refused() {
    local path=$1 code=$2
    shift 2
    local needles=() extra=()
    while [[ $# -gt 0 && $1 != -- ]]; do
        needles+=("$1")
        shift
    done
    [[ $# -gt 0 ]] && shift && extra=("$@")
    snap_save "$C"
    expect_exit "$code" cbkit --case "$C" timestamp --tsa "$TSA$path" --tsa-ca "$T/pki/ca.pem" "${extra[@]}"
    expect_error_line "$TSA$path" "${needles[@]}"
    expect_stdout_empty
    snap_check "$C"
    expect_verify_ok "$C"
}

# ---------------------------------------------------------------- success

test_stamp_records_entry() {
    setup
    local head1
    head1=$(manifest_head "$C")
    stamp
    expect_receipt "$C" 2
    expect_stdout_matches '^TSA time [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z \(local '
    expect_stdout_contains "covers head $head1 (seq 1)"
    expect_stdout_contains "chains to $T/pki/ca.pem"
    # the line: covers the head before it, which is its own prev
    expect_line_jq "$C" 2 '.kind == "timestamp"' \
        ".prev == \"$head1\"" \
        ".timestamp.covers == {\"seq\": 1, \"head\": \"$head1\"}" \
        ".timestamp.tsa.url == \"$TSA/tsr\"" \
        '.timestamp.tsa.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$")' \
        '.timestamp.tsa.policy == "1.3.6.1.4.1.99999.1"' \
        '.timestamp.tsa.signer_subject == "CN=cbkit test TSA,O=cbkit tests,C=BE"' \
        '.timestamp.tsa.signer_issuer == "CN=cbkit test TSA root,O=cbkit tests,C=BE"' \
        '.timestamp.tsa.accuracy == "1.500000 s"' \
        '.timestamp.nonce | test("^[0-9a-f]+$")' \
        '.timestamp.skew_micros | type == "number" and floor == . and (if . < 0 then -. else . end) < 60000000' \
        '.timestamp.local_before <= .timestamp.local_after' \
        '.timestamp.verification == {"imprint": true, "nonce": true, "signature": true, "chain_checked": true, "chain": true, "ca_sha256": "'"$(sha_of "$T/pki/ca.pem")"'"}' \
        '[.files[].role] == ["token", "token-request", "tsa-chain"]' \
        '[.files[].path] == ["seals/000002-timestamp/timestamp.tsr", "seals/000002-timestamp/timestamp.tsq", "seals/000002-timestamp/tsa-chain.pem"]'
    # every stored file is what the line records, and read-only
    local role f
    for role in token token-request tsa-chain; do
        f=$(entry_file 2 "$role")
        expect_eq "$(sha_of "$f")" "$(jline "$C" 2 ".files[] | select(.role == \"$role\") | .sha256")" "sha256 of $role"
        expect_eq "$(size_of "$f")" "$(jline "$C" 2 ".files[] | select(.role == \"$role\") | .size")" "size of $role"
        expect_eq "$(mode_of "$f")" 444 "mode of $role"
    done
    expect_eq "$(mode_of "$C/seals/000002-timestamp")" 555 "mode of the entry folder"
    [[ -z $(find "$C/seals" -name '.incoming-*') ]] || fail "a staging folder was left in seals/"
    # the request as sent (the server kept it), with the content type of RFC 3161 section 3.4
    cmp -s "$(entry_file 2 token-request)" "$T/pki/last.tsq" || fail "timestamp.tsq is not the request the TSA received"
    grep -qx "/tsr $(size_of "$(entry_file 2 token-request)") application/timestamp-query" "$T/pki/requests.log" ||
        fail "request not logged as one application/timestamp-query of the stored size: $(cat "$T/pki/requests.log")"
    expect_chain "$C"
    expect_verify_ok "$C" --tsa-ca "$T/pki/ca.pem"
    expect_jq '.findings == []'
}

test_openssl_verifies_stored_token() {
    setup
    local head1 dir
    head1=$(manifest_head "$C")
    stamp
    dir="$C/seals/000002-timestamp"
    # the documented recipe, with no cbkit involved
    expect_exit 0 openssl ts -verify -digest "$head1" -in "$dir/timestamp.tsr" -CAfile "$T/pki/ca.pem" -untrusted "$dir/tsa-chain.pem"
    expect_stdout_contains "Verification: OK"
    expect_exit 0 openssl ts -verify -queryfile "$dir/timestamp.tsq" -in "$dir/timestamp.tsr" -CAfile "$T/pki/ca.pem" -untrusted "$dir/tsa-chain.pem"
    # the token, read by openssl, says what the line records
    openssl ts -reply -in "$dir/timestamp.tsr" -text >"$T/token.txt" 2>/dev/null
    grep -q "Nonce: 0x$(jline "$C" 2 '.timestamp.nonce' | tr a-f A-F)$" "$T/token.txt" || fail "nonce differs from openssl's reading"
    grep -q "Policy OID: 1.3.6.1.4.1.99999.1" "$T/token.txt" || fail "policy differs"
    # ... and not for another head, nor against the unrelated root
    expect_exit 1 openssl ts -verify -digest "$(line_hash "$C" 0)" -in "$dir/timestamp.tsr" -CAfile "$T/pki/ca.pem" -untrusted "$dir/tsa-chain.pem"
    expect_exit 1 openssl ts -verify -digest "$head1" -in "$dir/timestamp.tsr" -CAfile "$T/pki/other-ca.pem" -untrusted "$dir/tsa-chain.pem"
}

test_json_output() {
    setup
    expect_exit 0 cbkit --case "$C" --json timestamp --tsa "$TSA/tsr" --tsa-ca "$T/pki/ca.pem"
    expect_json_receipt "$C" 2
    expect_jq '.entry == "seals/000002-timestamp"' \
        ".timestamp.covers.head == \"$(line_hash "$C" 1)\"" \
        '.timestamp.tsa.time | endswith("Z")' \
        '.timestamp.verification.chain == true'
    line_at "$C" 2 | jq -c .timestamp >"$T/line.json"
    jq -c .timestamp "$OUT" >"$T/out.json"
    cmp -s "$T/line.json" "$T/out.json" || fail "--json .timestamp differs from the line's timestamp object"
}

test_without_ca_signature_only() {
    setup
    expect_exit 0 cbkit --case "$C" timestamp --tsa "$TSA/tsr"
    expect_receipt "$C" 2
    expect_stdout_contains "TSA not pinned"
    expect_line_jq "$C" 2 '.timestamp.verification == {"imprint": true, "nonce": true, "signature": true, "chain_checked": false, "chain": false}'
    # verify passes, warning that the TSA is not pinned; with the root the warning goes
    expect_verify_ok "$C"
    expect_finding timestamp-unpinned 2 seals/000002-timestamp/timestamp.tsr
    expect_jq '[.findings[] | select(.code == "timestamp-unpinned")][0].severity == "warning"'
    expect_verify_ok "$C" --tsa-ca "$T/pki/ca.pem"
    expect_jq '.findings == []'
}

test_verify_with_wrong_ca() {
    setup
    stamp
    verify_json "$C" --tsa-ca "$T/pki/other-ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit with an unrelated --tsa-ca"
    expect_finding timestamp-untrusted 2 seals/000002-timestamp/timestamp.tsr
    expect_jq '[.findings[] | select(.severity == "error")] | length == 1'
    expect_exit 1 cbkit verify "$C" --tsa-ca "$T/pki/other-ca.pem"
    expect_stdout_contains "error timestamp-untrusted seals/000002-timestamp/timestamp.tsr (line 2)"
    # a --tsa-ca that does not exist is a usage error
    expect_exit 2 cbkit verify "$C" --tsa-ca "$T/nope.pem"
}

test_later_entries_and_second_stamp() {
    setup
    stamp
    note "after the first timestamp"
    stamp
    expect_receipt "$C" 4
    expect_line_jq "$C" 4 ".timestamp.covers == {\"seq\": 3, \"head\": \"$(line_hash "$C" 3)\"}"
    [[ -d $C/seals/000004-timestamp ]] || fail "no seals/000004-timestamp"
    expect_verify_ok "$C" --tsa-ca "$T/pki/ca.pem"
}

# Another command appends while the TSA is answering: the token over the old head is
# dropped and the TSA asked again over the new one.
test_head_moves_while_asking_slow() {
    TSA_SLOW_SECONDS=4 setup
    local head_before pid rc=0 i
    head_before=$(manifest_head "$C")
    cbkit --case "$C" timestamp --tsa "$TSA/slow" --tsa-ca "$T/pki/ca.pem" >"$T/ts.out" 2>"$T/ts.err" &
    pid=$!
    for i in $(seq 100); do
        [[ -s $T/pki/requests.log ]] && break
        sleep 0.05
    done
    note "written while the TSA was busy"
    wait "$pid" || rc=$?
    [[ $rc == 0 ]] || fail "timestamp exited $rc: $(cat "$T/ts.err")"
    expect_eq "$(grep -c '^/slow ' "$T/pki/requests.log")" 2 "requests to the TSA"
    expect_eq "$(jline "$C" 2 .kind)" note "line 2"
    expect_line_jq "$C" 3 '.kind == "timestamp"' ".timestamp.covers == {\"seq\": 2, \"head\": \"$(line_hash "$C" 2)\"}"
    [[ $(line_hash "$C" 2) != "$head_before" ]] || fail "the note did not move the head"
    [[ ! -e $C/seals/000002-timestamp && -d $C/seals/000003-timestamp ]] || fail "wrong entry folders: $(ls -A "$C/seals")"
    expect_verify_ok "$C" --tsa-ca "$T/pki/ca.pem"
}

test_schema() {
    local schema=${CBKIT_SCHEMA:-$TESTS_DIR/../../schema/manifest-line.schema.json}
    "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null ||
        skip "$PY has no jsonschema with Draft202012Validator (apt install python3-jsonschema)"
    setup
    stamp
    expect_exit 0 cbkit --case "$C" timestamp --tsa "$TSA/tsr" --proxy ""
    expect_exit 0 "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$schema"
    expect_exit 0 "$PY" "$MTOOL" schema-rejects "$C/manifest.jsonl" "$schema" \
        "no timestamp object" 2 timestamp __delete__ \
        "no covers" 2 timestamp.covers __delete__ \
        "covers.head not a hash" 2 timestamp.covers.head '"abc"' \
        "no TSA time" 2 timestamp.tsa.time __delete__ \
        "TSA time not UTC" 2 timestamp.tsa.time '"2026-11-22T10:00:00+01:00"' \
        "skew not an integer" 2 timestamp.skew_micros 1.5 \
        "ftp TSA" 2 timestamp.tsa.url '"ftp://tsa.example/"' \
        "unknown role" 2 files.0.role '"evidence"' \
        "token outside seals/" 2 files.0.path '"evidence/000002-timestamp/timestamp.tsr"' \
        "no verification" 2 timestamp.verification __delete__ \
        "no files" 2 files '[]'
}

# ---------------------------------------------------------------- TSAs that fail

test_tsa_garbage() {
    setup
    expect_refused /garbage 3 "neither an RFC 3161 TimeStampResp nor a TimeStampToken"
}

test_tsa_wrong_hash() {
    setup
    expect_refused /wrong-hash 3 "covers another hash" "$(manifest_head "$C")"
}

test_tsa_wrong_nonce() {
    setup
    expect_refused /wrong-nonce 3 "nonce"
}

test_tsa_bad_signature() {
    setup
    expect_refused /bad-signature 3 "signature does not verify"
}

test_tsa_rejects() {
    setup
    expect_refused /reject 3 "did not grant the request: status rejection" "badAlg" "request refused by the cbkit test TSA"
}

test_tsa_http_500() {
    setup
    expect_refused /http500 3 "answered HTTP 500"
}

test_tsa_wrong_content_type() {
    setup
    expect_refused /wrong-type 3 "content type 'text/html'"
}

test_tsa_redirect_not_followed() {
    setup
    expect_refused /redirect 3 "answered HTTP 302" "ftp://127.0.0.1/tsr" "not followed"
    expect_eq "$(wc -l <"$T/pki/requests.log")" 1 "requests"
}

test_tsa_huge_answer() {
    setup
    expect_refused /huge 3 "larger than 1 MiB"
}

test_tsa_untrusted_at_once() {
    setup
    snap_save "$C"
    expect_exit 3 cbkit --case "$C" timestamp --tsa "$TSA/tsr" --tsa-ca "$T/pki/other-ca.pem"
    expect_error_line "$TSA/tsr" "does not chain to $T/pki/other-ca.pem"
    snap_check "$C"
    expect_verify_ok "$C"
}

test_tsa_unreachable() {
    setup
    # a port that was free a moment ago: nothing listens there
    local port
    port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    TSA="http://127.0.0.1:$port"
    expect_refused /tsr 3 "cannot be reached"
}

test_tsa_timeout_slow() {
    TSA_SLOW_SECONDS=8 setup
    local start elapsed
    start=$SECONDS
    expect_refused /slow 3 "no answer within 1 s" -- --timeout 1
    elapsed=$((SECONDS - start))
    ((elapsed < 6)) || fail "the timeout of 1 s took $elapsed s"
}

test_interrupted_slow() {
    TSA_SLOW_SECONDS=8 setup
    local pid rc=0 i
    snap_save "$C"
    "$CBKIT_BIN" --case "$C" timestamp --tsa "$TSA/slow" >"$T/ts.out" 2>"$T/ts.err" &
    pid=$!
    for i in $(seq 100); do
        [[ -s $T/pki/requests.log ]] && break
        sleep 0.05
    done
    kill -TERM "$pid"
    wait "$pid" || rc=$?
    expect_eq "$rc" 130 "exit code after SIGTERM"
    grep -q "interrupted; nothing recorded" "$T/ts.err" || fail "stderr: $(cat "$T/ts.err")"
    snap_check "$C"
}

test_bad_urls_are_usage_errors() {
    setup
    snap_save "$C"
    local url
    for url in "ftp://127.0.0.1/tsr" "file:///etc/passwd" "127.0.0.1/tsr" "http://"; do
        expect_exit 2 cbkit --case "$C" timestamp --tsa "$url"
        expect_error_line "$url"
    done
    expect_stderr_contains "not a valid URL"
    expect_exit 2 cbkit --case "$C" timestamp --tsa "ftp://x/tsr"
    expect_stderr_contains "only http:// and https://"
    expect_exit 2 cbkit --case "$C" timestamp
    expect_exit 2 cbkit --case "$C" timestamp --tsa "$TSA/tsr" --tsa-ca "$T/missing.pem"
    expect_exit 2 cbkit --case "$C" timestamp --tsa "$TSA/tsr" --timeout 0
    mkfile "$T/not-a-ca.pem" "hello"
    expect_exit 3 cbkit --case "$C" timestamp --tsa "$TSA/tsr" --tsa-ca "$T/not-a-ca.pem"
    expect_error_line "$T/not-a-ca.pem" "--tsa-ca"
    snap_check "$C"
    [[ ! -e $T/pki/requests.log ]] || fail "the TSA was asked although the arguments were bad"
}

test_no_case() {
    start_tsa
    expect_exit 4 cbkit --case "$T/nothing" timestamp --tsa "$TSA/tsr"
    [[ ! -e $T/pki/requests.log ]] || fail "the TSA was asked without a case"
}

# ---------------------------------------------------------------- altered afterwards

test_altered_token_byte() {
    setup
    stamp
    local tsr
    tsr=$(entry_file 2 token)
    chmod u+w "$tsr"
    printf '\x00' | dd of="$tsr" bs=1 seek=200 conv=notrunc status=none
    verify_json "$C" --tsa-ca "$T/pki/ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_finding file-hash-mismatch 2 seals/000002-timestamp/timestamp.tsr
}

# A forger who also rewrites the recorded hash (the line is the last one, so no prev
# breaks): the token check itself must catch the change.
test_altered_token_with_rewritten_hash() {
    setup
    stamp
    local tsr
    tsr=$(entry_file 2 token)
    chmod u+w "$tsr"
    # the last byte of the DER is inside the signature value
    "$PY" -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-1] ^= 1; open(p, "wb").write(b)' "$tsr"
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 2 files.0.sha256 "\"$(sha_of "$tsr")\""
    verify_json "$C" --tsa-ca "$T/pki/ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_finding timestamp-invalid 2 seals/000002-timestamp/timestamp.tsr
    expect_jq '[.findings[] | select(.severity == "error")] | length == 1'

    head -c 500 /dev/urandom >"$tsr"
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 2 files.0.sha256 "\"$(sha_of "$tsr")\"" files.0.size 500
    verify_json "$C"
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_finding timestamp-invalid 2 seals/000002-timestamp/timestamp.tsr
    expect_jq '[.findings[] | select(.code == "timestamp-invalid")][0].message | contains("not a usable RFC 3161 token")'
}

test_rewritten_line_fields() {
    setup
    stamp
    cp "$C/manifest.jsonl" "$T/manifest.good"
    # the recorded TSA time is not the token's
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 2 timestamp.tsa.time '"2020-01-01T00:00:00Z"'
    verify_json "$C" --tsa-ca "$T/pki/ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit (time)"
    expect_finding timestamp-record-mismatch 2
    # the recorded nonce is not the token's
    cp "$T/manifest.good" "$C/manifest.jsonl"
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 2 timestamp.nonce '"0badc0de"'
    verify_json "$C" --tsa-ca "$T/pki/ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit (nonce)"
    expect_finding timestamp-invalid 2
    expect_jq '[.findings[] | select(.code == "timestamp-invalid")][0].message | contains("nonce")'
    # covers names another head: not the line's prev, and not what the token covers
    cp "$T/manifest.good" "$C/manifest.jsonl"
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 2 timestamp.covers.head "\"$(line_hash "$C" 0)\""
    verify_json "$C" --tsa-ca "$T/pki/ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit (covers.head)"
    expect_finding timestamp-covers-mismatch 2
    expect_finding timestamp-imprint-mismatch 2 seals/000002-timestamp/timestamp.tsr
    # covers names another line
    cp "$T/manifest.good" "$C/manifest.jsonl"
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 2 timestamp.covers.seq 0
    verify_json "$C" --tsa-ca "$T/pki/ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit (covers.seq)"
    expect_finding timestamp-covers-mismatch 2
    # no token recorded at all
    cp "$T/manifest.good" "$C/manifest.jsonl"
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 2 files.0.role '"evidence"'
    verify_json "$C"
    expect_eq "$LAST_RC" 1 "verify exit (no token role)"
    expect_finding timestamp-missing 2
    # the untouched manifest still verifies
    cp "$T/manifest.good" "$C/manifest.jsonl"
    expect_verify_ok "$C" --tsa-ca "$T/pki/ca.pem"
}

# A timestamp line copied to the end of the log (chained, its files copied to a folder of
# their own, covers edited to the new head): the token still covers the old head.
test_replayed_token() {
    setup
    stamp
    note "later"
    local h3
    h3=$(line_hash "$C" 3)
    cp -r "$C/seals/000002-timestamp" "$C/seals/000004-timestamp"
    "$PY" "$MTOOL" append-copy "$C/manifest.jsonl" 2 \
        files.0.path '"seals/000004-timestamp/timestamp.tsr"' \
        files.1.path '"seals/000004-timestamp/timestamp.tsq"' \
        files.2.path '"seals/000004-timestamp/tsa-chain.pem"' \
        timestamp.covers.seq 3 timestamp.covers.head "\"$h3\""
    expect_chain "$C"
    verify_json "$C" --tsa-ca "$T/pki/ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_finding timestamp-imprint-mismatch 4 seals/000004-timestamp/timestamp.tsr
    expect_jq '[.findings[] | select(.severity == "error") | .code] == ["timestamp-imprint-mismatch"]'
}

run_tests "$@"
