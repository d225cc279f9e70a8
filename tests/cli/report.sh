#!/usr/bin/env bash
# cbkit report: golden reports in en/nl/fr x html/md/txt on a case built here (e-mails from
# the shared corpora, files with context, notes), determinism, the HTML rendered by headless
# Chromium with no network request, hostile text made inert and visible in every format,
# --record, a web capture from a local server, the concrete "missing" items of the police
# checklist, and bad arguments.
#
# Goldens live in tests/cli/golden/report/; regenerate them after an intended change with
#   CBKIT_UPDATE_GOLDEN=1 bash tests/cli/report.sh golden_en   (and golden_nl, golden_fr, golden_de)
# The case is normalised after it is built (support/report_normalize.py: fixed times,
# user/host and source paths, chain recomputed), because cbkit has no clock override.
source "$(dirname "$0")/lib.sh"
source "$TESTS_DIR/support/counsellor_case.sh"

CORPORA=${CBKIT_CORPORA:-$TESTS_DIR/../../../shared/corpora}
GOLDEN="$TESTS_DIR/golden/report"
NORMALIZE="$TESTS_DIR/support/report_normalize.py"
export CBKIT_CMD_TIMEOUT=100

need_corpus() {
    [[ -d $CORPORA/email ]] || skip "corpora not found at $CORPORA (set CBKIT_CORPORA)"
    CORPORA=$(realpath "$CORPORA")
}

# A 2x2 PNG (a screenshot stand-in), fixed bytes.
make_png() {
    printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==' | base64 -d >"$1"
}

# build_case -- the golden case in $C, from fixed inputs, normalised.
build_case() {
    need_corpus
    C="$T/case"
    expect_exit 0 cbkit init "$C" --case-id BE-TEST-0042 --examiner "A. Peeters" --org "Police zone X" \
        --title "Report test case" --timezone Europe/Brussels
    mkdir -p "$T/in"
    make_png "$T/in/post.png"
    printf '20/11/2026, 21:10 - +44 7700 900461: everyone knows\n20/11/2026, 21:12 - Emma: stop\n' >"$T/in/chat-export.txt"
    printf 'Profile @x_hater_2026 seen on 2026-11-20.\n' >"$T/in/profile.md"
    add "$T/in/post.png" "$T/in/chat-export.txt" --kind screenshot --note "Instagram post and the class chat" \
        --source-url https://instagram.com/x_hater_2026 --observed-at 2026-11-20T21:14:00+01:00 \
        --platform instagram --account-id 1784100000042
    add "$T/in/profile.md"
    expect_exit 0 cbkit --case "$C" add-email "$CORPORA/email/mikel-mail/plain_emails/basic_email.eml"
    expect_exit 0 cbkit --case "$C" add-email "$CORPORA/email/mikel-mail/attachment_emails/attachment_nonascii_filename.eml"
    note "Called 101, report number 123/2026" --kind phone-call --observed-at 2026-11-21T09:05:00+01:00
    note "Met the victim and her mother.
The phone of the victim was shown; +44 7700 900587 also wrote."
    "$PY" "$NORMALIZE" "$C/manifest.jsonl" "$T/in=/inputs" "$CORPORA=/corpora"
    expect_verify_ok "$C"
}

expect_verify_ok() {
    expect_exit 0 cbkit verify "$1" --json
    expect_jq '.ok == true'
}

# check_golden LANG -- the three formats in LANG equal their goldens (or rewrite them).
check_golden() {
    local lang=$1 fmt
    build_case
    for fmt in html md txt; do
        expect_exit 0 cbkit --case "$C" report --lang "$lang" --format "$fmt"
        local golden="$GOLDEN/report.$lang.$fmt"
        if [[ ${CBKIT_UPDATE_GOLDEN:-} == 1 ]]; then
            mkdir -p "$GOLDEN"
            cp "$OUT" "$golden"
            echo "updated $golden"
            continue
        fi
        [[ -f $golden ]] || fail "no golden $golden; create it with CBKIT_UPDATE_GOLDEN=1"
        if ! cmp -s "$OUT" "$golden"; then
            diff -u "$golden" "$OUT" | head -60 >&2 || true
            fail "report --lang $lang --format $fmt differs from $golden (CBKIT_UPDATE_GOLDEN=1 to accept an intended change)"
        fi
    done
}

test_golden_en() { check_golden en; }
test_golden_nl() { check_golden nl; }
test_golden_fr() { check_golden fr; }
test_golden_de() { check_golden de; }

# The goldens are not English with Dutch/French headings only: the body text is translated.
test_translated() {
    build_case
    expect_exit 0 cbkit --case "$C" report --lang nl --format txt
    expect_stdout_contains "Checklist van de politie"
    expect_stdout_contains "Inventaris van de stukken"
    expect_stdout_contains "geen tijdstip van vaststelling vastgelegd voor bestand #2"
    expect_stdout_contains "e-mail #4 heeft geen Received-headers"
    if grep -qE 'Police checklist|Exhibit index|Recorded at|Missing' "$OUT"; then
        _fail_with_outputs "English text in the Dutch report"
    fi
    expect_exit 0 cbkit --case "$C" report --lang fr --format txt
    expect_stdout_contains "Liste de contrôle de la police"
    expect_stdout_contains "e-mail n° 4 n'a pas d'en-têtes Received"
    expect_stdout_contains "2026-11-20 21:14:00 +01:00 (Europe/Brussels)"
    expect_stdout_contains "2026-11-20 20:14:00 UTC"
}

