#!/usr/bin/env bash
# cbkit report --format pdf: the HTML report printed by headless Chromium. A4 pages, the
# case ID, the head's prefix and "page X / Y" in the footer of every page; IP addresses,
# dates and hash groups unbroken in the PDF's text; --record; a clear error without
# Chromium. Skipped (visibly) without chromium or poppler-utils (pdftotext, pdfinfo).
source "$(dirname "$0")/lib.sh"
source "$TESTS_DIR/support/counsellor_case.sh"

CORPORA=${CBKIT_CORPORA:-$TESTS_DIR/../../../shared/corpora}
export CBKIT_CMD_TIMEOUT=150

need_pdf_tools() {
    command -v chromium >/dev/null || skip "chromium is not installed (Debian package chromium; scripts/deps.sh test installs it)"
    command -v pdftotext >/dev/null && command -v pdfinfo >/dev/null ||
        skip "pdftotext/pdfinfo are not installed (Debian package poppler-utils; scripts/deps.sh test installs it)"
}

# A 2x2 PNG (a screenshot stand-in), fixed bytes.
make_png() {
    printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==' | base64 -d >"$1"
}

# pdf_case -- a case in $C: an e-mail with Received hops (public and private IPs), a
# screenshot with its account, notes and persons.
pdf_case() {
    [[ -d $CORPORA/email ]] || skip "corpora not found at $CORPORA (set CBKIT_CORPORA)"
    C="$T/case"
    expect_exit 0 cbkit init "$C" --case-id BE-PDF-2026-0042 --examiner "A. Peeters" --org "Police zone X" \
        --title "PDF report test case" --timezone Europe/Brussels
    mkdir -p "$T/in"
    make_png "$T/in/post.png"
    expect_exit 0 cbkit --case "$C" person --role victim --name "Lotte" --phone "0470 12 34 56" --email lotte@example.be
    expect_exit 0 cbkit --case "$C" person --role suspect --name "Sam" \
        --account "instagram:1784100000042:https://www.instagram.com/x_hater_2026" --phone "+32 470 99 88 77"
    add "$T/in/post.png" --kind screenshot --note "Instagram post" --source-url https://instagram.com/x_hater_2026 \
        --observed-at 2026-11-20T21:14:00+01:00 --platform instagram --account-id 1784100000042
    expect_exit 0 cbkit --case "$C" add-email "$CORPORA/email/mikel-mail/plain_emails/basic_email.eml"
    note "Called 101, report number 123/2026" --kind phone-call --observed-at 2026-11-21T09:05:00+01:00
    note "Met the victim and her mother. A very long address without spaces: https://www.example.com/a/really/long/path/that/does/not/fit/in/a/column/at/all?with=query&and=more"
}

# The texts of the HTML report that must come out of the PDF unbroken: every kept run
# (span.nw) holding an IPv4 address or a date, and every hash (span.hash), as JSON lines.
html_tokens() {
    "$PY" - "$1" <<'EOF'
import html, json, re, sys
doc = open(sys.argv[1], encoding="utf-8").read()
body = doc[doc.index("</nav>"):]
out = {"ip": set(), "date": set(), "hash": set()}
for m in re.finditer(r'<span class="nw">(.*?)</span>', body):
    t = html.unescape(m.group(1))
    out["ip"].update(re.findall(r"\b(?:\d{1,3}\.){3}\d{1,3}\b", t))
    out["date"].update(re.findall(r"\b\d{4}-\d\d-\d\d(?: \d\d:\d\d(?::\d\d)?)?", t))
for m in re.finditer(r'<span class="hash">(.*?)</span>', body):
    out["hash"].add(m.group(1).replace("<wbr>", ""))
print(json.dumps({k: sorted(v) for k, v in out.items()}))
EOF
}

