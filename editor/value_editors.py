"""In-place value editors for the tree panel, and small display helpers.

:class:`ValueDelegate` opens, in the *Value* column, the editor of the leaf's
domain (``inference.lang.grammar.LeafDomain``): a spin box for numbers (CSG2D
0–15, TinySVG 0–9), a 0°–315° choice for an angle, a +/− choice for an
operation, and for TinySVG a colour list with swatches (``none`` included), h/v
for a direction and true/false for a flag.  It never writes into the item
model: it reports ``(position, value)`` to a callback, which turns it into an
undoable edit of the document.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QComboBox, QSpinBox, QStyledItemDelegate, QTreeWidget, QWidget

from inference.lang.tinysvg import COLOUR_LEAF, DIR_LEAF
from inference.lang.tree import (
    ANGLE_LEAF,
    ANGLE_VALUES,
    NUM_LEAF,
    OP_LEAF,
    OP_VALUES,
    Node,
    node_at,
)
from inference.render.svg_scene import COLOURS as COLOUR_RGB

POS_ROLE = Qt.ItemDataRole.UserRole + 1
"""Item data role holding a node position (column 0: the row's node, column 1: the edited leaf)."""
OP_LABELS = {"+": "+  union", "-": "−  difference"}
DIR_LABELS = {"h": "h  side by side", "v": "v  one above the other"}


def colour_icon(name: str, size: int = 14) -> QIcon:
    """A swatch of a TinySVG colour (``none``: an empty box with a red slash)."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    box = QRectF(1.5, 1.5, size - 3, size - 3)
    rgb = COLOUR_RGB.get(name)
    p.setPen(QPen(QColor(90, 90, 90), 1))
    if rgb is not None:
        p.setBrush(QColor(*rgb))
    p.drawRect(box)
    if rgb is None:
        p.setPen(QPen(QColor(200, 40, 40), 1.5))
        p.drawLine(box.bottomLeft(), box.topRight())
    p.end()
    return QIcon(pix)


def value_choices(node: Node) -> list[tuple[str, object]]:
    """``(label, value)`` of every value a non-numeric leaf can take, in domain order."""
    if node.kind == ANGLE_LEAF:
        return [(f"{a}°", a) for a in ANGLE_VALUES]
    if node.kind == DIR_LEAF:
        return [(DIR_LABELS[d], d) for d in node.grammar.domain(node.nonterminal).values]
    if node.kind == OP_LEAF:
        return [(OP_LABELS[o], o) for o in OP_VALUES]
    domain = node.grammar.domain(node.nonterminal)
    texts = domain.spelling().texts  # how the program text writes them: "true", "blue"
    return list(zip(texts, domain.values, strict=True))


def number_range(node: Node) -> tuple[int, int] | None:
    """``(lowest, highest)`` for a leaf whose values are consecutive integers (a spin box),
    else ``None``."""
    values = node.grammar.domain(node.nonterminal).values
    if all(type(v) is int for v in values) and list(values) == list(
        range(values[0], values[0] + len(values))
    ):
        return values[0], values[-1]
    return None


def lock_icon(size: int = 16) -> QIcon:
    """A small padlock icon, drawn (no image files needed)."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = QColor(200, 120, 20)
    p.setPen(QPen(color, size / 8))
    p.drawArc(QRectF(size * 0.28, size * 0.08, size * 0.44, size * 0.5), 0, 180 * 16)
    p.fillRect(QRectF(size * 0.18, size * 0.42, size * 0.64, size * 0.5), color)
    p.end()
    return QIcon(pix)


class ValueDelegate(QStyledItemDelegate):
    """Editors for the value column; reports edits to ``on_value(pos, value)``.

    ``program_of()`` returns the current program (the rows only hold positions).
    """

    def __init__(
        self,
        tree: QTreeWidget,
        program_of: Callable[[], Node],
        on_value: Callable[[int, object], None],
    ):
        super().__init__(tree)
        self.tree = tree
        self.program_of = program_of
        self.on_value = on_value

    def _leaf(self, index: QModelIndex) -> tuple[int, Node] | None:
        pos = index.siblingAtColumn(1).data(POS_ROLE)
        if index.column() != 1 or pos is None or pos < 0:
            return None
        return pos, node_at(self.program_of(), pos)

    def createEditor(self, parent: QWidget, option, index: QModelIndex) -> QWidget | None:
        found = self._leaf(index)
        if found is None:
            return None
        node = found[1]
        numbers = number_range(node)
        if numbers is not None:
            editor = QSpinBox(parent, minimum=numbers[0], maximum=numbers[1])
            if node.kind == NUM_LEAF:
                editor.setToolTip("0–15 (a value v is 2v canvas units)")
            else:
                editor.setToolTip(f"{numbers[0]}–{numbers[1]} (one unit is 6 of 224 pixels)")
            return editor
        combo = QComboBox(parent)
        for label, value in value_choices(node):
            if node.kind == COLOUR_LEAF:
                combo.addItem(colour_icon(value), label, value)
            else:
                combo.addItem(label, value)
        combo.activated.connect(lambda _i, c=combo: self._commit_combo(c))
        return combo

    def _commit_combo(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo, QStyledItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        found = self._leaf(index)
        if found is None:
            return
        value = found[1].value
        if isinstance(editor, QSpinBox):
            editor.setValue(value)
        else:
            editor.setCurrentIndex(max(0, editor.findData(value)))

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:
        found = self._leaf(index)
        if found is None:
            return
        if isinstance(editor, QSpinBox):
            editor.interpretText()
            value = editor.value()
        else:
            value = editor.currentData()
        self.on_value(found[0], value)
