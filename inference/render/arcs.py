"""Outlines of a program's shape with true circular arcs, for fabrication exports.

The region a program covers is bounded by pieces of quad sides, canvas sides
and circles.  :func:`outlines` returns each boundary ring as a closed chain of
:class:`Piece` objects: straight lines, and arcs that lie exactly on one of the
program's circles (centre and radius as written in the program).  A ring that
is a whole circle comes back as one piece of sweep ±2π.

Method
------
1. **Boolean result by polygons.**  Each distinct circle becomes an inscribed
   regular polygon with ``segments`` vertices; vertex k sits at angle
   2πk/segments from the centre, so every edge of it is a known *chord*.
   shapely evaluates the tree (union as one ``union_all`` over all the operands
   of a run of ``+`` nodes, duplicates dropped; ``(- (- A B) C)`` as
   A − (B ∪ C); equal subtrees evaluated once) and clips it to the canvas,
   which gives the same region as :func:`inference.render.geometry.shape_of` up to
   the polygonization.
2. **Which edges lie on a circle.**  An edge of the result is part of one
   input edge.  It lies on circle C's polygon exactly when its two end points
   and its midpoint lie on C's polygon boundary (C's polygon is convex, so a
   segment whose midpoint touches the boundary lies along it).  A point p is on
   that boundary when, with k the chord sector of p's angle about C's centre c
   and u the unit vector at the middle angle of that chord,
   (p − c)·u = R·cos(π/segments), within ``1e-7`` units.  Every edge is tested
   against all the program's distinct centres at once (numpy), with the
   radii of each centre looked up, so the cost grows with the number of
   outline edges, not with their product with the circles.  No chord is
   parallel to a quad or canvas side (chord normals sit at odd multiples of
   π/segments, quad sides at multiples of π/4), so straight edges are never
   taken for chords.
3. **Runs become arcs.**  Each maximal run of consecutive edges on one circle
   is replaced by one arc of that circle; its sweep is the sum of the edges'
   turning angles about the centre, so arcs over 180° keep their direction.
   A ring whose every edge lies on one circle is that full circle.
4. **Exact junctions.**  A vertex where a run meets something else was
   computed by shapely on the chords, up to the chord's sagitta
   R·(1 − cos(π/segments)) away from the true corner.  It is moved to the
   exact intersection of the two carriers (circle∩circle, or circle∩line where
   the line is the straight neighbour's own line through its two end points),
   taking the nearest candidate within 2·√(2·R·sagitta) (the farthest a
   crossing of the polygons can be from the circles' own, at a grazing angle;
   two circles that touch then meet at their touching point, and a sliver
   between them closes up and is dropped).  Where there is none (inscribed
   polygons can cross where a circle just inside another does not), each arc
   ends at the vertex projected onto its own circle and a short line joins the
   two ends, so every arc still lies exactly on its circle.

Coordinates are canvas units with y pointing down (DESIGN.md §1).  Sweeps are
signed angles in that frame: positive turns from +x towards +y, which is
clockwise on screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import shapely
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from inference.lang.tree import BINOP, CIRCLE, Node
from inference.render.geometry import CANVAS, quad_corners_array

DEFAULT_SEGMENTS = 256
"""Vertices of each circle's polygon while the boolean result is computed."""
ON_TOLERANCE = 1e-7
"""How far (canvas units) a point may be from a chord line and still count as on it."""
SNAP_REACH = 2.0
"""An exact junction is used when it lies within this many times √(2·R·sagitta) of
shapely's vertex: where a polygon edge crosses a circle's polygon at a grazing
angle, the crossing can be that far from the circles' own."""

TINY = 1e-9
"""Straight pieces shorter than this (units) are merged into a straight neighbour."""
MIN_AREA = 1e-9
"""Polygons and holes of a smaller area (square units) are slivers of the overlay, dropped."""

