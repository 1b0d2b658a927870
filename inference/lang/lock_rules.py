"""What a lock protects: the one rule that every automatic edit follows.

A *lock* is the token position of a node, usually a shape, that the user
wants kept **as it appears in the picture**.  How a shape appears depends on
two things, and a lock keeps both:

* its **subtree**: its own values, and for an operation everything inside it;
* its **chain**: for every node above it, from the root down, the operator
  (``+`` or ``-``) and the side (left or right operand) it lies on
  (:func:`chain`).  A hole is a hole because it is the right operand of a
  ``-``: flip that operator to ``+``, or move the hole to the left of the
  ``-``, and the hole becomes added material.

An automatic edit replaces one node.  It keeps every lock exactly when the
node it replaces is not *protected* (:func:`protected_positions`):

* the locked node and every node inside it;
* every ancestor of the locked node (replacing one rebuilds the chain:
  it could wrap the locked node, drop its sibling, move it to the other side
  of a ``-`` or remove it);
* the operator leaf of every ancestor operation (σ = 0: a node of its own,
  outside the locked node's span, so a span test alone misses it).

**Other languages.**  The rule is the grammar's, not CSG2D's: an *operation* is any
node with an inner child (CSG2D's ``+``/``-``, TinySVG's ``Arrange`` and ``Move``), and
its value leaves (CSG2D's operator; TinySVG's ``dir`` and ``gap``, a ``Move``'s offsets and
signs) belong to the chain, as the operator does: they are in the chain's labels and they
are protected.  So a locked TinySVG shape keeps its values and its place *within* every
arrangement and move above it.  TinySVG centres the whole drawing and ``Arrange`` centres
its children across, so editing another shape's size can still shift a locked shape in the
picture; keeping its absolute place would freeze nearly every other size in the program
(docs/TINYSVG.md, "Locks").

All other nodes, such as a sibling operand, a shape elsewhere or another
shape's value, stay editable, and editing them changes neither a locked
subtree nor its chain.  A locked node's *position* may move (positions are
token indices and an earlier edit can grow or shrink the program) but its
path from the root, the chain, does not, so :func:`find` finds it again.

Every automatic path uses :func:`protected_positions`: the grammar-
constrained decoding of policy proposals and beam search
(:class:`inference.model.grammar_constraint.EditConstraint`), random mutations
(:class:`inference.search.proposers.RandomMutationProposer`), one-value refinement
(:mod:`inference.search.refine`) and tidying (:mod:`inference.search.tidy`).

**Hand edits** (:func:`hand_edit_conflicts`) follow the same rule with one
exception: the user owns a locked node, so an edit of the locked node itself
or of anything inside it is allowed (the lock stays on the edited node).  A
hand edit that would change *another* lock's subtree or chain (flipping an
operator above a locked shape, wrapping, duplicating or replacing an
operation that holds one, deleting a locked shape's sibling or an operand of
an operation above it) is refused, and the editor asks the user to unlock
that shape first (:func:`conflict_message`).
"""

from __future__ import annotations

from collections.abc import Iterable

from inference.lang.syntax import to_text
from inference.lang.tree import BINOP, Node, ancestors, node_at, walk

Step = tuple[str, int]
"""One link of a chain: ``(label, index)``.  Under a CSG2D operation the label is its
operator, ``"+"`` or ``"-"`` (under a TinySVG one its kind and values, ``"Arrange h 3"``,
and the index that of the child in the node), and the index 1 (left operand) or 2 (right
operand (0 for a locked operator leaf); under a circle or quad (a locked value
leaf) the label is the kind and the index the field (0 = first value)."""

LEFT, RIGHT = 1, 2
"""The :data:`Step` indices of an operation's left and right operand."""


def _is_operation(node: Node) -> bool:
    """True for a node with an inner child: its value leaves place what is below it."""
    return any(child.children for child in node.children)


def _label(node: Node) -> str:
    if node.kind == BINOP:
        return node.children[0].value
    if _is_operation(node):  # TinySVG's Arrange and Move: the kind and its values
        values = (to_text(child) for child in node.children if not child.children)
        return " ".join((node.kind, *values))
    return node.kind


