"""A REPL-style baseline (after Ellis et al. 2019), search only: no learned policy or value.

Ellis et al. build a program one primitive at a time; a learned policy sees
the render of the partial program (the REPL state) and proposes the next
line, and a learned value ranks partial programs.  This baseline keeps the
loop and replaces both networks by exhaustive scoring with the renderer:

1. Start from the empty program.
2. Expand every partial program P of the beam by every primitive g of a
   coarse grid (:func:`primitive_grid`: circles and axis-aligned or 45° quads
   at a few positions and sizes), as ``(+ P g)`` and ``(- P g)`` (just g for
   the empty program).  Score every candidate against the target (goal score,
   or outline fit for a sketch) and keep the best ``beam_width`` distinct ones.
3. Polish each kept program's newest primitive (and its operator) by one-value
   hill climbing (:func:`inference.search.refine.refine`, the rest frozen), so the
   coarse grid need not hit exact values.
4. Repeat until the target is solved, ``max_primitives`` is reached, a step
   no longer improves the best score, or the budget runs low; then refine the
   best program's every value with the calls that are left.

Programs are left-deep (each primitive is added to or cut from everything
before it), as in a REPL that appends lines.  Every candidate of every step
and every refinement is one renderer call against the same budget, and
candidates are never rendered from scratch (the partial output combined with
a cached primitive mask).  It is deterministic and draws no random numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inference.lang.tree import Node, binop, circle, quad
from inference.render.raster import rasterizer
from inference.search.refine import refine
from inference.search.search_run import SearchEvent, SearchRun
from inference.targets.score import SCORE_SIZE
from inference.targets.target import Target


@dataclass
class ReplConfig:
    """REPL baseline parameters.

    Attributes:
        budget: most renderer calls in all.
        beam_width: partial programs kept per step.
        max_primitives: most primitives a program gets.
        polish_calls: most calls to polish one new primitive.
        positions: grid centres x and y (values 0..15).
        radii: grid circle radii.
        sizes: grid quad half-widths and half-heights.
        angles: grid quad angles.
    """

    budget: int = 5000
    beam_width: int = 3
    max_primitives: int = 8
    polish_calls: int = 400
    positions: tuple[int, ...] = (3, 8, 13)
    radii: tuple[int, ...] = (2, 4, 7)
    sizes: tuple[int, ...] = (2, 5)
    angles: tuple[int, ...] = (0, 45)


@functools.cache
def primitive_grid(
    positions: tuple[int, ...], radii: tuple[int, ...], sizes: tuple[int, ...], angles: tuple
) -> tuple[Node, ...]:
    """The candidate primitives: every circle and quad of the grid, circles first."""
    circles = [circle(r, x, y) for r in radii for y in positions for x in positions]
    quads = [
        quad(x, y, w, h, a)
        for a in angles
        for w in sizes
        for h in sizes
        for y in positions
        for x in positions
    ]
    return tuple(circles + quads)


@dataclass
class _Partial:
    program: Node
    output: int
    score: float


def _expand(beam: list[_Partial], grid, room: int) -> list[tuple[Node, int]]:
    """Candidate programs (with outputs) extending each partial by one grid primitive."""
    raster = rasterizer(128)
    out: list[tuple[Node, int]] = []
    for part in beam:
        for g in grid:
            m = raster.packed(g)
            if part.program is None:
                out.append((g, m))
            else:
                out.append((binop("+", part.program, g), part.output | m))
                out.append((binop("-", part.program, g), part.output & ~m))
            if len(out) >= room:
                return out[:room]
    return out


def repl_search(
    target: Target,
    config: ReplConfig | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[SearchEvent]:
    """Build a program primitive by primitive; yields each improvement, then a final event.

    ``SearchEvent.depth`` is the number of primitives added so far.
    """
    cfg = config or ReplConfig()
    grid = primitive_grid(cfg.positions, cfg.radii, cfg.sizes, cfg.angles)
    run = SearchRun(target, cfg.budget, cancel)
    beam = [_Partial(None, 0, float("-inf"))]
    while run.depth < cfg.max_primitives and run.left > 0:
        if run.cancelled():
            break
        cands = _expand(beam, grid, run.left)
        scores = target.scores_packed([m for _, m in cands]).tolist()
        run.spend(len(cands))
        order = sorted(range(len(cands)), key=lambda i: -scores[i])
        kept = list({cands[i][0]: i for i in order[: 4 * cfg.beam_width]}.values())
        beam = [_Partial(cands[i][0], cands[i][1], scores[i]) for i in kept[: cfg.beam_width]]
        for k, part in enumerate(beam):
            frozen = (2,) if part.program.kind == "Binop" else ()
            res = refine(
                part.program,
                target,
                budget=min(cfg.polish_calls, run.left),
                frozen=frozen,
                score=part.score,
                cancel=cancel,
            )
            run.spend(res.calls)
            beam[k] = _Partial(res.program, rasterizer(SCORE_SIZE).packed(res.program), res.score)
        beam.sort(key=lambda p: -p.score)
        run.depth += 1
        if not run.improve(beam[0]):
            break  # adding a primitive no longer helps
        yield run.event()
        if run.solved:
            break
    if run.best is None:  # cancelled or no budget before the first step: the empty program
        run.improve(_Partial(circle(0, 8, 8), 0, float(target.scores_packed([0])[0])))
    if not run.solved and run.left > 0:
        best = run.best
        res = refine(best.program, target, run.left, score=best.score, cancel=cancel)
        run.spend(res.calls)
        if run.improve(_Partial(res.program, 0, res.score)):
            yield run.event()
    yield run.event(finished=True)