_CANVAS_BOX = box(0.0, 0.0, CANVAS, CANVAS)
_EMPTY = Polygon()
_CHUNK = 1 << 21  # points × centres per numpy block


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece of an outline, from ``start`` to ``end`` (canvas units, y down).

    A straight piece has ``centre`` None, ``radius`` 0 and ``sweep`` 0.  An arc
    has the circle's ``centre`` and ``radius`` and a signed ``sweep`` in
    radians (positive: from +x towards +y, clockwise on screen); its end
    points lie on the circle.
    """

    start: tuple[float, float]
    end: tuple[float, float]
    centre: tuple[float, float] | None = None
    radius: float = 0.0
    sweep: float = 0.0

    @property
    def is_arc(self) -> bool:
        """True for a circular arc."""
        return self.centre is not None


@dataclass(frozen=True, slots=True)
class Outline:
    """One closed boundary ring: pieces in order, each starting where the last ended.

    ``hole`` is True for an interior ring (a hole of the polygon before it).
    """

    pieces: tuple[Piece, ...]
    hole: bool

    @property
    def area(self) -> float:
        """Signed area enclosed (square units): positive when the ring runs the way
        a positive sweep turns, i.e. clockwise on screen."""
        total = 0.0
        for p in self.pieces:
            (x0, y0), (x1, y1) = p.start, p.end
            total += 0.5 * (x0 * y1 - x1 * y0)
            if p.is_arc:
                total += 0.5 * p.radius**2 * (p.sweep - math.sin(p.sweep))
        return total

    @property
    def full_circle(self) -> tuple[float, float, float] | None:
        """``(cx, cy, r)`` when the ring is one whole circle, else None."""
        if len(self.pieces) == 1 and self.pieces[0].is_arc:
            p = self.pieces[0]
            return (*p.centre, p.radius)
        return None


def outlines(node: Node, segments: int = DEFAULT_SEGMENTS) -> list[Outline]:
    """The boundary of ``node``'s shape (clipped to the canvas) as lines and exact arcs.

    Args:
        node: a shape node.
        segments: vertices per circle polygon while shapely computes the
            boolean result (a multiple of 8, so quad and canvas sides are never
            parallel to a chord).

    Returns:
        Every ring of the shape: each polygon's exterior, then its holes.  An
        empty shape gives an empty list.
    """
    if segments < 8 or segments % 8:
        raise ValueError("segments must be a positive multiple of 8")
    geom, circles = polygon_shape(node, segments)
    rings: list[tuple[np.ndarray, bool]] = []
    for poly in shapely.get_parts(geom):
        if poly.area < MIN_AREA:
            continue
        rings.append((_open(poly.exterior), False))
        rings.extend((_open(r), True) for r in poly.interiors if Polygon(r).area >= MIN_AREA)
    if not rings:
        return []
    starts = np.concatenate([ring for ring, _ in rings])
    ends = np.concatenate([np.roll(ring, -1, axis=0) for ring, _ in rings])
    labels = _edge_circles(starts, ends, circles, segments)
    result, at = [], 0
    for ring, hole in rings:
        n = len(ring)
        outline = Outline(tuple(_ring_pieces(ring, labels[at : at + n], circles, segments)), hole)
        if abs(outline.area) >= MIN_AREA:  # exact junctions can close up a sliver
            result.append(outline)
        at += n
    return result


def polygon_shape(node: Node, segments: int = DEFAULT_SEGMENTS) -> tuple[BaseGeometry, np.ndarray]:
    """The shape as polygons, clipped to the canvas, and the program's distinct circles.

    Returns:
        ``(geometry, circles)``: a Polygon or MultiPolygon (possibly empty) in
        canvas units, and a float array of shape (m, 3) with ``(cx, cy, r)``
        of every distinct circle of nonzero radius in the program.
    """
    cache, circles = _primitives(node, segments)
    geom = _evaluate(node, cache)
    parts = shapely.get_parts(shapely.intersection(geom, _CANVAS_BOX))
    polys = [p for p in parts if isinstance(p, Polygon) and not p.is_empty]
    shape = shapely.multipolygons(polys) if len(polys) > 1 else (polys[0] if polys else Polygon())
    return shape, circles


# --- evaluation ----------------------------------------------------------------


def _primitives(node: Node, segments: int) -> tuple[dict[Node, BaseGeometry], np.ndarray]:
    """Polygons of the distinct primitives under ``node``, built in two numpy passes.

    Returns the polygons by node (the start of the evaluation cache) and the
    distinct nonempty circles as ``(cx, cy, r)`` rows.
    """
    seen: set[Node] = set()
    found: dict[Node, None] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n.kind == BINOP:
            stack.extend((n.children[1], n.children[2]))
        else:
            found.setdefault(n)
    cache: dict[Node, BaseGeometry] = {}
    round_nodes = [n for n in found if n.kind == CIRCLE and n.children[0].value]
    quad_nodes = [
        n for n in found if n.kind != CIRCLE and n.children[2].value * n.children[3].value
    ]
    for n in found:
        cache[n] = _EMPTY  # empty unless built below
    circles = np.array(
        [
            [2.0 * c.children[1].value, 2.0 * c.children[2].value, 2.0 * c.children[0].value]
            for c in round_nodes
        ],
        dtype=np.float64,
    ).reshape(-1, 3)
    if len(circles):
        t = np.arange(segments) * (2.0 * math.pi / segments)
        xs = circles[:, 0:1] + circles[:, 2:3] * np.cos(t)
        ys = circles[:, 1:2] + circles[:, 2:3] * np.sin(t)
        cache.update(zip(round_nodes, shapely.polygons(np.stack([xs, ys], axis=2)), strict=True))
    if quad_nodes:
        values = np.array([[c.value for c in n.children] for n in quad_nodes])
        cache.update(zip(quad_nodes, shapely.polygons(quad_corners_array(values)), strict=True))
    return cache, circles


def _evaluate(node: Node, cache: dict[Node, BaseGeometry]) -> BaseGeometry:
    """Region of ``node`` (unclipped), evaluating equal subtrees once."""
    geom = cache.get(node)
    if geom is not None:
        return geom
    if node.children[0].value == "+":
        operands = [_evaluate(n, cache) for n in _union_operands(node)]
        operands = [g for g in operands if not g.is_empty]
        geom = shapely.union_all(operands) if len(operands) > 1 else _first(operands)
    else:
        base, cuts = _difference_chain(node)
        geom = _evaluate(base, cache)
        if not geom.is_empty:
            cut = [_evaluate(n, cache) for n in cuts]
            cut = [g for g in cut if not g.is_empty and _boxes_meet(g, geom)]
            if cut:
                geom = shapely.difference(geom, shapely.union_all(cut) if len(cut) > 1 else cut[0])
    cache[node] = geom
    return geom


def _first(geoms: list[BaseGeometry]) -> BaseGeometry:
    return geoms[0] if geoms else _EMPTY


def _union_operands(node: Node) -> list[Node]:
    """The distinct operands of the run of ``+`` nodes rooted at ``node``."""
    seen: dict[Node, None] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if n.kind == BINOP and n.children[0].value == "+":
            stack.extend((n.children[2], n.children[1]))
        else:
            seen.setdefault(n)
    return list(seen)


def _difference_chain(node: Node) -> tuple[Node, list[Node]]:
    """``(- (- A B) C)`` as ``(A, [B, C])``: A minus every later operand."""
    cuts = []
    while node.kind == BINOP and node.children[0].value == "-":
        cuts.append(node.children[2])
        node = node.children[1]
    return node, cuts[::-1]


def _boxes_meet(a: BaseGeometry, b: BaseGeometry) -> bool:
    ax0, ay0, ax1, ay1 = a.bounds
    bx0, by0, bx1, by1 = b.bounds
    return ax0 <= bx1 and bx0 <= ax1 and ay0 <= by1 and by0 <= ay1


# --- which edges lie on a circle -------------------------------------------------


def _open(ring) -> np.ndarray:
    coords = np.asarray(ring.coords, dtype=np.float64)[:, :2]
    return coords[:-1] if len(coords) > 1 and np.array_equal(coords[0], coords[-1]) else coords


def _edge_circles(
    starts: np.ndarray, ends: np.ndarray, circles: np.ndarray, segments: int
) -> np.ndarray:
    """For each edge ``starts[i] → ends[i]``, the index of the circle whose polygon it
    lies along, or -1 (see the module docstring, step 2)."""
    labels = np.full(len(starts), -1, dtype=np.int64)
    if not len(circles) or not len(starts):
        return labels
    centres, centre_of = np.unique(circles[:, :2], axis=0, return_inverse=True)
    radii, radius_of = np.unique(circles[:, 2], return_inverse=True)
    circle_at = np.full((len(centres), len(radii)), -1, dtype=np.int64)
    circle_at[centre_of.ravel(), radius_of.ravel()] = np.arange(len(circles))
    half = math.pi / segments
    mids = 0.5 * (starts + ends)
    step = max(1, _CHUNK // len(centres))
    for lo in range(0, len(mids), step):
        m = mids[lo : lo + step]
        d = m[:, None, :] - centres[None, :, :]
        sector = np.floor(np.arctan2(d[..., 1], d[..., 0]) / (2 * half)) % segments
        mid_angle = (2 * sector + 1) * half
        est = (d[..., 0] * np.cos(mid_angle) + d[..., 1] * np.sin(mid_angle)) / math.cos(half)
        j = _nearest_index(radii, est)
        ids = np.where(
            np.abs(est - radii[j]) < ON_TOLERANCE, circle_at[np.arange(len(centres)), j], -1
        )
        hit = ids >= 0
        rows = np.flatnonzero(hit.any(axis=1))
        cols = hit[rows].argmax(axis=1)
        labels[lo + rows] = ids[rows, cols]
    # the end points must lie on the same chord line as the midpoint
    edges = np.flatnonzero(labels >= 0)
    c = circles[labels[edges]]
    dm = mids[edges] - c[:, :2]
    sector = np.floor(np.arctan2(dm[:, 1], dm[:, 0]) / (2 * half)) % segments
    normal = np.stack([np.cos((2 * sector + 1) * half), np.sin((2 * sector + 1) * half)], 1)
    level = c[:, 2] * math.cos(half)
    for points in (starts, ends):
        off = np.abs(np.sum((points[edges] - c[:, :2]) * normal, axis=1) - level)
        labels[edges[off >= ON_TOLERANCE]] = -1
    return labels


def _nearest_index(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Index of the entry of ``sorted_values`` nearest to each element of ``x``."""
    if len(sorted_values) == 1:
        return np.zeros(x.shape, dtype=np.int64)
    j = np.clip(np.searchsorted(sorted_values, x), 1, len(sorted_values) - 1)
    return np.where(x - sorted_values[j - 1] < sorted_values[j] - x, j - 1, j)


