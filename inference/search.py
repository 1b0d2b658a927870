"""Beam search over tree edits (DESIGN.md §2, "Search").

The search is a plain generator: it yields a :class:`SearchEvent` each time
the best program improves (and a final one), checks a cancel callback
between steps and never touches Qt, so the editor can run it on a worker
thread.  Edits come from a :class:`Proposer`: the neural policy
(``inference.decoding``), or random grammar mutations
(:class:`RandomMutationProposer`) as the no-learning baseline.

Budget: every program that is rendered and scored counts as one renderer
call (a node expansion), including the random starting programs.  The
search stops at the first program that solves the target (goal score >
0.98 at 128×128), when the budget or the depth is spent, or when cancelled.

Ranking of the children that form the next beam (``SearchConfig.rank``):

* ``"value"``: fewest edits left according to the proposer's value
  estimate (ties by goal score);
* ``"logprob"``: the policy's log-probability of the edit that made it;
* ``"score"``: the goal score itself (needs no network).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from inference.decoding import Proposal, evaluate_values, sample_edits
from inference.edits import Edit
from inference.mutations import mutate
from inference.random_programs import random_program
from inference.raster import rasterizer
from inference.score import SOLVE_THRESHOLD, goal_score_packed
from inference.tree import Node, node_at

SCORE_SIZE = 128
"""Image size at which programs are scored against the target."""


@dataclass
class Target:
    """A filled target, binarized at 128×128 (1 = inside)."""

    mask: np.ndarray
    packed: int = field(init=False)

    def __post_init__(self):
        self.mask = np.asarray(self.mask) >= 0.5
        if self.mask.shape != (SCORE_SIZE, SCORE_SIZE):
            raise ValueError(f"target must be {SCORE_SIZE}×{SCORE_SIZE}, got {self.mask.shape}")
        self.packed = rasterizer(SCORE_SIZE).pack(self.mask)

    def score(self, program: Node) -> float:
        """Goal score of ``program`` against this target (one renderer call)."""
        r = rasterizer(SCORE_SIZE)
        return goal_score_packed(r.packed(program), self.packed, r.npix)


class Proposer(Protocol):
    """Anything that proposes edits for a batch of programs."""

    def propose(
        self,
        target: Target,
        programs: Sequence[Node],
        n: int,
        rng: np.random.Generator,
        locked: Sequence[frozenset[int]],
    ) -> list[list[Proposal]]:
        """Up to ``n`` edits per program, never touching its ``locked`` positions."""
        ...

    def values(self, target: Target, programs: Sequence[Node]) -> np.ndarray | None:
        """Estimated edits left per program, or ``None`` without a value model."""
        ...


@dataclass
class SearchConfig:
    """Beam search parameters; defaults are the paper's."""

    beam_width: int = 64
    samples_per_program: int = 3
    max_depth: int = 30
    budget: int = 5000
    rank: str = "value"
    start_primitives: tuple[int, int] = (1, 3)


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


@dataclass
class _Item:
    program: Node
    score: float
    locked: frozenset[int]
    logprob: float = 0.0


def shift_locked(locked: frozenset[int], edit: Edit, old_size: int) -> frozenset[int]:
    """Positions of locked nodes after ``edit`` (which must not touch them)."""
    delta = edit.replacement.size - old_size
    end = edit.pos + old_size
    return frozenset(p + delta if p >= end else p for p in locked)


class RandomMutationProposer:
    """The no-learning baseline: random grammar mutations (DESIGN.md §2 noise)."""

    def propose(self, target, programs, n, rng, locked):
        out = []
        for program, lock in zip(programs, locked, strict=True):
            spans = [(p, p + node_at(program, p).size) for p in lock]
            edits: list[Proposal] = []
            for _ in range(4 * n):
                if len(edits) == n:
                    break
                e = mutate(program, rng)
                end = e.pos + node_at(program, e.pos).size
                if all(end <= a or e.pos >= b for a, b in spans):
                    edits.append(Proposal(e))
            out.append(edits)
        return out

    def values(self, target, programs):
        return None


