"""The sketch pad: draw or load the target the program should match.

Tools: a freehand pen with adjustable width, an eraser, a fill tool that
turns the closed region under the cursor solid (slivers between strokes
included, see ``editor.region_fill``), and rectangle and ellipse tools that
snap to shapes a program can draw while the grid shows.  Every stroke, fill,
shape, clear or loaded image is one undo step (``commands.set_target``).  Images load by
file dialog or drag and drop (PNG, JPEG, BMP; scaled to fit; read the way they were
drawn: the colour filling most of the image's border is the paper, the rest ink).
The modality box says whether the target is a filled shape or an outline sketch.
Zoom with the wheel, pan with the middle button or Alt + drag.  While the pad has no
ink it shows a hint saying what to do (:attr:`SketchCanvas.hint`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QLabel,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from editor import commands
from editor.canvas import CanvasWidget, gray_image
from editor.docfile import TARGET_SIZE
from editor.document import Document
from editor.region_fill import fill_region
from inference.geometry import CANVAS
from inference.images import INK_AUTO, ImageError, load_target

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp)"
PIXELS_PER_UNIT = TARGET_SIZE / CANVAS
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
        "Ellipse: drag corner to corner (Shift: a circle; right button: cut it out); snaps "
        "to a Circle's sizes while the grid shows; solid for a filled target, an outline "
        "for a sketch",
    ),
]
SHAPE_TOOLS = ("rect", "ellipse")
MODALITIES = [("filled", "Filled shape"), ("sketch", "Outline sketch")]


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


def _round_pen(color: QColor, width: float) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def paint_stroke(target: np.ndarray, points: list[QPointF], width: float, ink: bool) -> np.ndarray:
    """``target`` with a round-capped polyline through ``points`` (canvas units) painted."""

    def draw(painter: QPainter) -> None:
        color = QColor(255, 255, 255) if ink else QColor(0, 0, 0)
        painter.setPen(_round_pen(color, width * PIXELS_PER_UNIT))
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
            painter.setPen(_round_pen(color, width * PIXELS_PER_UNIT))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        if kind == "rect":
            painter.drawRect(box)
        else:
            painter.drawEllipse(box)

    return _paint(target, draw)


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


def flood_fill(target: np.ndarray, point: QPointF) -> np.ndarray:
    """``target`` with the closed region around ``point`` (canvas units) made solid
    (:func:`editor.region_fill.fill_region`: slivers it touches are filled too)."""
    return fill_region(target, int(point.y() * PIXELS_PER_UNIT), int(point.x() * PIXELS_PER_UNIT))


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file as a target, read the way it was drawn: the colour filling most of the
    image's border is the paper, everything far from it is ink (``inference.images``,
    ``ink="auto"``, as ``synthesize`` reads drawings).

    Raises:
        ImageError: not a readable image, or an image of one colour (no ink).
    """
    image = load_target(path, TARGET_SIZE, ink=INK_AUTO)
    if not image.max(initial=0.0) >= 0.5:
        reason = "the image is blank: it is all one colour, so there is no drawing to read"
        raise ImageError(f"{path}: {reason}", reason)
    return image


def default_hint() -> str:
    """The empty pad's hint, naming the drawing tools' keys."""
    keys = {name: key for name, _label, key, _tip in TOOLS}
    return (
        f"Draw a shape here: pen ({keys['pen']}), rectangle ({keys['rect']}), "
        f"ellipse ({keys['ellipse']}); fill ({keys['fill']}) makes an outline solid. "
        "Or drop an image here."
    )


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
        circle = self.tool == "ellipse" and self._square
        return shape_rect(start, end, self.show_grid, self._square, circle)

    def mouseReleaseEvent(self, event) -> None:
        if self.end_pan() or not self._points:
            return
        if self.tool in SHAPE_TOOLS:
            self._square = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
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
                snapped = self.show_grid and (self.tool == "rect" or self._square) and solid
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
            painter.setPen(_round_pen(color, self.pen_width))
            box = self.shape_box()
            if self.tool in SHAPE_TOOLS:
                if box is not None:
                    if self._cut:
                        painter.setPen(_round_pen(QColor(255, 255, 255), self.pen_width))
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


