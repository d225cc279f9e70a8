#!/usr/bin/env bash
# cbkit report --template identification: the annex that the Telecommunications Ombudsman, an
# operator or the police need to identify an anonymous sender, on the counsellor's case
# (support/counsellor_case.sh): each suspect identifier with its incidents, exact times in
# the case's zone and UTC and its evidence; the sender's client IP with its rule and never a
# provider relay; what cannot be known said plainly; nothing about the victim beyond the
# requester and the number that was called; every language and format.
source "$(dirname "$0")/lib.sh"
source "$TESTS_DIR/support/counsellor_case.sh"

test_json() {
    counsellor_case
    expect_exit 0 cbkit --case "$C" report --template identification --format json
    cp "$OUT" "$T/annex.json"
    expect_jq '.report.format == "cbkit-identification-json"' '.requester.names == ["Lotte"]' \
        '.suspects == [{"id": 2, "names": ["Sam"]}]' \
        '[.identifiers[].type] == ["account", "chat-participant", "phone", "phone-hidden", "email", "email", "ip"]'
    # The account: platform, numeric ID and URL, the screenshot as its incident with exhibit and hash.
    local shot_sha
    shot_sha=$(jline "$C" 3 '.files[0].sha256')
    expect_jq '.identifiers[0].account == {"platform": "instagram", "id": "1784100000042", "handle": "", "url": "https://www.instagram.com/x_hater_2026"}' \
        ".identifiers[0].incidents[0] | .entry == 3 and .utc == \"2026-11-20T20:14:00Z\" and .time_from == \"observed\" and .evidence[0].exhibit == 1 and .evidence[0].sha256 == \"$shot_sha\"" \
        '.identifiers[0].incidents[0].local == "2026-11-20 21:14:00 +01:00 (Europe/Brussels)"'
    # The chat participant: the suspect's two messages (not Lotte's), their UTC times.
    expect_jq '.identifiers[1].value == "whatsapp:Sam"' '[.identifiers[1].incidents[].utc] == ["2026-11-20T20:14:07Z", "2026-11-20T20:15:00Z"]'
    # The phone: the recorded call (recording as a named exhibit with its hash) and the SMS.
    local rec_sha
    rec_sha=$(jline "$C" 7 '.files[] | select(.role == "recording") | .sha256')
    expect_jq '.identifiers[2].value == "+32499998877"' '[.identifiers[2].incidents[].entry] == [7, 9]' \
        ".identifiers[2].incidents[0].evidence[0] | .path == \"evidence/000007-call/oproep.m4a\" and .sha256 == \"$rec_sha\" and .exhibit != null" \
        '.identifiers[2].incidents[0].utc == "2026-11-21T18:45:10Z"' \
        '.identifiers[2].incidents[1].what.key == "idw_sms_in"' \
        '.identifiers[2].incidents[1].evidence[0] | .path == "manifest.jsonl" and .exhibit == null and (.sha256 | length) == 64'
    # The withheld call: its time and the called number, and whom to ask.
    expect_jq '.identifiers[3].value == "withheld"' '.identifiers[3].incidents[0].utc == "2026-11-22T22:10:00Z"' \
        '.identifiers[3].incidents[0].what.args[0] == "+32470123456"' '.identifiers[3].cannot_know[0].key == "idk_hidden"'
    # E-mails: the Gmail one has no IP, says so and what to ask Google; the home one's IP is
    # an identifier with its rule and the Received time, and the missing port is said.
    expect_jq '.identifiers[4].value == "sam.hater@telenet.example"' '.identifiers[4].incidents[0].what.args[1] == "81.164.201.77"' \
        '.identifiers[5].value == "anon.x.2026@gmail.com"' \
        '.identifiers[5].incidents[0].cannot_know[0].key == "idk_provider"' \
        '.identifiers[5].incidents[0].cannot_know[0].text | test("Google") and test("CAGmail-77@mail.gmail.com") and test("2026-11-21 07:30:05 UTC")' \
        '.identifiers[6] | .value == "81.164.201.77" and .attributed[0].args == ["first-public-hop"]' \
        '.identifiers[6].incidents[0] | .utc == "2026-11-20T21:02:59Z" and .time_from == "hop"' \
        '.identifiers[6].cannot_know[0].key == "idk_port"'
    # Never a relay's address: Google's 209.85.221.41 and the suspect ISP's own server are not IPs of the suspect.
    if grep -qE '209\.85\.221\.41|195\.130\.132\.10' "$T/annex.json"; then fail "a relay's address is listed as the sender's"; fi
    # Nothing about the victim beyond the requester and the called number: not her e-mail address.
    if grep -q 'lotte@school.example' "$T/annex.json"; then fail "the victim's e-mail address is in the annex"; fi
}

