"""The sketch pad's fill tool, on the target image (numpy and PIL, no widgets).

:func:`fill_region` turns the closed region around a pixel solid.  A hand
drawing made of overlapping outlines (a rectangle and a circle drawn over its
corner) splits the paper into many regions, some of them thin slivers between
two strokes that a click can hardly hit.  Left empty they cut a crack into
the filled shape that no program can match, so a fill also fills every
*sliver* near it (within :data:`SLIVER_REACH` pixels, across a stroke): an
enclosed region (not touching the canvas border) in which no pixel is more
than :data:`SLIVER_WIDTH` pixels from ink.  A real hole (a plate's bore) is
wider than that and stays empty.

:func:`fill_colour_region` is the fill on a colour (TinySVG) target: it paints the
region of one colour around a pixel in another colour.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

INK = 0.5
"""Target pixels at or above this are ink."""
SLIVER_WIDTH = 4
"""A region whose every pixel lies within this many pixels of ink is a sliver
(at the pad's 256×256: half a canvas unit, a quarter of a grid step)."""
SLIVER_REACH = 16
"""How near (pixels) to the filled region a sliver must come to be filled with it
(two canvas units at 256×256, so across a stroke of the default pen width)."""
_EDGE_GROWTH = 2
"""Pixels a fill grows by to cover the soft (anti-aliased) inner edge of strokes."""


def fill_region(target: np.ndarray, row: int, col: int) -> np.ndarray:
    """``target`` with the paper region around pixel (``row``, ``col``) and the slivers it
    touches inked; unchanged when the pixel is ink or off the image."""
    size_r, size_c = target.shape
    if not (0 <= row < size_r and 0 <= col < size_c) or target[row, col] >= INK:
        return target
    paper = target < INK
    region = _component(paper, row, col)
    for sliver in _slivers_touching(paper & ~region, region):
        region |= sliver
    region = _grow(region, _EDGE_GROWTH)
    return np.where(region, 1.0, target).astype(np.float32)


def _component(mask: np.ndarray, row: int, col: int) -> np.ndarray:
    """The 4-connected component of ``mask`` holding (``row``, ``col``)."""
    marks = Image.fromarray(mask.astype(np.uint8) * 255).copy()  # a copy PIL may write to
    ImageDraw.floodfill(marks, (col, row), 128)
    return np.asarray(marks) == 128


def _slivers_touching(paper: np.ndarray, region: np.ndarray) -> list[np.ndarray]:
    """Components of ``paper`` near ``region`` that are slivers (see the module docstring)."""
    core = _erode(paper, SLIVER_WIDTH + 1)  # pixels farther than SLIVER_WIDTH from ink
    seeds = paper & _grow(region, SLIVER_REACH)
    out = []
    while seeds.any():
        row, col = np.argwhere(seeds)[0]
        part = _component(paper, int(row), int(col))
        seeds &= ~part
        touches_border = part[0].any() or part[-1].any() or part[:, 0].any() or part[:, -1].any()
        if not touches_border and not (part & core).any():
            out.append(part)
    return out


def _grow(mask: np.ndarray, steps: int) -> np.ndarray:
    """``mask`` dilated by ``steps`` 4-neighbour steps."""
    for _ in range(steps):
        grown = mask.copy()
        grown[1:] |= mask[:-1]
        grown[:-1] |= mask[1:]
        grown[:, 1:] |= mask[:, :-1]
        grown[:, :-1] |= mask[:, 1:]
        mask = grown
    return mask


def _erode(mask: np.ndarray, steps: int) -> np.ndarray:
    """``mask`` eroded by ``steps`` steps, alternating 4- and 8-neighbour ones (off-image
    pixels count as inside)."""
    for step in range(steps):
        out = mask.copy()
        out[1:] &= mask[:-1]
        out[:-1] &= mask[1:]
        out[:, 1:] &= mask[:, :-1]
        out[:, :-1] &= mask[:, 1:]
        if step % 2:
            out[1:, 1:] &= mask[:-1, :-1]
            out[1:, :-1] &= mask[:-1, 1:]
            out[:-1, 1:] &= mask[1:, :-1]
            out[:-1, :-1] &= mask[1:, 1:]
        mask = out
    return mask


COLOUR_TOLERANCE = 0.2
"""Two colours of a colour target whose channels all differ by at most this much count
as one region's colour."""


def fill_colour_region(target: np.ndarray, row: int, col: int, colour: np.ndarray) -> np.ndarray:
    """A colour target (H, W, 3 floats in 0..1) with the region around pixel (``row``,
    ``col``) painted ``colour`` (RGB floats in 0..1); unchanged off the image.

    The region is the 4-connected pixels within :data:`COLOUR_TOLERANCE` of the clicked
    pixel's colour.  Pixels along its edge (on either side) are anti-aliased blends of
    that colour and the colour beyond; each becomes the same blend of ``colour`` and
    the colour beyond, so the fill leaves no fringe of the old colour and keeps the edge
    as smooth as it was (recolouring a shape the pad painted gives the shape painted in
    the new colour, to a level or two).
    """
    size_r, size_c = target.shape[:2]
    if not (0 <= row < size_r and 0 <= col < size_c):
        return target
    target = np.asarray(target, np.float32)
    seed = target[row, col].copy()
    same = np.abs(target - seed).max(axis=2) <= COLOUR_TOLERANCE
    region = _component(same, row, col)
    ring = _grow(region, 1) & ~region
    # the colour beyond each ring pixel, and beyond the ring for the region's edge pixels
    outer, outer_found = _farthest_neighbour(target, ~(region | ring), seed)
    inner, inner_found = _farthest_neighbour(outer, ring & outer_found, seed)
    other = np.where(ring[:, :, None], outer, inner)
    blended = (ring & outer_found) | (region & inner_found)
    colour = np.asarray(colour, np.float32)
    out = target.copy()
    out[region] = colour
    span = seed - other[blended]  # per pixel: from the colour beyond to the region's colour
    length = np.maximum((span * span).sum(axis=1), 1e-6)
    share = np.clip(((target[blended] - other[blended]) * span).sum(axis=1) / length, 0.0, 1.0)
    out[blended] = other[blended] + share[:, None] * (colour - other[blended])
    return out


def _farthest_neighbour(
    colours: np.ndarray, available: np.ndarray, seed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel, the colour (of ``colours``) of its 4-neighbour in ``available``
    farthest from ``seed``, and whether it has such a neighbour."""
    best = np.zeros_like(colours)
    best_distance = np.full(colours.shape[:2], -1.0, np.float32)
    rows, cols = colours.shape[:2]
    for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        # the neighbour at (r + dr, c + dc), for the pixels that have one
        here = (slice(max(0, -dr), rows - max(0, dr)), slice(max(0, -dc), cols - max(0, dc)))
        there = (slice(max(0, dr), rows + min(0, dr)), slice(max(0, dc), cols + min(0, dc)))
        neighbour = colours[there]
        distance = np.where(available[there], np.abs(neighbour - seed).max(axis=2), -1.0)
        better = distance > best_distance[here]
        best[here][better] = neighbour[better]
        best_distance[here][better] = distance[better]
    return best, best_distance >= 0
