"""Exhaustive one-value refinement: hill climbing over single leaf changes (DESIGN.md §2b).

One *round* tries every alternative value of every number, angle and
operator leaf that is not locked (about 500 candidates for an 8-primitive
program) and applies the best strictly improving one.  Rounds repeat until
no candidate improves, the call budget is spent, or ``cancel`` says stop.

Every candidate is one renderer call, but none is rendered from scratch.
For each shape node, :func:`inference.render.shape_walk.shape_contexts` gives the
program's output with the node forced full (G1) and empty (G0), so a variant
of the node whose own mask is m renders as ``G0 ^ ((G1 ^ G0) & m)``: one
cached primitive mask and three big-integer operations.  An operator flip
recombines the binop's two operand masks the same way.  A round on an
8-primitive program at 128×128 takes tens of milliseconds.

A round that would exceed the budget evaluates only the first candidates
(pre-order) it can afford.

Locks (``locked``) follow :mod:`inference.lang.lock_rules`: a leaf inside a
locked node, and the operator of every operation above one, is never
changed, so a locked hole stays a hole.  ``frozen`` nodes only keep their
own subtrees (the operators above them may still flip): a search tool's
"leave this part alone", as the REPL baseline polishes its newest primitive
and that primitive's operator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from inference.lang.lock_rules import protected_positions
from inference.lang.tree import (
    ANGLE_VALUES,
    BINOP,
    NUM_VALUES,
    OP_VALUES,
    Node,
    leaf,
    node_at,
    replace_at,
)
from inference.render.raster import rasterizer
from inference.render.shape_walk import shape_contexts
from inference.targets.score import PackedScorer

MIN_GAIN = 1e-12
"""A change must raise the score by more than this to be taken."""


@dataclass(frozen=True)
class Refinement:
    """The result of :func:`refine`.

    Attributes:
        program: the refined program (the input if nothing improved).
        score: its score.
        calls: candidate renders evaluated (renderer calls).
        steps: leaf changes applied.
    """

    program: Node
    score: float
    calls: int
    steps: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    pos: int
    value: object


def _values(kind_values: tuple, current, nearby: bool = False) -> list:
    if nearby and current in kind_values:
        i = kind_values.index(current)
        return [kind_values[j] for j in (i - 1, i + 1) if 0 <= j < len(kind_values)]
    return [v for v in kind_values if v != current]


_LEAF_VALUES = {"Num": NUM_VALUES, "Angle": ANGLE_VALUES, "Op": OP_VALUES}


def one_value_candidates(
    program: Node,
    size: int,
    locked: Iterable[int] = (),
    frozen: Iterable[int] = (),
    nearby: bool = False,
) -> tuple[list[_Candidate], list[int]]:
    """Every single-leaf change of ``program`` that keeps its locks and frozen
    subtrees, and the packed output (at ``size``) of the program after each
    change, in pre-order.  With ``nearby``, a number or angle only moves to the
    values next to its own (one step up or down)."""
    protected = protected_positions(program, locked)
    spans = [(p, p + node_at(program, p).size) for p in frozen]

    def free(pos: int) -> bool:
        return pos not in protected and all(not a <= pos < b for a, b in spans)

    raster = rasterizer(size)
    contexts = shape_contexts(program, size)
    subtree = {c.pos: c.subtree for c in contexts}
    cands: list[_Candidate] = []
    outs: list[int] = []
    for ctx in contexts:
        node, g0 = ctx.node, ctx.empty
        swing = ctx.full ^ g0
        if node.kind == BINOP:
            pos = ctx.pos + 1
            if not free(pos):
                continue
            a = subtree[ctx.pos + 2]
            b = subtree[ctx.pos + 2 + node.children[1].size]
            new_op = "-" if node.children[0].value == "+" else "+"
            mask = a | b if new_op == "+" else a & ~b
            cands.append(_Candidate(pos, new_op))
            outs.append(g0 ^ (swing & mask))
            continue
        kids = node.children
        for i, child in enumerate(kids):
            pos = ctx.pos + 2 + i
            if not free(pos):
                continue
            for v in _values(_LEAF_VALUES[child.kind], child.value, nearby and child.kind != "Op"):
                variant = Node(
                    node.kind, None, kids[:i] + (leaf(child.nonterminal, v),) + kids[i + 1 :]
                )
                cands.append(_Candidate(pos, v))
                outs.append(g0 ^ (swing & raster.packed(variant)))
    return cands, outs


def _apply(program: Node, cand: _Candidate) -> Node:
    old = node_at(program, cand.pos)
    return replace_at(program, cand.pos, leaf(old.nonterminal, cand.value))


def refine(
    program: Node,
    target: PackedScorer,
    budget: int | None = None,
    locked: Iterable[int] = (),
    score: float | None = None,
    max_steps: int | None = None,
    cancel: Callable[[], bool] | None = None,
    frozen: Iterable[int] = (),
    nearby: bool = False,
) -> Refinement:
    """Hill-climb ``program`` on ``target`` by the best single leaf change per round.

    Args:
        program: the start.
        target: scores packed masks at ``target.size`` (a filled or sketch target).
        budget: most candidate renders to evaluate (``None``: unlimited).
        locked: positions of locked nodes: their subtrees and the operators
            above them stay as they are (:mod:`inference.lang.lock_rules`).
        score: the start's score, if known (otherwise it is computed, one call).
        max_steps: most changes to apply (``None``: until no improvement).
        cancel: polled before every round; the climb stops when it returns True.
        frozen: positions of nodes whose subtrees stay as they are, while the
            operators above them may change (not a lock).
        nearby: try only the next value up and down of each number and angle (and
            every operator flip): a round of about two calls per leaf.

    Returns:
        A :class:`Refinement`; ``calls`` never exceeds ``budget``.
    """
    locked, frozen = tuple(locked), tuple(frozen)

    def first_score() -> float:
        return float(target.scores_packed([rasterizer(target.size).packed(program)])[0])

    def one_round(program: Node, left: int | None) -> tuple[Node, float, int] | None:
        cands, outs = one_value_candidates(program, target.size, locked, frozen, nearby)
        cands, outs = cands[:left], outs[:left]
        if not cands:
            return None
        scores = target.scores_packed(outs)
        best = int(np.argmax(scores))
        return _apply(program, cands[best]), float(scores[best]), len(cands)

    return climb(program, first_score, one_round, budget, score, max_steps, cancel)


RoundFn = Callable[[Node, "int | None"], "tuple[Node, float, int] | None"]
"""One round of a climb: ``(program, calls left)`` → the best candidate, its score and the
calls spent, or ``None`` when there is no candidate."""


def climb(
    program: Node,
    first_score: Callable[[], float],
    one_round: RoundFn,
    budget: int | None,
    score: float | None,
    max_steps: int | None,
    cancel: Callable[[], bool] | None,
) -> Refinement:
    """The hill climb shared by :func:`refine` and
    :func:`inference.search.value_refine.refine_values`: rounds of ``one_round`` while the
    best candidate beats the program by more than :data:`MIN_GAIN`, within ``budget``
    calls (``first_score`` costs one when ``score`` is not given) and ``max_steps``."""
    calls = 0
    if score is None:
        if budget is not None and budget < 1:
            return Refinement(program, float("-inf"), 0, 0)
        score, calls = first_score(), 1
    steps = 0
    while max_steps is None or steps < max_steps:
        if cancel is not None and cancel():
            break
        left = None if budget is None else budget - calls
        if left is not None and left <= 0:
            break
        found = one_round(program, left)
        if found is None:
            break
        best, best_score, spent = found
        calls += spent
        if not best_score > score + MIN_GAIN:
            break
        program, score = best, best_score
        steps += 1
    return Refinement(program, score, calls, steps)
