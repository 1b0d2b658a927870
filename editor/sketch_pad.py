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

On a TinySVG document (``doc.grammar`` is ``TINYSVG``) the target is a colour picture:
a palette of TinySVG's eight colours shows (keys 1–8; the current one is ringed and
named), the pen, shapes and fill paint in that colour (white erases), the shapes snap
to TinySVG's 6-pixel units, images load in colour, and there is no modality to choose
(a TinySVG target is always filled).  The palette is hidden on a CSG2D document.

The pane is this module; the drawing surface is :mod:`editor.sketch_canvas`, what it
paints on the target :mod:`editor.target_paint`, and the shape tools' snapping
:mod:`editor.shape_snap`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPen, QPixmap
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
from editor.docfile import TARGET_SIZE, blank_target
from editor.document import Document
from editor.settings import Settings
from editor.sketch_canvas import TOOLS, SketchCanvas
from inference.files.images import INK_AUTO, ImageError, load_colour_image, load_target
from inference.lang.grammar import TINYSVG
from inference.render.svg_scene import CANVAS as SVG_CANVAS
from inference.render.svg_scene import COLOURS

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp)"
MODALITIES = [("filled", "Filled shape"), ("sketch", "Outline sketch")]
MIN_PEN_WIDTH, MAX_PEN_WIDTH = 0.25, 8.0
"""The pen's narrowest and widest width (canvas units)."""
PALETTE = [name for name, rgb in COLOURS.items() if rgb is not None]
"""TinySVG's colours in the palette's order (keys 1–8): red, green, blue, yellow, purple,
orange, black, white."""
SWATCH = 22
"""Side of a palette swatch icon, pixels."""
GRID_TIPS = {
    "CSG2D": "Show the 16-step grid programs live on (shapes drawn on it can be matched exactly)",
    "TinySVG": "Show TinySVG's 6-pixel units (shapes drawn on it are whole units, as a "
    "program draws them)",
}


def read_colour_image(path: str | os.PathLike) -> np.ndarray:
    """An image file as a TinySVG target: RGB floats in [0, 1] at 224×224, area-reduced
    (``inference.files.images.load_colour_image``; transparency is white paper).

    Raises:
        ImageError: not a readable image, or a blank (all white) one.
    """
    image = load_colour_image(path, SVG_CANVAS).astype(np.float32) / 255.0
    if image.min(initial=1.0) >= 1.0:
        reason = "the image is blank: it is all white, so there is no drawing to read"
        raise ImageError(f"{path}: {reason}", reason)
    return image


