#!/usr/bin/python3
"""Write a small, valid PNG that stands in for a phone screenshot of the fictional
Instagram post by @x_hater_2026 (cbkit demo). Only the standard library is used
(zlib + struct), so the binary input is built, not committed.

Usage: make-screenshot.py OUT.png
"""
import struct
import sys
import zlib

W, H = 270, 480

WHITE = (255, 255, 255)
GREY = (230, 230, 234)
DARK = (38, 38, 38)
BAR = (250, 250, 250)
BLUE = (0, 149, 246)
RED = (237, 73, 86)
GREEN = (220, 248, 198)
TEXT = (90, 90, 90)


def main(path):
    px = [[WHITE] * W for _ in range(H)]

    def rect(x0, y0, x1, y1, c):
        for y in range(max(0, y0), min(H, y1)):
            row = px[y]
            for x in range(max(0, x0), min(W, x1)):
                row[x] = c

    def ring(cx, cy, r, width, c):
        for y in range(cy - r - width, cy + r + width + 1):
            for x in range(cx - r - width, cx + r + width + 1):
                if 0 <= x < W and 0 <= y < H:
                    d2 = (x - cx) ** 2 + (y - cy) ** 2
                    if r * r <= d2 <= (r + width) ** 2:
                        px[y][x] = c

    rect(0, 0, W, 18, DARK)                 # phone status bar
    rect(200, 6, 240, 12, WHITE)            # the "21:14" time block
    rect(0, 18, W, 58, BAR)                 # Instagram header
    ring(28, 38, 12, 2, RED)                # avatar ring
    rect(48, 32, 150, 40, DARK)             # "x_hater_2026"
    rect(0, 58, W, 59, GREY)
    # the posted photo: a picture of the group chat
    rect(0, 60, W, 330, (236, 229, 221))
    for i, (x0, y0, x1, c) in enumerate([(12, 75, 180, WHITE), (90, 110, 258, GREEN),
                                         (12, 145, 200, WHITE), (12, 180, 150, WHITE),
                                         (70, 215, 258, GREEN), (12, 250, 210, WHITE)]):
        rect(x0, y0, x1, y0 + 24, c)
        rect(x0 + 8, y0 + 9, x0 + 8 + (x1 - x0) // 2, y0 + 15, TEXT)
    ring(170, 122, 34, 3, RED)              # victim's name circled in red
    # like / comment / share icons and caption lines
    for x in (12, 44, 76):
        rect(x, 342, x + 20, 362, DARK)
    rect(12, 372, 90, 380, DARK)            # "3 likes"
    rect(12, 390, 250, 397, TEXT)           # caption
    rect(12, 403, 200, 410, TEXT)
    rect(12, 424, 120, 431, BLUE)           # "View all 2 comments"
    rect(0, 452, W, H, BAR)                 # bottom navigation
    for x in (24, 78, 132, 186, 240):
        rect(x - 8, 460, x + 8, 476, DARK)

    raw = b"".join(b"\x00" + bytes(v for p in row for v in p) for row in px)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
           + chunk(b"tEXt", b"Comment\x00Fictional screenshot of instagram.com/x_hater_2026"
                   b" for the cbkit demo, observed 2026-11-20T21:14:00+01:00")
           + chunk(b"IDAT", zlib.compress(raw, 9))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make-screenshot.py OUT.png")
    main(sys.argv[1])
