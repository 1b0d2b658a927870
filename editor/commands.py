"""Undoable document changes: one :class:`QUndoCommand` per user action (no widgets).

Every program change is one :class:`inference.edits.Edit`: redo applies it,
undo applies its inverse.  Manual tree operations are edits too, so every
manual edit keeps the program valid:

* set a value: replace a number, angle or operator leaf;
* replace a shape by a circle or a quad of about the same place and size;
* wrap a shape in ``+`` or ``-`` with a small circle;
* delete a shape: replace its parent operation by the other operand;
* duplicate a shape: wrap it in ``+`` with a copy of itself;
* set the whole program (pasted or typed text).

The factory functions build the command (raising ``ValueError`` for an
action that does not apply) and leave pushing to the caller:
``doc.push(commands.wrap(doc, pos, "-"))``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtGui import QUndoCommand

from editor.document import Document
from editor.locks import Moved, diff_edit, relocate_locks, shift_locks
from inference.edits import Edit
from inference.geometry import shape_of
from inference.syntax import to_text
from inference.tree import BINOP, SHAPE, Node, binop, circle, leaf, quad, walk


class EditCommand(QUndoCommand):
    """Apply ``edit`` to the program; undo applies the inverse edit."""

    def __init__(
        self,
        doc: Document,
        edit: Edit,
        text: str | None = None,
        moved: Sequence[Moved] = (),
        locks_after: frozenset[int] | None = None,
    ):
        super().__init__(text or f"Edit {_short(edit)}")
        edit.validate(doc.program)
        old = edit.old_node(doc.program)
        self.doc, self.edit, self.inverse = doc, edit, None
        self.locks_before = doc.locked
        if locks_after is None:
            size = edit.replacement.size
            locks_after = shift_locks(doc.locked, edit.pos, old.size, size, moved)
        self.locks_after = locks_after

    def redo(self) -> None:
        program, self.inverse = self.edit.apply_with_inverse(self.doc.program)
        self.doc._set_program(program, self.locks_after)

    def undo(self) -> None:
        self.doc._set_program(self.inverse.apply(self.doc.program), self.locks_before)


class LockCommand(QUndoCommand):
    """Lock or unlock the node at ``pos`` (the model may not touch a locked subtree)."""

    def __init__(self, doc: Document, pos: int, lock: bool):
        doc.node(pos)
        super().__init__(f"{'Lock' if lock else 'Unlock'} node at {pos}")
        self.doc, self.before = doc, doc.locked
        self.after = doc.locked | {pos} if lock else doc.locked - {pos}

    def redo(self) -> None:
        self.doc._set_program(self.doc.program, self.after)

    def undo(self) -> None:
        self.doc._set_program(self.doc.program, self.before)


class TargetCommand(QUndoCommand):
    """Replace the target image and/or its modality (a stroke, a clear, a loaded image)."""

    def __init__(self, doc: Document, target: np.ndarray, modality: str, text: str):
        super().__init__(text)
        self.doc = doc
        self.before = (doc.target, doc.modality)
        self.after = (np.asarray(target, np.float32), modality)

    def redo(self) -> None:
        self.doc._set_target(*self.after)

    def undo(self) -> None:
        self.doc._set_target(*self.before)


def _short(edit: Edit, limit: int = 40) -> str:
    text = to_text(edit.replacement)
    return f"@{edit.pos} → {text if len(text) <= limit else text[: limit - 1] + '…'}"


def _shape_at(doc: Document, pos: int) -> Node:
    node = doc.node(pos)
    if node.nonterminal != SHAPE:
        raise ValueError(f"the node at {pos} is a {node.nonterminal}, not a shape")
    return node


def _clamp(v: float) -> int:
    return int(min(15, max(1, round(v))))


def shape_like(node: Node, kind: str) -> Node:
    """A circle or quad (``kind``) at about the place and size of ``node``'s shape."""
    geom = shape_of(node, quad_segs=8)
    if geom.is_empty:
        return circle(4, 8, 8) if kind == "circle" else quad(8, 8, 4, 4, 0)
    x0, y0, x1, y1 = geom.bounds  # canvas units; a value v is 2v units
    x, y = round((x0 + x1) / 4), round((y0 + y1) / 4)
    x, y = min(15, max(0, x)), min(15, max(0, y))
    if kind == "circle":
        return circle(_clamp(max(x1 - x0, y1 - y0) / 4), x, y)
    return quad(x, y, _clamp((x1 - x0) / 2), _clamp((y1 - y0) / 2), 0)


