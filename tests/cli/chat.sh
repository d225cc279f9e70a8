#!/usr/bin/env bash
# add-chat: chat exports (WhatsApp, Telegram, Instagram) stored byte for byte as one `chat`
# entry with messages.json; verify re-derives it; hostile exports are refused with nothing
# recorded. The exports are built here in the layouts the apps write.
source "$(dirname "$0")/lib.sh"

SCHEMA=${CBKIT_SCHEMA:-$TESTS_DIR/../../schema/manifest-line.schema.json}
LRM=$'\xe2\x80\x8e'

setup() {
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
}

# zip_of ZIP NAME=FILE... -- a zip (deflated) whose members are NAME with FILE's bytes.
zip_of() {
    "$PY" - "$@" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for spec in sys.argv[2:]:
        name, path = spec.split("=", 1)
        z.write(path, name)
PYEOF
}

# A WhatsApp iOS export with media, as the phone shares it: "WhatsApp Chat - Sam.zip".
make_ios_zip() {
    mkfile "$T/ios/_chat.txt" "[20/11/2026, 21:14:07] Sam: you will regret this
[20/11/2026, 21:15:00] Sam: ${LRM}<attached: 00000001-PHOTO-2026-11-20-21-15-00.jpg>
[20/11/2026, 21:16:30] Lotte: stop writing to me
"
    mkrandom "$T/ios/00000001-PHOTO-2026-11-20-21-15-00.jpg" 3000
    ZIP="$T/WhatsApp Chat - Sam.zip"
    zip_of "$ZIP" "_chat.txt=$T/ios/_chat.txt" "00000001-PHOTO-2026-11-20-21-15-00.jpg=$T/ios/00000001-PHOTO-2026-11-20-21-15-00.jpg"
}

make_android_txt() {
    ANDROID="$T/WhatsApp Chat with Sam.txt"
    mkfile "$ANDROID" "20/11/2026, 21:14 - Sam: <Media omitted>
20/11/2026, 21:20 - Sam: everybody will know
and this is the second line
21/11/2026, 08:02 - Lotte: leave me alone
"
}

make_telegram() {
    TG="$T/tg"
    mkrandom "$TG/photos/photo_1@20-11-2026_21-15-00.jpg" 2000
    mkfile "$TG/result.json" '{
 "name": "Sam Troll",
 "type": "personal_chat",
 "id": 5012345678,
 "messages": [
  {"id": 101, "type": "message", "date": "2026-11-20T21:14:00", "date_unixtime": "1795205640",
   "from": "Sam Troll", "from_id": "user5012345678", "text": "you will regret this",
   "text_entities": [{"type": "plain", "text": "you will regret this"}]},
  {"id": 102, "type": "message", "date": "2026-11-20T21:15:00", "date_unixtime": "1795205700",
   "from": "Sam Troll", "from_id": "user5012345678", "photo": "photos/photo_1@20-11-2026_21-15-00.jpg",
   "width": 10, "height": 10, "text": "", "text_entities": []},
  {"id": 103, "type": "message", "date": "2026-11-20T21:16:00", "date_unixtime": "1795205760",
   "from": "Sam Troll", "from_id": "user5012345678",
   "photo": "(File not included. Change data exporting settings to download.)",
   "text": "look", "text_entities": [{"type": "plain", "text": "look"}]}
 ]
}
'
}

