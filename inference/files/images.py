"""Loading target images and writing renders as PNG (Pillow).

A *target* is a ``float32`` array (size, size) in [0, 1] where 1 is inside
(ink).  Three conventions say which pixels are ink:

* ``ink="auto"``: a drawing is read the way it was drawn.  The colour that
  fills most of the image's border is the paper (a transparent border is
  transparent paper); everything far from the paper's colour is ink, whatever
  the two colours are (dark on light, light on dark, blue ink on yellow
  paper).  An image of one colour has no ink (an all-zero target).  See
  :func:`paper_colour`.
* ``ink="white"``: bright is inside.  The refset PNGs (255 = inside) and
  TreeSketch's own PNG renders use it.
* ``ink="black"``: dark is inside: sketches, black ink on white paper.

For ``"white"`` and ``"black"``, colour images are converted to grey (ITU-R
601 luma) and transparent pixels are background: the ink value is multiplied
by alpha, which is the same as flattening onto white paper for
``ink="black"``.  Non-square images are
centred on a square of background (aspect ratio kept), then resized with a
Lanczos filter.  EXIF orientation is applied.

**Memory**: images over :data:`MAX_PIXELS` or :data:`MAX_SIDE` are refused from their
header, before decoding.  Large ones are box-filtered down while they are read, a band
of rows at a time (:data:`BAND_BYTES`), and never copied whole: a PNG is read from the
file band by band (:mod:`inference.files.png_bands`), a JPEG is decoded at a reduced scale, and
any other image is decoded whole only when that and the file take at most
:data:`MAX_DECODE_BYTES` (4 bytes a pixel for colour), so reading any accepted image
costs at most about 200 MB (a 50-megapixel RGBA PNG: about 25 MB).
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from inference.files.png_bands import png_bands

MAX_PIXELS = 50_000_000
"""Largest image (width × height) :func:`load_target` accepts."""
MAX_SIDE = 16_384
"""Longest side :func:`load_target` accepts (so a band of rows stays small)."""
MAX_FILE_BYTES = 160 * 2**20
"""Largest file :func:`load_target` reads."""
MAX_DECODE_BYTES = 160 * 2**20
"""Most memory the file and its whole decoded image may take together, for an image that
is not read in bands (a PNG) or at a reduced scale (a JPEG)."""
_DECODE_COPIES = {"WEBP": 4}
"""Formats whose decoder holds more than the image while it decodes: how many images'
memory it takes at its peak (measured; 1 for the others)."""

INK_WHITE = "white"
INK_BLACK = "black"
INK_AUTO = "auto"
INKS = (INK_AUTO, INK_WHITE, INK_BLACK)
"""The ``ink`` conventions :func:`load_target` understands."""
BORDER_FRACTION = 0.02
"""Width of the border ring that decides the paper colour, as a fraction of the shorter side."""
MIN_CONTRAST = 0.1
"""With ``ink="auto"``, an image whose colours all lie closer than this to the paper's (RGB
distance, 1 = black to white) has no ink."""

BAND_BYTES = 4 * 2**20
"""About the most memory one band of a large image takes while it is converted and reduced."""
ORIENTATION_TAG = 0x0112
"""The EXIF orientation tag."""
_ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""How ``ImageOps.exif_transpose`` turns an image of each EXIF orientation upright."""
_FLIPS = {2: (True, False), 3: (True, True), 4: (False, True), 6: (False, True),
          7: (True, True), 8: (True, False)}  # fmt: skip
"""For each EXIF orientation: whether the upright image's left and top are the file's
right and bottom (its top-left corner is another corner of the file)."""

_DECODE_ERRORS = (
    UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
    TypeError, IndexError, KeyError, ZeroDivisionError, struct.error,
)  # fmt: skip
"""What Pillow raises on a damaged file (a TIFF whose strip offsets are floats: TypeError)."""
_WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


class ImageError(ValueError):
    """A file that cannot be used as a target image (unreadable, not an image, too big).

    ``str(error)`` is one line naming the file; :attr:`reason` is the same
    without the file name, in words for a person (no Python internals), and
    :attr:`detail` the underlying library message where there was one.
    """

    def __init__(self, message: str, reason: str | None = None, detail: str = ""):
        super().__init__(message)
        self.reason = reason or message
        self.detail = detail


