#!/usr/bin/env bash
# cbkit capture-url: every route of a local HTTP/HTTPS server (tests/cli/support/web_server.py
# on 127.0.0.1), the WARC read back by an independent reader (support/warc_read.py), the
# TLS chain, failed attempts, bad input, and --tsa with a local RFC 3161 TSA.
source "$(dirname "$0")/lib.sh"

WARC_READ="$TESTS_DIR/support/warc_read.py"

setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
}

# wait_port FILE -- the port a server wrote to FILE (waits up to 10 s).
wait_port() {
    local i
    for i in $(seq 200); do
        [[ -s $1 ]] && { cat "$1"; return 0; }
        sleep 0.05
    done
    fail "server did not start (no $1)"
}

# start_http -- plain HTTP server; sets HTTP=http://127.0.0.1:PORT and HTTP_PORT
start_http() {
    "$PY" "$TESTS_DIR/support/web_server.py" --port-file "$T/http.port" 2>"$T/http.log" &
    at_exit "kill $!"
    HTTP_PORT=$(wait_port "$T/http.port")
    HTTP="http://127.0.0.1:$HTTP_PORT"
}

# start_https NAME -- HTTPS with pki/NAME.pem (leaf, expired, selfsigned); sets HTTPS
start_https() {
    [[ -f $T/pki/ca.pem ]] || bash "$TESTS_DIR/support/make_web_pki.sh" "$T/pki"
    "$PY" "$TESTS_DIR/support/web_server.py" --port-file "$T/https-$1.port" --cert "$T/pki/$1.pem" --key "$T/pki/$1.key" 2>"$T/https-$1.log" &
    at_exit "kill $!"
    HTTPS="https://127.0.0.1:$(wait_port "$T/https-$1.port")"
}

capture() {
    expect_exit 0 cbkit --case "$C" capture-url "$@"
}

# entry SEQ -- the entry folder (absolute) of line SEQ
entry() {
    echo "$C/evidence/$(printf %06d "$1")-web"
}

# warc_json SEQ -- the independent reader's summary of entry SEQ's WARC in $T/warc.SEQ.json
warc_json() {
    "$PY" "$WARC_READ" "$(entry "$1")/capture.warc.gz" >"$T/warc.$1.json" || fail "warc_read.py rejects the WARC of entry $1"
    echo "$T/warc.$1.json"
}

# expect_warc_digests SEQ -- every record's block digest and every payload digest match
expect_warc_digests() {
    expect_jq_file "$(warc_json "$1")" '[.records[].block_digest_ok] | all' \
        '[.records[] | select(.type == "response") | .payload_digest_ok] | all' \
        '[.records[] | select(.type == "response")] | length >= 1'
}

# expect_schema SEQ -- line SEQ validates against the manifest JSON Schema
expect_schema() {
    line_at "$C" "$1" >"$T/schema-line.json"
    "$PY" - "$CBKIT_SCHEMA" "$T/schema-line.json" <<'EOF' || fail "line $1 does not validate against the schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
EOF
}