# Dutch, French and German reports hold no English sentence of the catalogue and no raw key: the
# golden case with a recorded report, a seal (its fields and its verify finding) and the
# catalogue read from src/report/i18n.cpp (support/report_catalogue.py). The allow-list holds
# the pieces that are the same words in every language (names, technical terms).
CATALOGUE_ALLOW=("Received" "Authentication-Results" "SHA-256" "Message-ID" "Return-Path" "Reply-To")
test_catalogue_translated() {
    build_case
    expect_exit 0 cbkit --case "$C" report --lang nl --record
    expect_exit 0 cbkit keygen --out "$T/key"
    expect_exit 0 cbkit --case "$C" seal --key "$T/key.key" --out "$T/handover.tar" --no-report
    local lang
    for lang in nl fr de; do
        expect_exit 0 cbkit --case "$C" report --lang "$lang" --format txt
        cp "$OUT" "$T/r.$lang.txt"
        "$PY" "$TESTS_DIR/support/report_catalogue.py" "$TESTS_DIR/../../src/report/i18n.cpp" "$lang" "$T/r.$lang.txt" \
            "${CATALOGUE_ALLOW[@]}" >"$T/problems.$lang" ||
            fail "the $lang report has English or raw keys: $(head -5 "$T/problems.$lang")"
        # The fields of the seal and report lines are labelled, not listed by their path.
        if grep -nE '^ +(seal|timestamp|report)\.[a-z_.]+:' "$T/r.$lang.txt" >"$T/raw.$lang"; then
            fail "raw field paths in the $lang report: $(head -3 "$T/raw.$lang")"
        fi
        grep -q 'seal-unpinned' "$T/r.$lang.txt" || fail "the $lang report does not show the seal's finding"
        if grep -q 'which came with the case' "$T/r.$lang.txt"; then fail "verify's English finding in the $lang report"; fi
    done
    grep -qF 'Verzamelaar' "$T/r.nl.txt" || fail "the collector is not named neutrally in Dutch"
    grep -qF 'Collecteur' "$T/r.fr.txt" || fail "the collector is not named neutrally in French"
    grep -qF 'Sammelnde Person' "$T/r.de.txt" || fail "the collector is not named neutrally in German"
    if grep -qE 'Onderzoeker|Enquêteur|Ermittler' "$T/r.nl.txt" "$T/r.fr.txt" "$T/r.de.txt"; then fail "the collector is called an investigator"; fi
    # One file is "Bestand", not "Bestanden".
    grep -qE '^Bestand #2$' "$T/r.nl.txt" || fail "the Dutch heading of a one-file entry is not singular"
    grep -qE '^Fichier n° 2$' "$T/r.fr.txt" || fail "the French heading of a one-file entry is not singular"
    grep -qE '^Datei #2$' "$T/r.de.txt" || fail "the German heading of a one-file entry is not singular"
    # The check can fail: the English report is caught.
    expect_exit 0 cbkit --case "$C" report --lang en --format txt
    if "$PY" "$TESTS_DIR/support/report_catalogue.py" "$TESTS_DIR/../../src/report/i18n.cpp" nl "$OUT" >/dev/null; then
        fail "the catalogue check does not catch an English report"
    fi
}

test_deterministic() {
    build_case
    local fmt
    for fmt in html md txt; do
        cbkit --case "$C" report --lang fr --format "$fmt" >"$T/a.$fmt"
        cbkit --case "$C" report --lang fr --format "$fmt" >"$T/b.$fmt"
        cmp -s "$T/a.$fmt" "$T/b.$fmt" || fail "two reports of the same case differ ($fmt)"
        expect_exit 0 cbkit --case "$C" report --lang fr --out "$T/out.$fmt"
        cmp -s "$T/a.$fmt" "$T/out.$fmt" || fail "--out $T/out.$fmt (format from the extension) differs from stdout --format $fmt"
    done
    # The report is dated by the case, not the clock: no time of today in it.
    if grep -q "$(date -u +%Y-%m-%dT%H:%M)" "$T/a.txt"; then fail "the report holds the current time"; fi
}

# checklist_missing -- concrete missing items name the entry.
test_checklist_missing() {
    build_case
    expect_exit 0 cbkit --case "$C" report --format txt
    expect_stdout_contains "e-mail #4 has no Received headers"
    expect_stdout_contains "no observation time recorded for file #2 (--observed-at)"
    expect_stdout_contains "e-mail #3: 19 header fields, 4 Received hops"
    # Phone numbers written in a note are nobody's: point 12 stays missing (issue 12: the
    # victim's own number was once listed as the suspect's).
    if grep -qF "+44 7700 900587" <(sed -n '/^12\. Phone numbers used by the suspect/,/^13\./p' "$OUT"); then
        _fail_with_outputs "a number written in a note is listed under point 12"
    fi
    expect_stdout_contains "no phone number of the suspect (cbkit person --role suspect --phone, add-call --from-person)"
    expect_stdout_contains "no recording of a phone call in the case (cbkit add-call --recording)"
    expect_stdout_contains "note #5 describes a call in free text only; record it with cbkit add-call (date, time and number)"
    # A screenshot entry without an account id is named.
    mkdir -p "$T/x" && make_png "$T/x/shot.png"
    add "$T/x/shot.png" --kind screenshot --platform tiktok
    expect_exit 0 cbkit --case "$C" report --format txt
    expect_stdout_contains "no account ID recorded for file #7"
    expect_stdout_contains "no URL recorded for file #7"
}

