"""Undoable document changes: one :class:`QUndoCommand` per user action (no widgets).

Every program change is one :class:`inference.lang.edits.Edit`: redo applies it,
undo applies its inverse.  Manual tree operations are edits too, so every
manual edit keeps the program valid:

* set a value: replace a number, angle or operator leaf (TinySVG: a digit, colour,
  direction or flag);
* replace a shape by a circle or a quad of about the same place and size (TinySVG: by a
  rectangle or an ellipse of the same size and colours);
* wrap a shape in ``+`` or ``-`` with a small circle (TinySVG: in an ``Arrange`` beside
  a small rectangle, or in a ``Move`` by 0, 0 whose x and y are then edited);
* delete a shape: replace its parent operation (TinySVG: arrangement) by the other one;
* unwrap (TinySVG): replace a ``Move`` by what it moves;
* duplicate a shape: wrap it in ``+`` with a copy of itself (TinySVG: an ``Arrange h``
  of it and its copy);
* set the whole program (pasted or typed text).

The factory functions build the command (raising ``ValueError`` for an
action that does not apply) and leave pushing to the caller:
``doc.push(commands.wrap(doc, pos, "-"))``.

The History pane shows each command's text, so a text names shapes and
fields as the tree panel does, never token positions: "Circle r: 2 → 3",
"Lock Circle (hole)", "Replace Quad with Circle" (:func:`node_name`,
:func:`describe_edit`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtGui import QUndoCommand

from editor import docfile
from editor.document import Document, painted
from inference.lang.edits import Edit
from inference.lang.grammar import CSG2D, GRAMMARS, PRIMITIVE_KINDS, TINYSVG
from inference.lang.locks import Moved, diff_edit, relocate_locks, shift_locks
from inference.lang.tinysvg import (
    ARRANGE,
    DIRS,
    ELLIPSE,
    FLAG_LEAF,
    MOVE,
    RECTANGLE,
    ellipse,
    rectangle,
)
from inference.lang.tinysvg import arrange as make_arrange
from inference.lang.tinysvg import move as make_move
from inference.lang.tree import (
    ANGLE_LEAF,
    BINOP,
    OP_LEAF,
    Node,
    binop,
    circle,
    leaf,
    node_at,
    parent_of,
    walk,
)
from inference.lang.tree import FIELDS as PRIMITIVE_FIELDS
from inference.render.geometry import shape_like
from inference.render.svg_scene import UNIT, layout

FIELDS = {
    **{p.kind: p.fields for g in GRAMMARS.values() for p in g.productions if p.kind != BINOP},
    **PRIMITIVE_FIELDS,
    BINOP: ("op",),
}
"""The names of each node's children, as the tree panel shows them (CSG2D's Binop names
only its operator: its operands are shown as shapes)."""


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
        edit.validate(doc.program)
        super().__init__(text or _capital(describe_edit(doc.program, edit)))
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
        super().__init__(f"{'Lock' if lock else 'Unlock'} {node_name(doc.program, pos)}")
        self.doc, self.before = doc, doc.locked
        self.after = doc.locked | {pos} if lock else doc.locked - {pos}

    def redo(self) -> None:
        self.doc._set_program(self.doc.program, self.after)

    def undo(self) -> None:
        self.doc._set_program(self.doc.program, self.before)


class TargetCommand(QUndoCommand):
    """Replace the target image and/or its modality (a stroke, a clear, a loaded image)."""

    def __init__(self, doc: Document, target: np.ndarray, modality: str, text: str, exact: bool):
        super().__init__(text)
        self.doc = doc
        self.before = (doc.target, doc.modality, doc.exact_shapes)
        self.after = (np.asarray(target, np.float32), modality, exact)

    def redo(self) -> None:
        self.doc._set_target(*self.after)

    def undo(self) -> None:
        self.doc._set_target(*self.before)


def _kind_name(node: Node) -> str:
    if node.kind == BINOP:
        return "Union" if node.children[0].value == "+" else "Difference"
    return node.kind


def value_text(node: Node) -> str:
    """How a leaf's value is shown, in the tree panel and in history: ``6``, ``45°``, ``+``,
    ``−``; TinySVG's ``blue``, ``h``, ``true``."""
    if node.kind == ANGLE_LEAF:
        return f"{node.value}°"
    if node.kind == OP_LEAF:
        return "−" if node.value == "-" else "+"
    if node.kind == FLAG_LEAF:
        return "true" if node.value else "false"
    return str(node.value)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def node_name(program: Node, pos: int) -> str:
    """How the history names the node at ``pos``.

    A shape is named by its kind (``Circle``, ``Quad``, ``Union``,
    ``Difference``), with ``(hole)`` when it is the part a difference cuts
    away; a value by its shape and field: ``Circle r``, ``Quad (hole) angle``,
    ``Union op``.
    """
    node = node_at(program, pos)
    parent = parent_of(program, pos)
    if node.is_leaf:
        shape = node_at(program, parent)
        field = FIELDS[shape.kind][shape.child_offsets().index(pos - parent)]
        return f"{node_name(program, parent)} {field}"
    name = _kind_name(node)
    if parent is not None:
        up = node_at(program, parent)
        if (
            up.kind == BINOP
            and up.children[0].value == "-"
            and pos - parent == up.child_offsets()[2]
        ):
            name += " (hole)"
    return name