# An Instagram thread folder (Download your information, JSON): two message_N.json,
# newest first, mojibake as Meta writes it.
make_instagram() {
    IG="$T/ig/your_instagram_activity/messages/inbox/samtroll_17841400123456789"
    mkrandom "$IG/photos/431_n.jpg" 1500
    mkfile "$IG/message_1.json" '{
  "participants": [{"name": "Sam Tr\u00c3\u00b6ll"}, {"name": "Alex Victim"}],
  "messages": [
    {"sender_name": "Sam Tr\u00c3\u00b6ll", "timestamp_ms": 1795205700000,
     "photos": [{"uri": "your_instagram_activity/messages/inbox/samtroll_17841400123456789/photos/431_n.jpg", "creation_timestamp": 1795205700}],
     "is_geoblocked_for_viewer": false},
    {"sender_name": "Alex Victim", "timestamp_ms": 1795205640123, "content": "stop", "is_geoblocked_for_viewer": false}
  ],
  "title": "samtroll",
  "is_still_participant": true,
  "thread_path": "inbox/samtroll_17841400123456789",
  "magic_words": []
}'
    mkfile "$IG/message_2.json" '{
  "participants": [{"name": "Sam Tr\u00c3\u00b6ll"}, {"name": "Alex Victim"}],
  "messages": [
    {"sender_name": "Sam Tr\u00c3\u00b6ll", "timestamp_ms": 1795205580000, "content": "t\u0027es nul", "is_geoblocked_for_viewer": false},
    {"sender_name": "Alex Victim", "timestamp_ms": 1795205520000, "content": "Caf\u00c3\u00a9 demain ?", "is_geoblocked_for_viewer": false}
  ],
  "title": "samtroll",
  "is_still_participant": true,
  "thread_path": "inbox/samtroll_17841400123456789",
  "magic_words": []
}'
}

# messages ENTRY-DIR -- the entry's messages.json
messages_of() {
    echo "$C/evidence/$1/messages.json"
}

test_whatsapp_ios_zip() {
    setup
    make_ios_zip
    expect_exit 0 cbkit --case "$C" --json add-chat "$ZIP" --self Lotte --note "export from Lotte's phone"
    expect_one_json_doc
    expect_jq '.seq == 1' '.entry == "evidence/000001-chat"' '.chat.platform == "whatsapp"' '.chat.message_count == 3'
    local photo_sha zip_sha
    photo_sha=$(sha_of "$T/ios/00000001-PHOTO-2026-11-20-21-15-00.jpg")
    zip_sha=$(sha_of "$ZIP")
    expect_line_jq "$C" 1 '.kind == "chat"' \
        '.chat.platform == "whatsapp"' '.chat.variant == "whatsapp-ios-24h-seconds"' \
        '.chat.participants == ["Sam", "Lotte"]' '.chat.message_count == 3' \
        '.chat.first_utc == "2026-11-20T20:14:07Z"' '.chat.last_utc == "2026-11-20T20:16:30Z"' \
        '.chat.zone == "Europe/Brussels"' '.chat.zone_source == "case-zone"' \
        '.chat.parse == {"zone": "Europe/Brussels", "zone_source": "case-zone", "date_order": ""}' \
        '.chat.self == "Lotte"' '.chat.input == {"type": "zip", "name": "WhatsApp Chat - Sam.zip"}' \
        '.context.note == "export from Lotte'"'"'s phone"' \
        "[.files[] | select(.role == \"original\")] | length == 1 and .[0].path == \"evidence/000001-chat/original.zip\" and .[0].sha256 == \"$zip_sha\" and .[0].name == \"WhatsApp Chat - Sam.zip\"" \
        "[.files[] | select(.role == \"export-member\") | .name] == [\"_chat.txt\", \"00000001-PHOTO-2026-11-20-21-15-00.jpg\"]" \
        "[.files[] | select(.name == \"00000001-PHOTO-2026-11-20-21-15-00.jpg\")][0].sha256 == \"$photo_sha\"" \
        '[.files[] | select(.role == "messages")][0].path == "evidence/000001-chat/messages.json"'
    expect_eq "$(sha_of "$C/evidence/000001-chat/export/_chat.txt")" "$(sha_of "$T/ios/_chat.txt")" "stored _chat.txt"
    local m
    m=$(messages_of 000001-chat)
    expect_jq_file "$m" '.format_version == 1' '.platform == "whatsapp"' '.message_count == 3' \
        '.messages[0].utc == "2026-11-20T20:14:07Z"' '.messages[0].offset == "+01:00"' '.messages[0].time_source == "case-zone"' \
        '.messages[0].time_as_written == "20/11/2026, 21:14:07"' '.messages[0].sender == "Sam"' \
        '.messages[1].attachments[0].kind == "photo"' \
        ".messages[1].attachments[0].sha256 == \"$photo_sha\"" '.messages[1].attachments[0].size == 3000' \
        '.messages[1].attachments[0].path == "export/00000001-PHOTO-2026-11-20-21-15-00.jpg"' \
        '.messages[2].source == {"file": "_chat.txt", "line": 3}' '.date_order == "day-first"'
    expect_verify_ok "$C"
    expect_exit 0 cbkit --case "$C" show 1
    expect_stdout_contains "CONVERSATION (whatsapp"
    expect_stdout_contains "2026-11-20 21:14:07 +01:00  Sam: you will regret this"
    expect_stdout_contains "attachment: 00000001-PHOTO-2026-11-20-21-15-00.jpg (photo)"
    # the direction mark WhatsApp writes is kept in messages.json and shown as the report shows it
    expect_jq_file "$m" '.messages[1].text == "\u200e<attached: 00000001-PHOTO-2026-11-20-21-15-00.jpg>"'
    expect_stdout_contains "Sam: [U+200E]<attached: 00000001-PHOTO-2026-11-20-21-15-00.jpg>"
    if grep -qF $'\xef\xbf\xbd' "$OUT"; then fail "show printed U+FFFD for the direction mark"; fi
    expect_stdout_contains "what:  whatsapp chat, 2 participants (Sam, Lotte), 3 messages, 2026-11-20 .. 2026-11-20 (Europe/Brussels, case zone)"
}