# need_chromium -- skip only when Chromium is not installed.
need_chromium() {
    CHROMIUM=$(command -v chromium || true)
    [[ -n $CHROMIUM ]] || skip "chromium is not installed (Debian package chromium; scripts/deps.sh test installs it)"
    command -v pdfinfo >/dev/null || fail "pdfinfo is missing (Debian package poppler-utils; scripts/deps.sh test installs it)"
}

# chromium_render HTML PREFIX -- print to PREFIX.pdf and screenshot PREFIX.png, with every
# host name resolving to nothing and a net log in PREFIX.netlog.json.
chromium_render() {
    local html=$1 prefix=$2 mode
    for mode in "--print-to-pdf=$prefix.pdf --no-pdf-header-footer" "--screenshot=$prefix.png --window-size=1000,3000"; do
        local profile
        profile=$(mktemp -d "$T/profile.XXXXXX")
        # shellcheck disable=SC2086
        timeout -k 5 100 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
            --disable-component-update --disable-sync --user-data-dir="$profile" \
            --host-resolver-rules="MAP * ~NOTFOUND" --log-net-log="$prefix.netlog.json" --net-log-capture-mode=Everything \
            $mode "file://$html" >"$prefix.chromium.log" 2>&1 || fail "chromium failed on $html: $(tail -5 "$prefix.chromium.log")"
        # Every URL the page itself asked for: none may be other than file: or data:.
        "$PY" "$TESTS_DIR/support/report_netlog.py" "$prefix.netlog.json" >"$prefix.urls" || fail "cannot read the net log of $html"
        [[ ! -s $prefix.urls ]] || fail "the page $html made network requests: $(head -3 "$prefix.urls")"
    done
    pdfinfo "$prefix.pdf" >"$prefix.pdfinfo" 2>&1 || fail "pdfinfo rejects $prefix.pdf: $(cat "$prefix.pdfinfo")"
    grep -qE '^Pages: +[1-9]' "$prefix.pdfinfo" || fail "$prefix.pdf has no page: $(cat "$prefix.pdfinfo")"
    [[ -s $prefix.png ]] || fail "no screenshot of $html"
    head -c 8 "$prefix.png" | od -An -tx1 | grep -q '89 50 4e 47' || fail "$prefix.png is not a PNG"
}

test_browser_render() {
    need_chromium
    # The net-log check must be able to fail: a page with an external image is caught.
    printf '<!DOCTYPE html><title>t</title><img src="http://images.invalid/x.png">\n' >"$T/external.html"
    local profile
    profile=$(mktemp -d "$T/profile.XXXXXX")
    timeout -k 5 100 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$profile" --host-resolver-rules="MAP * ~NOTFOUND" \
        --log-net-log="$T/external.netlog.json" --screenshot="$T/external.png" "file://$T/external.html" >/dev/null 2>&1 ||
        fail "chromium failed on the control page"
    "$PY" "$TESTS_DIR/support/report_netlog.py" "$T/external.netlog.json" | grep -q 'images.invalid' ||
        fail "the net-log check does not see the control page's external image"
    build_case
    local lang
    for lang in en nl fr; do
        expect_exit 0 cbkit --case "$C" report --lang "$lang" --out "$T/report.$lang.html"
        chromium_render "$T/report.$lang.html" "$T/$lang"
    done
    # No attribute or CSS that could reach outside the file.
    if grep -noE '(src|href)="[^#d][^"]*"|url\(|@import|<script|<link|<iframe|<object' "$T/report.en.html" | grep -v 'src="data:image/' >"$T/ext"; then
        fail "external reference in the HTML: $(head -3 "$T/ext")"
    fi
    grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$T/report.en.html" || fail "no Content-Security-Policy"
    # The PDF really holds the report's text (the title, and the head hash in the integrity section).
    if command -v pdftotext >/dev/null; then
        pdftotext "$T/nl.pdf" "$T/nl.txt"
        grep -q "Bewijsrapport" "$T/nl.txt" || fail "the PDF does not hold the report's title"
    fi
}

# hostile TEXT in every user-controlled field, then every format must show it inert.
HOSTILE_SCRIPT='<script>alert(1)</script>'
HOSTILE_IMG='"><img src=x onerror=alert(1)>'
RLO=$'\u202e'
ZWSP=$'\u200b'
LRI=$'\u2066'
BOM=$'\ufeff'

