"""The sketch canvas: the drawing surface of the sketch pad (:mod:`editor.sketch_pad`).

It shows the document's target as dark ink on paper, with the program grid, and
turns mouse drags into pen strokes, erasing, fills and snapped shapes, each one undo
step (``commands.set_target``).  While the target has no ink it shows a hint saying
what to do (:attr:`SketchCanvas.hint`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from editor import commands
from editor.canvas import CanvasWidget, gray_image
from editor.document import Document
from editor.shape_snap import shape_rect
from editor.target_paint import SHAPE_TOOLS, flood_fill, paint_shape, paint_stroke, round_pen
from inference.render.geometry import CANVAS

GRID_STEPS = 16
"""Programs place shapes on a 16-step grid (DESIGN.md §1): one step is CANVAS / 16 units."""
TOOLS = [  # (name, label, key, tip)
    ("pen", "Pen", "P", "Freehand pen"),
    ("eraser", "Eraser", "E", "Erase ink"),
    ("fill", "Fill", "F", "Fill: click inside a closed outline to make it solid"),
    (
        "rect",
        "Rectangle",
        "R",
        "Rectangle: drag corner to corner (Shift: a square; right button: cut it out); snaps "
        "to a Quad's sizes while the grid shows; solid for a filled target, an outline "
        "for a sketch",
    ),
    (
        "ellipse",
        "Ellipse",
        "O",
        "Ellipse: drag corner to corner (Shift, or a drag about as tall as wide on the "
        "grid: a circle, snapped to a Circle's sizes; right button: cut it out); solid "
        "for a filled target, an outline for a sketch",
    ),
]


def default_hint() -> str:
    """The empty pad's hint, naming the drawing tools' keys."""
    keys = {name: key for name, _label, key, _tip in TOOLS}
    return (
        f"Draw a shape here: pen ({keys['pen']}), rectangle ({keys['rect']}), "
        f"ellipse ({keys['ellipse']}); fill ({keys['fill']}) makes an outline solid. "
        "Or drop an image here."
    )


CIRCLE_ASPECT = 1.25
"""An ellipse drag on the grid at most this much longer one way than the other is a
circle (the program grid's circles, snapped); a longer one stays an ellipse, drawn by
hand."""


class SketchCanvas(CanvasWidget):
    """The drawing surface; shows the document's target as dark ink on paper."""

    def __init__(self, doc: Document, pen_width: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.tool = "pen"
        self.pen_width = pen_width
        self._points: list[QPointF] = []
        self._square = False
        self._cut = False
        self.show_grid = True
        self.hint = default_hint()  # painted while there is no ink; the window sets the keys
        self._image = gray_image(1.0 - doc.target)
        doc.targetChanged.connect(self._target_changed)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def _target_changed(self) -> None:
        self._image = gray_image(1.0 - self.doc.target)
        self.update()

    def mousePressEvent(self, event) -> None:
        if self.start_pan(event) or self.doc.busy:
            return
        cut = event.button() == Qt.MouseButton.RightButton and self.tool in SHAPE_TOOLS
        if event.button() != Qt.MouseButton.LeftButton and not cut:
            return
        self._cut = cut
        point = self.to_canvas(event.position())
        if self.tool == "fill":
            filled = flood_fill(self.doc.target, point)
            if not np.array_equal(filled, self.doc.target):
                self.doc.push(commands.set_target(self.doc, filled, "Fill region"))
            return
        self._points = [point]
        self._square = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.update()

    def mouseMoveEvent(self, event) -> None:
        if self.continue_pan(event):
            return
        if self._points:
            point = self.to_canvas(event.position())
            self._square = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if self.tool in SHAPE_TOOLS:
                self._points[1:] = [point]  # a shape needs only its two corners
            else:
                self._points.append(point)
            self.update()

    def shape_box(self) -> QRectF | None:
        """The box a shape tool is dragging out, or ``None``."""
        if self.tool not in SHAPE_TOOLS or len(self._points) < 2:
            return None
        start, end = self._points[0], self._points[-1]
        circle = self._circle()
        return shape_rect(start, end, self.show_grid, self._square or circle, circle)

    def _circle(self) -> bool:
        """The ellipse tool is drawing a circle: with Shift, or, on the grid, a drag about
        as tall as it is wide (:data:`CIRCLE_ASPECT`); programs have circles, not ellipses,
        so that is what the user means, and it snaps to a circle a program can draw."""
        if self.tool != "ellipse" or len(self._points) < 2:
            return False
        if self._square:
            return True
        start, end = self._points[0], self._points[-1]
        w, h = abs(end.x() - start.x()), abs(end.y() - start.y())
        return self.show_grid and min(w, h) > 0 and max(w, h) <= CIRCLE_ASPECT * min(w, h)

    def mouseReleaseEvent(self, event) -> None:
        if self.end_pan() or not self._points:
            return
        if self.tool in SHAPE_TOOLS:
            self._square = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            circle = self._circle()
            box = self.shape_box()
            self._points = []
            self.update()
            if box is not None and box.width() > 0 and box.height() > 0:
                solid = self.doc.modality == "filled"
                new = paint_shape(
                    self.doc.target, self.tool, box, self.pen_width, solid, ink=not self._cut
                )
                name = "Rectangle" if self.tool == "rect" else "Ellipse"
                name = f"Cut {name.lower()}" if self._cut else name
                # a program can draw it exactly: a snapped rectangle, or a snapped circle
                snapped = self.show_grid and (self.tool == "rect" or circle) and solid
                self.doc.push(commands.set_target(self.doc, new, name, snapped))
            return
        ink = self.tool == "pen"
        new = paint_stroke(self.doc.target, self._points, self.pen_width, ink)
        self._points = []
        self.doc.push(commands.set_target(self.doc, new, "Pen stroke" if ink else "Erase"))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        self.paint_backdrop(painter)
        self.draw_image(painter, self._image)
        if self.show_grid:
            self._draw_grid(painter)
        if not self._points and self.hint and not self.doc.has_ink():
            self._draw_hint(painter)
        if self._points:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setTransform(self.canvas_transform())
            color = QColor(255, 255, 255) if self.tool == "eraser" else QColor(0, 0, 0)
            painter.setPen(round_pen(color, self.pen_width))
            box = self.shape_box()
            if self.tool in SHAPE_TOOLS:
                if box is not None:
                    if self._cut:
                        painter.setPen(round_pen(QColor(255, 255, 255), self.pen_width))
                    if self.doc.modality == "filled":
                        painter.setPen(Qt.PenStyle.NoPen)
                        shade = QColor(255, 255, 255, 200) if self._cut else QColor(0, 0, 0, 160)
                        painter.setBrush(shade)
                    draw = painter.drawRect if self.tool == "rect" else painter.drawEllipse
                    draw(box)
            elif len(self._points) == 1:
                painter.drawPoint(self._points[0])
            else:
                path = QPainterPath(self._points[0])
                for p in self._points[1:]:
                    path.lineTo(p)
                painter.drawPath(path)

    def _draw_hint(self, painter: QPainter) -> None:
        """The hint, centred on the empty paper: grey on a veil of paper over the grid (the
        paper is white in either theme)."""
        area = self.canvas_rect().intersected(QRectF(self.rect()))
        box = area.adjusted(area.width() * 0.1, 0, -area.width() * 0.1, 0)
        if box.width() < 80 or box.height() < 40:
            return
        painter.save()
        font = painter.font()
        font.setPointSizeF(max(9.0, min(13.0, box.width() / 34)))
        painter.setFont(font)
        flags = int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap)
        used = painter.boundingRect(box, flags, self.hint).adjusted(-10, -8, 10, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 225))
        painter.drawRoundedRect(used, 6, 6)
        painter.setPen(QColor(105, 105, 115))
        painter.drawText(box, flags, self.hint)
        painter.restore()

    def _draw_grid(self, painter: QPainter) -> None:
        """Faint lines on the program grid: shapes drawn on it can be matched exactly."""
        transform = self.canvas_transform()
        painter.save()
        pen = QPen(QColor(70, 130, 220, 60), 0)  # cosmetic: one pixel at any zoom
        painter.setPen(pen)
        step = CANVAS / GRID_STEPS
        corner, far = transform.map(QPointF(0, 0)), transform.map(QPointF(CANVAS, CANVAS))
        top, bottom, left, right = corner.y(), far.y(), corner.x(), far.x()
        for i in range(GRID_STEPS + 1):
            x = transform.map(QPointF(i * step, 0.0)).x()
            y = transform.map(QPointF(0.0, i * step)).y()
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            painter.drawLine(QPointF(left, y), QPointF(right, y))
        painter.restore()
