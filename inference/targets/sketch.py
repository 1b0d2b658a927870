"""Simulated hand-drawn sketches of a program's outline (DESIGN.md §2, CSG2D-Sketch).

Convention: :func:`simulate_sketch` returns a float32 ``(size, size)`` array
in [0, 1] where **1 is ink** and 0 is paper (the pixel's ink coverage).
Display it black on white as ``1 - sketch``.  Pixels follow DESIGN.md §1:
row ``i``, column ``j`` covers canvas square ``[j, j+1) × [i, i+1)`` · 32/size.

What is drawn is the outline a person would draw: the boundary of the
program's *boolean result* (from :func:`inference.render.geometry.outline_rings`),
never the hidden edges of the primitives.  Jittering every primitive on its
own (the paper's description) would leave slivers where shapes share an edge
(``A − B`` with B flush with A's side), so the jitter is applied to the exact
outline instead, with the same magnitudes:

1. Each ring is moved as a whole by a random similarity, like a jittered
   primitive: offset N(0, 0.5) units per axis, rotation N(0, 1°), and a
   per-axis scale that changes its extent by N(0, 0.5) units.
2. Every vertex is nudged by N(0, 0.08) units, and each edge longer than
   2 units gets extra control points near 50 % and 75 % of its length,
   pushed sideways by N(0, 0.15) units.  Circles come out as jittered
   polylines (the ring is simplified to 0.05 units first, so a circle's
   vertex count follows its radius).
3. A centripetal Catmull-Rom curve is drawn through the control points;
   turns sharper than 50° (quad corners) stay sharp.
4. Pen lifts: a stroke is cut at random places (about one cut per 40 units
   of length) leaving gaps of 0.1–0.8 units, and a closed ring ends with a
   small gap or overlap at its start.  Outline parts that only come from
   clipping at the canvas border are not drawn.
5. One stroke width per sketch, uniform in 0.05–0.5 units, drawn at least one
   output pixel wide so that every stroke is visible, anti-aliased by
   drawing on a 4× supersampled canvas and averaging.
"""

from __future__ import annotations

import numpy as np
import shapely
from PIL import Image, ImageDraw

from inference.lang.tree import Node
from inference.render.geometry import CANVAS, outline_rings

POSITION_SIGMA = 0.5
SIZE_SIGMA = 0.5
ANGLE_SIGMA_DEG = 1.0
VERTEX_SIGMA = 0.08
CONTROL_SIGMA = 0.15
STROKE_WIDTH = (0.05, 0.5)
DRAWING_PEN = (0.5, 1.5)
"""Pen width range of simulated filled drawings, canvas units (the sketch pad's default: 1)."""
_SIMPLIFY = 0.05
_STEP = 0.25  # curve sample spacing, units
_LIFT_EVERY = 40.0  # mean stroke length between pen lifts, units
_SUPERSAMPLE = 4
_CORNER_COS = np.cos(np.radians(50.0))  # turns sharper than 50° stay corners


def simulate_sketch(node: Node, rng: np.random.Generator, size: int = 128) -> np.ndarray:
    """A random hand-drawn outline of ``node``: float32 ``(size, size)``, 1 = ink.

    The same ``rng`` state gives the same sketch.  An empty shape gives a
    blank (all-zero) image.
    """
    strokes = []
    for points, closed in _outline_paths(node):
        curve = _curve(_control_points(points, closed, rng), closed)
        strokes += _pen_lifts(curve, closed, rng)
    width = rng.uniform(*STROKE_WIDTH)
    return _rasterize(strokes, width, size)


def simulate_drawing(
    node: Node,
    rng: np.random.Generator,
    size: int = 128,
    pen_width: float | None = None,
    jitter: float = 1.0,
) -> np.ndarray:
    """A random hand-drawn *filled* version of ``node``: float32 ``(size, size)``, 1 = inside.

    Drawn as a person fills a shape on the sketch pad: every ring of the shape
    (canvas-border edges included) is jittered and drawn as a curve exactly as
    :func:`simulate_sketch` does, without pen lifts; the rings are filled
    even-odd, so holes stay holes, and the curves are also inked with a pen
    ``pen_width`` units wide (default: uniform in :data:`DRAWING_PEN`), so an
    outline pushes the shape's edge out by half the pen width and a hole's
    edge in.  ``jitter`` scales how far each ring as a whole is moved, scaled
    and turned (1: the sketches' magnitudes; smaller: a careful drawing along
    the pad's grid).  The values are area coverage (anti-aliased); binarize
    at 0.5 for a mask.  :mod:`inference.targets.drawn_score` is calibrated on these.
    """
    if pen_width is None:
        pen_width = float(rng.uniform(*DRAWING_PEN))
    big = size * _SUPERSAMPLE
    scale = big / CANVAS
    inside = np.zeros((big, big), dtype=bool)
    curves = [
        _curve(_control_points(ring[:-1], True, rng, jitter), True)
        for ring in _simplified_rings(node)
    ]
    paths = [(curve * scale - 0.5).ravel().tolist() for curve in curves]  # pixel coordinates
    for xy in paths:
        image = Image.new("1", (big, big), 0)
        ImageDraw.Draw(image).polygon(xy, fill=1)
        inside ^= np.asarray(image, dtype=bool)
    if pen_width > 0:
        image = Image.new("1", (big, big), 0)
        draw = ImageDraw.Draw(image)
        for xy in paths:
            draw.line(xy, fill=1, width=max(1, round(pen_width * scale)), joint="curve")
        inside |= np.asarray(image, dtype=bool)
    small = Image.fromarray(inside.astype(np.uint8) * 255).resize(
        (size, size), Image.Resampling.BOX
    )
    return np.asarray(small, dtype=np.float32) / 255.0


