"""Search over tree edits (DESIGN.md §2, "Search"): beam search and policy rollouts.

Both strategies are plain generators: they yield a :class:`SearchEvent` each
time the best program improves (and a final one), check a cancel callback
between steps and never touch Qt, so the editor can run them on a worker
thread.  Edits come from a :class:`Proposer`: the neural policy
(:class:`PolicyProposer`), or random grammar mutations
(:class:`RandomMutationProposer`) as the no-learning baseline.

* :func:`beam_search`: a beam of programs; each gets
  ``samples_per_program`` proposed edits, the children not seen before are
  scored, and the best ``beam_width`` by the chosen ranking form the next beam.
* :func:`rollouts`: policy only, no selection: ``beam_width`` independent
  chains each apply one proposed edit per step; a chain that reaches
  ``max_depth`` (or cannot be edited) restarts from a fresh start.

Budget: every program that is rendered and scored counts as one renderer call
(a node expansion), including the starting programs and every candidate of a
refinement.  A search never uses more than ``budget`` calls.  It stops at the
first program that solves the target, when the budget or the depth is spent
(``max_depth`` steps; with ``SearchConfig.restarts`` a stalled beam starts again from its
best program instead, a number of times), or when cancelled.  A run with a smaller
budget is a prefix of one with a larger budget (same seed), so one run gives the whole
solved-vs-calls curve, except for the parts that take a share of the budget: the fitted
start (``fit``) and the refinements' cap (``refine_share``).

**Hybrid** (``SearchConfig.refine``): each new best program is refined by
exhaustive one-value hill climbing (:mod:`inference.search.refine`, at most
``refine_calls`` renders each); an improved program joins the beam.

**Locked nodes**: ``locked`` positions of a given ``start`` program are never
changed by any edit or refinement; their positions are carried through edits.

**Hand-drawn targets**: :func:`view_search` runs one beam search per model
view of a drawn target (its mask, eroded and dilated by half a unit), sharing
the budget; it is what the CLI and the editor run.

**Cancel**: ``cancel`` is polled between steps, and passed on to the proposer's
methods when they take it (:func:`inference.search.proposers.takes_cancel`): the policy
then asks it before every network batch, so a search stops within a batch (about
0.05 s) of a cancel, not only at the end of a step, which can take seconds.

**Progress**: besides the improvements it yields, a search reports a light
:class:`SearchProgress` (calls used, elapsed time, best score so far) to an
optional ``progress`` callback before every network batch of a step and
after every scoring, whether or not the best improved, so a caller can show
that a long run is alive.

**Determinism**: everything random is drawn from the ``rng`` argument, so the
same seed gives the same events (``elapsed`` aside).

Ranking of the children that form the next beam (``SearchConfig.rank``):

* ``"value"``: fewest edits left according to the proposer's value
  estimate (ties by score); the goal score without a value model;
* ``"logprob"``: the policy's log-probability of the edit that made it;
* ``"score"``: the target score itself (needs no network).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from inference.lang.grammar import CSG2D, Grammar
from inference.lang.locks import shift_for_edit
from inference.lang.random_trees import random_tree
from inference.lang.tree import Node, node_at
from inference.noise.random_programs import random_program
from inference.search.likeliest import likeliest
from inference.search.proposers import (
    Proposer,
    passing_cancel,
)
from inference.search.refine import refine
from inference.search.residual_fit import fit_program, residual_step
from inference.search.search_run import ProgressFn, SearchEvent, SearchProgress, SearchRun
from inference.search.svg_repl import fit_lines
from inference.search.value_refine import refine_values
from inference.targets.target import Target
from inference.util.cancellation import Cancelled

__all__ = ["SearchConfig", "beam_search", "deep_enough", "rollouts", "run_search", "view_search"]


@dataclass
class SearchConfig:
    """Search parameters; the beam defaults are the paper's.

    Attributes:
        beam_width: programs kept per step (parallel chains for rollouts).
        samples_per_program: edits proposed per beam program.
        max_depth: most edit steps (per chain for rollouts).
        budget: most renderer calls in all.
        rank: ``"value"``, ``"logprob"`` or ``"score"`` (see the module doc).
        start_primitives: primitive-count range of random starting programs.
        refine: hybrid: refine every new best program by one-value climbing.
        refine_calls: most renderer calls one refinement may use.
        refine_share: the most of the budget all refinements together may use on CSG2D
            programs, so that the policy gets the rest (render-only work is fast: in the
            editor, a fitted start and its refinements once spent all of 2,000 calls in
            0.3 s before the network took a step).  Like the fit's share, it depends on the
            budget, so with refinement a smaller budget's run is not always a prefix of a
            larger one's.  TinySVG's refinement is not capped: at 0.25 of 2,000 calls
            (before TinySVG had a fitted start) the policy's mean score on 16 held-out
            problems fell from 0.675 to 0.618 (docs/BENCHMARKS.md, session 18).
        views: search a hand-drawn target's model views too (:func:`view_search`).
        fit: structure first: build a program fitted to the target and start the beam
            from it too (only when no node is locked): CSG2D's from fitted primitives
            (:mod:`inference.search.residual_fit`, at most ``fit_share`` of the budget),
            TinySVG's by the REPL-style search (``lines_fit_share``).
        fit_share: the most of the budget the fit may use on a drawn target or a sketch.
        exact_fit_share: the same for an exact target (tolerance 0), where the policy
            needs more of the budget: 25 % cost 2 of the first 32 refset-dev problems at
            2,000 calls, solved without the fit at about 1,600.
        lines_fit_share: the most of the budget the fit may use on a TinySVG target (the
            REPL-style search, :func:`inference.search.svg_repl.fit_lines`).  It is the
            stronger search there: on 16 held-out problems at 2,000 calls (svgset23, the
            REPL-style search before session 19's improvements), a share of 0.5 left the
            policy's beam 3 solved, 0.9 gave 5, as many as the REPL-style search alone and
            as random mutations from the same start (docs/BENCHMARKS.md, session 19).
        residual: near misses: on an exact target (not a drawing or a sketch, which have
            their own repair and tidy), each new best CSG2D program scoring at least
            ``residual_from`` (and with no lock) is also fixed by its residual
            (:func:`inference.search.residual_fit.residual_step`, at most
            ``residual_calls`` renders), once; a better result joins the beam.  On by
            default since session 16 (refset-dev at 5,000 calls: docs/BENCHMARKS.md).
        restarts: most restarts of a stalled beam (issue 13's lever; 0, the default, never
            restarts, and the search ends at ``max_depth`` steps).  A beam stalls when its
            best has not improved for ``restart_stall`` steps, or at ``max_depth`` steps since
            it (re)started; it then starts again from its best program and
            ``beam_width - 1`` fresh random programs, while the budget lasts.  The visited
            set is kept, so no program is scored twice.  Measured in session 17, it did
            not win (refset-dev's first 32 at 5,000 calls 29 against 30, held out 14
            against 15; docs/BENCHMARKS.md), so it stays off.
        restart_stall: steps without a better best that count as a stall.
        likeliest_calls: the most renderer calls, of what the budget has left, that a
            matched CSG2D sketch may spend on the match it was likeliest drawn from
            (:func:`view_search`, :mod:`inference.search.likeliest`; 0 never looks).
    """

    beam_width: int = 64
    samples_per_program: int = 3
    max_depth: int = 30
    budget: int = 5000
    rank: str = "value"
    start_primitives: tuple[int, int] = (1, 3)
    refine: bool = False
    refine_calls: int = 1000
    refine_share: float = 0.25
    views: bool = True
    fit: bool = True
    fit_share: float = 0.25
    exact_fit_share: float = 0.1
    lines_fit_share: float = 0.9
    residual: bool = True
    residual_from: float = 0.9
    residual_calls: int = 300
    restarts: int = 0
    restart_stall: int = 8
    likeliest_calls: int = 1000


MAX_STEPS = 1_000_000
"""Most beam steps of a search whose budget is unlimited in calls (one limited by the clock:
far more than fit in an hour)."""


def deep_enough(config: SearchConfig) -> SearchConfig:
    """``config`` with ``max_depth`` raised so its budget can be spent: a beam step costs up to
    ``beam_width × samples_per_program`` calls, and a budget in seconds is an unlimited calls
    budget, which would otherwise end the search at ``max_depth`` steps with time left (the
    editor's auto-run, ``synthesize --seconds`` and ``bench --seconds`` use it)."""
    per_step = config.beam_width * config.samples_per_program
    depth = max(config.max_depth, min(config.budget // per_step + 1, MAX_STEPS))
    return replace(config, max_depth=depth)


VIEW_WEIGHTS = (2.0, 1.0, 1.0)
"""Budget ratio of :func:`view_search`'s searches: the drawing as drawn, eroded, dilated."""
REPAIR_CALLS = 100
"""Most renderer calls the repair of one capped program may use (see ``_Run.polish``)."""


@dataclass
class _Item:
    program: Node
    score: float
    locked: frozenset[int]
    logprob: float = 0.0


def _rank(
    cfg: SearchConfig, proposer: Proposer, target: Target, items: list[_Item], cancel=None
) -> list:
    if cfg.rank == "score":
        return sorted(items, key=lambda it: -it.score)
    if cfg.rank == "logprob":
        return sorted(items, key=lambda it: (-it.logprob, -it.score))
    if cfg.rank == "value":
        values = passing_cancel(proposer.values, cancel)(target, [it.program for it in items])
        if values is None:
            return sorted(items, key=lambda it: -it.score)
        order = np.lexsort((-np.array([it.score for it in items]), np.asarray(values)))
        return [items[i] for i in order]
    raise ValueError(f"unknown ranking {cfg.rank!r}")


class _Run(SearchRun):
    """:class:`~inference.search.search_run.SearchRun` for the beam search and rollouts: their
    configuration, and the hybrid refinement and repair of :meth:`polish`."""

    def __init__(self, target: Target, cfg: SearchConfig, cancel, progress: ProgressFn | None):
        if cfg.rank not in ("value", "logprob", "score"):
            raise ValueError(f"unknown ranking {cfg.rank!r}")
        if cfg.budget < 1 or cfg.beam_width < 1 or cfg.samples_per_program < 1:
            raise ValueError("budget, beam_width and samples_per_program must be positive")
        if not 0 <= cfg.refine_share <= 1:
            raise ValueError("refine_share must be from 0 to 1")
        super().__init__(target, cfg.budget, cancel, progress)
        self.cfg = cfg
        self.repaired: set[Node] = set()
        self.refined = 0  # calls spent on refinements (``cfg.refine``)
        self.residual_tried: set[Node] = set()

    def score(self, items: list[_Item]) -> None:
        """Score ``items`` (one call each); the caller keeps them within the budget."""
        for it, s in zip(items, self.score_programs([it.program for it in items]), strict=True):
            it.score = s

    def polish(self, item: _Item) -> _Item | None:
        """Polish ``item``: refine it (:meth:`refine_item`), then fix its residual
        (``cfg.residual``); the better item, or ``None`` when neither improved it."""
        better = self.refine_item(item)
        fixed = self.fix_residual(better or item)
        return fixed or better

    def fix_residual(self, item: _Item) -> _Item | None:
        """A near miss fixed by its residual (see :class:`SearchConfig`), or ``None``."""
        cfg, program = self.cfg, item.program
        if (
            not cfg.residual
            or item.locked
            or program.grammar is not CSG2D
            or self.target.is_sketch
            or self.target.tolerance
            or self.left <= 0
            or item.score < cfg.residual_from
            or self.target.solves(item.score)
            or program in self.residual_tried
        ):
            return None
        self.residual_tried.add(program)
        found, score, calls = residual_step(
            self.target, program, min(self.left, cfg.residual_calls), self.cancel
        )
        self.spend(calls)
        self.report()
        return _Item(found, score, item.locked, item.logprob) if score > item.score else None

    def refine_item(self, item: _Item) -> _Item | None:
        """Hybrid step: refine ``item``; the refined item if it improved.

        Without ``cfg.refine``, a program whose score is capped for its shape
        (:meth:`~inference.targets.target.Target.is_capped`: it fits the drawing within the
        tolerance, but a part, hole or edge is wrong) is still *repaired*, once: a
        short climb over the next value up and down of each leaf
        (:data:`REPAIR_CALLS`), since it is often a value or two from right.
        """
        if self.left <= 0 or self.target.solves(item.score):
            return None
        if self.cfg.refine:
            # the cap is CSG2D's: there render-only work competes with the fitted start; on
            # TinySVG refinement is the search's best step, and capped it lost (session 18)
            share = self.cfg.refine_share if item.program.grammar is CSG2D else 1.0
            room = int(share * self.budget) - self.refined
            if room <= 0:
                return None
            budget, nearby = min(self.cfg.refine_calls, room), False
        elif self.target.is_capped(item.score) and item.program not in self.repaired:
            self.repaired.add(item.program)
            budget, nearby = REPAIR_CALLS, True
        else:
            return None
        climb = refine if item.program.grammar is CSG2D else refine_values
        res = climb(
            item.program,
            self.target,
            budget=min(self.left, budget),
            locked=item.locked,
            score=item.score,
            cancel=self.cancel,
            nearby=nearby,
        )
        self.spend(res.calls)
        if not nearby:
            self.refined += res.calls
        self.report()
        if res.score > item.score:
            return _Item(res.program, res.score, item.locked, item.logprob)
        return None


def _starts(rng, cfg: SearchConfig, start, count: int, grammar: Grammar = CSG2D) -> list[Node]:
    """The given start(s), or ``count`` distinct random programs of ``grammar`` (in draw
    order; primitive counts uniform in ``cfg.start_primitives``)."""
    if start is None:
        if grammar is CSG2D:
            drawn = [random_program(rng, cfg.start_primitives) for _ in range(count)]
        else:
            lo, hi = cfg.start_primitives
            drawn = [random_tree(grammar, rng, int(rng.integers(lo, hi + 1))) for _ in range(count)]
        return list(dict.fromkeys(drawn))
    return [start] if isinstance(start, Node) else list(dict.fromkeys(start))


def beam_search(
    target: Target,
    proposer: Proposer,
    rng: np.random.Generator,
    config: SearchConfig | None = None,
    start: Node | Sequence[Node] | None = None,
    locked: Sequence[int] = (),
    cancel: Callable[[], bool] | None = None,
    every_step: bool = False,
    progress: ProgressFn | None = None,
    seeds: Sequence[Node] = (),
) -> Iterator[SearchEvent]:
    """Beam search for a program that solves ``target``; yields each improvement.

    Args:
        start: begin from this program (or these programs, e.g. samples of an
            autoregressive model) instead of random ones.
        locked: node positions of ``start`` that no edit may touch.
        seeds: programs that join the first beam too, in front (e.g. a fitted
            program, :mod:`inference.search.residual_fit`); not with ``locked``.
        cancel: polled between steps, and before every network batch by a proposer
            that takes it (see the module doc); the search ends when it returns True.
        every_step: also yield an event after every step without an improvement.
        progress: called with a :class:`SearchProgress` before each step's
            network batches and after each scoring (see the module doc).
    """
    cfg = config or SearchConfig()
    run = _Run(target, cfg, cancel, progress)
    lock0 = frozenset(locked) if start is not None else frozenset()
    if seeds and lock0:
        raise ValueError("seeds cannot keep the locks of a start program")
    starts = _starts(rng, cfg, start, cfg.beam_width, target.grammar)
    firsts = list(dict.fromkeys([*seeds, *starts]))
    beam = [_Item(p, 0.0, lock0) for p in firsts[: max(cfg.beam_width, len(seeds))]]
    beam = beam[: cfg.budget]
    run.score(beam)
    visited = {it.program for it in beam}
    run.improve(max(beam, key=lambda it: it.score))
    run.report()
    yield run.event(0)
    before = run.best
    beam = _with_polished(run, before, beam, visited)[: cfg.beam_width]
    if run.best is not before:
        yield run.event(0)
    depth = steps = stall = restarts = 0  # all steps; steps and stall since the last (re)start
    while not run.solved and run.left > 0:
        if run.cancelled():
            break
        if steps >= cfg.max_depth or (cfg.restarts and stall >= cfg.restart_stall):
            if restarts >= cfg.restarts:
                break
            restarts += 1
            before = run.best
            beam = _restart(run, rng, cfg, visited)
            steps = stall = 0
            if run.best is not before:  # a fresh program beat the best
                yield run.event(depth)
        depth += 1
        steps += 1
        run.depth = depth
        run.report()
        try:
            proposals = passing_cancel(proposer.propose, cancel)(
                target,
                [it.program for it in beam],
                cfg.samples_per_program,
                rng,
                [it.locked for it in beam],
            )
        except Cancelled:  # heard inside the proposer's network work: end as between steps
            break
        children = _children(beam, proposals, visited, run.left)
        if not children:
            if not any(proposals):
                break  # nothing can be edited (e.g. everything is locked)
            stall += 1
            continue
        run.score(children)
        top = max(children, key=lambda it: it.score)
        improved = run.improve(top)
        stall = 0 if improved else stall + 1
        run.report()
        if improved:
            yield run.event(depth)
        before = run.best
        if improved or target.is_capped(top.score):
            children = _with_polished(run, top, children, visited)
        if run.best is not before:
            yield run.event(depth)
        elif every_step and not improved:
            yield run.event(depth)
        if run.solved:
            break
        try:
            beam = _rank(cfg, proposer, target, children, cancel)[: cfg.beam_width]
        except Cancelled:
            break
    yield run.event(depth, finished=True)


def _restart(run: _Run, rng, cfg: SearchConfig, visited: set) -> list[_Item]:
    """A restarted beam: the best so far and up to ``beam_width - 1`` fresh random programs
    not seen before (scored here, one call each, within the budget)."""
    best = run.best
    if best.locked:  # a locked start: only the best can go on
        return [best]
    fresh = [
        _Item(p, 0.0, frozenset())
        for p in _starts(rng, cfg, None, cfg.beam_width - 1, run.target.grammar)
        if p not in visited
    ][: max(0, run.left)]
    visited.update(it.program for it in fresh)
    if fresh:
        run.score(fresh)
        run.improve(max(fresh, key=lambda it: it.score))
        run.report()
    return [best, *fresh]


def view_search(
    target: Target,
    proposer: Proposer,
    rng: np.random.Generator,
    config: SearchConfig | None = None,
    start: Node | Sequence[Node] | None = None,
    locked: Sequence[int] = (),
    cancel: Callable[[], bool] | None = None,
    progress: ProgressFn | None = None,
) -> Iterator[SearchEvent]:
    """:func:`_view_search`, structure first: with ``config.fit`` and nothing locked, a
    program fitted to the target comes first, ends the search if it solves the target,
    and otherwise joins the first beam of every view.  On a CSG2D target it is built
    from fitted primitives (:func:`inference.search.residual_fit.fit_program`, at most
    ``config.fit_share`` of the budget, ``config.exact_fit_share`` for an exact target);
    on a TinySVG target it is the REPL-style search's drawing
    (:func:`inference.search.svg_repl.fit_lines`, ``config.lines_fit_share``).  Events
    and progress count the fit's renderer calls.

    A CSG2D sketch that is matched, with nothing locked, is then read once more: the
    match comes as an event, and the match the sketch was likeliest drawn from, starting
    from the search's and the fit's matches (:func:`inference.search.likeliest.likeliest`,
    at most ``config.likeliest_calls`` of what the budget has left), is the final event.
    """
    cfg = config or SearchConfig()
    others: list[Node] = []
    events = _fitted_search(target, proposer, rng, cfg, start, locked, cancel, progress, others)
    if locked or not target.is_sketch or target.grammar is not CSG2D or cfg.likeliest_calls < 1:
        yield from events
        return
    for event in events:
        if not (event.finished and event.solved):
            yield event
            continue
        t0 = time.perf_counter()
        room = min(cfg.likeliest_calls, cfg.budget - event.calls)
        if room < 1 or (cancel is not None and cancel()):
            yield event
            return
        yield replace(event, finished=False)  # the match, shown while the reading goes on
        tell = None
        if progress is not None:

            def tell(calls: int, score: float, before=event, t0=t0) -> None:
                best = score or before.score  # the likeliest match so far
                spent, elapsed = before.calls + calls, _since(t0, before)
                progress(SearchProgress(spent, elapsed, best, before.depth))

        found = likeliest(target, [event.program, *others], room, cancel, tell)
        if found is None:  # cancelled before its first call (the search's program matches)
            yield replace(event, elapsed=_since(t0, event))
        else:
            yield replace(
                event,
                program=found.program,
                score=found.score,
                calls=event.calls + found.calls,
                elapsed=_since(t0, event),
            )
        return


def _since(t0: float, event: SearchEvent) -> float:
    """An event's elapsed time plus the seconds :func:`view_search` spent since ``t0``
    (when it took the event)."""
    return event.elapsed + time.perf_counter() - t0


def _fitted_search(
    target: Target,
    proposer: Proposer,
    rng: np.random.Generator,
    cfg: SearchConfig,
    start: Node | Sequence[Node] | None,
    locked: Sequence[int],
    cancel: Callable[[], bool] | None,
    progress: ProgressFn | None,
    others: list[Node],
) -> Iterator[SearchEvent]:
    """:func:`view_search` up to its last event: the fit (the other matches it finished
    are put in ``others``), then the views' beam searches."""
    if not cfg.fit or locked or cfg.budget < 2:
        yield from _view_search(target, proposer, rng, cfg, start, locked, cancel, progress)
        return
    t0 = time.perf_counter()
    if target.grammar is CSG2D:
        share = cfg.fit_share if target.is_sketch or target.tolerance else cfg.exact_fit_share
        fitted = fit_program(target, max(1, int(cfg.budget * share)), cancel)
        others.extend(fitted.others)
    else:  # TinySVG's fit takes most of the budget, so it reports progress too
        calls = max(1, int(cfg.budget * cfg.lines_fit_share))
        begin = start if isinstance(start, Node) else None  # the editor's program
        fitted = fit_lines(target, calls, cancel, progress, begin)
    spent, seeds = fitted.calls, []
    if fitted.program is not None:
        solved = target.solves(fitted.score)
        done = solved or spent >= cfg.budget or (cancel is not None and bool(cancel()))
        elapsed = time.perf_counter() - t0
        yield SearchEvent(fitted.program, fitted.score, spent, elapsed, 0, solved, done)
        if done:
            return
        seeds = [fitted.program]
    if progress is not None:
        inner = progress

        def progress(report: SearchProgress) -> None:
            inner(replace(report, calls=report.calls + spent, elapsed=time.perf_counter() - t0))

    cfg = replace(cfg, budget=cfg.budget - spent)
    for event in _view_search(target, proposer, rng, cfg, start, locked, cancel, progress, seeds):
        yield replace(event, calls=event.calls + spent, elapsed=time.perf_counter() - t0)


def _view_search(
    target: Target,
    proposer: Proposer,
    rng: np.random.Generator,
    config: SearchConfig | None = None,
    start: Node | Sequence[Node] | None = None,
    locked: Sequence[int] = (),
    cancel: Callable[[], bool] | None = None,
    progress: ProgressFn | None = None,
    seeds: Sequence[Node] = (),
) -> Iterator[SearchEvent]:
    """:func:`beam_search`, with one search per model view of a hand-drawn target.

    For a target with several :meth:`~inference.targets.target.Target.model_views`, a
    proposer that looks at the image (``proposer.uses_image``) and
    ``config.views`` on (the default), one beam search runs per view, with
    shares of the budget in the ratio :data:`VIEW_WEIGHTS`.  They take turns
    step by step (the one that has spent the least of its share goes next),
    all score against the same target, and the first solve ends them all.
    Otherwise this is :func:`beam_search`.  Yields each improvement of the
    best program over all views, and a final event whose ``calls`` add up
    every view's.  Unlike a single beam search, a run with a smaller budget
    is not a prefix of one with a larger budget (the shares differ).
    ``progress`` hears every view's reports, with the calls of all views added up.
    """
    cfg = config or SearchConfig()
    image_views = cfg.views and getattr(proposer, "uses_image", False)
    views = target.model_views() if image_views else [target]
    if len(views) == 1:
        yield from beam_search(
            target, proposer, rng, cfg, start, locked, cancel, False, progress, seeds
        )
        return
    weights = VIEW_WEIGHTS[: len(views)]
    shares = [int(cfg.budget * w / sum(weights)) for w in weights]
    shares[0] += cfg.budget - sum(shares)
    t0 = time.perf_counter()
    reports = _ViewReports(len(views), t0, progress)
    children = rng.spawn(len(views))
    runs = [
        beam_search(
            view,
            proposer,
            children[k],
            replace(cfg, budget=share),
            start,
            locked,
            cancel,
            True,
            reports.callback(k),
            seeds,
        )
        for k, (view, share) in enumerate(zip(views, shares, strict=True))
        if share > 0
    ]
    shares = [share for share in shares if share > 0]
    latest: list[SearchEvent | None] = [None] * len(runs)
    live = list(range(len(runs)))
    best: SearchEvent | None = None
    while live:
        if best is not None and cancel is not None and cancel():
            break  # every view stops at once
        i = min(live, key=lambda k: -1 if latest[k] is None else latest[k].calls / shares[k])
        event = next(runs[i], None)
        if event is None or event.finished:
            live.remove(i)
        if event is None:
            continue
        latest[i] = event
        if best is None or event.score > best.score:
            best = event
            if not best.solved:
                yield _merged(best, latest, t0, finished=False)
        if best.solved:
            break
    for run in runs:
        run.close()
    if best is not None:
        yield _merged(best, latest, t0, finished=True)


class _ViewReports:
    """Adds up the progress of :func:`view_search`'s searches into one report."""

    def __init__(self, n: int, t0: float, progress: ProgressFn | None):
        self.latest: list[SearchProgress | None] = [None] * n
        self.t0, self.progress = t0, progress

    def callback(self, k: int) -> ProgressFn | None:
        """The ``progress`` callback for search ``k`` (``None`` when nobody listens)."""
        if self.progress is None:
            return None

        def note(report: SearchProgress) -> None:
            self.latest[k] = report
            known = [r for r in self.latest if r is not None]
            scores = [r.best_score for r in known if r.best_score is not None]
            self.progress(
                SearchProgress(
                    sum(r.calls for r in known),
                    time.perf_counter() - self.t0,
                    max(scores) if scores else None,
                    report.depth,
                )
            )

        return note


def _merged(best: SearchEvent, latest, t0: float, finished: bool) -> SearchEvent:
    """``best`` with the calls of every view, the deepest step any view has reached (as a
    single beam search's events have its current step) and the time since ``t0``."""
    known = [e for e in latest if e is not None]
    calls, depth = sum(e.calls for e in known), max(e.depth for e in known)
    elapsed = time.perf_counter() - t0
    return replace(best, calls=calls, depth=depth, elapsed=elapsed, finished=finished)


def _children(beam, proposals, visited: set, room: int) -> list[_Item]:
    """New, unvisited children of the beam from its proposals, at most ``room``."""
    children = []
    for parent, plist in zip(beam, proposals, strict=True):
        for prop in plist:
            if len(children) >= room:
                return children
            old_size = node_at(parent.program, prop.edit.pos).size
            child = prop.edit.apply(parent.program)
            if child in visited:
                continue
            visited.add(child)
            lock = shift_for_edit(parent.locked, prop.edit, old_size)
            children.append(_Item(child, 0.0, lock, prop.logprob))
    return children


def _with_polished(run: _Run, item: _Item, items: list[_Item], visited: set) -> list[_Item]:
    """Hybrid: refine ``item``; a better, unvisited result becomes the best and leads ``items``."""
    polished = run.polish(item)
    if polished is None or polished.program in visited:
        return items
    visited.add(polished.program)
    run.improve(polished)
    return [polished, *items]


def rollouts(
    target: Target,
    proposer: Proposer,
    rng: np.random.Generator,
    config: SearchConfig | None = None,
    start: Node | None = None,
    locked: Sequence[int] = (),
    cancel: Callable[[], bool] | None = None,
) -> Iterator[SearchEvent]:
    """Policy-only rollouts: ``beam_width`` chains, one proposed edit per chain per step.

    No ranking and no visited set: each chain follows the proposer.  A chain
    restarts (from ``start`` or a new random program, one call) after
    ``max_depth`` edits or when it cannot be edited.  Yields each improvement.
    """
    cfg = config or SearchConfig()
    run = _Run(target, cfg, cancel, None)
    lock0 = frozenset(locked) if start is not None else frozenset()

    def fresh(n: int) -> list[_Item]:
        if start is not None:
            return [_Item(start, 0.0, lock0) for _ in range(n)]
        return [_Item(random_program(rng, cfg.start_primitives), 0.0, lock0) for _ in range(n)]

    chains = fresh(min(cfg.beam_width, cfg.budget))
    run.score(chains)
    ages = [0] * len(chains)
    run.improve(max(chains, key=lambda it: it.score))
    yield run.event(0)
    step = 0
    while not run.solved and run.left > 0 and not run.cancelled():
        step += 1
        try:
            proposals = passing_cancel(proposer.propose, cancel)(
                target, [c.program for c in chains], 1, rng, [c.locked for c in chains]
            )
        except Cancelled:
            break
        if start is not None and not any(proposals):
            break  # the given start cannot be edited at all
        for i, (chain, plist) in enumerate(zip(chains, proposals, strict=True)):
            if plist and ages[i] < cfg.max_depth:
                edit = plist[0].edit
                lock = shift_for_edit(chain.locked, edit, node_at(chain.program, edit.pos).size)
                chains[i], ages[i] = _Item(edit.apply(chain.program), 0.0, lock), ages[i] + 1
            else:
                chains[i], ages[i] = fresh(1)[0], 0
        moved = list(range(min(len(chains), run.left)))  # a budget cut ends the loop
        run.score([chains[i] for i in moved])
        i_top = max(moved, key=lambda i: chains[i].score)
        if run.improve(chains[i_top]):
            yield run.event(step)
            polished = run.polish(chains[i_top])
            if polished is not None and run.improve(polished):
                chains[i_top] = polished
                yield run.event(step)
    yield run.event(step, finished=True)


def run_search(target: Target, proposer: Proposer, rng: np.random.Generator, **kw) -> SearchEvent:
    """Run :func:`beam_search` to the end and return its final event."""
    events = list(beam_search(target, proposer, rng, **kw))
    return events[-1]
