"""The tolerant TinySVG goal score: for pictures a person drew by hand (docs/TINYSVG.md).

A picture drawn with the pen and the fill is never pixel-exact: its edges wobble and sit
between the places a program's edges can reach (whole units, 6 px).  Under the goal score
(:mod:`inference.targets.svg_score`) the shape the person meant then stays below the 0.99
a solve needs, and a search chases the wobble with more and more small shapes.

The tolerant score forgives such disagreements near an edge, as CSG2D's does for drawn
masks (:mod:`inference.targets.drawn_score`).  The drawing is first read as palette colours
(:func:`~inference.targets.svg_score.palette_classes`: a pen's blended edge pixels become the
colour they are nearest to, or white paper).  A pixel where a render and that picture differ
is *forgiven* when

* the render's colour there appears in the picture within r pixels, and
* the picture's colour there appears in the render within r pixels

(r on each axis: a square neighbourhood).  The score is the goal score of the squared
differences of the pixels that are not forgiven.  A shape the drawing has and the render
leaves out is never forgiven: its colour is nowhere near in the render.  At r = 0 nothing is
forgiven, and the score is the goal score against the palette picture.
"""

from __future__ import annotations

import numpy as np

from inference.render.svg_scene import COLOURS, UNIT
from inference.targets.svg_score import PALETTE, palette_classes

DRAWING_VERDICT = "matches the drawing"
"""What a solved TinySVG hand drawing is called where people read it (the editor): its
shapes lie within the tolerance of the drawn ones, which is not yet the program meant."""
DRAWING_CAVEAT = (
    "Every shape lies within the edge tolerance of what you drew, so the drawing fixes sizes "
    "and places only to about that: check them. On simulated hand drawings, 28 of 32 such "
    "matches showed the drawn shapes when they were plain fills, but only 6 of 18 when "
    "shapes had outlines of another colour. Lock what is right and run again, or draw with "
    "the rectangle and ellipse tools for an exact match."
)
"""Why a hand drawing's match is not a guarantee, and what to do about it (one paragraph)."""

_RGB = np.array([COLOURS[name] for name in PALETTE], dtype=np.uint8)
_KEYS = (_RGB[:, 0].astype(np.int64) << 16) | (_RGB[:, 1].astype(np.int64) << 8) | _RGB[:, 2]
_ORDER = np.argsort(_KEYS)


def tolerance_pixels(tolerance: float) -> int:
    """A tolerance in TinySVG units (6 px) as whole pixels at 224×224 (0 stays 0)."""
    if tolerance < 0:
        raise ValueError(f"a tolerance cannot be negative, got {tolerance}")
    return round(tolerance * UNIT)


def colour_classes(image: np.ndarray) -> np.ndarray:
    """:func:`~inference.targets.svg_score.palette_classes` of a ``uint8`` RGB image, fast
    where a pixel is exactly a palette colour (most of a render)."""
    keys = (image[..., 0].astype(np.int64) << 16) | (image[..., 1].astype(np.int64) << 8)
    keys |= image[..., 2]
    at = np.searchsorted(_KEYS, keys, sorter=_ORDER).clip(max=len(_KEYS) - 1)
    classes = _ORDER[at]
    mixed = _KEYS[classes] != keys
    if mixed.any():
        classes[mixed] = palette_classes(image[mixed][None])[0]
    return classes


def near(mask: np.ndarray, radius: int) -> np.ndarray:
    """Pixels with a pixel of ``mask`` within ``radius`` on each axis (a box dilation)."""
    h, w = mask.shape
    sums = np.zeros((h + 1, w + 1), dtype=np.int32)
    sums[1:, 1:] = mask.cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)
    r0 = np.clip(np.arange(h) - radius, 0, h)
    r1 = np.clip(np.arange(h) + radius + 1, 0, h)
    c0 = np.clip(np.arange(w) - radius, 0, w)
    c1 = np.clip(np.arange(w) + radius + 1, 0, w)
    box = sums[r1][:, c1] - sums[r0][:, c1] - sums[r1][:, c0] + sums[r0][:, c0]
    return box > 0


class TolerantDifferences:
    """Per-pixel squared differences to one drawn picture, with the near-edge ones forgiven.

    Args:
        picture: the drawing, RGB ``uint8`` (H, W, 3).
        radius: r, in pixels (``tolerance_pixels``).

    Attributes:
        target: the drawing read as palette colours, RGB ``uint8``: what renders are
            compared with.
        radius: r.
    """

    def __init__(self, picture: np.ndarray, radius: int):
        if radius < 0:
            raise ValueError(f"a radius cannot be negative, got {radius}")
        self.radius = radius
        self.classes = colour_classes(picture)
        self.target = _RGB[self.classes]
        self._wide = self.target.astype(np.int64)
        self._near = np.stack([near(self.classes == k, radius) for k in range(len(PALETTE))])

    def d2(self, image: np.ndarray, rows: slice = slice(None), cols: slice = slice(None)):
        """The squared differences (whole numbers of ``uint8`` steps, summed over channels)
        of ``image`` over ``rows`` × ``cols``, zero where forgiven; ``int64`` (rows, cols)."""
        d = image[rows, cols].astype(np.int64) - self._wide[rows, cols]
        out = np.einsum("ijk,ijk->ij", d, d)
        ys, xs = np.nonzero(out)
        if not len(ys) or not self.radius:
            return out
        h, w = self.classes.shape
        y0, x0 = rows.indices(h)[0], cols.indices(w)[0]
        r = self.radius
        # the render's classes over the window grown by r: enough to look r around each pixel
        gy0, gx0 = max(0, y0 + ys.min() - r), max(0, x0 + xs.min() - r)
        gy1, gx1 = min(h, y0 + ys.max() + r + 1), min(w, x0 + xs.max() + r + 1)
        drawn = colour_classes(image[gy0:gy1, gx0:gx1])
        py, px = ys + y0, xs + x0  # canvas coordinates of the differing pixels
        theirs = drawn[py - gy0, px - gx0]
        keep = self._near[theirs, py, px]  # the render's colour is in the picture nearby
        wanted = self.classes[py, px]
        for k in np.unique(wanted[keep]):
            there = near(drawn == k, r)
            at = keep & (wanted == k)
            keep[at] = there[py[at] - gy0, px[at] - gx0]  # and the picture's in the render
        out[ys[keep], xs[keep]] = 0
        return out