def chain(program: Node, pos: int) -> tuple[Step, ...]:
    """The chain of the node at ``pos``: one :data:`Step` per ancestor, root first.

    For ``(- (Circle 6 8 8) (+ (Quad 8 8 4 4 45) (Circle 2 3 3)))`` the last
    circle (position 18) has the chain ``(("-", 2), ("+", 2))``: the right
    operand of a union that is itself cut away.
    """
    return tuple((_label(node), i) for _, node, i in ancestors(program, pos))


def find(program: Node, steps: Iterable[Step]) -> int | None:
    """The position of the node reached by following ``steps`` from the root,
    or ``None`` when a step's label or index does not match ``program``."""
    node, pos = program, 0
    for label, i in steps:
        if not node.children or i >= len(node.children) or _label(node) != label:
            return None
        pos += node.child_offsets()[i]
        node = node.children[i]
    return pos


def protected_positions(program: Node, locked: Iterable[int]) -> frozenset[int]:
    """The node positions of ``program`` that no automatic edit may replace.

    For each locked position: the locked node, every node inside it, every
    ancestor and the value leaves of every ancestor operation (CSG2D's operator;
    TinySVG's direction, gap and move offsets).  Raises ``KeyError`` for a locked
    position that is not a node start.
    """
    out: set[int] = set()
    starts = None
    for p in locked:
        above = ancestors(program, p)
        for a, node, _ in above:
            out.add(a)
            if _is_operation(node):
                pairs = zip(node.child_offsets(), node.children, strict=True)
                out.update(a + o for o, child in pairs if not child.children)
        if starts is None:
            starts = [q for q, _ in walk(program)]
        end = p + node_at(program, p).size
        out.update(q for q in starts if p <= q < end)
    return frozenset(out)


def may_replace(program: Node, locked: Iterable[int], pos: int) -> bool:
    """True when an automatic edit may replace the node at ``pos`` under ``locked``."""
    return pos not in protected_positions(program, locked)


def lock_views(program: Node, locked: Iterable[int]) -> dict[int, tuple[Node, tuple[Step, ...]]]:
    """``{position: (subtree, chain)}`` of every locked node: what a lock keeps."""
    return {p: (node_at(program, p), chain(program, p)) for p in locked}


def follow(before: Node, pos: int, after: Node) -> int | None:
    """Where the node at ``pos`` of ``before`` is in ``after`` with the same
    subtree and chain; ``None`` when an edit changed either."""
    q = find(after, chain(before, pos))
    if q is None or node_at(after, q) != node_at(before, pos):
        return None
    return q


def locks_kept(before: Node, locked: Iterable[int], after: Node) -> bool:
    """True when every locked node of ``before`` has the same subtree and chain in ``after``."""
    return all(follow(before, p, after) is not None for p in locked)


def follow_locks(before: Node, locked: Iterable[int], after: Node) -> frozenset[int]:
    """The positions in ``after`` of the locked nodes of ``before`` that it keeps
    (same subtree and chain); locks it does not keep are left out."""
    found = (follow(before, p, after) for p in locked)
    return frozenset(q for q in found if q is not None)


def hand_edit_conflicts(program: Node, locked: Iterable[int], acted: int, after: Node) -> list[int]:
    """The locks a hand edit would break, ascending (empty: the edit is allowed).

    Args:
        program: the program before the edit.
        locked: its locked positions.
        acted: the position of the node the user acted on (the value set, the
            shape wrapped, duplicated, replaced or deleted).
        after: the program the edit makes.

    A lock whose node contains ``acted`` (the node itself or an ancestor of
    it) belongs to the user's edit and is never a conflict.  Every other lock
    must keep its subtree and its chain (:func:`follow`).
    """
    conflicts = []
    for p in sorted(locked):
        if p <= acted < p + node_at(program, p).size:
            continue
        if follow(program, p, after) is None:
            conflicts.append(p)
    return conflicts


def conflict_message(program: Node, conflicts: Iterable[int], limit: int = 40) -> str:
    """What the editor says when it refuses a hand edit that breaks ``conflicts``."""
    names = []
    for p in conflicts:
        text = to_text(node_at(program, p))
        names.append(text if len(text) <= limit else text[: limit - 1] + "…")
    shapes = ", ".join(names)
    return (
        f"Locked: {shapes} keeps its place in the picture, so the operations above it "
        "stay as they are. Unlock it (Ctrl+L) first to make this edit."
    )
