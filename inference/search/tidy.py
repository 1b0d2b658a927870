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

A hand-drawn target's tolerance (:mod:`inference.targets.drawn_score`) forgives an
edge one unit off, so the first program that solves it may be a unit too wide
here and too short there.  A solved program is therefore also *fitted*: one-
value hill climbing (:func:`inference.search.refine.refine`) on the exact goal
score against the drawing's pixels, taking only changes that keep it solved.
The pixels are mostly the drawing's less half a pen (``Target.precise_mask``,
``Target.precise_scores_packed``): an outline drawn with a pen and filled is
half the pen too big all round.  A sketch is fitted the same way, on its fine
outline fit (every distance from a quarter unit to two): its solve fit forgives
a unit, and a person who sketched a part on the grid meant the grid values
closest to the strokes, not the first ones within a unit of them.
Then the removals run once more.  Each try is one renderer call.

Locks (:mod:`inference.lang.lock_rules`): tidying never replaces a node that a
lock protects.  A locked node and everything inside it stay as they are, and
so does every operation above it: it keeps both operands (even one that does
nothing) and its operator, so the locked shape keeps its chain of operators
and sides.  Elsewhere, removals, upright quads and fitting go on as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from inference.lang.edits import Edit
from inference.lang.lock_rules import protected_positions
from inference.lang.tree import BINOP, QUAD, Node, quad, walk
from inference.search.refine import refine
from inference.targets.target import Target


def tidy(
    program: Node,
    target: Target,
    locked: Iterable[int] = (),
    score: float | None = None,
    max_calls: int | None = None,
) -> tuple[Node, int]:
    """``program`` without the operands that do nothing, and the renderer calls spent.

    Args:
        locked: locked nodes keep their subtrees and chains: they are never
            dropped or changed, and no operation above one is removed or has
            its operator changed.  Positions may move, so do not reuse
            ``locked`` for the result (:func:`inference.lang.lock_rules.follow_locks`
            finds them again).
        score: ``program``'s score, when known (saves a call).
        max_calls: stop after this many renderer calls (``None``: no limit).
    """
    state = _State(program, frozenset(locked), score, 0, max_calls)
    if score is None:
        if state.left() < 1:
            return program, 0
        state.score, state.calls = target.score(program), 1
    _simplify(state, target)
    fitted_kind = target.tolerance or target.is_sketch
    if not fitted_kind or not target.solves(state.score) or state.left() < 1:
        return state.program, state.calls
    budget = None if max_calls is None else int(state.left()) - 1  # 1 to score the fit
    fitted = refine(state.program, _Faithful(target), budget=budget, locked=state.locked)
    state.calls += fitted.calls
    if fitted.program != state.program:
        state.program, state.score = fitted.program, target.score(fitted.program)
        state.calls += 1
        _simplify(state, target)
    return state.program, state.calls


@dataclass
class _State:
    """The program being tidied, its locked positions, score and renderer calls."""

    program: Node
    locked: frozenset[int]
    score: float | None
    calls: int
    max_calls: int | None

    def left(self) -> float:
        return float("inf") if self.max_calls is None else self.max_calls - self.calls


class _Faithful:
    """Scores for :func:`inference.search.refine.refine`: how closely programs that solve
    ``target`` follow its edges (``Target.precise_scores_packed``), less 2 for those that
    do not."""

    def __init__(self, target: Target):
        self.target, self.size = target, target.size

    def scores_packed(self, masks):
        solved = self.target.scores_packed(masks) > self.target.threshold
        exact = self.target.precise_scores_packed(masks)
        return np.where(solved, exact, exact - 2.0)


def _simplify(state: _State, target: Target) -> None:
    """Removals and upright quads until none is left (see the module docstring)."""
    while True:
        program, locked = state.program, state.locked
        for edit, locks_after in _removals(program, locked) + _upright_quads(program, locked):
            if state.left() < 1:
                return
            candidate = edit.apply(program)
            new_score = target.score(candidate)
            state.calls += 1
            if new_score >= state.score:
                state.program, state.score, state.locked = candidate, new_score, locks_after
                break
        else:
            return


def _removals(program: Node, locked: frozenset[int]) -> list[tuple[Edit, frozenset[int]]]:
    """Every "keep one operand" edit of an operation no lock protects, with the
    locks after it (all outside the operation, so they only shift)."""
    protected = protected_positions(program, locked)
    out = []
    for pos, node in walk(program):
        if node.kind != BINOP or pos in protected:
            continue
        end = pos + node.size
        keeps = (1, 2) if node.children[0].value == "+" else (1,)
        for keep in keeps:
            kept = node.children[keep]
            after = frozenset(p + kept.size - node.size if p >= end else p for p in locked)
            out.append((Edit(pos, kept), after))
    return out


def upright(quad_node: Node) -> Node:
    """The same rectangle with its angle in {0°, 45°} (width and height swapped as needed)."""
    x, y, w, h, a = (c.value for c in quad_node.children)
    a %= 180
    if a >= 90:
        w, h, a = h, w, a - 90
    return quad(x, y, w, h, a)


def _upright_quads(program: Node, locked: frozenset[int]) -> list[tuple[Edit, frozenset[int]]]:
    """Edits that make every unlocked quad :func:`upright` (where that changes it)."""
    protected = protected_positions(program, locked)
    out = []
    for pos, node in walk(program):
        if node.kind == QUAD and pos not in protected:
            new = upright(node)
            if new != node:
                out.append((Edit(pos, new), locked))  # same size: the locks stay
    return out