# --- runs, arcs and exact junctions ------------------------------------------------


def _ring_pieces(
    ring: np.ndarray, labels: np.ndarray, circles: np.ndarray, segments: int
) -> list[Piece]:
    """One ring's pieces from its vertices and edge labels (module docstring, steps 3-4)."""
    n = len(ring)
    change = np.flatnonzero(labels != np.roll(labels, 1))
    if not len(change):
        cx, cy, r = circles[labels[0]].tolist() if labels[0] >= 0 else (0.0, 0.0, 0.0)
        turning = _turning(ring, cx, cy, closed=True) if labels[0] >= 0 else 0.0
        if abs(turning) < math.pi:  # straight edges only (or a sliver along one chord)
            pts = [tuple(p) for p in ring.tolist()]
            return _drop_tiny([Piece(pts[i], pts[(i + 1) % n]) for i in range(n)])
        sweep = math.copysign(2 * math.pi, turning)
        at = (cx + r, cy)
        return [Piece(at, at, (cx, cy), r, sweep)]
    order = np.roll(np.arange(n), -int(change[0]))
    ring, labels = ring[order], labels[order]
    bounds = [*np.flatnonzero(labels != np.roll(labels, 1)).tolist(), n]
    # raw pieces: (label, start vertex index, end vertex index, approximate sweep)
    raw: list[tuple[int, int, int, float]] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        label = int(labels[a])
        if label < 0:
            raw.extend((-1, i, i + 1, 0.0) for i in range(a, b))
        else:
            cx, cy, _ = circles[label]
            run = ring[np.arange(a, b + 1) % n]
            raw.append((label, a, b, _turning(run, cx, cy, closed=False)))
    vertex = [tuple(p) for p in ring.tolist()]
    # the exact point (or pair of points, when bridged) at each piece's start
    starts: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for k, (label, a, _, _) in enumerate(raw):
        prev = raw[k - 1]
        starts.append(_junction(prev, (label, a), vertex, circles, segments, n))
    pieces: list[Piece] = []
    for k, (label, _, _, approx) in enumerate(raw):
        begin = starts[k][1]
        finish = starts[(k + 1) % len(raw)][0]
        nxt_begin = starts[(k + 1) % len(raw)][1]
        if label < 0:
            pieces.append(Piece(begin, finish))
        else:
            cx, cy, r = circles[label].tolist()
            exact = _angle(finish, cx, cy) - _angle(begin, cx, cy)
            sweep = approx + _wrap(exact - approx)
            pieces.append(Piece(begin, finish, (cx, cy), r, sweep))
        if finish != nxt_begin:
            pieces.append(Piece(finish, nxt_begin))
    return _drop_tiny(pieces)


