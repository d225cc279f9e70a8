#!/usr/bin/env bash
# The libraries cbkit opens on first use, not at start-up (libcurl, GMime, libarchive;
# ARCHITECTURE.md "Libraries opened on first use"): a command that does not need one does
# not load it, a command that does loads it, and a command whose library is missing or is
# not the right library fails with exit 69 (unavailable), names the library and the
# package that installs it, and records nothing.
source "$(dirname "$0")/lib.sh"

MAIL=$'From: Sam <sam@example.com>\r\nTo: lotte@example.org\r\nSubject: hi\r\nDate: Fri, 20 Nov 2026 21:14:00 +0100\r\nMessage-ID: <1@example.com>\r\n\r\nbody\r\n'

setup() {
    C="$T/case"
    new_case "$C" --timezone Europe/Brussels
}

# traced CMD... -- run CMD (exit code in LAST_RC) and list in $T/loaded the shared objects
# the dynamic linker loaded for it: at start-up and later with dlopen (glibc's LD_DEBUG).
traced() {
    rm -f "$T"/ld.*
    LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld" run_rc "$@"
    cat "$T"/ld.* 2>/dev/null | sed -n 's/^[[:space:]]*[0-9]*:[[:space:]]*file=\([^ ]*\) .*/\1/p' | sort -u >"$T/loaded"
    [[ -s $T/loaded ]] || skip "LD_DEBUG gave no output here"
}

expect_not_loaded() {
    local lib
    for lib in "$@"; do
        ! grep -q "^$lib" "$T/loaded" || fail "$lib was loaded; loaded: $(tr '\n' ' ' <"$T/loaded")"
    done
}

expect_loaded() {
    local lib
    for lib in "$@"; do
        grep -q "^$lib" "$T/loaded" || fail "$lib was not loaded; loaded: $(tr '\n' ' ' <"$T/loaded")"
    done
}

# soname_of NAME -- the SONAME of the installed library libNAME.so (from ldconfig's cache).
soname_of() {
    ldconfig -p | sed -n "s/^[[:space:]]*\(lib$1\.so\.[0-9][^ ]*\) (.*x86-64.*/\1/p; s/^[[:space:]]*\(lib$1\.so\.[0-9][^ ]*\) (.*/\1/p" | head -n 1
}

test_light_commands_load_none() {
    setup
    mkfile "$T/in/photo.jpg" "not really a jpeg"
    traced cbkit --version
    expect_eq "$LAST_RC" 0 "cbkit --version exit"
    expect_not_loaded libcurl libgmime libarchive libglib
    traced cbkit --case "$C" add-file "$T/in/photo.jpg"
    expect_eq "$LAST_RC" 0 "add-file exit"
    expect_not_loaded libcurl libgmime libarchive libglib
    traced cbkit --case "$C" note "seen on the school bus"
    expect_eq "$LAST_RC" 0 "note exit"
    traced cbkit verify "$C"
    expect_eq "$LAST_RC" 0 "verify exit"
    expect_not_loaded libcurl libgmime libarchive libglib
}

test_add_email_loads_gmime_only() {
    setup
    mkfile "$T/in/mail.eml" "$MAIL"
    traced cbkit --case "$C" add-email "$T/in/mail.eml"
    expect_eq "$LAST_RC" 0 "add-email exit"
    expect_loaded libgmime libglib
    expect_not_loaded libcurl libarchive
}

test_seal_loads_libarchive() {
    setup
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt"
    expect_exit 0 cbkit keygen --out "$T/examiner"
    traced cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/case.tar"
    expect_eq "$LAST_RC" 0 "seal exit"
    expect_loaded libarchive
    expect_not_loaded libgmime libcurl
}

# fake_library DIR SONAME KIND -- a file named SONAME in DIR that is not the library: KIND
# "garbage" (not a shared object at all) or "other" (a real shared object, zlib, without
# the library's functions).
fake_library() {
    mkdir -p "$1"
    case $3 in
    garbage) printf 'not a shared library\n' >"$1/$2" ;;
    other) cp "$(ldconfig -p | sed -n 's/^[[:space:]]*libz\.so\.1 (.*) => //p' | head -n 1)" "$1/$2" ;;
    esac
}