test_page() {
    setup
    start_http
    capture "$HTTP/page" --note "post with the threat"
    expect_receipt "$C" 1
    local e
    e=$(entry 1)
    [[ -f $e/capture.warc.gz && -f $e/capture.json && -f $e/body.html ]] || fail "missing files in $e: $(ls "$e")"
    grep -q "You will regret this." "$e/body.html" || fail "body.html is not the page"
    expect_line_jq "$C" 1 '.kind == "web"' ".web.url == \"$HTTP/page\"" '.web.status == 200' '.web.complete == true' \
        '.context.note == "post with the threat"' "[.files[].role] == [\"warc\", \"capture\", \"body\"]" \
        ".files[2].sha256 == \"$(sha_of "$e/body.html")\"" ".files[0].sha256 == \"$(sha_of "$e/capture.warc.gz")\""
    expect_schema 1
    # The WARC, read by the independent reader.
    local w
    w=$(warc_json 1)
    expect_jq_file "$w" '[.records[].type] == ["warcinfo", "request", "response", "metadata"]' \
        '[.records[].block_digest_ok] | all' '.records[2].payload_digest_ok == true' \
        ".records[1].\"field:WARC-Target-URI\" == \"$HTTP/page\"" '.records[1]."field:WARC-IP-Address" == "127.0.0.1"' \
        '.records[1]."field:WARC-Concurrent-To" == .records[2].id' '.records[1]."field:Content-Type" == "application/http;msgtype=request"' \
        '.records[2]."field:Content-Type" == "application/http;msgtype=response"' \
        '[.records[].date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")] | all' \
        '.records[2].http_first_line == "HTTP/1.1 200 OK"' '.records[1].http_first_line == "GET /page HTTP/1.1"' \
        ".records[2].payload_sha256 == \"$(sha_of "$e/body.html")\"" '.records[3]."field:WARC-Refers-To" == .records[2].id' \
        '.records[0].id as $i | [.records[1:][] | ."field:WARC-Warcinfo-ID" == $i] | all'
    # The request record holds the request as sent: default browser User-Agent, Accept-Encoding.
    "$PY" "$WARC_READ" "$e/capture.warc.gz" --block 1 >"$T/request"
    grep -q $'^User-Agent: Mozilla/5.0 .*Chrome/' "$T/request" || fail "request record lacks the browser User-Agent"
    grep -q $'^Accept-Encoding: gzip, deflate\r$' "$T/request" || fail "request record lacks Accept-Encoding"
    # The metadata record is capture.json, byte for byte.
    "$PY" "$WARC_READ" "$e/capture.warc.gz" --block 3 | cmp -s - "$e/capture.json" || fail "metadata record differs from capture.json"
    expect_jq_file "$e/capture.json" ".requested_url == \"$HTTP/page\"" ".final_url == \"$HTTP/page\"" '.status == 200' \
        '.remote_ip == "127.0.0.1"' ".remote_port == $HTTP_PORT" '.http_version == "1.1"' '.complete == true' '.truncated == false' \
        '.started | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{6}Z$")' '.ended >= .started' '.server_date | endswith("GMT")' \
        '(.server_date_skew_micros | fabs) < 5000000' '.client.curl | startswith("libcurl/")' \
        '.client.user_agent | startswith("Mozilla/5.0")' '.client.limits.max_size == 536870912' '.client.proxy == null' \
        '.client.insecure == false' '.tls == null' '.hops | length == 1' '.hops[0].response.status_line == "HTTP/1.1 200 OK"' \
        '.hops[0].request.line == "GET /page HTTP/1.1"' '.body.file == "body.html"' '.warc.records == 4'
    expect_verify_ok "$C"
    expect_jq '[.findings[] | select(.code | startswith("warc"))] | length == 0'
}

test_redirect_chain() {
    setup
    start_http
    capture "$HTTP/r1"
    expect_stdout_contains "after 3 redirect(s)"
    local w
    w=$(warc_json 1)
    expect_jq_file "$w" '[.records[].type] == ["warcinfo","request","response","request","response","request","response","request","response","metadata"]' \
        '[.records[] | select(.type == "response") | .http_first_line | split(" ")[1]] == ["302","301","307","200"]' \
        "[.records[] | select(.type == \"request\") | .\"field:WARC-Target-URI\"] == [\"$HTTP/r1\",\"$HTTP/r2\",\"$HTTP/r3\",\"$HTTP/page\"]" \
        '[.records[].block_digest_ok] | all' '[.records[] | select(.type == "response") | .payload_digest_ok] | all'
    expect_jq_file "$(entry 1)/capture.json" '.hops | length == 4' '[.hops[].response.status] == [302,301,307,200]' \
        ".hops[1].location == \"$HTTP/r3\"" ".final_url == \"$HTTP/page\"" '.redirects == 3' '.outcome == "complete"'
    expect_line_jq "$C" 1 '.web.redirects == 3' ".web.final_url == \"$HTTP/page\""
    expect_verify_ok "$C"
}

