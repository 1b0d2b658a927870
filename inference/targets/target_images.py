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


def sketch_fill(sketch: np.ndarray) -> np.ndarray:
    """The region a sketch's strokes enclose, by even-odd nesting: ``bool`` (S, S).

    Ink ≥ :data:`SKETCH_INK`, thickened by one pixel (closing pen-lift gaps up to two pixels),
    forms walls.  Flood-filling from the free border pixels gives the outside (level 0); each
    next level is what is reached by crossing one more wall, and odd levels are inside, so a
    hole drawn inside a shape stays empty.  Walls next to an inside region count as inside.
    Approximate: a shape cut by the canvas border has no stroke there, so it counts as outside.
    """
    size = sketch.shape[0]
    r = rasterizer(size)
    full, rep = r.full, r.full // ((1 << size) - 1)
    not_first, not_last = full ^ rep, full ^ (rep << (size - 1))

    def grow(m: int) -> int:
        return (
            m | ((m << 1) & not_first) | ((m >> 1) & not_last) | ((m << size) & full) | (m >> size)
        )

    def flood(seeds: int, within: int) -> int:
        region, previous = seeds & within, -1
        while region != previous:
            previous, region = region, grow(region) & within
        return region

    walls = grow(r.pack(np.asarray(sketch) >= SKETCH_INK))
    free = full ^ walls
    row = (1 << size) - 1
    seeds = (rep | (rep << (size - 1)) | row | (row << (size * (size - 1)))) & free
    reached = filled = 0
    inside = False
    while seeds:
        region = flood(seeds, free)
        if inside:
            filled |= region | (grow(region) & walls)
        crossed = flood(grow(region) & walls, walls)
        reached |= region | crossed
        seeds = grow(crossed) & free & (full ^ reached)
        inside = not inside
    return r.unpack(filled)


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
