"""The sketch canvas: the drawing surface of the sketch pad (:mod:`editor.sketch_pad`).

It shows the document's target as dark ink on paper (a TinySVG document's: the colour
picture), with the program grid, and turns mouse drags into pen strokes, erasing, fills
and snapped shapes, each one undo step (``commands.set_target``).  On a TinySVG document
the pen, shapes and fill paint in :attr:`SketchCanvas.colour` (white erases), shapes
snap to TinySVG's 6-pixel units (:func:`editor.shape_snap.svg_shape_rect`) and the grid
shows those units.  While the target has no ink it shows a hint saying what to do
(:attr:`SketchCanvas.hint`; :attr:`SketchCanvas.svg_hint` on a TinySVG document).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from editor import commands
from editor.canvas import CanvasWidget, gray_image
from editor.document import Document
from editor.shape_snap import (
    SVG_CENTRE,
    SVG_MOST_UNITS,
    SVG_PIXELS_PER_UNIT,
    shape_rect,
    svg_shape_rect,
)
from editor.target_paint import (
    PAPER,
    SHAPE_TOOLS,
    colour_rgb,
    flood_fill,
    is_colour,
    paint_shape,
    paint_stroke,
    round_pen,
)
from inference.lang.grammar import TINYSVG
from inference.render.geometry import CANVAS
from inference.render.svg_scene import CANVAS as SVG_CANVAS
from inference.render.svg_scene import UNIT as SVG_UNIT

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


def _tool_keys() -> dict[str, str]:
    """Each drawing tool's key, by tool name."""
    return {name: key for name, _label, key, _tip in TOOLS}


def default_hint() -> str:
    """The empty pad's hint, naming the drawing tools' keys."""
    keys = _tool_keys()
    return (
        f"Draw a shape here: pen ({keys['pen']}), rectangle ({keys['rect']}), "
        f"ellipse ({keys['ellipse']}); fill ({keys['fill']}) makes an outline solid. "
        "Or drop an image here."
    )


def svg_hint() -> str:
    """The empty pad's hint on a TinySVG document."""
    keys = _tool_keys()
    return (
        f"Pick a colour (keys 1–8) and draw: rectangle ({keys['rect']}), ellipse "
        f"({keys['ellipse']}), pen ({keys['pen']}); fill ({keys['fill']}) paints a region. "
        "White erases. Or drop an image here."
    )


def colour_image(rgb: np.ndarray) -> QImage:
    """A QImage (RGB888) of an (h, w, 3) array in [0, 1]."""
    data = np.ascontiguousarray(np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8))
    h, w = data.shape[:2]
    return QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


CIRCLE_ASPECT = 1.25
"""An ellipse drag on the grid at most this much longer one way than the other is a
circle (the program grid's circles, snapped); a longer one stays an ellipse, drawn by
hand."""


