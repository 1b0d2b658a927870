"""Loading target images and writing renders as PNG (Pillow).

A *target* is a ``float32`` array (size, size) in [0, 1] where 1 is inside
(ink).  Two conventions say which pixels are ink:

* ``ink="white"``: bright is inside.  The refset PNGs (255 = inside) and
  TreeSketch's own PNG renders use it.
* ``ink="black"``: dark is inside: sketches, black ink on white paper.

Colour images are converted to grey (ITU-R 601 luma).  Transparent pixels are
background: the ink value is multiplied by alpha, which is the same as
flattening onto white paper for ``ink="black"``.  Non-square images are
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

_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)
_WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


class ImageError(ValueError):
    """A file that cannot be used as a target image (unreadable, not an image, too big)."""


def load_target(
    source: str | os.PathLike | bytes, size: int = 128, ink: str = INK_WHITE
) -> np.ndarray:
    """Read an image file (or its bytes) as a target, ``float32`` (size, size), 1 = ink.

    Args:
        source: a path, or the encoded file content as ``bytes``.
        size: side of the returned array.
        ink: ``"white"`` (bright = inside) or ``"black"`` (dark = inside).

    Raises:
        ImageError: the file is missing, empty, too large, not an image, or
            truncated.
    """
    if ink not in (INK_WHITE, INK_BLACK):
        raise ValueError(f"ink must be {INK_WHITE!r} or {INK_BLACK!r}, got {ink!r}")
    data = source if isinstance(source, bytes | bytearray) else _read_file(source)
    name = "image data" if isinstance(source, bytes | bytearray) else str(source)
    if not data:
        raise ImageError(f"{name}: the file is empty")
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"{name}: {width}×{height} is over {MAX_PIXELS:,} pixels")
            im.draft(None, (size, size))
            im.load()
            plane = _ink_plane(ImageOps.exif_transpose(im), size, ink)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{name}: image too large ({exc})") from exc
    except _DECODE_ERRORS as exc:
        raise ImageError(f"{name}: not a readable image ({exc})") from exc
    return _square_resize(plane, size)


def _read_file(path: str | os.PathLike) -> bytes:
    p = Path(path)
    try:
        nbytes = p.stat().st_size
        if nbytes > MAX_FILE_BYTES:
            raise ImageError(f"{p}: file of {nbytes:,} bytes is too large")
        return p.read_bytes()
    except OSError as exc:
        raise ImageError(f"{p}: cannot read ({exc.strerror or exc})") from exc


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