def swatch_icon(colour: str) -> QIcon:
    """A palette swatch: the colour in a thin frame, and when chosen (the icon's *on*
    state) ringed thick in dark grey, so the current colour stands out on either theme."""
    icon = QIcon()
    for state, ring in ((QIcon.State.Off, 1), (QIcon.State.On, 4)):
        pixmap = QPixmap(SWATCH, SWATCH)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor(*COLOURS[colour]))
        painter.setPen(QPen(QColor(40, 40, 40), ring))
        inset = ring / 2 + 0.5
        painter.drawRoundedRect(QRectF(inset, inset, SWATCH - 2 * inset, SWATCH - 2 * inset), 3, 3)
        if ring > 1:  # a light inner ring: the mark shows on black and purple too
            painter.setPen(QPen(QColor(255, 255, 255), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inner = inset + ring / 2 + 0.75
            painter.drawRoundedRect(
                QRectF(inner, inner, SWATCH - 2 * inner, SWATCH - 2 * inner), 2, 2
            )
        painter.end()
        icon.addPixmap(pixmap, QIcon.Mode.Normal, state)
    return icon


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
        colourChanged(str): the TinySVG colour to paint in changed (its name).
    """

    message = Signal(str)
    penWidthChanged = Signal(float)
    imageLoaded = Signal(str)
    imageFailed = Signal(str, str)
    colourChanged = Signal(str)

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
        self.width_box = QDoubleSpinBox(
            minimum=MIN_PEN_WIDTH, maximum=MAX_PEN_WIDTH, singleStep=0.25, suffix=" u"
        )
        # a width typed outside the range becomes the nearest one it has (Qt's default puts
        # back the previous width, so a typed 0.2 quietly became 1.00)
        self.width_box.setCorrectionMode(QDoubleSpinBox.CorrectionMode.CorrectToNearestValue)
        self.width_box.setValue(pen_width)
        self.width_box.setToolTip(
            f"Pen width in canvas units, {MIN_PEN_WIDTH:g} to {MAX_PEN_WIDTH:g} "
            "(the canvas is 32 units wide)"
        )
        self.width_box.valueChanged.connect(self._width_changed)
        self.toolbar.addWidget(QLabel(" Width "))
        self.toolbar.addWidget(self.width_box)
        self.colour_bar = self._palette()
        self.target_bar = QToolBar("Target")
        self.modality_box = QComboBox(toolTip="Is the target a filled shape or an outline sketch?")
        for key, label in MODALITIES:
            self.modality_box.addItem(label, key)
        self.modality_box.activated.connect(self._modality_chosen)
        self._modality_actions = [
            self.target_bar.addWidget(QLabel(" Target: ")),
            self.target_bar.addWidget(self.modality_box),
            self.target_bar.addSeparator(),
        ]
        self.grid_action = QAction(
            "Grid", self, checkable=True, checked=True, toolTip=GRID_TIPS["CSG2D"]
        )
        self.grid_action.toggled.connect(self._grid_toggled)
        self.target_bar.addAction(self.grid_action)
        self.load_action = self.target_bar.addAction("Load image…", self.choose_image)
        self.clear_action = self.target_bar.addAction("Clear", self.clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.colour_bar)
        layout.addWidget(self.target_bar)
        layout.addWidget(self.canvas)
        self.setAcceptDrops(True)
        doc.targetChanged.connect(self._sync_modality)
        doc.busyChanged.connect(self._busy_changed)
        doc.loaded.connect(self._language_changed)
        settings.preferencesChanged.connect(self.use_preferences)
        self._sync_modality()
        self._language_changed()

    def _palette(self) -> QToolBar:
        """The colour tool bar: one checkable swatch per TinySVG colour, keys 1–8."""
        bar = QToolBar("Colour")
        bar.addWidget(QLabel(" Colour "))
        self.colour_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for number, name in enumerate(PALETTE, start=1):
            erases = " — paints the paper: erases" if name == "white" else ""
            act = QAction(swatch_icon(name), name.title(), self, checkable=True)
            act.setToolTip(f"Paint in {name}{erases} ({number})")
            act.setShortcut(str(number))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(lambda _=False, n=name: self.set_colour(n))
            group.addAction(act)
            bar.addAction(act)
            self.addAction(act)
            self.colour_actions[name] = act
        self.colour_label = QLabel()
        self.colour_label.setMinimumWidth(64)
        bar.addWidget(self.colour_label)
        self.set_colour(self.canvas.colour)
        return bar

    @property
    def colour(self) -> str:
        """The TinySVG colour the pad paints in (a TinySVG document)."""
        return self.canvas.colour

    def set_colour(self, name: str) -> None:
        """Paint in TinySVG colour ``name`` (``"white"`` erases); ``ValueError`` for a
        name that is not one of :data:`PALETTE`."""
        if name not in PALETTE:
            raise ValueError(f"unknown colour {name!r}; choose one of {', '.join(PALETTE)}")
        self.canvas.colour = name
        self.colour_actions[name].setChecked(True)
        self.colour_label.setText(f" <b>{name}</b>")
        self.colourChanged.emit(name)

    def _drawing(self) -> bool:
        return self.doc.grammar is TINYSVG

    def _language_changed(self) -> None:
        """Show the palette (and hide the modality, always filled) on a TinySVG document."""
        drawing = self._drawing()
        self.colour_bar.setVisible(drawing)
        for act in self.colour_actions.values():
            act.setEnabled(drawing)  # no colour keys on a CSG2D document
        for act in self._modality_actions:
            act.setVisible(not drawing)
        self.grid_action.setToolTip(GRID_TIPS[self.doc.grammar.name])
        self.canvas.update()

    def _busy_changed(self, busy: bool) -> None:
        self.toolbar.setEnabled(not busy)
        self.colour_bar.setEnabled(not busy)
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
        """Erase the whole target (one undo step): no ink, or a TinySVG document's white."""
        if self.doc.has_ink():
            blank = blank_target(self.doc.grammar)
            self.doc.push(commands.set_target(self.doc, blank, "Clear"))

    def choose_image(self) -> None:
        """Ask for an image file and load it as the target."""
        path, _ = QFileDialog.getOpenFileName(self, "Load target image", "", IMAGE_FILTER)
        if path:
            self.load_image(path)

    def load_image(self, path: str | os.PathLike) -> bool:
        """Load an image file as the target (in colour on a TinySVG document); False
        (``imageFailed``) when it cannot."""
        try:
            image = read_colour_image(path) if self._drawing() else read_image(path)
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
