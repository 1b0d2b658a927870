"""The render view: the program's render over the target, the score, and shape picking.

Two modes: *overlay* (the render in blue over the target in grey, with an
opacity slider) and *difference* (grey where both agree, red where the
target has ink the program misses, blue where the program has extra).  The
selected node's shape is outlined in orange; a previewed proposal is drawn
as a dashed green outline of the whole edited program with its new part
filled.  Clicking a shape selects its primitive in the tree.

A TinySVG document (``Document.is_drawing``) shows colour: *overlay* blends the
program's RGB render over the target picture (the slider goes from the target
alone to the render alone), *difference* shows where they agree in pale colour and
where they differ in red.  Its primitives are the boxes of
``inference.render.svg_scene.layout`` (224 canvas pixels span the view's 32 units);
the score is TinySVG's goal score (solved above 0.99) with the colour IoU beside it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)
from shapely.geometry import Point

from editor.canvas import CanvasWidget, rgba_image
from editor.docfile import TARGET_SIZE
from editor.document import Document
from inference.lang.tree import Node, node_at, parent_of, primitives
from inference.render import svg_scene
from inference.render.geometry import CANVAS as UNITS
from inference.render.geometry import outline_rings, shape_of

TARGET_RGB = (196, 200, 208)
PROGRAM_RGB = (40, 100, 220)
MISSING_RGB = (220, 50, 40)
BOTH_RGB = (90, 94, 102)
SELECTED = QColor(255, 140, 0)
PREVIEW = QColor(20, 160, 60)
DIFFERENT_BY = 8 / 255
"""A drawing's pixel differs from the target's when a channel differs by more than this."""
RECOLOUR_RGB = (235, 160, 20)
"""The difference view's colour where target and drawing both paint, in other colours."""
UNITS_PER_PX = UNITS / svg_scene.CANVAS
"""View units (32 across) per TinySVG canvas pixel (224 across)."""


def shape_path(node: Node) -> QPainterPath:
    """The outline of a shape node as a painter path in canvas units (even-odd fill)."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for ring in outline_rings(node, quad_segs=32):
        path.moveTo(*ring[0])
        for x, y in ring[1:]:
            path.lineTo(x, y)
        path.closeSubpath()
    return path


def _box_path(placed: svg_scene.Placed) -> QPainterPath:
    """One TinySVG primitive's fill box (rectangle or inscribed ellipse), in view units."""
    path = QPainterPath()
    x0, y0 = placed.x0 * UNITS_PER_PX, placed.y0 * UNITS_PER_PX
    w, h = (placed.x1 - placed.x0) * UNITS_PER_PX, (placed.y1 - placed.y0) * UNITS_PER_PX
    if placed.kind == "rect":
        path.addRect(x0, y0, w, h)
    else:
        path.addEllipse(x0, y0, w, h)
    return path


def placed_primitives(program: Node) -> list[tuple[int, svg_scene.Placed]]:
    """``(position, placed box)`` of every TinySVG primitive, in painting order."""
    return list(zip((p for p, _ in primitives(program)), svg_scene.layout(program), strict=True))


def drawing_path(program: Node, start: int = 0, end: int | None = None) -> QPainterPath:
    """The boxes of the TinySVG primitives at positions ``start`` ≤ p < ``end`` of
    ``program`` (default: all), as one painter path in view units (zero-sized ones
    draw as a line or a point)."""
    end = program.size if end is None else end
    path = QPainterPath()
    for pos, placed in placed_primitives(program):
        if start <= pos < end:
            path.addPath(_box_path(placed))
    return path