test_android_txt_tz_option() {
    setup
    make_android_txt
    expect_exit 0 cbkit --case "$C" add-chat "$ANDROID" --tz Europe/London
    expect_receipt "$C" 1
    expect_line_jq "$C" 1 '.chat.zone == "Europe/London"' '.chat.zone_source == "option"' \
        '.chat.parse.zone == "Europe/London"' '.chat.parse.zone_source == "option"' \
        '.chat.first_utc == "2026-11-20T21:14:00Z"' '.chat.message_count == 3' \
        '.chat.variant == "whatsapp-android-24h"' \
        '.files[0].role == "original" and .files[0].name == "WhatsApp Chat with Sam.txt"'
    local m
    m=$(messages_of 000001-chat)
    expect_jq_file "$m" '.messages[0].flags == ["media-omitted"]' '.messages[0].attachments == []' \
        '.messages[1].text == "everybody will know\nand this is the second line"' \
        '.messages[1].flags | index("continuation") != null' '.messages[0].time_source == "option"'
    expect_verify_ok "$C"
    # the same export read in the case's zone: the zone is an assumption, recorded as such
    expect_exit 0 cbkit --case "$C" add-chat "$ANDROID"
    expect_line_jq "$C" 2 '.chat.zone == "Europe/Brussels"' '.chat.zone_source == "case-zone"' '.chat.first_utc == "2026-11-20T20:14:00Z"'
    expect_stdout_contains "the case's zone"
}

# The repeated hour of the autumn clock change: never guessed, counted in the line, said
# on stderr, both candidates in messages.json.
test_ambiguous_autumn_time() {
    setup
    printf '24/10/2026, 21:14 - Lotte: Hoi\n25/10/2026, 02:30 - Sam: You will regret this\n25/10/2026, 09:00 - Sam: ok\n' >"$T/autumn.txt"
    expect_exit 0 cbkit --case "$C" add-chat "$T/autumn.txt"
    expect_stderr_contains "1 message time(s) could not be resolved in Europe/Brussels"
    expect_stderr_contains "cbkit show 1"
    expect_line_jq "$C" 1 '.chat.unresolved_times == 1' '.chat.message_count == 3'
    expect_jq_file "$(messages_of 000001-chat)" '.messages[1].utc == ""' '.messages[1].ambiguous == true' \
        '.messages[1].candidates == ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"]' '.messages[2].utc == "2026-10-25T08:00:00Z"'
    if "$PY" -c 'import jsonschema' 2>/dev/null; then
        "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$SCHEMA" >"$OUT" 2>"$ERR" || _fail_with_outputs "the line does not match the schema"
    fi
    expect_verify_ok "$C"
    # The report (nl): both candidates, each whole on its line; flags and date order in Dutch.
    printf '24/10/2026, 21:15 - Sam: <Media weggelaten>\n' >>"$T/autumn.txt"
    expect_exit 0 cbkit --case "$C" add-chat "$T/autumn.txt"
    expect_exit 0 cbkit --case "$C" report --lang nl --format txt --out "$T/r.txt"
    grep -qF "2026-10-25 00:30:00 UTC," "$T/r.txt" || fail "the first candidate is not shown whole"
    grep -qF "2026-10-25 01:30:00 UTC)" "$T/r.txt" || fail "the second candidate is not shown whole"
    grep -qF "[media niet in de export]" "$T/r.txt" || fail "the media-omitted flag is not in Dutch"
    grep -qF "dag eerst (dag/maand/jaar)" "$T/r.txt" || fail "the date order is not in Dutch"
}

