#!/usr/bin/env bash
# cbkit capture-url --browser: the rendered capture by headless Chromium (screenshot, PDF,
# rendered DOM, the page's network requests in browser.json and the WARC), against pages
# served on 127.0.0.1 by support/browser_pages/server.py. Every test name contains
# "browser" (ctest gives those 240 s). They skip only when chromium is not installed; the
# test command (scripts/deps.sh test) installs it.
source "$(dirname "$0")/lib.sh"

PAGES="$TESTS_DIR/support/browser_pages"
PNGSTAT="$PAGES/pngstat.py"
export CBKIT_CMD_TIMEOUT=200

need_chromium() {
    command -v chromium >/dev/null ||
        skip "chromium is not installed (Debian package chromium: apt-get install chromium, or scripts/deps.sh test)"
    command -v pdfinfo >/dev/null || fail "pdfinfo is missing (Debian package poppler-utils; scripts/deps.sh test installs it)"
}

# start_server -- the page server on 127.0.0.1; sets BASE.
start_server() {
    start_server_on_port "page server" "$T/port" "$PY" "$PAGES/server.py" "$T/port" "$T/requests.log"
}

# setup [long] -- a case, the page server, and TMPDIR=$BTMP for cbkit, so the tests can see
# that no browser process or temporary folder is left. $BTMP is short (/tmp/cbb-XXXXXX)
# unless "long" is given: then it is $T/tmp, too long for Chromium's singleton socket, and
# cbkit must fall back to a short folder in /tmp by itself.
setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    start_server
    if [[ ${1:-} == long ]]; then
        BTMP="$T/tmp"
        mkdir "$BTMP"
    else
        BTMP=$(mktemp -d /tmp/cbb-XXXXXX)
        at_exit "rm -rf '$BTMP'"
    fi
    export TMPDIR="$BTMP"
}

# capture_ok URL [ARGS...] -- capture-url --browser --json that must exit 0; sets E
# (the entry folder, absolute) and SEQ.
capture_ok() {
    expect_exit 0 cbkit --case "$C" --json capture-url "$1" --browser "${@:2}"
    entry_from_json
}

entry_from_json() {
    expect_one_json_doc
    E="$C/$(jout '.entries[0].entry')"
    SEQ=$(jout '.entries[0].seq')
    [[ -d $E ]] || _fail_with_outputs "entry folder $E does not exist"
}

# expect_recorded ROLE NAME -- the entry's manifest line records NAME with ROLE, and the
# recorded sha256 and size are those of the file on disk.
expect_recorded() {
    local f="$E/$2"
    [[ -f $f ]] || fail "$2 is missing from the entry"
    expect_line_jq "$C" "$SEQ" \
        "[.files[] | select(.role == \"$1\" and (.path | endswith(\"/$2\")))] | length == 1" \
        "[.files[] | select(.path | endswith(\"/$2\")) | .sha256 == \"$(sha_of "$f")\" and .size == $(size_of "$f")] | all"
}

# png_size FILE -- "WIDTH HEIGHT" from the IHDR chunk (bytes 16-23).
png_size() {
    local hex
    hex=$(head -c 24 "$1" | hexdump_)
    [[ ${hex:0:16} == 89504e470d0a1a0a ]] || fail "$1 is not a PNG"
    echo "$((16#${hex:32:8})) $((16#${hex:40:8}))"
}

# red_pixels FILE -- decodes the whole PNG (fails on a corrupt one) and counts red pixels.
red_pixels() {
    local out
    out=$("$PY" "$PNGSTAT" "$1") || fail "$1 does not decode as a PNG: $out"
    echo "${out##* }"
}

expect_valid_pdf() {
    pdfinfo "$1" >"$T/pdfinfo.out" 2>&1 || fail "pdfinfo rejects $1: $(cat "$T/pdfinfo.out")"
    grep -qE '^Pages: +[1-9]' "$T/pdfinfo.out" || fail "pdfinfo reports no pages in $1: $(cat "$T/pdfinfo.out")"
}

