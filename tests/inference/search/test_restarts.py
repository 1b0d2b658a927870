"""Restarts of a stalled beam (``SearchConfig.restarts``): they go on past ``max_depth``,
start from the best with fresh programs, score nothing twice, keep the budget, the seed's
determinism and the prefix property, and respect locks."""

from dataclasses import fields, replace

import numpy as np

from inference.cli.bench_levers import lever_configs
from inference.lang.syntax import parse
from inference.lang.tree import node_at, walk
from inference.render.raster import render
from inference.search.beam import SearchConfig, beam_search
from inference.search.proposers import RandomMutationProposer
from inference.targets.target import Target

GOAL = parse(
    "(- (+ (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 3 12 13)) "
    "(+ (Circle 2 8 8) (Quad 12 12 1 1 0)))"
)


class CountingTarget(Target):
    """A target that remembers every program it scored."""

    def __init__(self, image):
        super().__init__(image)
        self.scored: list = []

    def score_many(self, programs):
        self.scored.extend(programs)
        return super().score_many(programs)


class Recording(RandomMutationProposer):
    """Random mutations; remembers the programs of every step's beam."""

    def __init__(self):
        self.beams: list[list] = []

    def propose(self, target, programs, n, rng, locked):
        self.beams.append(list(programs))
        return super().propose(target, programs, n, rng, locked)


def _run(cfg, seed=3, proposer=None, target=None, **kw):
    target = target or Target(render(GOAL, 128))
    return list(
        beam_search(target, proposer or Recording(), np.random.default_rng(seed), cfg, **kw)
    )


def test_without_restarts_the_search_ends_at_max_depth_with_calls_left():
    events = _run(SearchConfig(beam_width=6, budget=2000, max_depth=3, fit=False))
    assert not events[-1].solved and events[-1].depth == 3 and events[-1].calls < 200


def test_restarts_go_on_from_the_best_with_fresh_programs_within_the_budget():
    cfg = SearchConfig(beam_width=6, budget=400, max_depth=3, fit=False, restarts=4)
    proposer, target = Recording(), CountingTarget(render(GOAL, 128))
    events = _run(cfg, proposer=proposer, target=target)
    assert events[-1].depth > 3 and events[-1].calls <= 400
    assert len(target.scored) == len(set(target.scored))  # nothing scored twice
    # the beam of the step after a restart: the best so far first, then fresh programs
    restarted = proposer.beams[3]
    best_then = max((e for e in events if e.depth <= 3), key=lambda e: (e.score, -e.calls)).program
    assert restarted[0] == best_then and 1 < len(restarted) <= cfg.beam_width
    assert not set(restarted[1:]) & {p for beam in proposer.beams[:3] for p in beam}
    # at most `restarts` rounds of max_depth steps
    assert len(proposer.beams) <= cfg.max_depth * (cfg.restarts + 1)


def test_a_stall_restarts_before_max_depth():
    cfg = SearchConfig(beam_width=4, budget=3000, max_depth=30, fit=False)
    plain = Recording()
    _run(replace(cfg, restarts=0), proposer=plain)
    stalled = Recording()
    _run(replace(cfg, restarts=3, restart_stall=1), proposer=stalled)
    # the first step without a better best restarts the beam from it, with fresh programs
    assert plain.beams[:2] == stalled.beams[:2]
    assert any(b != p for b, p in zip(stalled.beams, plain.beams, strict=False))


def test_restarts_are_deterministic_and_a_smaller_budget_is_a_prefix():
    cfg = SearchConfig(beam_width=6, budget=900, max_depth=2, fit=False, restarts=5)
    trace = [(e.program, e.score, e.calls, e.depth) for e in _run(cfg)]
    assert trace == [(e.program, e.score, e.calls, e.depth) for e in _run(cfg)]
    small = [(e.program, e.score, e.calls) for e in _run(replace(cfg, budget=300))[:-1]]
    small = [t for t in small if t[2] < 300]
    assert small == [(e.program, e.score, e.calls) for e in _run(cfg)][: len(small)]


def test_a_locked_start_restarts_from_its_best_alone_and_keeps_its_lock():
    start = parse("(+ (Circle 6 8 8) (Quad 12 5 3 2 45))")
    locked = [1]  # the circle
    cfg = SearchConfig(beam_width=6, budget=500, max_depth=2, fit=False, restarts=3)
    proposer = Recording()
    events = _run(cfg, proposer=proposer, start=start, locked=locked)
    assert events[-1].depth > 2
    assert len(proposer.beams[2]) == 1  # the best alone: no fresh program keeps the lock
    circle = node_at(start, 1)
    for e in events:
        assert any(n == circle for _, n in walk(e.program))


def test_each_lever_variant_changes_one_setting_of_the_shipped_search():
    base = SearchConfig()
    variants = lever_configs(base)
    assert variants["tree-diffusion"] == ("tree-diffusion", base)
    assert variants["tree-diffusion+refine"] == ("tree-diffusion+refine", base)
    names = {f.name for f in fields(SearchConfig)}
    for name, (method, cfg) in variants.items():
        changed = {n for n in names if getattr(cfg, n) != getattr(base, n)}
        if name in ("tree-diffusion", "tree-diffusion+refine"):
            assert not changed
        else:
            assert method == "tree-diffusion" and len(changed) == 1, (name, changed)
    assert {"no fit", "no residual", "rank by score", "restarts"} <= set(variants)
    assert "no restarts" in lever_configs(replace(base, restarts=3))
