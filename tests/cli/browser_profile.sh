#!/usr/bin/env bash
# cbkit capture-url --browser --browser-profile DIR: a capture in the session of an existing
# Chromium profile. The profile is made here as a user would (Chromium started with
# --user-data-dir on a page that logs in, i.e. sets a cookie, then closed); the capture of a
# page that shows whether the cookie came must see the logged-in variant, record the
# profile and its cookies' names and domains (never a value), and leave the profile
# byte-identical. Test names contain "browser" (ctest gives those 240 s).
source "$(dirname "$0")/lib.sh"

export CBKIT_CMD_TIMEOUT=200
SECRET="s3cr3t-session-value-4711" # the session cookie's value (support/wacz_server.py)

need_chromium() {
    command -v chromium >/dev/null ||
        skip "chromium is not installed (Debian package chromium: apt-get install chromium, or scripts/deps.sh test)"
}

start_server() {
    mkdir -p "$T/static"
    start_server_on_port "test server" "$T/port" "$PY" "$TESTS_DIR/support/wacz_server.py" "$T/port" "$T/static"
}

# tree_hash DIR -- every name, type, mode and content under DIR, hashed.
tree_hash() {
    (cd "$1" && find . -printf '%y %m %p %l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
}

# setup -- a case, the server, a short TMPDIR for cbkit and a logged-in profile in $PROFILE.
setup() {
    need_chromium
    C="$T/case"
    new_case "$C" --timezone UTC
    start_server
    BTMP=$(mktemp -d /tmp/cbp-XXXXXX)
    at_exit "rm -rf '$BTMP'"
    export TMPDIR="$BTMP"
    PROFILE="$T/profile"
    timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --password-store=basic --user-data-dir="$PROFILE" \
        --dump-dom "$BASE/login" >"$T/login.html" 2>"$T/login.err" || fail "making the profile failed: $(tail -5 "$T/login.err")"
    grep -q "logged in" "$T/login.html" || fail "the login page did not load"
    [[ ! -e $PROFILE/SingletonLock ]] || fail "chromium left its lock in the profile"
}

test_logged_in_browser() {
    setup
    local before
    before=$(tree_hash "$PROFILE")
    # Without the profile: the page as a stranger sees it.
    expect_exit 0 cbkit --case "$C" --json capture-url "$BASE/whoami.html" --browser
    grep -q "NOT LOGGED IN" "$C/evidence/000001-web/rendered.html" || fail "the fresh profile was logged in"
    expect_exit 0 cbkit --case "$C" --json capture-url "$BASE/whoami.html" --browser --browser-profile "$PROFILE"
    local E="$C/evidence/000002-web"
    grep -q "LOGGED IN AS alice" "$E/rendered.html" || fail "the capture did not use the profile's session: $(cat "$E/rendered.html")"
    # browser.json, capture.json and the manifest line name the profile and its cookies.
    expect_jq_file "$E/browser.json" ".profile.source == \"$PROFILE\"" '.profile.files > 0' \
        '(.profile.file_list_sha256 | test("^[0-9a-f]{64}$"))' \
        '[.profile.cookies[] | select(.domain == "127.0.0.1") | .name] == ["session", "theme"]' \
        '[.profile.cookies[] | select(.name == "session") | .http_only] == [true]' \
        '[.profile.cookies[] | keys[]] | unique == ["domain", "http_only", "name", "path", "secure", "session"]' \
        '.command_line | index("--password-store=basic") != null'
    expect_jq_file "$E/capture.json" '.browser.profile.cookies | length >= 2'
    expect_line_jq "$C" 2 '.web.browser.profile.file_list_sha256 | length == 64'
    # No cookie value anywhere in the case but where the server's answer carries it: the
    # request the browser sent has its Cookie value redacted in browser.json and the WARC.
    if grep -rl --binary-files=text "$SECRET" "$C/manifest.jsonl" "$E"/*.json "$E"/*.html >/dev/null; then
        fail "a cookie value is in the case: $(grep -rl --binary-files=text "$SECRET" "$C")"
    fi
    if zcat "$E/capture.warc.gz" | grep -aq "$SECRET"; then fail "a cookie value is in the WARC"; fi
    # The same file list gives the same hash (the profile did not change in between).
    expect_eq "$(tree_hash "$PROFILE")" "$before" "the profile's tree after the capture"
    expect_verify_ok "$C"
}

test_profile_unchanged_browser() {
    setup
    local before
    before=$(tree_hash "$PROFILE")
    expect_exit 0 cbkit --case "$C" capture-url "$BASE/whoami.html" --browser --browser-profile "$PROFILE"
    expect_eq "$(tree_hash "$PROFILE")" "$before" "the profile's tree after the capture"
    # Nothing of the copy is left behind.
    [[ -z $(ls -A "$BTMP") ]] || fail "left in TMPDIR: $(ls -A "$BTMP")"
}

test_profile_refused_browser() {
    setup
    expect_exit 2 cbkit --case "$C" capture-url "$BASE/whoami.html" --browser-profile "$PROFILE"
    expect_stderr_contains "--browser-profile only applies with --browser"
    expect_exit 2 cbkit --case "$C" capture-url "$BASE/whoami.html" --browser --browser-profile "$T/nothing"
    expect_stderr_contains "not a folder"
    # A link out of the profile is refused, naming it; nothing is recorded.
    ln -s /etc "$PROFILE/Default/outside"
    expect_exit 3 cbkit --case "$C" capture-url "$BASE/whoami.html" --browser --browser-profile "$PROFILE"
    expect_stderr_contains "Default/outside: a symbolic link to /etc, outside the profile"
    rm "$PROFILE/Default/outside"
    # A profile in use (Chromium's lock link) is refused.
    ln -s "$(hostname)-99999" "$PROFILE/SingletonLock"
    expect_exit 3 cbkit --case "$C" capture-url "$BASE/whoami.html" --browser --browser-profile "$PROFILE"
    expect_stderr_contains "in use by a running Chromium"
    rm "$PROFILE/SingletonLock"
    expect_eq "$(manifest_lines "$C")" 1 "manifest lines after the refused captures"
}

run_tests "$@"
