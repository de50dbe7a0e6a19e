"""Reading a PNG screenshot's pixels, to compare a fresh screenshot with the tracked one.

The comparison is coarse on purpose: a live page shows other task ids, times and log
lines on every run, so two screenshots are compared by the brightness of the cells of a
grid laid over them, which follows the layout (tables, the dark log box) and not the text.

Only what headless Chromium writes is supported: 8-bit RGB, not interlaced.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
RGB = 2  # the PNG colour type
BPP = 3  # bytes per pixel of 8-bit RGB


def _chunks(data: bytes):
    pos = len(SIGNATURE)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(kind: int, row: bytearray, prior: bytes) -> bytearray:
    if kind == 0:
        return row
    if kind == 2:
        return bytearray((x + b) & 0xFF for x, b in zip(row, prior))
    for i in range(len(row)):
        a = row[i - BPP] if i >= BPP else 0
        c = prior[i - BPP] if i >= BPP else 0
        if kind == 1:
            row[i] = (row[i] + a) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + ((a + prior[i]) >> 1)) & 0xFF
        else:
            row[i] = (row[i] + _paeth(a, prior[i], c)) & 0xFF
    return row


def read_rgb(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows), each row width * 3 bytes of RGB."""
    data = path.read_bytes()
    assert data.startswith(SIGNATURE), f"{path} is not a PNG"
    chunks = list(_chunks(data))
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) == (8, RGB, 0), f"{path}: not 8-bit RGB, or interlaced"
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * BPP
    rows, prior = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        prior = bytes(_unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), prior))
        rows.append(prior)
    return width, height, rows


def brightness_grid(path: Path, columns: int = 12, lines: int = 10
                    ) -> tuple[tuple[int, int], list[float]]:
    """The image's size and the mean brightness (0 to 1) of each cell of a grid over it."""
    width, height, rows = read_rgb(path)
    sums = [0] * (columns * lines)
    for y, row in enumerate(rows):
        line = y * lines // height * columns
        for x in range(width):
            sums[line + x * columns // width] += sum(row[3 * x:3 * x + 3])
    cell = width * height / (columns * lines)
    return (width, height), [s / (cell * 3 * 255) for s in sums]


def matching_cells(a: Path, b: Path, tolerance: float = 0.2) -> float:
    """The share of grid cells whose brightness in a and b differ by at most tolerance.

    With the defaults a page shifted down by a wrapped line (20 px) still matches all
    cells, a blank page or one without the log box about two thirds of them.
    """
    size_a, grid_a = brightness_grid(a)
    size_b, grid_b = brightness_grid(b)
    assert size_a == size_b, f"{a} is {size_a[0]}x{size_a[1]}, {b} is {size_b[0]}x{size_b[1]}"
    return sum(abs(x - y) <= tolerance for x, y in zip(grid_a, grid_b)) / len(grid_a)
