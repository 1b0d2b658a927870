"""Do a program and a drawing show the same parts and holes?

The tolerant score (:mod:`inference.targets.drawn_score`) forgives every disagreement
within the edge tolerance, so a feature narrower than about three tolerances
costs almost nothing: a plate whose 2-unit hole was dropped still scores 0.99.
Pixel counts cannot tell a displaced edge from a missing feature; topology can.
This module compares the *features* of two filled masks:

* **parts**: connected components of the inside (8-connected);
* **holes**: connected components of the outside (4-connected, the dual of
  8-connected parts) that do not touch the canvas border.  Background that
  touches the border is one region, the *outer* background, since it joins
  around the canvas: a shape clipped by the border makes a notch, not a hole.

A feature is **significant** when it holds a disc about one grid step across:
it survives an erosion by :data:`SIGNIFICANT_PX` pixels at 128×128, i.e. it is
at least 7 pixels (1.75 canvas units) wide.  It is **visible** when it survives
an erosion by one pixel (3 pixels wide).  Specks and slivers thinner than that
are a drawing's noise and are ignored.

Two features of the same kind (part or hole) *correspond* when they overlap.
The visible features of both masks and their correspondences form a graph;
each connected cluster of it must hold at most one significant feature of each
mask, and every significant feature must correspond to some visible feature of
the other mask.  Otherwise something is wrong, and :func:`compare` says what:

* a significant part or hole of the drawing with no counterpart is *missing*;
* a significant part or hole of the program with no counterpart is *added*;
* two significant features of the drawing in one cluster were *joined* by the
  program, two of the program's *split* one of the drawing, unless the two are
  closer than :data:`NEAR_GAP_PX` (a gap between parts, or a wall between
  holes, that the pen and the edge tolerance can close).

Features that reach into a band of :data:`BORDER_BAND_PX` along the canvas
border also count as near, since a drawn edge along the border of a clipped
shape is unreliable.

Topology does not see a box drawn where the drawing has a pointed roof: the
same one part, and few pixels wrong.  So material the program adds beyond the
drawing, or leaves out of it, is a mismatch too where it is thicker than edge
displacement (:data:`ADDED_PX`, :data:`MISSING_PX`).

Edge displacement up to the tolerance keeps every significant feature
overlapping its counterpart, so a program that is right up to its edges
passes.  :class:`inference.targets.target.Target` caps the score of a program with
any mismatch at the solve threshold, so a wrong shape never reaches a solve.
Everything works on packed masks (:mod:`inference.render.raster`): a component is a
flood fill by repeated one-pixel growth inside the mask, a few big-integer
operations per step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from inference.targets.outline_fit import MaskBits
from inference.targets.score import SCORE_SIZE

SIGNIFICANT_PX = 3
"""Erosion (pixels at 128×128) a feature must survive to count: 7 px = 1.75 units wide."""
VISIBLE_PX = 1
"""Erosion (pixels) a feature must survive to be seen at all: 3 px wide."""
BORDER_BAND_PX = 8
"""A band along the canvas border (pixels at 128×128: two canvas units, one grid step).  A
drawing's edge along the border of a clipped shape wanders in and out of the canvas, and may
join parts or close off holes there: features that reach into the band count as near each
other and the outer background (joining or splitting them is not a change of shape), and a
sketch's strokes inside it are not lines."""
NEAR_GAP_PX = 8
"""Two parts this close (pixels at 128×128: two units, the edge tolerance on each side), or
two holes with a wall this thin, may be joined or split by a drawing's pen and wobble: that
is edge displacement, not a change of shape."""


@dataclass(frozen=True)
class Feature:
    """One part or hole of a mask.

    Attributes:
        kind: ``"part"`` or ``"hole"`` (the outer background is a ``"hole"`` with ``outer``).
        pixels: the feature's pixels, packed.
        significant: at least one grid step across (see the module docstring).
        outer: the background that touches the canvas border.
    """

    kind: str
    pixels: int
    significant: bool
    outer: bool = False

    def centre(self, size: int) -> tuple[float, float]:
        """A point of the feature in canvas units (x, y), for messages (see ``message_point``)."""
        return message_point(self.pixels, size)