test_injection() {
    C="$T/case"
    new_case "$C" --timezone UTC --title "T $HOSTILE_SCRIPT" --org "O $HOSTILE_IMG"
    mkdir -p "$T/in"
    local evil_name="evil${RLO}gpj.exe${ZWSP}<b>x<b>.png"
    make_png "$T/in/$evil_name"
    add "$T/in/$evil_name" --kind "screenshot$HOSTILE_IMG" --note "ctx $HOSTILE_SCRIPT ${LRI}x" \
        --source-url "https://e.example/$RLO" --platform "p$HOSTILE_SCRIPT" --account-id "id${BOM}$HOSTILE_IMG"
    note "note $HOSTILE_SCRIPT $HOSTILE_IMG ${RLO}txet${ZWSP} [link](http://evil.example) ![i](http://evil.example/x.png) | # * _"
    cat >"$T/in/evil.eml" <<EOF
From: "Evil $HOSTILE_IMG" <evil${RLO}@attacker.example>
To: victim@school.example
Subject: Hi $HOSTILE_SCRIPT ${RLO}cod.exe${ZWSP}
Date: Fri, 20 Nov 2026 22:02:58 +0100
Message-ID: <x@attacker.example>

body
EOF
    expect_exit 0 cbkit --case "$C" add-email "$T/in/evil.eml"
    local fmt
    for fmt in html md txt; do
        expect_exit 0 cbkit --case "$C" report --format "$fmt" --out "$T/r.$fmt"
        local f="$T/r.$fmt"
        # Invisible and direction characters never reach the output as such.
        if grep -qP '\x{202A}|\x{202B}|\x{202C}|\x{202D}|\x{202E}|\x{2066}|\x{2067}|\x{2068}|\x{2069}|\x{200B}|\x{200C}|\x{200D}|\x{200E}|\x{200F}|\x{FEFF}' "$f"; then
            fail "$fmt: a bidi or zero-width character is in the output"
        fi
        # Markdown escapes the brackets of the tag: \[U+202E\] renders as [U+202E].
        local o='[' c=']'
        [[ $fmt == md ]] && o='\[' c='\]'
        grep -qF "${o}U+202E${c}" "$f" || fail "$fmt: the RTL override is not shown as [U+202E]"
        grep -qF "${o}U+200B${c}" "$f" || fail "$fmt: the zero-width space is not shown as [U+200B]"
        grep -qF "${o}U+2066${c}" "$f" || fail "$fmt: U+2066 is not shown"
        grep -qF "${o}U+FEFF${c}" "$f" || fail "$fmt: U+FEFF is not shown"
    done
    # HTML: no tag from the user survives; the text is there, escaped.
    # (the only <img> is cbkit's own thumbnail, a data: URI of the verified PNG)
    if grep -qiP '<script|<img(?! src="data:image/png;base64,[A-Za-z0-9+/=]+" alt=")|<b>' "$T/r.html"; then
        fail "html: injected markup: $(grep -oiP '.{20}(<script|<img|<b>).{20}' "$T/r.html" | head -3)"
    fi
    grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/r.html" || fail "html: the script text is not shown escaped"
    grep -qF '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;' "$T/r.html" || fail "html: the img text is not shown escaped"
    grep -qF 'evil[U+202E]gpj.exe[U+200B]&lt;b&gt;x&lt;b&gt;.png' "$T/r.html" || fail "html: the hostile file name is not shown"
    grep -qF 'Hi &lt;script&gt;alert(1)&lt;/script&gt; [U+202E]cod.exe[U+200B]' "$T/r.html" || fail "html: the hostile subject is not shown"
    # Markdown: no raw HTML tag, no link or image syntax left active.
    local active='(?<!\\)<(script|img|b>)|(?<!\\)\]\(http|!(?<!\\)\['
    if grep -qP "$active" "$T/r.md"; then fail "markdown: active markup: $(grep -oP ".{20}($active).{10}" "$T/r.md" | head -3)"; fi
    grep -qF '\<script\>alert(1)\</script\>' "$T/r.md" || fail "markdown: the script text is not shown escaped"
    grep -qF '\!\[i\](http' "$T/r.md" || grep -qF '!\[i\](http' "$T/r.md" || fail "markdown: the image syntax is not neutralised"
    # Text: shown as written, tags included (plain text cannot run them).
    grep -qF "$HOSTILE_SCRIPT" "$T/r.txt" || fail "txt: the script text is not shown as written"
    grep -qF 'Hi <script>alert(1)</script> [U+202E]cod.exe[U+200B]' "$T/r.txt" || fail "txt: the hostile subject is not shown"
}

test_record() {
    build_case
    local head seq
    head=$(manifest_head "$C")
    seq=$(($(manifest_lines "$C") - 1))
    expect_exit 0 cbkit --case "$C" report --lang nl --format md --record
    expect_receipt "$C" $((seq + 1))
    local path="evidence/$(printf '%06d' $((seq + 1)))-report/report.md"
    expect_stdout_contains "$path"
    expect_line_jq "$C" $((seq + 1)) '.kind == "report"' ".files[0].path == \"$path\"" \
        '.files[0].media_type == "text/markdown; charset=utf-8"' '.report.lang == "nl"' '.report.format == "md"' \
        ".report.describes.seq == $seq" ".report.describes.head == \"$head\"" \
        ".files[0].sha256 == \"$(sha_of "$C/$path")\"" ".files[0].size == $(size_of "$C/$path")"
    [[ $(mode_of "$C/$path") == 444 ]] || fail "the stored report is not read-only"
    # The stored report is the report of the case before its own line.
    grep -qF "$head" "$C/$path" || fail "the stored report does not name the head it describes"
    expect_verify_ok "$C"
    "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$CBKIT_SCHEMA" >"$T/schema.out" 2>&1 || fail "schema: $(cat "$T/schema.out")"
    # A later report lists the recorded one.
    expect_exit 0 cbkit --case "$C" report --format txt
    expect_stdout_contains "Report ($(printf 'nl, md')) up to entry $seq"
    expect_stdout_contains "$path"
    # --json with --record and --out
    expect_exit 0 cbkit --case "$C" --json report --lang fr --out "$T/r.html" --record
    expect_one_json_doc
    expect_jq '.lang == "fr"' '.format == "html"' ".describes.seq == $((seq + 1))" '.recorded.path | endswith("-report/report.html")' \
        ".recorded.head == \"$(manifest_head "$C")\"" '.content == null' ".sha256 == \"$(sha_of "$T/r.html")\""
    cmp -s "$T/r.html" "$C/$(jout .recorded.path)" || fail "--out and the recorded report differ"
}

