#!/usr/bin/env bash
# cbkit add-email: the shared corpus, headers.json, DKIM, mbox, stdin, folders,
# attachments with hostile names, and bad input (empty, not an e-mail, 200 MB, huge
# headers, deep MIME nesting, bad arguments).
#
# The corpora live in ../shared/corpora beside the project (CBKIT_CORPORA overrides).
source "$(dirname "$0")/lib.sh"

CORPORA=${CBKIT_CORPORA:-$TESTS_DIR/../../../shared/corpora}
EMAIL_CORPUS="$CORPORA/email"
DKIM_CORPUS="$CORPORA/dkim-dkimpy"

need_corpus() {
    [[ -d $EMAIL_CORPUS && -d $DKIM_CORPUS ]] || skip "corpora not found at $CORPORA (set CBKIT_CORPORA)"
    EMAIL_CORPUS=$(realpath "$EMAIL_CORPUS")
    DKIM_CORPUS=$(realpath "$DKIM_CORPUS")
}

setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
}

# add_email ARGS... (in case $C) -- add-email that must succeed.
add_email() {
    expect_exit 0 cbkit --case "$C" add-email "$@"
}

# entry_dir SEQ -- the entry's folder (absolute), from original.eml's recorded path.
entry_dir() {
    echo "$C/$(jline "$C" "$1" '.files[0].path | sub("/original.eml$"; "")')"
}

# headers_json SEQ -- path of the entry's headers.json
headers_json() {
    echo "$(entry_dir "$1")/headers.json"
}

# expect_anomaly SEQ CODE... -- headers.json and the manifest summary both list CODE.
expect_anomaly() {
    local seq=$1 code
    shift
    for code in "$@"; do
        expect_jq_file "$(headers_json "$seq")" "[.anomalies[].code] | index(\"$code\") != null"
        expect_line_jq "$C" "$seq" ".email.anomalies | index(\"$code\") != null"
    done
}

# expect_no_anomaly SEQ CODE...
expect_no_anomaly() {
    local seq=$1 code
    shift
    for code in "$@"; do
        expect_jq_file "$(headers_json "$seq")" "[.anomalies[].code] | index(\"$code\") == null"
    done
}

# expect_original SEQ FILE -- entry SEQ is an email entry whose original.eml is
# byte-identical to FILE, recorded with FILE's sha256 and size; headers.json names
# the same hash.
expect_original() {
    local seq=$1 file=$2 sha path
    sha=$(sha_of "$file")
    path=$(jline "$C" "$seq" '.files[0].path')
    [[ $path =~ ^evidence/[0-9]{6}-email/original\.eml$ ]] || fail "entry $seq: first file is '$path', not .../original.eml"
    cmp -s "$C/$path" "$file" || fail "entry $seq: $path differs from $file"
    expect_line_jq "$C" "$seq" '.kind == "email"' '.files[0].role == "original"' \
        ".files[0].sha256 == \"$sha\"" ".files[0].size == $(size_of "$file")"
    expect_jq_file "$C/$(jline "$C" "$seq" '.files[] | select(.role == "headers") | .path')" \
        ".message.sha256 == \"$sha\"" ".message.size == $(size_of "$file")"
}

# expect_all_sources_preserved FIRST_SEQ -- every entry from FIRST_SEQ on is an email
# entry whose original.eml equals the file named by its source_path (one jq run).
expect_all_sources_preserved() {
    local first=$1 seq path sha src n=0
    while IFS=$'\t' read -r seq path sha src; do
        [[ -f $src ]] || fail "entry $seq: source_path '$src' is not a file"
        cmp -s "$C/$path" "$src" || fail "entry $seq: $path differs from its source $src"
        [[ $sha == "$(sha_of "$src")" ]] || fail "entry $seq: recorded sha256 $sha is not sha256sum of $src"
        n=$((n + 1))
    done < <(jq -r "select(.seq >= $first) | [.seq, .files[0].path, .files[0].sha256, .files[0].source_path] | @tsv" "$C/manifest.jsonl")
    CHECKED=$n
}

# ---------------------------------------------------------------- message builders

# mkmsg FILE [EXTRA HEADER LINES...] -- a small valid LF message; extra header lines
# (complete "Name: value" strings) come first.
mkmsg() {
    local f=$1 h
    shift
    mkdir -p "$(dirname "$f")"
    {
        for h in "$@"; do printf '%s\n' "$h"; done
        printf '%s\n' \
            'Received: from mail.sender.example (mail.sender.example [81.2.69.160])' \
            '	by mx.victim.example (Postfix) with ESMTPS id 4AbCd; Fri, 20 Nov 2026 21:14:05 +0100 (CET)' \
            'From: Troll <troll@sender.example>' \
            'To: Victim <victim@victim.example>' \
            'Subject: hello' \
            'Date: Fri, 20 Nov 2026 21:14:00 +0100' \
            'Message-ID: <1@sender.example>' \
            '' \
            'body line'
    } >"$f"
}

# sign_dkim IN OUT DOMAIN SELECTOR PRIVATE_KEY -- DKIM-sign IN (rsa-sha256,
# relaxed/relaxed, h=from:to:subject:date:message-id), prepend the DKIM-Signature
# to OUT keeping IN's line ends. Python stdlib for canonicalization, openssl for RSA.
sign_dkim() {
    "$PY" - "$@" <<'EOF'
import base64, hashlib, re, subprocess, sys
src, dst, domain, selector, key = sys.argv[1:6]
raw = open(src, "rb").read()
nl = b"\r\n" if b"\r\n" in raw.split(b"\n", 1)[0] + b"\n" else b"\n"
data = re.sub(rb"\r?\n", b"\r\n", raw)
head, body = data.split(b"\r\n\r\n", 1) if b"\r\n\r\n" in data else (data, b"")
# relaxed body
lines = [re.sub(rb"[ \t]+", b" ", l).rstrip(b" \t") for l in body.split(b"\r\n")]
while lines and lines[-1] == b"":
    lines.pop()
cbody = b"".join(l + b"\r\n" for l in lines)
bh = base64.b64encode(hashlib.sha256(cbody).digest()).decode()
# header fields (unfolded)
fields = []
for line in head.split(b"\r\n"):
    if line[:1] in (b" ", b"\t") and fields:
        fields[-1] += b"\r\n" + line
    else:
        fields.append(line)
def relaxed(f):
    name, _, value = f.partition(b":")
    value = re.sub(rb"\r\n", b"", value)
    value = re.sub(rb"[ \t]+", b" ", value).strip(b" \t")
    return name.strip().lower() + b":" + value
signed = ["from", "to", "subject", "date", "message-id"]
used = set()
canon = b""
for h in signed:
    for i in range(len(fields) - 1, -1, -1):
        if i not in used and fields[i].split(b":", 1)[0].strip().lower() == h.encode():
            used.add(i)
            canon += relaxed(fields[i]) + b"\r\n"
            break
import os
# DKIM_EXTRA: more tags, e.g. "x=1750000000; " for a signature that expires.
sig = ("v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s; t=1700000000; %sh=%s; bh=%s; b="
       % (domain, selector, os.environ.get("DKIM_EXTRA", ""), ":".join(signed), bh))
canon += relaxed(b"DKIM-Signature: " + sig.encode())
b = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=canon,
                   capture_output=True, check=True).stdout
header = "DKIM-Signature: " + sig + base64.b64encode(b).decode()
open(dst, "wb").write(header.encode() + nl + raw)
EOF
}

# flip_body_byte IN OUT -- copy IN with the first 'T' of the body changed to 't'.
flip_body_byte() {
    "$PY" - "$1" "$2" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
sep = d.find(b"\n\n") + 2
i = d.index(b"T", sep)
open(sys.argv[2], "wb").write(d[:i] + b"t" + d[i + 1:])
EOF
}

# ---------------------------------------------------------------- the corpus