def _simplified_rings(node: Node) -> list[np.ndarray]:
    """The shape's rings simplified to :data:`_SIMPLIFY` units (closed, first point repeated)."""
    rings = outline_rings(node, quad_segs=16)
    if not rings:
        return []
    simple = shapely.simplify([shapely.LineString(r) for r in rings], _SIMPLIFY)
    out = [shapely.get_coordinates(line) for line in simple]
    return [ring for ring in out if len(ring) >= 4]


def _outline_paths(node: Node) -> list[tuple[np.ndarray, bool]]:
    """Simplified outline rings, with canvas-border edges cut out.

    Returns ``(points, closed)`` pairs; a closed path does not repeat its
    first point.
    """
    paths = []
    for ring in _simplified_rings(node):
        paths += _split_at_border(ring)
    return paths


def _split_at_border(ring: np.ndarray) -> list[tuple[np.ndarray, bool]]:
    a, b = ring[:-1], ring[1:]
    eps = 1e-6
    on_border = np.zeros(len(a), dtype=bool)
    for axis in (0, 1):
        for edge in (0.0, CANVAS):
            on_border |= (np.abs(a[:, axis] - edge) < eps) & (np.abs(b[:, axis] - edge) < eps)
    if not on_border.any():
        return [(ring[:-1], True)]
    first = int(np.argmax(on_border))
    order = np.roll(np.arange(len(a)), -first - 1)  # start right after a border edge
    paths, run = [], []
    for i in order:
        if on_border[i]:
            if run:
                paths.append((np.array([a[run[0]]] + [b[j] for j in run]), False))
            run = []
        else:
            run.append(i)
    return paths


def _control_points(
    points: np.ndarray, closed: bool, rng: np.random.Generator, jitter: float = 1.0
) -> np.ndarray:
    """Jitter a path as a whole, nudge its vertices and add mid-edge points (``jitter``
    scales the whole-path offset, size and angle noise)."""
    centre = points.mean(axis=0)
    extent = np.maximum(points.max(axis=0) - points.min(axis=0), 1.0)
    scale = np.clip(1.0 + rng.normal(0.0, SIZE_SIGMA * jitter, 2) / extent, 0.5, 1.5)
    theta = np.radians(rng.normal(0.0, ANGLE_SIGMA_DEG * jitter))
    c, s = np.cos(theta), np.sin(theta)
    rel = ((points - centre) * scale) @ np.array([[c, s], [-s, c]])
    pts = centre + rel + rng.normal(0.0, POSITION_SIGMA * jitter, 2)
    pts = pts + rng.normal(0.0, VERTEX_SIGMA, pts.shape)
    starts = pts if closed else pts[:-1]
    d = (np.roll(pts, -1, axis=0) if closed else pts[1:]) - starts  # (E, 2) edge vectors
    length = np.hypot(d[:, 0], d[:, 1])
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.maximum(length, 1e-9)[:, None]
    t = np.array([0.5, 0.75]) + rng.normal(0.0, 0.03, (len(d), 2))  # (E, 2)
    side = rng.normal(0.0, CONTROL_SIGMA, (len(d), 2))
    extra = starts[:, None] + t[..., None] * d[:, None] + side[..., None] * normal[:, None]
    groups = np.concatenate([starts[:, None], extra], axis=1)  # (E, 3, 2)
    keep = np.ones((len(d), 3), dtype=bool)
    keep[:, 1:] = (length > 2.0)[:, None]
    out = groups[keep]
    return out if closed else np.concatenate([out, pts[-1:]])