def _new_name(node: Node) -> str:
    """A replacement shape in a few words: ``Circle``, ``Union (Quad + Circle)``,
    ``Arrange (Rectangle, Ellipse)``, ``Move (Rectangle)``."""
    if node.kind == BINOP:
        sign, a, b = value_text(node.children[0]), node.children[1], node.children[2]
        return f"{_kind_name(node)} ({_kind_name(a)} {sign} {_kind_name(b)})"
    if node.kind == ARRANGE:
        return f"Arrange ({node.children[1].kind}, {node.children[2].kind})"
    if node.kind == MOVE:
        return f"Move ({node.children[0].kind})"
    return node.kind


def describe_edit(program: Node, edit: Edit) -> str:
    """What ``edit`` does to ``program``, in the words of the tree panel.

    ``Circle r: 2 → 3``; ``Quad w: 4 → 5, angle: 0° → 45°`` for a shape whose
    values change; ``replace Quad with Circle`` otherwise (a shape's name
    first, so it may start with a lower-case verb).
    """
    old, new = node_at(program, edit.pos), edit.replacement
    if old.is_leaf:
        return f"{node_name(program, edit.pos)}: {value_text(old)} → {value_text(new)}"
    if old.kind == new.kind and old.kind in PRIMITIVE_KINDS:
        changes = [
            f"{field}: {value_text(a)} → {value_text(b)}"
            for field, a, b in zip(FIELDS[old.kind], old.children, new.children, strict=True)
            if a != b
        ]
        return f"{node_name(program, edit.pos)} {', '.join(changes)}"
    return f"replace {node_name(program, edit.pos)} with {_new_name(new)}"


def _shape_at(doc: Document, pos: int) -> Node:
    node = doc.node(pos)
    if node.is_leaf:
        what = "drawing" if doc.is_drawing else "shape"
        raise ValueError(f"the node at {pos} is a {node.nonterminal}, not a {what}")
    return node


def set_value(doc: Document, pos: int, value) -> EditCommand:
    """Set the number, angle or operator leaf at ``pos`` to ``value``."""
    node = doc.node(pos)
    if not node.is_leaf:
        raise ValueError(f"the node at {pos} is not a value")
    edit = Edit(pos, leaf(node.nonterminal, value))
    return EditCommand(doc, edit, describe_edit(doc.program, edit))


REPLACE_KINDS = {CSG2D.name: ("circle", "quad"), TINYSVG.name: ("rectangle", "ellipse")}
"""What :func:`replace` can put in a shape's place, by language."""


def _drawing_like(node: Node, kind: str) -> Node:
    """A TinySVG rectangle or ellipse (``kind``) in the place of ``node``: a primitive keeps
    its size and colours; an arrangement or a move gives its layout box's size (at most
    9 units) and the fill and stroke of its first primitive."""
    maker = rectangle if kind == "rectangle" else ellipse
    if node.kind in (RECTANGLE, ELLIPSE):
        w, h, fill, stroke, sw = (c.value for c in node.children)
        return maker(w, h, fill, stroke, sw)
    boxes = layout(node)
    first = next(n for _, n in walk(node) if n.kind in (RECTANGLE, ELLIPSE))
    _, _, fill, stroke, sw = (c.value for c in first.children)
    w = max(b.x1 for b in boxes) - min(b.x0 for b in boxes)
    h = max(b.y1 for b in boxes) - min(b.y0 for b in boxes)
    return maker(min(9, round(w / UNIT)), min(9, round(h / UNIT)), fill, stroke, sw)


