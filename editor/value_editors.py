"""In-place value editors for the tree panel, and small display helpers.

:class:`ValueDelegate` opens, in the *Value* column, a spin box 0–15 for a
number, a 0°–315° choice for an angle and a +/− choice for an operation.  It
never writes into the item model: it reports ``(position, value)`` to a
callback, which turns it into an undoable edit of the document.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QComboBox, QSpinBox, QStyledItemDelegate, QTreeWidget, QWidget

from inference.lang.tree import ANGLE_LEAF, ANGLE_VALUES, NUM_LEAF, OP_VALUES, Node, node_at

POS_ROLE = Qt.ItemDataRole.UserRole + 1
"""Item data role holding a node position (column 0: the row's node, column 1: the edited leaf)."""
OP_LABELS = {"+": "+  union", "-": "−  difference"}


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
        if node.kind == NUM_LEAF:
            editor = QSpinBox(parent, minimum=0, maximum=15)
            editor.setToolTip("0–15 (a value v is 2v canvas units)")
            return editor
        combo = QComboBox(parent)
        if node.kind == ANGLE_LEAF:
            for a in ANGLE_VALUES:
                combo.addItem(f"{a}°", a)
        else:
            for o in OP_VALUES:
                combo.addItem(OP_LABELS[o], o)
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