test_broken_gmime_is_unavailable() {
    setup
    local soname kind
    soname=$(soname_of gmime-3.0)
    [[ -n $soname ]] || skip "no libgmime-3.0 in ldconfig's cache"
    mkfile "$T/in/mail.eml" "$MAIL"
    for kind in garbage other; do
        rm -rf "$T/lib"
        fake_library "$T/lib" "$soname" "$kind"
        snap_save "$C"
        LD_LIBRARY_PATH="$T/lib" expect_exit 69 cbkit --json --case "$C" add-email "$T/in/mail.eml"
        expect_json_error unavailable 69
        expect_jq ".error.message | contains(\"$soname\")" '.error.message | contains("libgmime-3.0-0")'
        snap_check "$C"
        LD_LIBRARY_PATH="$T/lib" expect_exit 69 cbkit --case "$C" add-email "$T/in/mail.eml"
        expect_error_line "$soname"
        snap_check "$C"
    done
    # the message says what failed: the file is not a library, or it lacks a function
    grep -q 'has no function' "$ERR" || fail "the 'other' library's error does not name the missing function: $(cat "$ERR")"
}

test_broken_libarchive_is_unavailable() {
    setup
    local soname
    soname=$(soname_of archive)
    [[ -n $soname ]] || skip "no libarchive in ldconfig's cache"
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt"
    expect_exit 0 cbkit keygen --out "$T/examiner"
    fake_library "$T/lib" "$soname" garbage
    snap_save "$C"
    LD_LIBRARY_PATH="$T/lib" expect_exit 69 cbkit --json --case "$C" seal --key "$T/examiner.key" --out "$T/case.tar"
    expect_json_error unavailable 69
    expect_jq ".error.message | contains(\"$soname\")" '.error.message | contains("libarchive13")'
    snap_check "$C"
    [[ ! -e $T/case.tar ]] || fail "seal left $T/case.tar behind"
    # verify of an archive: a machine without libarchive is an error (69), never a finding
    # about the archive (1)
    expect_exit 0 cbkit --case "$C" seal --key "$T/examiner.key" --out "$T/case.tar"
    expect_exit 0 cbkit verify "$T/case.tar"
    LD_LIBRARY_PATH="$T/lib" expect_exit 69 cbkit verify "$T/case.tar"
    expect_error_line "$soname"
    # pack writes an archive for a recorded seal: refused, no archive left behind
    snap_save "$C"
    LD_LIBRARY_PATH="$T/lib" expect_exit 69 cbkit --case "$C" pack --key "$T/examiner.key" --out "$T/again.tar"
    expect_error_line "$soname"
    [[ ! -e $T/again.tar ]] || fail "pack left $T/again.tar behind"
    snap_check "$C"
    # add-chat of a zip export: refused before the zip is copied; a text export still works
    mkfile "$T/chat/_chat.txt" "[20/11/2026, 21:14:07] Sam: you will regret this
"
    "$PY" -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w"); z.write(sys.argv[2], "_chat.txt"); z.close()' \
        "$T/chat.zip" "$T/chat/_chat.txt"
    snap_save "$C"
    LD_LIBRARY_PATH="$T/lib" expect_exit 69 cbkit --case "$C" add-chat "$T/chat.zip" --self Lotte
    expect_error_line "$soname"
    snap_check "$C"
    LD_LIBRARY_PATH="$T/lib" expect_exit 0 cbkit --case "$C" add-chat "$T/chat/_chat.txt" --self Lotte
    # a command that does not need libarchive still works with it broken
    mkfile "$T/in/b.txt" "b"
    LD_LIBRARY_PATH="$T/lib" expect_exit 0 cbkit --case "$C" add-file "$T/in/b.txt"
}

test_broken_libcurl_is_unavailable() {
    setup
    local soname
    soname=$(soname_of curl)
    [[ -n $soname ]] || skip "no libcurl in ldconfig's cache"
    fake_library "$T/lib" "$soname" other
    # seal --tsa: refused before the report and the seal line are recorded
    mkfile "$T/in/a.txt" "a"
    add "$T/in/a.txt"
    expect_exit 0 cbkit keygen --out "$T/examiner"
    snap_save "$C"
    LD_LIBRARY_PATH="$T/lib" expect_exit 69 cbkit --case "$C" seal --key "$T/examiner.key" --tsa "http://127.0.0.1:9/tsa" --out "$T/case.tar"
    expect_error_line "$soname"
    snap_check "$C"
    [[ ! -e $T/case.tar ]] || fail "seal left $T/case.tar behind"
    # no failed attempt is recorded for a URL that was never fetched
    LD_LIBRARY_PATH="$T/lib" expect_exit 69 cbkit --json --case "$C" capture-url "http://127.0.0.1:9/post/1"
    expect_json_error unavailable 69
    expect_jq ".error.message | contains(\"$soname\")" '.error.message | contains("libcurl4")'
    snap_check "$C"
}

run_tests "$@"