# --json alone: the report is in .content.
test_json() {
    build_case
    expect_exit 0 cbkit --case "$C" --json report --format txt
    expect_one_json_doc
    expect_jq '.recorded == null' '.out == null' '.content | startswith("Evidence report - case BE-TEST-0042")' \
        ".describes.head == \"$(manifest_head "$C")\""
}

test_bad_args() {
    C="$T/case"
    new_case "$C"
    expect_exit 2 cbkit --case "$C" report --lang es
    expect_error_line "--lang 'es'" "en, nl, fr or de"
    expect_exit 2 cbkit --case "$C" report --format docx
    expect_error_line "--format 'docx'" "html, pdf, md, txt or json"
    expect_exit 4 cbkit --case "$T/nowhere" report
    expect_exit 6 cbkit --case "$C" report --out "$T/no/such/dir/r.html"
    expect_error_line "r.html"
    # A torn manifest: no report, a pointer to verify.
    printf '{"seq":1' >>"$C/manifest.jsonl"
    expect_exit 4 cbkit --case "$C" report
    # Lines are numbered from 0 (= seq) here as in verify.
    expect_error_line "manifest.jsonl line 1:" "cbkit verify"
    expect_stdout_empty
    expect_exit 1 cbkit --case "$C" verify --json
    jq -e '[.findings[] | select(.path == "manifest.jsonl") | .message] | any(test("^line 1 "))' "$OUT" >/dev/null ||
        fail "verify does not name the torn line as line 1: $(cat "$OUT")"
    # --record on it writes nothing.
    local before
    before=$(ls "$C/evidence" | wc -l)
    expect_exit 4 cbkit --case "$C" report --record
    [[ $(ls "$C/evidence" | wc -l) == "$before" ]] || fail "a failed --record left files in evidence/"
}

# --format json: the report's content as data; the 15 points in order with their status,
# the same in every language except the texts.
test_format_json() {
    build_case
    expect_exit 0 cbkit --case "$C" report --format json
    expect_one_json_doc
    expect_jq '.report.format == "cbkit-report-json"' '.report.version == 1' '.report.lang == "en"' \
        '.case.id == "BE-TEST-0042"' '.case.timezone == "Europe/Brussels"' '.case.examiner == "A. Peeters"' \
        ".describes.head == \"$(manifest_head "$C")\"" '.describes.seq == 6' \
        '[.checklist[].id] == [range(1;16)]' \
        '[.checklist[].status] == ["present","present","present","partial","partial","present","partial","partial","missing","partial","partial","missing","not-applicable","missing","partial"]' \
        '.checklist[0].evidence == [1]' '.checklist[7].rule == "emails-not-attributed"' '.checklist[7].evidence == [3,4]' \
        '.checklist[11].evidence == []' '.checklist[11].found == []' \
        '.checklist[12].reason.key == "na_no_hidden_caller"' '.checklist[14].rule == "calls-in-notes-only"' \
        '.checklist[14].text == "Date, time and number of the call"' \
        '[.checklist[3].missing[].entry] == [null,3,4]' \
        '.persons == []' '[.timeline[].seq] | sort == [0,1,2,3,4,5,6]' '.timeline[0].time_source != null' \
        '[.email_origins[].seq] == [3,4]' '.verify.ok == true'
    # No number in any note reaches point 12, in any form.
    if jq -e '.checklist[11] | tostring | test("7700")' "$OUT" >/dev/null; then fail "a number from a note is in point 12"; fi
    cp "$OUT" "$T/en.json"
    expect_exit 0 cbkit --case "$C" report --format json --lang nl
    expect_jq '.checklist[14].text == "Datum, uur en nummer van de oproep"' '.checklist[12].status_text == "niet van toepassing"'
    # Only the texts differ between languages.
    local strip='del(.report.lang) | walk(if type == "object" then del(.text, .status_text, .what) else . end)'
    [[ $(jq -S "$strip" "$OUT") == "$(jq -S "$strip" "$T/en.json")" ]] || fail "the nl JSON differs from the en JSON beyond its texts"
    # --out FILE.json chooses the format; --record stores report.json as application/json.
    expect_exit 0 cbkit --case "$C" report --out "$T/r.json"
    jq -e '.checklist | length == 15' "$T/r.json" >/dev/null || fail "--out r.json is not the JSON report"
    expect_exit 0 cbkit --case "$C" report --format json --record
    local path="evidence/000007-report/report.json"
    expect_line_jq "$C" 7 '.kind == "report"' ".files[0].path == \"$path\"" '.files[0].media_type == "application/json"' \
        '.report.format == "json"' '.report.describes.seq == 6'
    cmp -s "$T/r.json" "$C/$path" || fail "the recorded report.json differs from --out"
    expect_verify_ok "$C"
    "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$CBKIT_SCHEMA" >"$T/schema.out" 2>&1 || fail "schema: $(cat "$T/schema.out")"
}