test_telegram_folder() {
    setup
    make_telegram
    expect_exit 0 cbkit --case "$C" add-chat "$TG"
    local sha
    sha=$(sha_of "$TG/photos/photo_1@20-11-2026_21-15-00.jpg")
    expect_line_jq "$C" 1 '.chat.platform == "telegram"' '.chat.message_count == 3' '.chat.input.type == "folder"' \
        '[.files[] | select(.role == "original") | .name] == ["photos/photo_1@20-11-2026_21-15-00.jpg", "result.json"]' \
        "[.files[] | select(.name == \"photos/photo_1@20-11-2026_21-15-00.jpg\")][0].sha256 == \"$sha\""
    local m
    m=$(messages_of 000001-chat)
    expect_jq_file "$m" '.messages[0].utc == "2026-11-20T20:14:00Z"' '.messages[0].time_source == "export-utc"' \
        ".messages[1].attachments[0].sha256 == \"$sha\"" '.messages[2].attachments[0].missing == true' \
        '.messages[2].attachments[0].name == ""' '.messages[2].flags == ["media-omitted"]' \
        '.messages[2].attachments[0].note == "(File not included. Change data exporting settings to download.)"' \
        '.messages[0].sender_id == "user5012345678"' '.messages[0].export_id == "101"'
    expect_verify_ok "$C"
    expect_exit 0 cbkit --case "$C" show 1
    expect_stdout_contains "attachment: (File not included. Change data exporting settings to download.) (photo) [missing]"
}

test_instagram_thread() {
    setup
    make_instagram
    expect_exit 0 cbkit --case "$C" add-chat "$IG"
    expect_line_jq "$C" 1 '.chat.platform == "instagram"' '.chat.message_count == 4' \
        '.chat.first_utc == "2026-11-20T20:12:00.000Z"' '.chat.participants | index("Sam Tröll") != null'
    local m
    m=$(messages_of 000001-chat)
    # utc carries the export's precision: Meta gives milliseconds (WhatsApp, Telegram: seconds)
    expect_jq_file "$m" '.messages[2].utc == "2026-11-20T20:14:00.123Z"' '.messages[0].utc == "2026-11-20T20:12:00.000Z"'
    expect_jq_file "$m" '.messages[1].text == "t'"'"'es nul"' '.messages[0].text == "Café demain ?"' \
        ".messages[3].attachments[0].sha256 == \"$(sha_of "$IG/photos/431_n.jpg")\"" \
        '[.defects[].code] | index("mojibake-repaired") != null'
    expect_verify_ok "$C"
    # the whole "Download your information" folder holds one thread: it is that conversation
    expect_exit 0 cbkit --case "$C" add-chat "$T/ig"
    expect_line_jq "$C" 2 '.chat.message_count == 4'
}

test_dyi_root_with_two_threads_refused() {
    setup
    make_instagram
    cp -r "$IG" "$T/ig/your_instagram_activity/messages/inbox/other_1"
    snap_save "$C"
    expect_exit 3 cbkit --case "$C" add-chat "$T/ig"
    expect_error_line "2 conversations" "samtroll_17841400123456789" "other_1" "one of them"
    snap_check "$C"
}

test_tamper_messages_json() {
    setup
    make_ios_zip
    expect_exit 0 cbkit --case "$C" add-chat "$ZIP"
    local m
    m=$(messages_of 000001-chat)
    chmod u+w "$m"
    sed -i 's/you will regret this/have a nice day/' "$m"
    run_rc cbkit verify "$C" --json
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_jq '.ok == false' '[.findings[] | select(.code == "file-hash-mismatch" and .path == "evidence/000001-chat/messages.json")] | length == 1'
}

