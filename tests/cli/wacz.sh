#!/usr/bin/env bash
# cbkit export-wacz: the case's web captures as a WACZ 1.1.1 file. The layout, the digests
# (against the manifest, with python3's zipfile and hashlib), the index (every CDXJ line's
# offset and length cut one gzip member that is the record it names, and warcio.js indexes
# the same offsets), determinism, the errors; and a replay: ReplayWeb.page (npm
# replaywebpage, installed by scripts/deps.sh test) served from 127.0.0.1 with the WACZ,
# opened in headless Chromium, shows the captured page's text.
source "$(dirname "$0")/lib.sh"

export CBKIT_CMD_TIMEOUT=200
NODE_DIR="$TESTS_DIR/../node/node_modules"
MARKER="WACZ-REPLAY-MARKER-9d41"

# start_server -- support/wacz_server.py with $T/static as its /static/; sets PORT, BASE.
start_server() {
    mkdir -p "$T/static"
    start_server_on_port "test server" "$T/port" "$PY" "$TESTS_DIR/support/wacz_server.py" "$T/port" "$T/static"
}

# setup -- a case with a note (seq 1) and a raw capture of /page.html (seq 2).
setup() {
    C="$T/case"
    new_case "$C" --timezone UTC
    start_server
    note "before the capture"
    expect_exit 0 cbkit --case "$C" capture-url "$BASE/page.html"
}

