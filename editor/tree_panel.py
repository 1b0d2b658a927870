"""The syntax-tree panel: the program as a tree, edited in place.

The rows follow the document's language (``Document.grammar``).  CSG2D: each shape
is a row (``Union``/``Difference``, ``Circle``, ``Quad``); a circle's or quad's values
are child rows.  TinySVG: each drawing is a row (``Rectangle 4×3 blue``, ``Ellipse``,
``Arrange h``, ``Move``) and its values and inner drawings are child rows in token
order.  The *Value* column edits in place (``editor.value_editors``): a spin box for
numbers (0–15 CSG2D, 0–9 TinySVG), a choice of 0°–315° for angles, + or − for
operations, a colour list, h/v, true/false.  The node actions (replace, wrap,
duplicate, delete, unwrap, lock) are declared in :data:`NODE_ACTIONS` per language;
those of the document's language are shown in the context menu and the window's Edit
menu, the others are hidden (their shortcuts off).  Selecting a row selects the node in the
document (the render view outlines its shape); a locked subtree shows a
padlock; a previewed proposal is highlighted in green.

Hand edits and locks (:func:`inference.lang.lock_rules.hand_edit_conflicts`): the
user may edit a locked node itself and anything inside it, but an edit that
would change what lies above another locked node (the operator of an
operation above it, wrapping, duplicating or replacing that operation,
deleting an operand next to it) is refused: nothing changes and
:attr:`TreePanel.message` asks the user to unlock that node first.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from editor import commands
from editor.commands import FIELDS
from editor.document import Document
from editor.value_editors import POS_ROLE, ValueDelegate, lock_icon
from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.lock_rules import conflict_message, hand_edit_conflicts
from inference.lang.syntax import to_text
from inference.lang.tinysvg import ARRANGE, ELLIPSE, MOVE, RECTANGLE
from inference.lang.tree import BINOP, Node, node_at

PREVIEW_BRUSH = QBrush(QColor(20, 160, 60, 60))
CSG, SVG = frozenset({CSG2D.name}), frozenset({TINYSVG.name})
BOTH = CSG | SVG
NODE_ACTIONS = [  # (key, label, shortcut, command factory, languages)
    (
        "replace_circle",
        "Replace with Circle",
        None,
        lambda d, p: commands.replace(d, p, "circle"),
        CSG,
    ),
    ("replace_quad", "Replace with Quad", None, lambda d, p: commands.replace(d, p, "quad"), CSG),
    (
        "replace_rectangle",
        "Replace with Rectangle",
        None,
        lambda d, p: commands.replace(d, p, "rectangle"),
        SVG,
    ),
    (
        "replace_ellipse",
        "Replace with Ellipse",
        None,
        lambda d, p: commands.replace(d, p, "ellipse"),
        SVG,
    ),
    (
        "wrap_plus",
        "Wrap in + (add a circle)",
        "Ctrl+Shift+U",
        lambda d, p: commands.wrap(d, p, "+"),
        CSG,
    ),
    (
        "wrap_minus",
        "Wrap in − (cut a circle)",
        "Ctrl+Shift+M",
        lambda d, p: commands.wrap(d, p, "-"),
        CSG,
    ),
    (
        "arrange_h",
        "Wrap in Arrange h (a rectangle beside it)",
        "Ctrl+Shift+U",
        lambda d, p: commands.arrange(d, p, "h"),
        SVG,
    ),
    (
        "arrange_v",
        "Wrap in Arrange v (a rectangle below it)",
        None,
        lambda d, p: commands.arrange(d, p, "v"),
        SVG,
    ),
    ("move", "Wrap in Move (then set x, y)", "Ctrl+Shift+M", commands.move, SVG),
    ("unwrap", "Unwrap (remove the Move)", None, commands.unwrap, SVG),
    ("duplicate", "Duplicate", "Ctrl+D", commands.duplicate, BOTH),
    ("delete", "Delete", QKeySequence.StandardKey.Delete, commands.delete, BOTH),
    ("lock", "Lock (keep it as it is in the picture)", "Ctrl+L", None, BOTH),
]
SELECT_AFTER = ("wrap_plus", "wrap_minus", "arrange_h", "arrange_v", "move", "duplicate")
"""Actions after which the new node at the same place (the wrapper) is selected."""


def row_label(node: Node) -> str:
    """The *Node* column text of a shape row: ``Union``, ``Circle``; TinySVG
    ``Rectangle 4×3 blue`` (size and fill), ``Arrange h``,
    ``Move +2 −1``."""
    if node.kind == BINOP:
        return "Union" if node.children[0].value == "+" else "Difference"
    if node.kind in (RECTANGLE, ELLIPSE):
        w, h, fill = (c.value for c in node.children[:3])
        return f"{node.kind} {w}×{h} {fill}"  # the stroke is in the Value column
    if node.kind == ARRANGE:
        return f"Arrange {node.children[0].value}"
    if node.kind == MOVE:
        _, x, y, negx, negy = (c.value for c in node.children)
        return f"Move {'−' if negx else '+'}{x} {'−' if negy else '+'}{y}"
    return node.kind


LOCK_TIP = "Locked: it and the operations above it stay as they are (unlock: Ctrl+L)"
HELD_TIP = "A locked shape lies below: unlock it (Ctrl+L) to change this operation"


class ProgramTree(QTreeWidget):
    """The panel's tree widget: the edit key (F2; Return on macOS) edits a row's value.

    The key edits the *current* cell, and a row made current by a click on its
    name, by the arrow keys or by selecting its shape elsewhere is current in the
    *Node* column, which has no editor.  The key therefore opens the *Value*
    column's editor, the one a double-click on the value opens.
    """

    def edit(self, index, *args) -> bool:
        """``QAbstractItemView.edit``, the edit key moved to the row's value."""
        if args and args[0] == QAbstractItemView.EditTrigger.EditKeyPressed:
            index = index.siblingAtColumn(1)
        return super().edit(index, *args)