def _drop_tiny(pieces: list[Piece]) -> list[Piece]:
    """Remove pieces shorter than :data:`TINY` (straight, or arcs of next to no sweep),
    then join arcs of one circle that meet.

    A straight neighbour is stretched to close the gap, so arcs keep their exact
    end points where they can; between two arcs the next one starts earlier by
    less than :data:`TINY`.
    """
    out = list(pieces)
    k = 0
    while k < len(out) and len(out) > 1:
        p = out[k]
        if math.dist(p.start, p.end) >= TINY or abs(p.sweep) > math.pi:
            k += 1
            continue
        prev, nxt = out[k - 1], out[(k + 1) % len(out)]
        if nxt.is_arc and not prev.is_arc:
            out[k - 1] = replace(prev, end=p.end)
        else:
            out[(k + 1) % len(out)] = replace(nxt, start=p.start)
        del out[k]
    k = 0
    while len(out) > 1 and k < len(out):
        p, nxt = out[k], out[(k + 1) % len(out)]
        if (
            p.is_arc
            and (nxt.centre, nxt.radius) == (p.centre, p.radius)
            and p.sweep * nxt.sweep > 0
        ):
            out[k] = replace(p, end=nxt.end, sweep=p.sweep + nxt.sweep)
            del out[(k + 1) % len(out)]
            k = min(k, len(out) - 1) if k < len(out) else 0
        else:
            k += 1
    return out


