#!/usr/bin/env bash
# Encrypted handover with age (issue 16): keygen --age, seal --recipient/--recipient-file/
# --passphrase-file, verify ARCHIVE.age --identity, decrypt; checked both ways against the
# standard `age` tool (Debian's age package), tampering, wrong identities, no clear-text file.
source "$(dirname "$0")/lib.sh"

AGE_PTY="$TESTS_DIR/support/age_pty.py"

need_age() {
    command -v age >/dev/null && command -v age-keygen >/dev/null ||
        skip "the age tool is not installed (bash scripts/deps.sh test installs Debian's age)"
}

# setup -- a case with a few entries, a seal key and two age identities (P1, P2).
setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    mkfile "$T/in/photo.jpg" "not really a jpeg"
    mkrandom "$T/in/video.bin" 300000
    add "$T/in/photo.jpg" --kind screenshot
    add "$T/in/video.bin"
    mkdir -p "$T/keys"
    expect_exit 0 cbkit keygen --out "$T/keys/examiner"
    expect_exit 0 cbkit keygen --age --out "$T/keys/p1"
    expect_exit 0 cbkit keygen --age --out "$T/keys/p2"
    P1=$(cat "$T/keys/p1.age.pub")
    P2=$(cat "$T/keys/p2.age.pub")
}

# receipt_field FILE NAME -- the value of "NAME: value" lines of a receipt.
receipt_field() {
    sed -n "s/^$2: //p" "$1"
}

test_keygen_age() {
    need_age
    expect_exit 0 cbkit keygen --age --out "$T/police" --json
    expect_jq '.key | endswith("police.age.key")' '.recipient | startswith("age1")'
    [[ $(mode_of "$T/police.age.key") == 600 ]] || fail "the identity is not mode 0600"
    grep -q '^# created: ' "$T/police.age.key" || fail "no '# created:' line"
    grep -q "^# public key: $(cat "$T/police.age.pub")\$" "$T/police.age.key" || fail "no '# public key:' line"
    grep -q '^AGE-SECRET-KEY-1[0-9A-Z]*$' "$T/police.age.key" || fail "no AGE-SECRET-KEY line"
    # age-keygen derives the same recipient from the identity.
    expect_eq "$(age-keygen -y "$T/police.age.key")" "$(cat "$T/police.age.pub")"
    # Nothing is overwritten; no private key inside a case unless forced.
    expect_exit 2 cbkit keygen --age --out "$T/police"
    new_case "$T/case"
    expect_exit 2 cbkit keygen --age --out "$T/case/evidence/k"
    expect_stderr_contains "inside the case"
    [[ ! -e $T/case/evidence/k.age.key ]] || fail "a private key was written inside the case"
    expect_exit 0 cbkit keygen --age --out "$T/case/k" --force
}