# The WARC as a web-archive tool reads it: warcio.js (npm) indexes it for replay. It is
# installed project-locally into tests/node/node_modules (pinned in tests/node/package.json
# and package-lock.json) by scripts/deps.sh test; a warcio on PATH is used otherwise.
test_warcio_reads() {
    local warcio="$TESTS_DIR/../node/node_modules/.bin/warcio"
    [[ -x $warcio ]] || warcio=$(command -v warcio) ||
        skip "warcio is not installed (bash scripts/deps.sh test installs it into tests/node/node_modules)"
    command -v node >/dev/null || skip "node is not installed (Debian package nodejs; bash scripts/deps.sh test installs it)"
    setup
    start_http
    capture "$HTTP/r1" "$HTTP/chunked-gzip"
    local seq
    for seq in 1 2; do
        "$warcio" cdx-index "$(entry "$seq")/capture.warc.gz" | sed 's/^[^{]*//' | jq -s . >"$T/cdx.$seq.json" ||
            fail "warcio cannot index entry $seq's WARC"
        warc_json "$seq" >/dev/null
        # Same responses, at the same offsets, with the payload digests we wrote and checked.
        jq -s '[.[0].records[] | select(.type == "response") | {offset: (.offset | tostring), status: (.http_first_line | split(" ")[1]),
                digest: (."field:WARC-Payload-Digest" | sub("^sha256:"; ""))}] ==
               [.[1][] | select(.status) | {offset, status, digest}]' "$T/warc.$seq.json" "$T/cdx.$seq.json" | grep -qx true ||
            fail "warcio's index of entry $seq differs from the records: $(cat "$T/cdx.$seq.json")"
    done
    expect_jq_file "$T/cdx.1.json" '[.[] | select(.status) | .status] == ["302","301","307","200"]'
}

test_status_404() {
    setup
    start_http
    capture "$HTTP/gone"
    expect_receipt "$C" 1
    expect_line_jq "$C" 1 '.web.status == 404' '.web.complete == true'
    grep -q "This post was removed." "$(entry 1)/body.html" || fail "the 404 page is not stored"
    expect_warc_digests 1
    expect_verify_ok "$C"
}

test_gzip() {
    setup
    start_http
    capture "$HTTP/gzip"
    local e
    e=$(entry 1)
    [[ $(grep -o "compressed threat text" "$e/body.html" | wc -l) == 200 ]] || fail "body.html is not the decoded page"
    # The WARC keeps the bytes as received: the payload is the gzip stream.
    "$PY" "$WARC_READ" "$e/capture.warc.gz" --payload 2 >"$T/payload"
    [[ $(head -c 2 "$T/payload" | hexdump_) == 1f8b ]] || fail "the WARC payload is not the raw gzip bytes"
    gunzip -c <"$T/payload" | cmp -s - "$e/body.html" || fail "body.html is not the gunzipped payload"
    expect_warc_digests 1
    expect_jq_file "$e/capture.json" '.body.content_encoding == ["gzip"]' '.body.decoded == ["gzip"]' \
        ".body.sha256 == \"$(sha_of "$e/body.html")\"" '.hops[0].response.headers | index("Content-Encoding: gzip") != null'
    expect_verify_ok "$C"
}

test_chunked() {
    setup
    start_http
    capture "$HTTP/chunked" "$HTTP/chunked-gzip"
    "$PY" "$WARC_READ" "$(entry 1)/capture.warc.gz" --payload 2 >"$T/payload"
    grep -q $'^c\r$' "$T/payload" || fail "the WARC payload lost its chunk framing"
    [[ $(cat "$(entry 1)/body.txt") == $'first chunk\nsecond chunk\nthird' ]] || fail "body.txt is not the de-chunked body"
    [[ $(grep -o "compressed threat text" "$(entry 2)/body.html" | wc -l) == 200 ]] || fail "chunked gzip body not decoded"
    expect_jq_file "$(entry 2)/capture.json" '.body.dechunked == true' '.body.decoded == ["gzip"]' '.body.transfer_encoding == ["chunked"]'
    expect_warc_digests 1
    expect_warc_digests 2
    expect_verify_ok "$C"
}

test_unsupported_encoding() {
    setup
    start_http
    capture "$HTTP/brotli"
    local e
    e=$(entry 1)
    [[ -f $e/body.html.br && ! -e $e/body.html ]] || fail "a br body must be kept as body.html.br: $(ls "$e")"
    expect_jq_file "$e/capture.json" '.body.still_encoded == ["br"]' '.body.decode_problem | test("br")'
    expect_verify_ok "$C"
}

