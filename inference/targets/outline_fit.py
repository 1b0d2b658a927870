"""The outline fit: how well a program's outline matches a sketch's strokes.

A sketch (DESIGN.md §2, CSG2D-Sketch) is black ink on white paper showing the
*outline* of a shape, so the filled-mask goal score does not apply.  The fit
used instead is a thresholded, symmetric chamfer distance, computed on
bit-packed masks (:mod:`inference.render.raster`) so that scoring a candidate costs
a few big-integer operations, like a filled score:

* **ink** I: sketch pixels with ink coverage ≥ :data:`INK_LEVEL`;
* **outline** O: the program's boundary pixels, the pixels of its mask with a
  4-neighbour outside the mask.  The canvas border does not count as
  outside, because a sketch does not draw the edge where a shape is clipped
  by the canvas (see :mod:`inference.targets.sketch`).
* For a tolerance t pixels, ``precision(t)`` is the fraction of O within t of
  some ink pixel and ``recall(t)`` the fraction of I within t of O (distance
  by octagonal dilation, a close approximation of Euclidean distance).
  ``F(t)`` is their harmonic mean.
* **fit** = the mean of ``F(t)`` over :data:`TOLERANCES` (1 and 2 canvas
  units, 4 and 8 pixels at 128×128).  Two tolerances make the fit rise more
  smoothly as an outline closes in on the strokes.

The fit is 1.0 when every outline pixel lies within 4 pixels of ink and every
ink pixel within 4 pixels of the outline, and 0.0 for an empty outline.  A
program *solves* a sketch when ``fit > SOLVE_FIT``.  Calibration on simulated
sketches (:func:`inference.targets.sketch.simulate_sketch`, seed 0) of the 128
refset-dev programs: the true program passes on 95 % of them (median fit
0.998); moving one random primitive's x by one value step (2 units) still
passes on 59 % (often a barely visible primitive), by two steps on 48 %.  A
sketch's jitter (σ 0.5 units) blurs single value steps, so a sketch solve is
looser than a filled one.  Scoring one mask costs about 0.1 ms.

**Known limit: inside and outside.**  A shape and its complement have the same
outline (up to the canvas border, which is never drawn), so the fit cannot
tell them apart, and a search may "solve" a sketch with the complement.  On
simulated sketches of the first 32 refset-dev problems, a good part of the
solves of the no-learning searches were complements (see docs and
``inference.cli.bench``, which reports the solves that are the true shape).  The
even-odd fill of the strokes (:func:`inference.targets.target_images.sketch_fill`) would
decide it for closed outlines, but at 128×128 it leaks through pen-lift gaps
and through the undrawn border edges of clipped shapes, so it is not used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference.render.raster import rasterizer

INK_LEVEL = 0.25
"""Sketch pixels with at least this ink coverage are strokes."""
TOLERANCES: tuple[float, ...] = (1.0, 2.0)
"""Distance tolerances of the fit, in canvas units (1 unit = size/32 pixels)."""
SOLVE_FIT = 0.93
"""A program solves a sketch when its fit is strictly above this."""
SKETCH_VERDICT = "matches the sketch"
"""What a solved sketch is called where people read it (the editor, ``synthesize``): its
outline lies within about a unit of the strokes, which is not yet the intended program."""
SKETCH_CAVEAT = (
    "The outline lies within about a unit of every stroke. A freehand sketch fixes sizes "
    "and positions only to about a unit, so check them: on simulated sketches of parts, "
    "about 2 in 3 such results were exactly the program drawn. "
    "Lock what is right and run again, or draw the part filled for a closer fit."
)
"""Why a sketch's match is not a guarantee, and what to do about it (one paragraph)."""


