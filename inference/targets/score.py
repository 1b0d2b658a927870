"""The goal score for filled targets (DESIGN.md §1).

Both images are binarized at 0.5, then
``score = (IoU(foreground) + IoU(background)) / 2``, where the IoU of two
empty sets is 1.  An inverted image is *not* a match (unlike the original
code).  A program solves a target when ``score > SOLVE_THRESHOLD``.

**Accepted images.**  ``bool`` arrays are used as they are.  Floating-point
arrays are in [0, 1] and a value ≥ 0.5 is inside.  Integer arrays (such as
8-bit PNG data) are on the 0..255 scale and a value ≥ 128 (that is, ≥ 0.5 of
255) is inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

SCORE_SIZE = 128
"""Image size at which programs are scored against the target (pixel constants elsewhere
are given at this size and scaled by ``size / SCORE_SIZE``)."""
SOLVE_THRESHOLD = 0.98
"""A program solves a target when its score is strictly above this (at 128×128)."""


def binarize(image: np.ndarray) -> np.ndarray:
    """The ``bool`` mask of an image; see the module docstring for the scales."""
    image = np.asarray(image)
    if image.dtype == np.bool_:
        return image
    if np.issubdtype(image.dtype, np.integer):
        return image >= 128
    if np.issubdtype(image.dtype, np.floating):
        return image >= 0.5
    raise TypeError(f"cannot binarize an image of dtype {image.dtype}")


def score_from_counts(
    inter: int | np.ndarray | Sequence[int], union: int | np.ndarray | Sequence[int], npix: int
) -> np.ndarray:
    """The goal score from foreground intersection and union pixel counts.

    Works on scalars (giving a 0-d array) and on arrays of counts alike.  The background
    intersection is ``npix - union`` and the background union ``npix - inter``.
    """
    inter = np.asarray(inter, dtype=np.float64)
    union = np.asarray(union, dtype=np.float64)
    fg = np.divide(inter, union, out=np.ones_like(union), where=union > 0)
    bg_union = npix - inter
    bg = np.divide(npix - union, bg_union, out=np.ones_like(union), where=bg_union > 0)
    return (fg + bg) / 2


def goal_score(a: np.ndarray, b: np.ndarray) -> float:
    """The goal score of two same-shaped images (symmetric, 1.0 = identical)."""
    ma, mb = binarize(a), binarize(b)
    if ma.shape != mb.shape:
        raise ValueError(f"image shapes differ: {ma.shape} vs {mb.shape}")
    inter = np.count_nonzero(ma & mb)
    union = np.count_nonzero(ma | mb)
    return float(score_from_counts(inter, union, ma.size))


def goal_scores(batch: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Scores of every image in ``batch`` (N, H, W) against ``target`` (H, W).

    Returns a ``float64`` array (N,).
    """
    mb, mt = binarize(batch), binarize(target)
    if mb.ndim != 3 or mb.shape[1:] != mt.shape:
        raise ValueError(f"expected a batch of {mt.shape} images, got {mb.shape}")
    flat = mb.reshape(len(mb), -1)
    t = mt.reshape(-1)
    inter = np.count_nonzero(flat & t, axis=1)
    union = np.count_nonzero(flat | t, axis=1)
    return score_from_counts(inter, union, t.size)


def goal_score_packed(a: int, b: int, npix: int) -> float:
    """The goal score of two packed masks (:mod:`inference.render.raster`) of ``npix`` pixels."""
    return float(score_from_counts((a & b).bit_count(), (a | b).bit_count(), npix))


def goal_scores_packed(masks: Sequence[int], target: int, npix: int) -> np.ndarray:
    """Scores of packed masks against a packed target; ``float64`` array (N,)."""
    inter = [(m & target).bit_count() for m in masks]
    union = [(m | target).bit_count() for m in masks]
    return score_from_counts(inter, union, npix)


def is_solved(score: float) -> bool:
    """True when ``score`` solves the target (``score > SOLVE_THRESHOLD``)."""
    return score > SOLVE_THRESHOLD


class PackedScorer(Protocol):
    """How a target scores programs: packed masks (:mod:`inference.render.raster`) of
    ``size`` × ``size`` pixels in, ``float64`` scores out, higher is better.

    Its kinds: :class:`ExactScore` (the paper's goal score), the tolerant score of a hand
    drawing (:class:`inference.targets.drawn_score.TolerantScore`) and the fit of an outline
    sketch (:class:`inference.targets.outline_fit.OutlineFit`).  :class:`Target
    <inference.targets.target.Target>` holds one of them; the search's refinement and tidying
    take any (:func:`inference.search.refine.refine`)."""

    size: int

    def scores_packed(self, masks: Sequence[int]) -> np.ndarray:
        """Scores of packed program masks (higher is better)."""
        ...


class ExactScore:
    """The goal score (DESIGN.md §1) of packed masks against one packed target mask."""

    def __init__(self, target: int, size: int):
        self.target, self.size = target, size

    def scores_packed(self, masks: Sequence[int]) -> np.ndarray:
        """Goal scores of many packed masks, ``float64`` (N,)."""
        return goal_scores_packed(masks, self.target, self.size * self.size)
