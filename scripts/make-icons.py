#!/usr/bin/env python3
"""Draws the app icons (icons/*.png) with the standard library only: a navy rounded square,
a white identity card and a red "simulation" corner band. Rerun after changing the drawing."""
import struct
import sys
import zlib
from pathlib import Path

NAVY = (35, 64, 142)
WHITE = (255, 255, 255)
RED = (179, 38, 30)
GREY = (190, 198, 214)


def inside_rounded(x, y, x0, y0, x1, y1, r):
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def colour_at(u, v):
    """Colour (RGB) or None (transparent) at a point of the unit square."""
    if not inside_rounded(u, v, 0.02, 0.02, 0.98, 0.98, 0.2):
        return None
    # Red band across the top-right corner: this is a simulation.
    if 0.50 <= u - v <= 0.66:
        return RED
    # The identity card.
    if inside_rounded(u, v, 0.16, 0.30, 0.84, 0.74, 0.06):
        # Photo placeholder and text lines.
        if inside_rounded(u, v, 0.22, 0.38, 0.42, 0.64, 0.03):
            return NAVY
        for top in (0.41, 0.50, 0.59):
            if 0.48 <= u <= 0.78 and top <= v <= top + 0.045:
                return GREY
        return WHITE
    return NAVY


def render(size, samples=4):
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type: none
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    c = colour_at((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)
                    if c is not None:
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
                        acc[3] += 1
            n = acc[3]
            if n == 0:
                row += bytes((0, 0, 0, 0))
            else:
                row += bytes((acc[0] // n, acc[1] // n, acc[2] // n, 255 * n // (samples * samples)))
        rows.append(bytes(row))
    return b"".join(rows)


def png(size):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(render(size), 9))
        + chunk(b"IEND", b"")
    )


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "icons")
    out.mkdir(parents=True, exist_ok=True)
    for name, size in (("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)):
        (out / name).write_bytes(png(size))
        print(f"{out / name} ({size}x{size})")


if __name__ == "__main__":
    main()
