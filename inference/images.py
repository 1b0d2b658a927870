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
Lanczos filter.  Images over :data:`MAX_PIXELS` are refused from their header,
before decoding; large ones are first reduced by box filtering, so memory
stays bounded.  EXIF orientation is applied.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 50_000_000
"""Largest image (width × height) :func:`load_target` accepts."""
MAX_FILE_BYTES = 256 * 2**20
"""Largest file :func:`load_target` reads."""

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

_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)
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
    if not data:
        raise ImageError(f"{name}: the file is empty", "the file is empty")
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            if width * height > MAX_PIXELS:
                reason = f"the image is too large ({width}×{height}, over {MAX_PIXELS:,} pixels)"
                raise ImageError(f"{name}: {reason}", reason)
            im.draft(None, (size, size))
            im.load()
            im = ImageOps.exif_transpose(im)
            plane = _auto_plane(im, size) if ink == INK_AUTO else _ink_plane(im, size, ink)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        reason = "the image is too large"
        raise ImageError(f"{name}: {reason}", reason, str(exc)) from exc
    except _DECODE_ERRORS as exc:
        raise ImageError(f"{name}: {NOT_AN_IMAGE}", NOT_AN_IMAGE, str(exc)) from exc
    return _square_resize(plane, size)


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


def _ink_plane(im: Image.Image, size: int, ink: str) -> np.ndarray:
    """Ink coverage in [0, 1] at (roughly) the working resolution, float32 (h, w)."""
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    if im.mode in _WIDE_MODES:
        im = im.convert("F") if im.mode != "F" else im
        grey = np.asarray(_reduce(im, size), dtype=np.float32)
        top = grey.max(initial=0.0)
        grey = grey / (1.0 if top <= 1.0 else 255.0 if top <= 255.0 else 65535.0)
        alpha = None
    elif has_alpha:
        la = np.asarray(_reduce(im.convert("RGBA").convert("LA"), size), dtype=np.float32)
        grey, alpha = la[..., 0] / 255.0, la[..., 1] / 255.0
    else:
        grey = np.asarray(_reduce(im.convert("L"), size), dtype=np.float32) / 255.0
        alpha = None
    plane = np.clip(grey if ink == INK_WHITE else 1.0 - grey, 0.0, 1.0)
    return plane if alpha is None else plane * alpha


def _auto_plane(im: Image.Image, size: int) -> np.ndarray:
    """Ink coverage for ``ink="auto"``: distance from the paper colour, float32 (h, w)."""
    if im.mode in _WIDE_MODES:
        grey = _ink_plane(im, size, INK_WHITE)  # brightness in [0, 1]
        rgba = np.concatenate(
            [np.repeat(grey[..., None], 3, axis=2), np.ones_like(grey)[..., None]], 2
        )
    else:
        rgba = np.asarray(_reduce(im.convert("RGBA"), size), dtype=np.float32) / 255.0
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


def _reduce(im: Image.Image, size: int) -> Image.Image:
    """Box-filter a large image down to about twice ``size`` on its longer side."""
    factor = max(im.size) // (2 * size)
    return im.reduce(factor) if factor >= 2 else im


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
