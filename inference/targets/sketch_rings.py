"""How likely a sketch is of a program: each outline ring moved onto the strokes.

The outline fit (:mod:`inference.targets.outline_fit`) asks whether a program's outline
lies within a unit or two of the strokes, and its fine version how close.  Neither asks how
a person's hand gets from the program to the strokes.  A sketch (DESIGN.md §2,
:mod:`inference.targets.sketch`) moves each closed ring of the outline *as a whole*: an
offset of N(0, 0.5) units per axis, a change of extent of N(0, 0.5) units per axis and a
turn of N(0, 1°), and then wobbles it by a tenth of a unit or two.  So the intended program
is not always the one whose outline lies closest to the strokes: a whole plate drawn 1.1
units to the left lies closer to the plate one grid step to the left, and a slot whose ring
is moved by half a unit lies closer to four quads that follow the strokes' bend than to its
own round ends.  On the part sketches of issue 12, in 23 of 29 wrong results the strokes
were closer to the wrong program (docs/BENCHMARKS.md, session 18).

:class:`RingFit` scores a program the way the sketch was made.  Each ring of its outline
(the outline pixels, :meth:`MaskBits.outline`: the canvas border is never drawn, so the
edges a clipped shape has there do not count), with the ink nearest to it, is *registered*:
moved, scaled per axis and turned onto its ink by regularised least squares on the nearest
points both ways, a few rounds (like ICP).  The ring's cost is the negative log-likelihood
of that, up to constants:

* the registration's parameters against the sketch's jitter: (offset / 0.5 u)², (change of
  extent / 0.5 u)² per axis, (turn / 1°)²;
* what is left: the squared distances of the registered ring to its ink and of the ink to
  it, clipped at :data:`CLIP_UNITS`, over :data:`WOBBLE_UNITS` squared, per unit of ring
  length (neighbouring pixels are not independent draws).  The ink's distances are less
  half the stroke's width (estimated from the ink's area and edge), so that a wide pen
  costs what a fine one does;

plus, for the whole sketch, the ink that no ring explains (farther than
:data:`REACH_UNITS` from every ring) at the clipped cost per unit of stroke, and each ring
with almost no ink at the clipped cost all along it.  Lower is more likely.

A wrong shape (a disc for a pointed roof, a square for a round hole, a diamond with quads
for a slot) keeps its error after registration, while the intended program's error was
mostly the ring's jitter, which the registration takes out at its prior's price.  On the
part sketches of issue 12's sets A and B (docs/BENCHMARKS.md, session 22), the intended
program costs less than the search's wrong result in 17 of 29; the others are mostly a ring
moved more than half a grid step, where the neighbour on the grid is the likelier program.

:data:`MATCH_LIMIT` turns the cost into a check: ``Target`` caps the score of a program
that costs more, as it caps one with other parts or holes, so the search goes on and the
program is not called a match.

Rings are cached by their pixels and their ink: a one-value change of a program moves one
ring, and only that ring is registered again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference.render.geometry import CANVAS
from inference.render.raster import rasterizer
from inference.targets.edge_fit import nearest, nearest_both_ways, similarity_rows
from inference.targets.outline_fit import INK_LEVEL, MaskBits
from inference.targets.shape_match import FeatureFinder, message_point

SHIFT_UNITS = 0.5
"""Standard deviation of a sketched ring's offset per axis (canvas units)."""
GROW_UNITS = 0.5
"""Standard deviation of the change of a sketched ring's width or height (canvas units)."""
TURN_DEG = 1.0
"""Standard deviation of a sketched ring's turn (degrees)."""
WOBBLE_UNITS = 0.6
"""Scale of what registration leaves: the sketch's wobble, the pen's width and pixels."""
CLIP_UNITS = 3.0
"""Distances are clipped here: beyond it a point is just unexplained."""
REACH_UNITS = 3.0
"""Ink farther than this from every ring is explained by none."""
MIN_INK_PX = 4
"""A ring with fewer ink pixels near it than this is not drawn at all."""
MATCH_LIMIT = 20.0
"""A program whose cost is above this does not match the sketch, however close its outline
lies to the strokes (``Target.scores_packed`` caps its score).  Chosen on the solved results
of four part sets (docs/BENCHMARKS.md, session 22): it refused 20 of their 42 false solves,
none of their 107 right results and 4 of the 167 intended programs."""
_ROUNDS = 8
_CACHE = 4096


