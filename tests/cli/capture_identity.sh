#!/usr/bin/env bash
# capture-url's identity findings: pages in the shapes platforms use (embedded state, XHR
# JSON, a logged-in page that also names the viewer), served by support/identity_server.py
# on 127.0.0.1 and fetched through it as a proxy so the WARC records the platform's URL.
# The subject's id, rule and offset in --json, capture.json and the line; never the
# viewer's; no marker, no finding; verify re-derives the findings and catches a forgery.
source "$(dirname "$0")/lib.sh"

setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    "$PY" "$TESTS_DIR/support/identity_server.py" --port-file "$T/id.port" 2>"$T/id.log" &
    at_exit "kill $!"
    local i
    for i in $(seq 200); do
        [[ -s $T/id.port ]] && break
        sleep 0.05
    done
    [[ -s $T/id.port ]] || fail "identity_server.py did not start"
    PROXY="http://127.0.0.1:$(cat "$T/id.port")"
}

# capture URL -- capture through the test server as a proxy, --json on stdout
capture() {
    expect_exit 0 cbkit --case "$C" --json capture-url --proxy "$PROXY" "$1"
}

cj() {
    echo "$C/evidence/$(printf %06d "$1")-web/capture.json"
}

test_instagram_logged_in_subject_not_viewer() {
    setup
    capture "http://www.instagram.com/samh/"
    expect_jq '.entries[0].identity.rules_version | startswith("cbkit-identity-rules")' \
        '[.entries[0].identity.findings[] | select(.role == "subject" and .field == "account_id") | .value] == ["1234567"]' \
        '[.entries[0].identity.findings[] | select(.role == "viewer" and .field == "account_id") | .value] == ["999000111"]' \
        '[.entries[0].identity.findings[] | select(.role == "subject" and .value == "999000111")] | length == 0' \
        '.entries[0].identity.findings[0].role == "subject"'
    local f
    f=$(cj 1)
    expect_jq_file "$f" '.identity.findings[] | select(.role == "subject" and .field == "account_id") | .rule == "instagram.profile-id" and .where == "body" and .confidence == "high" and (.warc_record_id | startswith("<urn:uuid:"))' \
        '[.identity.findings[] | select(.role == "viewer") | .rule] | sort == ["instagram.viewer-cookie", "instagram.viewer-id"] or (sort == ["instagram.viewer-id"]) or (sort == ["instagram.viewer-cookie"])'
    # The offset points at the id in the decoded body (gzip undone): body.html is that body.
    local off
    off=$(jq -r '.identity.findings[] | select(.role == "subject" and .field == "account_id") | .offset' "$f")
    expect_eq "$(tail -c +$((off + 1)) "$C/evidence/000001-web/body.html" | head -c 7)" "1234567" "the bytes at the offset"
    # The record named is the page's response in the WARC.
    expect_jq_file "$f" '(.identity.findings[] | select(.role == "subject" and .field == "account_id") | .warc_record_id) == .warc.final_response_record_id'
    expect_line_jq "$C" 1 '.web.identity.subject | map(select(.field == "account_id") | .value) == ["1234567"]'
    expect_exit 0 cbkit --case "$C" log
    expect_stdout_contains "instagram id 1234567 (@samh)"
    expect_exit 0 cbkit --case "$C" show 1
    expect_stdout_contains "instagram id 1234567 (@samh)"
    expect_stdout_matches '[0-9]+\. subject instagram account_id 1234567 \(rule instagram\.profile-id, high, WARC record <urn:uuid:'
    expect_stdout_matches '[0-9]+\. viewer instagram account_id 999000111 '
    expect_exit 0 cbkit --case "$C" --json show 1
    expect_jq '[.identity.findings[] | select(.role == "subject" and .field == "account_id") | .value] == ["1234567"]'
    expect_exit 0 cbkit verify "$C"
}

test_x_xhr_json() {
    setup
    capture "http://x.com/i/api/graphql/q/UserByScreenName?variables=%7B%22screen_name%22%3A%22samh%22%7D"
    expect_jq '.entries[0].identity.findings[] | select(.field == "account_id") | .value == "44196397" and .rule == "x.user-by-screen-name.rest-id"' \
        '.entries[0].identity.findings[] | select(.field == "handle") | .value == "samh"'
    local off
    off=$(jq -r '.entries[0].identity.findings[] | select(.field == "account_id") | .offset' "$OUT")
    expect_eq "$(tail -c +$((off + 1)) "$C/evidence/000001-web/body.json" | head -c 8)" "44196397" "the bytes at the offset"
    expect_exit 0 cbkit verify "$C"
}

test_tiktok_chunked_with_viewer_context() {
    setup
    capture "http://www.tiktok.com/@sam_h"
    expect_jq '[.entries[0].identity.findings[] | select(.role == "subject" and .field == "account_id") | .value] == ["6812345678901234567"]' \
        '[.entries[0].identity.findings[] | select(.role == "subject" and .field == "handle") | .value] == ["sam_h"]' \
        '[.entries[0].identity.findings[] | select(.role == "viewer" and .field == "handle") | .value] == ["victim_own"]'
    expect_exit 0 cbkit verify "$C"
}

test_no_marker_no_finding() {
    setup
    capture "http://www.example.org/plain"
    expect_jq '.entries[0].identity.findings == []'
    expect_line_jq "$C" 1 '.web.identity.subject == []'
    expect_exit 0 cbkit --case "$C" log
    [[ $(cat "$OUT") != *" id "* ]] || fail "log names an id for a page without a marker: $(cat "$OUT")"
    expect_exit 0 cbkit verify "$C"
}