def drawing_composite(target: np.ndarray, program: np.ndarray, opacity: float, difference: bool):
    """The (h, w, 4) uint8 picture of a TinySVG render over its RGB target (both float
    in [0, 1]): a blend, or the difference in CSG2D's colours, each mixed with white by
    ``opacity``: grey where both paint the same, red where only the target paints, blue
    where only the program does, amber where both paint in different colours."""
    if difference:
        differs = np.abs(program - target).max(axis=2) > DIFFERENT_BY
        in_target = target.min(axis=2) < 1.0 - DIFFERENT_BY  # painted, not paper
        in_program = program.min(axis=2) < 1.0 - DIFFERENT_BY
        rgb = np.ones(target.shape)
        parts = [
            (~differs & in_target, BOTH_RGB),
            (differs & in_target & ~in_program, MISSING_RGB),
            (differs & in_program & ~in_target, PROGRAM_RGB),
            (differs & in_program & in_target, RECOLOUR_RGB),
        ]
        for mask, colour in parts:
            rgb[mask] = (1 - opacity) + opacity * np.array(colour) / 255.0
    else:
        rgb = (1 - opacity) * target + opacity * program
    alpha = np.ones((*target.shape[:2], 1))
    return (np.concatenate([rgb, alpha], axis=2) * 255).round().astype(np.uint8)


def composite(target: np.ndarray, program: np.ndarray, opacity: float, difference: bool):
    """The (h, w, 4) uint8 picture of ``program`` over ``target`` on white paper."""
    rgb = np.full((*target.shape, 3), 255.0)
    if difference:
        parts = [(target & program, BOTH_RGB), (target & ~program, MISSING_RGB)]
        parts.append((program & ~target, PROGRAM_RGB))
        for mask, color in parts:
            rgb[mask] = 255.0 * (1 - opacity) + np.array(color) * opacity
    else:
        rgb[target] = TARGET_RGB
        rgb[program] = rgb[program] * (1 - opacity) + np.array(PROGRAM_RGB) * opacity
    alpha = np.full((*target.shape, 1), 255.0)
    return np.concatenate([rgb, alpha], axis=2).round().astype(np.uint8)