class MaskBits:
    """Neighbourhood operations on packed S×S masks (bit i·S + j is pixel (i, j))."""

    def __init__(self, size: int):
        r = rasterizer(size)
        self.size, self.full = size, r.full
        rep = r.full // ((1 << size) - 1)  # column 0 of every row
        self.first_col, self.last_col = rep, rep << (size - 1)
        row = (1 << size) - 1
        self.first_row, self.last_row = row, row << (size * (size - 1))
        self.not_first, self.not_last = r.full ^ rep, r.full ^ self.last_col

    def outline(self, m: int) -> int:
        """Pixels of ``m`` with a 4-neighbour outside ``m`` (off-canvas counts as inside)."""
        s = self.size
        left = ((m << 1) & self.not_first) | self.first_col
        right = ((m >> 1) & self.not_last) | self.last_col
        up = ((m << s) & self.full) | self.first_row
        down = (m >> s) | self.last_row
        return m & ~(left & right & up & down)

    def grow(self, m: int, diagonal: bool) -> int:
        """Dilate by one pixel: 4-neighbours, or all 8 with ``diagonal``."""
        s = self.size
        if diagonal:
            m |= ((m << 1) & self.not_first) | ((m >> 1) & self.not_last)
            return m | ((m << s) & self.full) | (m >> s)
        return (
            m
            | ((m << 1) & self.not_first)
            | ((m >> 1) & self.not_last)
            | ((m << s) & self.full)
            | (m >> s)
        )

    def dilations(self, m: int, radii: Sequence[int]) -> list[int]:
        """``m`` dilated by each radius (ascending, pixels), alternating 4- and 8-steps."""
        out, done = [], 0
        for radius in radii:
            while done < radius:
                m = self.grow(m, diagonal=done % 2 == 1)
                done += 1
            out.append(m)
        return out


class OutlineFit:
    """Scores program masks against one sketch (see the module docstring).

    Args:
        ink: the sketch, float (S, S) ink coverage in [0, 1] (1 = ink), or ``bool``.
        tolerances: distance tolerances in canvas units.
    """

    def __init__(self, ink: np.ndarray, tolerances: Sequence[float] = TOLERANCES):
        ink = np.asarray(ink)
        if ink.ndim != 2 or ink.shape[0] != ink.shape[1]:
            raise ValueError(f"a sketch is a square 2-D image, got shape {ink.shape}")
        self.size = ink.shape[0]
        self._bits = MaskBits(self.size)
        strokes = ink if ink.dtype == np.bool_ else ink >= INK_LEVEL
        self.ink = rasterizer(self.size).pack(strokes)
        self.n_ink = self.ink.bit_count()
        scale = self.size / 32
        self.radii = sorted({max(1, round(t * scale)) for t in tolerances})
        self._ink_near = self._bits.dilations(self.ink, self.radii)

    def outline(self, mask: int) -> int:
        """The outline pixels of a packed program mask."""
        return self._bits.outline(mask)

    def score_packed(self, mask: int) -> float:
        """The fit of one packed program mask, in [0, 1]."""
        line = self._bits.outline(mask)
        n_line = line.bit_count()
        if n_line == 0 or self.n_ink == 0:
            return 1.0 if n_line == self.n_ink else 0.0
        total = 0.0
        near = self._bits.dilations(line, self.radii)
        for ink_near, line_near in zip(self._ink_near, near, strict=True):
            precision = (line & ink_near).bit_count() / n_line
            recall = (self.ink & line_near).bit_count() / self.n_ink
            if precision + recall > 0:
                total += 2 * precision * recall / (precision + recall)
        return total / len(self.radii)

    def scores_packed(self, masks: Sequence[int]) -> np.ndarray:
        """Fits of many packed masks, ``float64`` (N,)."""
        return np.fromiter((self.score_packed(m) for m in masks), np.float64, len(masks))


def outline_fit(program_mask: np.ndarray, sketch: np.ndarray) -> float:
    """The fit of a rendered program (``bool`` (S, S)) against a sketch of the same size."""
    fit = OutlineFit(sketch)
    return fit.score_packed(rasterizer(fit.size).pack(np.asarray(program_mask, dtype=bool)))