class TreePanel(QWidget):
    """A QTreeWidget of the document's program, with in-place editing and node actions.

    Signals:
        message: a line for the status bar (a refused hand edit says why).
    """

    message = Signal(str)

    def __init__(self, doc: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.tree = ProgramTree()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Node", "Value"])
        self.tree.setColumnWidth(0, 170)
        self.delegate = ValueDelegate(self.tree, lambda: doc.program, self._value_edited)
        self.tree.setItemDelegate(self.delegate)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.itemSelectionChanged.connect(self._selection_from_tree)
        self._triggers = (
            QTreeWidget.EditTrigger.DoubleClicked
            | QTreeWidget.EditTrigger.EditKeyPressed
            | QTreeWidget.EditTrigger.SelectedClicked
        )
        self.tree.setEditTriggers(self._triggers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self.actions_by_key: dict[str, QAction] = {}
        self._languages: dict[str, frozenset[str]] = {}
        for key, label, shortcut, factory, languages in NODE_ACTIONS:
            act = QAction(label, self)
            if shortcut is not None:
                act.setShortcut(shortcut)
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(lambda _=False, k=key, f=factory: self._run_action(k, f))
            self.addAction(act)
            self.actions_by_key[key] = act
            self._languages[key] = languages
        self.actions_by_key["lock"].setCheckable(True)
        self._items: dict[int, QTreeWidgetItem] = {}
        doc.programChanged.connect(self.rebuild)
        doc.previewChanged.connect(self.rebuild)
        doc.selectionChanged.connect(self._selection_from_doc)
        doc.busyChanged.connect(self._busy_changed)
        doc.loaded.connect(self._language_changed)
        self._language_changed()

    def _language_changed(self) -> None:
        """Show the node actions of the document's language only (a hidden action's
        shortcut is off, so both languages may use the same keys)."""
        for key, act in self.actions_by_key.items():
            act.setVisible(self.doc.language in self._languages[key])
        self.rebuild()

    # ----- building ------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Rebuild the rows from the document (keeps selection and scroll position)."""
        scroll = self.tree.verticalScrollBar().value()
        self.tree.blockSignals(True)
        self.tree.clear()
        self._items = {}
        self._add(self.tree.invisibleRootItem(), 0, self.doc.program, self.doc.locked)
        self.tree.expandAll()
        if self.doc.is_drawing:  # "Rectangle 4×3 orange" deep in the tree: room for it
            self.tree.setColumnWidth(0, min(210, max(170, self.tree.sizeHintForColumn(0))))
        else:
            self.tree.setColumnWidth(0, 170)
        self.tree.blockSignals(False)
        self._selection_from_doc(self.doc.selected)
        self.tree.verticalScrollBar().setValue(scroll)
        self._update_actions()

    def _add(self, parent: QTreeWidgetItem, pos: int, node: Node, locked, name: str = "") -> None:
        if not node.is_leaf:
            item = QTreeWidgetItem(parent, [row_label(node), self._summary(node)])
            edit_pos = pos + 1 if node.kind == BINOP else -1
        else:
            item = QTreeWidgetItem(parent, [name, commands.value_text(node)])
            edit_pos = pos
        item.setData(0, POS_ROLE, pos)
        item.setData(1, POS_ROLE, edit_pos)
        if edit_pos >= 0:
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        if pos in locked:
            item.setIcon(0, lock_icon())
            item.setToolTip(0, LOCK_TIP)
        if node.kind == BINOP and any(pos + 2 <= q < pos + node.size for q in locked):
            item.setToolTip(1, HELD_TIP)
        self._mark_preview(item, pos, edit_pos)
        self._items[pos] = item
        offsets = node.child_offsets() if node.children else ()
        names = FIELDS.get(node.kind, ("", "", ""))
        for i, (off, child) in enumerate(zip(offsets, node.children, strict=True)):
            if node.kind == BINOP and i == 0:
                continue  # the operator is edited on the operation's own row
            self._add(item, pos + off, child, locked, names[i] if node.kind != BINOP else "")

    def _summary(self, node: Node) -> str:
        if node.kind == BINOP:
            return commands.value_text(node.children[0])
        names = FIELDS[node.kind]
        return " · ".join(
            f"{n} {commands.value_text(c)}"
            for n, c in zip(names, node.children, strict=True)
            if c.is_leaf
        )

    def _mark_preview(self, item: QTreeWidgetItem, pos: int, edit_pos: int) -> None:
        preview = self.doc.preview
        if preview is None or preview.pos not in (pos, edit_pos):
            return
        for col in (0, 1):
            item.setBackground(col, PREVIEW_BRUSH)
        new = preview.replacement
        shown = commands.value_text(new) if new.is_leaf else to_text(new)
        item.setText(1, f"{item.text(1)}  →  {shown}")
        item.setToolTip(1, f"Proposed: {to_text(new)}")

    # ----- selection -----------------------------------------------------------------------

    def selected_pos(self) -> int:
        """Position of the selected row's node, or -1."""
        items = self.tree.selectedItems()
        return items[0].data(0, POS_ROLE) if items else -1

    def _selection_from_tree(self) -> None:
        self.doc.set_selected(self.selected_pos())
        self._update_actions()

    def _selection_from_doc(self, pos: int) -> None:
        item = self._items.get(pos)
        self.tree.blockSignals(True)
        self.tree.clearSelection()
        if item is not None:
            item.setSelected(True)
            self.tree.setCurrentItem(item)
            self.tree.scrollToItem(item)
        self.tree.blockSignals(False)
        self._update_actions()

    # ----- editing -------------------------------------------------------------------------

    def _value_edited(self, pos: int, value) -> None:
        if node_at(self.doc.program, pos).value == value or self.doc.busy:
            return
        # deferred: the editor that reported the value must close before the rows are rebuilt
        QTimer.singleShot(0, lambda: self.hand_edit(pos, commands.set_value(self.doc, pos, value)))

    def hand_edit(self, acted: int, command: commands.EditCommand) -> bool:
        """Push ``command``, the user's edit of the node at ``acted``, unless it breaks a lock.

        A refused edit changes nothing and emits :attr:`message` naming the
        locked node to unlock first.  Returns True when the edit was pushed.
        """
        program, locked = self.doc.program, self.doc.locked
        after = command.edit.apply(program)
        conflicts = hand_edit_conflicts(program, locked, acted, after)
        if conflicts:
            self.message.emit(conflict_message(program, conflicts))
            return False
        self.doc.push(command)
        return True

    def _update_actions(self) -> None:
        pos = self.selected_pos()
        node = node_at(self.doc.program, pos) if pos >= 0 else None
        shape = node is not None and not node.is_leaf and not self.doc.busy
        for act in self.actions_by_key.values():
            act.setEnabled(shape)
        self.actions_by_key["delete"].setEnabled(shape and commands.can_delete(self.doc, pos))
        self.actions_by_key["unwrap"].setEnabled(shape and commands.can_unwrap(self.doc, pos))
        for kind in ("rectangle", "ellipse"):  # a TinySVG primitive is not replaced by its own kind
            same = node is not None and node.kind.lower() == kind
            self.actions_by_key[f"replace_{kind}"].setEnabled(shape and not same)
        lock = self.actions_by_key["lock"]
        lock.setEnabled(node is not None and not self.doc.busy)
        lock.setChecked(pos in self.doc.locked)

    def _run_action(self, key: str, factory) -> None:
        pos = self.selected_pos()
        if pos < 0 or self.doc.busy:
            return
        if key == "lock":
            self.doc.push(commands.lock(self.doc, pos, pos not in self.doc.locked))
            return
        try:
            command = factory(self.doc, pos)
        except ValueError:
            return  # not applicable to this node (the action is disabled then)
        if not self.hand_edit(pos, command):
            return
        if key in SELECT_AFTER:
            self.doc.set_selected(pos)

    def _context_menu(self, point: QPoint) -> None:
        item = self.tree.itemAt(point)
        if item is None:
            return
        self.tree.setCurrentItem(item)
        menu = QMenu(self)
        for key, act in self.actions_by_key.items():
            if not act.isVisible():
                continue
            if key == "duplicate" or key == "lock":
                menu.addSeparator()
            menu.addAction(act)
        menu.exec(self.tree.viewport().mapToGlobal(point))

    def _busy_changed(self, busy: bool) -> None:
        self.tree.setEditTriggers(
            QTreeWidget.EditTrigger.NoEditTriggers if busy else self._triggers
        )
        self._update_actions()