@dataclass(frozen=True)
class Mismatch:
    """One way two masks differ in their features.

    Attributes:
        what: ``"missing"``, ``"added"``, ``"joined"``, ``"split"`` or ``"off"``.
        kind: ``"part"``, ``"hole"``, ``"material"`` (thick added or missing material,
            :meth:`ShapeMatch.thick_differences`), ``"line"`` for a sketch's stroke or
            ``"edge"`` for a program edge off a careful drawing's
            (:mod:`inference.targets.edge_fit`), ``"outline"`` for a program outline
            unlikely to have been sketched so (:mod:`inference.targets.sketch_rings`).
        where: a point of the drawing's (or, for ``added`` and ``off``, the program's)
            feature, canvas units.
        distance: for ``off``: how far the edge is from the drawing's, canvas units (for an
            outline: its cost, ``RingFit.judge``).
    """

    what: str
    kind: str
    where: tuple[float, float]
    distance: float = 0.0

    def describe(self) -> str:
        """A plain sentence, e.g. ``the drawing's hole at (12, 8) is missing``."""
        x, y = self.where
        at = f"at ({x:.0f}, {y:.0f})"
        if self.what == "off" and self.kind == "outline":
            return f"the outline {at} has another shape than the sketch's"
        if self.what == "off":
            return f"an edge {at} is {self.distance:.1f} units off the drawing"
        if self.what == "missing" and self.kind == "line":
            return f"the sketch's line {at} has no edge of the program"
        if self.what == "missing":
            return f"the drawing's {self.kind} {at} is missing"
        if self.kind == "material":
            return f"the program {'adds' if self.what == 'added' else 'leaves out'} material {at}"
        if self.what == "added":
            return f"the program adds a {self.kind} {at}"
        if self.what == "joined":
            return f"the program joins the drawing's {self.kind}s near ({x:.0f}, {y:.0f})"
        return f"the program splits the drawing's {self.kind} {at}"


class FeatureFinder:
    """Finds the parts and holes of packed S×S masks (see the module docstring)."""

    def __init__(self, size: int):
        self.size = size
        self.bits = MaskBits(size)
        self.full = self.bits.full
        self.border = self.bits.first_row | self.bits.last_row
        self.border |= self.bits.first_col | self.bits.last_col
        scale = size / SCORE_SIZE
        band = max(0, round(BORDER_BAND_PX * scale))
        edge = self.bits.dilations(self.border, [band - 1])[0] if band > 1 else self.border
        self.interior = self.full & ~edge if band else self.full
        self.significant_px = max(1, round(SIGNIFICANT_PX * scale))
        self.visible_px = max(1, round(VISIBLE_PX * scale))

    def erode(self, mask: int, radius: int) -> int:
        """``mask`` eroded by ``radius`` pixels, off-canvas counting as outside."""
        outside = self.bits.dilations(self.border, [radius - 1])[0] if radius > 1 else self.border
        grown = self.bits.dilations(self.full & ~mask, [radius])[0]
        return mask & ~grown & ~outside

    def flood(self, seeds: int, within: int, diagonal: bool) -> int:
        """The pixels of ``within`` connected to ``seeds`` (8-connected with ``diagonal``)."""
        region, previous = seeds & within, -1
        grow = self.bits.grow
        while region != previous:
            previous = region
            region = grow(grow(region, diagonal), diagonal) & within
        return region

    def components(self, mask: int, diagonal: bool) -> list[int]:
        """The connected components of packed ``mask`` (8-connected with ``diagonal``)."""
        out = []
        while mask:
            component = self.flood(mask & -mask, mask, diagonal)
            out.append(component)
            mask &= ~component
        return out

    def thick_pieces(self, region: int, radius: int) -> list[tuple[int, int]]:
        """The connected pieces of packed ``region`` that survive an erosion by ``radius``
        pixels, as ``(piece, its surviving core)``."""
        out = []
        core = self.erode(region, radius)
        while core:
            piece = self.flood(core & -core, region, True)
            out.append((piece, piece & core))
            core &= ~piece
        return out

    def features(self, mask: int) -> list[Feature]:
        """The visible parts and holes of ``mask`` (and its outer background, if any).

        The outer background is what the canvas border reaches through the
        background and through lines of the inside thinner than visible (a
        pen line along the border does not close a hole).
        """
        out = []
        background = self.full & ~mask
        core = self.erode(mask, self.visible_px)
        thin = mask & ~self.bits.dilations(core, [self.visible_px])[0]
        outer = self.flood(self.border & (background | thin), background | thin, False)
        outer &= background
        for kind, region, diagonal in (("part", mask, True), ("hole", background, False)):
            visible = self.erode(region, self.visible_px)
            if not visible:
                continue
            strong = self.erode(region, self.significant_px)
            if kind == "hole":
                if outer:
                    out.append(Feature(kind, outer, True, outer=True))
                region &= ~outer
            for pixels in self.components(region, diagonal):
                if pixels & visible:
                    out.append(Feature(kind, pixels, bool(pixels & strong)))
        return out