test_tamper_attachment() {
    setup
    make_ios_zip
    expect_exit 0 cbkit --case "$C" add-chat "$ZIP"
    local p="$C/evidence/000001-chat/export/00000001-PHOTO-2026-11-20-21-15-00.jpg"
    chmod u+w "$p"
    printf 'X' | dd of="$p" bs=1 seek=10 conv=notrunc status=none
    run_rc cbkit verify "$C" --json
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_jq "[.findings[] | select(.code == \"file-hash-mismatch\" and .path == \"evidence/000001-chat/export/00000001-PHOTO-2026-11-20-21-15-00.jpg\")] | length == 1"
}

# The line's recorded options no longer give the stored messages.json: the re-derivation
# (not a hash) finds it. The chat line is the last, so no chain link breaks.
test_rederived_messages_differ() {
    setup
    make_android_txt
    expect_exit 0 cbkit --case "$C" add-chat "$ANDROID"
    sed -i '$ s#"parse":{"zone":"Europe/Brussels"#"parse":{"zone":"Asia/Tokyo"#' "$C/manifest.jsonl"
    run_rc cbkit verify "$C" --json
    expect_eq "$LAST_RC" 1 "verify exit"
    expect_jq '[.findings[] | select(.code == "chat-messages-differ" and .seq == 1 and .severity == "error")] | length == 1'
}

# An independent reader: the npm package whatsapp-chat-parser (pinned in tests/node) parses
# an Android and an iOS export, and every message's sender, text and local time must be what
# cbkit's messages.json says (local time = utc + offset). A message cbkit flags ambiguous is
# left out: its wall-clock time happened twice (the autumn clock change), so cbkit records no
# utc/offset but the two candidates, while the parser picks one instant silently; there is no
# single local time of cbkit's to compare (its time_as_written is the export's own text).
test_whatsapp_parser_agrees() {
    local parser="$TESTS_DIR/../node/node_modules/whatsapp-chat-parser/dist/index.cjs"
    command -v node >/dev/null || skip "node is not installed (Debian package nodejs; bash scripts/deps.sh test installs it)"
    [[ -f $parser ]] || skip "whatsapp-chat-parser is not installed (bash scripts/deps.sh test installs it into tests/node/node_modules)"
    setup
    mkfile "$T/android.txt" "20/11/2026, 21:14 - Sam: <Media omitted>
20/11/2026, 21:20 - Sam: everybody will know
and this is the second line
21/11/2026, 08:02 - Lotte: leave me alone 😡 café
25/10/2026, 02:30 - Sam: at night, when the clocks go back
25/10/2026, 03:10 - Sam: after the change
29/03/2026, 01:59 - Lotte: before the spring change
01/07/2026, 12:00 - Sam: summer: \"quoted\" and a \\ backslash
"
    mkfile "$T/ios.txt" "[20/11/2026, 21:14:07] Sam: you will regret this
[20/11/2026, 21:15:00] Sam: ${LRM}<attached: 00000001-PHOTO-2026-11-20-21-15-00.jpg>
[20/11/2026, 21:16:30] Lotte: stop writing to me
second line
[25/10/2026, 02:15:00] Sam: twice that night
[01/07/2026, 12:00:59] Lotte: summer
"
    local name n=0
    for name in android ios; do
        expect_exit 0 cbkit --case "$C" add-chat "$T/$name.txt" --date-order day-first
        n=$((n + 1))
        TZ=UTC node -e '
const { parseString } = require(process.argv[1]);
// the file ends with a line terminator, which the parser would add to the last message as an
// empty continuation line
const text = require("fs").readFileSync(process.argv[2], "utf8").replace(/\n$/, "");
const p = (x) => String(x).padStart(2, "0");
const out = parseString(text, { daysFirst: true }).map((m) => ({
  sender: m.author, text: m.message,
  local: `${m.date.getUTCFullYear()}-${p(m.date.getUTCMonth() + 1)}-${p(m.date.getUTCDate())} ` +
         `${p(m.date.getUTCHours())}:${p(m.date.getUTCMinutes())}:${p(m.date.getUTCSeconds())}` }));
console.log(JSON.stringify(out));' "$parser" "$T/$name.txt" >"$T/$name.parser.json" ||
            fail "whatsapp-chat-parser failed on $name.txt"
        "$PY" - "$T/$name.parser.json" "$(messages_of "$(printf '%06d' "$n")-chat")" "$name" >"$OUT" 2>"$ERR" <<'PYEOF' ||
import datetime, json, sys
theirs = json.load(open(sys.argv[1], encoding="utf-8"))
ours = json.load(open(sys.argv[2], encoding="utf-8"))["messages"]
assert len(theirs) == len(ours), f"{sys.argv[3]}: the parser read {len(theirs)} messages, cbkit {len(ours)}"
skipped = 0
for i, (t, o) in enumerate(zip(theirs, ours)):
    if o["ambiguous"]:
        skipped += 1
        assert o["utc"] == "" and len(o["candidates"]) == 2, f"message {i}: ambiguous without two candidates"
        continue
    assert o["utc"], f"message {i}: no utc and not flagged ambiguous"
    sign = -1 if o["offset"][0] == "-" else 1
    off = datetime.timedelta(hours=int(o["offset"][1:3]), minutes=int(o["offset"][4:6])) * sign
    utc = datetime.datetime.strptime(o["utc"][:19], "%Y-%m-%dT%H:%M:%S")
    local = (utc + off).strftime("%Y-%m-%d %H:%M:%S")
    for what, a, b in (("sender", t["sender"], o["sender"]), ("text", t["text"], o["text"]), ("local time", t["local"], local)):
        assert a == b, f"{sys.argv[3]} message {i}: {what}: parser {a!r}, cbkit {b!r}"
print(f"{len(ours)} {skipped}")
PYEOF
            _fail_with_outputs "cbkit and whatsapp-chat-parser disagree on $name.txt"
        case $name in
        android) expect_eq "$(cat "$OUT")" "7 1" "android: messages compared, ambiguous left out" ;;
        ios) expect_eq "$(cat "$OUT")" "5 1" "ios: messages compared, ambiguous left out" ;;
        esac
    done
}