# Persons, calls and a checklist decision written as manifest lines (the line formats of
# issue 12), as the commands that write them will: the report and its JSON say the same.
test_persons_checklist() {
    build_case
    "$PY" - "$C/manifest.jsonl" <<'PYEOF'
import hashlib, json, sys
path = sys.argv[1]
lines = open(path, "rb").read().split(b"\n")[:-1]
last = json.loads(lines[-1])
def add(obj):
    global lines
    prev = hashlib.sha256(lines[-1]).hexdigest()
    seq = json.loads(lines[-1])["seq"] + 1
    line = {"seq": seq, "prev": prev, "time": "2026-11-21T09:10:00.000000Z", "kind": obj.pop("kind"),
            "actor": last["actor"], "tool": last["tool"], "files": []}
    line.update(obj)
    lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
add({"kind": "person", "person": {"role": "victim", "names": ["Emma"], "emails": ["raasdnil@gmail.com"],
     "phones": [{"as_typed": "+44 7700 900587", "e164": "+447700900587"}]}})
add({"kind": "person", "person": {"role": "suspect", "names": ["X"], "phones": [{"as_typed": "+44 7700 900461", "e164": "+447700900461"}],
     "handles": ["@x_hater_2026"]}})
add({"kind": "checklist", "checklist": {"point": 9, "status": "not-applicable", "because": "nothing was asked of the victim"}})
open(path, "wb").write(b"\n".join(lines) + b"\n")
PYEOF
    expect_exit 0 cbkit --case "$C" report --format json
    expect_jq '[.persons[].id] == [7,8]' '.persons[0].role == "victim"' \
        '.persons[1].identifiers | map(select(.type == "phone")) | .[0].value == "+447700900461"' \
        '.persons[1].identifiers[0].source == 8' \
        '.checklist[3].status == "present"' '.checklist[3].evidence == [7]' \
        '.checklist[8].status == "not-applicable"' '.checklist[8].rule == "user-not-applicable"' '.checklist[8].evidence == [9]' \
        '.checklist[8].reason.args == ["nothing was asked of the victim"]' \
        '.checklist[10].status == "present"' '.checklist[11].status == "present"' '.checklist[11].evidence == [8]'
    # The victim's number (also written in note #6) is never the suspect's.
    if jq -e '.checklist[11] | tostring | test("900587")' "$OUT" >/dev/null; then fail "the victim's number is in point 12"; fi
    expect_exit 0 cbkit --case "$C" report --format txt --no-verify
    expect_stdout_contains "Persons"
    expect_stdout_contains "Suspect #8: X"
    expect_stdout_contains "person #8 (suspect): +447700900461"
    expect_stdout_contains "checklist decision #9: nothing was asked of the victim"
    expect_exit 0 cbkit --case "$C" report --format txt --lang nl --no-verify
    expect_stdout_contains "Verdachte #8: X"
    expect_stdout_contains "Datum, uur en nummer van de oproep"
    expect_stdout_contains "niet van toepassing"
    if grep -q "aantal" "$OUT"; then _fail_with_outputs "'aantal' (a count) in the Dutch checklist"; fi
}

# Every rule of the checklist's table is documented in cbkit-report-json(5), and the page
# names no rule the table lacks.
test_rules_documented() {
    local src="$TESTS_DIR/../../src/report/checklist.cpp" page="$TESTS_DIR/../../man/cbkit-report-json.5"
    grep -oE '^    \{"[a-z0-9-]+", [0-9]+, PointStatus::' "$src" | cut -d'"' -f2 | sort >"$T/table"
    [[ $(wc -l <"$T/table") -ge 40 ]] || fail "cannot read the rules of $src"
    sed -n '/^\.SH RULES/,/^\.SH EXAMPLES/p' "$page" | grep -A1 '^\.TP' | grep '^\.B ' | sed 's/^\.B //; s/\\-/-/g' | sort >"$T/page"
    diff "$T/table" "$T/page" >&2 || fail "the rules in cbkit-report-json(5) differ from src/report/checklist.cpp"
}

# Unknown kinds and lines missing optional fields still appear (timeline and exhibit index).
test_unknown_kind() {
    build_case
    "$PY" "$MTOOL" append-copy "$C/manifest.jsonl" 2 kind '"hologram"' >/dev/null
    expect_exit 0 cbkit --case "$C" report --format txt --no-verify
    expect_stdout_contains "hologram #7"
    expect_stdout_contains "Other entries"
    # Its file (shared with entry 2) is listed twice in the exhibit index: once per entry.
    [[ $(grep -c 'evidence/000002-file/profile.md' "$OUT") -ge 3 ]] || fail "the unknown entry's file is not in the exhibit index"
}

