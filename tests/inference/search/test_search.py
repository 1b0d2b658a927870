"""Beam search and rollouts: determinism, budget, first solve, cancel, locked nodes, hybrid."""

from dataclasses import replace

import numpy as np
import pytest

from inference.lang.edits import Edit
from inference.lang.locks import shift_for_edit
from inference.lang.syntax import parse
from inference.lang.tree import node_at, walk
from inference.model.decoding import Proposal
from inference.model.onnx_model import PolicyModel
from inference.noise.random_programs import random_shape
from inference.render.raster import render
from inference.search.beam import (
    REPAIR_CALLS,
    SearchConfig,
    beam_search,
    rollouts,
    run_search,
    view_search,
)
from inference.search.proposers import PolicyProposer, RandomMutationProposer
from inference.targets.sketch import simulate_drawing
from inference.targets.target import Target
from tests.fake_policy import load_fake_policy

GOAL = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 8))")


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> PolicyModel:
    return load_fake_policy(tmp_path_factory.mktemp("model"))


def _target(program=GOAL) -> Target:
    return Target(render(program, 128))


def _trace(events):
    return [(e.program, e.score, e.calls, e.depth, e.solved, e.finished) for e in events]


class OracleProposer(RandomMutationProposer):
    """Random mutations, except that ``fix`` is proposed once a program equals ``broken``."""

    def __init__(self, broken, fix: Edit):
        self.broken, self.fix = broken, fix

    def propose(self, target, programs, n, rng, locked):
        out = super().propose(target, programs, n, rng, locked)
        return [
            [Proposal(self.fix)] + props if p == self.broken else props
            for p, props in zip(programs, out, strict=True)
        ]


@pytest.mark.parametrize("strategy", [beam_search, rollouts])
@pytest.mark.parametrize("refine", [False, True])
def test_same_seed_same_events_other_seed_other_events(strategy, refine):
    cfg = SearchConfig(beam_width=8, budget=600, refine=refine, refine_calls=200)
    target = _target()
    runs = [
        _trace(strategy(target, RandomMutationProposer(), np.random.default_rng(s), cfg))
        for s in (5, 5, 6)
    ]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


@pytest.mark.parametrize("strategy", [beam_search, rollouts])
@pytest.mark.parametrize("budget", [1, 7, 64, 65, 250, 999])
def test_budget_is_never_exceeded(strategy, budget):
    cfg = SearchConfig(beam_width=16, budget=budget, refine=True, refine_calls=120)
    events = list(strategy(_target(), RandomMutationProposer(), np.random.default_rng(1), cfg))
    calls = [e.calls for e in events]
    assert calls == sorted(calls) and calls[-1] <= budget
    assert events[-1].finished and not any(e.finished for e in events[:-1])
    scores = [e.score for e in events]
    assert scores == sorted(scores)


def test_budget_is_used_up_when_unsolved():
    cfg = SearchConfig(beam_width=16, budget=500, max_depth=1000)
    last = run_search(_target(), RandomMutationProposer(), np.random.default_rng(0), config=cfg)
    assert not last.solved and last.calls == 500


def test_smaller_budget_is_a_prefix_of_a_larger_one():
    target = _target()
    small, large = (
        _trace(
            beam_search(
                target,
                RandomMutationProposer(),
                np.random.default_rng(9),
                SearchConfig(
                    beam_width=8, budget=b, refine=True, refine_calls=150, refine_share=1.0
                ),
            )
        )
        for b in (300, 900)
    )
    improvements = [t for t in small[:-1] if t[2] < 300]
    assert improvements == large[: len(improvements)]


@pytest.mark.parametrize("strategy", [beam_search, rollouts])
def test_stops_at_the_first_solving_program(strategy):
    broken = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 3))")
    fix = Edit(broken.size - 3, GOAL.children[2].children[2])  # the last y: 3 → 8
    assert fix.apply(broken) == GOAL
    cfg = SearchConfig(beam_width=4, budget=5000)
    events = list(
        strategy(
            _target(), OracleProposer(broken, fix), np.random.default_rng(0), cfg, start=broken
        )
    )
    first = next(i for i, e in enumerate(events) if e.solved)
    assert events[first].program == GOAL and events[first].score == 1.0
    assert events[-1].finished and events[-1].calls == events[first].calls
    assert first >= len(events) - 2
    assert events[-1].calls < 20  # one step: the start plus a few children


def test_refine_hybrid_solves_a_one_value_error_and_counts_its_renders():
    broken = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 3))")
    cfg = SearchConfig(beam_width=4, budget=5000, refine=True)
    events = list(
        beam_search(
            _target(), RandomMutationProposer(), np.random.default_rng(0), cfg, start=broken
        )
    )
    assert events[-1].solved and events[-1].program == GOAL
    assert events[-1].depth == 0  # found by refining the start, before any edit step
    assert events[-1].calls > 100  # one round of every one-value change was paid for