# hostile_zip NAME PYTHON -- a zip written by the Python statements (z is the ZipFile).
hostile_zip() {
    "$PY" - "$T/$1" "$2" <<'PYEOF'
import sys, zipfile
chat = b"[20/11/2026, 21:14:07] Sam: hello\n"
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("_chat.txt", chat)
    exec(sys.argv[2])
PYEOF
}

expect_refused() {
    snap_save "$C" "$1"
    expect_exit 3 cbkit --case "$C" add-chat "$T/$1"
    expect_error_line "$1" "${@:2}"
    snap_check "$C" "$1"
}

test_hostile_zips_refused() {
    setup
    hostile_zip dotdot.zip 'z.writestr("../../evil.txt", b"x")'
    expect_refused dotdot.zip "'..'" "nothing recorded"
    hostile_zip absolute.zip 'z.writestr("/etc/evil.txt", b"x")'
    expect_refused absolute.zip "absolute"
    hostile_zip link.zip '
i = zipfile.ZipInfo("photo.jpg")
i.create_system = 3
i.external_attr = (0o120777 << 16)
z.writestr(i, b"/etc/passwd")'
    expect_refused link.zip "symbolic link"
    hostile_zip dup.zip 'z.writestr("_chat.txt", b"[20/11/2026, 21:15:00] Sam: other\n")'
    expect_refused dup.zip "twice"
    hostile_zip bomb.zip 'z.writestr("00000002-VIDEO-2026-11-20-21-15-00.mp4", b"\0" * (60 << 20))'
    expect_refused bomb.zip "zip bomb"
    hostile_zip device.zip '
i = zipfile.ZipInfo("dev")
i.create_system = 3
i.external_attr = (0o020644 << 16)
z.writestr(i, b"")'
    expect_refused device.zip "not a regular file"
    # a truncated zip
    make_ios_zip
    head -c 2000 "$ZIP" >"$T/truncated.zip"
    expect_refused truncated.zip
    expect_eq "$(ls -A "$C/evidence")" "" "nothing left in evidence/"
}

