"""Are a program's edges where a careful drawing's are, once the drawing's offsets are allowed?

Parts and holes (:mod:`inference.targets.shape_match`) and the tolerant score
(:mod:`inference.targets.drawn_score`) forgive an edge up to the tolerance (a unit)
away from the drawing, everywhere at once.  That is needed: a person draws a
whole outline a little too big, a little to the left, a little turned.  But
it also forgives a *shape* that stays within a unit of the drawing: a disc
for a small house with a pointed roof, a diamond for a slot.  Against a
careful drawing those are plainly wrong, and a user who traced the grid
sees it.

The difference is in how the error is spread.  A drawing's error is mostly
one offset, size and turn per outline; what is left after taking it out is
wobble, a fraction of a unit.  A wrong shape's error cannot be taken out that
way: a disc stays a unit from a roof's apex however it is moved or scaled.

So :class:`EdgeMatch` pairs each closed edge (ring) of the program with the
nearest ring of the drawing, *registers* it: moves, scales (per axis) and
turns it within the drawing's plausible error (:data:`SHIFT_UNITS`,
:data:`GROW_UNITS`, :data:`TURN_DEG`) to lie on the drawing's ring (a few
rounds of point-to-nearest-point least squares), and then measures how far
the two rings still are apart, both ways.  When the
:data:`EDGE_QUANTILE` th percentile of those distances exceeds
:data:`EDGE_SHARE` of the tolerance, or the largest exceeds the tolerance
itself at some point of the program's ring (a short point or bump that the
percentile does not see; a blot of the drawing's pen does not count), the
program's edge is off the drawing's (:class:`~inference.targets.shape_match.Mismatch`
``("off", "edge", where)``, with the largest distance and where it is).

Only rings it can judge are compared: rings 3 units wide and tall and more,
paired with a drawing ring that is clear of the band along the canvas border
(where a clipped shape's drawn edge wanders,
:data:`inference.targets.shape_match.BORDER_BAND_PX`; the program's ring may reach
into it, a program a unit too tall at the bottom does), and near it (missing
and added parts and holes are :mod:`inference.targets.shape_match`'s to find).  The program is
compared as it would be drawn: its mask grown by half the pad's pen
(:data:`PEN_PX`), against the drawing as drawn, so the pen's ink is not error
and a hole's sharp tips, which ink fills, are not either.

Measured on simulated drawings of 600 held-out CAD parts (docs/BENCHMARKS.md):
after registration the true program's rings were within 0.38 units (careful
drawings) and, but for one of 463, 0.46 units (heavy ones) at the 95th
percentile, and their largest distance at most 0.57 units (0.64 on
refset-dev drawings); the wrong shapes that had passed everything else on
careful drawings were 0.69 to 1.44 at the 95th percentile and 1.1 and more
at the largest.
"""

from __future__ import annotations

import numpy as np

from inference.render.geometry import CANVAS
from inference.render.raster import rasterizer
from inference.targets.score import SCORE_SIZE
from inference.targets.shape_match import FeatureFinder, Mismatch

EDGE_SHARE = 0.7
"""A program's ring is off when, after registration, its distance to the drawing's ring at
the :data:`EDGE_QUANTILE` th percentile exceeds this share of the edge tolerance."""
EDGE_QUANTILE = 95
"""Percentile of a ring's distances that is compared (the rest is a pen's blot or a corner
the pen rounded)."""
SHIFT_UNITS = 1.0
"""Registration may move a ring this far along each axis (canvas units)."""
GROW_UNITS = 2.0
"""Registration may make a ring this much wider or taller (or narrower, shorter)."""
TURN_DEG = 3.0
"""Registration may turn a ring this much (degrees)."""
MIN_RING_PX = 12
"""Rings whose width or height is under this (pixels at 128×128: 3 units) are not judged: a
pen's width is a large part of such a small outline."""
PAIR_PX = 8
"""A program ring is paired with a drawing ring only when its points are this close to it
on average (pixels at 128×128); otherwise it is a part or hole of its own."""
PEN_PX = 2
"""Half the sketch pad's default pen (pixels at 128×128): the program's mask is grown by it
before it is compared with the drawing as drawn (:meth:`EdgeMatch._as_drawn`)."""
_ROUNDS = 12