def _junction(prev, here, vertex, circles, segments, n):
    """The exact corner between piece ``prev`` and the piece starting at vertex ``here``.

    Returns ``(end of prev, start of here)``: one point twice when the carriers
    meet near the vertex, else each vertex projected onto its own carrier.
    """
    label_a, a0, a1, _ = prev
    label_b, b0 = here
    v = vertex[b0 % n]
    if label_a < 0 and label_b < 0:
        return v, v
    carrier_a = _carrier(label_a, vertex[a0 % n], vertex[a1 % n], circles)
    carrier_b = _carrier(label_b, vertex[b0 % n], vertex[(b0 + 1) % n], circles)
    r = max(c[2] for c in (carrier_a, carrier_b) if c is not None and c[0] == "circle")
    sagitta = r * (1 - math.cos(math.pi / segments))
    limit = SNAP_REACH * math.sqrt(2 * r * sagitta) + ON_TOLERANCE
    if carrier_a is not None and carrier_b is not None:
        best = _nearest(_meet(carrier_a, carrier_b), v)
        if best is not None and math.dist(best, v) <= limit:
            return best, best
    return _project(carrier_a, v), _project(carrier_b, v)


def _carrier(label, p, q, circles):
    """``("circle", (cx, cy), r)`` or ``("line", p, q)``; None for a too-short line."""
    if label >= 0:
        cx, cy, r = circles[label].tolist()
        return ("circle", (cx, cy), r)
    if math.dist(p, q) < 1e-9:
        return None
    return ("line", p, q)