# warc_records FILE -- one line per WARC record: "TYPE URI SOURCE PAYLOAD-SHA256-HEX"
# (python's gzip reads the members; the payload is what follows the HTTP head).
warc_records() {
    "$PY" - "$1" <<'EOF'
import gzip, hashlib, sys
data = gzip.open(sys.argv[1]).read()
pos = 0
while pos < len(data):
    head_end = data.index(b"\r\n\r\n", pos)
    fields = {}
    for line in data[pos:head_end].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        fields[k.strip().lower().decode()] = v.strip().decode()
    n = int(fields["content-length"])
    block = data[head_end + 4:head_end + 4 + n]
    payload = block
    if fields.get("content-type", "").startswith("application/http"):
        payload = block[block.index(b"\r\n\r\n") + 4:]
    print(fields["warc-type"], fields.get("warc-target-uri", "-"), fields.get("warc-cbkit-source", "-"),
          hashlib.sha256(payload).hexdigest())
    pos = head_end + 4 + n + 4
EOF
}

# no_browser_left -- no process of this test's browser is running and its temporary
# folders are gone.
expect_no_browser_left() {
    local i
    for ((i = 0; i < 50; i++)); do
        pgrep -f -- "$BTMP/" >/dev/null || break
        sleep 0.1
    done
    if pgrep -af -- "$BTMP/" >"$T/left.txt"; then
        fail "browser processes are still running: $(head -c 600 "$T/left.txt")"
    fi
    local left
    left=$(find "$BTMP" -mindepth 1 -maxdepth 1 | head -5)
    [[ -z $left ]] || fail "temporary folders left behind: $left"
}

# expect_schema_valid -- every line of $C validates against the manifest's JSON Schema.
expect_schema_valid() {
    "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$CBKIT_SCHEMA" >"$T/schema.out" 2>&1 ||
        fail "manifest lines do not validate against $CBKIT_SCHEMA: $(head -c 2000 "$T/schema.out")"
}

# ---------------------------------------------------------------- tests

test_browser_js_text() {
    need_chromium
    setup long
    capture_ok "$BASE/js.html"
    local js="THREAT-WRITTEN-BY-SCRIPT"
    # The served bytes never hold the text; the DOM after the script ran does.
    expect_recorded body body.html
    ! grep -qF "$js" "$E/body.html" || fail "the raw body already contains the text; the test page is wrong"
    expect_recorded rendered-dom rendered.html
    grep -qF "<div id=\"out\">$js</div>" "$E/rendered.html" || fail "rendered.html lacks the script's text: $(head -c 600 "$E/rendered.html")"
    head -c 15 "$E/rendered.html" | grep -qF '<!DOCTYPE html>' || fail "rendered.html does not start with the doctype"
    # The screenshot shows it: the text is red; the same page whose script fails has none.
    expect_recorded screenshot screenshot.png
    local red
    red=$(red_pixels "$E/screenshot.png")
    ((red > 2000)) || fail "the screenshot has $red red pixels; the red script text is not in it"
    expect_eq "$(png_size "$E/screenshot.png")" "1280 800" "screenshot size (default viewport, short page)"
    expect_recorded pdf page.pdf
    expect_valid_pdf "$E/page.pdf"
    expect_recorded browser browser.json
    expect_jq_file "$E/browser.json" \
        '.network_idle == true' '.settle == "network-idle"' '.load_event == true' \
        '.viewport.width == 1280 and .viewport.height == 800' \
        '.user_agent | test("Chrome/[0-9]") and (test("Headless") | not)' \
        '.browser.product | test("Chrome/")' \
        '.command_line | index("--headless") != null and index("--remote-debugging-pipe") != null' \
        '.command_line | index("--disable-background-networking") != null and index("--disable-component-update") != null' \
        '.command_line | map(select(startswith("--user-data-dir=") and contains("/tmp/cbkit-browser-"))) | length == 1' \
        '.command_line | map(select(startswith("--js-flags=--max-old-space-size="))) | length == 1' \
        ".final_url == \"$BASE/js.html\"" '.title == "written by script"' \
        "[.requests[] | select(.url == \"$BASE/js.html\" and .status == 200 and .remote_ip == \"127.0.0.1\" and .method == \"GET\")] | length == 1" \
        '.requests[0].mime_type == "text/html" and (.requests[0].duration_ms | type == "number")'
    if [[ $(id -u) == 0 ]]; then
        expect_jq_file "$E/browser.json" '.sandbox == false' '.command_line | index("--no-sandbox") != null'
    else
        expect_jq_file "$E/browser.json" '.sandbox == true' '.command_line | index("--no-sandbox") == null'
    fi
    expect_line_jq "$C" "$SEQ" '.web.browser.ok == true' '.web.browser.settle == "network-idle"' '.web.browser.viewport == "1280x800"'
    expect_no_browser_left
    expect_verify_ok "$C"
    expect_schema_valid

    # The control page (same markup, the script fails first): no text in the DOM, no red.
    capture_ok "$BASE/nojs.html"
    ! grep -qF "$js" "$E/rendered.html" || fail "the control page's DOM has the text"
    red=$(red_pixels "$E/screenshot.png")
    expect_eq "$red" 0 "red pixels in the control page's screenshot"
}

