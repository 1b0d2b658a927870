"""Structure first: build a program from the drawing's shapes with classical fitting.

The policy was trained on random programs and is thrown off by drawings; the
renderer, on the other hand, is cheap and exact.  This module builds a program
the way a draughtsman reads a part, with no network at all:

1. Compare the program so far with the target (at first: nothing).  The
   *residual* is what the target has and the program lacks (to add) and what
   the program has and the target lacks (to cut).
2. For each of the largest residual regions, fit primitives on the program
   grid (:func:`candidates`): a circle from its area and centroid, from its
   bounding box, inscribed and circumscribed; an upright rectangle from its
   bounding box and the largest rectangle inside it; a 45° rectangle from its
   extents along the diagonals (a roof, a diamond).  Each comes in a few
   roundings of its grid values.
3. Add (``+``) or cut (``-``) each candidate, score every resulting program
   against the target (one renderer call each) and keep the best, if it is
   better than the program so far.  Within a drawn target's edge tolerance many
   candidates score about the same, so how closely each follows the drawing's
   edges (``Target.precise_scores_packed``: less half a pen) weighs in too.
4. Repeat until the target is solved, nothing improves, the program has
   :data:`MAX_PRIMITIVES` primitives, or the budget is spent; then polish the
   values with one-value climbing (:mod:`inference.search.refine`).

A plate with holes is its bounding rectangle, then a cut per hole; an L is a
rectangle plus a rectangle (or a rectangle minus its corner); a house is a
body plus a 45° roof.  For that, on a drawn target or a sketch, the first
step also tries the part's *body* (:func:`_body_box`: the box of its widest
rows, the nearest on the grid), so that the roof is what is left to add.
:func:`fit_program` is the entry point; beam search uses its result as a
starting program (:mod:`inference.search.beam`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from inference.lang.tree import QUAD, Node, binop, circle, quad
from inference.render.raster import rasterizer
from inference.search.refine import refine
from inference.targets.shape_match import FeatureFinder
from inference.targets.target import SCORE_SIZE, Target

PX = SCORE_SIZE / 32
"""Pixels per canvas unit at the score size."""
MAX_PRIMITIVES = 8
"""The most primitives a fitted program gets (the training range's top)."""
REGIONS_PER_STEP = 4
"""How many of the largest residual regions each step fits."""
MIN_REGION_PX = 2
"""A residual region counts when it survives an erosion by this many pixels (5 px wide):
thinner ones are edges a little off, for the final polish to fix."""
EXACT_WEIGHT = 0.6
"""How much the exact goal score (against ``Target.precise_mask``) weighs next to the
target's own score when choosing a candidate."""
POLISH_CALLS = 600
PRIMITIVE_COST = 0.006
"""What each primitive costs a finished program when openings are compared (the simpler
of two programs that fit about as well wins: a rectangle is a Quad, not a circle cut four
times)."""
OPENINGS = 3
"""First primitives of different kinds that :func:`fit_program` finishes and compares."""
SURE_EXACT = 0.97
"""A solved program whose exact score is this high needs no other opening tried."""
"""The most renderer calls of the final one-value polish."""


@dataclass(frozen=True)
class FitResult:
    """A fitted program, its score and the renderer calls it took."""

    program: Node | None
    score: float
    calls: int
    steps: int
    others: tuple[Node, ...] = ()
    """The other openings' finished programs that solve the target (other readings of the
    drawing, for :mod:`inference.search.likeliest`)."""


def _clamp(v: float) -> int:
    return int(min(15, max(0, v)))


def _values(v: float) -> set[int]:
    """The grid values around ``v`` (value units): floor and ceil, clamped to 0..15."""
    return {_clamp(math.floor(v)), _clamp(math.ceil(v))}


def candidates(region: np.ndarray) -> list[Node]:
    """Primitives on the program grid fitted to a ``bool`` (128, 128) region (see the
    module docstring), without duplicates, in a fixed order."""
    ys, xs = np.nonzero(region)
    if len(xs) == 0:
        return []
    x = (xs + 0.5) / PX  # pixel centres in canvas units
    y = (ys + 0.5) / PX
    out: dict[str, Node] = {}

    def add(node: Node) -> None:
        out.setdefault(repr(node), node)

    cx, cy = float(x.mean()), float(y.mean())
    area = len(xs) / PX**2
    left, right = float(x.min()) - 0.5 / PX, float(x.max()) + 0.5 / PX
    top, bottom = float(y.min()) - 0.5 / PX, float(y.max()) + 0.5 / PX
    bx, by = (left + right) / 2, (top + bottom) / 2
    half_w, half_h = (right - left) / 2, (bottom - top) / 2
    # circles: centre value c means 2c units, radius value r means 2r units
    for ccx, ccy, radius in (
        (cx, cy, math.sqrt(area / math.pi)),
        (bx, by, min(half_w, half_h)),
        (bx, by, max(half_w, half_h)),
    ):
        for vx in _values(ccx / 2):
            for vy in _values(ccy / 2):
                for vr in _values(radius / 2):
                    if vr > 0:
                        add(circle(vr, vx, vy))
    # upright rectangles: centre value c means 2c units, half-sides w, h in units
    boxes = [(bx, by, half_w, half_h)]
    inner = _largest_rectangle(region)
    if inner is not None:
        boxes.append(inner)
    for qx, qy, qw, qh in boxes:
        for vx in _values(qx / 2):
            for vy in _values(qy / 2):
                for w in _values(qw):
                    for h in _values(qh):
                        if w > 0 and h > 0:
                            add(quad(vx, vy, w, h, 0))
    # 45° rectangles: half-sides along (1, 1)/√2 and (-1, 1)/√2
    u, v = (x + y) / math.sqrt(2), (y - x) / math.sqrt(2)
    step = 0.5 / PX * math.sqrt(2)
    u0, u1, v0, v1 = u.min() - step, u.max() + step, v.min() - step, v.max() + step
    cu, cv = (u0 + u1) / 2, (v0 + v1) / 2
    dx, dy = (cu - cv) / math.sqrt(2), (cu + cv) / math.sqrt(2)
    for vx in _values(dx / 2):
        for vy in _values(dy / 2):
            for w in _values((u1 - u0) / 2):
                for h in _values((v1 - v0) / 2):
                    if w > 0 and h > 0:
                        add(quad(vx, vy, w, h, 45))
    return list(out.values())


def _largest_rectangle(region: np.ndarray) -> tuple[float, float, float, float] | None:
    """The largest upright rectangle of whole canvas units inside ``region`` (a unit cell
    counts when at least half of it is inside), as (centre x, centre y, half-w, half-h) in
    units; ``None`` when no cell counts."""
    n = round(PX)
    cells = region.reshape(32, n, 32, n).mean(axis=(1, 3)) >= 0.5
    best, found = 0, None
    heights = np.zeros(32, dtype=int)
    for row in range(32):
        heights = np.where(cells[row], heights + 1, 0)
        stack: list[int] = []  # the classic largest rectangle in a histogram, per row
        for col in range(33):
            height = heights[col] if col < 32 else 0
            while stack and heights[stack[-1]] >= height:
                top = heights[stack.pop()]
                start = stack[-1] + 1 if stack else 0
                if top * (col - start) > best:
                    best = top * (col - start)
                    found = ((start + col) / 2, row + 1 - top / 2, (col - start) / 2, top / 2)
            stack.append(col)
    return found


class _Scorer:
    """Scores programs against the target, counting renderer calls within a budget."""

    def __init__(self, target: Target, budget: int, cancel: Callable[[], bool] | None):
        self.target, self.budget, self.cancel = target, budget, cancel
        self.calls = 0
        self.raster = rasterizer(SCORE_SIZE)

    @property
    def left(self) -> int:
        return self.budget - self.calls

    def scores(self, programs: list[Node]) -> tuple[np.ndarray, np.ndarray]:
        """The target's scores of (up to the budget of) ``programs``, and their exact goal
        scores against the target's mask (one renderer call each)."""
        programs = programs[: max(0, self.left)]
        self.calls += len(programs)
        masks = [self.raster.packed(p) for p in programs]
        return self.target.scores_packed(masks), self.target.precise_scores_packed(masks)


_FINDER = FeatureFinder(SCORE_SIZE)


def _residual_regions(target: Target, program: Node | None) -> Iterator[tuple[str, np.ndarray]]:
    """``("+", region)`` for target material the program lacks and ``("-", region)`` for
    material it adds, largest first, each at least :data:`MIN_REGION_PX` thick."""
    r = rasterizer(SCORE_SIZE)
    mask = r.packed(program) if program is not None else 0
    regions = []
    for op, residual in (("+", target.packed & ~mask), ("-", mask & ~target.packed)):
        for piece, _ in _FINDER.thick_pieces(residual, MIN_REGION_PX):
            regions.append((piece.bit_count(), op, piece))
    regions.sort(key=lambda item: -item[0])
    for _, op, piece in regions[:REGIONS_PER_STEP]:
        yield op, r.unpack(piece)


def fit_program(
    target: Target,
    budget: int,
    cancel: Callable[[], bool] | None = None,
    polish: bool = True,
    openings: int = OPENINGS,
) -> FitResult:
    """Build a program for ``target`` from fitted primitives (see the module docstring),
    within ``budget`` renderer calls.  ``program`` is ``None`` when nothing fits.

    The first step keeps the ``openings`` best first primitives of different kinds
    (a circle, an upright and a 45° rectangle: a small house is about as round as it
    is square within a drawing's tolerance), with the part's body (:func:`_body_box`)
    in front when the target is drawn and the part has one, and finishes each
    greedily; the best finished program wins (solved first, then the merit of the
    module docstring).
    """
    scorer = _Scorer(target, budget, cancel)
    firsts = _first_steps(target, scorer, openings)
    best: tuple[Node, float, float, int] | None = None
    solved: list[Node] = []
    for program, score, exact in firsts:
        if cancel is not None and cancel():
            break
        done = _greedy(target, scorer, program, score, exact, cancel)
        if target.solves(done[1]):
            solved.append(done[0])
        if best is None or _key(target, done) > _key(target, best):
            best = done
        if target.solves(best[1]) and best[2] >= SURE_EXACT:
            break  # an opening that fits this well leaves the others nothing to win
    if best is None:
        return FitResult(None, 0.0, scorer.calls, 0)
    program, score, _, steps = best
    others = tuple(dict.fromkeys(p for p in solved if p != program))
    if polish and not target.solves(score) and scorer.left > 0:
        res = refine(
            program,
            target,
            budget=min(scorer.left, POLISH_CALLS),
            score=score,
            cancel=cancel,
        )
        scorer.calls += res.calls
        program, score = res.program, res.score
    return FitResult(program, max(score, 0.0), scorer.calls, steps, others)


def _key(target: Target, done: tuple[Node, float, float, int]) -> tuple[bool, float]:
    """How a finished program ranks: solved first, then the merit."""
    program, score, exact, _ = done
    merit = score + EXACT_WEIGHT * exact - PRIMITIVE_COST * program.sigma
    return (target.solves(score), merit)


def _first_steps(target: Target, scorer: _Scorer, openings: int) -> list[tuple[Node, float, float]]:
    """The best first primitive of each kind (circle, upright, 45°), best first, after the
    part's body (:func:`_body_opening`) when there is one."""
    regions = [region for op, region in _residual_regions(target, None) if op == "+"]
    tries = [shape for region in regions for shape in candidates(region)]
    if not tries:
        return []
    scores, exact = scorer.scores(tries)
    merit = scores + EXACT_WEIGHT * exact
    kinds: dict[tuple, tuple[Node, float, float]] = {}
    for i in np.argsort(-merit, kind="stable"):
        node = tries[i]
        kind = (node.kind, node.children[-1].value if node.kind == QUAD else None)
        kinds.setdefault(kind, (node, float(scores[i]), float(exact[i])))
    firsts = sorted(kinds.values(), key=lambda f: -(f[1] + EXACT_WEIGHT * f[2]))[:openings]
    body = _body_opening(target, regions[0])
    if body is not None and all(body != f[0] for f in firsts):
        scores, exact = scorer.scores([body])
        if len(scores):
            firsts.insert(0, (body, float(scores[0]), float(exact[0])))
    return firsts


def _body_opening(target: Target, part: np.ndarray) -> Node | None:
    """The upright quad nearest to the body of the target's largest part (:func:`_body_box`),
    for drawn targets and sketches only: on exact renders of random programs (refset-dev)
    the extra opening took the budget two 6-primitive problems needed.  The nearest box on
    the grid, not the best-scoring one: a taller box covers more of the roof and scores
    better, and leaves the roof too small to add."""
    if not (target.tolerance or target.is_sketch):
        return None
    body = _body_box(part)
    if body is None:
        return None
    qx, qy, qw, qh = body
    w, h = _clamp(round(qw)), _clamp(round(qh))
    if w == 0 or h == 0:
        return None
    return quad(_clamp(round(qx / 2)), _clamp(round(qy / 2)), w, h, 0)


BODY_WIDTH = 0.97
"""Rows (or columns) at least this share of the widest one's extent make a part's body."""
BODY_SHARE = 0.4
"""A body must cover at least this share of its part's height (or width)."""


def _body_box(region: np.ndarray) -> tuple[float, float, float, float] | None:
    """The box of a part's widest rows (or columns), from each one's leftmost to its
    rightmost pixel, as (centre x, centre y, half-w, half-h) in units: a house's body
    under its roof, whatever door is cut into it.  ``None`` when those rows cover under
    :data:`BODY_SHARE` of the part (a disc) or cover all of it (a box, which the
    bounding-rectangle opening already is)."""
    boxes = []
    for lines in (region, region.T):
        used = np.flatnonzero(lines.any(axis=1))
        if len(used) == 0:
            return None
        first = np.argmax(lines[used], axis=1)
        last = lines.shape[1] - 1 - np.argmax(lines[used][:, ::-1], axis=1)
        extent = last - first + 1
        wide = extent >= BODY_WIDTH * extent.max()
        a0, a1 = used[wide].min(), used[wide].max() + 1
        share = (a1 - a0) / (used[-1] + 1 - used[0])
        if BODY_SHARE <= share < 1:
            b0, b1 = first[wide].min(), last[wide].max() + 1
            boxes.append((share, (a0, a1, b0, b1), lines is region))
    if not boxes:
        return None
    _, (a0, a1, b0, b1), rows = max(boxes)
    if not rows:
        a0, a1, b0, b1 = b0, b1, a0, a1
    return (b0 + b1) / 2 / PX, (a0 + a1) / 2 / PX, (b1 - b0) / 2 / PX, (a1 - a0) / 2 / PX


def _greedy(
    target: Target,
    scorer: _Scorer,
    program: Node,
    score: float,
    exact_score: float,
    cancel: Callable[[], bool] | None,
) -> tuple[Node, float, float, int]:
    """Add or cut the best fitted primitive until solved, stuck or out of budget."""
    steps = 1
    while scorer.left > 0 and program.sigma < MAX_PRIMITIVES and not target.solves(score):
        if cancel is not None and cancel():
            break
        tries = [
            binop(op, program, shape)
            for op, region in _residual_regions(target, program)
            for shape in candidates(region)
        ]
        if not tries:
            break
        scores, exact = scorer.scores(tries)
        if len(scores) == 0:
            break
        # within a drawn target's tolerance many candidates score about the same: the
        # exact score against the drawing (less half a pen) weighs in to choose among them
        merit = scores + EXACT_WEIGHT * exact
        best = int(np.argmax(merit))
        if merit[best] <= score + EXACT_WEIGHT * exact_score:
            break
        program, steps = tries[best], steps + 1
        score, exact_score = float(scores[best]), float(exact[best])
    return program, score, exact_score, steps


def residual_step(
    target: Target,
    program: Node,
    budget: int,
    cancel: Callable[[], bool] | None = None,
) -> tuple[Node, float, int]:
    """Fix a near miss by its residual: from ``program``, add or cut fitted primitives for
    the largest regions where it and the target disagree, greedily, as :func:`fit_program`
    does after its first step.  Returns the program reached (``program`` itself when no
    primitive helps), its score and the renderer calls spent (at most ``budget``; one of
    them scores ``program``)."""
    scorer = _Scorer(target, budget, cancel)
    scores, exact = scorer.scores([program])
    if len(scores) == 0:
        return program, float("-inf"), 0
    found, score, _, _ = _greedy(target, scorer, program, float(scores[0]), float(exact[0]), cancel)
    return found, score, scorer.calls
