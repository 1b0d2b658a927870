"""Among the programs that match a sketch, the one the sketch was likeliest drawn from.

A sketch target (``Target.from_sketch``) is matched by every program whose outline lies
within a unit or two of the strokes, has the sketch's parts and holes, and whose rings a
hand could have moved onto the strokes (:mod:`inference.targets.sketch_rings`, under its
``MATCH_LIMIT``).  A search stops at the first such program, and that is often not the
one the person drew: a house with a round roof and a notch matches the sketch of a house
with a pointed roof (ring cost 18.9 against 6.1), a box cut by a diamond matches a slot.

:func:`likeliest` looks further.  It scores programs by their *sketch cost*, the ring cost
of :class:`~inference.targets.sketch_rings.RingFit` (how unlikely the strokes are, each ring
of the outline registered onto them) plus :data:`PRIMITIVE_PRICE` per primitive (a simpler
program is the likelier one: without it, a bump of a fifth of a unit on every edge buys a
primitive), and descends on it with a small beam over :func:`neighbours`:

* a value of one primitive one step up or down;
* one edge of a primitive moved while the opposite edge stays (a centre step with twice
  the step of the half-side: a body grows under its roof, not around its middle);
* a primitive grown or shrunk on all sides, or turned between 0° and 45°;
* a primitive given another kind over about the same region (a round roof as a diamond,
  a square hole as a circle), from the fits of :func:`inference.search.residual_fit.candidates`
  to its mask that overlap it most;
* an operand that is dropped.

Each program tried is one renderer call.  The beam keeps the :data:`BEAM_WIDTH`
cheapest programs whether or not they match (the way from a round roof to a pointed one
passes programs that do not), and the answer is the cheapest one met that matches.  A
descent ends when a step from a full beam finds nothing cheaper than the cheapest program
it has met (after :data:`PATIENCE` more such steps) or its share of the budget is spent.  It
starts from each given program in turn (the search's result, the structure fit's other
finished openings), each with an equal share of what is left of the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from inference.lang.tree import (
    BINOP,
    CIRCLE,
    NUM_VALUES,
    QUAD,
    Node,
    circle,
    primitives,
    quad,
    replace_at,
    walk,
)
from inference.lang.tree import values as leaf_values
from inference.render.raster import rasterizer
from inference.search.residual_fit import candidates
from inference.targets.target import SCORE_SIZE, Target

PRIMITIVE_PRICE = 2.0
"""What each primitive adds to a program's sketch cost (the ring cost's units)."""
BEAM_WIDTH = 4
"""How many of the cheapest programs each step of the descent goes on from."""
SWAPS_PER_KIND = 2
"""How many fits of each other kind a primitive may become (those overlapping it most)."""
PATIENCE = 1
"""Steps from a full beam without a cheaper program that a descent takes before it gives
up on a start (a pointed roof is sometimes two steps from a round one: a turn, then a
move).  On issue 12's sets A and B, none found 57 or 58 right sketches of 84, one 60 and
two 59 (docs/BENCHMARKS.md, session 23): a part or two either way."""


@dataclass(frozen=True)
class Likeliest:
    """The result of :func:`likeliest`.

    Attributes:
        program: the matching program of the lowest sketch cost met.
        cost: its sketch cost (ring cost plus :data:`PRIMITIVE_PRICE` per primitive).
        score: its score against the target (above the target's threshold).
        calls: renderer calls spent (by the whole descent, not only up to this match).
    """

    program: Node
    cost: float
    score: float
    calls: int


def sketch_costs(target: Target, programs: Sequence[Node], masks: Sequence[int]) -> np.ndarray:
    """The sketch costs of ``programs`` (rendered as packed ``masks``): the target's ring
    costs plus :data:`PRIMITIVE_PRICE` per primitive, ``float64`` (N,)."""
    rings = target.ring_costs_packed(masks)
    return rings + PRIMITIVE_PRICE * np.array([p.sigma for p in programs], dtype=np.float64)


def likeliest(
    target: Target,
    starts: Sequence[Node],
    budget: int,
    cancel: Callable[[], bool] | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> Likeliest | None:
    """The matching program of the lowest sketch cost found from ``starts`` within
    ``budget`` renderer calls (see the module docstring); ``None`` when none of the
    programs met matches the sketch (or the budget allows no call).

    ``cancel`` is asked before every step; ``progress`` is told the calls spent and the
    best match's score (0 before there is one) after every step.

    Raises:
        ValueError: ``target`` is not a sketch.
    """
    if not target.is_sketch:
        raise ValueError("likeliest is for sketch targets")
    search = _Descent(target, budget, cancel, progress)
    starts = list(dict.fromkeys(starts))
    for k, start in enumerate(starts):
        if search.left <= 0 or search.cancelled():
            break
        search.descend(start, search.left // (len(starts) - k))
    return None if search.best is None else replace(search.best, calls=search.calls)


class _Descent:
    """The beam descent's book-keeping: calls, programs seen, the best match."""

    def __init__(self, target: Target, budget: int, cancel, progress):
        self.target, self.budget, self.cancel, self.progress = target, budget, cancel, progress
        self.calls = 0
        self.seen: set[Node] = set()
        self.best: Likeliest | None = None
        self.raster = rasterizer(SCORE_SIZE)

    @property
    def left(self) -> int:
        return self.budget - self.calls

    def cancelled(self) -> bool:
        return self.cancel is not None and bool(self.cancel())

    def costs(self, programs: list[Node]) -> tuple[np.ndarray, list[int]]:
        """Sketch costs of ``programs`` (one call each) and their masks."""
        masks = [self.raster.packed(p) for p in programs]
        self.calls += len(programs)
        return sketch_costs(self.target, programs, masks), masks

    def offer(self, programs: list[Node], costs: np.ndarray, masks: list[int]) -> None:
        """Make the cheapest of ``programs`` that matches the best, if it beats it (the
        match check reuses the ring costs, which are cached)."""
        order = np.argsort(costs, kind="stable")
        if self.best is not None:
            order = [i for i in order if costs[i] < self.best.cost]
        if not len(order):
            return
        scores = self.target.scores_packed([masks[i] for i in order])
        for i, score in zip(order, scores, strict=True):
            if self.target.solves(score):
                self.best = Likeliest(programs[i], float(costs[i]), float(score), self.calls)
                return

    def descend(self, start: Node, budget: int) -> None:
        """The beam descent from ``start`` within ``budget`` calls."""
        stop = self.calls + budget
        if start in self.seen or budget < 1:
            return
        self.seen.add(start)
        cost, masks = self.costs([start])
        self.offer([start], cost, masks)
        beam, lowest, stalled = [start], float(cost[0]), 0
        while self.calls < stop and stalled <= PATIENCE and not self.cancelled():
            pool = [q for p in beam for q in neighbours(p) if q not in self.seen]
            pool = list(dict.fromkeys(pool))[: stop - self.calls]
            if not pool:
                return
            self.seen.update(pool)
            costs, masks = self.costs(pool)
            order = np.argsort(costs, kind="stable")[:BEAM_WIDTH]
            self.offer([pool[i] for i in order], costs[order], [masks[i] for i in order])
            if self.progress is not None:
                self.progress(self.calls, 0.0 if self.best is None else self.best.score)
            # a step from fewer programs than the beam holds (the start's) is not a stall
            cheaper = costs[order[0]] < lowest or len(beam) < BEAM_WIDTH
            stalled = 0 if cheaper else stalled + 1
            lowest = min(lowest, float(costs[order[0]]))
            beam = [pool[i] for i in order]


def neighbours(program: Node) -> list[Node]:
    """The programs one move from ``program`` (see the module docstring), without
    duplicates, in a fixed order."""
    raster = rasterizer(SCORE_SIZE)
    shape = raster.packed(program)
    out: list[Node] = []
    for pos, node in primitives(program):
        others = _value_moves(node) + _kind_swaps(node, shape, raster)
        out += [replace_at(program, pos, other) for other in others]
    for pos, node in walk(program):
        if node.kind == BINOP:
            op, left, right = node.children
            kept = (left, right) if op.value == "+" else (left,)
            out += [replace_at(program, pos, k) for k in kept]
    return list(dict.fromkeys(o for o in out if o != program))


_STEPS = (1, -1)
_TOP = NUM_VALUES[-1]


def _value_moves(node: Node) -> list[Node]:
    """A primitive with its values moved (one value, one edge, all sides, a turn)."""
    out = []
    if node.kind == CIRCLE:
        r, x, y = leaf_values(node)
        moves = [(d, 0, 0) for d in _STEPS] + [(0, d, 0) for d in _STEPS]
        moves += [(0, 0, d) for d in _STEPS]
        # the circle's centre value counts 2 units, its radius value 2 units too: a step
        # of both moves one side by 4 units and keeps the other
        moves += [(d, s, 0) for d in _STEPS for s in _STEPS]
        moves += [(d, 0, s) for d in _STEPS for s in _STEPS]
        for dr, dx, dy in moves:
            new = (r + dr, x + dx, y + dy)
            if new[0] > 0 and all(0 <= v <= _TOP for v in new):
                out.append(circle(*new))
        return out
    x, y, w, h, a = leaf_values(node)
    moves = [tuple(d if i == k else 0 for i in range(4)) for k in range(4) for d in _STEPS]
    # a centre step (2 units) with a half-side step of 2 units moves one edge by 4 units
    moves += [(d, 0, 2 * s, 0) for d in _STEPS for s in _STEPS]
    moves += [(0, d, 0, 2 * s) for d in _STEPS for s in _STEPS]
    moves += [(0, 0, d, d) for d in _STEPS]
    for dx, dy, dw, dh in moves:
        new = (x + dx, y + dy, w + dw, h + dh)
        if new[2] > 0 and new[3] > 0 and all(0 <= v <= _TOP for v in new):
            out.append(quad(*new, a))
    if a in (0, 45):
        out.append(quad(x, y, w, h, 45 - a))
    return out


def _kind_swaps(node: Node, shape: int, raster) -> list[Node]:
    """Fits of other kinds to a primitive: of each kind, the :data:`SWAPS_PER_KIND`
    :func:`candidates` fitted to its own mask that overlap it most, and as many fitted to
    the part of it the program shows (a circle's cap above a body is a roof, and its fit
    a diamond whose lower half the body hides) that overlap that part most."""
    mask = raster.packed(node)
    out: list[Node] = []
    for region in dict.fromkeys((mask, mask & shape)):
        if region:
            out += _fits(region, _kind(node), raster)
    return list(dict.fromkeys(out))


def _fits(region: int, mine: tuple, raster) -> list[Node]:
    """The :data:`SWAPS_PER_KIND` fits of each kind but ``mine`` to packed ``region``
    that overlap it most."""
    ranked: dict[tuple, list[tuple[float, Node]]] = {}
    for other in candidates(raster.unpack(region)):
        kind = _kind(other)
        if kind == mine:
            continue
        theirs = raster.packed(other)
        overlap = (region & theirs).bit_count() / max(1, (region | theirs).bit_count())
        ranked.setdefault(kind, []).append((overlap, other))
    out = []
    for fits in ranked.values():
        fits.sort(key=lambda f: -f[0])
        out += [node for _, node in fits[:SWAPS_PER_KIND]]
    return out


def _kind(node: Node) -> tuple:
    """A primitive's kind for swaps: a circle, an upright or a turned quad."""
    return (node.kind, leaf_values(node)[-1] % 90 != 0 if node.kind == QUAD else None)
