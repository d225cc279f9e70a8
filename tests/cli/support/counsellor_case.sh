# Sourced by the report tests: counsellor_case builds in $C (inputs in $T/in) the case of a
# school counsellor, made with the commands a user types: the victim and the suspect, a
# screenshot of the suspect's Instagram post, two e-mails from the suspect (one sent from a
# home connection, its client IP in the Received chain; one through Gmail, whose relay is not
# the sender's address), a WhatsApp conversation about the suspect with a photo, and three
# calls (one from the suspect's number with a recording, one withheld, one SMS).
# Everything is in the case's zone Europe/Brussels.

# A 2x2 PNG, fixed bytes.
counsellor_png() {
    printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==' | base64 -d >"$1"
}

counsellor_case() {
    C="$T/case"
    expect_exit 0 cbkit init "$C" --case-id BE-CLB-2026-0117 --examiner "M. Janssens" --org "CLB Gent" \
        --title "Pesterijen via Instagram, e-mail en telefoon" --timezone Europe/Brussels
    mkdir -p "$T/in"
    # 1 victim, 2 suspect
    expect_exit 0 cbkit --case "$C" person --role victim --name "Lotte" --phone "0470 12 34 56" --email lotte@school.example
    expect_exit 0 cbkit --case "$C" person --role suspect --name "Sam" \
        --account "instagram:1784100000042:https://www.instagram.com/x_hater_2026" --handle @x_hater_2026 \
        --phone "+32 499 99 88 77" --email sam.hater@telenet.example
    # 3 the screenshot of the post
    counsellor_png "$T/in/post.png"
    expect_exit 0 cbkit --case "$C" add-file "$T/in/post.png" --kind screenshot --note "Instagram-bericht van x_hater_2026" \
        --source-url https://www.instagram.com/x_hater_2026 --observed-at 2026-11-20T21:14:00+01:00 \
        --platform instagram --account-id 1784100000042 --from-person 2
    # 4 an e-mail from the suspect's home connection (client IP in the oldest Received line)
    local png_b64
    png_b64=$(base64 -w0 <"$T/in/post.png")
    cat >"$T/in/dreiging.eml" <<EOM
Received: from mail.telenet.example (mail.telenet.example [195.130.132.10])
	by mx.school.example (Postfix) with ESMTPS id 4F1A2B3C; Fri, 20 Nov 2026 21:03:01 +0000 (UTC)
Received: from laptop (d51a4c9b.access.telenet.example [81.164.201.77])
	by mail.telenet.example (Postfix) with ESMTPSA id 9C8D7E6F; Fri, 20 Nov 2026 21:02:59 +0000 (UTC)
From: Sam <sam.hater@telenet.example>
To: lotte@school.example
Subject: iedereen gaat het zien
Date: Fri, 20 Nov 2026 22:02:58 +0100
Message-ID: <dreiging-1@telenet.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Iedereen gaat deze foto zien. Morgen staat hij online.
--b1
Content-Type: image/png; name="foto.png"
Content-Disposition: attachment; filename="foto.png"
Content-Transfer-Encoding: base64

$png_b64
--b1--
EOM
    expect_exit 0 cbkit --case "$C" add-email "$T/in/dreiging.eml" --from-person 2
    # 5 an e-mail through Gmail: the relay's address is Google's, not the sender's
    cat >"$T/in/gmail.eml" <<'EOM'
Received: from mail-wr1-f41.google.com (mail-wr1-f41.google.com [209.85.221.41])
	by mx.school.example (Postfix) with ESMTPS id 7A6B5C4D; Sat, 21 Nov 2026 07:30:05 +0000 (UTC)
Received: by mail-wr1-f41.google.com with SMTP id a640c23a62f3a-1234567890abc
        for <lotte@school.example>; Sat, 21 Nov 2026 07:30:03 +0000 (UTC)
From: anoniem <anon.x.2026@gmail.com>
To: lotte@school.example
Subject: laatste waarschuwing
Date: Sat, 21 Nov 2026 08:30:02 +0100
Message-ID: <CAGmail-77@mail.gmail.com>
Content-Type: text/plain; charset=utf-8

Dit is je laatste waarschuwing.
EOM
    expect_exit 0 cbkit --case "$C" add-email "$T/in/gmail.eml" --from-person 2
    # 6 the WhatsApp conversation with the suspect, exported from Lotte's phone, with a photo
    mkdir -p "$T/in/wa"
    printf '[20/11/2026, 21:14:07] Sam: je gaat hier spijt van krijgen\n[20/11/2026, 21:15:00] Sam: \xe2\x80\x8e<attached: 00000001-PHOTO-2026-11-20-21-15-00.png>\n[20/11/2026, 21:16:30] Lotte: stop met me te schrijven\n' \
        >"$T/in/wa/_chat.txt"
    cp "$T/in/post.png" "$T/in/wa/00000001-PHOTO-2026-11-20-21-15-00.png"
    (cd "$T/in/wa" && zip -q -X "$T/in/WhatsApp Chat - Sam.zip" _chat.txt 00000001-PHOTO-2026-11-20-21-15-00.png)
    expect_exit 0 cbkit --case "$C" add-chat "$T/in/WhatsApp Chat - Sam.zip" --self Lotte --from-person 1 --about-person 2
    # 7 a call from the suspect's number, recorded; 8 a withheld call; 9 an SMS
    head -c 3000 /dev/zero >"$T/in/oproep.m4a"
    expect_exit 0 cbkit --case "$C" add-call --at "2026-11-21 19:45:10" --direction incoming --from "+32 499 99 88 77" \
        --to "0470 12 34 56" --duration 2m05s --recording "$T/in/oproep.m4a" --from-person 2
    expect_exit 0 cbkit --case "$C" add-call --at "2026-11-22 23:10:00" --direction incoming --from withheld \
        --to "0470 12 34 56" --duration 40s --about-person 2
    expect_exit 0 cbkit --case "$C" add-call --at "2026-11-23 07:02:00" --direction incoming --from "0499 99 88 77" \
        --to "0470 12 34 56" --sms "ik weet waar je woont" --from-person 2
}