NOT_AN_IMAGE = "not an image TreeSketch can read (PNG, JPEG, BMP…)"


def load_target(
    source: str | os.PathLike | bytes, size: int = 128, ink: str = INK_WHITE
) -> np.ndarray:
    """Read an image file (or its bytes) as a target, ``float32`` (size, size), 1 = ink.

    Args:
        source: a path, or the encoded file content as ``bytes``.
        size: side of the returned array.
        ink: ``"auto"`` (far from the border's colour = inside), ``"white"``
            (bright = inside) or ``"black"`` (dark = inside).

    Raises:
        ImageError: the file is missing, empty, too large, not an image, or
            truncated.
    """
    if ink not in INKS:
        raise ValueError(f"ink must be one of {', '.join(map(repr, INKS))}, got {ink!r}")
    data = source if isinstance(source, bytes | bytearray) else _read_file(source)
    name = "image data" if isinstance(source, bytes | bytearray) else str(source)
    _check_file(name, data)
    with _decoding(name), Image.open(io.BytesIO(data)) as im:
        width, height = im.size
        _check_dimensions(name, width, height)
        im.draft(None, (size, size))
        pixels = _Pixels(im, data, size)
        if not pixels.banded and pixels.decoded_bytes() + len(data) > MAX_DECODE_BYTES:
            reason = (
                f"the image is too large to decode at once ({width}×{height} {im.format}); "
                "save it smaller, or as a JPEG or a PNG (8-bit, not interlaced)"
            )
            raise ImageError(f"{name}: {reason}", reason)
        pixels.load()
        plane = _auto_plane(pixels, size) if ink == INK_AUTO else _ink_plane(pixels, size, ink)
        plane = _upright(plane, pixels.orientation())
    return _square_resize(plane, size)


def load_colour_image(path: str | os.PathLike, size: int) -> np.ndarray:
    """Read an image file as RGB ``uint8`` (size, size, 3), area-reduced to that size (a
    TinySVG target; transparent pixels count as white paper).

    Raises:
        ImageError: the file is missing, empty, too large, not an image, or truncated.
    """
    data = _read_file(path)
    name = str(path)
    _check_file(name, data)
    with _decoding(name), Image.open(io.BytesIO(data)) as im:
        width, height = im.size
        _check_dimensions(name, width, height)
        if 4 * width * height + len(data) > MAX_DECODE_BYTES:
            reason = f"the image is too large to decode at once ({width}×{height})"
            raise ImageError(f"{name}: {reason}", reason)
        rgba = im.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(paper, rgba).convert("RGB")
        if rgb.size != (size, size):
            rgb = rgb.resize((size, size), Image.Resampling.BOX)
        return np.asarray(rgb, dtype=np.uint8).copy()


@contextlib.contextmanager
def _decoding(name: str) -> Iterator[None]:
    """Turn what Pillow raises while opening or decoding ``name`` into one
    :class:`ImageError` (our own pass through as they are)."""
    try:
        yield
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        reason = "the image is too large"
        raise ImageError(f"{name}: {reason}", reason, str(exc)) from exc
    except _DECODE_ERRORS as exc:
        raise ImageError(f"{name}: {NOT_AN_IMAGE}", NOT_AN_IMAGE, str(exc)) from exc


def _check_file(name: str, data: bytes) -> None:
    """Refuse an empty or too large file (:data:`MAX_FILE_BYTES`)."""
    if not data:
        raise ImageError(f"{name}: the file is empty", "the file is empty")
    if len(data) > MAX_FILE_BYTES:
        reason = f"the file is too large ({len(data):,} bytes)"
        raise ImageError(f"{name}: {reason}", reason)


def _check_dimensions(name: str, width: int, height: int) -> None:
    """Refuse an image over :data:`MAX_PIXELS` pixels or :data:`MAX_SIDE` pixels a side."""
    if width * height > MAX_PIXELS:
        reason = f"the image is too large ({width}×{height}, over {MAX_PIXELS:,} pixels)"
        raise ImageError(f"{name}: {reason}", reason)
    if max(width, height) > MAX_SIDE:
        reason = f"the image is too large ({width}×{height}, over {MAX_SIDE:,} pixels a side)"
        raise ImageError(f"{name}: {reason}", reason)