test_nl_a4() {
    need_pdf_tools
    pdf_case
    expect_exit 0 cbkit --case "$C" report --lang nl --out "$T/klacht.pdf"
    expect_stdout_contains "wrote $T/klacht.pdf"
    head -c 5 "$T/klacht.pdf" | grep -q '%PDF-' || fail "klacht.pdf is not a PDF"
    pdfinfo "$T/klacht.pdf" >"$T/info" || fail "pdfinfo rejects the PDF"
    grep -qE '^Page size: +59[45]\.[0-9]+ x 841\.[0-9]+ pts \(A4\)' "$T/info" || fail "not A4: $(grep 'Page size' "$T/info")"
    local pages
    pages=$(awk '/^Pages:/ {print $2}' "$T/info")
    ((pages >= 3 && pages <= 30)) || fail "unexpected page count $pages"
    # No browser header: no file path, no title line, no US date (M/D/YY) anywhere.
    pdftotext -layout "$T/klacht.pdf" "$T/all.txt"
    if grep -qE 'file://|cbkit-print|\b[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}\b' "$T/all.txt"; then
        fail "browser header or file path in the PDF: $(grep -nE 'file://|cbkit-print|\b[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}\b' "$T/all.txt" | head -3)"
    fi
    grep -q 'Bewijsrapport - dossier BE-PDF-2026-0042' "$T/all.txt" || fail "the title is not in the PDF"
    # The footer of every page: case ID, the head's first 16 digits, "pagina N / M".
    local head p
    head=$(manifest_head "$C")
    for ((p = 1; p <= pages; p++)); do
        pdftotext -layout -f "$p" -l "$p" "$T/klacht.pdf" "$T/page.txt"
        grep -qF "Dossier BE-PDF-2026-0042 · kop ${head:0:16}" "$T/page.txt" || fail "page $p: no case ID and head in the footer"
        grep -qE "pagina $p / $pages\b" "$T/page.txt" || fail "page $p: no 'pagina $p / $pages' in the footer"
    done
    # The full head is in the document (the footer holds its prefix only).
    tr -d ' \n' <"$T/all.txt" | grep -qF "$head" || fail "the full head is not in the PDF"
    # IP addresses, dates and hash groups unbroken.
    expect_exit 0 cbkit --case "$C" report --lang nl --out "$T/klacht.html"
    html_tokens "$T/klacht.html" >"$T/tokens.json"
    jq -e '(.ip | length) >= 3 and (.date | length) >= 3 and (.hash | length) >= 3' "$T/tokens.json" >/dev/null ||
        fail "too few tokens to check: $(cat "$T/tokens.json")"
    grep -qF '203.12.160.161' <(jq -r '.ip[]' "$T/tokens.json") || fail "the e-mail's public IP is not in the report"
    tr -s ' ' <"$T/all.txt" >"$T/squeezed.txt"
    local tok
    while IFS= read -r tok; do
        grep -qF -- "$tok" "$T/squeezed.txt" || fail "'$tok' is broken or missing in the PDF's text"
    done < <(jq -r '.ip[], .date[]' "$T/tokens.json")
    pdftotext "$T/klacht.pdf" - | tr -d ' \n' >"$T/joined.txt"
    while IFS= read -r tok; do
        local i
        for ((i = 0; i < ${#tok}; i += 8)); do
            grep -qF -- "${tok:i:8}" "$T/all.txt" || fail "hash group ${tok:i:8} of $tok is broken in the PDF's text"
        done
        grep -qF -- "$tok" "$T/joined.txt" || fail "hash $tok is not in the PDF in order"
    done < <(jq -r '.hash[]' "$T/tokens.json")
    # Pictures of the pages for a person to look at (kept when the test fails; CBKIT_KEEP_PNG=DIR keeps them).
    if command -v pdftoppm >/dev/null && [[ -n ${CBKIT_KEEP_PNG:-} ]]; then
        mkdir -p "$CBKIT_KEEP_PNG"
        pdftoppm -r 80 -png "$T/klacht.pdf" "$CBKIT_KEEP_PNG/klacht"
    fi
}

test_fr_de_en_footer() {
    need_pdf_tools
    pdf_case
    expect_exit 0 cbkit --case "$C" report --lang fr --format pdf --out "$T/plainte.bin"
    pdftotext -layout -f 1 -l 1 "$T/plainte.bin" "$T/p1.txt"
    grep -qE "Dossier BE-PDF-2026-0042 · tête [0-9a-f]{16}" "$T/p1.txt" || fail "no French footer"
    grep -qE "page 1 / [0-9]+" "$T/p1.txt" || fail "no French page number"
    expect_exit 0 cbkit --case "$C" report --lang de --out "$T/anzeige.pdf"
    pdftotext -layout -f 1 -l 1 "$T/anzeige.pdf" "$T/d1.txt"
    grep -qE "Akte BE-PDF-2026-0042 · Kopf [0-9a-f]{16}" "$T/d1.txt" || fail "no German footer"
    grep -qE "Seite 1 / [0-9]+" "$T/d1.txt" || fail "no German page number"
    grep -q "Beweisbericht - Akte BE-PDF-2026-0042" "$T/d1.txt" || fail "no German title"
    expect_exit 0 cbkit --case "$C" report --out "$T/report.pdf"
    pdftotext -layout -f 1 -l 1 "$T/report.pdf" "$T/e1.txt"
    grep -qE "Case BE-PDF-2026-0042 · head [0-9a-f]{16}" "$T/e1.txt" || fail "no English footer"
}

# --record stores the PDF as the report entry; --json describes it without its content; the
# line validates against the manifest's JSON Schema.
test_record() {
    need_pdf_tools
    pdf_case
    expect_exit 0 cbkit --case "$C" --json report --lang nl --format pdf --record
    expect_one_json_doc
    expect_jq '.format == "pdf"' '.recorded.path | endswith("-report/report.pdf")' '.content == null'
    local path
    path=$(jout .recorded.path)
    head -c 5 "$C/$path" | grep -q '%PDF-' || fail "the recorded report is not a PDF"
    expect_line_jq "$C" "$(jout .recorded.seq)" '.report.format == "pdf"' '.files[0].media_type == "application/pdf"'
    expect_exit 0 cbkit verify "$C" --json
    expect_jq '.ok == true'
    # A German PDF too; both lines validate against the manifest's JSON Schema.
    expect_exit 0 cbkit --case "$C" report --lang de --format pdf --record
    if "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
        "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$TESTS_DIR/../../schema/manifest-line.schema.json" >"$OUT" 2>"$ERR" ||
            _fail_with_outputs "the report lines do not validate against the schema"
    fi
}

# Without Chromium: a clear error naming the package; nothing written.
test_no_chromium() {
    C="$T/case"
    new_case "$C"
    mkdir -p "$T/emptypath"
    expect_exit 3 env PATH="$T/emptypath" "$CBKIT_BIN" --case "$C" report --out "$T/r.pdf"
    expect_error_line "chromium" "Debian package"
    [[ ! -e $T/r.pdf ]] || fail "a PDF was written without a browser"
    if ls -A "$T" | grep -q '^r\.pdf'; then fail "a temporary file was left behind"; fi
    expect_exit 3 cbkit --case "$C" report --format pdf --browser "$T/no-such-browser" --out "$T/r.pdf"
    expect_error_line "no-such-browser" "chromium"
    # A PDF is never written to the terminal.
    expect_exit 2 cbkit --case "$C" report --format pdf
    expect_error_line "--format pdf" "--out"
}

# The counsellor's case in full (support/counsellor_case.sh: persons, screenshot, e-mails with
# an attachment, a WhatsApp conversation with a photo, calls with a recording, a withheld call
# and an SMS) plus a page captured with --browser, as a Dutch PDF: the threats' text, the
# transcript, the calls, the 15 points, the IP addresses and dates can be read in it; every
# page has the footer; the identification annex prints too. CBKIT_KEEP_PNG=DIR keeps pictures
# of the pages (pdftoppm -r 60) for a person to look at.
test_counsellor_case_nl() {
    need_pdf_tools
    counsellor_case
    local pages_dir="$TESTS_DIR/support/browser_pages"
    start_server_on_port "page server" "$T/port" "$PY" "$pages_dir/server.py" "$T/port" "$T/requests.log"
    expect_exit 0 cbkit --case "$C" capture-url "http://127.0.0.1:$(cat "$T/port")/image.html" --browser --about-person 2
    expect_exit 0 cbkit --case "$C" report --lang nl --out "$T/klacht.pdf"
    pdfinfo "$T/klacht.pdf" >"$T/info" || fail "pdfinfo rejects the PDF"
    grep -qE '^Page size: +59[45]\.[0-9]+ x 841\.[0-9]+ pts \(A4\)' "$T/info" || fail "not A4"
    local pages head p
    pages=$(awk '/^Pages:/ {print $2}' "$T/info")
    ((pages >= 4 && pages <= 40)) || fail "unexpected page count $pages"
    head=$(manifest_head "$C")
    for ((p = 1; p <= pages; p++)); do
        pdftotext -layout -f "$p" -l "$p" "$T/klacht.pdf" "$T/page.txt"
        grep -qF "Dossier BE-CLB-2026-0117 · kop ${head:0:16}" "$T/page.txt" || fail "page $p: no case ID and head in the footer"
        grep -qE "pagina $p / $pages\b" "$T/page.txt" || fail "page $p: no page number in the footer"
    done
    pdftotext -layout "$T/klacht.pdf" "$T/all.txt"
    tr -s ' ' <"$T/all.txt" >"$T/squeezed.txt"
    local tok
    for tok in 'Iedereen gaat deze foto zien. Morgen staat hij online.' 'Dit is je laatste waarschuwing.' \
        'je gaat hier spijt van krijgen' 'stop met me te schrijven' 'ik weet waar je woont' \
        'Oproepen en sms-berichten' 'afgeschermd (nummer niet getoond)' 'Opname: stuk' \
        'Checklist van de politie' 'Datum, uur en nummer van de oproep' \
        '81.164.201.77' '2026-11-20 21:02:58 UTC' '2026-11-21 19:45:10 +01:00' '+32499998877' '1784100000042' \
        'Afbeelding 00000001-PHOTO-2026-11-20-21-15-00.png bij bericht 1' 'Tijd in Europe/Brussels (UTC+01:00)'; do
        grep -qF -- "$tok" "$T/squeezed.txt" || fail "'$tok' is broken or missing in the PDF's text"
    done
    # No English sentence of the catalogue and no raw key in the Dutch PDF's text.
    pdftotext "$T/klacht.pdf" "$T/plain.txt"
    "$PY" "$TESTS_DIR/support/report_catalogue.py" "$TESTS_DIR/../../src/report/i18n.cpp" nl "$T/plain.txt" \
        Received Authentication-Results SHA-256 Message-ID Return-Path Reply-To messages >"$T/problems" ||
        fail "the Dutch PDF has English or raw keys: $(head -5 "$T/problems")"
    # The annex as a PDF.
    expect_exit 0 cbkit --case "$C" report --template identification --lang nl --out "$T/bijlage.pdf"
    pdftotext "$T/bijlage.pdf" - | tr '\n' ' ' | tr -s ' ' | grep -qF 'IP-adres niet beschikbaar: het bericht werd verzonden via Google' ||
        fail "the annex PDF does not say why the Gmail message has no IP"
    if command -v pdftoppm >/dev/null && [[ -n ${CBKIT_KEEP_PNG:-} ]]; then
        mkdir -p "$CBKIT_KEEP_PNG"
        pdftoppm -r 60 -png "$T/klacht.pdf" "$CBKIT_KEEP_PNG/klacht"
        pdftoppm -r 60 -png "$T/bijlage.pdf" "$CBKIT_KEEP_PNG/bijlage"
    fi
}

run_tests "$@"