test_languages_and_formats() {
    counsellor_case
    local lang fmt
    for lang in en nl fr de; do
        for fmt in html md txt; do
            expect_exit 0 cbkit --case "$C" report --template identification --lang "$lang" --format "$fmt" --out "$T/annex.$lang.$fmt"
            grep -qF '81.164.201.77' "$T/annex.$lang.$fmt" || fail "$lang/$fmt: no IP address"
            grep -qF '2026-11-22 23:10:00 +01:00' "$T/annex.$lang.$fmt" || fail "$lang/$fmt: no local time of the withheld call"
            grep -qF '2026-11-22 22:10:00 UTC' "$T/annex.$lang.$fmt" || fail "$lang/$fmt: no UTC time of the withheld call"
            if grep -qF 'lotte@school.example' "$T/annex.$lang.$fmt"; then fail "$lang/$fmt: the victim's address is in the annex"; fi
        done
        if [[ $lang != en ]]; then
            "$PY" "$TESTS_DIR/support/report_catalogue.py" "$TESTS_DIR/../../src/report/i18n.cpp" "$lang" "$T/annex.$lang.txt" \
                "${CATALOGUE_ALLOW[@]}" >"$T/problems.$lang" ||
                fail "the $lang annex has English or raw keys: $(head -5 "$T/problems.$lang")"
        fi
    done
    grep -qF 'Bijlage identificatie - dossier BE-CLB-2026-0117' "$T/annex.nl.txt" || fail "no Dutch title"
    grep -qF 'IP-adres niet beschikbaar: het bericht werd verzonden via Google' "$T/annex.nl.txt" || fail "no Dutch statement about the Gmail IP"
    grep -qF 'Pas de port source dans la preuve' "$T/annex.fr.txt" || fail "no French statement about the port"
    grep -qF 'Anrufe ohne angezeigte Nummer' "$T/annex.de.txt" || fail "no German withheld calls"
    # The complaint report is unchanged by the option's default.
    expect_exit 0 cbkit --case "$C" report --format txt --template complaint
    expect_stdout_contains "Police checklist"
}

# "messages" is in the name of the file messages.json.
CATALOGUE_ALLOW=("Received" "Authentication-Results" "SHA-256" "Message-ID" "Return-Path" "Reply-To" "Account" "Platform" "messages")

test_no_suspect() {
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
    expect_exit 0 cbkit --case "$C" person --role victim --name Lotte
    expect_exit 0 cbkit --case "$C" report --template identification --format txt
    expect_stdout_contains "No person with the role suspect is recorded"
    expect_exit 0 cbkit --case "$C" report --template identification --format json
    expect_jq '.identifiers == []' '.suspects == []'
}

test_bad_args() {
    C="$T/case"
    new_case "$C"
    expect_exit 2 cbkit --case "$C" report --template annex
    expect_error_line "--template 'annex'" "identification"
    expect_exit 2 cbkit --case "$C" report --template identification --record
    expect_error_line "--template identification" "--record"
}

test_pdf() {
    command -v chromium >/dev/null || skip "chromium is not installed (Debian package chromium)"
    command -v pdftotext >/dev/null || skip "pdftotext is not installed (Debian package poppler-utils)"
    counsellor_case
    expect_exit 0 cbkit --case "$C" report --template identification --lang nl --out "$T/annex.pdf"
    pdftotext -layout "$T/annex.pdf" "$T/annex.txt"
    tr -s ' ' <"$T/annex.txt" >"$T/squeezed.txt"
    local tok
    for tok in 'Bijlage identificatie - dossier BE-CLB-2026-0117' '81.164.201.77' '2026-11-20 21:02:59 UTC' '+32499998877' \
        '1784100000042' '2026-11-21 19:45:10 +01:00'; do
        grep -qF -- "$tok" "$T/squeezed.txt" || fail "'$tok' is broken or missing in the annex PDF"
    done
}

run_tests "$@"