def _read_file(path: str | os.PathLike) -> bytes:
    p = Path(path)
    try:
        nbytes = p.stat().st_size
        if nbytes > MAX_FILE_BYTES:
            reason = f"the file is too large ({nbytes:,} bytes)"
            raise ImageError(f"{p}: {reason}", reason)
        return p.read_bytes()
    except ValueError as exc:  # a NUL in the path
        raise ImageError(f"{p!r}: not a usable file name", "not a usable file name") from exc
    except OSError as exc:
        reason = f"cannot read the file ({exc.strerror or exc})"
        raise ImageError(f"{p}: {reason}", reason) from exc


class _Pixels:
    """The pixels of an opened image, a band of rows at a time (see :func:`_reduce`).

    A PNG of more than ``2 * size`` pixels a side is read from the file band by band
    (:mod:`inference.files.png_bands`); any other image is decoded whole (a JPEG at a reduced
    size: ``Image.draft``) and cut into bands.
    """

    def __init__(self, im: Image.Image, data: bytes, size: int):
        large = max(im.size) >= 4 * size  # reduced by 2 or more (_reduce)
        self._png = png_bands(data, im.info) if large and im.format == "PNG" else None
        self.banded = self._png is not None
        """True when the image is read from the file band by band, never whole."""
        self.im = im
        self.mode = im.mode if self._png is None else self._png.mode
        self.size = im.size
        self.info = im.info

    def decoded_bytes(self) -> int:
        """The memory decoding the whole image takes: Pillow's 1, 2 or 4 bytes a pixel,
        more for a format whose decoder keeps copies (:data:`_DECODE_COPIES`)."""
        mode = self.im.mode
        depth = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
        copies = _DECODE_COPIES.get(str(self.im.format), 1)
        return self.size[0] * self.size[1] * depth * copies

    def load(self) -> None:
        """Decode an image that is not read in bands (call before anything else)."""
        if self._png is None:
            self.im.load()
            self.mode, self.size = self.im.mode, self.im.size

    def whole(self) -> Image.Image:
        """The whole decoded image (only for images that are not read in bands)."""
        if self._png is not None:
            raise ValueError("a large PNG is read in bands only")
        return self.im

    def bands(self, heights: list[int]) -> Iterator[Image.Image]:
        """The image in bands of ``heights`` rows (adding up to its height), top to bottom."""
        if self._png is not None:
            yield from self._png.bands(heights)
            return
        top = 0
        for n in heights:
            yield self.im.crop((0, top, self.size[0], top + n))
            top += n

    def orientation(self) -> int | None:
        """The EXIF orientation, if any (as ``ImageOps.exif_transpose`` reads it)."""
        if self._png is None:
            found = self.im.getexif().get(ORIENTATION_TAG)
        else:  # Pillow's own reading, without the PNG plugin's decoding of the whole image
            if self._png.exif is not None and "exif" not in self.im.info:
                self.im.info["exif"] = b"Exif\x00\x00" + self._png.exif
            found = Image.Image.getexif(self.im).get(ORIENTATION_TAG)
        return found if isinstance(found, int) else None


def _upright(plane: np.ndarray, orientation) -> np.ndarray:
    """``plane`` turned as the EXIF ``orientation`` says (as ``ImageOps.exif_transpose``);
    done on the reduced plane, so a large image is never copied at full size."""
    method = _ORIENTATIONS.get(orientation) if isinstance(orientation, int) else None
    if method is None:
        return plane
    return np.asarray(Image.fromarray(plane).transpose(method), dtype=np.float32)


def _ink_plane(im: _Pixels, size: int, ink: str) -> np.ndarray:
    """Ink coverage in [0, 1] at (roughly) the working resolution, float32 (h, w)."""
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    if im.mode in _WIDE_MODES:
        grey = np.asarray(_reduce(im, size, "F"), dtype=np.float32)
        grey = np.nan_to_num(grey, nan=0.0, posinf=65535.0, neginf=0.0)  # float TIFF: NaN, inf
        top = grey.max(initial=0.0)
        grey = grey / (1.0 if top <= 1.0 else 255.0 if top <= 255.0 else 65535.0)
        alpha = None
    elif has_alpha:
        la = np.asarray(_reduce(im, size, "RGBA", "LA"), dtype=np.float32)
        grey, alpha = la[..., 0] / 255.0, la[..., 1] / 255.0
    else:
        grey = np.asarray(_reduce(im, size, "L"), dtype=np.float32) / 255.0
        alpha = None
    plane = np.clip(grey if ink == INK_WHITE else 1.0 - grey, 0.0, 1.0)
    return plane if alpha is None else plane * alpha