test_browser_long_page() {
    need_chromium
    setup
    capture_ok "$BASE/long.html" --viewport 800x600
    # long.html is 5016 CSS pixels tall: the full-page screenshot has all of it.
    expect_eq "$(png_size "$E/screenshot.png")" "800 5016" "full-page screenshot size"
    red_pixels "$E/screenshot.png" >/dev/null # decodes
    expect_jq_file "$E/browser.json" '.viewport.width == 800 and .viewport.height == 600' \
        '.screenshot.height == 5016 and .screenshot.truncated == false'
    expect_valid_pdf "$E/page.pdf"
    grep -qE '^Pages: +([2-9]|[1-9][0-9])' "$T/pdfinfo.out" || fail "a 5000-pixel page printed on one PDF page: $(cat "$T/pdfinfo.out")"
    expect_verify_ok "$C"
}

test_browser_never_finishes() {
    need_chromium
    setup
    # The response never ends: the raw capture times out (a failed attempt, exit 3), the
    # browser waits --browser-timeout, then captures what it has and says so.
    local t0=$SECONDS
    expect_exit 3 cbkit --case "$C" --json capture-url "$BASE/hang.html" --timeout 2 --browser --browser-timeout 4
    entry_from_json
    ((SECONDS - t0 < 60)) || fail "the capture took $((SECONDS - t0)) s; the wait is not bounded"
    expect_jq_file "$E/browser.json" '.network_idle == false' '.settle == "timeout"' '.load_event == false' \
        ".in_flight_at_capture | index(\"$BASE/hang.html\") != null" \
        '.limits.settle_timeout_ms == 4000'
    grep -qF 'STILL LOADING PAGE' "$E/rendered.html" || fail "rendered.html lacks what had arrived"
    red_pixels "$E/screenshot.png" >/dev/null
    expect_valid_pdf "$E/page.pdf"
    expect_line_jq "$C" "$SEQ" '.web.complete == false' '.web.browser.ok == true' '.web.browser.settle == "timeout"' \
        '.web.browser.network_idle == false'
    expect_no_browser_left
    expect_verify_ok "$C"
}