class SketchPad(QWidget):
    """Tool bar + :class:`SketchCanvas`.

    Signals:
        message(str): a status line.
        penWidthChanged(float): the user changed the pen width.
        imageLoaded(str): an image file became the target (its path).
        imageFailed(str, str): an image file could not be loaded (its path, and why in
            plain words); the main window shows it in a dialog.
    """

    message = Signal(str)
    penWidthChanged = Signal(float)
    imageLoaded = Signal(str)
    imageFailed = Signal(str, str)

    def __init__(self, doc: Document, pen_width: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.canvas = SketchCanvas(doc, pen_width)
        self.toolbar = QToolBar("Sketch")
        self.tool_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for name, label, key, tip in TOOLS:
            act = QAction(label, self, checkable=True, toolTip=f"{tip} ({key})")
            act.setShortcut(key)
            # the whole window: the tool keys work wherever the focus is (text fields still
            # take their letters, since they claim plain keys before shortcuts)
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(lambda _=False, n=name: self.set_tool(n))
            group.addAction(act)
            self.toolbar.addAction(act)
            self.addAction(act)
            self.tool_actions[name] = act
        self.tool_actions["pen"].setChecked(True)
        self.width_box = QDoubleSpinBox(minimum=0.25, maximum=8.0, singleStep=0.25, suffix=" u")
        self.width_box.setValue(pen_width)
        self.width_box.setToolTip("Pen width in canvas units (the canvas is 32 units wide)")
        self.width_box.valueChanged.connect(self._width_changed)
        self.toolbar.addWidget(QLabel(" Width "))
        self.toolbar.addWidget(self.width_box)
        self.target_bar = QToolBar("Target")
        self.modality_box = QComboBox(toolTip="Is the target a filled shape or an outline sketch?")
        for key, label in MODALITIES:
            self.modality_box.addItem(label, key)
        self.modality_box.activated.connect(self._modality_chosen)
        self.target_bar.addWidget(QLabel(" Target: "))
        self.target_bar.addWidget(self.modality_box)
        self.target_bar.addSeparator()
        self.grid_action = QAction(
            "Grid",
            self,
            checkable=True,
            checked=True,
            toolTip="Show the 16-step grid programs live on (shapes drawn on it can be "
            "matched exactly)",
        )
        self.grid_action.toggled.connect(self._grid_toggled)
        self.target_bar.addAction(self.grid_action)
        self.load_action = self.target_bar.addAction("Load image…", self.choose_image)
        self.clear_action = self.target_bar.addAction("Clear", self.clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.target_bar)
        layout.addWidget(self.canvas)
        self.setAcceptDrops(True)
        doc.targetChanged.connect(self._sync_modality)
        doc.busyChanged.connect(self._busy_changed)
        self._sync_modality()

    def _busy_changed(self, busy: bool) -> None:
        self.toolbar.setEnabled(not busy)
        self.target_bar.setEnabled(not busy)

    def _grid_toggled(self, on: bool) -> None:
        self.canvas.show_grid = on
        self.canvas.update()

    def set_tool(self, name: str) -> None:
        """Pick ``"pen"``, ``"eraser"``, ``"fill"``, ``"rect"`` or ``"ellipse"``."""
        self.canvas.tool = name
        self.tool_actions[name].setChecked(True)

    def set_pen_width(self, width: float) -> None:
        """Set the pen width (canvas units)."""
        self.width_box.setValue(width)

    def _width_changed(self, width: float) -> None:
        self.canvas.pen_width = width
        self.penWidthChanged.emit(width)

    def clear(self) -> None:
        """Erase the whole target (one undo step)."""
        if self.doc.has_ink():
            self.doc.push(commands.set_target(self.doc, np.zeros_like(self.doc.target), "Clear"))

    def choose_image(self) -> None:
        """Ask for an image file and load it as the target."""
        path, _ = QFileDialog.getOpenFileName(self, "Load target image", "", IMAGE_FILTER)
        if path:
            self.load_image(path)

    def load_image(self, path: str | os.PathLike) -> bool:
        """Load an image file as the target; False (``imageFailed``) when it cannot."""
        try:
            image = read_image(path)
        except ImageError as e:
            self.imageFailed.emit(os.fspath(path), e.reason)
            return False
        self.doc.push(commands.set_target(self.doc, image, f"Load image {Path(path).name}"))
        self.imageLoaded.emit(os.fspath(path))
        return True

    def _modality_chosen(self, index: int) -> None:
        key = self.modality_box.itemData(index)
        if key != self.doc.modality:
            self.doc.push(commands.set_modality(self.doc, key))

    def _sync_modality(self) -> None:
        self.modality_box.setCurrentIndex([k for k, _ in MODALITIES].index(self.doc.modality))

    def _image_paths(self, event) -> list[str]:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        return [p for p in paths if Path(p).suffix.lower() in IMAGE_SUFFIXES]

    def dragEnterEvent(self, event) -> None:
        if self._image_paths(event) and not self.doc.busy:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = self._image_paths(event)
        if paths and self.load_image(paths[0]):
            event.acceptProposedAction()
