#!/usr/bin/env python3
"""Draws the app icon (assets/icon.svg: a white check on an indigo rounded
square) as the PNGs the web app manifest names, with no image library:
icon-192.png, icon-512.png (rounded corners, transparent outside) and
icon-maskable-512.png (full bleed, the check inside the 80% safe zone).

    python3 scripts/lib/make-icons.py crates/todo-web/assets
"""

import math
import struct
import sys
import zlib

ACCENT = (0x4F, 0x46, 0xE5)
WHITE = (0xFF, 0xFF, 0xFF)


def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def draw(size, maskable):
    # In the SVG's 32-unit box: the check's polyline and stroke width.
    scale = size / 32.0
    shrink = 0.72 if maskable else 1.0  # keep the check in the safe zone
    pts = [(9, 16.5), (13.5, 21), (23, 11.5)]
    pts = [((x - 16) * shrink * scale + size / 2, (y - 16) * shrink * scale + size / 2) for x, y in pts]
    half = 1.6 * shrink * scale
    radius = 0 if maskable else 8 * scale
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            cx, cy = x + 0.5, y + 0.5
            inside = True
            if radius:
                qx = min(max(cx, radius), size - radius)
                qy = min(max(cy, radius), size - radius)
                inside = math.hypot(cx - qx, cy - qy) <= radius
            if not inside:
                row += bytes((0, 0, 0, 0))
                continue
            d = min(seg_dist(cx, cy, *pts[0], *pts[1]), seg_dist(cx, cy, *pts[1], *pts[2]))
            cover = max(0.0, min(1.0, half + 0.5 - d))
            px = tuple(round(a + (b - a) * cover) for a, b in zip(ACCENT, WHITE))
            row += bytes(px + (255,))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ]:
        with open(f"{out}/{name}", "wb") as f:
            f.write(draw(size, maskable))