class EdgeMatch:
    """Compares packed program masks' edges with one drawing's (see the module docstring).

    Args:
        drawing: the drawing's mask as drawn, ``bool`` (S, S).
        tolerance: the target's edge tolerance in canvas units (> 0).
    """

    def __init__(self, drawing: np.ndarray, tolerance: float):
        drawing = np.asarray(drawing, dtype=bool)
        self.size = drawing.shape[0]
        self.px = self.size / CANVAS  # pixels per canvas unit
        self.tolerance = tolerance  # canvas units
        self.limit = EDGE_SHARE * tolerance
        self.finder = FeatureFinder(self.size)
        self.raster = rasterizer(self.size)
        self._drawing = drawing
        self._drawing_rings: list[tuple[np.ndarray, bool]] | None = None
        self._cache: dict[int, list[Mismatch]] = {}

    @property
    def rings(self) -> list[tuple[np.ndarray, bool]]:
        """The drawing's rings (see :meth:`_rings`), found on first use: a target is made on
        every change of the drawing, and most are never compared edge to edge."""
        if self._drawing_rings is None:
            self._drawing_rings = self._rings(self.raster.pack(self._drawing))
        return self._drawing_rings

    def mismatches(self, mask: int) -> list[Mismatch]:
        """The program rings (of packed ``mask``) that are off the drawing's, worst first
        (cached by mask)."""
        hit = self._cache.get(mask)
        if hit is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            hit = self._compare(self._as_drawn(mask))
            self._cache[mask] = hit
        return hit

    def distances(self, mask: int) -> list[float]:
        """Each judged program ring's registered distance to the drawing, canvas units (the
        :data:`EDGE_QUANTILE` th percentile; what :meth:`mismatches` compares)."""
        return [d for d, _, _ in self._judged(self._as_drawn(mask))]

    def _as_drawn(self, mask: int) -> int:
        """Packed ``mask`` as an outline drawn along it with the pad's pen and filled: grown
        by half the pen, :data:`PEN_PX` (a hole's sharp tips fill with ink)."""
        return self.finder.bits.dilations(mask, [max(1, round(PEN_PX * self.size / SCORE_SIZE))])[0]

    def _compare(self, mask: int) -> list[Mismatch]:
        off = sorted(
            (worst, where)
            for typical, worst, where in self._judged(mask)
            if typical > self.limit or worst > self.tolerance
        )
        return [Mismatch("off", "edge", where, distance=d) for d, where in reversed(off)]

    def _judged(self, mask: int) -> list[tuple[float, float, tuple[float, float]]]:
        """For each judged ring of packed ``mask``: the :data:`EDGE_QUANTILE` th percentile
        of its registered distances (both ways), the largest distance of the program's
        ring from the drawing's, and where that is (canvas units).  Only the program's
        points count for the largest: a pen's blot on the drawing is not the program's."""
        out = []
        if not self.rings:
            return out
        for ring, _ in self._rings(mask):
            means = [nearest(ring, d)[0].mean() for d, _ in self.rings]
            k = int(np.argmin(means))
            target, clipped = self.rings[k]
            if means[k] > PAIR_PX * self.size / SCORE_SIZE or clipped:
                continue
            moved = self._register(ring, target)
            (there, _), (back, _) = nearest_both_ways(moved, target)
            both = np.concatenate([there, back]) / self.px
            worst = int(np.argmax(there))  # the program's edge farthest from the drawing's
            row, col = ring[worst]
            where = ((col + 0.5) / self.px, (row + 0.5) / self.px)
            typical = float(np.percentile(both, EDGE_QUANTILE))
            out.append((typical, float(there[worst] / self.px), where))
        return out

    def _rings(self, mask: int) -> list[tuple[np.ndarray, bool]]:
        """The rings of packed ``mask`` one grid step wide, as (k, 2) pixel coordinates
        (row, col) of the inside's edge along each background region and part, each with
        whether it reaches into the border band (a drawing's ring there is not judged)."""
        finder = self.finder
        smallest = MIN_RING_PX * self.size / SCORE_SIZE
        pieces = []
        for background in finder.components(finder.full & ~mask, False):
            # the inside's pixels next to one background region (a hole, or the outside):
            # one ring per part it borders, even where a thin wall joins two edges
            pieces += finder.components(mask & finder.bits.grow(background, False), True)
        out = []
        for piece in pieces:
            points = np.argwhere(self.raster.unpack(piece)).astype(np.float64)
            if min(np.ptp(points[:, 0]), np.ptp(points[:, 1])) < smallest:
                continue
            out.append((points, bool(piece & ~finder.interior)))
        return out

    def _register(self, ring: np.ndarray, target: np.ndarray) -> np.ndarray:
        """``ring`` moved, scaled per axis and turned (within the limits) onto ``target``."""
        centre = ring.mean(axis=0)
        rel = ring - centre
        extent = np.maximum(np.ptp(rel, axis=0), 1.0)
        shift, grow = SHIFT_UNITS * self.px, GROW_UNITS * self.px
        turn = np.radians(TURN_DEG)
        a = similarity_rows(rel)
        low = np.array([-shift, -shift, -grow / extent[0], -grow / extent[1], -turn])
        rows = a.reshape(len(ring), 2, 5)
        moved = ring
        for _ in range(_ROUNDS):
            # both ways, so that the ring cannot shrink onto one side of the target
            (_, there), (_, back) = nearest_both_ways(moved, target)
            lhs = np.concatenate([rows, rows[back]]).reshape(-1, 5)
            rhs = np.concatenate([target[there] - ring, target - ring[back]]).ravel()
            params, *_ = np.linalg.lstsq(lhs, rhs, rcond=None)
            params = np.clip(params, low, -low)
            new = ring + (a @ params).reshape(-1, 2)
            settled = np.abs(new - moved).max() < 0.05
            moved = new
            if settled:
                break
        return moved