test_large_body() {
    setup
    start_http
    capture "$HTTP/large?size=5000000"
    local e
    e=$(entry 1)
    "$PY" -c '
import sys
block = bytes((i * 7 + 3) % 251 for i in range(65536))
n = 5000000
sys.stdout.buffer.write(block * (n // 65536) + block[: n % 65536])' >"$T/expected"
    cmp -s "$T/expected" "$e/body.bin" || fail "body.bin differs from what the server sent"
    expect_warc_digests 1
    expect_jq_file "$(warc_json 1)" ".records[2].payload_sha256 == \"$(sha_of "$T/expected")\""
    expect_line_jq "$C" 1 '.web.truncated == false' ".files[2].size == 5000000"
    expect_verify_ok "$C"
}

test_max_size() {
    setup
    start_http
    capture "$HTTP/endless" --max-size 1M
    expect_stderr_contains "cut at --max-size"
    local e
    e=$(entry 1)
    [[ $(size_of "$e/body.bin") == 1048576 ]] || fail "body.bin is $(size_of "$e/body.bin") bytes, not 1 MiB"
    expect_jq_file "$(warc_json 1)" '.records[2]."field:WARC-Truncated" == "length"' '.records[2].payload_size == 1048576' \
        '[.records[].block_digest_ok] | all'
    expect_line_jq "$C" 1 '.web.truncated == true' '.web.complete == true' '.web.max_size == 1048576'
    expect_jq_file "$e/capture.json" '.truncated == true' '.body.truncated == true'
    expect_exit 0 cbkit verify "$C" --json
    expect_finding capture-truncated 1
}

test_timeout_slow() {
    setup
    start_http
    SECONDS=0
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/slow" --timeout 1
    ((SECONDS < 15)) || fail "the 1 s timeout took $SECONDS s"
    expect_error_line "$HTTP/slow" "--timeout" "recorded as a failed attempt"
    expect_line_jq "$C" 1 '.kind == "web"' '.web.complete == false' '.web.outcome == "failed"' '.web.status == null' \
        '[.files[].role] == ["capture"]'
    expect_jq_file "$(entry 1)/capture.json" '.error.kind == "timeout"' '.hops[0].error.kind == "timeout"' '.complete == false'
    expect_schema 1
    expect_exit 0 cbkit verify "$C" --json
    expect_finding capture-incomplete 1
}

test_timeout_mid_body() {
    setup
    start_http
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/stall" --timeout 1
    # What arrived is evidence: the WARC keeps it, flagged as cut by time.
    expect_jq_file "$(warc_json 1)" '.records[2]."field:WARC-Truncated" == "time"' '.records[2].payload_size == 1000' \
        '[.records[].block_digest_ok] | all'
    expect_line_jq "$C" 1 '.web.complete == false' '.web.truncated == true'
    expect_verify_ok "$C"
}

test_deadline_drip() {
    # A server that is never idle but never done: --timeout (idle) does not end it, the
    # total deadline does; what arrived is kept and marked cut by time.
    setup
    start_http
    SECONDS=0
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/drip" --timeout 5 --deadline 2
    ((SECONDS < 10)) || fail "the 2 s deadline took $SECONDS s"
    expect_error_line "$HTTP/drip" "--deadline"
    expect_jq_file "$(warc_json 1)" '.records[2]."field:WARC-Truncated" == "time"' '.records[2].payload_size > 0' \
        '.records[2].payload_size < 1000' '[.records[].block_digest_ok] | all'
    expect_jq_file "$(entry 1)/capture.json" '.error.kind == "deadline"' '.hops[0].error.kind == "deadline"' \
        '.client.limits.deadline_ms == 2000' '.complete == false'
    expect_line_jq "$C" 1 '.web.complete == false' '.web.truncated == true'
    expect_schema 1
    expect_verify_ok "$C"
    expect_exit 2 cbkit --case "$C" capture-url "$HTTP/page" --deadline 0.5
    expect_stderr_contains "--deadline"
}

test_decoded_size_bound() {
    # 64 MiB of zeros gzipped twice is a few kilobytes on the wire: the WARC keeps those
    # bytes, body.html is cut at --max-decoded-size and capture.json says so.
    setup
    start_http
    capture "$HTTP/gzip-bomb?size=67108864" --max-decoded-size 1M
    local e
    e=$(entry 1)
    [[ $(size_of "$e/body.html") == 1048576 ]] || fail "body.html is $(size_of "$e/body.html") bytes, not 1 MiB"
    expect_jq_file "$e/capture.json" '.body.decoded_cut_at == 1048576' '.body.decoded == ["gzip","gzip"]' \
        '(.body.decode_problem | test("max-decoded-size"))' '.client.limits.max_decoded_size == 1048576'
    expect_jq_file "$(warc_json 1)" '.records[2]."field:WARC-Truncated" == null' '[.records[].block_digest_ok] | all'
    expect_verify_ok "$C"
}

test_redirect_loop() {
    setup
    start_http
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/loop-a"
    expect_error_line "$HTTP/loop-a" "redirect loop"
    expect_line_jq "$C" 1 '.web.outcome == "redirect-loop"' '.web.complete == false'
    expect_jq_file "$(warc_json 1)" '[.records[] | select(.type == "response")] | length == 2' '[.records[].block_digest_ok] | all'
    expect_verify_ok "$C"
}

test_max_redirects() {
    setup
    start_http
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/r1" --max-redirects 1
    expect_error_line "--max-redirects"
    expect_line_jq "$C" 1 '.web.outcome == "too-many-redirects"' '.web.redirects == 1'
    expect_verify_ok "$C"
}

test_redirect_to_file_refused() {
    setup
    start_http
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/to-file"
    expect_error_line "file:///etc/passwd" "not http(s)"
    expect_line_jq "$C" 1 '.web.outcome == "redirect-refused"'
    expect_jq_file "$(entry 1)/capture.json" '.hops | length == 1'
    expect_verify_ok "$C"
}

test_https_chain() {
    setup
    start_https leaf
    capture "$HTTPS/page" --cacert "$T/pki/ca.pem"
    local e
    e=$(entry 1)
    [[ -f $e/tls-chain.pem ]] || fail "no tls-chain.pem"
    [[ $(openssl x509 -in "$e/tls-chain.pem" -noout -fingerprint -sha256) == $(openssl x509 -in "$T/pki/leaf.pem" -noout -fingerprint -sha256) ]] ||
        fail "tls-chain.pem does not start with the server's certificate"
    openssl verify -CAfile "$T/pki/ca.pem" "$e/tls-chain.pem" >/dev/null || fail "the stored chain does not verify against the test CA"
    expect_jq_file "$e/capture.json" '.tls.version | startswith("TLSv1.")' '.tls.cipher | length > 0' '.tls.chain_verified == true' \
        '.tls.name_matches == true' '.tls.chain[0].subject | contains("CN=127.0.0.1")' '.tls.chain[0].issuer | contains("cbkit test web CA")' \
        '.tls.chain[0].not_after | test("Z$")' '.client.ca_file.sha256 | length == 64'
    expect_line_jq "$C" 1 '.web.tls.chain_verified == true' '[.files[].role] == ["warc","capture","tls-chain","body"]'
    expect_warc_digests 1
    expect_verify_ok "$C"
    expect_jq '[.findings[] | select(.code == "capture-insecure")] | length == 0'
}

# refused_cert NAME NEEDLE -- a certificate that must be refused without --insecure
refused_cert() {
    setup
    start_https "$1"
    expect_exit 3 cbkit --case "$C" capture-url "$HTTPS/page" --cacert "$T/pki/ca.pem"
    expect_error_line "$HTTPS/page" "$2"
    expect_line_jq "$C" 1 '.web.complete == false' '.web.status == null' '[.files[].role] | index("warc") == null' \
        '[.files[].role] | index("body") == null'
    # The certificate that was refused is itself evidence.
    expect_jq_file "$(entry 1)/capture.json" '.error.kind == "tls"' '.tls.chain_verified == false' ".tls.verify_error | test(\"$2\")"
    expect_exit 0 cbkit verify "$C" --json
    expect_finding capture-incomplete 1
}

test_expired_cert_refused() {
    refused_cert expired "expired"
    [[ -f $(entry 1)/tls-chain.pem ]] || fail "the refused chain is not kept"
}

test_selfsigned_cert_refused() {
    refused_cert selfsigned "self-signed"
}

test_insecure_recorded() {
    setup
    start_https selfsigned
    capture "$HTTPS/page" --insecure
    expect_line_jq "$C" 1 '.web.insecure == true' '.web.complete == true' '.web.tls.chain_verified == false'
    expect_jq_file "$(entry 1)/capture.json" '.client.insecure == true' '.tls.verification | startswith("disabled")'
    expect_exit 0 cbkit verify "$C" --json
    expect_finding capture-insecure 1
    expect_jq '[.findings[] | select(.code == "capture-insecure") | .severity] == ["warning"]'
}

test_bad_urls() {
    setup
    snap_save "$C"
    local u
    for u in "file:///etc/passwd" "ftp://127.0.0.1/x" "http://" "example.com/post" "https://exa mple.com/" "javascript:alert(1)"; do
        expect_exit 2 cbkit --case "$C" capture-url "$u"
        expect_error_line "$u"
    done
    snap_check "$C"
    expect_verify_ok "$C"
}

test_unreachable_port() {
    setup
    # A port nobody listens on: bind one, note it, close it.
    local port
    port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    expect_exit 3 cbkit --case "$C" capture-url "http://127.0.0.1:$port/page"
    expect_error_line "http://127.0.0.1:$port/page" "recorded as a failed attempt"
    expect_line_jq "$C" 1 '.web.complete == false' '[.files[].role] == ["capture"]'
    expect_jq_file "$(entry 1)/capture.json" '.error.kind == "connect"'
    expect_exit 0 cbkit verify "$C" --json
    expect_finding capture-incomplete 1
}

test_dns_failure() {
    setup
    expect_exit 3 cbkit --case "$C" capture-url "http://no-such-host.invalid/post" --timeout 5
    expect_jq_file "$(entry 1)/capture.json" '.error.kind == "dns"'
    expect_verify_ok "$C"
}

test_from_file() {
    setup
    start_http
    printf '# posts to keep\n%s\n\n  %s  \n' "$HTTP/page" "$HTTP/gone" >"$T/urls.txt"
    capture --from-file "$T/urls.txt" --json
    expect_json_receipt "$C" 2
    expect_jq '.entries | length == 2' '[.entries[].status] == [200, 404]' '.ok == true' \
        '[.entries[].files[0].role] == ["warc","warc"]'
    expect_line_jq "$C" 2 ".web.url == \"$HTTP/gone\""
    # One bad line: nothing is fetched or recorded.
    printf '%s\nfile:///etc/shadow\n' "$HTTP/page" >"$T/bad.txt"
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" capture-url --from-file "$T/bad.txt"
    expect_error_line "file:///etc/shadow"
    snap_check "$C"
}

test_headers_and_cookies() {
    setup
    start_http
    printf '# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123\n' >"$T/cookies.txt"
    capture "$HTTP/set-cookie" --header "X-Case: 42" --cookie-file "$T/cookies.txt" --user-agent "cbkit-test/1"
    local body
    body=$(cat "$(entry 1)/body.txt")
    [[ $body == *"X-Case: 42"* ]] || fail "--header not sent: $body"
    [[ $body == *"User-Agent: cbkit-test/1"* ]] || fail "--user-agent not sent: $body"
    [[ $body == *"session=abc123"* ]] || fail "cookie from --cookie-file not sent: $body"
    [[ $body == *"hop=1"* ]] || fail "the cookie set by the first hop is not sent on the second: $body"
    expect_jq_file "$(entry 1)/capture.json" '.client.user_agent == "cbkit-test/1"' '.client.cookie_file.sha256 | length == 64' \
        '.client.request_headers_added | index("X-Case: 42") != null'
    # Bad header and cookie files are refused before anything is fetched.
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" capture-url "$HTTP/page" --header "no colon here"
    expect_error_line "--header" "no colon here"
    printf 'this is not a cookie file\n' >"$T/bad-cookies.txt"
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/page" --cookie-file "$T/bad-cookies.txt"
    expect_error_line "bad-cookies.txt" "Netscape"
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/page" --cookie-file "$T/missing.txt"
    expect_error_line "missing.txt"
    snap_check "$C"
}

test_json_output() {
    setup
    start_http
    capture "$HTTP/gone" --json
    expect_json_receipt "$C" 1
    expect_jq '.entries[0].status == 404' '.entries[0].complete == true' '.entries[0].outcome == "complete"' \
        ".entries[0].files[0].path == \"evidence/000001-web/capture.warc.gz\""
    expect_exit 3 cbkit --case "$C" --json capture-url "$HTTP/loop-a"
    expect_one_json_doc
    expect_jq '.ok == false' '.entries[0].complete == false' '.entries[0].error | test("redirect loop")'
}

test_tampered_warc() {
    setup
    start_http
    capture "$HTTP/page"
    local w
    w="$(entry 1)/capture.warc.gz"
    chmod u+w "$w"
    printf 'X' | dd of="$w" bs=1 seek=100 conv=notrunc status=none
    verify_json "$C"
    expect_eq "$LAST_RC" 1 "verify exit code on a changed WARC"
    expect_finding file-hash-mismatch 1 "evidence/000001-web/capture.warc.gz"
}

# start_tsa -- the tsa engineer's local TSA; sets TSA and TSA_PKI
start_tsa() {
    TSA_PKI="$T/tsa-pki"
    bash "$TESTS_DIR/support/make_tsa_pki.sh" "$TSA_PKI"
    "$PY" "$TESTS_DIR/support/tsa_server.py" "$TSA_PKI" "$T/tsa.port" >/dev/null 2>"$T/tsa.log" &
    at_exit "kill $!"
    TSA="http://127.0.0.1:$(wait_port "$T/tsa.port" | tr -d '\n')"
}

test_tsa() {
    setup
    start_http
    start_tsa
    capture "$HTTP/page" --tsa "$TSA/tsr" --tsa-ca "$TSA_PKI/ca.pem"
    local e warc_sha
    e=$(entry 1)
    warc_sha=$(sha_of "$e/capture.warc.gz")
    expect_line_jq "$C" 1 '[.files[].role] == ["warc","capture","body","token","token-request","tsa-chain"]' \
        ".web.tsa.covers.sha256 == \"$warc_sha\"" '.web.tsa.verification.chain == true'
    # openssl alone accepts the token over the WARC's hash.
    openssl ts -verify -digest "$warc_sha" -in "$e/timestamp.tsr" -CAfile "$TSA_PKI/ca.pem" -untrusted "$e/tsa-chain.pem" >"$T/ts.out" 2>&1 ||
        fail "openssl ts -verify rejects the token: $(cat "$T/ts.out")"
    expect_verify_ok "$C" --tsa-ca "$TSA_PKI/ca.pem"
    # The wrong CA: verify fails.
    verify_json "$C" --tsa-ca "$TSA_PKI/other-ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit code with the wrong TSA CA"
    expect_finding timestamp-untrusted 1
    # An altered WARC: verify fails.
    chmod u+w "$e/capture.warc.gz"
    printf 'X' | dd of="$e/capture.warc.gz" bs=1 seek=50 conv=notrunc status=none
    verify_json "$C" --tsa-ca "$TSA_PKI/ca.pem"
    expect_eq "$LAST_RC" 1 "verify exit code with an altered WARC"
    expect_finding file-hash-mismatch 1
}

test_tsa_failures_record_nothing() {
    setup
    start_http
    start_tsa
    snap_save "$C"
    local path
    for path in garbage wrong-hash http500; do
        expect_exit 3 cbkit --case "$C" capture-url "$HTTP/page" --tsa "$TSA/$path" --tsa-ca "$TSA_PKI/ca.pem"
        expect_error_line "$TSA/$path"
    done
    expect_exit 3 cbkit --case "$C" capture-url "$HTTP/page" --tsa "$TSA/tsr" --tsa-ca "$TSA_PKI/other-ca.pem"
    snap_check "$C"
    expect_verify_ok "$C"
    expect_exit 2 cbkit --case "$C" capture-url "$HTTP/page" --tsa "ftp://127.0.0.1/tsr"
    expect_error_line "ftp://127.0.0.1/tsr"
}

run_tests "$@"