def _auto_plane(im: _Pixels, size: int) -> np.ndarray:
    """Ink coverage for ``ink="auto"``: distance from the paper colour, float32 (h, w)."""
    if im.mode in _WIDE_MODES:
        grey = _ink_plane(im, size, INK_WHITE)  # brightness in [0, 1]
        rgba = np.concatenate(
            [np.repeat(grey[..., None], 3, axis=2), np.ones_like(grey)[..., None]], 2
        )
    else:
        rgba = np.asarray(_reduce(im, size, "RGBA"), dtype=np.float32) / 255.0
    return ink_from_paper(rgba)


def paper_colour(rgba: np.ndarray) -> np.ndarray | None:
    """The paper of an RGBA image (float, (h, w, 4) in [0, 1]): the colour filling most of its
    border ring (:data:`BORDER_FRACTION` wide), as RGB; ``None`` for transparent paper.

    Border colours are binned coarsely (transparent pixels share one bin); the paper is the
    median of the border pixels near the most common bin's mean, so a drawing that touches
    the border, noise and JPEG ringing do not move it.
    """
    h, w = rgba.shape[:2]
    b = max(1, round(min(h, w) * BORDER_FRACTION))
    ring = np.concatenate(
        [
            rgba[:b].reshape(-1, 4),
            rgba[h - b :].reshape(-1, 4),
            rgba[b : h - b, :b].reshape(-1, 4),
            rgba[b : h - b, w - b :].reshape(-1, 4),
        ]
    )
    opaque = ring[:, 3] >= 0.5
    levels = np.minimum((ring[:, :3] * 8).astype(np.int64), 7)
    bins = np.where(opaque, levels[:, 0] * 64 + levels[:, 1] * 8 + levels[:, 2], 512)
    counts = np.bincount(bins, minlength=513)
    mode = int(counts.argmax())
    if mode == 512:
        return None
    colours = ring[opaque, :3]
    centre = colours[bins[opaque] == mode].mean(axis=0)
    near = colours[np.linalg.norm(colours - centre, axis=1) <= 0.2]
    return np.median(near, axis=0).astype(np.float32)


def ink_from_paper(rgba: np.ndarray) -> np.ndarray:
    """Ink coverage in [0, 1] of an RGBA image (float, (h, w, 4) in [0, 1]) drawn on the
    paper :func:`paper_colour` finds.

    On transparent paper the ink is what is opaque (alpha).  Otherwise transparent pixels
    are flattened onto the paper and a pixel's ink is its RGB distance from the paper,
    relative to the typical ink's distance (so faint pencil and black pen both read as
    full ink, and an anti-aliased edge as half).  An image of one colour (every pixel within
    :data:`MIN_CONTRAST` of the paper) has no ink.
    """
    alpha = rgba[..., 3]
    paper = paper_colour(rgba)
    if paper is None:
        return np.clip(alpha, 0.0, 1.0).astype(np.float32)
    rgb = rgba[..., :3] * alpha[..., None] + paper * (1.0 - alpha[..., None])
    dist = np.linalg.norm(rgb - paper, axis=2) / np.sqrt(3.0)
    top = float(np.percentile(dist, 99.9))
    if top < MIN_CONTRAST:
        return np.zeros(dist.shape, np.float32)
    contrast = float(np.median(dist[dist >= 0.5 * top]))
    return np.clip(dist / max(contrast, MIN_CONTRAST), 0.0, 1.0).astype(np.float32)