test_browser_image_request() {
    need_chromium
    setup
    capture_ok "$BASE/image.html"
    grep -qx 'GET /pixel.png' "$T/requests.log" || fail "the server never saw the image request"
    expect_jq_file "$E/browser.json" \
        "[.requests[] | select(.url == \"$BASE/pixel.png\" and .status == 200 and .mime_type == \"image/png\" and .resource_type == \"Image\" and .remote_ip == \"127.0.0.1\" and .remote_port == $(cat "$T/port") and .body.size > 0)] | length == 1"
    local img_sha
    img_sha=$(jq -r ".requests[] | select(.url == \"$BASE/pixel.png\") | .body.sha256" "$E/browser.json")
    # The image as the server sends it (the server makes it; fetch it once more to compare).
    "$PY" -c "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())" "$BASE/pixel.png" >"$T/pixel.png"
    expect_eq "$img_sha" "$(sha_of "$T/pixel.png")" "sha256 of the image body kept by the browser"
    # The independent reader of the capture tests checks framing and every digest.
    "$PY" "$TESTS_DIR/support/warc_read.py" "$E/capture.warc.gz" >"$T/warc_read.json" 2>"$T/warc_read.err" ||
        fail "warc_read.py rejects the WARC: $(cat "$T/warc_read.err")"
    warc_records "$E/capture.warc.gz" >"$T/records.txt" || fail "the WARC does not parse"
    grep -qx "request $BASE/pixel.png browser-cdp [0-9a-f]*" "$T/records.txt" || fail "no browser request record for the image: $(cat "$T/records.txt")"
    grep -qx "response $BASE/pixel.png browser-cdp $img_sha" "$T/records.txt" ||
        fail "no browser response record holding the image: $(cat "$T/records.txt")"
    # The raw capture's own records are still the first (not marked as the browser's).
    grep -qx "response $BASE/image.html - [0-9a-f]*" "$T/records.txt" || fail "the raw response record is missing: $(cat "$T/records.txt")"
    local shot_sha
    shot_sha=$(sha_of "$E/screenshot.png")
    grep -qx "resource urn:cbkit:screenshot:$BASE/image.html browser-cdp $shot_sha" "$T/records.txt" ||
        fail "the screenshot is not a resource record of the WARC: $(cat "$T/records.txt")"
    grep -q "^metadata $BASE/image.html browser-cdp " "$T/records.txt" || fail "no browser.json metadata record"
    # (Through a file: with pipefail, grep -q stopping early would fail zcat with SIGPIPE.)
    zcat "$E/capture.warc.gz" >"$T/warc.txt"
    grep -qa '^X-Archive-Orig-Content-Length: ' "$T/warc.txt" || fail "reconstructed heads do not keep the original Content-Length"
    expect_verify_ok "$C"
}

test_browser_redirect_and_gzip() {
    need_chromium
    setup
    # Each hop is its own request in browser.json and its own pair in the WARC.
    capture_ok "$BASE/redirect"
    expect_jq_file "$E/browser.json" \
        "[.requests[] | select(.url == \"$BASE/redirect\") | .status == 302 and .response_headers.Location == \"/image.html\"] == [true]" \
        "[.requests[] | select(.url == \"$BASE/image.html\") | .status == 200 and .body.size > 0] == [true]" \
        ".final_url == \"$BASE/image.html\""
    warc_records "$E/capture.warc.gz" >"$T/records.txt"
    grep -qx "response $BASE/redirect browser-cdp [0-9a-f]*" "$T/records.txt" || fail "no browser record of the redirect: $(cat "$T/records.txt")"
    grep -qx "response $BASE/image.html browser-cdp [0-9a-f]*" "$T/records.txt" || fail "no browser record of the target"
    # A gzip response: the browser keeps the decoded body; the reconstructed head says so.
    capture_ok "$BASE/gzip.html"
    local body_sha
    body_sha=$(sha_of "$PAGES/js.html")
    expect_jq_file "$E/browser.json" "[.requests[] | select(.url == \"$BASE/gzip.html\") | .body.sha256 == \"$body_sha\"] == [true]"
    warc_records "$E/capture.warc.gz" >"$T/records.txt"
    grep -qx "response $BASE/gzip.html browser-cdp $body_sha" "$T/records.txt" || fail "the browser's gzip response record does not hold the decoded page"
    zcat "$E/capture.warc.gz" >"$T/warc.txt"
    grep -qa '^X-Archive-Orig-Content-Encoding: gzip' "$T/warc.txt" || fail "the original Content-Encoding is not kept"
    expect_verify_ok "$C"
}