class _Partition:
    """Union-find over ``0..n-1``."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)


def compare(
    program: list[Feature],
    drawing: list[Feature],
    size: int = SCORE_SIZE,
    near: Callable[[Feature, Feature], bool] | None = None,
) -> list[Mismatch]:
    """How the features of a program's mask differ from a drawing's (empty: the same shape).

    ``near(a, b)`` tells whether two features of one mask are so close (a thin gap
    between two parts, a thin wall between two holes) that joining or splitting
    them is edge displacement, not a change of shape; by default none are.
    """
    out = []
    for kind in ("part", "hole"):
        ours = [f for f in program if f.kind == kind]
        nodes = ours + [f for f in drawing if f.kind == kind]
        clusters = _Partition(len(nodes))
        linked = [False] * len(nodes)
        for i, a in enumerate(ours):
            for j in range(len(ours), len(nodes)):
                b = nodes[j]
                if a.pixels & b.pixels or (a.outer and b.outer):
                    linked[i] = linked[j] = True
                    clusters.join(i, j)
        members: dict[int, list[int]] = {}
        for i in range(len(nodes)):
            members.setdefault(clusters.find(i), []).append(i)
        for cluster in members.values():
            strong_ours = [i for i in cluster if i < len(ours) and nodes[i].significant]
            strong_theirs = [i for i in cluster if i >= len(ours) and nodes[i].significant]
            for i in strong_ours + strong_theirs:
                if not linked[i]:
                    what = "added" if i < len(ours) else "missing"
                    out.append(Mismatch(what, kind, nodes[i].centre(size)))
            if _groups([nodes[i] for i in strong_theirs], near) > 1:
                out.append(Mismatch("joined", kind, nodes[strong_theirs[0]].centre(size)))
            if _groups([nodes[i] for i in strong_ours], near) > 1:
                where = strong_theirs[0] if strong_theirs else strong_ours[0]
                out.append(Mismatch("split", kind, nodes[where].centre(size)))
    return out


def _groups(features: list[Feature], near) -> int:
    """How many groups ``features`` form when features that are ``near`` count as one."""
    if len(features) < 2 or near is None:
        return len(features)
    groups = _Partition(len(features))
    for i, a in enumerate(features):
        for j in range(i + 1, len(features)):
            if groups.find(i) != groups.find(j) and near(a, features[j]):
                groups.join(i, j)
    return len({groups.find(i) for i in range(len(features))})


class ShapeMatch:
    """Compares packed program masks with one drawing's parts and holes.

    Args:
        drawing: the drawing's packed mask.
        size: the image side S.
        tolerance: the target's edge tolerance in canvas units.  The thick-material
            thresholds (:data:`ADDED_PX`, :data:`MISSING_PX`) are for hand drawings at
            the default of one unit; a tighter tolerance (a drawing of snapped shapes, an
            exact image) tightens them as much, to no less than one pixel.
    """

    def __init__(self, drawing: int, size: int, gap_px: int = NEAR_GAP_PX, tolerance: float = 1.0):
        self.size, self.packed = size, drawing
        tighter = max(0, round((1.0 - min(tolerance, 1.0)) * 4))  # pixels at 128×128
        self.added_px, self.missing_px = max(1, ADDED_PX - tighter), max(1, MISSING_PX - tighter)
        self.finder = FeatureFinder(size)
        self.drawing = self.finder.features(drawing)
        self.reach = max(0, round(gap_px * size / SCORE_SIZE)) // 2
        self._cache: dict[int, list[Mismatch]] = {}
        self._grown: dict[int, int] = {}

    def thick_differences(self, mask: int) -> list[Mismatch]:
        """Material the program adds (``added``) or leaves out (``missing``) that is thicker
        than edge displacement: where ``mask \\ drawing`` survives an erosion by
        :data:`ADDED_PX`, or ``drawing \\ mask`` one by :data:`MISSING_PX` (e.g. the corners
        of a box where the drawing has a pointed roof)."""
        out = []
        scale = self.size / SCORE_SIZE
        cases = (
            ("added", mask & ~self.packed, self.added_px),
            ("missing", self.packed & ~mask, self.missing_px),
        )
        for what, region, radius in cases:
            for _, core in self.finder.thick_pieces(region, max(1, round(radius * scale))):
                out.append(Mismatch(what, "material", message_point(core, self.size)))
        return out

    def _near(self, a: Feature, b: Feature) -> bool:
        """True when ``a`` and ``b`` are at most ``2 · reach`` pixels apart, or both reach
        into the border band (the outer background always does)."""
        edge = self.finder.full & ~self.finder.interior
        if (a.outer or a.pixels & edge) and (b.outer or b.pixels & edge):
            return True
        grown = []
        for f in (a, b):
            g = self._grown.get(f.pixels)
            if g is None:
                g = self.finder.bits.dilations(f.pixels, [self.reach])[0]
                if len(self._grown) > 4096:
                    self._grown.clear()
                self._grown[f.pixels] = g
            grown.append(g)
        return bool(grown[0] & grown[1])

    def mismatches(self, mask: int) -> list[Mismatch]:
        """The mismatches of one packed program mask (cached by mask)."""
        hit = self._cache.get(mask)
        if hit is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            hit = compare(self.finder.features(mask), self.drawing, self.size, self._near)
            hit += self.thick_differences(mask)
            self._cache[mask] = hit
        return hit


ADDED_PX = 3
"""Material a program adds beyond a drawing is a mismatch where it survives an erosion by
this (pixels at 128×128: a blob 7 pixels, 1.75 units, wide).  A drawing's edges are pushed
out by half its pen and wobble by about a unit, so true programs stay inside it; on
simulated drawings of refset-dev no true program that passes the tolerant score adds
material this thick."""
MISSING_PX = 4
"""Material of a drawing a program leaves out is a mismatch where it survives an erosion by
this (9 pixels, 2.25 units, wide): a drawing's pen and wobble add up to about 2 units."""


