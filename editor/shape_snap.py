"""Snapping a dragged box to one a program can draw exactly (DESIGN.md §1, docs/TINYSVG.md).

The sketch pad's rectangle and ellipse tools call :func:`shape_rect` while the grid
shows: a Quad is centred on a 2-unit grid with a half-size of whole units, a Circle
has an even radius.  On a TinySVG document they call :func:`svg_shape_rect`: a
TinySVG shape is a whole number of 6-pixel units wide and high, centred on the unit
grid through the canvas centre (112 + 6k px), so that it is one moved shape.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF

from inference.render.geometry import CANVAS
from inference.render.svg_scene import CANVAS as SVG_CANVAS
from inference.render.svg_scene import UNIT as SVG_UNIT

QUAD_CENTRES = tuple(range(0, 31, 2))
"""Where a program can centre a shape on one axis, in units: 2v for a value v of 0–15."""
QUAD_HALVES = tuple(range(1, 16))
"""A Quad's half-width or half-height in units: its value w (1–15; width 2w)."""
CIRCLE_HALVES = tuple(range(2, 31, 2))
"""A Circle's radius in units: 2r for a value r of 1–15."""


def shape_rect(
    start: QPointF, end: QPointF, snap: bool, square: bool, circle: bool = False
) -> QRectF:
    """The box a shape tool drags out from ``start`` to ``end`` (canvas units).

    With ``square`` the box is a square (its side the larger drag extent).
    With ``snap`` it becomes a box a program can fill exactly (DESIGN.md §1):
    on each axis a centre 2v and a half-size w, values 0–15 (a Quad's), or
    with ``circle`` (and ``square``) a half-size 2r (a Circle's radius).  Its
    edges are then 2v − w and 2v + w: any two whole units whose sum is a
    multiple of 4, so a drag from grid line to grid line across an odd number
    of 2-unit cells has no exact box.  The rule, on each axis (a square's two
    axes share one size; :func:`_snap_spans`):

    - the box's edge at the corner under the pointer lies at most one unit
      from the pointer, so it never lands on the far side of a grid cell;
    - among those, the box whose edges move least from where the button was
      pressed and released (least sum of squared moves); nearly always this
      is simply the nearest box a program can draw;
    - on a tie, the box that does not reach past the pointer.
    """
    dx, dy = end.x() - start.x(), end.y() - start.y()
    if square:
        side = max(abs(dx), abs(dy))
        dx, dy = math.copysign(side, dx), math.copysign(side, dy)
    x_span, y_span = (start.x(), start.x() + dx), (start.y(), start.y() + dy)
    if not snap:
        cx, cy, hx, hy = sum(x_span) / 2, sum(y_span) / 2, abs(dx) / 2, abs(dy) / 2
    elif square:
        halves = CIRCLE_HALVES if circle else QUAD_HALVES
        hx, (cx, cy) = _snap_spans([x_span, y_span], halves)
        hy = hx
    else:
        hx, (cx,) = _snap_spans([x_span], QUAD_HALVES)
        hy, (cy,) = _snap_spans([y_span], QUAD_HALVES)
    return QRectF(cx - hx, cy - hy, 2 * hx, 2 * hy)


def _snap_spans(spans, halves) -> tuple[int, list[int]]:
    """The half-size (one of ``halves``) and centres of the snapped box for ``spans``,
    (pressed, released) coordinates on one axis each, all sharing that half-size."""
    best = None
    first, last = spans[0]
    for half in _nearest(halves, abs(last - first) / 2):
        found = [_snap_span(pressed, released, half) for pressed, released in spans]
        key = tuple(map(sum, zip(*(k for k, _ in found), strict=True)))
        if best is None or key < best[0]:
            best = (key, half, [centre for _, centre in found])
    return best[1], best[2]


def _nearest(values, to: float, count: int = 4):
    """The ``count`` of ``values`` nearest ``to``.  For a box on the canvas the snapped
    centre and half-size lie within about two units of the dragged ones, so they are
    among these (the tests compare with every value)."""
    return sorted(values, key=lambda v: abs(v - to))[:count]