def _curve(points: np.ndarray, closed: bool) -> np.ndarray:
    """Centripetal Catmull-Rom curve through ``points``, sampled every ~0.25 units.

    Turns sharper than 50° stay sharp corners: there each curve piece ends as
    an open curve would (its outer neighbour is the reflection of the next
    point).  A closed result repeats its first point at the end.
    """
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.hypot(*np.diff(points, axis=0).T) > 1e-6
    if closed:
        keep[0] = np.hypot(*(points[0] - points[-1])) > 1e-6
    p = points[keep]
    if len(p) < 2 or (closed and len(p) < 3):
        return np.concatenate([p, p[:1]]) if closed else p
    prev, nxt = np.roll(p, 1, axis=0), np.roll(p, -1, axis=0)
    d_in, d_out = p - prev, nxt - p
    norms = np.maximum(np.hypot(*d_in.T) * np.hypot(*d_out.T), 1e-12)
    cos_turn = np.sum(d_in * d_out, axis=1) / norms
    corner = cos_turn < _CORNER_COS
    if not closed:
        corner[[0, -1]] = True
    seg = np.arange(len(p) if closed else len(p) - 1)
    p1, p2 = p[seg], nxt[seg]
    c1, c2 = corner[seg], np.roll(corner, -1)[seg]
    p0 = np.where(c1[:, None], 2 * p1 - p2, prev[seg])
    p3 = np.where(c2[:, None], 2 * p2 - p1, np.roll(p, -2, axis=0)[seg])
    curve = _catmull_rom(p0, p1, p2, p3)
    return np.concatenate([curve, p[:1] if closed else p[-1:]])


def _catmull_rom(p0, p1, p2, p3) -> np.ndarray:
    """Sample centripetal Catmull-Rom segments p1→p2 (each (M, 2)), end points excluded."""
    d01, d12, d23 = (
        np.maximum(np.hypot(*(b - a).T), 1e-6) for a, b in ((p0, p1), (p1, p2), (p2, p3))
    )
    k1, k2, k3 = np.sqrt(d01), np.sqrt(d12), np.sqrt(d23)
    n = np.maximum(1, np.ceil(d12 / _STEP)).astype(int)
    seg = np.repeat(np.arange(len(n)), n)
    u = np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)
    u = (u / n[seg])[:, None]
    t1, t2, t3 = k1[seg, None], (k1 + k2)[seg, None], (k1 + k2 + k3)[seg, None]
    t = t1 + u * (t2 - t1)
    q0, q1, q2, q3 = p0[seg], p1[seg], p2[seg], p3[seg]
    a1 = ((t1 - t) * q0 + t * q1) / t1
    a2 = ((t2 - t) * q1 + (t - t1) * q2) / (t2 - t1)
    a3 = ((t3 - t) * q2 + (t - t2) * q3) / (t3 - t2)
    b1 = ((t2 - t) * a1 + t * a2) / t2
    b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1)
    return ((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1)


def _pen_lifts(curve: np.ndarray, closed: bool, rng: np.random.Generator) -> list[np.ndarray]:
    """Cut a sampled curve into strokes with small gaps; end closed rings loosely."""
    if closed:
        start = int(rng.integers(len(curve) - 1))
        curve = np.concatenate([curve[start:-1], curve[: start + 1]])
        extra = int(round(rng.uniform(-0.5, 1.0) / _STEP))
        curve = np.concatenate([curve, curve[1 : 1 + extra]]) if extra > 0 else curve
        curve = curve[: len(curve) + extra] if extra < 0 else curve
    length = _STEP * len(curve)
    cuts = np.sort(rng.uniform(0.0, length, rng.poisson(length / _LIFT_EVERY)))
    strokes, begin = [], 0
    for cut in cuts:
        end = int(cut / _STEP)
        gap = int(np.ceil(rng.uniform(0.1, 0.8) / _STEP))
        if end - begin >= 2:
            strokes.append(curve[begin:end])
        begin = max(begin, end + gap)
    if len(curve) - begin >= 2:
        strokes.append(curve[begin:])
    return strokes


def _rasterize(strokes: list[np.ndarray], width: float, size: int) -> np.ndarray:
    """Draw polylines (canvas units) anti-aliased; returns ink coverage in [0, 1]."""
    big = size * _SUPERSAMPLE
    scale = big / CANVAS
    width_px = max(1, round(max(width * scale, _SUPERSAMPLE)))
    image = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(image)
    joint = "curve" if width_px > _SUPERSAMPLE else None  # thin lines need no round joints
    for stroke in strokes:
        xy = (stroke * scale - 0.5).ravel().tolist()
        draw.line(xy, fill=255, width=width_px, joint=joint)
    small = image.resize((size, size), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0
