"""Tidy a found program: drop the operands that do nothing for its score.

A search stops at the first program that solves the target, and that program
may carry passengers: an empty quad (zero width) in a union, a circle cut from
a place that is empty anyway, a shape hidden under another.  :func:`tidy`
removes them.  It tries, operation by operation, to replace ``(+ A B)`` by
``A`` or by ``B`` and ``(- A B)`` by ``A``, and keeps a removal when the
program's score against the target does not drop (so a solved program stays
solved), until no removal is left.  Then it writes every quad with the angle
a person would use: a rectangle turned by 180° is the same rectangle, and one
turned by 90° is the same with width and height swapped, so every angle
becomes 0° or 45° (kept, like a removal, only when the score does not drop).
Each try is one renderer call.
"""

from __future__ import annotations

from collections.abc import Iterable

from inference.edits import Edit
from inference.target import Target
from inference.tree import BINOP, QUAD, Node, quad, walk


def tidy(
    program: Node,
    target: Target,
    locked: Iterable[int] = (),
    score: float | None = None,
    max_calls: int | None = None,
) -> tuple[Node, int]:
    """``program`` without the operands that do nothing, and the renderer calls spent.

    Args:
        locked: operations and quads that contain a locked position are left
            alone.  The positions of the others may move, so do not reuse
            ``locked`` for the result.
        score: ``program``'s score, when known (saves a call).
        max_calls: stop after this many renderer calls (``None``: no limit).
    """
    locked = sorted(set(locked))
    limit = float("inf") if max_calls is None else max_calls
    calls = 0
    if score is None:
        if limit < 1:
            return program, 0
        score, calls = target.score(program), 1
    while True:
        for edit in _removals(program, locked) + _upright_quads(program, locked):
            if calls >= limit:
                return program, calls
            candidate = edit.apply(program)
            new_score = target.score(candidate)
            calls += 1
            if new_score >= score:
                program, score = candidate, new_score
                break
        else:
            return program, calls


def _removals(program: Node, locked: list[int]) -> list[Edit]:
    """Every "keep one operand" edit of an operation holding no locked position."""
    out = []
    for pos, node in walk(program):
        if node.kind != BINOP or any(pos <= p < pos + node.size for p in locked):
            continue
        _, left, right = node.children
        out.append(Edit(pos, left))
        if node.children[0].value == "+":
            out.append(Edit(pos, right))
    return out


def upright(quad_node: Node) -> Node:
    """The same rectangle with its angle in {0°, 45°} (width and height swapped as needed)."""
    x, y, w, h, a = (c.value for c in quad_node.children)
    a %= 180
    if a >= 90:
        w, h, a = h, w, a - 90
    return quad(x, y, w, h, a)


def _upright_quads(program: Node, locked: list[int]) -> list[Edit]:
    """Edits that make every unlocked quad :func:`upright` (where that changes it)."""
    out = []
    for pos, node in walk(program):
        if node.kind == QUAD and not any(pos <= p < pos + node.size for p in locked):
            new = upright(node)
            if new != node:
                out.append(Edit(pos, new))
    return out