def _snap_span(pressed: float, released: float, half: int) -> tuple[tuple, int]:
    """How well the best centre for ``half`` does on one axis, and that centre: the key
    is (how far past one unit the released edge misses the pointer, the squared moves of
    both edges, the released edge's miss, whether it reaches past the pointer)."""
    sign = 1 if released >= pressed else -1
    best = None
    for centre in _nearest(QUAD_CENTRES, (pressed + released) / 2):
        near, far = centre - sign * half, centre + sign * half
        miss = far - released
        key = (
            round(max(0.0, abs(miss) - 1.0), 9),
            round((near - pressed) ** 2 + miss**2, 9),
            round(abs(miss), 9),
            sign * miss > 0,
        )
        if best is None or key < best[0]:
            best = (key, centre)
    return best


SVG_PIXELS_PER_UNIT = SVG_CANVAS / CANVAS
"""TinySVG canvas pixels (224 across) per sketch-canvas unit (32 across)."""
SVG_CENTRE = SVG_CANVAS // 2
"""The TinySVG canvas centre (112 px), where a program's layout box is centred."""
SVG_MOST_UNITS = 9
"""The largest width or height of a TinySVG shape, units (its sizes are 0–9)."""


def svg_shape_rect(
    start: QPointF, end: QPointF, snap: bool, square: bool, most_units: int | None = None
) -> QRectF:
    """The box a shape tool drags out on a TinySVG document, in canvas units.

    With ``square`` the box is a square (its side the larger drag extent).  With
    ``snap`` it becomes the box of one moved TinySVG shape,
    ``(Move (Rectangle w h …) x y …)`` or ``(Move (Ellipse w h …) x y …)``
    (docs/TINYSVG.md): each side the nearest whole number of 6-pixel units to the drag,
    at least one and at most ``most_units`` (if given: an ellipse is at most
    :data:`SVG_MOST_UNITS`, as no program draws a larger one; a larger rectangle is
    several side by side), and its centre on the unit grid through the canvas centre
    (112 + 6k px, where a ``Move`` puts a shape), the one that brings the box's edge
    nearest the point where the drag began.  That edge moves at most half a unit (3 px);
    the box reaches toward the pointer.
    """
    scale = SVG_PIXELS_PER_UNIT
    x0, y0 = start.x() * scale, start.y() * scale
    dx, dy = end.x() * scale - x0, end.y() * scale - y0
    if square:
        side = max(abs(dx), abs(dy))
        dx, dy = math.copysign(side, dx), math.copysign(side, dy)
    if not snap:
        left, top = min(x0, x0 + dx), min(y0, y0 + dy)
        return QRectF(left / scale, top / scale, abs(dx) / scale, abs(dy) / scale)
    most = math.inf if most_units is None else most_units

    def units(extent: float) -> int:
        return int(min(most, max(1, math.floor(extent / SVG_UNIT + 0.5))))

    if square:
        wide = high = units(max(abs(dx), abs(dy)))
    else:
        wide, high = units(abs(dx)), units(abs(dy))
    left = _svg_box_start(x0, dx, wide)
    top = _svg_box_start(y0, dy, high)
    return QRectF(left / scale, top / scale, wide * SVG_UNIT / scale, high * SVG_UNIT / scale)


def _svg_box_start(pressed: float, drag: float, units: int) -> int:
    """The low edge (px) of a box ``units`` wide centred on the unit grid (112 + 6k), its
    edge on the side where the drag began (the low one for a drag toward higher
    coordinates) nearest ``pressed``."""
    half = units * SVG_UNIT / 2
    # the centre that puts the pressed edge nearest ``pressed``
    wanted = pressed + half if drag >= 0 else pressed - half
    steps = math.floor((wanted - SVG_CENTRE) / SVG_UNIT + 0.5)
    return int(SVG_CENTRE + steps * SVG_UNIT - half)
