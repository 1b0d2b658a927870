"""Painting on a target array: pen strokes, rectangles and ellipses, region fill.

A CSG2D target is a float array of ``TARGET_SIZE`` × ``TARGET_SIZE`` pixels in 0..1
(1 = ink).  A TinySVG target (a *colour* target) is a float (224, 224, 3) RGB array in
0..1 on white paper; it is painted in one of TinySVG's colours (``colour``, a name of
:data:`inference.render.svg_scene.COLOURS`; white erases).  The routines take positions
in canvas units (the canvas is ``CANVAS`` units wide, whatever the target's pixels) and
return a new array, leaving their input alone.  The sketch canvas
(:mod:`editor.sketch_canvas`) calls them when a stroke, shape or fill ends.

A rectangle or ellipse on a colour target is painted with the TinySVG renderer's own
coverage (:func:`inference.render.svg_scene.render_scene`) and composited as it
composites, so a shape snapped to TinySVG's grid paints exactly the pixels a program's
``(Rectangle …)`` or ``(Ellipse …)`` renders.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from editor.docfile import TARGET_SIZE
from editor.region_fill import fill_colour_region, fill_region
from inference.render.geometry import CANVAS
from inference.render.svg_scene import CANVAS as SVG_CANVAS
from inference.render.svg_scene import COLOURS, Placed, render_scene

PIXELS_PER_UNIT = TARGET_SIZE / CANVAS
"""Target pixels per canvas unit of a CSG2D (grey) target."""
SHAPE_TOOLS = ("rect", "ellipse")
"""The shapes :func:`paint_shape` draws (and the sketch pad's shape tools)."""
PAPER = "white"
"""The colour a colour target's paper is: painting it erases."""
_COVERAGE_LEVELS = 16
"""The TinySVG renderer's coverage steps per pixel (4×4 samples)."""


def is_colour(target: np.ndarray) -> bool:
    """True for a colour (TinySVG, (H, W, 3) RGB) target, False for grey ink."""
    return np.ndim(target) == 3


def pixels_per_unit(target: np.ndarray) -> float:
    """Target pixels per canvas unit (7 for TinySVG's 224-pixel canvas, 8 for CSG2D's)."""
    return target.shape[0] / CANVAS


def colour_rgb(colour: str) -> tuple[int, int, int]:
    """The RGB (0..255) of a TinySVG colour name; ``ValueError`` for another name."""
    rgb = COLOURS.get(colour)
    if rgb is None:
        names = ", ".join(k for k, v in COLOURS.items() if v is not None)
        raise ValueError(f"unknown colour {colour!r}; choose one of {names}")
    return rgb


def _paint_colour(target: np.ndarray, draw: Callable[[QPainter], None]) -> np.ndarray:
    """Colour ``target`` (0..1 RGB) after ``draw`` paints on it in pixels."""
    rgb = np.ascontiguousarray(np.clip(target * 255 + 0.5, 0, 255).astype(np.uint8))
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw(painter)
    painter.end()
    return rgb.astype(np.float32) / 255.0


def _paint(target: np.ndarray, draw: Callable[[QPainter], None]) -> np.ndarray:
    """``target`` (0..1, 1 = ink) after ``draw`` paints on it in pixels (white = ink)."""
    grey = np.ascontiguousarray(np.clip(target * 255 + 0.5, 0, 255).astype(np.uint8))
    image = QImage(
        grey.data, TARGET_SIZE, TARGET_SIZE, TARGET_SIZE, QImage.Format.Format_Grayscale8
    )
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw(painter)
    painter.end()
    return grey.astype(np.float32) / 255.0


def round_pen(color: QColor, width: float) -> QPen:
    """A pen with round caps and joins, ``width`` in the painter's units."""
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def paint_stroke(
    target: np.ndarray, points: list[QPointF], width: float, ink: bool, colour: str = "black"
) -> np.ndarray:
    """``target`` with a round-capped polyline through ``points`` (canvas units) painted
    ``width`` units wide: ink (``ink`` False: erased).  On a colour target the ink is
    ``colour`` and erasing paints the white paper."""
    scale = pixels_per_unit(target)

    def draw(painter: QPainter) -> None:
        if is_colour(target):
            color = QColor(*colour_rgb(colour if ink else PAPER))
        else:
            color = QColor(255, 255, 255) if ink else QColor(0, 0, 0)
        painter.setPen(round_pen(color, width * scale))
        pixels = [p * scale for p in points]
        if len(pixels) == 1:
            painter.drawPoint(pixels[0])
        else:
            painter.drawPolyline(pixels)

    return _paint_colour(target, draw) if is_colour(target) else _paint(target, draw)


def paint_shape(
    target: np.ndarray,
    kind: str,
    rect: QRectF,
    width: float,
    solid: bool,
    ink: bool = True,
    colour: str = "black",
) -> np.ndarray:
    """``target`` with a rectangle or ellipse (``kind`` "rect" or "ellipse") in ``rect``
    (canvas units) inked (or with ``ink`` False, erased): ``solid``, or as an outline
    ``width`` units wide.  A colour target's shape is always solid, in ``colour`` (erased:
    white), painted as TinySVG renders it (:func:`paint_colour_shape`)."""
    if kind not in SHAPE_TOOLS:
        raise ValueError(f"unknown shape {kind!r}")
    if is_colour(target):
        return paint_colour_shape(target, kind, rect, colour if ink else PAPER)
    box = QRectF(rect.topLeft() * PIXELS_PER_UNIT, rect.bottomRight() * PIXELS_PER_UNIT)

    color = QColor(255, 255, 255) if ink else QColor(0, 0, 0)

    def draw(painter: QPainter) -> None:
        if solid:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
        else:
            painter.setPen(round_pen(color, width * PIXELS_PER_UNIT))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        if kind == "rect":
            painter.drawRect(box)
        else:
            painter.drawEllipse(box)

    return _paint(target, draw)


def shape_coverage(kind: str, box: tuple[float, float, float, float], size: int) -> np.ndarray:
    """The TinySVG renderer's coverage (0..1, in steps of 1/16) of a ``kind`` ("rect" or
    "ellipse") filling ``box`` (x0, y0, x1, y1 in pixels of a ``size``-pixel target)."""
    if kind not in SHAPE_TOOLS:
        raise ValueError(f"unknown shape {kind!r}")
    scale = SVG_CANVAS / size  # the renderer's boxes are in pixels of its own canvas
    x0, y0, x1, y1 = (v * scale for v in box)
    black = render_scene([Placed(kind, x0, y0, x1, y1, "black", "none", 0.0)], size)
    steps = np.rint((255.0 - black[:, :, 0]) * _COVERAGE_LEVELS / 255.0)
    return (steps / _COVERAGE_LEVELS).astype(np.float32)


def paint_colour_shape(target: np.ndarray, kind: str, rect: QRectF, colour: str) -> np.ndarray:
    """Colour ``target`` with a solid rectangle or ellipse in ``rect`` (canvas units) painted
    in ``colour``, composited the way the TinySVG renderer composites
    (``out + c·(colour − out)`` in float32, rounded half up to 8 bits)."""
    scale = pixels_per_unit(target)
    edges = (rect.left(), rect.top(), rect.right(), rect.bottom())
    box = tuple(round(v * scale, 6) for v in edges)  # snapped pixels, less unit rounding
    alpha = shape_coverage(kind, box, target.shape[0])[:, :, None]
    out = np.rint(np.clip(target, 0.0, 1.0) * 255).astype(np.float32)
    out += (np.asarray(colour_rgb(colour), np.float32) - out) * alpha
    return np.floor(out + np.float32(0.5)).astype(np.float32) / np.float32(255.0)


def flood_fill(target: np.ndarray, point: QPointF, colour: str = "black") -> np.ndarray:
    """``target`` with the closed region around ``point`` (canvas units) made solid
    (:func:`editor.region_fill.fill_region`: slivers it touches are filled too).  On a
    colour target the region of the colour under ``point`` is painted ``colour``
    (:func:`editor.region_fill.fill_colour_region`)."""
    scale = pixels_per_unit(target)
    row, col = int(point.y() * scale), int(point.x() * scale)
    if is_colour(target):
        rgb = np.asarray(colour_rgb(colour), np.float32) / 255.0
        return fill_colour_region(target, row, col, rgb)
    return fill_region(target, row, col)