def similarity_rows(rel: np.ndarray) -> np.ndarray:
    """The linearised similarity transform of points ``rel`` (k, 2), (row, col) relative to
    their centre: ``(similarity_rows(rel) @ (dy, dx, sy, sx, theta)).reshape(k, 2)`` is each
    point's displacement by a move (dy, dx), a scale per axis (1 + sy, 1 + sx) and a small
    turn theta (radians)."""
    a = np.zeros((2 * len(rel), 5))
    a[0::2, 0] = a[1::2, 1] = 1.0
    a[0::2, 2], a[1::2, 3] = rel[:, 0], rel[:, 1]
    a[0::2, 4], a[1::2, 4] = rel[:, 1], -rel[:, 0]
    return a


def nearest(points: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``points``, the distance to the nearest of ``others`` and its index."""
    k = _distances_squared(points, others).argmin(axis=1)
    return _lengths(points - others[k]), k


def nearest_both_ways(
    points: np.ndarray, others: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """:func:`nearest` from ``points`` to ``others`` and from ``others`` to ``points``, from
    one table of distances."""
    d2 = _distances_squared(points, others)
    k, j = d2.argmin(axis=1), d2.argmin(axis=0)
    return (_lengths(points - others[k]), k), (_lengths(others - points[j]), j)


def _distances_squared(points: np.ndarray, others: np.ndarray) -> np.ndarray:
    """The table of squared distances from each of ``points`` to each of ``others``, for
    finding the nearest: |p|² + |o|² − 2 p·o in single precision (one matrix product, a
    few times faster than the differences in double precision).  It is exact for the pixel
    coordinates of an image up to 2,048 pixels a side, so equally near pixels are chosen
    as before, and within a hundredth of a pixel² for moved points.  The distances
    :func:`nearest` returns are computed exactly for the points it picks."""
    p, o = points.astype(np.float32), others.astype(np.float32)
    d2 = (p * p).sum(axis=1)[:, None] + (o * o).sum(axis=1)[None, :]
    d2 -= 2.0 * p @ o.T
    return d2


def _lengths(vectors: np.ndarray) -> np.ndarray:
    """The lengths of (k, 2) vectors, in double precision."""
    return np.sqrt((vectors * vectors).sum(axis=1))
