"""TinySVG layout and raster (docs/TINYSVG.md).

A program becomes a list of :class:`Placed` primitives on the 224×224 canvas
(:func:`layout`), and the list becomes an RGB image (:func:`render_scene`).

**Canvas.**  Coordinates are canvas pixels at 224×224, x to the right and y
down.  An image of S×S pixels maps pixel (row i, column j) to the canvas
square [j·224/S, (j+1)·224/S) × [i·224/S, (i+1)·224/S).

**Raster.**  Each paint (a fill or a stroke) has a coverage per pixel: the
fraction of the 4×4 sample points ((j + (m+½)/4), (i + (n+½)/4)), m, n = 0..3,
inside the painted region.  Paints are composited in painter's order with the
coverage as alpha, ``out = out + c·(colour − out)``, on a white background,
in float32; the result is rounded to the nearest integer, halves up.  Regions
are closed sets; a stroke band is the closed outer shape minus the open inner
one.  Everything outside the canvas is clipped.

The tree is duck-typed: any object with ``kind`` (``"Rectangle"``,
``"Ellipse"``, ``"Arrange"``, ``"Move"``), ``children`` in token order and, on
the leaves, ``value``.  Layout uses explicit stacks, so any depth works.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

CANVAS = 224
"""Side of the canvas in pixels; :class:`Placed` boxes are in these pixels."""
UNIT = 6
"""Canvas pixels per size or offset unit."""
SUPERSAMPLE = 4
"""Sample points per pixel side (4×4 per pixel)."""

COLOURS: dict[str, tuple[int, int, int] | None] = {
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "purple": (128, 0, 128),
    "orange": (255, 165, 0),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "none": None,
}
"""Colour name → RGB (the SVG/CSS named colours; green is CSS green, #008000);
``none`` is not painted."""

RECTANGLE = "Rectangle"
ELLIPSE = "Ellipse"
ARRANGE = "Arrange"
MOVE = "Move"
_KIND_OF_PRIMITIVE = {RECTANGLE: "rect", ELLIPSE: "ellipse"}
_NO_SAMPLES = (1, 0)


@dataclass(frozen=True)
class Placed:
    """One painted primitive, in canvas pixels (224×224).

    Attributes:
        kind: ``"rect"`` or ``"ellipse"`` (the ellipse inscribed in the box).
        x0, y0, x1, y1: the fill box; ``x1 - x0`` is 6·w, ``y1 - y0`` is 6·h.
        fill, stroke: colour names (keys of :data:`COLOURS`).
        stroke_px: the stroke width (sw / 2), centred on the box's edge.
    """

    kind: str
    x0: float
    y0: float
    x1: float
    y1: float
    fill: str
    stroke: str
    stroke_px: float


# ----- layout ----------------------------------------------------------------


def _flag(value) -> bool:
    """A negx/negy leaf value: a bool, or the text ``"true"``/``"false"``."""
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise ValueError(f"expected true or false, got {value!r}")
        return value == "true"
    return bool(value)


def _colour(value) -> str:
    if value not in COLOURS:
        raise ValueError(f"unknown colour {value!r}")
    return value


def _box_sizes(root) -> dict[int, tuple[int, int]]:
    """Layout box (width, height) in canvas px of every shape node, keyed by ``id``."""
    sizes: dict[int, tuple[int, int]] = {}
    stack = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in sizes:
            continue
        kind, ch = node.kind, node.children
        if kind in _KIND_OF_PRIMITIVE:
            sizes[id(node)] = (UNIT * int(ch[0].value), UNIT * int(ch[1].value))
        elif kind not in (ARRANGE, MOVE):
            raise ValueError(f"not a TinySVG shape: {kind!r}")
        elif not ready:
            stack.append((node, True))
            stack.extend((c, False) for c in (ch[1:3] if kind == ARRANGE else ch[:1]))
        elif kind == MOVE:
            sizes[id(node)] = sizes[id(ch[0])]
        else:
            sizes[id(node)] = _arranged_size(node, sizes)
    return sizes


def _arranged_size(node, sizes) -> tuple[int, int]:
    (wa, ha), (wb, hb) = sizes[id(node.children[1])], sizes[id(node.children[2])]
    gap = UNIT * int(node.children[3].value)
    if node.children[0].value == "h":
        return wa + gap + wb, max(ha, hb)
    return max(wa, wb), ha + gap + hb


def _arranged_origins(node, x: float, y: float, sizes) -> tuple[tuple[float, float], ...]:
    """Top-left corners of an Arrange node's two children, given its own at (x, y)."""
    (wa, ha), (wb, hb) = sizes[id(node.children[1])], sizes[id(node.children[2])]
    w, h = sizes[id(node)]
    gap = UNIT * int(node.children[3].value)
    direction = node.children[0].value
    if direction == "h":
        return (x, y + (h - ha) / 2), (x + wa + gap, y + (h - hb) / 2)
    if direction == "v":
        return (x + (w - wa) / 2, y), (x + (w - wb) / 2, y + ha + gap)
    raise ValueError(f"Arrange direction must be h or v, got {direction!r}")


def _primitive(node, x: float, y: float) -> Placed:
    w, h, fill, stroke, sw = (c.value for c in node.children)
    return Placed(
        _KIND_OF_PRIMITIVE[node.kind],
        x,
        y,
        x + UNIT * int(w),
        y + UNIT * int(h),
        _colour(fill),
        _colour(stroke),
        int(sw) / 2,
    )


def layout(program) -> list[Placed]:
    """The program's primitives on the canvas, in painter's order (first child first).

    Every primitive is listed, zero-sized ones too (they paint nothing).  The
    root's layout box is centred on the canvas centre (112, 112); a ``Move``
    shifts what its child paints, not the box that ``Arrange`` and centring use.
    """
    sizes = _box_sizes(program)
    w, h = sizes[id(program)]
    placed: list[Placed] = []
    stack = [(program, CANVAS / 2 - w / 2, CANVAS / 2 - h / 2)]
    while stack:
        node, x, y = stack.pop()
        if node.kind in _KIND_OF_PRIMITIVE:
            placed.append(_primitive(node, x, y))
        elif node.kind == MOVE:
            child, dx, dy, negx, negy = node.children
            dx = -UNIT * int(dx.value) if _flag(negx.value) else UNIT * int(dx.value)
            dy = -UNIT * int(dy.value) if _flag(negy.value) else UNIT * int(dy.value)
            stack.append((child, x + dx, y + dy))
        else:
            (xa, ya), (xb, yb) = _arranged_origins(node, x, y, sizes)
            stack.append((node.children[2], xb, yb))
            stack.append((node.children[1], xa, ya))
    return placed


# ----- coverage --------------------------------------------------------------


def _sample_offset(coord: float, size: int) -> tuple[int, int]:
    """Where canvas coordinate ``coord`` falls among sample indices, exactly.

    Sample u of an image of ``size`` pixels sits at canvas (u + ½)·224/(K·size),
    so ``coord`` is at sample index t = coord·K·size/224 − ½.  Returns t as an
    integer fraction (numerator, denominator); whole quarters (every layout
    coordinate) take a fast path.
    """
    quarters = 4 * coord
    if float(quarters).is_integer():
        return int(quarters) * SUPERSAMPLE * size - 2 * CANVAS, 4 * CANVAS
    t = Fraction(coord) * SUPERSAMPLE * size / CANVAS - Fraction(1, 2)
    return t.numerator, t.denominator


def _closed_samples(lo: float, hi: float, size: int) -> tuple[int, int]:
    """First and last sample index whose sample lies in [lo, hi] (canvas px)."""
    (n0, d0), (n1, d1) = _sample_offset(lo, size), _sample_offset(hi, size)
    return -(-n0 // d0), n1 // d1


def _open_samples(lo: float, hi: float, size: int) -> tuple[int, int]:
    """First and last sample index whose sample lies in (lo, hi) (canvas px)."""
    (n0, d0), (n1, d1) = _sample_offset(lo, size), _sample_offset(hi, size)
    return n0 // d0 + 1, -(-n1 // d1) - 1


def _span(box, grow: float, size: int):
    """Pixel rows and columns ((i0, ni), (j0, nj)) holding samples of the grown box."""
    x0, y0, x1, y1 = box
    return (
        _pixel_span(*_closed_samples(y0 - grow, y1 + grow, size), size),
        _pixel_span(*_closed_samples(x0 - grow, x1 + grow, size), size),
    )


def _pixel_span(first: int, last: int, size: int) -> tuple[int, int]:
    """Pixels (p0, n) holding samples first..last, clipped to the image."""
    p0, p1 = max(first // SUPERSAMPLE, 0), min(last // SUPERSAMPLE, size - 1)
    return p0, max(p1 - p0 + 1, 0)


def _axis_cover(first: int, last: int, p0: int, n: int) -> np.ndarray:
    """Fraction of each pixel p0 .. p0+n-1's samples (along one axis) in first..last."""
    k = SUPERSAMPLE
    cover = np.zeros(n, dtype=np.float32)
    lo, hi = max(first // k, p0), min(last // k, p0 + n - 1)
    if first > last or lo > hi:
        return cover
    cover[lo - p0 : hi - p0 + 1] = 1.0
    for p in {lo, hi}:
        cover[p - p0] = (min(last, k * p + k - 1) - max(first, k * p) + 1) / k
    return cover


def _rect_alphas(box, regions, span, size: int) -> list[np.ndarray]:
    """Per-pixel coverage (float32) of the box grown by ``grow``, for each (grow, closed)."""
    x0, y0, x1, y1 = box
    (i0, ni), (j0, nj) = span
    alphas = []
    for grow, closed in regions:
        samples = _closed_samples if closed else _open_samples
        ux, uy = samples(x0 - grow, x1 + grow, size), samples(y0 - grow, y1 + grow, size)
        alphas.append(np.outer(_axis_cover(*uy, i0, ni), _axis_cover(*ux, j0, nj)))
    return alphas


def _ellipse_ends(box, regions, rows: np.ndarray, size: int):
    """First and last sample column inside each grown ellipse, per sample row.

    Returns two (len(regions), len(rows)) float arrays; rows outside an ellipse
    get first > last.  In sample units (pixel × K), sample (u, v) is inside the
    closed ellipse when |u + ½ − cx| ≤ a·√(1 − ((v + ½ − cy)/b)²), evaluated in
    float64 (< for the open one).
    """
    scale = SUPERSAMPLE * size / CANVAS
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2 * scale - 0.5, (y0 + y1) / 2 * scale - 0.5
    grow = np.array([[g] for g, _ in regions])
    is_open = np.array([[not closed] for _, closed in regions])
    a, b = ((x1 - x0) / 2 + grow) * scale, ((y1 - y0) / 2 + grow) * scale
    empty = (a <= 0) | (b <= 0)  # (P, 1): a shrunk ellipse can vanish
    t2 = ((rows - cy) / np.where(empty, 1.0, b)) ** 2
    outside = (t2 > 1.0) | (is_open & (t2 == 1.0)) | empty
    half = np.where(outside, -1.0, a * np.sqrt(np.abs(1.0 - t2)))
    left, right = cx - half, cx + half
    first = np.where(is_open, np.floor(left) + 1, np.ceil(left))
    last = np.where(is_open, np.ceil(right) - 1, np.floor(right))
    return first, last


def _ellipse_alphas(box, regions, span, size: int) -> np.ndarray:
    """Per-pixel coverage (float32) of the inscribed ellipse grown by ``grow``, per region.

    ``regions`` holds (grow, closed) pairs; the result is one (len(regions), ni, nj) array.
    """
    k = SUPERSAMPLE
    (i0, ni), (j0, nj) = span
    rows = np.arange(k * i0, k * (i0 + ni), dtype=np.float64)
    first, last = _ellipse_ends(box, regions, rows, size)
    first, last = first.astype(np.float32)[:, :, None], (last + 1).astype(np.float32)[:, :, None]
    start = np.arange(k * j0, k * (j0 + nj), k, dtype=np.float32)  # (C,)
    inside = np.minimum(last, start + k)  # (P, R, C): samples of each row in each pixel
    inside -= np.maximum(first, start)
    np.maximum(inside, 0.0, out=inside)
    counts = np.add.reduce(inside.reshape(len(regions), ni, k, nj), axis=2)
    counts *= np.float32(1 / k**2)
    return counts


_ALPHAS = {"rect": _rect_alphas, "ellipse": _ellipse_alphas}
_RGB = {name: np.array(rgb, dtype=np.float32) for name, rgb in COLOURS.items() if rgb}


def _composite(canvas: np.ndarray, span, alpha: np.ndarray, colour: np.ndarray) -> None:
    """``out += alpha·(colour − out)`` over the span."""
    (i0, ni), (j0, nj) = span
    region = canvas[i0 : i0 + ni, j0 : j0 + nj]
    delta = colour - region
    delta *= alpha[:, :, None]
    region += delta


def _paint(canvas: np.ndarray, p: Placed) -> None:
    """Composite one primitive's fill, then its stroke, onto the float canvas.

    Both are computed over the stroke's pixels (the fill's when there is no
    stroke); a coverage of 0 leaves a pixel exactly as it was.
    """
    half = p.stroke_px / 2
    fill, stroke = p.fill != "none", p.stroke != "none" and half > 0
    if p.x1 <= p.x0 or p.y1 <= p.y0 or not (fill or stroke):
        return
    size = canvas.shape[0]
    box = (p.x0, p.y0, p.x1, p.y1)
    span = _span(box, half if stroke else 0.0, size)
    if not (span[0][1] and span[1][1]):
        return
    regions = ([(0.0, True)] if fill else []) + ([(half, True), (-half, False)] if stroke else [])
    alphas = _ALPHAS[p.kind](box, regions, span, size)
    if fill:
        _composite(canvas, span, alphas[0], _RGB[p.fill])
    if stroke:
        _composite(canvas, span, alphas[-2] - alphas[-1], _RGB[p.stroke])


def render_scene(placed: Iterable[Placed], size: int = CANVAS) -> np.ndarray:
    """Render placed primitives as a (size, size, 3) ``uint8`` RGB image on white.

    ``size`` other than 224 scales the whole canvas (pixel (i, j) is the canvas
    square [j·224/size, (j+1)·224/size) × [i·224/size, (i+1)·224/size)).
    """
    if size < 1:
        raise ValueError(f"image size must be positive, got {size}")
    canvas = np.full((size, size, 3), 255.0, dtype=np.float32)
    for p in placed:
        _paint(canvas, p)
    canvas += np.float32(0.5)
    return canvas.astype(np.uint8)


def render(program, size: int = CANVAS) -> np.ndarray:
    """``render_scene(layout(program), size)``: a program's (size, size, 3) ``uint8`` image."""
    return render_scene(layout(program), size)