class PolicyProposer:
    """Edits sampled from the neural policy, ranked by its value head."""

    def __init__(self, model, temperature: float = 1.0):
        self.model = model
        self.temperature = temperature
        self._target: tuple[Target, np.ndarray] | None = None

    def _input(self, target: Target) -> np.ndarray:
        if self._target is None or self._target[0] is not target:
            self._target = (target, self.model.target_input(target.mask))
        return self._target[1]

    def propose(self, target, programs, n, rng, locked):
        return sample_edits(
            self.model,
            self._input(target),
            programs,
            n,
            rng,
            self.temperature,
            locked=[sorted(lock) for lock in locked],
        )

    def values(self, target, programs):
        return evaluate_values(self.model, self._input(target), programs).values


def _rank(cfg: SearchConfig, proposer: Proposer, target: Target, items: list[_Item]) -> list:
    if cfg.rank == "score":
        return sorted(items, key=lambda it: -it.score)
    if cfg.rank == "logprob":
        return sorted(items, key=lambda it: (-it.logprob, -it.score))
    if cfg.rank == "value":
        values = proposer.values(target, [it.program for it in items])
        if values is None:
            return sorted(items, key=lambda it: -it.score)
        order = np.lexsort((-np.array([it.score for it in items]), np.asarray(values)))
        return [items[i] for i in order]
    raise ValueError(f"unknown ranking {cfg.rank!r}")


def beam_search(
    target: Target,
    proposer: Proposer,
    rng: np.random.Generator,
    config: SearchConfig | None = None,
    start: Node | None = None,
    locked: Sequence[int] = (),
    cancel: Callable[[], bool] | None = None,
) -> Iterator[SearchEvent]:
    """Search for a program that solves ``target``; yields each improvement.

    Args:
        start: begin from this program (with ``locked`` node positions that
            no edit may touch) instead of random programs.
        cancel: polled between steps; the search ends when it returns True.
    """
    cfg = config or SearchConfig()
    t0 = time.perf_counter()
    calls = 0
    if start is not None:
        starts = [start]
    else:
        starts = list({random_program(rng, cfg.start_primitives) for _ in range(cfg.beam_width)})
    starts = starts[: cfg.budget]
    lock0 = frozenset(locked)
    beam = [_Item(p, target.score(p), lock0) for p in starts]
    calls += len(beam)
    visited = {it.program for it in beam}
    best = max(beam, key=lambda it: it.score)

    def event(depth, finished=False):
        return SearchEvent(
            best.program,
            best.score,
            calls,
            time.perf_counter() - t0,
            depth,
            best.score > SOLVE_THRESHOLD,
            finished,
        )

    yield event(0)
    depth = 0
    while best.score <= SOLVE_THRESHOLD and depth < cfg.max_depth and calls < cfg.budget:
        if cancel is not None and cancel():
            break
        depth += 1
        proposals = proposer.propose(
            target,
            [it.program for it in beam],
            cfg.samples_per_program,
            rng,
            [it.locked for it in beam],
        )
        children = []
        for parent, plist in zip(beam, proposals, strict=True):
            for prop in plist:
                if calls + len(children) >= cfg.budget:
                    break
                old_size = node_at(parent.program, prop.edit.pos).size
                child = prop.edit.apply(parent.program)
                if child in visited:
                    continue
                visited.add(child)
                lock = shift_locked(parent.locked, prop.edit, old_size)
                children.append(_Item(child, 0.0, lock, prop.logprob))
        if not children:
            if not any(proposals):
                break  # nothing can be edited (e.g. everything is locked)
            continue
        for it in children:
            it.score = target.score(it.program)
        calls += len(children)
        top = max(children, key=lambda it: it.score)
        if top.score > best.score:
            best = top
            yield event(depth)
        if best.score > SOLVE_THRESHOLD:
            break
        beam = _rank(cfg, proposer, target, children)[: cfg.beam_width]
    yield event(depth, finished=True)


def run_search(target: Target, proposer: Proposer, rng: np.random.Generator, **kw) -> SearchEvent:
    """Run :func:`beam_search` to the end and return its final event."""
    events = list(beam_search(target, proposer, rng, **kw))
    return events[-1]