@pytest.mark.parametrize("strategy", [beam_search, rollouts])
def test_cancel_is_respected(strategy):
    polls = []

    def cancel():
        polls.append(1)
        return len(polls) > 3

    cfg = SearchConfig(beam_width=8, budget=100_000, max_depth=1000)
    events = list(
        strategy(_target(), RandomMutationProposer(), np.random.default_rng(0), cfg, cancel=cancel)
    )
    assert events[-1].finished and not events[-1].solved
    assert len(polls) == 4 and events[-1].depth == 3


def test_a_cancelled_search_still_reports_its_best():
    events = list(
        beam_search(
            _target(), RandomMutationProposer(), np.random.default_rng(0), cancel=lambda: True
        )
    )
    assert events[-1].finished and events[-1].depth == 0 and events[-1].calls == 64


def _locked_setup(seed):
    rng = np.random.default_rng(seed)
    start = random_shape(rng, 5)
    prims = [p for p, n in walk(start) if n.kind in ("Circle", "Quad")]
    leaf = next(p for p, n in walk(start) if n.kind == "Num" and p > prims[1])
    locked = [prims[0], leaf]
    return start, locked, [node_at(start, p) for p in locked]


def _contains(program, subtree) -> bool:
    return any(n == subtree for _, n in walk(program))


@pytest.mark.parametrize("strategy", [beam_search, rollouts])
@pytest.mark.parametrize("use_model", [False, True])
def test_locked_subtrees_survive_every_edit_and_refinement(strategy, use_model, model):
    start, locked, subtrees = _locked_setup(4)
    target = _target(random_shape(np.random.default_rng(11), 4))
    proposer = PolicyProposer(model) if use_model else RandomMutationProposer()
    seen = []

    class Recording:
        def propose(self, target, programs, n, rng, locks):
            out = proposer.propose(target, programs, n, rng, locks)
            for p, lock, props in zip(programs, locks, out, strict=True):
                spans = [(q, q + node_at(p, q).size) for q in lock]
                for prop in props:
                    end = prop.edit.pos + node_at(p, prop.edit.pos).size
                    assert all(end <= a or prop.edit.pos >= b for a, b in spans)
                    seen.append((prop.edit, p, lock))
            return out

        def values(self, target, programs):
            return proposer.values(target, programs)

    budget = 300 if use_model else 1500
    cfg = SearchConfig(beam_width=8, budget=budget, refine=True, refine_calls=200)
    events = list(
        strategy(target, Recording(), np.random.default_rng(2), cfg, start=start, locked=locked)
    )
    assert seen and events[-1].calls <= budget
    for e in events:
        # the locked primitive is intact; the locked leaf's primitive keeps that value
        assert _contains(e.program, subtrees[0])
    for edit, program, lock in seen:
        child = edit.apply(program)
        new_lock = shift_for_edit(lock, edit, node_at(program, edit.pos).size)
        for old_pos, new_pos in zip(sorted(lock), sorted(new_lock), strict=True):
            assert node_at(child, new_pos) == node_at(program, old_pos)


def test_fully_locked_start_ends_at_once():
    start = parse("(+ (Circle 3 4 4) (Quad 9 9 2 2 0))")
    events = list(
        beam_search(
            _target(), RandomMutationProposer(), np.random.default_rng(0), start=start, locked=[0]
        )
    )
    assert events[-1].finished and events[-1].program == start and events[-1].calls == 1


def test_shift_for_edit_moves_only_positions_after_the_edit():
    program = parse("(+ (Circle 3 4 4) (+ (Quad 9 9 2 2 0) (Circle 1 2 3)))")
    edit = Edit(2, parse("(+ (Circle 1 1 1) (Circle 2 2 2))"))
    lock = frozenset({1, 8, 16})
    new = shift_for_edit(lock, edit, node_at(program, 2).size)
    child = edit.apply(program)
    assert new == {1, 8 + 9, 16 + 9}
    assert node_at(child, 17) == node_at(program, 8)


class RankRecorder:
    """The policy, recording each step's beam and proposals and every value it estimates."""

    uses_image = True

    def __init__(self, model):
        self.inner = PolicyProposer(model)
        self.steps: list[tuple[list, list]] = []  # (beam programs, their proposals)
        self.value_of: dict = {}

    def propose(self, target, programs, n, rng, locked):
        out = self.inner.propose(target, programs, n, rng, locked)
        self.steps.append((list(programs), out))
        return out

    def values(self, target, programs):
        values = self.inner.values(target, programs)
        self.value_of.update(zip(programs, values, strict=True))
        return values