test_seal_to_recipients_then_age_decrypts() {
    need_age
    setup
    printf '# the second officer\n\n  %s  \n' "$P2" >"$T/recipients.txt"
    mkdir -p "$T/out"
    expect_exit 0 cbkit --case "$C" seal --key "$T/keys/examiner.key" --out "$T/out/x.tar.zst.age" --recipient "$P1" \
        --recipient-file "$T/recipients.txt" --json
    expect_jq '.archive.encrypted_to == ["'"$P1"'", "'"$P2"'"]' '.archive.path | endswith(".tar.zst.age")'
    local head
    head=$(jout '.head')
    local receipt="$T/out/x.tar.zst.age.receipt.txt"
    expect_eq "$(receipt_field "$receipt" encrypted-to)" "$P1"$'\n'"$P2"
    expect_eq "$(receipt_field "$receipt" archive-sha256)" "$(sha_of "$T/out/x.tar.zst.age")"
    ! grep -q 'AGE-SECRET-KEY' "$receipt" || fail "a secret in the receipt"
    # Both recipients decrypt with the standard tool; the clear archive is the receipt's.
    age -d -i "$T/keys/p1.age.key" -o "$T/clear1.tar.zst" "$T/out/x.tar.zst.age"
    age -d -i "$T/keys/p2.age.key" -o "$T/clear2.tar.zst" "$T/out/x.tar.zst.age"
    cmp "$T/clear1.tar.zst" "$T/clear2.tar.zst"
    expect_eq "$(sha_of "$T/clear1.tar.zst")" "$(receipt_field "$receipt" clear-archive-sha256)"
    mkdir "$T/x"
    bsdtar -xf "$T/clear1.tar.zst" -C "$T/x"
    grep -q "^Cbkit-Encrypted-To: $P1\$" "$T"/x/*/bag-info.txt || fail "bag-info does not list P1"
    grep -q "^Cbkit-Encrypted-To: $P2\$" "$T"/x/*/bag-info.txt || fail "bag-info does not list P2"
    grep -q 'age -d -i' "$T"/x/*/seal/VERIFY.txt || fail "VERIFY.txt does not say how to decrypt with age"
    # cbkit verifies it in one pass with either identity, and the clear copy too.
    expect_exit 0 cbkit verify "$T/out/x.tar.zst.age" --identity "$T/keys/p2.age.key" --pubkey "$T/keys/examiner.pub" \
        --expect-head "$head" --json
    expect_jq '.ok == true' '.bag.signature_ok == true' '.bag.format | endswith("+age")'
    expect_verify_ok "$T/clear1.tar.zst" --pubkey "$T/keys/examiner.pub"
    # cbkit decrypt gives the same clear archive and never overwrites.
    expect_exit 0 cbkit decrypt "$T/out/x.tar.zst.age" --identity "$T/keys/p1.age.key" --out "$T/clear3.tar.zst"
    cmp "$T/clear1.tar.zst" "$T/clear3.tar.zst"
    expect_exit 2 cbkit decrypt "$T/out/x.tar.zst.age" --identity "$T/keys/p1.age.key" --out "$T/clear3.tar.zst"
    # The encrypted file needs a key to be verified.
    expect_exit 2 cbkit verify "$T/out/x.tar.zst.age"
    expect_stderr_contains "--identity"
}

test_every_format_encrypts() {
    need_age
    setup
    mkdir -p "$T/out"
    local f
    expect_exit 0 cbkit --case "$C" seal --key "$T/keys/examiner.key" --out "$T/out/s.tar.age" --recipient "$P1"
    for f in tar.gz zip; do
        expect_exit 0 cbkit --case "$C" pack --key "$T/keys/examiner.key" --out "$T/out/p.$f.age" --recipient "$P2"
        expect_verify_ok "$T/out/p.$f.age" --identity "$T/keys/p2.age.key"
        age -d -i "$T/keys/p2.age.key" -o "$T/p.$f" "$T/out/p.$f.age"
        expect_verify_ok "$T/p.$f"
    done
    expect_verify_ok "$T/out/s.tar.age" --identity "$T/keys/p1.age.key"
}

test_name_and_option_rules() {
    setup
    mkdir -p "$T/out"
    local k=(--key "$T/keys/examiner.key")
    expect_exit 2 cbkit --case "$C" seal "${k[@]}" --out "$T/out/a.tar.zst.age"
    expect_stderr_contains "needs --recipient"
    expect_exit 2 cbkit --case "$C" seal "${k[@]}" --out "$T/out/a.tar.zst" --recipient "$P1"
    expect_stderr_contains "ends with .age"
    printf 'pw\n' >"$T/pw"
    expect_exit 2 cbkit --case "$C" seal "${k[@]}" --out "$T/out/a.tar.zst.age" --recipient "$P1" --passphrase-file "$T/pw"
    expect_exit 2 cbkit --case "$C" seal "${k[@]}" --out "$T/out/a.tar.zst.age" --recipient age1notarecipient
    expect_exit 2 cbkit --case "$C" seal "${k[@]}" --out "$T/out/a.tar.zst.age" --recipient "$(cat "$T/keys/p1.age.key" | tail -n1)"
    printf 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\nnonsense\n' >"$T/r.txt"
    expect_exit 2 cbkit --case "$C" seal "${k[@]}" --out "$T/out/a.tar.zst.age" --recipient-file "$T/r.txt"
    expect_stderr_contains "line 2"
    # None of these recorded anything.
    expect_eq "$(manifest_lines "$C")" 3
    [[ -z $(ls "$T/out") ]] || fail "a refused seal left files: $(ls "$T/out")"
}

# age -r / age -p encrypt, cbkit decrypts: empty, exactly 64 KiB, 64 KiB + 1, several recipients.
test_age_encrypts_cbkit_decrypts() {
    need_age
    setup
    local n
    for n in 0 1 65536 65537 200000; do
        mkrandom "$T/in/p$n" "$n"
        age -r "$P1" -r "$P2" -o "$T/p$n.age" "$T/in/p$n"
        expect_exit 0 cbkit decrypt "$T/p$n.age" --identity "$T/keys/p2.age.key" --out "$T/p$n.out"
        cmp "$T/in/p$n" "$T/p$n.out"
        expect_exit 0 cbkit decrypt "$T/p$n.age" --identity "$T/keys/p1.age.key" --out "$T/p$n.out1"
        cmp "$T/in/p$n" "$T/p$n.out1"
    done
    # An identity file from age-keygen, with its comment lines.
    age-keygen -o "$T/ak.txt" 2>/dev/null
    age -r "$(age-keygen -y "$T/ak.txt")" -o "$T/ak.age" "$T/in/p65537"
    expect_exit 0 cbkit decrypt "$T/ak.age" --identity "$T/ak.txt" --out "$T/ak.out"
    cmp "$T/in/p65537" "$T/ak.out"
}

test_passphrase_both_ways() {
    need_age
    setup
    printf 'correct horse battery\n' >"$T/pw"
    mkdir -p "$T/out"
    expect_exit 0 cbkit --case "$C" seal --key "$T/keys/examiner.key" --out "$T/out/pw.tar.zst.age" --passphrase-file "$T/pw"
    head -2 "$T/out/pw.tar.zst.age" | grep -q '^-> scrypt ' || fail "no scrypt stanza"
    expect_verify_ok "$T/out/pw.tar.zst.age" --passphrase-file "$T/pw"
    printf 'wrong\n' >"$T/wrong"
    verify_json "$T/out/pw.tar.zst.age" --passphrase-file "$T/wrong"
    expect_eq "$LAST_RC" 1
    expect_finding archive-age-no-match
    # age reads a passphrase only from a terminal: give it one.
    command -v python3 >/dev/null || skip "python3 is needed to drive age's passphrase prompt"
    timeout 120 python3 "$AGE_PTY" 'correct horse battery' age -d -o "$T/pw.tar.zst" "$T/out/pw.tar.zst.age" >/dev/null
    expect_verify_ok "$T/pw.tar.zst"
    mkrandom "$T/in/q" 70000
    timeout 120 python3 "$AGE_PTY" 'correct horse battery' age -e -p -o "$T/q.age" "$T/in/q" >/dev/null
    expect_exit 0 cbkit decrypt "$T/q.age" --passphrase-file "$T/pw" --out "$T/q.out"
    cmp "$T/in/q" "$T/q.out"
}

test_tampering_is_caught() {
    need_age
    setup
    mkdir -p "$T/out"
    expect_exit 0 cbkit --case "$C" seal --key "$T/keys/examiner.key" --out "$T/out/t.tar.zst.age" --recipient "$P1" --recipient "$P2"
    local a="$T/out/t.tar.zst.age" size hdr
    size=$(size_of "$a")
    hdr=$(($(grep -abo -- '--- ' "$a" | head -1 | cut -d: -f1) + 48))
    local pos
    # version line, a stanza argument, a stanza body, the MAC, the nonce, chunk 0, chunk 1, the last byte
    for pos in 3 30 80 $((hdr - 10)) $((hdr + 3)) $((hdr + 1000)) $((hdr + 16 + 65552 + 7)) $((size - 1)); do
        python3 -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); d[int(sys.argv[3])]^=0x20; open(sys.argv[2],'wb').write(d)" \
            "$a" "$T/bad.age" "$pos"
        verify_json "$T/bad.age" --identity "$T/keys/p1.age.key"
        [[ $LAST_RC == 1 ]] || fail "a flipped byte at $pos was not caught (exit $LAST_RC)"
        expect_jq '[.findings[] | select(.code | startswith("archive-age-"))] | length >= 1'
        expect_exit 3 cbkit decrypt "$T/bad.age" --identity "$T/keys/p1.age.key" --out "$T/bad.out"
        [[ ! -e $T/bad.out ]] || fail "decrypt left a file for a tampered archive"
    done
    # Truncated at a chunk boundary and inside a chunk, data appended, chunks swapped.
    head -c $((hdr + 16 + 65552)) "$a" >"$T/cut.age"
    verify_json "$T/cut.age" --identity "$T/keys/p1.age.key"
    expect_finding archive-age-truncated
    head -c $((size - 100)) "$a" >"$T/cut2.age"
    verify_json "$T/cut2.age" --identity "$T/keys/p1.age.key"
    expect_eq "$LAST_RC" 1
    { cat "$a"; printf 'x'; } >"$T/long.age"
    verify_json "$T/long.age" --identity "$T/keys/p1.age.key"
    expect_finding archive-age-payload
    python3 - "$a" "$T/swap.age" "$hdr" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
p = int(sys.argv[3]) + 16
k = 65552
open(sys.argv[2], "wb").write(d[:p] + d[p + k:p + 2 * k] + d[p:p + k] + d[p + 2 * k:])
EOF
    verify_json "$T/swap.age" --identity "$T/keys/p1.age.key"
    expect_finding archive-age-payload
    expect_jq '[.findings[] | select(.message | test("swapped"))] | length >= 1'
}

test_wrong_identity_names_the_recipients() {
    need_age
    setup
    mkdir -p "$T/out"
    expect_exit 0 cbkit --case "$C" seal --key "$T/keys/examiner.key" --out "$T/out/w.tar.zst.age" --recipient "$P1" --recipient "$P2"
    expect_exit 0 cbkit keygen --age --out "$T/keys/other"
    verify_json "$T/out/w.tar.zst.age" --identity "$T/keys/other.age.key"
    expect_eq "$LAST_RC" 1
    expect_finding archive-age-no-match
    expect_jq '[.findings[] | select(.message | test("2 X25519 recipients"))] | length == 1'
    expect_jq '[.findings[] | select(.message | contains("'"$(cat "$T/keys/other.age.pub")"'"))] | length == 1'
    expect_exit 3 cbkit decrypt "$T/out/w.tar.zst.age" --identity "$T/keys/other.age.key" --out "$T/w.tar.zst"
    expect_stderr_contains "none matched"
    [[ ! -e $T/w.tar.zst ]] || fail "decrypt wrote a file without a matching identity"
    # age agrees that the other identity cannot open it.
    ! age -d -i "$T/keys/other.age.key" -o /dev/null "$T/out/w.tar.zst.age" 2>/dev/null || fail "age opened it with the wrong key"
}

# No clear-text archive ever reaches the disk: every file that appears in the output folder
# while seal runs starts as an age file.
test_no_cleartext_temporary_file() {
    need_age
    setup
    mkrandom "$T/in/big.bin" 20000000
    add "$T/in/big.bin"
    mkdir -p "$T/out"
    python3 - "$T/out" "$T/watch.log" <<'EOF' &
import os, sys, time
out, log = sys.argv[1], sys.argv[2]
bad = []
end = time.time() + 60
seen = set()
while time.time() < end and not os.path.exists(os.path.join(out, "done")):
    for n in os.listdir(out):
        p = os.path.join(out, n)
        try:
            with open(p, "rb") as f:
                head = f.read(19)
        except OSError:
            continue
        seen.add(n)
        # the receipt (and its temporary file) is text; an archive starts as age at once
        if ".receipt.txt" in n or n == "done" or head == b"":
            continue
        if not b"age-encryption.org/".startswith(head) and head != b"age-encryption.org/":
            bad.append(n)
    time.sleep(0.005)
open(log, "w").write("seen " + " ".join(sorted(seen)) + "\nbad " + " ".join(bad) + "\n")
EOF
    local watcher=$!
    expect_exit 0 cbkit --case "$C" seal --key "$T/keys/examiner.key" --out "$T/out/n.tar.zst.age" --recipient "$P1"
    touch "$T/out/done"
    wait "$watcher"
    grep -q '^bad $' "$T/watch.log" || fail "a clear-text file appeared: $(cat "$T/watch.log")"
    expect_eq "$(ls "$T/out" | sort | tr '\n' ' ')" "done n.tar.zst.age n.tar.zst.age.receipt.txt "
    expect_verify_ok "$T/out/n.tar.zst.age" --identity "$T/keys/p1.age.key"
}

run_tests "$@"