# The evidence itself: an e-mail's decoded text body quoted and escaped (a long one cut with a
# note naming the full text), its attachments by name, size and SHA-256 and its image as a
# thumbnail; an image file embedded as a data: URI of exactly its recorded bytes; an image
# over the limit named, not embedded; Markdown and text name the files and hashes.
test_evidence_content() {
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
    mkdir -p "$T/in"
    make_png "$T/in/threat.png"
    { cat "$T/in/threat.png"; head -c $((6 * 1024 * 1024)) /dev/zero; } >"$T/in/huge.png" # a PNG with 6 MiB after its end
    add "$T/in/threat.png" --kind screenshot
    add "$T/in/huge.png" --kind screenshot
    local png_b64
    png_b64=$(base64 -w0 <"$T/in/threat.png")
    cat >"$T/in/threat.eml" <<EOF
From: Anon <anon@attacker.example>
To: victim@school.example
Subject: you
Date: Fri, 20 Nov 2026 22:02:58 +0100
Message-ID: <t1@attacker.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Everyone will see this <script>alert(1)</script> & more
Second line of the threat
--b1
Content-Type: image/png; name="proof.png"
Content-Disposition: attachment; filename="proof.png"
Content-Transfer-Encoding: base64

$png_b64
--b1--
EOF
    expect_exit 0 cbkit --case "$C" add-email "$T/in/threat.eml"
    {
        printf 'From: a@attacker.example\nTo: v@school.example\nSubject: long\nDate: Fri, 20 Nov 2026 23:00:00 +0100\n'
        printf 'Message-ID: <t2@attacker.example>\n\n'
        local i
        for ((i = 1; i <= 100; i++)); do printf 'line %03d of the long message\n' "$i"; done
    } >"$T/in/long.eml"
    expect_exit 0 cbkit --case "$C" add-email "$T/in/long.eml"
    expect_exit 0 cbkit --case "$C" report --format html --out "$T/r.html"
    local h="$T/r.html"
    # The body, escaped: the script is text.
    grep -qF 'Everyone will see this &lt;script&gt;alert(1)&lt;/script&gt; &amp; more' "$h" || fail "html: the e-mail body is not shown escaped"
    grep -qF 'Second line of the threat' "$h" || fail "html: the body's second line is missing"
    if grep -qi '<script' "$h"; then fail "html: a script tag from the body is active"; fi
    # The long body: cut after 60 lines, with the note naming body.txt and its hash.
    grep -qF 'line 060 of the long message' "$h" || fail "html: line 60 of the long body is not shown"
    if grep -qF 'line 061 of the long message' "$h"; then fail "html: the long body is not cut"; fi
    local body_sha
    body_sha=$(jline "$C" 4 '.files[] | select(.role == "body-text") | .sha256')
    [[ ${#body_sha} == 64 ]] || fail "no body-text file recorded for the long e-mail"
    grep -qF "Shortened: 60 of 100 lines are shown. The full text is exhibit" "$h" || fail "html: no note for the cut body"
    grep -qF "evidence/000004-email/body.txt" "$h" || fail "html: the note does not name the stored body"
    grep -qF "$body_sha" "$h" || fail "html: the note does not give the body's SHA-256"
    # Thumbnails: the PNG file and the PNG attachment are data: URIs whose bytes hash to the
    # recorded SHA-256; the 6 MiB PNG is named with a note, not embedded.
    local png_sha att_sha
    png_sha=$(jline "$C" 1 '.files[0].sha256')
    att_sha=$(jline "$C" 3 '.files[] | select(.role == "attachment") | .sha256')
    "$PY" - "$h" "$png_sha" "$att_sha" <<'PYEOF' || fail "html: the thumbnails are not the recorded bytes"
import base64, hashlib, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
uris = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
hashes = [hashlib.sha256(base64.b64decode(u)).hexdigest() for u in uris]
assert len(uris) == 2, f"{len(uris)} embedded images"
assert sys.argv[2] in hashes and sys.argv[3] in hashes, hashes
PYEOF
    grep -qF 'evidence/000002-file/huge.png' "$h" || fail "html: the large image is not named"
    grep -qF 'is not embedded: it is larger than 5.0 MiB' "$h" || fail "html: no note for the large image"
    grep -qF "exhibit 1: evidence/000001-file/threat.png, SHA-256 $png_sha" "$h" || fail "html: the thumbnail has no exhibit number and hash"
    grep -qF "Attachment proof.png of e-mail #3" "$h" || fail "html: the attachment's thumbnail caption is missing"
    # Markdown and text: the same items named, nothing embedded.
    local fmt
    for fmt in md txt; do
        expect_exit 0 cbkit --case "$C" report --format "$fmt" --out "$T/r.$fmt"
        if grep -qF 'data:image' "$T/r.$fmt"; then fail "$fmt: an image is embedded"; fi
        grep -qF "$png_sha" "$T/r.$fmt" || fail "$fmt: the image's hash is not given"
        grep -qF 'line 060 of the long message' "$T/r.$fmt" || fail "$fmt: the long body is not shown"
        if grep -qF 'line 061 of the long message' "$T/r.$fmt"; then fail "$fmt: the long body is not cut"; fi
    done
    grep -qF '> Everyone will see this \<script\>alert(1)\</script\> \& more' "$T/r.md" || fail "md: the body is not quoted and escaped"
    grep -qF '  | Everyone will see this <script>alert(1)</script> & more' "$T/r.txt" || fail "txt: the body is not quoted as written"
    # Translated: the Dutch note.
    expect_exit 0 cbkit --case "$C" report --lang nl --format txt
    expect_stdout_contains "Ingekort: 60 van 100 regels worden getoond."
    expect_stdout_contains "Tekst van het bericht"
    # No English sentence of the catalogue in nl, fr or de (the cut note, the large image, the
    # attachment's caption).
    local lang
    for lang in nl fr de; do
        expect_exit 0 cbkit --case "$C" report --lang "$lang" --format txt --out "$T/r.$lang.txt"
        "$PY" "$TESTS_DIR/support/report_catalogue.py" "$TESTS_DIR/../../src/report/i18n.cpp" "$lang" "$T/r.$lang.txt" \
            "${CATALOGUE_ALLOW[@]}" >"$T/problems.$lang" ||
            fail "the $lang report has English or raw keys: $(head -5 "$T/problems.$lang")"
    done
}

# A capture of a page on a local server appears with its URL, status and server IP.
test_capture() {
    "$CBKIT_BIN" capture-url --help >/dev/null 2>&1 || skip "this cbkit has no capture-url"
    [[ -f $TESTS_DIR/support/web_server.py ]] || skip "no support/web_server.py"
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
    start_server_on_port "web server" "$T/port" "$PY" "$TESTS_DIR/support/web_server.py" --port-file "$T/port"
    local url="http://127.0.0.1:$(cat "$T/port")/page"
    expect_exit 0 cbkit --case "$C" capture-url "$url" --platform forum
    expect_exit 0 cbkit --case "$C" report --format txt
    expect_stdout_contains "Capture #1: $url"
    expect_stdout_contains "HTTP status:"
    expect_stdout_contains "127.0.0.1"
    expect_stdout_contains "capture #1 has no screenshot"
    expect_stdout_contains "no account ID recorded for capture #1"
    expect_stdout_contains "capture.warc.gz"
    expect_exit 0 cbkit --case "$C" report --lang nl --format html --out "$T/r.html"
    grep -qF "Webopname #1: $url" "$T/r.html" || fail "no capture heading in the Dutch HTML"
}

# Each call's content (numbers, direction, time in the zone and UTC, duration, the SMS text,
# the recording as a named exhibit with its hash) and the images of a conversation embedded
# after their message, as the recorded bytes (the counsellor's case).
test_calls_and_chat_images() {
    counsellor_case
    expect_exit 0 cbkit --case "$C" report --format html --out "$T/r.html"
    local rec_sha photo_sha
    rec_sha=$(jline "$C" 7 '.files[] | select(.role == "recording") | .sha256')
    photo_sha=$(jline "$C" 6 '.files[] | select(.path | endswith(".png")) | .sha256')
    "$PY" - "$T/r.html" "$photo_sha" <<'PYEOF' || fail "html: the chat's photo is not embedded as its recorded bytes after its message"
import base64, hashlib, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
start = html.index('id="conversations"')
end = html.index('id="calls"')
part = html[start:end]
uris = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', part)
assert [hashlib.sha256(base64.b64decode(u)).hexdigest() for u in uris] == [sys.argv[2]], uris
# after message 1, before message 2
assert part.index("Image 00000001-PHOTO") > part.index("attached: <span class=\"long\">00000001-PHOTO") and part.index("Image 00000001-PHOTO") < part.index("stop met me te schrijven")
PYEOF
    expect_exit 0 cbkit --case "$C" report --format txt
    expect_stdout_contains "Calls and text messages"
    expect_stdout_contains "Call #7"
    expect_stdout_contains "Calling number:   +32499998877"
    expect_stdout_contains "as typed: +32 499 99 88 77"
    expect_stdout_contains "2026-11-21 18:45:10 UTC / 2026-11-21 19:45:10 +01:00 (Europe/Brussels)"
    expect_stdout_contains "0:02:05 (125 s)"
    expect_stdout_contains "Recording: exhibit 13, oproep.m4a (evidence/000007-call/oproep.m4a"
    expect_stdout_contains "$rec_sha"
    expect_stdout_contains "withheld (number not shown)"
    expect_stdout_contains "  | ik weet waar je woont"
    expect_stdout_contains "(Image 00000001-PHOTO-2026-11-20-21-15-00.png of message 1 of conversation #6 - exhibit 11:"
    expect_exit 0 cbkit --case "$C" report --format txt --lang nl
    expect_stdout_contains "Oproepen en sms-berichten"
    expect_stdout_contains "Oproepend nummer:       afgeschermd (nummer niet getoond)"
    local lang
    for lang in nl fr de; do
        expect_exit 0 cbkit --case "$C" report --lang "$lang" --format txt --out "$T/r.$lang.txt"
        "$PY" "$TESTS_DIR/support/report_catalogue.py" "$TESTS_DIR/../../src/report/i18n.cpp" "$lang" "$T/r.$lang.txt" \
            "${CATALOGUE_ALLOW[@]}" messages >"$T/problems.$lang" ||
            fail "the $lang report has English or raw keys: $(head -5 "$T/problems.$lang")"
    done
}

run_tests "$@"
