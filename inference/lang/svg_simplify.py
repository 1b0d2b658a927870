"""Simpler TinySVG programs that draw exactly the same picture.

A search often ends with moves that cancel or pile up: ``(Move P 0 0 false true)`` does
nothing, and ``(Move (Move P 3 1 false false) 5 1 true false)`` is ``(Move P 2 2 true
false)``.  A ``Move`` shifts what its child paints and leaves the layout box alone
(docs/TINYSVG.md, "Layout"), so moves compose by adding their offsets and a move by
nothing is its child.  :func:`simplify_moves` applies exactly those two rules, bottom up:

* a ``Move`` by (0, 0) becomes its child;
* a ``Move`` of a ``Move`` becomes one ``Move`` by the sum, when each coordinate of the
  sum is within 0–9 units; a zero offset is written with its sign ``false``.

Nothing else changes, so the picture is the same pixel for pixel.  Nodes that locks
protect (:func:`inference.lang.lock_rules.protected_positions`: a locked subtree and the
chain of operations above it) are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from inference.lang.lock_rules import follow_locks, protected_positions
from inference.lang.tree import Node, leaf

MOVE = "Move"
MAX_OFFSET = 9
"""The largest offset a ``Move`` can write (its digits are 0-9)."""


def simplify_moves(program: Node, locked: Iterable[int] = ()) -> Node:
    """``program`` with moves by nothing removed and moves of moves merged (see the module
    doc); ``program`` itself when nothing applies.  Protected nodes are kept."""
    locked = tuple(locked)
    while True:  # a merge can make another possible higher up a chain of moves
        protected = protected_positions(program, locked) if locked else frozenset()
        simpler = _simplified(program, 0, protected)
        if simpler is program:
            return program
        if locked:  # positions of locked nodes move as nodes above them go
            locked = tuple(follow_locks(program, locked, simpler))
        program = simpler


def _signed(value: Node, negative: Node) -> int:
    return -int(value.value) if negative.value is True else int(value.value)


def _move(child: Node, dx: int, dy: int) -> Node:
    """``child`` moved by (dx, dy) units, or ``child`` when both are zero."""
    if dx == 0 and dy == 0:
        return child
    return Node(
        MOVE,
        None,
        (
            child,
            leaf("digit", abs(dx)),
            leaf("digit", abs(dy)),
            leaf("flag", dx < 0),
            leaf("flag", dy < 0),
        ),
    )


def _simplified(node: Node, pos: int, protected: frozenset[int]) -> Node:
    if not node.children:
        return node
    kids, at = [], pos + 1
    for child in node.children:
        kids.append(_simplified(child, at, protected))
        at += child.size
    if any(k is not c for k, c in zip(kids, node.children, strict=True)):
        node = Node(node.kind, None, tuple(kids))
    if node.kind != MOVE or pos in protected:
        return node
    child, x, y, negx, negy = node.children
    dx, dy = _signed(x, negx), _signed(y, negy)
    if child.kind == MOVE and pos + 1 not in protected:
        inner, ix, iy, inx, iny = child.children
        sx, sy = dx + _signed(ix, inx), dy + _signed(iy, iny)
        if abs(sx) <= MAX_OFFSET and abs(sy) <= MAX_OFFSET:
            return _move(inner, sx, sy)
    if dx == 0 and dy == 0:
        return child
    return node