def solid_fraction(image: np.ndarray, radius: int | None = None) -> float:
    """The fraction of a target's ink (``image >= 0.5``) that lies deep inside solid ink:
    every pixel within ``radius`` (default: 1/32 of the side, one canvas unit) is ink too.

    Pen strokes up to ``2 * radius`` pixels wide have no such pixels (0.0); a filled shape
    much larger than that has most of its ink inside (towards 1.0).  0.0 without ink.
    """
    mask = np.asarray(image) >= 0.5
    n = int(mask.sum())
    if n == 0:
        return 0.0
    r = max(1, mask.shape[0] // 32) if radius is None else radius
    padded = np.pad(mask, r + 1).astype(np.int32)
    table = padded.cumsum(0).cumsum(1)
    k = 2 * r + 1
    window = table[k:, k:] - table[:-k, k:] - table[k:, :-k] + table[:-k, :-k]
    solid = window[: mask.shape[0], : mask.shape[1]] == k * k
    return float(solid.sum()) / n


def looks_filled(image: np.ndarray) -> bool:
    """True when a target is a filled shape rather than thin strokes (an outline): over 1 %
    of it is ink and over half of that ink is solid (:func:`solid_fraction`)."""
    return float(np.mean(np.asarray(image) >= 0.5)) > 0.01 and solid_fraction(image) > 0.5


def _reduce(im: _Pixels, size: int, *modes: str) -> Image.Image:
    """``im`` converted to each of ``modes`` in turn and box-filtered down to about twice
    ``size`` on its longer side.

    A large image is converted and reduced a band of rows at a time (:data:`BAND_BYTES`),
    each band a whole number of boxes high, so the result is the whole image's but no
    full-size copy is ever made (a 50-megapixel RGBA copy is 200 MB).  The boxes start at
    the corner that is the top left once the image is turned upright (its EXIF
    orientation), as if it had been turned before it was reduced.
    """
    factor = max(im.size) // (2 * size)

    def convert(part: Image.Image) -> Image.Image:
        for mode in modes:
            part = part.convert(mode) if part.mode != mode else part
        return part

    if factor < 2:
        return convert(im.whole())
    width, height = im.size
    flip_x, flip_y = _FLIPS.get(im.orientation(), (False, False))
    lead_x = width % factor if flip_x else 0  # a narrower first column of boxes
    lead_y = height % factor if flip_y else 0
    rows = max(1, BAND_BYTES // (4 * width * factor)) * factor
    rest = height - lead_y
    heights = [lead_y] * bool(lead_y) + [rows] * (rest // rows) + [rest % rows] * bool(rest % rows)
    columns = [(0, lead_x), (lead_x, width)] if lead_x else [(0, width)]
    out, y = None, 0
    for n, part in zip(heights, im.bands(heights), strict=True):
        band = convert(part)
        pieces = [band.reduce(factor, (left, 0, right, n)) for left, right in columns]
        if out is None:
            rows_out = bool(lead_y) + -(-rest // factor)
            out = Image.new(band.mode, (sum(p.width for p in pieces), rows_out))
        x = 0
        for piece in pieces:
            out.paste(piece, (x, y))
            x += piece.width
        y += pieces[0].height
    return out


def _square_resize(plane: np.ndarray, size: int) -> np.ndarray:
    """Centre ``plane`` on a square of zeros and resize it to (size, size)."""
    h, w = plane.shape
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    square = np.zeros((side, side), dtype=np.float32)
    square[top : top + h, left : left + w] = plane
    if side != size:
        img = Image.fromarray(square)
        square = np.asarray(img.resize((size, size), Image.Resampling.LANCZOS))
    return np.clip(square, 0.0, 1.0).astype(np.float32)


def png_bytes(array: np.ndarray) -> bytes:
    """Encode an image as an 8-bit grey PNG, 255 = inside.

    ``bool`` arrays give 0/255; floating arrays are in [0, 1] (clipped and
    rounded); integer arrays must already be 0..255.
    """
    arr = np.asarray(array)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"expected a non-empty 2-D image, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        grey = arr.astype(np.uint8) * 255
    elif np.issubdtype(arr.dtype, np.floating):
        grey = np.rint(np.clip(arr, 0.0, 1.0) * 255).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.integer):
        if arr.min() < 0 or arr.max() > 255:
            raise ValueError("integer images must be in 0..255")
        grey = arr.astype(np.uint8)
    else:
        raise TypeError(f"cannot encode an image of dtype {arr.dtype}")
    buf = io.BytesIO()
    Image.fromarray(grey).save(buf, format="PNG")
    return buf.getvalue()


def save_png(array: np.ndarray, path: str | os.PathLike) -> None:
    """Write :func:`png_bytes` of ``array`` to ``path`` (not atomic)."""
    Path(path).write_bytes(png_bytes(array))