class RingFit:
    """Costs of packed program masks against one sketch (see the module docstring).

    Args:
        ink: the sketch, float (S, S) ink coverage in [0, 1] (1 = ink), or ``bool``.
    """

    def __init__(self, ink: np.ndarray):
        ink = np.asarray(ink)
        if ink.ndim != 2 or ink.shape[0] != ink.shape[1]:
            raise ValueError(f"a sketch is a square 2-D image, got shape {ink.shape}")
        self.size = ink.shape[0]
        self.px = self.size / CANVAS
        strokes = ink if ink.dtype == np.bool_ else ink >= INK_LEVEL
        self._raster = rasterizer(self.size)
        self._bits = MaskBits(self.size)
        self._finder = FeatureFinder(self.size)
        self.ink = self._raster.pack(strokes)
        self._ink_points = np.argwhere(strokes).astype(np.float64)
        self._reach = max(1, round(REACH_UNITS * self.px))
        self._clip = CLIP_UNITS * self.px
        self._wobble = WOBBLE_UNITS * self.px
        self._clipped = (self._clip / self._wobble) ** 2  # a clipped point's cost
        # ink pixels per unit of stroke: the stroke's width in pixels (area over half its
        # edge) times pixels per unit
        edge = self._bits.outline(self.ink).bit_count() if self.ink else 0
        width = max(1.0, 2.0 * len(self._ink_points) / max(edge, 1))
        self._ink_per_unit = width * self.px
        self._half_width = (width - 1.0) / 2  # pixels of ink beside a stroke's middle
        self._cache: dict[tuple[int, int], float] = {}
        self._mask_cache: dict[int, tuple[float, tuple[float, float]]] = {}

    def cost_packed(self, mask: int) -> float:
        """The cost of one packed program mask (lower is more likely; 0 for a perfect
        match)."""
        return self.judge(mask)[0]

    def judge(self, mask: int) -> tuple[float, tuple[float, float]]:
        """The cost of one packed program mask and where it comes from most: the centre of
        its costliest ring, or of the ink no ring explains (canvas units, x and y)."""
        hit = self._mask_cache.get(mask)
        if hit is None:
            if len(self._mask_cache) > _CACHE:
                self._mask_cache.clear()
            hit = self._cost(mask)
            self._mask_cache[mask] = hit
        return hit

    def costs_packed(self, masks: Sequence[int]) -> np.ndarray:
        """Costs of many packed masks, ``float64`` (N,)."""
        return np.fromiter((self.cost_packed(m) for m in masks), np.float64, len(masks))

    def _cost(self, mask: int) -> tuple[float, tuple[float, float]]:
        rings = self._finder.components(self._bits.outline(mask), True)
        near = [self._bits.dilations(r, [self._reach])[0] for r in rings]
        covered = shared = 0
        for n in near:
            shared |= covered & n
            covered |= n
        total = worst = self._ink_cost(self.ink & ~covered)
        where = self._point(self.ink & ~covered)
        owned = self._assign(rings, near, shared & self.ink)
        for ring, ink in zip(rings, owned, strict=True):
            if ink.bit_count() < MIN_INK_PX:
                cost = self._length(ring) * self._clipped
            else:
                key = (ring, ink)
                cost = self._cache.get(key)
                if cost is None:
                    if len(self._cache) > _CACHE:
                        self._cache.clear()
                    cost = self._ring_cost(ring, ink)
                    self._cache[key] = cost
            total += cost
            if cost > worst:
                worst, where = cost, self._point(ring)
        return total, where

    def _point(self, pixels: int) -> tuple[float, float]:
        """A point of packed ``pixels`` for messages (``shape_match.message_point``; the
        canvas's centre when there are none)."""
        return message_point(pixels, self.size) if pixels else (CANVAS / 2, CANVAS / 2)

    def _ink_cost(self, ink: int) -> float:
        """The cost of ink that no ring explains: the clipped cost per unit of stroke."""
        if not ink:
            return 0.0
        return ink.bit_count() / self._ink_per_unit * self._clipped

    def _assign(self, rings: list[int], near: list[int], shared: int) -> list[int]:
        """Each ring's ink: the ink within reach of it alone, plus the shared ink nearest
        to it."""
        owned = [self.ink & n & ~shared for n in near]
        if shared and len(rings) > 1:
            unpack = self._raster.unpack
            points = [np.argwhere(unpack(r)).astype(np.float64) for r in rings]
            owner = np.concatenate([np.full(len(p), i) for i, p in enumerate(points)])
            ink = np.argwhere(unpack(shared))
            _, k = nearest(ink.astype(np.float64), np.concatenate(points))
            for i in range(len(rings)):
                mine = ink[owner[k] == i]
                if len(mine):
                    grid = np.zeros((self.size, self.size), dtype=bool)
                    grid[mine[:, 0], mine[:, 1]] = True
                    owned[i] |= self._raster.pack(grid)
        return owned

    def _length(self, ring: int) -> float:
        """A ring's length in canvas units (its outline pixels)."""
        return ring.bit_count() / self.px

    def _ring_cost(self, ring: int, ink: int) -> float:
        """The registration cost of one ring against its ink (see the module docstring)."""
        unpack = self._raster.unpack
        points = np.argwhere(unpack(ring)).astype(np.float64)
        target = np.argwhere(unpack(ink)).astype(np.float64)
        centre = points.mean(axis=0)
        rel = points - centre
        half = np.maximum(np.ptp(rel, axis=0) / 2, 1.0)
        # a change of extent of e pixels per axis is a scale s = e / (2 · half)
        a = similarity_rows(rel)
        sigma = np.array(
            [
                SHIFT_UNITS * self.px,
                SHIFT_UNITS * self.px,
                GROW_UNITS * self.px / (2 * half[0]),
                GROW_UNITS * self.px / (2 * half[1]),
                np.radians(TURN_DEG),
            ]
        )
        rows = a.reshape(len(points), 2, 5)
        length = self._length(ring)
        prior = np.diag(1.0 / sigma)
        params = np.zeros(5)
        moved = points
        for _ in range(_ROUNDS):
            (there_d, there), (back_d, back) = nearest_both_ways(moved, target)
            # each direction weighs as half the ring's length; clipped points do not pull,
            # nor do points whose ink may lie beyond the canvas border
            pull = (there_d < self._clip) & (there_d <= self._to_border(moved))
            w_there = pull * (length / 2 / len(points))
            w_back = (back_d < self._clip) * (length / 2 / len(target))
            w = np.sqrt(np.repeat(np.concatenate([w_there, w_back]), 2)) / self._wobble
            lhs = np.concatenate([rows, rows[back]]).reshape(-1, 5) * w[:, None]
            rhs = np.concatenate([target[there] - points, target - points[back]]).ravel() * w
            params, *_ = np.linalg.lstsq(
                np.vstack([lhs, prior]), np.concatenate([rhs, np.zeros(5)]), rcond=None
            )
            new = points + (a @ params).reshape(-1, 2)
            settled = np.abs(new - moved).max() < 0.05
            moved = new
            if settled:
                break
        (there_d, _), (back_d, _) = nearest_both_ways(moved, target)
        there_d = np.minimum(there_d, self._to_border(moved))
        back_d = np.maximum(back_d - self._half_width, 0.0)  # a wide pen's ink is not error
        data = (np.minimum(there_d, self._clip) ** 2).mean() + (
            np.minimum(back_d, self._clip) ** 2
        ).mean()
        return float(data / 2 * length / self._wobble**2 + ((params / sigma) ** 2).sum())

    def _to_border(self, points: np.ndarray) -> np.ndarray:
        """Each point's distance to the canvas border (pixels): a sketch's ring moved past
        the border leaves its ink there unseen, so a point of a program's ring is never
        farther from its ink than from the border."""
        far = self.size - 0.5
        return np.minimum(points + 0.5, far - points).min(axis=1)
