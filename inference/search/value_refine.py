"""One-value refinement for any language: hill climbing over single leaf changes.

The same climb as :func:`inference.search.refine.refine` (one *round* tries every other
value of every value leaf that is not protected and applies the best strictly improving
one; rounds repeat until none improves, the budget is spent or ``cancel`` says stop),
without CSG2D's mask algebra: every candidate is rendered and scored whole by the target
(:meth:`~inference.targets.target.Target.score_many`).  The leaves and their values come
from the program's grammar, so it runs on TinySVG: sizes, colours, stroke widths,
directions, gaps, offsets and signs.  A primitive may also become another production with
the same children (a Rectangle the Ellipse over the same box and paint, and back): one
candidate each, as CSG2D's tidy swaps a square and a circle over the same box.  A TinySVG
render takes about 0.7 ms at 224 × 224 (docs/BENCHMARKS.md, "TinySVG renderer"), so a round
on a 3-primitive program (about 250 candidates) costs a fraction of a second.

Locks follow :mod:`inference.lang.lock_rules` as in CSG2D: no leaf inside a locked node,
and no value of an operation above one, is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from inference.lang.lock_rules import protected_positions
from inference.lang.tree import Node, leaf, replace_at, walk
from inference.search.refine import Refinement, climb

BATCH = 256
"""Candidates scored per call of the target (keeps memory flat on long rounds)."""


def value_candidates(
    program: Node, locked: Iterable[int] = (), nearby: bool = False
) -> list[tuple[int, Node]]:
    """Every single change ``(position, new node)`` of ``program`` that keeps its locks, in
    pre-order: each other value of a value leaf, and each other production with the same
    children over an inner node's own children (TinySVG's Rectangle and Ellipse over the
    same box and paint).  With ``nearby`` a number moves only to the values next to its
    own; words (colours, directions) and truth values still try every other value."""
    grammar = program.grammar
    protected = protected_positions(program, locked)
    out: list[tuple[int, Node]] = []
    for pos, node in walk(program):
        if pos in protected:
            continue
        if node.children:
            own = grammar.production(node.kind)
            out += [
                (pos, Node(other.kind, None, node.children))
                for other in grammar.productions_of(own.nonterminal)
                if other.kind != node.kind and other.children == own.children
            ]
            continue
        if node.value is None:
            continue
        values = grammar.domain(node.nonterminal).values
        if nearby and isinstance(node.value, int) and not isinstance(node.value, bool):
            i = values.index(node.value)
            others = [values[j] for j in (i - 1, i + 1) if 0 <= j < len(values)]
        else:
            others = [v for v in values if v != node.value]
        out += [(pos, leaf(node.nonterminal, v)) for v in others]
    return out


def refine_values(
    program: Node,
    target,
    budget: int | None = None,
    locked: Iterable[int] = (),
    score: float | None = None,
    max_steps: int | None = None,
    cancel: Callable[[], bool] | None = None,
    nearby: bool = False,
) -> Refinement:
    """Hill-climb ``program`` on ``target`` (anything with ``score_many``) by the best
    single leaf change per round; the arguments are :func:`~inference.search.refine.refine`'s.

    Returns:
        A :class:`~inference.search.refine.Refinement`; ``calls`` never exceeds ``budget``.
    """
    locked = tuple(locked)

    def first_score() -> float:
        return float(target.score_many([program])[0])

    def one_round(program: Node, left: int | None) -> tuple[Node, float, int] | None:
        cands = value_candidates(program, locked, nearby)[:left]
        if not cands:
            return None
        best, best_score, spent = program, float("-inf"), 0
        for i in range(0, len(cands), BATCH):
            if i and cancel is not None and cancel():
                break
            variants = [replace_at(program, p, new) for p, new in cands[i : i + BATCH]]
            scores = np.asarray(target.score_many(variants), dtype=float)
            spent += len(variants)
            j = int(np.argmax(scores))
            if scores[j] > best_score:
                best, best_score = variants[j], float(scores[j])
        return best, best_score, spent

    return climb(program, first_score, one_round, budget, score, max_steps, cancel)
