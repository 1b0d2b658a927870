"""The sketch pad: draw or load the target the program should match.

Tools: a freehand pen with adjustable width, an eraser, a fill tool that
turns the closed region under the cursor solid (slivers between strokes
included, see ``editor.region_fill``), and rectangle and ellipse tools that
snap to shapes a program can draw while the grid shows.  Every stroke, fill,
shape, clear or loaded image is one undo step (``commands.set_target``).  Images load by
file dialog or drag and drop (PNG, JPEG, BMP; scaled to fit; read the way they were
drawn: the colour filling most of the image's border is the paper, the rest ink).
The modality box says whether the target is a filled shape or an outline sketch.
Zoom with the wheel, pan with the middle button or Alt + drag.

The pane is this module; the drawing surface is :mod:`editor.sketch_canvas`, what it
paints on the target :mod:`editor.target_paint`, and the shape tools' snapping
:mod:`editor.shape_snap`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
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
from editor.docfile import TARGET_SIZE
from editor.document import Document
from editor.settings import Settings
from editor.sketch_canvas import TOOLS, SketchCanvas
from inference.files.images import INK_AUTO, ImageError, load_target

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp)"
MODALITIES = [("filled", "Filled shape"), ("sketch", "Outline sketch")]


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file as a target, read the way it was drawn: the colour filling most of the
    image's border is the paper, everything far from it is ink (``inference.files.images``,
    ``ink="auto"``, as ``synthesize`` reads drawings).

    Raises:
        ImageError: not a readable image, or an image of one colour (no ink).
    """
    image = load_target(path, TARGET_SIZE, ink=INK_AUTO)
    if not image.max(initial=0.0) >= 0.5:
        reason = "the image is blank: it is all one colour, so there is no drawing to read"
        raise ImageError(f"{path}: {reason}", reason)
    return image


class SketchPad(QWidget):
    """Tool bar + :class:`SketchCanvas`.

    Signals:
        message(str): a status line.
        penWidthChanged(float): the pen width changed (the pad stores it in the
            preferences itself, and follows the preferences' pen width).
        imageLoaded(str): an image file became the target (its path).
        imageFailed(str, str): an image file could not be loaded (its path, and why in
            plain words); the main window shows it in a dialog.
    """

    message = Signal(str)
    penWidthChanged = Signal(float)
    imageLoaded = Signal(str)
    imageFailed = Signal(str, str)

    def __init__(self, doc: Document, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc, self.settings = doc, settings
        pen_width = settings.preferences().pen_width
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
        settings.preferencesChanged.connect(self.use_preferences)
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

    def use_preferences(self, prefs) -> None:
        """Follow the pen width ``prefs`` (:class:`editor.settings.Preferences`) choose."""
        self.set_pen_width(prefs.pen_width)

    def _width_changed(self, width: float) -> None:
        self.canvas.pen_width = width
        prefs = self.settings.preferences()
        if prefs.pen_width != width:  # not when the change came from the preferences
            prefs.pen_width = width
            self.settings.set_preferences(prefs)
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
