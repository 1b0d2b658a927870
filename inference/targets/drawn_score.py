"""The tolerant goal score: for filled targets that a person drew by hand.

A hand-drawn filled shape is never pixel-exact: its edges wobble and sit a
little off the places a program's edges can reach.  Under the goal score
(:mod:`inference.targets.score`) even the intended program then stays below the 0.98
a solve needs, and the search keeps chasing the wobble with odd extra shapes.

The tolerant score forgives disagreements near the other image's edge.  With
program mask m, target mask T and a tolerance of r pixels, the *unforgiven*
disagreements are

* program pixels farther than r from the target: ``m \\ grow(T, r)``;
* target pixels farther than r from the program: ``T \\ grow(m, r)``.

Call their count e (it replaces the count of ``m xor T``) and score as the
goal score does::

    IoU_fg = 1 - e / |m ∪ T|,   IoU_bg = 1 - e / (npix - |m ∩ T|),
    score  = (IoU_fg + IoU_bg) / 2,

with an empty union counting as 1.  At r = 0 this *is* the goal score.  An
empty program does not fit a thin target (every target pixel is then farther
than r from it), and a hollow program does not fit a solid one (its middle is
more than r from the program).  Distances use the octagonal dilation of
:mod:`inference.targets.outline_fit`.  A program solves a drawn target when the
tolerant score is above the same 0.98 as an exact one.

The default tolerance, :data:`DEFAULT_TOLERANCE` = 1 canvas unit (4 pixels
at 128×128), is half a grid step: a quad's edges can sit on every whole unit
and a circle's radius on every second unit, so a drawn edge is rarely more
than a unit from an edge a program can reach.  docs/BENCHMARKS.md has the
calibration on simulated drawings (:func:`inference.targets.sketch.simulate_drawing`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference.render.raster import rasterizer
from inference.targets.outline_fit import MaskBits

DEFAULT_TOLERANCE = 1.0
"""Edge tolerance for hand-drawn filled targets, in canvas units."""
MAX_TOLERANCE = 4.0
"""The largest tolerance the CLI and the editor accept, canvas units (an eighth of the canvas)."""


def tolerance_pixels(tolerance: float, size: int) -> int:
    """A tolerance in canvas units as whole pixels at ``size`` × ``size`` (0 stays 0)."""
    if tolerance < 0:
        raise ValueError(f"a tolerance cannot be negative, got {tolerance}")
    return round(tolerance * size / 32)


class TolerantScore:
    """Scores packed program masks against one filled target, forgiving edges.

    Args:
        target: the packed target mask (see :mod:`inference.render.raster`).
        size: the image side S (the mask has S×S pixels).
        radius: the tolerance in pixels (0 gives the plain goal score).
    """

    def __init__(self, target: int, size: int, radius: int):
        if radius < 0:
            raise ValueError(f"radius must be ≥ 0, got {radius}")
        self.target, self.size, self.radius = target, size, radius
        self.npix = size * size
        self._bits = MaskBits(size)
        self._near_target = self._grow(target)

    def _grow(self, mask: int) -> int:
        return self._bits.dilations(mask, [self.radius])[0] if self.radius else mask

    def score_packed(self, mask: int) -> float:
        """The tolerant score of one packed program mask, in [0, 1]."""
        t = self.target
        union = (mask | t).bit_count()
        inter = (mask & t).bit_count()
        errors = (mask & ~self._near_target).bit_count() + (t & ~self._grow(mask)).bit_count()
        fg = 1.0 - errors / union if union else 1.0
        bg_union = self.npix - inter
        bg = 1.0 - errors / bg_union if bg_union else 1.0
        return (fg + bg) / 2

    def scores_packed(self, masks: Sequence[int]) -> np.ndarray:
        """Tolerant scores of many packed masks, ``float64`` (N,)."""
        return np.fromiter((self.score_packed(m) for m in masks), np.float64, len(masks))


def tolerant_score(program_mask: np.ndarray, target: np.ndarray, tolerance: float) -> float:
    """The tolerant score of a rendered program (``bool`` (S, S)) against a filled target.

    ``target`` is binarized at 0.5; ``tolerance`` is in canvas units.
    """
    program_mask, target = np.asarray(program_mask, dtype=bool), np.asarray(target) >= 0.5
    if program_mask.shape != target.shape or target.ndim != 2:
        raise ValueError(f"shapes differ or are not 2-D: {program_mask.shape} vs {target.shape}")
    size = target.shape[0]
    r = rasterizer(size)
    scorer = TolerantScore(r.pack(target), size, tolerance_pixels(tolerance, size))
    return scorer.score_packed(r.pack(program_mask))