# check_wacz FILE -- the layout and every digest, read with python3's zipfile.
check_wacz() {
    "$PY" - "$1" "$C" <<'PY' || fail "the WACZ does not check out (above)"
import hashlib, json, sys, zipfile, gzip, io
wacz, case = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(wacz)
names = [i.filename for i in z.infolist()]
web = [json.loads(l) for l in open(case + "/manifest.jsonl", encoding="utf-8") if json.loads(l)["kind"] == "web"]
warcs = {f["path"]: f for line in web for f in line["files"] if f["role"] == "warc"}
def need(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
arch = [n for n in names if n.startswith("archive/")]
need(names == arch + ["indexes/index.cdxj", "pages/pages.jsonl", "datapackage.json", "datapackage-digest.json"], f"member order {names}")
need(all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist()), "a member is not stored")
need(len({i.date_time for i in z.infolist()}) == 1, "members dated differently")
dp_bytes = z.read("datapackage.json")
dp = json.loads(dp_bytes)
need(dp["profile"] == "data-package" and dp["wacz_version"] == "1.1.1", "profile/wacz_version")
need(dp["created"] == json.loads(open(case + "/manifest.jsonl").readline())["time"], "created is not the case's time")
need(dp["modified"] == max(l["time"] for l in web if l["seq"] in [e["seq"] for e in dp["cbkit"]["entries"]]), "modified is not the newest exported capture's time")
digest = json.loads(z.read("datapackage-digest.json"))
need(digest == {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(dp_bytes).hexdigest()}, "datapackage-digest.json")
res = {r["path"]: r for r in dp["resources"]}
need(sorted(res) == sorted(names[:-2]), f"resources {sorted(res)}")
for n in names[:-2]:
    data = z.read(n)
    need(res[n]["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and res[n]["bytes"] == len(data), f"digest of {n}")
# The WARCs: the case's files byte for byte, and the manifest's SHA-256.
exported = dp["cbkit"]["entries"]
need(len(arch) == len(exported) and all(e["warc"] in warcs for e in exported), f"{len(arch)} WARCs for {exported}")
for e in dp["cbkit"]["entries"]:
    data = z.read(e["path"])
    need(data == open(case + "/" + e["warc"], "rb").read(), f"{e['path']} is not {e['warc']}")
    need(res[e["path"]]["hash"] == "sha256:" + warcs[e["warc"]]["sha256"], f"{e['path']}: not the manifest's SHA-256")
    need(res[e["path"]]["bytes"] == warcs[e["warc"]]["size"], f"{e['path']}: not the manifest's size")
# pages.jsonl: the header line, then one page per capture.
pages = [json.loads(l) for l in z.read("pages/pages.jsonl").decode().splitlines()]
need(pages[0].get("format") == "json-pages-1.0", "pages header")
need(sorted(p["url"] for p in pages[1:]) == sorted(l["web"]["url"] for l in web if l["seq"] in [e["seq"] for e in exported]), "pages")
# index.cdxj: sorted; each line's slice is one gzip member holding the record it names.
lines = z.read("indexes/index.cdxj").decode().splitlines()
need(lines == sorted(lines) and lines, "index not sorted or empty")
for l in lines:
    key, ts, js = l.split(" ", 2)
    j = json.loads(js)
    need(len(ts) == 14 and ts.isdigit(), f"timestamp {ts}")
    data = z.read("archive/" + j["filename"])
    piece = data[int(j["offset"]):int(j["offset"]) + int(j["length"])]
    raw = gzip.GzipFile(fileobj=io.BytesIO(piece)).read()
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    need(f"WARC-Target-URI: {j['url']}" in head and "WARC-Type: response" in head, f"the slice of {l} is not its record")
    need(f"WARC-Payload-Digest: {j['digest']}" in head, f"digest of {l}")
    need(raw.endswith(b"\r\n\r\n"), f"the slice of {l} is not a whole record")
print(len(lines), "index lines checked")
PY
}

test_layout_and_digests() {
    setup
    expect_exit 0 cbkit --case "$C" --json export-wacz --out "$T/captures.wacz"
    expect_one_json_doc
    expect_jq '.page_count == 1' '.entries[0].seq == 2' '.entries | length == 1' '.index_line_count >= 1' '.command == "export-wacz"' '.appended == []'
    "$PY" "$TESTS_DIR/support/json_contract.py" "$TESTS_DIR/../../schema/json" "$OUT" export-wacz >&2 || fail "the --json output does not match schema/json/export-wacz.schema.json"
    expect_eq "$(jout .sha256)" "$(sha256sum <"$T/captures.wacz" | cut -d' ' -f1)"
    check_wacz "$T/captures.wacz"
    unzip -tq "$T/captures.wacz" >/dev/null || fail "unzip -t rejects the WACZ"
    # The page is the captured URL with the capture's title.
    unzip -p "$T/captures.wacz" pages/pages.jsonl | sed -n 2p | jq -e --arg u "$BASE/page.html" \
        '.url == $u and .title == "Harassing post 42" and (.ts | test("Z$"))' >/dev/null || fail "the page: $(unzip -p "$T/captures.wacz" pages/pages.jsonl)"
    expect_verify_ok "$C"
}

test_warcio_agrees() {
    local warcio="$NODE_DIR/.bin/warcio"
    [[ -x $warcio ]] || skip "warcio is not installed (bash scripts/deps.sh test installs it into tests/node/node_modules)"
    setup
    expect_exit 0 cbkit --case "$C" export-wacz --out "$T/c.wacz"
    mkdir "$T/x" && (cd "$T/x" && unzip -q "$T/c.wacz")
    local warc
    warc=$(ls "$T/x/archive/")
    "$warcio" cdx-index "$T/x/archive/$warc" | sed 's/^[^{]*//' |
        jq -c 'select(.status) | {url, offset: (.offset | tostring), length: (.length | tostring), status: (.status | tostring)}' | sort >"$T/warcio.txt"
    sed 's/^[^{]*//' "$T/x/indexes/index.cdxj" | jq -c '{url, offset, length, status}' | sort >"$T/ours.txt"
    diff "$T/warcio.txt" "$T/ours.txt" >&2 || fail "warcio.js indexes the WARC differently"
}

test_deterministic() {
    setup
    expect_exit 0 cbkit --case "$C" export-wacz --out "$T/a.wacz"
    sleep 1.1
    expect_exit 0 cbkit --case "$C" export-wacz 2 --out "$T/b.wacz"
    cmp "$T/a.wacz" "$T/b.wacz" || fail "two exports of the same captures differ"
    # A later entry of another kind changes nothing.
    note "after"
    expect_exit 0 cbkit --case "$C" export-wacz --out "$T/c.wacz"
    cmp "$T/a.wacz" "$T/c.wacz" || fail "a later note changed the WACZ"
}

test_errors() {
    setup
    expect_exit 3 cbkit --case "$C" export-wacz 1 --out "$T/x.wacz"
    expect_stderr_contains "seq 1: a note entry, not a web capture"
    expect_exit 3 cbkit --case "$C" export-wacz 9 --out "$T/x.wacz"
    expect_stderr_contains "seq 9: no such entry"
    expect_exit 2 cbkit --case "$C" export-wacz --out "$T/x.zip"
    expect_stderr_contains "must end in .wacz"
    expect_exit 2 cbkit --case "$C" export-wacz --out "$C/evidence/x.wacz"
    expect_stderr_contains "inside the case's evidence/ folder"
    [[ ! -e $T/x.wacz && ! -e $T/x.zip ]] || fail "a failed export left a file"
    printf 'keep' >"$T/old.wacz"
    expect_exit 2 cbkit --case "$C" export-wacz --out "$T/old.wacz"
    expect_stderr_contains "exists; give --force"
    expect_eq "$(cat "$T/old.wacz")" keep
    expect_exit 0 cbkit --case "$C" export-wacz --out "$T/old.wacz" --force
    check_wacz "$T/old.wacz"
    [[ -z $(find "$T" -maxdepth 1 -name '.*tmp-*') ]] || fail "a temporary file was left"
    C2="$T/empty"
    new_case "$C2"
    expect_exit 3 cbkit --case "$C2" export-wacz --out "$T/e.wacz"
    expect_stderr_contains "no web capture"
    # A WARC that is not what the manifest records is refused.
    local w
    w=$(ls "$C"/evidence/*-web/capture.warc.gz)
    chmod u+w "$w" "$(dirname "$w")"
    printf 'x' >>"$w"
    expect_exit 4 cbkit --case "$C" export-wacz --out "$T/t.wacz"
    expect_stderr_contains "not the recorded size"
    [[ ! -e $T/t.wacz ]] || fail "an export of a tampered case left a file"
}

# A --browser capture: its WARC also holds the page's requests as the browser saw them and
# the renderings (urn: records, not indexed); the page's title is the rendered one.
test_browser_capture_exported() {
    command -v chromium >/dev/null || skip "chromium is not installed (scripts/deps.sh test installs it)"
    setup
    BTMP=$(mktemp -d /tmp/cbw-XXXXXX)
    at_exit "rm -rf '$BTMP'"
    TMPDIR="$BTMP" expect_exit 0 cbkit --case "$C" capture-url "$BASE/page.html" --browser
    expect_exit 0 cbkit --case "$C" --json export-wacz 3 --out "$T/b.wacz"
    expect_jq '.entries[0].seq == 3' '.page_count == 1' '.index_line_count >= 2'
    check_wacz "$T/b.wacz"
    unzip -p "$T/b.wacz" indexes/index.cdxj | grep -q '"urn:' && fail "a rendering (urn:) was indexed"
    unzip -p "$T/b.wacz" pages/pages.jsonl | sed -n 2p | jq -e '.title == "Harassing post 42"' >/dev/null ||
        fail "the page's title: $(unzip -p "$T/b.wacz" pages/pages.jsonl)"
    # Both captures together: two WARCs, two pages.
    expect_exit 0 cbkit --case "$C" --json export-wacz --out "$T/all.wacz"
    expect_jq '[.entries[].seq] == [2, 3]' '.page_count == 2'
    check_wacz "$T/all.wacz"
}

test_replay_in_browser() {
    command -v chromium >/dev/null || skip "chromium is not installed (scripts/deps.sh test installs it)"
    command -v node >/dev/null || skip "node is not installed (scripts/deps.sh test installs it)"
    local rwp="$NODE_DIR/replaywebpage"
    [[ -f $rwp/ui.js && -f $rwp/sw.js ]] || skip "replaywebpage is not installed (bash scripts/deps.sh test installs it into tests/node/node_modules)"
    setup
    expect_exit 0 cbkit --case "$C" export-wacz --out "$T/static/captures.wacz"
    mkdir -p "$T/static/replay"
    cp "$rwp/ui.js" "$T/static/ui.js"
    cp "$rwp/sw.js" "$T/static/replay/sw.js"
    cat >"$T/static/index.html" <<HTML
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>replay</title><script src="/static/ui.js"></script></head>
<body><replay-web-page source="/static/captures.wacz" url="$BASE/page.html" replayBase="/static/replay/" embed="replayonly"></replay-web-page></body></html>
HTML
    # The replay is opened on "localhost" (a secure context, where service workers run),
    # the capture was made on 127.0.0.1: the text can only come from the WACZ.
    mkdir "$T/profile"
    node "$TESTS_DIR/support/replay_find.js" "$(command -v chromium)" "$T/profile" "http://localhost:$PORT/static/index.html" \
        "$MARKER" 90 >"$T/found" 2>"$T/replay.err" || fail "ReplayWeb.page did not show the captured text: $(tail -c 3000 "$T/replay.err")"

    grep -q "/static/replay/w/" "$T/found" || fail "the text was found outside the replay: $(cat "$T/found")"
    # Chromium's renderers may outlive the leader by a moment.
    local i
    for ((i = 0; i < 50; i++)); do pgrep -f -- "--user-data-dir=$T/profile" >/dev/null || break; sleep 0.1; done
}

run_tests "$@"