STROKE_GAP_PX = 2
"""Sketch strokes closer than twice this (pixels at 128×128) belong to one line: it
bridges the pen lifts of :func:`inference.targets.sketch.simulate_sketch` (up to 0.8 units)."""
STROKE_FAR_PX = 8
"""Ink farther than this from every program edge (pixels at 128×128: two units, the outline
fit's larger tolerance) is drawn for no edge of the program.  On simulated sketches of
refset-dev no true program that passes the outline fit leaves any such ink."""
STROKE_REACH_PX = 4
"""An edge of the program is drawn where ink lies within this (one unit)."""
MIN_STROKE_MATCH = 0.5
"""The share of a program part's or hole's edge that must lie within reach of ink."""


class StrokeMatch:
    """Compares packed program masks with one outline sketch, line by line.

    An outline sketch has no inside to compare, so parts and holes are compared
    by their lines:

    * a stretch of ink at least a significant feature's width long and farther
      than :data:`STROKE_FAR_PX` from every edge of the program is a part or hole
      the program is *missing*;
    * a significant part or hole of the program whose edge mostly lies farther
      than :data:`STROKE_REACH_PX` from the ink is one it *added*.

    A shape and its complement share their outline, so this cannot tell them
    apart (see :mod:`inference.targets.outline_fit`).  Like parts and holes, ink within the
    border band (:data:`BORDER_BAND_PX`) is left out.

    Args:
        ink: the sketch's packed strokes.
        size: the image side S.
    """

    def __init__(self, ink: int, size: int):
        self.size = size
        self.finder = FeatureFinder(size)
        scale = size / SCORE_SIZE
        self.ink = ink & self.finder.interior
        self.far = max(1, round(STROKE_FAR_PX * scale))
        self.gap = max(1, round(STROKE_GAP_PX * scale))
        self.longest = self.finder.significant_px * 2 + 1
        self.ink_near = self.finder.bits.dilations(ink, [max(1, round(STROKE_REACH_PX * scale))])[0]
        self._cache: dict[int, list[Mismatch]] = {}

    def mismatches(self, mask: int) -> list[Mismatch]:
        """The mismatches of one packed program mask (cached by mask)."""
        hit = self._cache.get(mask)
        if hit is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            hit = self._compare(mask)
            self._cache[mask] = hit
        return hit

    def _compare(self, mask: int) -> list[Mismatch]:
        bits, out = self.finder.bits, []
        edge = bits.outline(mask)
        far = self.ink & ~bits.dilations(edge, [self.far])[0]
        if far:
            for line in self.finder.components(bits.dilations(far, [self.gap])[0], True):
                if max(_extent(line & far, self.size)) >= self.longest:
                    out.append(Mismatch("missing", "line", message_point(line & far, self.size)))
        for feature in self.finder.features(mask):
            if not feature.significant or feature.outer:
                continue
            pixels = feature.pixels
            loop = edge & (pixels if feature.kind == "part" else bits.grow(pixels, True))
            if loop and (loop & self.ink_near).bit_count() < MIN_STROKE_MATCH * loop.bit_count():
                out.append(Mismatch("added", feature.kind, message_point(pixels, self.size)))
        return out


def _extent(pixels: int, size: int) -> tuple[int, int]:
    """The height and width (pixels) of the bounding box of packed ``pixels``."""
    rows = [i for i in range(size) if (pixels >> (i * size)) & ((1 << size) - 1)]
    column_bits = 0
    for i in rows:
        column_bits |= (pixels >> (i * size)) & ((1 << size) - 1)
    first_column = (column_bits & -column_bits).bit_length()
    return rows[-1] - rows[0] + 1, column_bits.bit_length() - first_column + 1


def message_point(pixels: int, size: int) -> tuple[float, float]:
    """A point of packed ``pixels`` in canvas units (x, y), for messages: the pixel nearest
    their mean, so that a region wrapped around something is not placed inside it."""
    raw = np.frombuffer(pixels.to_bytes((size * size + 7) // 8, "little"), np.uint8)
    rows, cols = np.nonzero(
        np.unpackbits(raw, bitorder="little")[: size * size].reshape(size, size)
    )
    near = int(np.argmin((rows - rows.mean()) ** 2 + (cols - cols.mean()) ** 2))
    scale = 32 / size
    return ((float(cols[near]) + 0.5) * scale, (float(rows[near]) + 0.5) * scale)
