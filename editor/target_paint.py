"""Painting on a target array: pen strokes, rectangles and ellipses, region fill.

A target is a float array of ``TARGET_SIZE`` × ``TARGET_SIZE`` pixels in 0..1 (1 = ink);
the routines take positions in canvas units (the canvas is ``CANVAS`` units wide) and
return a new array, leaving their input alone.  The sketch canvas
(:mod:`editor.sketch_canvas`) calls them when a stroke, shape or fill ends.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from editor.docfile import TARGET_SIZE
from editor.region_fill import fill_region
from inference.render.geometry import CANVAS

PIXELS_PER_UNIT = TARGET_SIZE / CANVAS
SHAPE_TOOLS = ("rect", "ellipse")
"""The shapes :func:`paint_shape` draws (and the sketch pad's shape tools)."""


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


def paint_stroke(target: np.ndarray, points: list[QPointF], width: float, ink: bool) -> np.ndarray:
    """``target`` with a round-capped polyline through ``points`` (canvas units) painted."""

    def draw(painter: QPainter) -> None:
        color = QColor(255, 255, 255) if ink else QColor(0, 0, 0)
        painter.setPen(round_pen(color, width * PIXELS_PER_UNIT))
        pixels = [p * PIXELS_PER_UNIT for p in points]
        if len(pixels) == 1:
            painter.drawPoint(pixels[0])
        else:
            painter.drawPolyline(pixels)

    return _paint(target, draw)


def paint_shape(
    target: np.ndarray, kind: str, rect: QRectF, width: float, solid: bool, ink: bool = True
) -> np.ndarray:
    """``target`` with a rectangle or ellipse (``kind`` "rect" or "ellipse") in ``rect``
    (canvas units) inked (or with ``ink`` False, erased): ``solid``, or as an outline
    ``width`` units wide."""
    if kind not in SHAPE_TOOLS:
        raise ValueError(f"unknown shape {kind!r}")
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


def flood_fill(target: np.ndarray, point: QPointF) -> np.ndarray:
    """``target`` with the closed region around ``point`` (canvas units) made solid
    (:func:`editor.region_fill.fill_region`: slivers it touches are filled too)."""
    return fill_region(target, int(point.y() * PIXELS_PER_UNIT), int(point.x() * PIXELS_PER_UNIT))