test_browser_dialog() {
    need_chromium
    setup
    # alert() blocks the page until answered: the capture dismisses it and records its text.
    capture_ok "$BASE/dialog.html"
    expect_jq_file "$E/browser.json" '.dialogs == [{"type": "alert", "message": "you have been warned"}]' '.settle == "network-idle"'
    grep -qF '<p id="p">after the dialog</p>' "$E/rendered.html" || fail "the page did not go on after the dialog"
}

test_browser_huge_page_cut() {
    need_chromium
    setup
    # 40000 pixels tall: the screenshot stops at 16384 and says so.
    capture_ok "$BASE/huge.html" --viewport 400x300
    expect_eq "$(png_size "$E/screenshot.png")" "400 16384" "screenshot size of a page taller than the limit"
    expect_jq_file "$E/browser.json" '.screenshot.truncated == true' '.screenshot.content_height == 40000' '.limits.max_screenshot_height == 16384'
    expect_line_jq "$C" "$SEQ" '.web.browser.screenshot.truncated == true'
}

test_browser_cookies_names_only() {
    need_chromium
    setup
    printf '# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tSECRET-VALUE-42\n' >"$T/cookies.txt"
    capture_ok "$BASE/js.html" --cookie-file "$T/cookies.txt"
    expect_jq_file "$E/browser.json" '.cookies == ["session"]' \
        "[.requests[] | select(.url == \"$BASE/js.html\") | .request_headers | to_entries[] | select(.key | ascii_downcase == \"cookie\") | .value] == [\"session=<redacted>\"]"
    ! grep -qF 'SECRET-VALUE-42' "$E/browser.json" "$E/rendered.html" || fail "the cookie's value was written into the browser's files"
    expect_line_jq "$C" "$SEQ" '.web.browser.cookies == ["session"]'
}

test_browser_unprivileged_sandbox() {
    need_chromium
    [[ $(id -u) == 0 ]] || skip "needs root to drop to an unprivileged user (as a user, test_browser_js_text checks the sandbox)"
    need_unprivileged
    start_server
    mkdir -m 777 "$T/nb"
    BTMP=$(mktemp -d /tmp/cbb-XXXXXX)
    chmod 777 "$BTMP"
    at_exit "rm -rf '$BTMP'"
    C="$T/nb/case"
    expect_exit 0 as_nobody env TMPDIR="$BTMP" timeout 200 "$CBKIT_BIN" init "$C" --examiner "$EXAMINER"
    # Not root: Chromium keeps its sandbox, and browser.json says so.
    expect_exit 0 as_nobody env TMPDIR="$BTMP" timeout 200 "$CBKIT_BIN" --case "$C" --json capture-url "$BASE/js.html" --browser
    entry_from_json
    expect_jq_file "$E/browser.json" '.sandbox == true' '.command_line | index("--no-sandbox") == null' '.sandbox_note == null'
    grep -qF 'THREAT-WRITTEN-BY-SCRIPT' "$E/rendered.html" || fail "rendered.html lacks the script's text"
    expect_no_browser_left
}

