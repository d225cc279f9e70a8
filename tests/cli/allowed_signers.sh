#!/usr/bin/env bash
# cbkit verify --allowed-signers FILE: a case sealed by one key, then by another (a key
# rotation). Each seal must be signed by a listed key at a time within that key's window
# (valid-after <= seal time < valid-before); the folder and the archive are checked alike;
# findings name the signer; a bad line is a usage error naming the file and line.
source "$(dirname "$0")/lib.sh"

SCHEMAS="$TESTS_DIR/../../schema/json"

# setup -- a case sealed with key A (old) into first.tar, then with key B (new) into
# second.tar. T1 and T2 are the times of the two seal lines; S1 and S2 their seqs.
setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    mkfile "$T/in/photo.jpg" "not really a jpeg"
    add "$T/in/photo.jpg"
    expect_exit 0 cbkit keygen --out "$T/old"
    expect_exit 0 cbkit keygen --out "$T/new"
    expect_exit 0 cbkit keygen --out "$T/other"
    expect_exit 0 cbkit --case "$C" seal --key "$T/old.key" --out "$T/first.tar"
    S1=$(($(manifest_lines "$C") - 1))
    note "after the rotation"
    expect_exit 0 cbkit --case "$C" seal --key "$T/new.key" --out "$T/second.tar"
    S2=$(($(manifest_lines "$C") - 1))
    T1=$(jline "$C" "$S1" .time)
    T2=$(jline "$C" "$S2" .time)
    [[ $T1 < "$T2" ]] || fail "the seals should be in time order: $T1, $T2"
    # The old key as its base64 line, the new one as a path relative to the file.
    mkdir -p "$T/keys"
    cp "$T/new.minisign.pub" "$T/keys/new.minisign.pub"
    OLD_B64=$(sed -n 2p "$T/old.minisign.pub")
}

# valid_verify_json -- $OUT validates against schema/json/verify.schema.json.
valid_verify_json() {
    if "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
        "$PY" "$TESTS_DIR/support/json_contract.py" "$SCHEMAS" "$OUT" verify >"$T/valid.out" 2>&1 ||
            _fail_with_outputs "the --json output of verify does not match its schema: $(cat "$T/valid.out")"
    fi
}

test_both_keys_listed_pass_folder_and_archive() {
    setup
    cat >"$T/signers" <<EOF
# the examiner's keys, oldest first

examiner-2025 $OLD_B64 valid-before=$T2
examiner-2026	keys/new.minisign.pub   valid-after=$T2
EOF
    expect_exit 0 cbkit --case "$C" verify --json --allowed-signers "$T/signers"
    expect_one_json_doc
    valid_verify_json
    expect_jq '.ok == true' '(.seals | length) == 2' '[.seals[] | .pinned] | all' \
        "[.seals[] | .signer] == [\"examiner-2025\", \"examiner-2026\"]" \
        '[.findings[] | select(.code == "seal-unpinned" or .code == "seal-key-mismatch")] | length == 0'
    expect_exit 0 cbkit --case "$C" verify --allowed-signers "$T/signers"
    expect_stdout_contains "signer examiner-2026"
    expect_exit 0 cbkit verify "$T/second.tar" --json --allowed-signers "$T/signers"
    valid_verify_json
    expect_jq '.ok == true' '.bag.pinned == true' '.bag.signature_ok == true'
    expect_exit 0 cbkit verify "$T/first.tar" --json --allowed-signers "$T/signers"
    expect_jq '.ok == true'
    # An extracted archive is checked the same way.
    mkdir -p "$T/x"
    bsdtar -xf "$T/second.tar" -C "$T/x"
    expect_exit 0 cbkit verify "$T/x" --json --allowed-signers "$T/signers"
    expect_jq '.ok == true'
    # A PEM .pub path (absolute) works as KEY too.
    printf 'a %s\nb %s\n' "$T/old.pub" "$T/new.pub" >"$T/pem-signers"
    expect_exit 0 cbkit --case "$C" verify --json --allowed-signers "$T/pem-signers"
    expect_jq '.ok == true'
}

test_union_with_pubkey() {
    setup
    printf 'examiner-2026 %s\n' "$T/new.minisign.pub" >"$T/signers"
    # Only the new key listed: the first seal is not by a listed key.
    expect_exit 1 cbkit --case "$C" verify --json --allowed-signers "$T/signers"
    expect_finding seal-key-mismatch "$S1"
    expect_jq '[.findings[] | select(.code == "seal-key-mismatch")] | length == 1' \
        '[.findings[] | select(.code == "seal-key-mismatch") | .message | contains("examiner-2026")] | all'
    # With the old key as --pubkey: the union.
    expect_exit 0 cbkit --case "$C" verify --json --allowed-signers "$T/signers" --pubkey "$T/old.pub"
    expect_jq '.ok == true' '.seals[0].signer == null' '.seals[1].signer == "examiner-2026"'
    expect_exit 0 cbkit verify "$T/second.tar" --json --pubkey "$T/old.pub" --allowed-signers "$T/signers"
    expect_jq '.ok == true'
}