class SketchCanvas(CanvasWidget):
    """The drawing surface; shows the document's target as dark ink on paper, or as the
    colour picture of a TinySVG document.

    Attributes:
        colour: the TinySVG colour the pen, shapes and fill paint on a TinySVG document
            (a name of ``inference.render.svg_scene.COLOURS``; ``"white"`` erases).
    """

    def __init__(self, doc: Document, pen_width: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.tool = "pen"
        self.colour = "red"
        self.pen_width = pen_width
        self._points: list[QPointF] = []
        self._square = False
        self._cut = False
        self.show_grid = True
        self.hint = default_hint()  # painted while there is no ink; the window sets the keys
        self.svg_hint = svg_hint()
        self._image = self._target_image()
        doc.targetChanged.connect(self._target_changed)
        doc.loaded.connect(self._target_changed)
        self.setCursor(Qt.CursorShape.CrossCursor)

    @property
    def drawing(self) -> bool:
        """True on a TinySVG document: the target is a colour picture."""
        return self.doc.grammar is TINYSVG

    def _target_image(self) -> QImage:
        target = self.doc.target
        return colour_image(target) if is_colour(target) else gray_image(1.0 - target)

    def _target_changed(self) -> None:
        self._image = self._target_image()
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
            filled = flood_fill(self.doc.target, point, self.colour)
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
        if self.drawing:  # a larger ellipse no program draws; a larger rectangle, several
            most = SVG_MOST_UNITS if self.tool == "ellipse" else None
            return svg_shape_rect(start, end, self.show_grid, self._square, most)
        circle = self._circle()
        return shape_rect(start, end, self.show_grid, self._square or circle, circle)

    def _circle(self) -> bool:
        """The ellipse tool is drawing a circle: with Shift, or, on the grid, a drag about
        as tall as it is wide (:data:`CIRCLE_ASPECT`); programs have circles, not ellipses,
        so that is what the user means, and it snaps to a circle a program can draw."""
        if self.tool != "ellipse" or len(self._points) < 2 or self.drawing:
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
                solid = self.doc.modality == "filled" or self.drawing
                new = paint_shape(
                    self.doc.target,
                    self.tool,
                    box,
                    self.pen_width,
                    solid,
                    ink=not self._cut,
                    colour=self.colour,
                )
                name = "Rectangle" if self.tool == "rect" else "Ellipse"
                name = f"Cut {name.lower()}" if self._cut else name
                # a program can draw it exactly: a snapped rectangle, or a snapped circle
                snapped = self.show_grid and (self.tool == "rect" or circle or self.drawing)
                snapped = snapped and solid
                self.doc.push(commands.set_target(self.doc, new, name, snapped))
            return
        ink = self.tool == "pen"
        new = paint_stroke(self.doc.target, self._points, self.pen_width, ink, self.colour)
        self._points = []
        self.doc.push(commands.set_target(self.doc, new, "Pen stroke" if ink else "Erase"))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        self.paint_backdrop(painter)
        self.draw_image(painter, self._image)
        if self.show_grid and self.drawing:
            self._draw_svg_grid(painter)
        elif self.show_grid:
            self._draw_grid(painter)
        hint = self.svg_hint if self.drawing else self.hint
        if not self._points and hint and not self.doc.has_ink():
            self._draw_hint(painter, hint)
        if self._points:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setTransform(self.canvas_transform())
            ink = QColor(*colour_rgb(self.colour)) if self.drawing else QColor(0, 0, 0)
            color = QColor(*colour_rgb(PAPER)) if self.tool == "eraser" else ink
            painter.setPen(round_pen(color, self.pen_width))
            box = self.shape_box()
            if self.tool in SHAPE_TOOLS:
                if box is not None:
                    if self._cut:
                        painter.setPen(round_pen(QColor(255, 255, 255), self.pen_width))
                    if self.doc.modality == "filled" or self.drawing:
                        painter.setPen(Qt.PenStyle.NoPen)
                        shade = QColor(255, 255, 255, 200) if self._cut else QColor(ink)
                        if not self._cut:
                            shade.setAlpha(160)
                        painter.setBrush(shade)
                        if self.drawing:  # an outline shows a white or yellow shape
                            painter.setPen(QPen(QColor(60, 60, 60, 200), 0))
                    draw = painter.drawRect if self.tool == "rect" else painter.drawEllipse
                    draw(box)
            elif len(self._points) == 1:
                painter.drawPoint(self._points[0])
            else:
                path = QPainterPath(self._points[0])
                for p in self._points[1:]:
                    path.lineTo(p)
                painter.drawPath(path)

    def _draw_hint(self, painter: QPainter, hint: str) -> None:
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
        used = painter.boundingRect(box, flags, hint).adjusted(-10, -8, 10, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 225))
        painter.drawRoundedRect(used, 6, 6)
        painter.setPen(QColor(105, 105, 115))
        painter.drawText(box, flags, hint)
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

    def _draw_svg_grid(self, painter: QPainter) -> None:
        """Faint lines on TinySVG's 6-pixel units through the canvas centre (a little
        stronger through the centre itself): snapped shapes are whole units."""
        transform = self.canvas_transform()
        painter.save()
        corner, far = transform.map(QPointF(0, 0)), transform.map(QPointF(CANVAS, CANVAS))
        top, bottom, left, right = corner.y(), far.y(), corner.x(), far.x()
        reach = SVG_CENTRE // SVG_UNIT
        for k in range(-reach, reach + 1):
            pixel = SVG_CENTRE + k * SVG_UNIT
            if not 0 <= pixel <= SVG_CANVAS:
                continue
            alpha = 120 if k == 0 else 45
            painter.setPen(QPen(QColor(70, 130, 220, alpha), 0))
            at = pixel / SVG_PIXELS_PER_UNIT
            x = transform.map(QPointF(at, 0.0)).x()
            y = transform.map(QPointF(0.0, at)).y()
            painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            painter.drawLine(QPointF(left, y), QPointF(right, y))
        painter.restore()