test_browser_interrupt() {
    need_chromium
    setup
    snap_save "$C"
    # A page that never finishes and a long wait: Ctrl-C must stop it and kill the browser.
    "$CBKIT_BIN" --case "$C" capture-url "$BASE/hang.html" --timeout 1 --browser --browser-timeout 120 >"$OUT" 2>"$ERR" &
    local pid=$! i
    for ((i = 0; i < 300; i++)); do
        pgrep -f -- "$BTMP/cbkit-browser-" >/dev/null && break
        sleep 0.1
    done
    pgrep -f -- "$BTMP/cbkit-browser-" >/dev/null || { kill -KILL $pid; fail "the browser never started"; }
    sleep 3 # it is loading the page now
    kill -INT $pid
    local rc=0
    wait $pid || rc=$?
    expect_eq "$rc" 130 "exit code after SIGINT"
    expect_stderr_contains "interrupted"
    expect_no_browser_left
    snap_check "$C"
    expect_verify_ok "$C"
}

test_browser_killed_cbkit() {
    need_chromium
    setup
    # SIGKILL cannot be caught: the browser must still go, because its end of the DevTools
    # pipe closes. (Its temporary folder stays; only a catchable signal can remove it.)
    "$CBKIT_BIN" --case "$C" capture-url "$BASE/hang.html" --timeout 1 --browser --browser-timeout 120 >"$OUT" 2>"$ERR" &
    local pid=$! i
    for ((i = 0; i < 300; i++)); do
        pgrep -f -- "$BTMP/cbkit-browser-" >/dev/null && break
        sleep 0.1
    done
    pgrep -f -- "$BTMP/cbkit-browser-" >/dev/null || { kill -KILL $pid; fail "the browser never started"; }
    sleep 3
    kill -KILL $pid
    { wait $pid; } 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        pgrep -f -- "$BTMP/" >/dev/null || break
        sleep 0.1
    done
    if pgrep -af -- "$BTMP/" >"$T/left.txt"; then
        fail "browser processes outlived a killed cbkit by 15 s: $(head -c 600 "$T/left.txt")"
    fi
    expect_eq "$(manifest_lines "$C")" 1 "manifest lines after the kill"
}

test_browser_missing() {
    # No chromium needed: the browser is not found, the raw capture is still recorded.
    C="$T/case"
    new_case "$C" --timezone UTC
    start_server
    mkdir "$T/bin"
    expect_exit 3 env PATH="$T/bin" "$CBKIT_BIN" --case "$C" capture-url "$BASE/js.html" --browser
    expect_error_line "$BASE/js.html" "Debian package chromium" "raw capture was recorded"
    expect_receipt "$C" 1
    expect_line_jq "$C" 1 '.web.complete == true' '.web.status == 200' '.web.browser.ok == false' \
        '.web.browser.error | contains("chromium")' \
        '[.files[] | select(.role == "screenshot" or .role == "pdf" or .role == "rendered-dom" or .role == "browser")] | length == 0'
    local e="$C/$(jline "$C" 1 '.files[0].path | sub("/[^/]*$"; "")')"
    [[ ! -e $e/screenshot.png && ! -e $e/browser.json ]] || fail "browser files were left in the entry"
    # An explicit --browser that is not there says so too.
    expect_exit 3 cbkit --case "$C" capture-url "$BASE/js.html" --browser="$T/bin/chromium"
    expect_error_line "$T/bin/chromium" "Debian package chromium"
    expect_verify_ok "$C"
    expect_schema_valid
}

test_browser_bad_options() {
    C="$T/case"
    new_case "$C" --timezone UTC
    snap_save "$C"
    local bad
    for bad in "--viewport 0x600" "--viewport 1280" "--viewport wide" "--viewport 99999x600" "--browser-timeout 0" "--browser-timeout abc"; do
        # shellcheck disable=SC2086
        expect_exit 2 cbkit --case "$C" capture-url http://127.0.0.1:9/ --browser $bad
        expect_error_line "${bad%% *}"
    done
    # The browser options mean nothing without --browser.
    expect_exit 2 cbkit --case "$C" capture-url http://127.0.0.1:9/ --viewport 800x600
    expect_error_line "--viewport" "--browser"
    snap_check "$C"
}

run_tests "$@"