# A forger edits capture.json's subject id and fixes its hash and size in the (last) line:
# every hash and the chain hold, but the findings read again from the WARC differ.
test_verify_detects_tampered_identity() {
    setup
    capture "http://www.instagram.com/samh/"
    local f sha size
    f=$(cj 1)
    chmod u+w "$f"
    sed -i 's/"value": "1234567"/"value": "7654321"/' "$f"
    sha=$(sha256sum "$f" | cut -d' ' -f1)
    size=$(stat -c %s "$f")
    local i
    i=$(line_at "$C" 1 | jq '.files | map(.role) | index("capture")')
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 1 "files.$i.sha256" "\"$sha\""
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 1 "files.$i.size" "$size"
    run_rc cbkit verify "$C" --json
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_jq '[.findings[] | select(.code == "capture-identity-differs" and .seq == 1 and .severity == "error")] | length == 1' \
        '[.findings[] | select(.code == "file-hash-mismatch")] | length == 0'
}

# The line's web.identity edited: also found.
test_verify_detects_tampered_line_identity() {
    setup
    capture "http://www.instagram.com/samh/"
    "$PY" "$MTOOL" set "$C/manifest.jsonl" 1 "web.identity.subject.0.value" '"7654321"'
    run_rc cbkit verify "$C" --json
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_jq '[.findings[] | select(.code == "capture-identity-differs" and .seq == 1)] | length == 1'
}

# The user confirms the capture's subject into a suspect person: the id, handle and profile URL
# of the subject (never the viewer), with the capture, rule, WARC record and offset; the
# report's points 2 and 11 then rest on the person too. The line validates against the schema.
test_person_from_capture() {
    setup
    capture "http://www.instagram.com/samh/"
    expect_exit 0 cbkit --case "$C" --json person --role suspect --from-capture 1
    expect_line_jq "$C" 2 '.person.accounts[0].platform == "instagram"' '.person.accounts[0].id == "1234567"' \
        '.person.accounts[0].handle == "samh"' '.person.accounts[0].url == "http://www.instagram.com/samh/"' \
        '.person.accounts[0].from_capture.seq == 1' \
        '.person.accounts[0].from_capture.findings[0].rule == "instagram.profile-id"' \
        '.person.accounts[0].from_capture.findings[0].offset > 0' \
        '(.person.accounts[0].from_capture.findings[0].warc_record_id | startswith("<urn:uuid:"))'
    "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$CBKIT_SCHEMA" >/dev/null || fail "the lines do not validate against the schema"
    # Finding N of the viewer is refused; a number out of range too; nothing is written.
    local viewer
    expect_exit 0 cbkit --case "$C" --json show 1
    viewer=$(jout '[.identity.findings[] | .role] | index("viewer") + 1')
    expect_exit 2 cbkit --case "$C" person --role suspect --from-capture "1:$viewer"
    expect_stderr_contains "viewer"
    expect_exit 2 cbkit --case "$C" person --role suspect --from-capture 1:99
    expect_exit 2 cbkit --case "$C" person --role suspect --from-capture 2
    expect_eq "$(manifest_lines "$C")" 3 "lines after refused --from-capture"
    expect_exit 0 cbkit --case "$C" report --format json --out "$T/report.json"
    expect_jq_file "$T/report.json" '.checklist[1].status == "present"' '.checklist[10].status == "present"'
    expect_exit 0 cbkit verify "$C"
}

# A page with no subject account: --from-capture SEQ says so and asks for SEQ:N.
test_person_from_capture_without_id() {
    setup
    capture "http://www.example.org/plain"
    expect_exit 2 cbkit --case "$C" person --role suspect --from-capture 1
    expect_stderr_contains "names no subject account id"
}

# --browser: the subject is only in the JSON the page fetched (XHR), which the WARC keeps
# from the browser's network log; the page itself names only the logged-in viewer. Chromium
# would upgrade the platform's (HSTS-preloaded) host to https, so the page is asked for on
# 127.0.0.1: its canonical URL names the platform, which gives low confidence and a note.
test_browser_xhr_subject() {
    command -v chromium >/dev/null ||
        skip "chromium is not installed (Debian package chromium: apt-get install chromium, or scripts/deps.sh test)"
    setup
    export CBKIT_CMD_TIMEOUT=200
    expect_exit 0 cbkit --case "$C" --json capture-url "$PROXY/samx/" --browser
    local f
    f=$(cj 1)
    expect_jq_file "$f" '[.identity.findings[] | select(.role == "subject" and .field == "account_id") | .value] == ["7654321"]' \
        '.identity.findings[] | select(.role == "subject" and .field == "account_id") | .rule == "instagram.web-profile-info.id" and .platform == "instagram" and .confidence == "low" and (.note | contains("canonical"))' \
        '(.identity.findings[] | select(.role == "subject" and .field == "account_id") | .warc_record_id) != .warc.final_response_record_id' \
        '[.identity.findings[] | select(.role == "viewer" and .field == "account_id") | .value] == ["999000111"]' \
        '[.identity.findings[] | select(.role == "subject" and .value == "999000111")] | length == 0'
    expect_exit 0 cbkit verify "$C"
}

run_tests "$@"