def replace(doc: Document, pos: int, kind: str) -> EditCommand:
    """Replace the shape at ``pos`` by a ``"circle"`` or ``"quad"`` in its place (TinySVG:
    a ``"rectangle"`` or ``"ellipse"``, :data:`REPLACE_KINDS`)."""
    node = _shape_at(doc, pos)
    if kind not in REPLACE_KINDS[doc.language]:
        raise ValueError(f"a {doc.language} shape cannot be replaced by a {kind}")
    new = _drawing_like(node, kind) if doc.is_drawing else shape_like(node, kind)
    text = f"Replace {node_name(doc.program, pos)} with {kind.title()}"
    return EditCommand(doc, Edit(pos, new), text)


def wrap(doc: Document, pos: int, operator: str) -> EditCommand:
    """Wrap the shape at ``pos`` in ``(operator shape small-circle)`` (CSG2D)."""
    node = _shape_at(doc, pos)
    if doc.is_drawing:
        raise ValueError("a TinySVG drawing is wrapped in Arrange or Move, not + or −")
    c = shape_like(node, "circle")
    r, x, y = (ch.value for ch in c.children)
    other = circle(max(1, r // 2), min(15, x + r) if operator == "+" else x, y)
    moved = [(pos, pos + node.size, pos + 2)]
    how = "+ (add a circle)" if operator == "+" else "− (cut a circle)"
    text = f"Wrap {node_name(doc.program, pos)} in {how}"
    return EditCommand(doc, Edit(pos, binop(operator, node, other)), text, moved)


def _first_fill(node: Node) -> str:
    """The fill of the first primitive of a drawing that paints one, else ``"black"``."""
    for _, n in walk(node):
        if n.kind in (RECTANGLE, ELLIPSE) and n.children[2].value not in ("none", "white"):
            return n.children[2].value
    return "black"


def arrange(doc: Document, pos: int, direction: str = "h") -> EditCommand:
    """Wrap the drawing at ``pos`` in ``(Arrange direction drawing small-rectangle 1)``:
    a 2×2 rectangle of its first colour beside it (``"h"``) or below it (``"v"``)."""
    node = _shape_at(doc, pos)
    if not doc.is_drawing:
        raise ValueError("only a TinySVG drawing can be arranged")
    if direction not in DIRS:
        raise ValueError(f"a direction is 'h' or 'v', not {direction!r}")
    other = rectangle(2, 2, _first_fill(node))
    moved = [(pos, pos + node.size, pos + 3)]
    where = "beside" if direction == "h" else "above"
    text = f"Wrap {node_name(doc.program, pos)} in Arrange {direction} ({where} a rectangle)"
    return EditCommand(doc, Edit(pos, make_arrange(direction, node, other, 1)), text, moved)


def move(doc: Document, pos: int) -> EditCommand:
    """Wrap the drawing at ``pos`` in ``(Move drawing 0 0 false false)``: nothing moves
    yet; its x, y and flags are then set like any value."""
    node = _shape_at(doc, pos)
    if not doc.is_drawing:
        raise ValueError("only a TinySVG drawing can be moved")
    moved = [(pos, pos + node.size, pos + 2)]
    text = f"Wrap {node_name(doc.program, pos)} in Move"
    return EditCommand(doc, Edit(pos, make_move(node, 0, 0)), text, moved)


def can_unwrap(doc: Document, pos: int) -> bool:
    """True when the node at ``pos`` is a TinySVG ``Move`` (unwrapping keeps its child)."""
    return doc.node(pos).kind == MOVE


def unwrap(doc: Document, pos: int) -> EditCommand:
    """Replace the ``Move`` at ``pos`` by the drawing it moves."""
    if not can_unwrap(doc, pos):
        raise ValueError("only a Move can be unwrapped")
    child = doc.node(pos).children[0]
    moved = [(pos + 2, pos + 2 + child.size, pos)]
    text = f"Unwrap {node_name(doc.program, pos)} (keep {child.kind})"
    return EditCommand(doc, Edit(pos, child), text, moved)


def can_delete(doc: Document, pos: int) -> bool:
    """True when ``pos`` is an operand of a ``+``/``-``, or one of the two drawings of a
    TinySVG ``Arrange`` (so deleting keeps a valid program)."""
    parent = parent_of(doc.program, pos)
    if parent is None:
        return False
    up = doc.node(parent)
    if up.kind not in (BINOP, ARRANGE):
        return False
    return pos - parent in up.child_offsets()[1:3]


def delete(doc: Document, pos: int) -> EditCommand:
    """Delete the shape at ``pos``: its parent operation (TinySVG: arrangement) becomes
    the other operand."""
    if not can_delete(doc, pos):
        what = "a drawing in an Arrange" if doc.is_drawing else "an operand of + or −"
        raise ValueError(f"only {what} can be deleted")
    parent = parent_of(doc.program, pos)
    node = doc.node(parent)
    offsets = node.child_offsets()
    keep = 2 if parent + offsets[1] == pos else 1
    start = parent + offsets[keep]
    sibling = node.children[keep]
    moved = [(start, start + sibling.size, parent)]
    text = f"Delete {node_name(doc.program, pos)}"
    return EditCommand(doc, Edit(parent, sibling), text, moved)


def duplicate(doc: Document, pos: int) -> EditCommand:
    """Wrap the shape at ``pos`` in ``(+ shape shape)`` (TinySVG: ``(Arrange h drawing
    drawing 1)``, side by side); the copy is unlocked."""
    node = _shape_at(doc, pos)
    text = f"Duplicate {node_name(doc.program, pos)}"
    if doc.is_drawing:
        moved = [(pos, pos + node.size, pos + 3)]
        return EditCommand(doc, Edit(pos, make_arrange("h", node, node, 1)), text, moved)
    moved = [(pos, pos + node.size, pos + 2)]
    return EditCommand(doc, Edit(pos, binop("+", node, node)), text, moved)


def _same_language(doc: Document, program: Node) -> None:
    if program.grammar is not doc.grammar:
        raise ValueError(f"a {program.grammar.name} program, not {doc.language}")


def set_program(doc: Document, program: Node, text: str = "Set program") -> EditCommand:
    """Replace the whole program; locked subtrees it still contains stay locked.
    ``ValueError`` for a program of another language than the document's."""
    _same_language(doc, program)
    edit = Edit(0, program)
    return EditCommand(doc, edit, text, locks_after=relocate_locks(doc.program, doc.locked, edit))


def search_step(doc: Document, program: Node, text: str) -> EditCommand | None:
    """The smallest edit from the current program to ``program`` (``None`` if equal);
    ``ValueError`` for a program of another language."""
    _same_language(doc, program)
    edit = diff_edit(doc.program, program)
    if edit is None:
        return None
    locks = relocate_locks(doc.program, doc.locked, edit)
    return EditCommand(doc, edit, text, locks_after=locks)


def lock(doc: Document, pos: int, locked: bool = True) -> LockCommand:
    """Lock (or unlock) the subtree at ``pos``."""
    return LockCommand(doc, pos, locked)


def set_target(
    doc: Document, target: np.ndarray, text: str, snapped_shape: bool = False
) -> TargetCommand:
    """Replace the target image (the modality stays).

    The target is the document's language's (``editor.docfile.blank_target``): CSG2D a
    grey ink array, TinySVG an RGB array (SVG_TARGET_SIZE, SVG_TARGET_SIZE, 3) in [0, 1],
    white = paper; another shape is a ``ValueError``.

    ``snapped_shape``: the change is a rectangle or circle the shape tools snapped to the
    program grid.  The target stays *exact* (``Document.exact_shapes``) only through such
    changes: a pen stroke, an eraser, a fill or a loaded image make it a hand drawing, and
    an empty target (TinySVG: white paper) is exact again.
    """
    shape = docfile.target_shape(doc.grammar)
    if np.shape(target) != shape:
        raise ValueError(f"a {doc.language} target is {shape}, got {np.shape(target)}")
    if doc.is_drawing:
        empty = not painted(target)
    else:
        empty = not np.any(np.asarray(target) >= 0.5)
    exact = empty or (snapped_shape and _exact_so_far(doc))
    return TargetCommand(doc, target, doc.modality, text, exact)


def _exact_so_far(doc: Document) -> bool:
    return doc.exact_shapes or not doc.has_ink()


def set_modality(doc: Document, modality: str) -> TargetCommand:
    """Declare the target an outline ``"sketch"`` or a ``"filled"`` shape."""
    if modality not in ("filled", "sketch"):
        raise ValueError(f"unknown modality {modality!r}")
    if doc.is_drawing and modality != "filled":
        raise ValueError("a TinySVG target is always a filled picture")
    name = "outline sketch" if modality == "sketch" else "filled shape"
    return TargetCommand(doc, doc.target, modality, f"Target is a {name}", doc.exact_shapes)
