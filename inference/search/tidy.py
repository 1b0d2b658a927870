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
closest to the strokes, not the first ones within a unit of them.  The climb
changes values, never a primitive's kind, and a 6-unit square lies within a
unit of an 8-unit circle, so before and after it a primitive may also become
the other kind over about the same box (an upright square a circle, or a
circle an upright square; never a diamond, which is a roof or a point drawn
on purpose), when that follows the edges more closely and stays solved.
Then the removals run once more.  Each try is one renderer call.  A sketch keeps the
fitted program only when the sketch is at least as likely drawn from it
(:func:`inference.search.likeliest.sketch_costs`): following the strokes closely is not
the same as being what the hand drew (a round roof follows a pointed roof's wobbly
strokes well), and the search has already chosen the likeliest match
(:mod:`inference.search.likeliest`).

A TinySVG program is tidied by :func:`inference.lang.svg_simplify.simplify_moves`: moves by
nothing go and moves of moves merge.  That draws the same pixels, so it costs no call.

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
from inference.lang.grammar import CSG2D
from inference.lang.lock_rules import protected_positions
from inference.lang.svg_simplify import simplify_moves
from inference.lang.tree import BINOP, CIRCLE, NUM_VALUES, QUAD, Node, circle, quad, walk
from inference.render.raster import rasterizer
from inference.search.likeliest import sketch_costs
from inference.search.refine import refine
from inference.search.svg_repl import polish_program
from inference.targets.target import Target


def tidy(
    program: Node,
    target: Target,
    locked: Iterable[int] = (),
    score: float | None = None,
    max_calls: int | None = None,
) -> tuple[Node, int]:
    """``program`` without the operands that do nothing, and the renderer calls spent
    (a TinySVG drawing: polished when solved, then its moves merged, :func:`_tidy_drawing`).

    Args:
        locked: locked nodes keep their subtrees and chains: they are never
            dropped or changed, and no operation above one is removed or has
            its operator changed.  Positions may move, so do not reuse
            ``locked`` for the result (:func:`inference.lang.lock_rules.follow_locks`
            finds them again).
        score: ``program``'s score, when known (saves a call).
        max_calls: stop after this many renderer calls (``None``: no limit).
    """
    if program.grammar is not CSG2D:
        return _tidy_drawing(program, target, frozenset(locked), score, max_calls)
    state = _State(program, frozenset(locked), score, 0, max_calls)
    if score is None:
        if state.left() < 1:
            return program, 0
        state.score, state.calls = target.score(program), 1
    _simplify(state, target)
    fitted_kind = target.tolerance or target.is_sketch
    if not fitted_kind or not target.solves(state.score) or state.left() < 1:
        return state.program, state.calls
    faithful, before = _Faithful(target), state.program
    # kinds before values (the climb would turn a square hole into a diamond, which no
    # swap undoes), then again once the values have settled
    _swap_kinds(state, faithful)
    _fit(state, faithful)
    if _swap_kinds(state, faithful):
        _fit(state, faithful)
    if state.program != before:
        state.score = target.score(state.program)
        state.calls += 1
        _simplify(state, target)
    if target.is_sketch and state.program != before and _less_likely(target, state.program, before):
        return before, state.calls
    return state.program, state.calls


def _less_likely(target: Target, program: Node, before: Node) -> bool:
    """True when a sketch is less likely drawn from ``program`` than from ``before``
    (:func:`inference.search.likeliest.sketch_costs`)."""
    raster = rasterizer(target.size)
    programs = [program, before]
    costs = sketch_costs(target, programs, [raster.packed(p) for p in programs])
    return bool(costs[0] > costs[1])


SVG_POLISH_CALLS = 500
"""The most renderer calls the polish of a solved TinySVG drawing may spend."""


