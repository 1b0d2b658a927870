"""Target images at the model's size: filled masks, sketch ink, and the region a sketch encloses.

A filled target is a ``bool`` mask; a sketch is float ink coverage in [0, 1] (1 = ink).
:func:`target_mask` and :func:`downsample` bring any image to the model's side S, and
:func:`sketch_fill` gives the region a sketch's strokes enclose (the token features of
:mod:`inference.model.token_features` are computed against it).
"""

from __future__ import annotations

import numpy as np

from inference.render.raster import rasterizer

IMAGE_SIZE = 64
"""The model's image side S."""
SKETCH_INK = 0.25
"""Sketch pixels with at least this ink coverage are strokes for :func:`sketch_fill`."""


RAY_DIRECTIONS: tuple[tuple[int, int], ...] = (
    (0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1),
)  # fmt: skip
"""The rays :func:`sketch_region` casts from every pixel: along the axes and the diagonals."""
RAY_MAJORITY = 5
"""A pixel is inside when at least this many of its rays cross the strokes an odd number of
times."""


def sketch_fill(sketch: np.ndarray) -> np.ndarray:
    """The region a sketch's strokes enclose, by even-odd nesting: ``bool`` (S, S).

    Ink ≥ :data:`SKETCH_INK`, thickened by one pixel (closing pen-lift gaps up to two pixels),
    forms walls.  Flood-filling from the free border pixels gives the outside (level 0); each
    next level is what is reached by crossing one more wall, and odd levels are inside, so a
    hole drawn inside a shape stays empty.  Walls next to an inside region count as inside.
    Approximate: a shape cut by the canvas border has no stroke there, so it counts as outside,
    and one pen-lift gap wider than two pixels lets the outside flood the whole shape.  The
    model's token features use this fill (at the model's size, as in training);
    :func:`sketch_region` is the search's.
    """
    fill = _Fill(sketch.shape[0])
    walls = fill.grow(fill.raster.pack(np.asarray(sketch) >= SKETCH_INK))
    inside = _even_odd(fill, walls)
    return fill.raster.unpack(inside | (fill.grow(inside) & walls))


def sketch_region(sketch: np.ndarray) -> np.ndarray:
    """The region a sketch's strokes enclose, by the even-odd rule on rays: ``bool`` (S, S).

    A person lifts the pen now and then, and at 128×128 one gap a few pixels wide in a
    circle's outline would let a flood fill (:func:`sketch_fill`) run from the outside into
    the whole disc.  A ray crosses the gap only when it happens to pass through it, so each
    pixel off the strokes casts eight rays (:data:`RAY_DIRECTIONS`) to the canvas border
    and counts the strokes each crosses; the pixel is inside when at least
    :data:`RAY_MAJORITY` of them cross an odd number (so a hole drawn inside a shape stays
    empty).  The strokes (ink ≥ :data:`SKETCH_INK`, thickened by one pixel so that no
    diagonal ray slips between two pixels of a thin line) then go to the side they are
    nearest to, so the region's edges run along the middle of the strokes.

    Approximate where a shape is cut by the canvas border: nothing is drawn there, so the
    rays leaving through the cut see no stroke, and a shape cut on several sides counts as
    outside.  On simulated sketches of CAD-like parts (all inside the canvas) the region
    overlaps the true shape by an IoU of 0.84 on average, where :func:`sketch_fill` gives
    0.36 at 128×128 (docs/BENCHMARKS.md).
    """
    ink = np.asarray(sketch) >= SKETCH_INK
    walls = _grow4(ink)
    odd = np.zeros(ink.shape, np.int8)
    for dy, dx in RAY_DIRECTIONS:
        odd += _crossings_ahead(walls, dy, dx) % 2
    inside = (odd >= RAY_MAJORITY) & ~walls
    outside = ~inside & ~walls
    left = walls
    while left.any():
        gained_in = _grow4(inside) & left
        gained_out = _grow4(outside) & left & ~gained_in
        if not (gained_in | gained_out).any():
            break
        inside, outside = inside | gained_in, outside | gained_out
        left = left & ~(gained_in | gained_out)
    return inside


def _shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``out[i, j] = a[i + dy, j + dx]``, zero where that is off the image."""
    out = np.zeros_like(a)
    h, w = a.shape
    out[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)] = a[
        max(0, dy) : h - max(0, -dy), max(0, dx) : w - max(0, -dx)
    ]
    return out


def _grow4(m: np.ndarray) -> np.ndarray:
    """``m`` dilated by one pixel to its 4-neighbours."""
    return m | _shifted(m, 0, 1) | _shifted(m, 0, -1) | _shifted(m, 1, 0) | _shifted(m, -1, 0)


def _crossings_ahead(walls: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """For every pixel, how many runs of ``walls`` the ray from it in direction (dy, dx)
    meets before the border (int16)."""
    last = (walls & ~_shifted(walls, dy, dx)).astype(np.int16)  # each run's far end
    ahead = np.zeros_like(last)
    for _ in range(max(walls.shape)):
        ahead = _shifted(last + ahead, dy, dx)
    return ahead


class _Fill:
    """Packed-mask helpers for the fills: 4-neighbour growth and flood fill."""

    def __init__(self, size: int):
        self.size, self.raster = size, rasterizer(size)
        full, rep = self.raster.full, self.raster.full // ((1 << size) - 1)
        self.full, self.rep = full, rep
        self.not_first, self.not_last = full ^ rep, full ^ (rep << (size - 1))

    def grow(self, m: int) -> int:
        s = self.size
        return (
            m
            | ((m << 1) & self.not_first)
            | ((m >> 1) & self.not_last)
            | ((m << s) & self.full)
            | (m >> s)
        )

    def flood(self, seeds: int, within: int) -> int:
        region, previous = seeds & within, -1
        while region != previous:
            previous, region = region, self.grow(region) & within
        return region


def _even_odd(fill: _Fill, walls: int) -> int:
    """The free (non-wall) regions at odd nesting levels: flood from the free border pixels
    (level 0), and each next level is what is reached by crossing one more wall."""
    size, full, rep = fill.size, fill.full, fill.rep
    free = full ^ walls
    row = (1 << size) - 1
    seeds = (rep | (rep << (size - 1)) | row | (row << (size * (size - 1)))) & free
    reached = inside = 0
    odd = False
    while seeds:
        region = fill.flood(seeds, free)
        if odd:
            inside |= region
        crossed = fill.flood(fill.grow(region) & walls, walls)
        reached |= region | crossed
        seeds = fill.grow(crossed) & free & (full ^ reached)
        odd = not odd
    return inside


def downsample(image: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Area-average a 2-D image (any shape) to float32 (size, size)."""
    image = np.asarray(image, dtype=np.float64)
    return (
        _area_weights(image.shape[0], size) @ image @ _area_weights(image.shape[1], size).T
    ).astype(np.float32)


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix: the fraction of output cell o covered by input cell i."""
    lo_in, hi_in = np.arange(n_in) / n_in, np.arange(1, n_in + 1) / n_in
    lo_out, hi_out = np.arange(n_out) / n_out, np.arange(1, n_out + 1) / n_out
    overlap = np.minimum(hi_out[:, None], hi_in) - np.maximum(lo_out[:, None], lo_in)
    return np.clip(overlap, 0, None) * n_out


def target_mask(image: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """A filled target image at the model size: area-average, then ≥ 0.5 is inside.

    ``image`` is ``bool``, 8-bit (0..255) or float in [0, 1], 1 = inside, any size.
    """
    image = np.asarray(image)
    if np.issubdtype(image.dtype, np.integer):
        image = image / 255.0
    return downsample(image, size) >= 0.5