class RenderCanvas(CanvasWidget):
    """Paints target, render, selection and preview; clicking selects a primitive."""

    def __init__(self, doc: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.opacity = 0.6
        self.difference = False
        for signal in (doc.programChanged, doc.targetChanged, doc.previewChanged):
            signal.connect(self.refresh)
        doc.selectionChanged.connect(lambda _pos: self.update())
        self.refresh()

    def refresh(self) -> None:
        """Recompute the layers from the document."""
        if self.doc.is_drawing:
            self._refresh_drawing()
            return
        target = self.doc.target >= 0.5
        program = self.doc.render(TARGET_SIZE)
        self._image = rgba_image(composite(target, program, self.opacity, self.difference))
        preview = self.doc.preview
        self._preview_paths = None
        if preview is not None:
            after = preview.apply(self.doc.program)
            part = shape_path(preview.replacement) if not preview.replacement.is_leaf else None
            self._preview_paths = (shape_path(after), part)
        self.update()

    def _refresh_drawing(self) -> None:
        doc = self.doc
        picture = drawing_composite(doc.target, doc.render(), self.opacity, self.difference)
        self._image = rgba_image(picture)
        self._preview_paths = None
        preview = doc.preview
        if preview is not None:
            after = preview.apply(doc.program)
            new = preview.replacement
            part = drawing_path(after, preview.pos, preview.pos + new.size)
            self._preview_paths = (drawing_path(after), None if new.is_leaf else part)
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        self.paint_backdrop(painter)
        self.draw_image(painter, self._image, smooth=False)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setTransform(self.canvas_transform())
        if self._preview_paths is not None:
            whole, part = self._preview_paths
            if part is not None:
                painter.fillPath(part, QBrush(QColor(20, 160, 60, 70)))
            pen = QPen(PREVIEW, 2.5, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.strokePath(whole, pen)
        selected = self.selected_path()
        if selected is not None:
            pen = QPen(SELECTED, 3.0)
            pen.setCosmetic(True)
            painter.strokePath(selected, pen)

    def selected_position(self) -> int:
        """Position of the selected shape; for a selected value, of the shape it belongs
        to; -1 when none."""
        pos = self.doc.selected
        if pos >= 0 and node_at(self.doc.program, pos).is_leaf:
            pos = parent_of(self.doc.program, pos)
        return pos

    def selected_shape(self) -> Node | None:
        """The selected shape; for a selected value, the shape it belongs to."""
        pos = self.selected_position()
        return None if pos < 0 else node_at(self.doc.program, pos)

    def selected_path(self) -> QPainterPath | None:
        """The outline drawn for the selection (TinySVG: the boxes of the selected
        drawing's primitives), in view units; ``None`` when nothing is selected."""
        pos = self.selected_position()
        if pos < 0:
            return None
        if self.doc.is_drawing:
            return drawing_path(self.doc.program, pos, pos + self.doc.node(pos).size)
        return shape_path(self.doc.node(pos))

    def primitive_at(self, point: QPointF) -> int:
        """Position of the last (topmost) primitive whose shape contains ``point`` (units);
        -1 when none does."""
        if self.doc.is_drawing:
            return self._drawing_primitive_at(point.x() / UNITS_PER_PX, point.y() / UNITS_PER_PX)
        p = Point(point.x(), point.y())
        for pos, node in reversed(primitives(self.doc.program)):
            if shape_of(node, quad_segs=16).intersects(p):
                return pos
        return -1

    def _drawing_primitive_at(self, x: float, y: float) -> int:
        """The topmost TinySVG primitive whose fill box (or ellipse), grown by half its
        stroke, holds the canvas pixel point (x, y); zero-sized ones paint nothing."""
        for pos, p in reversed(placed_primitives(self.doc.program)):
            if p.x1 <= p.x0 or p.y1 <= p.y0:
                continue
            grow = p.stroke_px / 2 if p.stroke != "none" else 0.0
            cx, cy = (p.x0 + p.x1) / 2, (p.y0 + p.y1) / 2
            a, b = (p.x1 - p.x0) / 2 + grow, (p.y1 - p.y0) / 2 + grow
            if p.kind == "rect":
                inside = abs(x - cx) <= a and abs(y - cy) <= b
            else:
                inside = ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1
            if inside:
                return pos
        return -1

    def mousePressEvent(self, event) -> None:
        if self.start_pan(event) or event.button() != Qt.MouseButton.LeftButton:
            return
        self.doc.set_selected(self.primitive_at(self.to_canvas(event.position())))

    def mouseMoveEvent(self, event) -> None:
        self.continue_pan(event)

    def mouseReleaseEvent(self, event) -> None:
        self.end_pan()


class RenderView(QWidget):
    """Header (opacity, difference, solved; the score below) over a :class:`RenderCanvas`."""

    def __init__(self, doc: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.canvas = RenderCanvas(doc)
        self.opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=60)
        self.opacity.setToolTip("Opacity of the program's render over the target")
        self.opacity.setMinimumWidth(70)
        self.opacity.setMaximumWidth(120)
        self.opacity.valueChanged.connect(self._opacity_changed)
        self.difference = QCheckBox("Difference")
        self.difference.toggled.connect(self._difference_toggled)
        self.score_label = QLabel()
        # the label takes the space left over and never widens the view (long preview texts)
        self.score_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.solved_label = QLabel()
        self.solved_label.setMinimumWidth(90)
        self.solved_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head = QHBoxLayout()
        head.setContentsMargins(6, 3, 6, 0)
        head.addWidget(QLabel("Opacity"))
        head.addWidget(self.opacity)
        head.addWidget(self.difference)
        head.addStretch(1)
        head.addWidget(self.solved_label)
        score_row = QHBoxLayout()  # its own row: "Score (±1 u) 0.869 → 0.930 (proposal)" is long
        score_row.setContentsMargins(6, 0, 6, 3)
        score_row.addWidget(self.score_label, 1)
        self.hint = QLabel(
            "This target looks like an outline: fill it with the Fill tool, or set "
            "Target to “Outline sketch”.",
            wordWrap=True,
        )
        self.hint.setStyleSheet("color: #b9770e; padding: 0 6px 3px 6px;")
        self.hint.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addLayout(score_row)
        layout.addWidget(self.hint)
        layout.addWidget(self.canvas)
        for signal in (doc.programChanged, doc.targetChanged, doc.previewChanged):
            signal.connect(self.update_score)
        doc.targetChanged.connect(lambda: self.hint.setVisible(doc.looks_like_outline()))
        doc.loaded.connect(self._language_changed)
        self._language_changed()

    def _language_changed(self) -> None:
        """Tool tips that name what the colours mean, and the score, for the language."""
        self.difference.setToolTip(
            "Grey: the same paint. Red: the target's paint the program misses. Blue: the "
            "program's extra paint. Amber: both paint there, in different colours."
            if self.doc.is_drawing
            else "Red: missing ink. Blue: extra."
        )
        self.opacity.setToolTip(
            "0: the target alone; 100: the program's render alone"
            if self.doc.is_drawing
            else "Opacity of the program's render over the target"
        )
        self.canvas.refresh()
        self.update_score()

    def _opacity_changed(self, value: int) -> None:
        self.canvas.opacity = value / 100
        self.canvas.refresh()

    def _difference_toggled(self, on: bool) -> None:
        self.canvas.difference = on
        self.canvas.refresh()

    def score_name(self) -> str:
        """What the score is called: "Fit" for a sketch, "Score" with its edge tolerance,
        "Goal" for a TinySVG drawing."""
        tolerance = self.doc.effective_tolerance
        if self.doc.is_drawing:
            return f"Goal (±{tolerance:g} u)" if tolerance else "Goal"
        if self.doc.modality == "sketch":
            return "Fit"
        if not tolerance:
            return "Score (exact)"
        if tolerance < self.doc.tolerance:  # drawn with the snapping shape tools only
            return f"Score (±{tolerance:g} u, shapes)"
        return f"Score (±{tolerance:g} u)"

    def update_score(self) -> None:
        """Show the live score, the preview's score and whether the target is solved."""
        if not self.doc.has_ink():
            self.score_label.setText("No target yet")
            self.score_label.setToolTip("Draw on the sketch pad or load an image to get a score")
            self.solved_label.setText("")
            return
        if self.doc.is_drawing:
            tip = (
                "TinySVG's goal score (docs/TINYSVG.md): the render's log density against "
                "the target as a fraction of identical pictures' (1.000); above 0.99 solves "
                "it. Colour IoU: the share of painted pixels of the same colour (for reading)."
            )
            if self.doc.effective_tolerance:
                tip += (
                    " Drawn by hand (pen, fill or a loaded picture): where the two differ "
                    "within the edge tolerance (Preferences) of the same colours, it is "
                    "forgiven."
                )
        elif self.doc.modality == "sketch":
            tip = "Outline fit of the program against the sketch's strokes"
        else:
            tip = "Goal score (DESIGN §1); edges within the tolerance (Preferences) are forgiven"
        self.score_label.setToolTip(tip)
        score = self.doc.score()
        text = f"{self.score_name()} {score:.3f}"
        if self.doc.is_drawing:
            text += f" (solved > 0.99) · colour IoU {self.doc.colour_iou():.2f}"
        if self.doc.preview is not None:
            after = self.doc.score_target().score(self.doc.preview.apply(self.doc.program))
            text += f" → {after:.3f} (proposal)"
        solved = self.doc.solved()
        shown = None if self.doc.preview is None else self.doc.preview.apply(self.doc.program)
        problems = self.doc.shape_problems(shown) if shown is not None or not solved else []
        if problems:
            text += f": {problems[0]}" + (
                f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            )
            whose = "The proposal is" if shown is not None else "The program is"
            self.score_label.setToolTip(
                f"{whose} not the drawing's shape, however many pixels agree:\n• "
                + "\n• ".join(problems)
            )
        self.score_label.setText(text)
        words = self.doc.match_words
        if words is not None:  # a sketch or hand drawing pins values only to about a unit
            verdict = f"  ✔ {words[0].capitalize()}" if solved else "  No match yet"
            self.solved_label.setToolTip(words[1])
        else:
            verdict = "  ✔ Solved" if solved else "  Not solved"
            self.solved_label.setToolTip("")
        self.solved_label.setText(verdict)
        color = "#1a9641" if solved else "#888888"
        # "QLabel" so that the tooltip keeps its own look
        self.solved_label.setStyleSheet(f"QLabel {{ color: {color}; font-weight: bold; }}")