def _new_children(steps) -> list[dict]:
    """Per step, the programs its proposals made that no earlier step had seen, each with
    the log-probability of the edit that made it first."""
    seen, out = set(steps[0][0]), []
    for beam, proposals in steps:
        children = {}
        for parent, props in zip(beam, proposals, strict=True):
            for p in props:
                child = p.edit.apply(parent)
                if child not in seen:
                    seen.add(child)
                    children[child] = p.logprob
        out.append(children)
    return out


@pytest.mark.parametrize("rank", ["value", "logprob", "score"])
def test_policy_beam_search_keeps_the_best_children_by_its_ranking(model, rank):
    """The next beam is the ``beam_width`` best new children of the step: fewest edits
    left by the value head, the likeliest edits, or the highest scores."""
    target, width = _target(), 4
    recorder = RankRecorder(model)
    cfg = SearchConfig(beam_width=width, budget=150, rank=rank)
    events = list(beam_search(target, recorder, np.random.default_rng(0), cfg))
    assert events[-1].finished and width <= events[-1].calls <= 150
    steps = recorder.steps
    assert len(steps) >= 3
    for children, (next_beam, _) in zip(_new_children(steps), steps[1:], strict=False):
        merit = {
            "value": lambda p: -recorder.value_of[p],
            "logprob": lambda p, c=children: c[p],
            "score": target.score,
        }[rank]
        assert len(next_beam) == min(width, len(children)) and set(next_beam) <= set(children)
        left_out = [merit(p) for p in children if p not in next_beam]
        assert min(map(merit, next_beam)) >= max(left_out, default=-np.inf)


def test_sketch_target_is_scored_by_outline_fit():
    from inference.targets.sketch import simulate_sketch

    ink = simulate_sketch(GOAL, np.random.default_rng(0), 128)
    target = Target.from_sketch(ink)
    assert target.is_sketch and target.threshold < 1
    assert target.solves(target.score(GOAL))
    assert target.score(parse("(Circle 3 2 2)")) < 0.3
    assert target.mask.shape == (128, 128) and target.model_image is target.sketch


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="ranking"):
        list(
            beam_search(
                _target(),
                RandomMutationProposer(),
                np.random.default_rng(0),
                SearchConfig(rank="x"),
            )
        )
    with pytest.raises(ValueError, match="positive"):
        list(
            rollouts(
                _target(),
                RandomMutationProposer(),
                np.random.default_rng(0),
                SearchConfig(budget=0),
            )
        )


# ----- hand-drawn targets: one search per model view -------------------------------------------

PLATE = parse("(- (Quad 8 8 7 5 0) (Circle 2 8 8))")


def _drawn(program=PLATE) -> Target:
    return Target(render(program, 128), tolerance=1.0)


def test_a_drawn_target_has_eroded_and_dilated_model_views_that_score_alike():
    exact = _target()
    assert exact.model_views() == [exact]
    target = _drawn()
    views = target.model_views()
    areas = [int(v.model_image.sum()) for v in views]
    assert len(views) == 3 and views[0] is target
    assert areas[1] < areas[0] < areas[2]  # eroded, as drawn, dilated
    programs = [PLATE, parse("(Circle 5 8 8)")]
    for view in views[1:]:
        np.testing.assert_array_equal(view.score_many(programs), target.score_many(programs))
        assert view.tolerance == 1.0 and (view.mask == target.mask).all()


class ViewOracle(RandomMutationProposer):
    """Random mutations, plus the goal itself, but only when shown the eroded view."""

    uses_image = True

    def __init__(self, goal, eroded_area):
        self.goal, self.eroded_area = goal, eroded_area
        self.seen = set()

    def propose(self, target, programs, n, rng, locked):
        out = super().propose(target, programs, n, rng, locked)
        area = int(target.model_image.sum())
        self.seen.add(area)
        if area != self.eroded_area:
            return out
        return [[Proposal(Edit(0, self.goal))] + props for props in out]