test_bad_inputs_refused() {
    setup
    mkfile "$T/other.json" '{"foo": 1}'
    expect_refused other.json "WhatsApp" "Telegram" "Instagram"
    mkfile "$T/empty.txt" ""
    expect_refused empty.txt "empty"
    mkfile "$T/notachat.txt" "hello world
nothing here
"
    snap_save "$C" nc
    run_rc cbkit --case "$C" add-chat "$T/notachat.txt"
    [[ $LAST_RC == 3 ]] || _fail_with_outputs "a text without messages: expected exit 3, got $LAST_RC"
    snap_check "$C" nc
    # a folder holding a link
    make_telegram
    ln -s /etc/passwd "$TG/photos/link.jpg"
    snap_save "$C" link
    expect_exit 3 cbkit --case "$C" add-chat "$TG"
    expect_error_line "link.jpg" "symbolic link"
    snap_check "$C" link
    expect_eq "$(ls -A "$C/evidence")" "" "nothing left in evidence/"
}

# Already covered above: an empty export (test_bad_inputs_refused), a truncated zip, ".." and
# absolute member names, links and a zip bomb (test_hostile_zips_refused: exit 3, case unchanged).

# A line of 10 MiB: cut at 1 MiB in messages.json (defect line-too-long), kept whole in the
# stored export, read through a bounded buffer (peak RSS far below the line's size × a few).
test_ten_mib_line() {
    setup
    "$PY" - "$T/long.txt" <<'PYEOF'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"20/11/2026, 21:14 - Sam: " + b"x" * (10 << 20) + b"\n")
    f.write(b"20/11/2026, 21:15 - Sam: after the long line\n")
PYEOF
    local rss
    run_rc /usr/bin/time -f %M -o "$T/rss" "$CBKIT_BIN" --case "$C" add-chat "$T/long.txt"
    expect_eq "$LAST_RC" 0 "add-chat exit"
    rss=$(tail -n 1 "$T/rss")
    sanitized_build || ((rss < 96 * 1024)) || fail "peak RSS ${rss} KiB for a 10 MiB line (bound: 96 MiB)"
    local m
    m=$(messages_of 000001-chat)
    expect_jq_file "$m" '.message_count == 2' '[.defects[] | select(.code == "line-too-long")] | length == 1' \
        '(.messages[0].text | length) < (1048576 - 20)' '(.messages[0].text | length) > (1048576 - 40)' \
        '.messages[1].text == "after the long line"'
    expect_eq "$(sha_of "$C/evidence/000001-chat/export/long.txt")" "$(sha_of "$T/long.txt")" "stored export, whole"
    expect_verify_ok "$C"
}

# Invalid UTF-8: U+FFFD in messages.json's text (defect invalid-utf8), the stored export as it was.
test_invalid_utf8() {
    setup
    printf '20/11/2026, 21:14 - Sam: bad \xff\xfe bytes \xc3\n20/11/2026, 21:15 - Sam: good\n' >"$T/bad.txt"
    expect_exit 0 cbkit --case "$C" add-chat "$T/bad.txt"
    local m
    m=$(messages_of 000001-chat)
    expect_jq_file "$m" '.messages[0].text | contains("\ufffd")' '.messages[0].text | startswith("bad ")' \
        '[.defects[] | select(.code == "invalid-utf8")] | length == 1' '.messages[1].text == "good"'
    expect_eq "$(sha_of "$C/evidence/000001-chat/export/bad.txt")" "$(sha_of "$T/bad.txt")" "stored export"
    expect_verify_ok "$C"
}

# A 2 GiB export text and a 4 GiB zip (sparse: no disk used): refused from their size before
# anything is copied, quickly, the error naming the limit; the case unchanged.
test_huge_text_refused_from_its_size() {
    setup
    truncate -s 2100M "$T/huge.txt" || skip "cannot make a sparse file here"
    printf '20/11/2026, 21:14 - Sam: hello\n' | dd of="$T/huge.txt" conv=notrunc status=none
    snap_save "$C"
    local t0=$SECONDS
    expect_exit 3 cbkit --case "$C" add-chat "$T/huge.txt"
    ((SECONDS - t0 <= 5)) || fail "refusing a 2 GiB text took $((SECONDS - t0)) s: was it copied?"
    expect_error_line "huge.txt" "2202009600 bytes" "limit of 256 MiB" "nothing recorded"
    snap_check "$C"
    # a zip over the 4 GiB an export may hold: refused from its size too, not copied first
    truncate -s 4200M "$T/huge.zip"
    t0=$SECONDS
    expect_exit 3 cbkit --case "$C" add-chat "$T/huge.zip"
    ((SECONDS - t0 <= 5)) || fail "refusing a 4 GiB zip took $((SECONDS - t0)) s: was it copied?"
    expect_error_line "huge.zip" "4404019200 bytes" "limit of 4096 MiB" "nothing recorded"
    snap_check "$C"
    expect_eq "$(ls -A "$C/evidence")" "" "nothing left in evidence/"
}