def _tidy_drawing(program, target, locked, score, max_calls) -> tuple[Node, int]:
    """TinySVG: a solved drawing, when nothing is locked, polished toward the same pixels
    (:func:`inference.search.svg_repl.polish_program`, at most :data:`SVG_POLISH_CALLS`);
    then its moves merged (the same pixels, no call)."""
    calls = 0
    room = SVG_POLISH_CALLS if max_calls is None else min(SVG_POLISH_CALLS, max_calls)
    if not locked and room > 1:
        if score is None:
            score, calls = target.score(program), 1
        if target.solves(score) and score < 1.0:
            program, _, spent = polish_program(target, program, room - calls, score)
            calls += spent
    return simplify_moves(program, locked), calls


MAX_SWAPS = 3
"""The most primitives one round of :func:`_swap_kinds` gives another kind."""


def _fit(state: _State, faithful: _Faithful) -> None:
    """One-value climbing of ``state.program`` on ``faithful``, within the calls left."""
    budget = None if state.max_calls is None else max(0, int(state.left()) - 1)
    fitted = refine(state.program, faithful, budget=budget, locked=state.locked)
    state.calls += fitted.calls
    state.program = fitted.program


def _swap_kinds(state: _State, faithful: _Faithful) -> bool:
    """:func:`_swap_kind` up to :data:`MAX_SWAPS` times; True when any primitive changed."""
    swapped = 0
    while swapped < MAX_SWAPS and _swap_kind(state, faithful):
        swapped += 1
    return swapped > 0


def _swap_kind(state: _State, faithful: _Faithful) -> bool:
    """Give one primitive the other kind when that follows the target's edges more closely
    and keeps the program solved (see :func:`_kind_swaps`); False when none does."""
    swaps = _kind_swaps(state.program, state.locked)
    if not swaps or state.left() < len(swaps) + 1:
        return False
    raster = rasterizer(faithful.size)
    masks = [raster.packed(state.program)] + [
        raster.packed(e.apply(state.program)) for e, _ in swaps
    ]
    scores = faithful.scores_packed(masks)
    state.calls += len(masks)
    best = int(np.argmax(scores[1:])) + 1
    if not scores[best] > max(scores[0], 0.0) + 1e-12:
        return False
    edit, state.locked = swaps[best - 1]
    state.program = edit.apply(state.program)
    return True


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


def _kind_swaps(program: Node, locked: frozenset[int]) -> list[tuple[Edit, frozenset[int]]]:
    """Every unlocked primitive as the other kind over about the same box, with the locks
    after it: a circle as the upright squares of about its size, an upright square or
    nearly square quad (sides within one value) as the circles of about its size.  A
    45° square is left alone: a diamond is a roof or a point a person drew on purpose,
    and within a unit it is round too.

    A circle of radius 2r units and a square of half-side w units (``Quad x y w w``) are
    about the same size for w ≈ 2r.  A sketch's fit, and a drawing's tolerance, forgive a
    unit, and a square of half-side 3 lies within a unit of a circle of radius 4; the
    one-value climb cannot change a kind, so a round hole found as a square would stay
    one.
    """
    protected = protected_positions(program, locked)
    out = []
    for pos, node in walk(program):
        if pos in protected or node.kind not in (CIRCLE, QUAD):
            continue
        if node.kind == CIRCLE:
            r, x, y = (c.value for c in node.children)
            sides = {min(NUM_VALUES[-1], w) for w in (2 * r - 1, 2 * r) if w > 0}
            others = [quad(x, y, w, w, 0) for w in sorted(sides)]
        else:
            x, y, w, h, a = (c.value for c in node.children)
            half = (w + h) / 2
            radii = {r for r in (int(half // 2), int(-(-half // 2))) if r > 0}
            square = abs(w - h) <= 1 and a % 90 == 0
            others = [circle(r, x, y) for r in sorted(radii)] if square else []
        end = pos + node.size
        for other in others:
            shift = other.size - node.size
            after = frozenset(p + shift if p >= end else p for p in locked)
            out.append((Edit(pos, other), after))
    return out


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
