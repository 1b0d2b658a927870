"""The shared base of the sketch pad and the render view: a zoomable, pannable canvas.

The 32×32-unit CSG canvas (y down) is shown as a square fitted to the widget (a
TinySVG document's 224×224-pixel canvas fills the same square: 7 pixels a unit),
scaled by :attr:`CanvasWidget.zoom` and shifted by :attr:`CanvasWidget.pan`
(widget pixels).  The wheel zooms about the cursor; the middle button (or
Alt + left button) drags the view.  Subclasses paint in canvas units with
:meth:`canvas_transform` and map mouse positions with :meth:`to_canvas`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QTransform, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from inference.render.geometry import CANVAS

MIN_ZOOM, MAX_ZOOM = 0.25, 16.0
ZOOM_STEP = 1.25
PAPER = QColor("#ffffff")
BACKDROP = QColor("#8a8f98")


def gray_image(values: np.ndarray) -> QImage:
    """A QImage (Grayscale8) of a 2-D array in [0, 1] (1 = white)."""
    data = np.ascontiguousarray(np.clip(values * 255 + 0.5, 0, 255).astype(np.uint8))
    h, w = data.shape
    return QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def rgba_image(rgba: np.ndarray) -> QImage:
    """A QImage (RGBA8888) of an (h, w, 4) uint8 array."""
    data = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w = data.shape[:2]
    return QImage(data.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


class CanvasWidget(QWidget):
    """A widget showing the CSG canvas with zoom and pan.

    Signals:
        viewChanged: zoom or pan changed.
    """

    viewChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)
        self._drag_from: QPointF | None = None
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # ----- geometry ------------------------------------------------------------------------

    def canvas_rect(self) -> QRectF:
        """Where the canvas square is drawn, in widget pixels."""
        side = 0.94 * min(self.width(), self.height()) * self.zoom
        x = (self.width() - side) / 2 + self.pan.x()
        y = (self.height() - side) / 2 + self.pan.y()
        return QRectF(x, y, side, side)

    def canvas_transform(self) -> QTransform:
        """Canvas units → widget pixels."""
        r = self.canvas_rect()
        scale = r.width() / CANVAS
        return QTransform(scale, 0, 0, scale, r.x(), r.y())

    def to_canvas(self, point: QPointF) -> QPointF:
        """Widget pixels → canvas units."""
        r = self.canvas_rect()
        scale = CANVAS / r.width()
        return QPointF((point.x() - r.x()) * scale, (point.y() - r.y()) * scale)

    # ----- zoom and pan --------------------------------------------------------------------

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` keeping the canvas point under ``anchor`` (widget pixels) fixed."""
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        before = self.to_canvas(anchor)
        self.zoom = zoom
        after = self.canvas_transform().map(before)
        self.pan += anchor - after
        self.viewChanged.emit()
        self.update()

    def zoom_in(self) -> None:
        """One zoom step in."""
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        """One zoom step out."""
        self.set_zoom(self.zoom / ZOOM_STEP)

    def fit(self) -> None:
        """Show the whole canvas."""
        self.zoom, self.pan = 1.0, QPointF(0.0, 0.0)
        self.viewChanged.emit()
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.set_zoom(self.zoom * ZOOM_STEP**steps, event.position())
        event.accept()

    def _is_pan(self, event: QMouseEvent) -> bool:
        alt = event.modifiers() & Qt.KeyboardModifier.AltModifier
        return event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and bool(alt)
        )

    def start_pan(self, event: QMouseEvent) -> bool:
        """Begin a pan drag if ``event`` asks for one; True when it did."""
        if self._is_pan(event):
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return True
        return False

    def continue_pan(self, event: QMouseEvent) -> bool:
        """Move the view during a pan drag; True while panning."""
        if self._drag_from is None:
            return False
        self.pan += event.position() - self._drag_from
        self._drag_from = event.position()
        self.viewChanged.emit()
        self.update()
        return True

    def end_pan(self) -> bool:
        """Finish a pan drag; True if one was running."""
        if self._drag_from is None:
            return False
        self._drag_from = None
        self.unsetCursor()
        return True

    # ----- painting helpers ----------------------------------------------------------------

    def paint_backdrop(self, painter: QPainter) -> None:
        """Fill around the canvas and draw the paper."""
        painter.fillRect(self.rect(), BACKDROP)
        painter.fillRect(self.canvas_rect(), PAPER)

    def draw_image(self, painter: QPainter, image: QImage, smooth: bool = True) -> None:
        """Draw ``image`` stretched over the canvas square."""
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(self.canvas_rect(), image)