test_corpus_whole_folder() {
    need_corpus
    setup
    local neml
    neml=$(find "$EMAIL_CORPUS" -type f -iname '*.eml' | wc -l)
    ((neml >= 100)) || fail "expected the corpus to hold at least 100 .eml files, found $neml"
    # one command for the whole folder: every .eml below it, and the other files that
    # start like a message (cbkit-add-email(1), Folders)
    add_email "$EMAIL_CORPUS"
    local stored
    stored=$(($(manifest_lines "$C") - 1))
    expect_receipt "$C" "$stored"
    expect_all_sources_preserved 1
    expect_eq "$CHECKED" "$stored" "entries checked"
    jq -r 'select(.seq >= 1) | .files[0].source_path' "$C/manifest.jsonl" | LC_ALL=C sort >"$T/stored.txt"
    # every .eml is there; the other files taken start with "From " or a field name
    comm -23 <(find "$EMAIL_CORPUS" -type f -iname '*.eml' | LC_ALL=C sort) "$T/stored.txt" >"$T/missing.txt"
    [[ ! -s $T/missing.txt ]] || fail "corpus .eml files not stored: $(head -3 "$T/missing.txt")"
    local f
    while IFS= read -r f; do
        [[ $f == *.[eE][mM][lL] ]] && continue
        head -c 256 "$f" | grep -qaE '^(From |[A-Za-z0-9-]+:)' || fail "$f was taken from the folder but does not start like a message"
    done <"$T/stored.txt"
    # spamscope's mail_* files not taken from the folder (the Outlook .msg) are added by name
    local others=()
    mapfile -t others < <(comm -23 <(find "$EMAIL_CORPUS" -type f -name 'mail_*' | LC_ALL=C sort) "$T/stored.txt")
    if ((${#others[@]})); then
        add_email "${others[@]}"
        expect_receipt "$C" $((stored + ${#others[@]}))
        expect_all_sources_preserved $((stored + 1))
        expect_eq "$CHECKED" "${#others[@]}" "entries checked (files added by name)"
    fi
    local want=$((stored + ${#others[@]}))
    expect_eq "$(find "$EMAIL_CORPUS" -type f \( -iname '*.eml' -o -name 'mail_*' \) | wc -l)" \
        "$(jq -r 'select(.seq >= 1) | .files[0].source_path' "$C/manifest.jsonl" | grep -cE '(\.[eE][mM][lL]|/mail_[^/]*)$')" \
        "every .eml and mail_* file of the corpus stored"
    # every entry has a headers.json that is JSON with the documented top-level keys
    local seq hj
    for ((seq = 1; seq <= want; seq++)); do
        hj=$(jline "$C" "$seq" '.files[] | select(.role == "headers") | .path')
        [[ -n $hj ]] || fail "entry $seq has no headers.json"
    done
    jq -s -e 'all(.[]; .kind == "case" or .kind == "email")' "$C/manifest.jsonl" >/dev/null || fail "unexpected entry kinds"
    for hj in "$C"/evidence/*-email/headers.json; do
        jq -e 'has("headers") and has("received") and has("anomalies") and has("dkim") and has("summary")' "$hj" >/dev/null ||
            fail "$hj lacks the documented keys"
    done
    expect_chain "$C"
    expect_verify_ok "$C"
}

test_corpus_one_by_one() {
    need_corpus
    setup
    local files=(
        "$EMAIL_CORPUS/mikel-mail/plain_emails/basic_email_lf.eml"
        "$EMAIL_CORPUS/mikel-mail/plain_emails/raw_email.eml" # CRLF
        "$EMAIL_CORPUS/mikel-mail/mime_emails/raw_email_encoded_stack_level_too_deep.eml"
        "$EMAIL_CORPUS/mikel-mail/multi_charset/japanese_shift_jis.eml"
        "$EMAIL_CORPUS/mikel-mail/error_emails/encoding_madness.eml"
        "$EMAIL_CORPUS/spamscope-mail-parser/mail_test_17" # CRLF
        "$EMAIL_CORPUS/spamscope-mail-parser/mail_malformed_3"
    )
    local i f
    for i in "${!files[@]}"; do
        f=${files[i]}
        add_email "$f"
        expect_receipt "$C" $((i + 1))
        expect_original $((i + 1)) "$f"
        expect_line_jq "$C" $((i + 1)) '.email.source.type == "file"' ".files[0].source_path == \"$f\""
    done
    # CRLF is kept and reported
    expect_jq_file "$(headers_json 2)" '.message.line_endings == "CRLF"'
    expect_jq_file "$(headers_json 6)" '.message.line_endings == "CRLF"'
    expect_jq_file "$(headers_json 1)" '.message.line_endings == "LF"'
    expect_verify_ok "$C"
}

test_outlook_msg_preserved() {
    need_corpus
    setup
    local msg="$EMAIL_CORPUS/spamscope-mail-parser/mail_outlook_1"
    [[ -f $msg ]] || skip "no Outlook .msg in the corpus"
    add_email "$msg"
    expect_receipt "$C" 1
    expect_original 1 "$msg"
    # an Outlook .msg (OLE compound file) is not an RFC 5322 message: kept byte for
    # byte and flagged
    expect_anomaly 1 not-an-email
    expect_verify_ok "$C"
}

# ---------------------------------------------------------------- headers.json

test_headers_json_known_message() {
    need_corpus
    setup
    local f="$EMAIL_CORPUS/mikel-mail/multi_charset/japanese_attachment_long_name.eml"
    add_email "$f"
    expect_original 1 "$f"
    local hj
    hj=$(headers_json 1)
    local subject
    subject=$(printf 'まみむめも%.0s' {1..10})
    expect_jq_file "$hj" \
        '.format == 1' \
        '.received | length == 4' \
        '.received[0].from == "[192.168.4.253]"' \
        '.received[0].from_ip == "60.241.138.146"' \
        '.received[0].from_tcp_host == "60-241-138-146.static.tpgi.com.au"' \
        '.received[0].by == "mx1.test.lindsaar.net.au"' \
        '.received[0].with == "ESMTPSA"' \
        '.received[0].id == "5C0186DD4CD"' \
        '.received[0].for | test("raasdnil@gmail.com")' \
        '.received[0].date.as_written | startswith("Fri, 30 Oct 2009 19:11:08 +1100")' \
        '.received[0].date.utc == "2009-10-30T08:11:08Z"' \
        '.received[0].date.offset == "+11:00"' \
        '.received[0].tls != null' \
        '.received[1].by == "mx.google.com" and .received[1].from_ip == "210.14.110.240"' \
        '.received[1].date.utc == "2009-10-30T08:11:11Z" and .received[1].date.offset == "-07:00"' \
        '.received[1].delay_seconds == 3' \
        '.received[2].by == "10.150.44.2" and .received[2].delay_seconds == 0' \
        '.received[3].by == "10.231.12.67" and .received[3].delay_seconds == 1' \
        '.received[3].id == "w3cs164325ibw"' \
        '[.received[].header_index] == [7, 4, 2, 1]' \
        '.summary.originating_ip.ip == "60.241.138.146"' \
        "[.headers[] | select(.name == \"Subject\")][0].decoded == \"$subject\"" \
        '[.headers[] | select(.name == "Subject")][0].raw | startswith(" =?utf-8?B?44G+44G/")' \
        '[.headers[] | select(.name == "Subject")][0].raw | test("\n =\\?utf-8")' \
        '[.headers[] | select(.name == "Subject")][0].unfolded | test("\n") | not' \
        "[.headers[].name] == [\"Delivered-To\",\"Received\",\"Received\",\"Return-Path\",\"Received\",\"Received-SPF\",\"Authentication-Results\",\"Received\",\"Subject\",\"From\",\"Content-Type\",\"Message-Id\",\"Date\",\"To\",\"MIME-Version\",\"X-Mailer\"]" \
        '[.headers[].index] == [range(0; 16)]' \
        '.headers[0].raw == " raasdnil@gmail.com" and .headers[0].line == 1 and .headers[0].offset == 0' \
        '.headers[1].line == 2 and .headers[1].offset == 34' \
        '.headers[9].addresses == [{"name":"Mikel Lindsaar","address":"mikel@test.lindsaar.net"}]' \
        '.authentication_results | length == 1' \
        '.authentication_results[0].authserv_id == "mx.google.com"' \
        '.authentication_results[0].methods[0].method == "spf" and .authentication_results[0].methods[0].result == "neutral"' \
        '.authentication_results[0].methods[0].properties["smtp.mail"] == "mikel@test.lindsaar.net"' \
        '.summary.date.utc == "2009-10-30T08:11:02Z"' \
        '.summary.message_id | test("60A112A8-F26C-4E23-95B8-4EB9F139D6A0@test.lindsaar.net")' \
        '.summary.from[0].address == "mikel@test.lindsaar.net"' \
        '.summary.to[0].address == "raasdnil@gmail.com"' \
        '.summary.return_path[0].address == "mikel@test.lindsaar.net"'
    # every header's raw value is exactly the bytes of the file after "Name:"
    local i n off name raw
    n=$(jq '.headers | length' "$hj")
    for ((i = 0; i < n; i++)); do
        off=$(jq ".headers[$i].offset" "$hj")
        name=$(jq -r ".headers[$i].name" "$hj")
        raw=$(jq -j ".headers[$i].raw" "$hj")
        [[ $(tail -c +$((off + 1)) "$f" | head -c $((${#name} + 1 + ${#raw}))) == "$name:$raw" ]] ||
            fail "header $i ($name): raw value is not the file's bytes at offset $off"
    done
    # the manifest summary
    expect_line_jq "$C" 1 \
        ".email.subject == \"$subject\"" \
        '.email.date_utc == "2009-10-30T08:11:02Z"' \
        '.email.date == "Fri, 30 Oct 2009 19:11:02 +1100"' \
        '.email.from == ["mikel@test.lindsaar.net"]' \
        '.email.to == ["raasdnil@gmail.com"]' \
        '.email.originating_ip == "60.241.138.146"' \
        '.email.attachment_count == 1' \
        '.email.message_id != null' \
        '.email.dkim == []' \
        '.email.anomalies | type == "array"'
    # the attachment's RFC 2231 / RFC 2047 name is decoded and recorded
    expect_line_jq "$C" 1 '[.files[] | select(.role == "attachment")] | length == 1' \
        "[.files[] | select(.role == \"attachment\")][0].name == \"$(printf 'かきくけこ%.0s' {1..5}).txt\""
    expect_verify_ok "$C"
}

test_error_emails_anomalies() {
    need_corpus
    setup
    local d="$EMAIL_CORPUS/mikel-mail"
    add_email "$d/error_emails/bad_date_header.eml"                 # 1: "Date: " (empty)
    add_email "$d/error_emails/bad_date_header2.eml"                # 2: "Wed, 15 Dec 2010    59:10 -0500"
    add_email "$d/plain_emails/raw_email_with_bad_date.eml"         # 3: "Pn, 29 paX 2007 ..."
    add_email "$d/plain_emails/raw_email_bad_time.eml"              # 4: year 3609
    add_email "$d/error_emails/bad_subject.eml"                     # 5: no Message-ID
    add_email "$d/rfc2822/example01.eml"                            # 6: a clean message
    expect_anomaly 1 date-unparsable
    expect_anomaly 2 date-unparsable
    expect_anomaly 3 date-unparsable
    expect_anomaly 4 date-in-future
    expect_anomaly 5 missing-message-id
    expect_jq_file "$(headers_json 1)" '.summary.date.valid == false'
    expect_jq_file "$(headers_json 4)" '.summary.date.valid == true and (.summary.date.utc | startswith("3609-06-30"))'
    expect_no_anomaly 6 date-unparsable missing-message-id missing-date duplicate-header date-in-future
    expect_line_jq "$C" 6 '.email.date_utc == "1997-11-21T15:55:06Z"' '.email.subject == "Saying Hello"'
    # each anomaly has a code and a sentence
    expect_jq_file "$(headers_json 1)" 'all(.anomalies[]; (.code | test("^[a-z0-9-]+$")) and (.message | length > 10))'
    expect_verify_ok "$C"
}

test_anomaly_rules() {
    setup
    # time travel: the newer hop (top) is dated before the older one
    {
        printf '%s\n' 'Received: from b.example (b.example [81.2.69.143]) by c.example; Fri, 20 Nov 2026 20:00:00 +0000' \
            'Received: from a.example (a.example [81.2.69.142]) by b.example; Fri, 20 Nov 2026 21:00:00 +0000' \
            'From: x@a.example' 'To: y@c.example' 'Subject: travel' 'Date: Fri, 20 Nov 2026 20:59:00 +0000' \
            'Message-ID: <t@a.example>' '' 'x'
    } >"$T/travel.eml"
    add_email "$T/travel.eml" # 1
    expect_anomaly 1 received-time-travel
    expect_jq_file "$(headers_json 1)" '.received[1].delay_seconds == -3600' '.summary.originating_ip.ip == "81.2.69.142"'
    # Date far in the future; Date far from the first hop
    {
        printf '%s\n' 'Received: from a.example (a.example [81.2.69.142]) by b.example; Fri, 20 Nov 2020 21:00:00 +0000' \
            'From: x@a.example' 'To: y@c.example' 'Subject: future' 'Date: Sat, 01 Jan 2050 00:00:00 +0000' \
            'Message-ID: <f@a.example>' '' 'x'
    } >"$T/future.eml"
    add_email "$T/future.eml" # 2
    expect_anomaly 2 date-in-future date-far-from-first-hop
    # missing Date and Message-ID; duplicated single-instance headers
    printf '%s\n' 'From: x@a.example' 'From: z@b.example' 'To: y@c.example' 'Subject: one' 'Subject: two' '' 'x' >"$T/dup.eml"
    add_email "$T/dup.eml" # 3
    expect_anomaly 3 missing-date missing-message-id duplicate-header
    expect_jq_file "$(headers_json 3)" '.summary.from[0].address == "x@a.example"' '.summary.subject == "one"'
    # From domain differs from Return-Path and Reply-To
    mkmsg "$T/mismatch.eml" 'Return-Path: <bounce@other.example>' 'Reply-To: <reply@third.example>'
    add_email "$T/mismatch.eml" # 4
    expect_anomaly 4 from-return-path-domain-mismatch from-reply-to-domain-mismatch
    # an undecodable charset
    mkmsg "$T/charset.eml" 'X-Note: =?x-no-such-charset?Q?abc?='
    add_email "$T/charset.eml" # 5
    expect_anomaly 5 undecodable-charset
    # a clean message has none of these
    mkmsg "$T/clean.eml"
    add_email "$T/clean.eml" # 6
    expect_no_anomaly 6 received-time-travel date-in-future date-far-from-first-hop missing-date missing-message-id \
        duplicate-header from-return-path-domain-mismatch from-reply-to-domain-mismatch undecodable-charset
    expect_jq_file "$(headers_json 6)" '.received[0].from_ip == "81.2.69.160"' '.received[0].tls | test("ESMTPS")' \
        '.summary.originating_ip.ip == "81.2.69.160"' '.received[0].date.utc == "2026-11-20T20:14:05Z"'
    expect_verify_ok "$C"
}

# ---------------------------------------------------------------- DKIM

# make the signed message and its key file: $T/signed.eml, $T/key.txt
make_signed() {
    cp "$DKIM_CORPUS/test.txt" "$T/key.txt"
    sign_dkim "$DKIM_CORPUS/test.message" "$T/signed.eml" example.com test "$DKIM_CORPUS/test.private"
}

test_dkim_pass() {
    need_corpus
    setup
    make_signed
    add_email "$T/signed.eml" --dkim-key "example.com:test=$T/key.txt"
    expect_original 1 "$T/signed.eml"
    expect_jq_file "$(headers_json 1)" \
        '.dkim | length == 1' \
        '.dkim[0].domain == "example.com" and .dkim[0].selector == "test"' \
        '.dkim[0].algorithm == "rsa-sha256"' \
        '.dkim[0].canonicalization == "relaxed/relaxed"' \
        '.dkim[0].signed_headers == ["from","to","subject","date","message-id"]' \
        '.dkim[0].body_hash == "pass"' \
        '.dkim[0].signature == "pass"' \
        '.dkim[0].key_source | test("key.txt")' \
        '[.anomalies[].code] | map(select(startswith("dkim"))) == []'
    expect_line_jq "$C" 1 '.email.dkim == [{"domain":"example.com","selector":"test","body_hash":"pass","signature":"pass"}]'
    expect_verify_ok "$C"
}

test_dkim_body_byte_changed() {
    need_corpus
    setup
    make_signed
    flip_body_byte "$T/signed.eml" "$T/tampered.eml"
    cmp -s "$T/signed.eml" "$T/tampered.eml" && fail "the tampered copy is identical"
    add_email "$T/tampered.eml" --dkim-key "example.com:test=$T/key.txt"
    expect_original 1 "$T/tampered.eml"
    # the body result is reported on its own (the signed headers, bh= included, are intact)
    expect_jq_file "$(headers_json 1)" '.dkim[0].body_hash == "fail"' '.dkim[0].signature == "pass" or .dkim[0].signature == "fail"'
    expect_anomaly 1 dkim-body-hash-fail
    expect_verify_ok "$C"
}

test_dkim_signed_header_changed() {
    need_corpus
    setup
    make_signed
    sed 's/^Subject: Testing$/Subject: Testinh/' "$T/signed.eml" >"$T/tampered.eml"
    cmp -s "$T/signed.eml" "$T/tampered.eml" && fail "the tampered copy is identical"
    add_email "$T/tampered.eml" --dkim-key "example.com:test=$T/key.txt"
    expect_jq_file "$(headers_json 1)" '.dkim[0].body_hash == "pass"' '.dkim[0].signature == "fail"'
    expect_anomaly 1 dkim-signature-fail
    expect_no_anomaly 1 dkim-body-hash-fail
    expect_verify_ok "$C"
}

test_dkim_no_key_unverified() {
    need_corpus
    setup
    make_signed
    add_email "$T/signed.eml"
    expect_jq_file "$(headers_json 1)" '.dkim[0].signature == "unverified"' '.dkim[0].key_source == "no key"' \
        '.dkim[0].body_hash == "pass"'
    expect_no_anomaly 1 dkim-signature-fail dkim-body-hash-fail
    # a key for another selector is no key for this signature: still not "fail"
    add_email "$T/signed.eml" --dkim-key "example.com:other=$T/key.txt"
    expect_jq_file "$(headers_json 2)" '.dkim[0].signature == "unverified"'
    # the corpus's message.mbox (a single signed message, kitterman.com) without a key
    add_email "$DKIM_CORPUS/message.mbox"
    expect_original 3 "$DKIM_CORPUS/message.mbox"
    expect_jq_file "$(headers_json 3)" '.dkim | length >= 1' '.dkim[0].domain == "kitterman.com"' \
        'all(.dkim[]; .signature == "unverified")'
    expect_verify_ok "$C"
}

# rfc6376.signed.msg: the RFC 8463 example, signed with ed25519-sha256 (selector
# brisbane, key from RFC 8463 appendix A) and rsa-sha256 (selector test = test.txt).
test_dkim_rfc8463_ed25519_and_rsa() {
    need_corpus
    setup
    printf 'v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n' >"$T/brisbane.txt"
    add_email "$DKIM_CORPUS/rfc6376.signed.msg" --dkim-key "football.example.com:brisbane=$T/brisbane.txt" \
        --dkim-key "football.example.com:test=$DKIM_CORPUS/test.txt"
    expect_original 1 "$DKIM_CORPUS/rfc6376.signed.msg"
    expect_jq_file "$(headers_json 1)" \
        '.dkim | length == 2' \
        '.dkim[0].algorithm == "ed25519-sha256" and .dkim[0].body_hash == "pass" and .dkim[0].signature == "pass"' \
        '.dkim[1].algorithm == "rsa-sha256" and .dkim[1].body_hash == "pass" and .dkim[1].signature == "pass"'
    expect_verify_ok "$C"
}

# ---------------------------------------------------------------- mbox, stdin, folders

test_mbox() {
    need_corpus
    setup
    local m1="$EMAIL_CORPUS/mikel-mail/rfc2822/example01.eml"
    local m2="$EMAIL_CORPUS/mikel-mail/plain_emails/raw_email10.eml"
    local m3="$EMAIL_CORPUS/mikel-mail/attachment_emails/attachment_content_disposition.eml"
    local f
    for f in "$m1" "$m2" "$m3"; do
        [[ $(tail -c1 "$f" | hexdump_) == 0a ]] || fail "$f does not end with LF (pick another)"
        grep -q '^From ' "$f" && fail "$f holds a 'From ' line (pick another)"
    done
    {
        printf 'From troll@sender.example Fri Nov 20 21:14:00 2026\n'
        cat "$m1"
        printf '\nFrom MAILER-DAEMON Sat Nov 21 08:00:00 2026\n'
        cat "$m2"
        printf '\nFrom someone@example.org Sun Nov 22 09:30:00 2026\n'
        cat "$m3"
        printf '\n'
    } >"$T/in.mbox"
    add_email --mbox "$T/in.mbox"
    expect_receipt "$C" 3
    expect_eq "$(manifest_lines "$C")" 4 "one entry per message"
    local i off len
    local msgs=("$m1" "$m2" "$m3")
    local froms=("From troll@sender.example Fri Nov 20 21:14:00 2026" "From MAILER-DAEMON Sat Nov 21 08:00:00 2026"
        "From someone@example.org Sun Nov 22 09:30:00 2026")
    for i in 0 1 2; do
        expect_original $((i + 1)) "${msgs[i]}"
        off=$(jline "$C" $((i + 1)) .email.source.offset)
        len=$(jline "$C" $((i + 1)) .email.source.length)
        expect_eq "$len" "$(size_of "${msgs[i]}")" "mbox message $((i + 1)) length"
        cmp -s <(tail -c +$((off + 1)) "$T/in.mbox" | head -c "$len") "${msgs[i]}" || fail "mbox offset/length of message $((i + 1))"
        expect_line_jq "$C" $((i + 1)) '.email.source.type == "mbox"' \
            ".email.source.path == \"$T/in.mbox\"" \
            ".email.source.from_line == \"${froms[i]}\""
    done
    expect_line_jq "$C" 3 '.email.attachment_count >= 1'
    expect_verify_ok "$C"
}

test_mbox_not_an_mbox() {
    need_corpus
    setup
    snap_save "$C"
    # dkimpy's message.mbox is a single message, not an mbox (no "From " line)
    expect_exit 3 cbkit --case "$C" add-email --mbox "$DKIM_CORPUS/message.mbox"
    expect_error_line "message.mbox"
    snap_check "$C"
}

test_stdin() {
    need_corpus
    setup
    local f="$EMAIL_CORPUS/mikel-mail/plain_emails/raw_email.eml"
    cat "$f" | add_email -
    expect_receipt "$C" 1
    expect_original 1 "$f"
    expect_line_jq "$C" 1 '.email.source.type == "stdin"' '.files[0].source_path == "-"'
    expect_stdout_contains "from stdin"
    expect_verify_ok "$C"
}

# cbkit-add-email(1), Folders: .eml files (any case) and other non-hidden files that
# start like a message, recursively, in sorted path order; symbolic links skipped.
test_folder_messages_sorted() {
    setup
    mkmsg "$T/in/b.eml" 'X-Tag: b'
    mkmsg "$T/in/a.eml" 'X-Tag: a'
    mkmsg "$T/in/C.EML" 'X-Tag: C'
    mkmsg "$T/in/sub/d.eml" 'X-Tag: d'
    mkmsg "$T/in/mail_1" 'X-Tag: noext'
    mkfile "$T/in/notes.txt" $'shopping list\nmilk\n'
    mkfile "$T/in/data.json" '{"a": 1}'
    mkmsg "$T/in/.hidden" 'X-Tag: hidden'
    ln -s a.eml "$T/in/link.eml"
    # A link in the folder is refused, named, and nothing is stored (issue 19: every file of
    # the intake folder is taken or refused, and which) ...
    expect_exit 3 cbkit --case "$C" add-email "$T/in"
    expect_error_line "link.eml" "symbolic link" "--skip-unreadable" "nothing was stored"
    expect_eq "$(manifest_lines "$C")" 1 "lines after a refused import"
    # ... unless --skip-unreadable: the rest is stored, the refused listed (stderr and JSON).
    expect_exit 0 cbkit --case "$C" --json add-email "$T/in" --skip-unreadable
    expect_jq '.refused == [{"input": "'"$T/in/link.eml"'", "code": "symlink", "message": "a symbolic link; links are not followed (add its target itself)"}]' \
        '.not_email_count == 3' '(.entries | length) == 5'
    expect_stderr_contains "refused $T/in/link.eml"
    expect_eq "$(jq -r 'select(.seq >= 1) | .files[0].source_path' "$C/manifest.jsonl" | tr '\n' ' ')" \
        "$T/in/C.EML $T/in/a.eml $T/in/b.eml $T/in/mail_1 $T/in/sub/d.eml " "messages taken from the folder, sorted"
    local i
    for i in 1 2 3 4 5; do
        expect_original "$i" "$(jline "$C" "$i" .files[0].source_path)"
    done
    expect_verify_ok "$C"
}

# Ctrl-C in the middle of an mbox import: exit 8 ("partly done"; 130 is kept for "nothing
# was recorded"), and the message tells the truth about what was recorded (how many, which
# seq, the head), never "nothing was recorded".
test_interrupted_mbox_says_what_was_recorded() {
    setup
    local i
    for ((i = 0; i < 3000; i++)); do
        printf 'From sender@example.com Fri Nov 20 21:14:05 2026\nFrom: sender@example.com\nTo: v@example.com\nSubject: m%d\nMessage-ID: <%d@example.com>\n\nbody %d\n\n' "$i" "$i" "$i"
    done >"$T/big.mbox"
    "$CBKIT_BIN" --case "$C" add-email --mbox "$T/big.mbox" >"$OUT" 2>"$ERR" &
    local pid=$! n=0
    for ((i = 0; i < 200; i++)); do
        n=$(manifest_lines "$C")
        ((n >= 4)) && break
        sleep 0.05
    done
    kill -INT "$pid"
    local rc=0
    wait "$pid" || rc=$?
    n=$(manifest_lines "$C")
    if ((rc == 0)); then
        skip "the import of 3000 messages finished before the interruption"
    fi
    expect_eq "$rc" 8 "exit code after SIGINT"
    local recorded=$((n - 1))
    expect_stderr_contains "interrupted after $recorded of 3000 messages were recorded (seq 1 to $recorded, head $(tail -n 1 "$C/manifest.jsonl" | head -c -1 | sha256sum | cut -c1-64))"
    grep -qF "nothing was recorded" "$ERR" && fail "says nothing was recorded after $recorded messages were"
    expect_verify_ok "$C"
}

# A FIFO, a dangling link and a folder named like a message in an intake folder: the FIFO
# and the link are refused (named, nothing stored); the folder is walked into.
test_folder_special_files_refused() {
    setup
    mkmsg "$T/in/a.eml" 'X-Tag: a'
    mkfifo "$T/in/pipe.eml"
    ln -s nowhere.eml "$T/in/dangling.eml"
    mkdir -p "$T/in/folder.eml"
    mkmsg "$T/in/folder.eml/inside.eml" 'X-Tag: inside'
    SECONDS=0
    expect_exit 3 cbkit --case "$C" add-email "$T/in"
    ((SECONDS < 10)) || fail "the FIFO was opened (took $SECONDS s)"
    expect_error_line "2 input(s)" "pipe.eml (not a regular file" "dangling.eml (a symbolic link"
    expect_eq "$(manifest_lines "$C")" 1 "lines after a refused import"
    expect_exit 0 cbkit --case "$C" --json add-email "$T/in" --skip-unreadable
    expect_jq '[.refused[].code] == ["symlink", "special-file"]' '(.entries | length) == 2'
    expect_verify_ok "$C"
}

# cbkit-add-email(1), Folders: an mbox found in a folder (a Google Takeout export) is split
# per message as --mbox does, never stored as one message; a .eml that starts with a
# "From " line is one saved message, kept whole.
test_folder_with_takeout_mbox() {
    setup
    mkmsg "$T/in/a.eml" 'X-Tag: a'
    mkmsg "$T/m1.eml" 'X-Tag: m1'
    mkmsg "$T/m2.eml" 'X-Tag: m2'
    local mbox="$T/in/Takeout/Mail/All mail Including Spam and Trash.mbox"
    mkdir -p "$(dirname "$mbox")"
    {
        printf 'From 1780000000000000001@xxx Fri Nov 20 21:14:00 +0000 2026\n'
        cat "$T/m1.eml"
        printf '\nFrom 1780000000000000002@xxx Sat Nov 21 08:00:00 +0000 2026\n'
        cat "$T/m2.eml"
        printf '\n'
    } >"$mbox"
    { printf 'From troll@sender.example Fri Nov 20 21:14:00 2026\n'; cat "$T/m1.eml"; } >"$T/in/saved.eml"
    add_email "$T/in"
    expect_receipt "$C" 4
    # sorted order: Takeout/... (the mbox's two messages), a.eml, saved.eml
    expect_eq "$(jq -r 'select(.seq >= 1) | .email.source.type' "$C/manifest.jsonl" | tr '\n' ' ')" \
        "mbox mbox file file " "source types in sorted order"
    local i
    for i in 1 2; do
        expect_line_jq "$C" "$i" ".email.source.path == \"$mbox\"" ".files[0].source_path == \"$mbox\""
        cmp -s "$C/$(jline "$C" "$i" .files[0].path)" "$T/m$i.eml" || fail "mbox message $i not stored byte for byte"
    done
    expect_line_jq "$C" 1 '.email.source.from_line == "From 1780000000000000001@xxx Fri Nov 20 21:14:00 +0000 2026"'
    expect_original 3 "$T/in/a.eml"
    expect_original 4 "$T/in/saved.eml"
    expect_verify_ok "$C"
    # the same mbox given by name is split too
    add_email "$mbox"
    expect_receipt "$C" 6
    expect_line_jq "$C" 5 '.email.source.type == "mbox"'
    expect_line_jq "$C" 6 '.email.source.type == "mbox"'
}

test_json_output() {
    setup
    mkmsg "$T/a.eml"
    mkmsg "$T/b.eml" 'X-Tag: b'
    expect_exit 0 cbkit --case "$C" add-email "$T/a.eml" "$T/b.eml" --json
    expect_json_receipt "$C" 2
    expect_jq '.entries | length == 2' \
        ".entries[0].sha256 == \"$(sha_of "$T/a.eml")\" and .entries[0].seq == 1" \
        ".entries[1].sha256 == \"$(sha_of "$T/b.eml")\" and .entries[1].seq == 2" \
        '.entries[0].subject == "hello" and .entries[0].message_id == "<1@sender.example>"'
}

test_note_recorded_on_every_entry() {
    setup
    mkmsg "$T/in/a.eml"
    mkmsg "$T/in/b.eml" 'X-Tag: b'
    add_email "$T/in" --note "inbox export of the victim"
    local seq
    for seq in 1 2; do
        expect_line_jq "$C" "$seq" '.context.note == "inbox export of the victim"'
    done
    expect_verify_ok "$C"
}

# A hostile sender controls every header byte: invalid UTF-8 anywhere (here in the
# DKIM-Signature's d= and s= tags, an Authentication-Results and X-Originating-IP) must
# not stop the message from being stored.
test_invalid_utf8_headers_stored() {
    setup
    {
        printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=\xff\xfe.example; s=se\xfflector; h=from; bh=AAAA; b=AAAA\n'
        printf 'Authentication-Results: mx\xff.example; dkim=pass header.d=\xff.example; spf=fail smtp.mailfrom=\xfe@x\n'
        printf 'X-Originating-IP: [\xff1.2.3.4]\n'
        printf 'Message-ID: <\xff@x.example>\n'
        printf 'To: "\xff" <\xfe@x.example>\n'
        printf 'Subject: caf\xe9\n'
    } >"$T/utf.eml"
    mkmsg "$T/body.eml"
    tail -n +3 "$T/body.eml" | grep -v -e '^Message-ID' -e '^To:' -e '^Subject' >>"$T/utf.eml"
    add_email "$T/utf.eml"
    expect_original 1 "$T/utf.eml"
    expect_jq_file "$(headers_json 1)" '.dkim | length == 1' '.dkim[0].signature != "pass"' \
        '[.headers[] | select(.name == "Subject")][0].raw_base64 != null'
    expect_verify_ok "$C"
}

test_folder_unreadable_file_nothing_written() {
    setup
    need_unprivileged
    mkmsg "$T/in/a.eml"
    mkmsg "$T/in/b.eml" 'X-Tag: b'
    mkmsg "$T/in/c.eml" 'X-Tag: c'
    chmod 000 "$T/in/b.eml"
    chmod -R a+rX "$T/in"
    chmod 000 "$T/in/b.eml"
    [[ $(id -u) == 0 ]] && chown -R $NOBODY:$NOBODY "$C"
    snap_save "$C"
    # every input is checked before the first message is stored (issue 3, store/email.hpp)
    expect_exit 3 cbkit_nobody --case "$C" add-email "$T/in"
    expect_error_line "b.eml"
    snap_check "$C"
}

# ---------------------------------------------------------------- attachments

test_attachment_pdf() {
    need_corpus
    setup
    local f="$EMAIL_CORPUS/mikel-mail/attachment_emails/attachment_pdf.eml"
    add_email "$f"
    expect_original 1 "$f"
    local d pdf
    d=$(entry_dir 1)
    expect_line_jq "$C" 1 '[.files[] | select(.role == "attachment")] | length == 1' \
        '[.files[] | select(.role == "attachment")][0].name == "broken.pdf"' \
        '[.files[] | select(.role == "attachment")][0].media_type == "application/pdf"' \
        '.email.attachment_count == 1'
    pdf=$(jline "$C" 1 '.files[] | select(.role == "attachment") | .path')
    [[ $pdf == evidence/000001-email/attachments/*.pdf ]] || fail "attachment path '$pdf'"
    expect_eq "$(head -c 5 "$C/$pdf")" "%PDF-" "decoded attachment starts with"
    # the stored attachment is the base64 part decoded (python's email package agrees)
    "$PY" -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_filename() == "broken.pdf":
        sys.stdout.buffer.write(p.get_payload(decode=True))' "$f" >"$T/expected.pdf"
    cmp -s "$T/expected.pdf" "$C/$pdf" || fail "decoded PDF differs from python's decoding"
    expect_eq "$(jline "$C" 1 '.files[] | select(.role == "attachment") | .sha256')" "$(sha_of "$C/$pdf")" "attachment sha256"
    [[ -f $d/body.txt ]] || fail "no body.txt"
    expect_verify_ok "$C"
}

test_attachment_hostile_names() {
    setup
    local pw con nul
    pw=$(printf 'root:x:0:0\n' | base64)
    {
        printf '%s\n' 'From: x@a.example' 'To: y@b.example' 'Subject: names' 'Date: Fri, 20 Nov 2026 21:14:00 +0100' \
            'Message-ID: <n@a.example>' 'MIME-Version: 1.0' 'Content-Type: multipart/mixed; boundary="BB"' '' \
            '--BB' 'Content-Type: text/plain' '' 'see attached' \
            '--BB' 'Content-Type: application/octet-stream' 'Content-Disposition: attachment; filename="../../etc/passwd"' \
            'Content-Transfer-Encoding: base64' '' "$pw" \
            '--BB' 'Content-Type: application/octet-stream' 'Content-Disposition: attachment; filename="CON"' \
            'Content-Transfer-Encoding: base64' '' "$pw" \
            '--BB' 'Content-Type: application/octet-stream' "Content-Disposition: attachment; filename*=utf-8''evil%00name%0A.txt" \
            'Content-Transfer-Encoding: base64' '' "$pw"
        printf '%s\n' '--BB' 'Content-Type: application/octet-stream'
        printf 'Content-Disposition: attachment; filename="raw\000nul.txt"\n'
        printf '%s\n' 'Content-Transfer-Encoding: base64' '' "$pw" \
            '--BB' 'Content-Type: application/octet-stream' 'Content-Disposition: attachment; filename="/abs/path/x.txt"' \
            'Content-Transfer-Encoding: base64' '' "$pw" \
            '--BB' 'Content-Type: application/octet-stream' 'Content-Disposition: attachment; filename="CON"' \
            'Content-Transfer-Encoding: base64' '' "$pw" \
            '--BB--'
    } >"$T/names.eml"
    add_email "$T/names.eml"
    expect_original 1 "$T/names.eml"
    local d
    d=$(entry_dir 1)
    # nothing escaped the entry's attachments/ folder
    [[ ! -e $T/etc/passwd && ! -e $C/etc && ! -e $C/evidence/etc && ! -e $d/etc ]] || fail "an attachment escaped attachments/"
    expect_eq "$(find "$C" -path "$d" -prune -o -type f -print | grep -v -e '/manifest.jsonl$' -e '/\.[^/]*$' || true)" "" \
        "files outside the entry folder"
    expect_eq "$(find "$d/attachments" -mindepth 1 ! -type f | wc -l)" 0 "non-files (folders, links) in attachments/"
    expect_eq "$(find "$d/attachments" -mindepth 1 -type f | wc -l)" 6 "attachments stored"
    local n
    while IFS= read -r n; do
        [[ $n != *[[:cntrl:]]* ]] || fail "attachment name with a control character: $(printf %q "$n")"
        [[ ! $n =~ ^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$ ]] || fail "attachment name is a Windows device name: $n"
        [[ $n != .* ]] || fail "attachment name starts with a dot: $n"
        [[ $n != *..* ]] || fail "attachment name holds '..': $n"
        expect_eq "$(cmp -s <(printf 'root:x:0:0\n') "$d/attachments/$n" && echo same)" same "content of attachments/$n"
    done < <(ls -A "$d/attachments")
    # the original names are recorded in the manifest
    expect_line_jq "$C" 1 \
        '[.files[] | select(.role == "attachment")] | length == 6' \
        'all(.files[] | select(.role == "attachment"); .path | test("^evidence/000001-email/attachments/[^/]+$"))' \
        '[.files[] | select(.role == "attachment") | .name] | index("../../etc/passwd") != null' \
        '[.files[] | select(.role == "attachment") | .name] | map(select(. == "CON")) | length == 2' \
        '[.files[] | select(.role == "attachment") | .name] | map(select(test("^evil"))) | length == 1' \
        '[.files[] | select(.role == "attachment") | .name] | map(select(test("raw"))) | length == 1' \
        '[.files[] | select(.role == "attachment") | .path] | unique | length == 6' \
        '.email.attachment_count == 6'
    # the %00 name is cut by the MIME library: reported, so nobody trusts the short name
    expect_anomaly 1 attachment-name-nul
    expect_verify_ok "$C"
}

# ---------------------------------------------------------------- bad input

test_disk_full_mid_folder_keeps_committed_entries() {
    small_disk "$T/mnt" 1m
    C="$T/mnt/case"
    new_case "$C"
    mkdir "$T/inbox"
    printf 'From: a@b.example\nSubject: small\nDate: Fri, 20 Nov 2026 21:14:00 +0100\n\nhi\n' >"$T/inbox/a.eml"
    { printf 'From: a@b.example\nSubject: big\n\n'; head -c 2000000 /dev/zero | base64; } >"$T/inbox/b.eml"
    expect_exit 6 cbkit --case "$C" --json add-email "$T/inbox"
    expect_error_line
    # the first message was committed: the manifest and --json both say so
    expect_jq '.seq == 1' '.entries | length == 1' '.entries[0].subject == "small"'
    expect_eq "$(wc -l <"$C/manifest.jsonl")" 2 "manifest lines"
    expect_eq "$(ls -A "$C/evidence")" "000001-email" "evidence/ after the failure (no staging left)"
    expect_verify_ok "$C"
}

test_empty_file() {
    setup
    : >"$T/empty.eml"
    add_email "$T/empty.eml"
    expect_original 1 "$T/empty.eml"
    expect_anomaly 1 empty-message
    expect_verify_ok "$C"
}

test_pdf_not_an_email() {
    need_corpus
    setup
    # a real PDF: the one attached to attachment_pdf.eml
    "$PY" -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_filename() == "broken.pdf":
        sys.stdout.buffer.write(p.get_payload(decode=True))' "$EMAIL_CORPUS/mikel-mail/attachment_emails/attachment_pdf.eml" >"$T/doc.pdf"
    expect_eq "$(head -c 5 "$T/doc.pdf")" "%PDF-" "test PDF"
    add_email "$T/doc.pdf"
    expect_original 1 "$T/doc.pdf"
    expect_anomaly 1 not-an-email
    expect_verify_ok "$C"
}

test_large_200mb_message() {
    setup
    local big="$T/big.eml"
    {
        printf '%s\n' 'From: x@a.example' 'To: y@b.example' 'Subject: big' 'Date: Fri, 20 Nov 2026 21:14:00 +0100' \
            'Message-ID: <big@a.example>' 'MIME-Version: 1.0' 'Content-Type: multipart/mixed; boundary="BB"' '' \
            '--BB' 'Content-Type: text/plain' '' 'big attachment' \
            '--BB' 'Content-Type: application/octet-stream' 'Content-Disposition: attachment; filename="zeros.bin"' \
            'Content-Transfer-Encoding: base64' ''
        head -c 150M /dev/zero | base64
        printf '%s\n' '--BB--'
    } >"$big"
    local size
    size=$(size_of "$big")
    ((size > 200000000)) || fail "the big message is only $size bytes"
    local start=$SECONDS
    CBKIT_CMD_TIMEOUT=50 expect_exit 0 /usr/bin/time -v -o "$T/time.txt" timeout -k 5 50 "$CBKIT_BIN" --case "$C" add-email "$big"
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/time.txt")
    echo "large: $size bytes in $((SECONDS - start)) s, peak RSS ${rss} KiB" >&2
    cmp -s "$big" "$C/evidence/000001-email/original.eml" || fail "original.eml differs"
    expect_line_jq "$C" 1 ".files[0].sha256 == \"$(sha_of "$big")\"" ".files[0].size == $size" '.email.attachment_count == 1'
    local att
    att=$(jline "$C" 1 '.files[] | select(.role == "attachment") | .path')
    expect_eq "$(size_of "$C/$att")" $((150 * 1024 * 1024)) "decoded attachment size"
    # memory stays bounded: far below the size of the message plus its decoded copy
    ((rss < 600 * 1024)) || fail "peak RSS ${rss} KiB for a $size-byte message (expected < 600 MiB)"
    expect_verify_ok "$C"
}

test_header_line_1mb() {
    setup
    {
        printf 'X-Long: '
        head -c 1048576 /dev/zero | tr '\0' a
        printf '\n'
        printf '%s\n' 'From: x@a.example' 'To: y@b.example' 'Subject: long' 'Date: Fri, 20 Nov 2026 21:14:00 +0100' \
            'Message-ID: <long@a.example>' '' 'x'
    } >"$T/long.eml"
    CBKIT_CMD_TIMEOUT=30 add_email "$T/long.eml"
    expect_original 1 "$T/long.eml"
    expect_jq_file "$(headers_json 1)" '.headers[0].name == "X-Long"' '.headers[0].raw | length == 1048577' \
        '.headers[1].name == "From"' '.summary.subject == "long"'
    expect_verify_ok "$C"
}

test_huge_header_fields_and_body_memory_bounded() {
    setup
    # A 40 MB header field at the top and another in a part's headers, and a 40 MB
    # quoted-printable text body: the MIME parse sees each field cut to 1 MiB (a defect
    # says so, with the field's offset in the message) and decodes the body through a
    # scratch file; before, GMime held three copies of each field and the body twice.
    local part_offset
    part_offset=$("$PY" - "$T/huge.eml" "$T/body.txt" <<'PYEOF'
import sys
mb40 = 40 * 1000 * 1000
line = b"caf=C3=A9 " * 7
qp = b"=\n".join([line] * (mb40 // len(line)))
head = (b"From: x@a.example\nTo: y@b.example\nSubject: huge\nDate: Fri, 20 Nov 2026 21:14:00 +0100\n"
        b"Message-ID: <huge@a.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BB\"\n\n--BB\n")
with open(sys.argv[1], "wb") as f:
    f.write(b"X-Huge: " + b"a" * mb40 + b"\n" + head)
    f.write(b"X-Part-Huge: " + b"b" * mb40 + b"\nContent-Type: text/plain; charset=utf-8\n"
            b"Content-Transfer-Encoding: quoted-printable\n\n" + qp + b"\n--BB--\n")
with open(sys.argv[2], "wb") as f:
    f.write("caf\u00e9 ".encode() * 7 * (mb40 // len(line)))
print(8 + mb40 + 1 + len(head))
PYEOF
    )
    CBKIT_CMD_TIMEOUT=60 expect_exit 0 /usr/bin/time -f %M -o "$T/rss" timeout -k 5 60 "$CBKIT_BIN" --case "$C" add-email "$T/huge.eml"
    local rss size
    rss=$(tail -n 1 "$T/rss")
    size=$(size_of "$T/huge.eml")
    echo "huge fields: $size bytes, peak RSS ${rss} KiB" >&2
    expect_original 1 "$T/huge.eml"
    local h
    h=$(headers_json 1)
    expect_jq_file "$h" '[.mime.defects[] | select(.code == "mime-header-field-cut")] | length == 2' \
        "[.mime.defects[] | select(.code == \"mime-header-field-cut\") | .offset] == [0, $part_offset]" \
        '.summary.subject == "huge"'
    cmp -s "$T/body.txt" "$C/$(jline "$C" 1 '.files[] | select(.role == "body-text") | .path')" ||
        fail "body.txt is not the decoded body"
    # The message is mapped (its pages count in the RSS once); what GMime and the body
    # decoding held on top of it was 3-4 times the message.
    sanitized_build || ((rss < size / 1024 + 96 * 1024)) || fail "peak RSS ${rss} KiB for a $size-byte message (bound: its size + 96 MiB)"
    expect_verify_ok "$C"
}

test_10000_headers() {
    setup
    {
        awk 'BEGIN { for (i = 1; i <= 10000; i++) printf "X-Header-%d: value %d\n", i, i }'
        printf '%s\n' 'From: x@a.example' 'To: y@b.example' 'Subject: many' 'Date: Fri, 20 Nov 2026 21:14:00 +0100' \
            'Message-ID: <many@a.example>' '' 'x'
    } >"$T/many.eml"
    local start=$SECONDS
    CBKIT_CMD_TIMEOUT=30 add_email "$T/many.eml"
    ((SECONDS - start <= 20)) || fail "10 000 headers took $((SECONDS - start)) s"
    expect_original 1 "$T/many.eml"
    expect_jq_file "$(headers_json 1)" '.headers | length == 10005' '.headers[9999].name == "X-Header-10000"' \
        '.headers[9999].decoded == "value 10000"' '.summary.subject == "many"'
    expect_verify_ok "$C"
}

test_1000_nested_multiparts() {
    setup
    {
        printf '%s\n' 'From: x@a.example' 'To: y@b.example' 'Subject: nested' 'Date: Fri, 20 Nov 2026 21:14:00 +0100' \
            'Message-ID: <nest@a.example>' 'MIME-Version: 1.0' 'Content-Type: multipart/mixed; boundary="b1"' ''
        awk 'BEGIN {
            for (i = 1; i < 1000; i++) printf "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1
            printf "--b1000\nContent-Type: text/plain\n\ndeep\n"
            for (i = 1000; i >= 1; i--) printf "--b%d--\n", i
        }'
    } >"$T/nested.eml"
    local start=$SECONDS
    CBKIT_CMD_TIMEOUT=30 add_email "$T/nested.eml"
    ((SECONDS - start <= 20)) || fail "1000 nested multiparts took $((SECONDS - start)) s"
    expect_original 1 "$T/nested.eml"
    # the nesting is reported: GMime's own limit or cbkit's walk limit
    expect_jq_file "$(headers_json 1)" \
        '[.anomalies[].code] | (index("mime-nesting-overflow") != null or index("mime-depth-limit") != null)'
    expect_verify_ok "$C"
}

test_missing_file_nothing_written() {
    setup
    mkmsg "$T/good.eml"
    snap_save "$C"
    expect_exit 3 cbkit --case "$C" add-email "$T/good.eml" "$T/missing.eml"
    expect_error_line "missing.eml"
    snap_check "$C"
}

test_folder_without_eml() {
    setup
    mkfile "$T/in/notes.txt" $'shopping list\nmilk\n'
    mkfile "$T/in/data.json" '{"a": 1}'
    snap_save "$C"
    expect_exit 3 cbkit --case "$C" add-email "$T/in"
    expect_error_line "$T/in"
    snap_check "$C"
}

test_no_input_is_usage() {
    setup
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" add-email
    snap_check "$C"
}

test_dkim_key_bad_syntax() {
    setup
    mkmsg "$T/a.eml"
    printf 'v=DKIM1; k=rsa; p=AAAA\n' >"$T/k.txt"
    snap_save "$C"
    local bad
    for bad in "example.com" "example.com:sel" "sel=$T/k.txt" ":sel=$T/k.txt" "example.com:=$T/k.txt" "example.com:sel="; do
        expect_exit 2 cbkit --case "$C" add-email "$T/a.eml" --dkim-key "$bad"
        expect_error_line "--dkim-key"
    done
    # good syntax, missing file: an input error
    expect_exit 3 cbkit --case "$C" add-email "$T/a.eml" --dkim-key "example.com:sel=$T/nope.txt"
    expect_error_line "nope.txt"
    snap_check "$C"
}

# ---------------------------------------------------------------- origin

# A Gmail-sent threat as the recipient's server receives it: 209.85.220.41 is Google's relay,
# never the sender's address; headers.json names Google, the queue id and the hand-off time,
# and the report says the address is not disclosed instead of printing the relay's.
test_gmail_relay_is_not_the_origin() {
    setup
    {
        printf '%s\r\n' 'Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])' \
            '        by mx.example.be with ESMTPS id 4W3Lb21Zkpz9sTm' \
            '        for <counsellor@school.example.be>; Tue, 18 Jun 2024 12:12:05 +0200 (CEST)' \
            'Received: by mail-sor-f41.google.com with SMTP id 5b1f17b1804b1-42189d3c7efso41852715e9.2' \
            '        for <counsellor@school.example.be>; Tue, 18 Jun 2024 03:12:04 -0700 (PDT)' \
            'X-Google-Smtp-Source: AGHT+IFq8xKJ1example' \
            'X-Received: by 2002:a05:600c:1c1f:b0:421:8e54:5bd6 with SMTP id k31-20020a05600c1c1f00b004218e545bd6mr9385517wms.5;' \
            '        Tue, 18 Jun 2024 03:12:04 -0700 (PDT)' \
            'MIME-Version: 1.0' \
            'From: Anon Sender <anon.sender.2024@gmail.com>' \
            'Date: Tue, 18 Jun 2024 12:11:52 +0200' \
            'Message-ID: <CAJx-threat-1@mail.gmail.com>' \
            'Subject: you will regret this' \
            'To: counsellor@school.example.be' \
            'Content-Type: text/plain; charset="UTF-8"' \
            '' 'threat'
    } >"$T/gmail.eml"
    add_email "$T/gmail.eml" # 1
    expect_jq_file "$(headers_json 1)" \
        '.summary.originating_ip == null' \
        '[.. | .originating_ip? // empty] | all(. != "209.85.220.41")' \
        '.summary.origin.rule == "provider-relay"' \
        '.summary.origin.client_ip == null' \
        '.summary.origin.provider.key == "google"' \
        '.summary.origin.provider.name | test("Google")' \
        '.summary.origin.provider.client_ip_disclosed == false' \
        '.summary.origin.provider.relay_ip == "209.85.220.41"' \
        '.summary.origin.provider.relay_received_index == 1' \
        '.summary.origin.identifiers.queue_id == "5b1f17b1804b1-42189d3c7efso41852715e9.2"' \
        '.summary.origin.identifiers.message_id == "<CAJx-threat-1@mail.gmail.com>"' \
        '.summary.origin.identifiers.handoff_utc == "2024-06-18T10:12:05Z"' \
        '.summary.origin.evidence[0].header == "Received" and .summary.origin.evidence[0].header_index == 0' \
        '.summary.origin.cannot_know | length > 0' \
        '.summary.origin.conclusion | test("must be asked")'
    expect_line_jq "$C" 1 '.email.originating_ip == null'
    expect_exit 0 cbkit --case "$C" report --format txt
    expect_stdout_contains "not disclosed"
    expect_stdout_contains "Google (Gmail / Google Workspace)"
    expect_stdout_contains "5b1f17b1804b1-42189d3c7efso41852715e9.2"
    grep -i "originating IP" "$OUT" | grep -q "209.85.220.41" && fail "the report gives Google's relay as the originating IP"
    expect_exit 0 cbkit --case "$C" report --format txt --lang nl
    expect_stdout_contains "niet bekendgemaakt"
    expect_exit 0 cbkit --case "$C" report --format txt --lang fr
    expect_stdout_contains "non communiquée"
    expect_exit 0 cbkit --case "$C" show 1
    expect_stdout_contains "Origin rule:  provider-relay"
    expect_verify_ok "$C"
}

# The case a school counsellor built (issue 12): a victim whose number is in a note, a
# Gmail-sent threat, a DKIM-signed message ingested after its x=, an anonymous call, a
# withheld-number call with a recording, a requested action. The report's 15 points must be
# right row by row in en/nl/fr, and the JSON must say the same.
test_counsellor_case() {
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
    expect_exit 0 cbkit --case "$C" person --role victim --name Lotte --phone "0470 12 34 56" --email lotte@school.example.be # 1
    expect_exit 0 cbkit --case "$C" person --role suspect --name "Anon" --email anon.sender.2024@gmail.com                    # 2
    expect_exit 0 cbkit --case "$C" note "Lotte's mother: reach Lotte on 0470 12 34 56 after school"                          # 3
    {
        printf '%s\r\n' 'Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])' \
            '        by mx.example.be with ESMTPS id 4W3Lb21Zkpz9sTm' \
            '        for <lotte@school.example.be>; Tue, 18 Jun 2024 12:12:05 +0200 (CEST)' \
            'Received: by mail-sor-f41.google.com with SMTP id 5b1f17b1804b1-42189d3c7efso41852715e9.2' \
            '        for <lotte@school.example.be>; Tue, 18 Jun 2024 03:12:04 -0700 (PDT)' \
            'MIME-Version: 1.0' 'From: Anon <anon.sender.2024@gmail.com>' 'Date: Tue, 18 Jun 2024 12:11:52 +0200' \
            'Message-ID: <CAJx-threat-1@mail.gmail.com>' 'Subject: you will regret this' 'To: lotte@school.example.be' \
            'Content-Type: text/plain; charset="UTF-8"' '' 'you will regret this'
    } >"$T/gmail.eml"
    expect_exit 0 cbkit --case "$C" add-email "$T/gmail.eml" --from-person 2 # 4
    # A message signed in 2023 with x= in June 2025, delivered in June 2024: valid at delivery.
    openssl genrsa -out "$T/dkim.pem" 2048 2>/dev/null
    printf 'v=DKIM1; k=rsa; p=%s' "$(openssl rsa -in "$T/dkim.pem" -pubout -outform DER 2>/dev/null | base64 -w0)" >"$T/dkim.txt"
    {
        printf '%s\n' 'Received: from smtp.example.org (smtp.example.org [81.2.69.142])' \
            '        by mx.example.be with ESMTPS id 4W3Lb3; Wed, 19 Jun 2024 18:00:00 +0200' \
            'From: Anon <anon@example.org>' 'To: lotte@school.example.be' 'Subject: last warning' \
            'Date: Wed, 19 Jun 2024 17:59:40 +0200' 'Message-ID: <warning-2@example.org>' '' 'This is your last warning.'
    } >"$T/unsigned.eml"
    DKIM_EXTRA="x=1750000000; " sign_dkim "$T/unsigned.eml" "$T/signed.eml" example.org sel "$T/dkim.pem"
    expect_exit 0 cbkit --case "$C" add-email "$T/signed.eml" --dkim-key "example.org:sel=$T/dkim.txt" --from-person 2 # 5
    expect_exit 0 cbkit --case "$C" add-call --at "2026-11-20 21:14" --direction incoming --from unknown \
        --to "0470 12 34 56" --about-person 1 # 6
    mkrandom "$T/call.m4a" 4000
    expect_exit 0 cbkit --case "$C" add-call --at "2026-11-21 22:03" --direction incoming --from withheld \
        --to "0470 12 34 56" --duration 40s --recording "$T/call.m4a" --about-person 1 # 7
    expect_exit 0 cbkit --case "$C" note "He told her to send him photos of herself" --kind requested-action \
        --observed-at "2026-11-19 20:00" --about-person 1 # 8
    mkrandom "$T/voice.ogg" 3000
    expect_exit 0 cbkit --case "$C" add-file "$T/voice.ogg" --kind voice-message --from-person 2 # 9

    # The e-mails: Google's relay is not the origin; the signature held at delivery.
    expect_jq_file "$(headers_json 4)" '.summary.originating_ip == null' '.summary.origin.provider.key == "google"'
    expect_jq_file "$(headers_json 5)" '[.anomalies[].code] | index("dkim-expired") == null' \
        '.dkim[0].time.valid_at_delivery == true and .dkim[0].time.valid_now == false'

    local lang
    for lang in en nl fr; do
        expect_exit 0 cbkit --case "$C" report --format json --lang "$lang"
        cp "$OUT" "$T/report.$lang.json"
        expect_jq '[.checklist[].id] == [range(1; 16)]' \
            '[.checklist[] | select(.id == 12) | .evidence[]] | index(1) == null and index(3) == null' \
            '.checklist[11].status == "missing"' \
            '.checklist[12].status == "present" and .checklist[12].evidence == [6, 7]' \
            '.checklist[13].status == "present" and .checklist[13].evidence == [7]' \
            '.checklist[14].status == "present"' \
            '.checklist[8].status == "present" and .checklist[8].evidence == [8]' \
            '.checklist[7].status == "present" and (.checklist[7].evidence | index(4) != null and index(5) != null)' \
            '.checklist[9].status == "present"' \
            '.checklist[3].status == "present" and .checklist[3].evidence == [1]' \
            '[.persons[] | select(.role == "suspect") | .identifiers[].value] | index("+32470123456") == null' \
            '[.email_origins[] | select(.seq == 4) | .origin.originating_ip] == [null]' \
            '[.email_origins[] | select(.seq == 4) | .origin.origin.provider.key] == ["google"]' \
            '[.. | objects | (.client_ip? // empty), (.originating_ip? // empty) | objects | .ip] | index("209.85.220.41") == null'
        # The statuses are the same in every language.
        jq -c '[.checklist[] | {id, status, evidence}]' "$T/report.$lang.json" >"$T/points.$lang"
        cmp -s "$T/points.en" "$T/points.$lang" || fail "the checklist of the $lang report differs from the English one"
        expect_exit 0 cbkit --case "$C" report --format txt --lang "$lang"
        if grep -q "209.85.220.41" "$OUT" && grep -i "originating IP.*209.85.220.41\|herkomst.*209.85.220.41\|origine.*209.85.220.41" "$OUT"; then
            fail "the $lang report shows Google's relay as the origin"
        fi
    done
    expect_exit 0 cbkit --case "$C" report --format txt --lang nl
    # Point 15 asks for the phone number of each call, never a count ("aantal").
    expect_jq_file "$T/report.nl.json" '.checklist[14].text | test("nummer") and (test("aantal"; "i") | not)' \
        '.checklist[12].text | test("nummer")'
    grep -i "aantal" "$OUT" | grep -qi "oproep" && fail "the Dutch report counts calls where it should name their numbers"
    expect_verify_ok "$C"
}

test_show() {
    need_corpus
    setup
    add_email "$EMAIL_CORPUS/mikel-mail/multi_charset/japanese_attachment_long_name.eml"
    expect_exit 0 cbkit --case "$C" show 1
    [[ -s $OUT ]] || fail "show printed nothing"
    expect_stdout_contains "60.241.138.146"
    expect_stdout_contains "mx.google.com"
    expect_exit 0 cbkit --case "$C" show 1 --json
    expect_one_json_doc
}

run_tests "$@"