test_options() {
    setup
    make_android_txt
    snap_save "$C"
    expect_exit 2 cbkit --case "$C" add-chat "$ANDROID" --tz Mars/Olympus
    expect_error_line "Mars/Olympus"
    expect_exit 2 cbkit --case "$C" add-chat "$ANDROID" --from-person 0
    expect_error_line "--from-person 0" "not a person"
    snap_check "$C"
    expect_exit 0 cbkit --case "$C" person --role victim --name Lotte
    expect_exit 0 cbkit --case "$C" add-chat "$ANDROID" --from-person 1 --date-order day-first --self Lotte
    expect_line_jq "$C" 2 '.chat.from_person == 1' '.chat.self == "Lotte"' '.chat.parse.date_order == "day-first"' \
        '.chat.date_order == "day-first"'
    expect_verify_ok "$C"
}

test_lines_match_schema() {
    [[ -f $SCHEMA ]] || fail "JSON Schema not found: $SCHEMA"
    "$PY" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null || skip "no jsonschema"
    setup
    make_ios_zip
    make_telegram
    make_instagram
    expect_exit 0 cbkit --case "$C" person --role victim --name Lotte
    expect_exit 0 cbkit --case "$C" add-chat "$ZIP" --self Lotte --from-person 1 --note "from her phone"
    expect_exit 0 cbkit --case "$C" add-chat "$TG" --tz Europe/Paris
    expect_exit 0 cbkit --case "$C" add-chat "$IG"
    "$PY" "$MTOOL" schema "$C/manifest.jsonl" "$SCHEMA" >"$OUT" 2>"$ERR" ||
        _fail_with_outputs "manifest lines do not validate against $SCHEMA"
    expect_eq "$(cat "$OUT")" "valid 5" "validated lines"
    # a chat line without its chat object does not validate
    line_at "$C" 2 | jq -c 'del(.chat)' >"$T/bad.jsonl"
    if "$PY" "$MTOOL" schema "$T/bad.jsonl" "$SCHEMA" >/dev/null 2>&1; then fail "a chat line without .chat validated"; fi
}

# The report: the conversation as a transcript (local time with offset, sender, text,
# attachments), and the checklist's point 7 answered from a chat with the suspect, zone stated.
test_report_transcript_and_checklist() {
    setup
    make_ios_zip
    expect_exit 0 cbkit --case "$C" person --role victim --name Lotte
    expect_exit 0 cbkit --case "$C" person --role suspect --name Sam
    expect_exit 0 cbkit --case "$C" add-chat "$ZIP" --from-person 1 --about-person 2
    expect_line_jq "$C" 3 '.context.about_person == 2' '.chat.from_person == 1'
    expect_exit 0 cbkit --case "$C" report --lang en --format txt --out "$T/r.txt"
    grep -qF "Conversation #3 (whatsapp): Sam, Lotte" "$T/r.txt" || fail "no conversation section"
    grep -qF "Local time: 2026-11-20 21:14:07 +01:00" "$T/r.txt" || fail "no local time with offset"
    grep -qF "[attachment: 00000001-PHOTO-2026-11-20-21-15-00.jpg]" "$T/r.txt" || fail "no attachment"
    grep -qF "Europe/Brussels (the case's zone, assumed" "$T/r.txt" || fail "zone not stated"
    expect_exit 0 cbkit --case "$C" report --lang nl --format json --out "$T/r.json"
    expect_jq_file "$T/r.json" \
        '[.. | objects | select(.key? == "fd_chat_time_case_zone")] | length == 1' \
        '[.. | objects | select(.rule? == "conversations-dated")] | length == 1'
    # a second chat attributed to nobody does not change the answer
    expect_exit 0 cbkit --case "$C" add-chat "$ZIP"
    expect_exit 0 cbkit --case "$C" report --lang en --format json --out "$T/r2.json"
    expect_jq_file "$T/r2.json" '[.. | objects | select(.rule? == "conversations-dated")] | length == 1'
}

run_tests "$@"
