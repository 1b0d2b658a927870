"""Reading a large PNG a band of rows at a time, so it is never decoded whole.

Pillow decodes a PNG into one image: 200 MB for a 50-megapixel RGBA file, however small
the file.  :func:`png_bands` inflates the image data itself, a band at a time, and has
Pillow decode each band as a small PNG of its own, so only one band is in memory.

The filters of a PNG row may refer to the row above, so every band after the first is
decoded with the band above's last row in front of it, unfiltered: a row of filter type
0 (none).  Its unfiltered bytes come from decoding the band above as an image whose
pixels hold exactly the file's bytes, with the same bytes per pixel for the filters: grey
(1 byte), grey and alpha (2), RGB (3) or RGBA (4), 8 bits each.  Those bytes are then
read as the file's real pixel format, as Pillow reads it (bit depth, palette,
transparency).  Files this cannot stream (interlaced, or 6 or 8 bytes a pixel: 16-bit
RGB and RGBA) are left to Pillow.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable, Iterator

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MODES = {
    (1, 0): ("1", "1"), (2, 0): ("L", "L;2"), (4, 0): ("L", "L;4"), (8, 0): ("L", "L"),
    (16, 0): ("I;16", "I;16B"), (8, 2): ("RGB", "RGB"), (1, 3): ("P", "P;1"),
    (2, 3): ("P", "P;2"), (4, 3): ("P", "P;4"), (8, 3): ("P", "P"), (8, 4): ("LA", "LA"),
    (16, 4): ("RGBA", "LA;16B"), (8, 6): ("RGBA", "RGBA"),
}  # fmt: skip
"""Pillow's mode and raw mode for each (bit depth, colour type) streamed here."""
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_STAND_INS = {1: (0, "L"), 2: (4, "LA"), 3: (2, "RGB"), 4: (6, "RGBA")}
"""For each filter unit (bytes per pixel, at least 1): an 8-bit colour type and Pillow mode
whose pixels are the row's bytes."""


class PngBands:
    """A non-interlaced PNG read in bands (use :func:`png_bands`).

    Attributes:
        size: (width, height).
        mode: Pillow's mode for the file.
        exif: the content of the ``eXIf`` chunk, or ``None``.
    """

    def __init__(self, header: tuple, idat: list[memoryview], palette, info, exif):
        self.width, self.height, self._depth, self._colour = header
        self.size = (self.width, self.height)
        self.mode, self._rawmode = _MODES[(self._depth, self._colour)]
        bits = self._depth * _CHANNELS[self._colour]
        self._row_bytes = (self.width * bits + 7) // 8
        self._unit = max(1, bits // 8)
        self._idat, self._palette, self._info = idat, palette, info
        self.exif = exif

    def bands(self, heights: Iterable[int]) -> Iterator[Image.Image]:
        """The image in bands of ``heights`` rows (adding up to its height), top to bottom,
        each as Pillow would read those rows of the file.

        Raises:
            OSError: the image data is truncated or corrupt.
        """
        inflate = zlib.decompressobj()
        pieces = iter(self._idat)
        pending = bytearray()
        stride = self._row_bytes + 1
        above = b""  # the previous band's last row, unfiltered
        for n in heights:
            while len(pending) < n * stride:
                source = inflate.unconsumed_tail or next(pieces, None)
                if source is None:
                    raise OSError("image file is truncated")
                try:
                    pending += inflate.decompress(source, n * stride - len(pending))
                except zlib.error as e:
                    raise OSError(f"broken image data ({e})") from None
            with memoryview(pending) as filtered:
                band, above = self._band(above, filtered[: n * stride], n)
            del pending[: n * stride]
            if self._palette is not None:
                band.putpalette(self._palette, "RGB")
            if "transparency" in self._info:
                band.info["transparency"] = self._info["transparency"]
            yield band

    def _band(self, above: bytes, filtered, n: int) -> tuple[Image.Image, bytes]:
        """The image of ``n`` filtered rows that follow the unfiltered row ``above`` (``b""``
        for the first band), and the unfiltered bytes of its last row."""
        colour, mode = _STAND_INS[self._unit]
        first = 1 if above else 0
        width = self._row_bytes // self._unit
        png = _png((width, n + first, 8, colour), [b"\x00" + above if above else b"", filtered])
        with Image.open(io.BytesIO(png)) as stand_in:
            if stand_in.mode != mode:
                raise OSError("unexpected stand-in image")
            stand_in.load()
            last = stand_in.crop((0, n + first - 1, width, n + first)).tobytes()
            if (self.mode, self._rawmode) == (mode, mode):  # 8-bit grey, RGB and alpha
                return stand_in.crop((0, first, width, n + first)), last
            raw = memoryview(stand_in.tobytes())[first * self._row_bytes :]
        return Image.frombytes(self.mode, (self.width, n), raw, "raw", self._rawmode), last


def png_bands(data: bytes, info: dict | None = None) -> PngBands | None:
    """``data`` as a :class:`PngBands`, or ``None`` when it is not a PNG this can stream
    (not a PNG, interlaced, 16-bit RGB or RGBA, or chunks out of order); ``info`` is what
    Pillow read from its header (its ``transparency`` is kept)."""
    if not data.startswith(SIGNATURE):
        return None
    header, idat, palette, exif = None, [], None, None
    view, at = memoryview(data), len(SIGNATURE)
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", view[at : at + 8])
        body = view[at + 8 : at + 8 + length]
        if len(body) != length:
            return None
        if kind == b"IHDR" and length == 13:
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if interlace or (depth, colour) not in _MODES:
                return None
            header = (width, height, depth, colour)
        elif kind == b"PLTE":
            palette = bytes(body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"eXIf":
            exif = bytes(body)
        elif kind == b"IEND":
            break
        at += 12 + length
    if header is None or not idat:
        return None
    return PngBands(header, idat, palette, dict(info or {}), exif)


def _png(header: tuple[int, int, int, int], rows: list) -> bytes:
    """A PNG file of the given (width, height, bit depth, colour type) whose image data is
    the filtered ``rows`` (byte strings, joined), stored uncompressed."""
    width, height, depth, colour = header
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    deflate = zlib.compressobj(0)
    idat = b"".join([*(deflate.compress(part) for part in rows), deflate.flush()])
    parts = [SIGNATURE, *_chunk(b"IHDR", ihdr), *_chunk(b"IDAT", idat), *_chunk(b"IEND", b"")]
    return b"".join(parts)


def _chunk(kind: bytes, body: bytes) -> list[bytes]:
    """A PNG chunk, as the parts to join."""
    crc = zlib.crc32(body, zlib.crc32(kind))
    return [struct.pack(">I", len(body)), kind, body, struct.pack(">I", crc)]