def _project(carrier, v):
    if carrier is None or carrier[0] == "line":
        return v
    (cx, cy), r = carrier[1], carrier[2]
    t = _angle(v, cx, cy)
    return (cx + r * math.cos(t), cy + r * math.sin(t))


def _meet(a, b) -> list[tuple[float, float]]:
    """Intersection points of two carriers (at least one a circle)."""
    if a[0] == "line":
        a, b = b, a
    (cx, cy), r = a[1], a[2]
    if b[0] == "line":
        return _line_circle(b[1], b[2], cx, cy, r)
    return _circle_circle(cx, cy, r, *b[1], b[2])


def _line_circle(p, q, cx, cy, r) -> list[tuple[float, float]]:
    dx, dy = q[0] - p[0], q[1] - p[1]
    fx, fy = p[0] - cx, p[1] - cy
    a = dx * dx + dy * dy
    b = 2 * (fx * dx + fy * dy)
    disc = b * b - 4 * a * (fx * fx + fy * fy - r * r)
    if disc < -1e-12 * a * r * r:  # misses (a tangent line may round to just below 0)
        return []
    root = math.sqrt(max(disc, 0.0))
    return [(p[0] + t * dx, p[1] + t * dy) for t in ((-b - root) / (2 * a), (-b + root) / (2 * a))]


def _circle_circle(x0, y0, r0, x1, y1, r1) -> list[tuple[float, float]]:
    d = math.hypot(x1 - x0, y1 - y0)
    slack = 1e-12 * (r0 + r1)  # tangent circles may round apart
    if d == 0 or d > r0 + r1 + slack or d < abs(r0 - r1) - slack:
        return []
    along = (d * d + r0 * r0 - r1 * r1) / (2 * d)
    h = math.sqrt(max(r0 * r0 - along * along, 0.0))
    ux, uy = (x1 - x0) / d, (y1 - y0) / d
    mx, my = x0 + along * ux, y0 + along * uy
    return [(mx - h * uy, my + h * ux), (mx + h * uy, my - h * ux)]


def _nearest(points, v):
    return min(points, key=lambda p: math.dist(p, v)) if points else None


def _angle(p, cx, cy) -> float:
    return math.atan2(p[1] - cy, p[0] - cx)


def _wrap(t: float) -> float:
    """``t`` wrapped into [-π, π)."""
    return (t + math.pi) % (2 * math.pi) - math.pi


def _turning(points: np.ndarray, cx: float, cy: float, closed: bool) -> float:
    """Sum of the angle steps about (cx, cy) along ``points`` (each step below π)."""
    t = np.arctan2(points[:, 1] - cy, points[:, 0] - cx)
    steps = np.diff(np.append(t, t[0]) if closed else t)
    return float(np.sum((steps + np.pi) % (2 * np.pi) - np.pi))


def bounds(rings: list[Outline]) -> tuple[float, float, float, float] | None:
    """``(xmin, ymin, xmax, ymax)`` of the outlines, arcs included exactly; None if none."""
    xs, ys = [], []
    for ring in rings:
        for p in ring.pieces:
            xs += (p.start[0], p.end[0])
            ys += (p.start[1], p.end[1])
            if not p.is_arc:
                continue
            (cx, cy), r = p.centre, p.radius
            t0 = math.atan2(p.start[1] - cy, p.start[0] - cx)
            lo, hi = sorted((t0, t0 + p.sweep))
            for k in range(math.ceil(lo / (math.pi / 2)), math.floor(hi / (math.pi / 2)) + 1):
                xs.append(cx + r * round(math.cos(k * math.pi / 2)))
                ys.append(cy + r * round(math.sin(k * math.pi / 2)))
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))