def set_value(doc: Document, pos: int, value) -> EditCommand:
    """Set the number, angle or operator leaf at ``pos`` to ``value``."""
    node = doc.node(pos)
    if not node.is_leaf:
        raise ValueError(f"the node at {pos} is not a value")
    new = leaf(node.nonterminal, value)
    shown = {"+": "+", "-": "−"}.get(value, value)
    return EditCommand(doc, Edit(pos, new), f"Set value @{pos}: {node.value} → {shown}")


def replace(doc: Document, pos: int, kind: str) -> EditCommand:
    """Replace the shape at ``pos`` by a ``"circle"`` or ``"quad"`` in its place."""
    new = shape_like(_shape_at(doc, pos), kind)
    return EditCommand(doc, Edit(pos, new), f"Replace @{pos} with {kind.title()}")


def wrap(doc: Document, pos: int, operator: str) -> EditCommand:
    """Wrap the shape at ``pos`` in ``(operator shape small-circle)``."""
    node = _shape_at(doc, pos)
    c = shape_like(node, "circle")
    r, x, y = (ch.value for ch in c.children)
    other = circle(max(1, r // 2), min(15, x + r) if operator == "+" else x, y)
    moved = [(pos, pos + node.size, pos + 2)]
    name = "+" if operator == "+" else "−"
    return EditCommand(
        doc, Edit(pos, binop(operator, node, other)), f"Wrap @{pos} in {name}", moved
    )


def parent_of(program: Node, pos: int) -> int | None:
    """Position of the node whose child starts at ``pos`` (``None`` for the root)."""
    for p, node in walk(program):
        if node.children and any(p + off == pos for off in node.child_offsets()):
            return p
    return None


def can_delete(doc: Document, pos: int) -> bool:
    """True when ``pos`` is an operand of a ``+``/``-`` (so deleting keeps a valid program)."""
    parent = parent_of(doc.program, pos)
    return parent is not None and doc.node(parent).kind == BINOP and pos != parent + 1


def delete(doc: Document, pos: int) -> EditCommand:
    """Delete the shape at ``pos``: its parent operation becomes the other operand."""
    if not can_delete(doc, pos):
        raise ValueError("only an operand of + or − can be deleted")
    parent = parent_of(doc.program, pos)
    node = doc.node(parent)
    offsets = node.child_offsets()
    keep = 2 if parent + offsets[1] == pos else 1
    start = parent + offsets[keep]
    sibling = node.children[keep]
    moved = [(start, start + sibling.size, parent)]
    return EditCommand(doc, Edit(parent, sibling), f"Delete shape @{pos}", moved)


def duplicate(doc: Document, pos: int) -> EditCommand:
    """Wrap the shape at ``pos`` in ``(+ shape shape)`` (the copy is unlocked)."""
    node = _shape_at(doc, pos)
    moved = [(pos, pos + node.size, pos + 2)]
    return EditCommand(doc, Edit(pos, binop("+", node, node)), f"Duplicate @{pos}", moved)


def set_program(doc: Document, program: Node, text: str = "Set program") -> EditCommand:
    """Replace the whole program; locked subtrees it still contains stay locked."""
    edit = Edit(0, program)
    return EditCommand(doc, edit, text, locks_after=relocate_locks(doc.program, doc.locked, edit))


def search_step(doc: Document, program: Node, text: str) -> EditCommand | None:
    """The smallest edit from the current program to ``program`` (``None`` if equal)."""
    edit = diff_edit(doc.program, program)
    if edit is None:
        return None
    locks = relocate_locks(doc.program, doc.locked, edit)
    return EditCommand(doc, edit, text, locks_after=locks)


def lock(doc: Document, pos: int, locked: bool = True) -> LockCommand:
    """Lock (or unlock) the subtree at ``pos``."""
    return LockCommand(doc, pos, locked)


def set_target(doc: Document, target: np.ndarray, text: str) -> TargetCommand:
    """Replace the target image (the modality stays)."""
    return TargetCommand(doc, target, doc.modality, text)


def set_modality(doc: Document, modality: str) -> TargetCommand:
    """Declare the target an outline ``"sketch"`` or a ``"filled"`` shape."""
    if modality not in ("filled", "sketch"):
        raise ValueError(f"unknown modality {modality!r}")
    name = "outline sketch" if modality == "sketch" else "filled shape"
    return TargetCommand(doc, doc.target, modality, f"Target is a {name}")
