"""Exact vector geometry of CSG2D programs (shapely 2).

Conventions follow DESIGN.md §1: canvas units 0..32 with the y axis pointing
down; ``Circle r x y`` is the disc of centre (2x, 2y) and radius 2r;
``Quad x y w h a`` is the rectangle of centre (2x, 2y), width 2w and height 2h,
rotated by ``a`` degrees so that the offset (dx, dy) maps to
(dx·cos a − dy·sin a, dx·sin a + dy·cos a).  A zero radius, width or height is
empty.  ``+`` is union and ``-`` is difference, evaluated as a true tree.

Every result is clipped to the canvas square [0, 32]², so that vector exports
and areas describe exactly what a render shows.  Circles are polygonized with
``4 * quad_segs`` vertices (inscribed); the default of 64 gives an area error
of about 1e-4 relative, and :func:`exact_area` uses a finer polygon still.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from inference.lang.tree import BINOP, CIRCLE, QUAD, Node, circle, quad

CANVAS = 32.0
"""Side of the canvas in units."""

_CANVAS_BOX = box(0.0, 0.0, CANVAS, CANVAS)
_EXACT_AREA_SEGS = 512


def _cos_sin(degrees: int) -> tuple[float, float]:
    """Cosine and sine of a multiple of 45°, with exact zeros and ones."""
    rad = math.radians(degrees)
    c, s = math.cos(rad), math.sin(rad)
    if degrees % 90 == 0:
        c, s = float(round(c)), float(round(s))
    return c, s


def quad_corners(node: Node) -> np.ndarray:
    """The four corners of a ``Quad`` node in canvas units, shape (4, 2).

    The corners run (−w, −h), (w, −h), (w, h), (−w, h) before rotation.
    """
    x, y, w, h, a = (c.value for c in node.children)
    cx, cy, hw, hh = 2.0 * x, 2.0 * y, float(w), float(h)
    c, s = _cos_sin(a)
    offs = np.array([(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)])
    dx = offs[:, 0] * c - offs[:, 1] * s
    dy = offs[:, 0] * s + offs[:, 1] * c
    return np.stack([cx + dx, cy + dy], axis=1)


def quad_corners_array(values: np.ndarray) -> np.ndarray:
    """The corners of many quads at once, shape (n, 4, 2), as :func:`quad_corners` gives them.

    Args:
        values: integer array of shape (n, 5), one ``(x, y, w, h, angle)`` row
            per quad (angle in degrees, a multiple of 45).
    """
    v = np.asarray(values, dtype=np.int64).reshape(-1, 5)
    table = np.array([_cos_sin(a) for a in range(0, 360, 45)])
    cs = table[(v[:, 4] // 45) % 8]
    c, s = cs[:, 0:1], cs[:, 1:2]
    hw, hh = v[:, 2:3].astype(np.float64), v[:, 3:4].astype(np.float64)
    ox = np.array([-1.0, 1.0, 1.0, -1.0]) * hw
    oy = np.array([-1.0, -1.0, 1.0, 1.0]) * hh
    dx = ox * c - oy * s
    dy = ox * s + oy * c
    return np.stack([2.0 * v[:, 0:1] + dx, 2.0 * v[:, 1:2] + dy], axis=2)


def _primitive(node: Node, quad_segs: int) -> BaseGeometry:
    if node.kind == CIRCLE:
        r, x, y = (c.value for c in node.children)
        if r == 0:
            return Polygon()
        return Point(2.0 * x, 2.0 * y).buffer(2.0 * r, quad_segs=quad_segs)
    _, _, w, h, _ = (c.value for c in node.children)
    if w == 0 or h == 0:
        return Polygon()
    return Polygon(quad_corners(node))


def _unclipped(node: Node, quad_segs: int) -> BaseGeometry:
    if node.kind in (CIRCLE, QUAD):
        return _primitive(node, quad_segs)
    if node.kind != BINOP:
        raise ValueError(f"not a shape node: {node.kind}")
    operator, left, right = node.children
    a = _unclipped(left, quad_segs)
    b = _unclipped(right, quad_segs)
    if operator.value == "+":
        return shapely.union(a, b)
    return shapely.difference(a, b)


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """Keep only the areal parts of ``geom`` (drop stray lines and points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    polys: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon) and not part.is_empty:
            polys.append(part)
        elif isinstance(part, MultiPolygon | shapely.GeometryCollection):
            sub = _polygonal(part)
            polys.extend(sub.geoms if isinstance(sub, MultiPolygon) else [sub])
    polys = [p for p in polys if not p.is_empty]
    if not polys:
        return Polygon()
    return MultiPolygon(polys) if len(polys) > 1 else polys[0]


def shape_of(node: Node, quad_segs: int = 64) -> Polygon | MultiPolygon:
    """The region a shape node covers, as a shapely (Multi)Polygon.

    Args:
        node: a ``SHAPE`` node (circle, quad or binop).
        quad_segs: circle vertices per quarter turn.

    Returns:
        A Polygon or MultiPolygon (possibly empty, possibly with holes) in
        canvas units, y down, clipped to [0, 32]².
    """
    geom = shapely.intersection(_unclipped(node, quad_segs), _CANVAS_BOX)
    return _polygonal(geom)


def exact_area(node: Node) -> float:
    """Area of the shape inside the canvas, in square units (canvas = 1024).

    Circles use ``4 * 512`` vertices, so the relative area error is below 1e-5.
    """
    return float(shape_of(node, quad_segs=_EXACT_AREA_SEGS).area)


def outline_rings(node: Node, quad_segs: int = 64) -> list[np.ndarray]:
    """Every exterior and interior ring of the shape, as closed (k, 2) arrays.

    Each array repeats its first vertex at the end.  Exterior rings come
    before the holes of the same polygon; polygons follow shapely's order.
    """
    geom = shape_of(node, quad_segs)
    polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    rings: list[np.ndarray] = []
    for poly in polys:
        if poly.is_empty:
            continue
        rings.append(np.asarray(poly.exterior.coords, dtype=np.float64))
        rings.extend(np.asarray(r.coords, dtype=np.float64) for r in poly.interiors)
    return rings


def _clamp(v: float) -> int:
    return int(min(15, max(1, round(v))))


def shape_like(node: Node, kind: str) -> Node:
    """A circle or quad (``kind``) at about the place and size of ``node``'s shape."""
    geom = shape_of(node, quad_segs=8)
    if geom.is_empty:
        return circle(4, 8, 8) if kind == "circle" else quad(8, 8, 4, 4, 0)
    x0, y0, x1, y1 = geom.bounds  # canvas units; a value v is 2v units
    x, y = round((x0 + x1) / 4), round((y0 + y1) / 4)
    x, y = min(15, max(0, x)), min(15, max(0, y))
    if kind == "circle":
        return circle(_clamp(max(x1 - x0, y1 - y0) / 4), x, y)
    return quad(x, y, _clamp((x1 - x0) / 2), _clamp((y1 - y0) / 2), 0)