def test_view_search_runs_one_search_per_view_within_one_budget():
    target = _drawn()
    eroded = int(target.model_views()[1].model_image.sum())
    cfg = SearchConfig(beam_width=4, budget=300, fit=False)  # views alone
    proposer = ViewOracle(PLATE, eroded)
    events = list(view_search(target, proposer, np.random.default_rng(0), cfg))
    assert events[-1].solved and events[-1].finished and events[-1].program == PLATE
    assert events[-1].calls <= 300 and len(proposer.seen) >= 2
    scores = [e.score for e in events[:-1]]
    assert scores == sorted(scores) and len(set(scores)) == len(scores)  # improvements only
    again = list(view_search(target, ViewOracle(PLATE, eroded), np.random.default_rng(0), cfg))
    assert _trace(again) == _trace(events)
    unsolved = list(beam_search(target, ViewOracle(PLATE, eroded), np.random.default_rng(0), cfg))
    assert not unsolved[-1].solved  # the plain search never shows the policy the eroded view
    off = replace(cfg, views=False)
    no_views = list(view_search(target, ViewOracle(PLATE, eroded), np.random.default_rng(0), off))
    assert _trace(no_views) == _trace(unsolved)
    budget = list(view_search(target, ViewOracle(PLATE, -1), np.random.default_rng(1), cfg))
    assert not budget[-1].solved and 280 <= budget[-1].calls <= 300


def test_view_search_is_beam_search_for_exact_targets_and_image_blind_proposers():
    cfg = SearchConfig(beam_width=4, budget=80, fit=False)  # views alone
    for target, proposer in [
        (_target(), ViewOracle(GOAL, -1)),
        (_drawn(), RandomMutationProposer()),
    ]:
        a = list(view_search(target, proposer, np.random.default_rng(2), cfg))
        b = list(beam_search(target, proposer, np.random.default_rng(2), cfg))
        assert _trace(a) == _trace(b)


def test_a_capped_program_a_value_from_right_is_repaired():
    """A program that fits a careful drawing within the tolerance but has a wrong edge is
    capped (never solved); the search tries its next values up and down, once."""
    truth = parse("(- (+ (Quad 4 8 4 10 0) (Quad 8 11 12 4 0)) (Circle 1 10 11))")
    wide = parse("(- (+ (Quad 4 8 5 10 0) (Quad 8 11 12 4 0)) (Circle 1 10 11))")
    drawing = simulate_drawing(truth, np.random.default_rng(3), pen_width=1.0, jitter=0.3)
    target = Target(drawing >= 0.5, tolerance=1.0)
    assert target.is_capped(target.score(wide)) and target.solves(target.score(truth))
    cfg = SearchConfig(budget=400, fit=False, views=False)
    events = list(
        beam_search(target, RandomMutationProposer(), np.random.default_rng(0), cfg, start=wide)
    )
    assert events[-1].solved and events[-1].program == truth
    assert events[-1].calls <= 1 + REPAIR_CALLS
    # without the cap (shape checks off) the wide program is solved as it is
    loose = Target(drawing >= 0.5, tolerance=1.0, check_shape=False)
    assert not loose.is_capped(loose.score(wide)) and loose.solves(loose.score(wide))


def test_refinements_use_at_most_their_share_of_the_budget(monkeypatch):
    import inference.search.beam as beam

    spent = []

    def counted(*args, **kw):
        res = refine_fn(*args, **kw)
        spent.append((kw["budget"], res.calls))
        return res

    refine_fn = beam.refine
    monkeypatch.setattr(beam, "refine", counted)
    target = _target(random_shape(np.random.default_rng(11), 6))
    runs = {}
    for share in (0.25, 1.0):
        spent.clear()
        cfg = SearchConfig(
            beam_width=8, budget=2000, refine=True, refine_calls=1000, fit=False, refine_share=share
        )
        events = list(beam_search(target, RandomMutationProposer(), np.random.default_rng(4), cfg))
        runs[share] = events[-1], sum(c for _, c in spent)
        assert spent and all(c <= b for b, c in spent) and runs[share][1] <= share * 2000
    (capped, refined), (free, free_refined) = runs[0.25], runs[1.0]
    # uncapped, one refinement takes 1,000 calls and the beam stops early; capped, the
    # edit steps go on to the depth limit
    assert free_refined >= 1000 and free.calls == 2000 and free.depth < 30
    assert refined < free_refined and capped.depth == 30


class Worsening(RandomMutationProposer):
    """Each program becomes a small circle somewhere: never better than a good start."""

    uses_image = True

    def propose(self, target, programs, n, rng, locked):
        def circle():
            x, y = (int(v) for v in rng.integers(0, 16, 2))
            return Proposal(Edit(0, parse(f"(Circle 1 {x} {y})")))

        return [[circle() for _ in range(n)] for _ in programs]


def test_the_last_event_of_view_search_names_the_deepest_step_reached():
    near = parse("(- (Quad 8 8 7 5 0) (Circle 2 8 9))")
    cfg = SearchConfig(beam_width=4, budget=400, fit=False)
    events = list(view_search(_drawn(), Worsening(), np.random.default_rng(0), cfg, start=near))
    assert events[-1].finished and events[-1].program == near  # the start stays the best
    assert events[-1].depth > 5  # the steps taken, not the step that found the best (0)
