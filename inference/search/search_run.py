"""What every search method reports, and the book-keeping they share.

Every method (the beam search and rollouts of :mod:`inference.search.beam`, the REPL-style
baseline of :mod:`inference.search.repl_baseline`, the autoregressive baseline of
:mod:`inference.search.autoregressive`) is a generator of :class:`SearchEvent`: one each time
its best program improves, and a last one with ``finished=True``.  A long run also
reports a light :class:`SearchProgress` to an optional callback.

:class:`SearchRun` is the protocol they share: the clock, the renderer calls against a
budget, the best program and score so far, the cancel callback, and the events and
progress reports made from them, so that no method keeps its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from inference.lang.tree import Node
from inference.targets.target import Target
from inference.util.cancellation import CancelFn


@dataclass(frozen=True)
class SearchEvent:
    """Progress report: the best program so far and what it cost."""

    program: Node
    score: float
    calls: int
    elapsed: float
    depth: int
    solved: bool
    finished: bool = False


@dataclass(frozen=True)
class SearchProgress:
    """A light report while a search works: no program, cheap to hand across threads.

    Attributes:
        calls: renderer calls used so far.
        elapsed: seconds since the search started.
        best_score: the best score so far (``None`` before anything is scored).
        depth: the current step.
    """

    calls: int
    elapsed: float
    best_score: float | None
    depth: int


ProgressFn = Callable[[SearchProgress], None]
"""The ``progress`` callback of a search."""


@dataclass
class Candidate:
    """A scored program (what :class:`SearchRun` keeps as the best)."""

    program: Node
    score: float


class SearchRun:
    """The shared book-keeping of one search: clock, calls, budget, best, cancel, events.

    A method counts every renderer call with :meth:`spend` (or scores through
    :meth:`score_programs`), offers candidates to :meth:`improve`, and yields
    :meth:`event`; ``depth`` is its own step count (beam steps, primitives added...).
    ``best`` is whatever the method offered: any object with ``program`` and ``score``.
    """

    def __init__(
        self,
        target: Target,
        budget: int,
        cancel: CancelFn | None = None,
        progress: ProgressFn | None = None,
    ):
        self.target, self.budget = target, budget
        self.cancel, self.progress = cancel, progress
        self.t0 = time.perf_counter()
        self.calls = 0
        self.depth = 0
        self.best = None

    @property
    def left(self) -> int:
        """Renderer calls left in the budget."""
        return self.budget - self.calls

    @property
    def elapsed(self) -> float:
        """Seconds since the run began."""
        return time.perf_counter() - self.t0

    def cancelled(self) -> bool:
        """True once the cancel callback (if any) says so."""
        return self.cancel is not None and bool(self.cancel())

    @property
    def solved(self) -> bool:
        """True when the best so far solves the target."""
        return self.best is not None and self.target.solves(self.best.score)

    def spend(self, calls: int) -> None:
        """Count ``calls`` renderer calls made by the method itself."""
        self.calls += calls

    def score_programs(self, programs: list[Node]) -> list[float]:
        """Score ``programs`` (one call each); the caller keeps them within the budget."""
        scores = self.target.score_many(programs).tolist()
        self.calls += len(programs)
        return scores

    def improve(self, candidate) -> bool:
        """Make ``candidate`` the best if it beats it (or is the first)."""
        if self.best is None or candidate.score > self.best.score:
            self.best = candidate
            return True
        return False

    def report(self) -> None:
        """Tell the ``progress`` callback (if any) where the search stands."""
        if self.progress is not None:
            best = None if self.best is None else self.best.score
            self.progress(SearchProgress(self.calls, self.elapsed, best, self.depth))

    def event(self, depth: int | None = None, finished: bool = False) -> SearchEvent:
        """The event for the best so far (there must be one), at ``depth`` (default the
        run's own)."""
        best = self.best
        depth = self.depth if depth is None else depth
        solved = self.target.solves(best.score)
        return SearchEvent(
            best.program, best.score, self.calls, self.elapsed, depth, solved, finished
        )
