#!/usr/bin/env bash
# Text from a case, an e-mail or a derived file is untrusted: show, log and verify print it
# through one sanitizer (no terminal control reaches stdout) and show survives a
# headers.json or a line whose fields are missing or of the wrong type.
source "$(dirname "$0")/lib.sh"

# no_controls FILE -- FILE has no byte < 0x20 but LF and TAB, no DEL, no C1 control
# (U+0080-U+009F) and no bidirectional formatting character.
no_controls() {
    python3 - "$1" <<'PY' || _fail_with_outputs "$1 holds a terminal control character"
import re, sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8", "replace")
bad = re.search("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", text)
if bad:
    sys.stderr.write("control U+%04X at %d\n" % (ord(bad.group()), bad.start()))
    sys.exit(1)
PY
}

# An e-mail whose attachment name (RFC 2047) carries ESC, BEL and a direction override.
mkmail() {
    local enc
    enc=$(printf 'x\033[2J\033[32mverify: OK\007\xe2\x80\xaegnp.exe' | base64 -w0)
    mkdir -p "$T/in"
    cat >"$T/in/m.eml" <<MAIL
From: Mallory <mallory@example.org>
To: Alice <alice@example.org>
Subject: =?utf-8?B?$(printf 'hi\033]0;title\007 there' | base64 -w0)?=
Date: Mon, 2 Mar 2026 10:00:00 +0000
Message-ID: <m1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

body
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="=?utf-8?B?$enc?="
Content-Transfer-Encoding: base64

aGVsbG8=
--b--
MAIL
}

setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    mkmail
    expect_exit 0 cbkit --case "$C" add-email "$T/in/m.eml"
    no_controls "$OUT"
    note $'\e[2J\e[32mverify: OK\e[0m\a \xc2\x9b31m \xe2\x80\xaeevil'
    no_controls "$OUT"
}

test_show_and_log_print_no_controls() {
    setup
    local seq
    for seq in 1 2; do
        expect_exit 0 cbkit --case "$C" show "$seq"
        no_controls "$OUT"
        no_controls "$ERR"
    done
    expect_stdout_contains "verify: OK" # the text is shown, only its controls are not
    expect_exit 0 cbkit --case "$C" log
    no_controls "$OUT"
    # the attachment is stored under a name without the override; its record keeps it
    local name path
    name=$(jline "$C" 1 '[.files[] | select(.role == "attachment")][0].name')
    path=$(jline "$C" 1 '[.files[] | select(.role == "attachment")][0].path')
    [[ $name == *$'\xe2\x80\xae'* ]] || fail "the attachment record lost its original name: $name"
    [[ $path != *$'\xe2\x80\xae'* && $path != *$'\e'* ]] || fail "stored attachment name keeps a control: $path"
    # verify names the tampered file (whose path holds no control) without printing one
    chmod -R u+w "$C/evidence"
    printf 'x' >>"$C/$path"
    expect_exit 1 cbkit --case "$C" verify
    no_controls "$OUT"
}

test_add_file_replaces_direction_overrides() {
    C="$T/case"
    new_case "$C" --timezone UTC
    local f=$'x\xe2\x80\xaegnp.exe'
    mkfile "$T/in/$f" "payload"
    add "$T/in/$f"
    no_controls "$OUT"
    local name path
    name=$(jline "$C" 1 '.files[0].name')
    path=$(jline "$C" 1 '.files[0].path')
    expect_eq "$name" "$f" "recorded original name"
    [[ $path != *$'\xe2\x80\xae'* ]] || fail "stored name keeps U+202E: $path"
    [[ $path == *x_gnp.exe ]] || fail "stored name is '$path', not ..._x_gnp.exe-like"
    [[ -f $C/$path ]] || fail "no stored file $path"
    expect_exit 0 cbkit --case "$C" show 1
    no_controls "$OUT"
}

# replace_headers JSON -- write JSON as entry 1's headers.json and record its new hash and
# size in the line (the chain then breaks: verify fails, show must still print).
replace_headers() {
    local i path
    i=$(jline "$C" 1 '[.files[].role] | index("headers")')
    path=$(jline "$C" 1 ".files[$i].path")
    chmod -R u+w "$C/evidence"
    printf '%s' "$1" >"$C/$path"
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 "files.$i.sha256" "\"$(sha_of "$C/$path")\""
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 "files.$i.size" "$(size_of "$C/$path")"
}

# show_survives -- show 1 exits 0 (or 4, with a message), never 70 or a signal.
show_survives() {
    local rc=0
    cbkit --case "$C" show 1 >"$OUT" 2>"$ERR" || rc=$?
    [[ $rc == 0 || $rc == 4 ]] || _fail_with_outputs "show 1 exited $rc on $1"
    [[ $rc == 0 ]] || [[ -s $ERR ]] || _fail_with_outputs "show 1 exited $rc without a message on $1"
    no_controls "$OUT"
}

test_show_survives_bad_headers_json() {
    setup
    replace_headers '{}'
    show_survives "an empty headers.json"
    expect_stdout_contains "ANOMALIES (0)"
    expect_stdout_contains "Subject:      -"
    replace_headers '{"summary": 5, "received": "x", "dkim": [1, null], "anomalies": {"a": 1}, "authentication_results": [{"methods": 3}]}'
    show_survives "a headers.json of the wrong types"
    replace_headers '{"summary": {"subject": 5, "from": [7, {"address": []}], "date": {"utc": 1}, "origin": {"provider": {"name": null}, "identifiers": 2}}, "received": [{"from": 1, "delay_seconds": 1.5, "date": "x"}, 3], "dkim": [{"time": {"delivered_at": 1}}]}'
    show_survives "a headers.json with ill-typed fields"
    expect_stdout_contains "Subject:      (not a string)"
    replace_headers '[1, 2]'
    show_survives "a headers.json that is an array"
    expect_exit 1 cbkit --case "$C" verify
}

test_show_survives_non_string_kind() {
    setup
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 kind 7
    show_survives "a line whose kind is a number"
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 kind '{"a": "email"}'
    show_survives "a line whose kind is an object"
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 files '"x"'
    show_survives "a line whose files is a string"
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 kind '"email"'
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 files '[1, {"role": "headers", "path": 5}]'
    show_survives "an email line whose files are ill-typed"
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 actor '"x"'
    python3 "$MTOOL" set "$C/manifest.jsonl" 1 tool '[1]'
    show_survives "a line whose actor and tool are not objects"
    expect_exit 0 cbkit --case "$C" log
    no_controls "$OUT"
}

run_tests "$@"