test_window_excludes_second_seal() {
    setup
    # The new key is listed only until the second seal's time (valid-before is exclusive).
    cat >"$T/signers" <<EOF
examiner-2025 $OLD_B64
examiner-2026 keys/new.minisign.pub valid-after=2020-01-01T00:00:00Z valid-before=$T2
EOF
    expect_exit 1 cbkit --case "$C" verify --json --allowed-signers "$T/signers"
    expect_one_json_doc
    valid_verify_json
    expect_finding seal-key-outside-validity "$S2" manifest.jsonl
    expect_jq '.ok == false' \
        '[.findings[] | select(.code == "seal-key-outside-validity")] | length == 1' \
        '[.findings[] | select(.code == "seal-key-outside-validity")][0].severity == "error"' \
        "[.findings[] | select(.code == \"seal-key-outside-validity\")][0].message | contains(\"examiner-2026\") and contains(\"valid-before $T2\")" \
        '[.findings[] | select(.code == "seal-key-mismatch" or .code == "seal-signature-invalid")] | length == 0' \
        '.seals[0].ok == true' '.seals[1].ok == false'
    expect_exit 1 cbkit --case "$C" verify --allowed-signers "$T/signers"
    expect_stdout_contains "seal-key-outside-validity"
    # The archive of the second seal holds that seal line: the same finding.
    expect_exit 1 cbkit verify "$T/second.tar" --json --allowed-signers "$T/signers"
    valid_verify_json
    expect_finding seal-key-outside-validity "$S2"
    # The first archive holds only the first seal: it passes.
    expect_exit 0 cbkit verify "$T/first.tar" --json --allowed-signers "$T/signers"
    expect_jq '.ok == true'
    # A window that starts after the first seal excludes it.
    printf 'examiner-2025 %s valid-after=2999-01-01T00:00:00+01:00\n' "$OLD_B64" >"$T/later"
    expect_exit 1 cbkit verify "$T/first.tar" --json --allowed-signers "$T/later"
    expect_finding seal-key-outside-validity "$S1"
}

test_unknown_key_is_mismatch() {
    setup
    printf 'someone-else %s\n' "$T/other.minisign.pub" >"$T/signers"
    expect_exit 1 cbkit --case "$C" verify --json --allowed-signers "$T/signers"
    valid_verify_json
    expect_finding seal-key-mismatch "$S1"
    expect_finding seal-key-mismatch "$S2"
    expect_jq '[.findings[] | select(.code == "seal-key-outside-validity")] | length == 0'
    expect_exit 1 cbkit verify "$T/second.tar" --json --allowed-signers "$T/signers"
    expect_finding seal-key-mismatch
}

test_bad_lines_are_usage_errors() {
    setup
    local bad
    for bad in 'lonely-name' \
        "x $T/missing.pub" \
        "x $OLD_B64 valid-after=yesterday" \
        "x $OLD_B64 valid-until=2026-01-01T00:00:00Z" \
        "x $OLD_B64 valid-after=2026-01-01T00:00:00Z valid-after=2026-02-01T00:00:00Z" \
        "x $OLD_B64 valid-after=2026-02-01T00:00:00Z valid-before=2026-01-01T00:00:00Z" \
        "x $T/in/photo.jpg"; do
        printf '# signers\n\nok %s\n%s\n' "$OLD_B64" "$bad" >"$T/signers"
        expect_exit 2 cbkit --case "$C" verify --allowed-signers "$T/signers"
        expect_error_line "$T/signers:4"
        expect_stdout_empty
        expect_exit 2 cbkit --case "$C" verify --json --allowed-signers "$T/signers"
        expect_one_json_doc
        expect_jq '.ok == false' '.error.exit == 2' ".error.message | contains(\"$T/signers:4\")"
    done
    # A file with no signer at all, and a file that does not exist.
    printf '# nothing yet\n' >"$T/empty"
    expect_exit 2 cbkit --case "$C" verify --allowed-signers "$T/empty"
    expect_error_line "$T/empty"
    expect_exit 3 cbkit --case "$C" verify --allowed-signers "$T/nope"
    expect_error_line "$T/nope"
}

run_tests "$@"
