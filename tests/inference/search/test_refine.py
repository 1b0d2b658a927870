"""Exhaustive one-value refinement: exact fixes, call counting, budget, locks, fast renders."""

import time

import numpy as np
import pytest

from inference.lang.syntax import parse
from inference.lang.tree import node_at, walk
from inference.noise.random_programs import random_shape
from inference.render.raster import rasterizer, render
from inference.search.refine import _apply, one_value_candidates, refine
from inference.targets.target import Target

GOAL = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 8))")


def _n_leaves(program) -> int:
    return sum(1 for _, n in walk(program) if n.is_leaf)


def _n_candidates(program) -> int:
    per = {"Num": 15, "Angle": 7, "Op": 1}
    return sum(per[n.kind] for _, n in walk(program) if n.is_leaf)


def test_candidates_render_exactly_like_the_edited_programs():
    r = rasterizer(128)
    rng = np.random.default_rng(0)
    for _ in range(6):
        program = random_shape(rng, int(rng.integers(1, 7)))
        cands, outs = one_value_candidates(program, 128)
        assert len(cands) == _n_candidates(program)
        for cand, out in zip(cands, outs, strict=True):
            assert r.packed(_apply(program, cand)) == out


@pytest.mark.parametrize(
    "broken",
    [
        "(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 3))",  # a number
        "(- (+ (Circle 6 8 8) (Quad 12 5 3 2 0)) (Circle 2 8 8))",  # an angle
        "(- (- (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 8))",  # an operator
    ],
)
def test_a_one_value_error_is_fixed_in_one_round(broken):
    target = Target(render(GOAL, 128))
    program = parse(broken)
    res = refine(program, target)
    assert res.program == GOAL and res.score == 1.0 and res.steps == 1
    # the start's score (1 call), the fixing round and a round that finds nothing better
    assert res.calls == 1 + 2 * _n_candidates(program)


def test_known_score_saves_a_call_and_budget_is_respected():
    target = Target(render(GOAL, 128))
    program = parse("(- (+ (Circle 6 8 3) (Quad 12 9 3 2 45)) (Circle 2 8 3))")
    s = target.score(program)
    full = refine(program, target, score=s)
    assert full.calls == _n_candidates(program) * (full.steps + 1)
    for budget in (0, 1, 10, 64, 100, 150):
        res = refine(program, target, budget=budget, score=s)
        assert res.calls <= budget and res.score >= s
        assert res.score == pytest.approx(target.score(res.program))
    assert refine(program, target, max_steps=1, score=s).steps == 1


def test_locked_leaves_and_subtrees_are_never_changed():
    target = Target(render(GOAL, 128))
    program = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 3))")
    y = program.size - 3  # the wrong value, locked
    res = refine(program, target, locked=[y])
    assert node_at(res.program, y) == node_at(program, y)
    assert res.score < 1.0
    last_circle = program.size - 7
    res = refine(program, target, locked=[last_circle])
    assert node_at(res.program, last_circle) == node_at(program, last_circle)
    # the left operand locked: only the right circle's values, not the root's '-' above it
    cands, _ = one_value_candidates(program, 128, locked=[2])
    assert {c.pos for c in cands} == set(range(program.size - 5, program.size - 2))
    # frozen (the REPL baseline's "leave it alone"): the root's operator may flip
    cands, _ = one_value_candidates(program, 128, frozen=[2])
    assert {c.pos for c in cands} == {1, *range(program.size - 5, program.size - 2)}


def test_climbing_never_lowers_the_score_and_stops_at_a_local_optimum():
    rng = np.random.default_rng(3)
    goal = random_shape(rng, 4)
    target = Target(render(goal, 128))
    start = random_shape(rng, 4)
    res = refine(start, target)
    assert res.score >= target.score(start)
    _, outs = one_value_candidates(res.program, 128)
    assert max(target.scores_packed(outs)) <= res.score + 1e-12


def test_cancel_stops_before_a_round():
    target = Target(render(GOAL, 128))
    program = parse("(- (+ (Circle 6 8 3) (Quad 12 9 3 2 45)) (Circle 2 8 3))")
    res = refine(program, target, cancel=lambda: True)
    assert res.program == program and res.calls == 1 and res.steps == 0


def test_sketch_targets_are_refined_by_outline_fit():
    from inference.targets.sketch import simulate_sketch

    ink = simulate_sketch(GOAL, np.random.default_rng(1), 128)
    target = Target.from_sketch(ink)
    program = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 4))")
    res = refine(program, target)
    assert res.score > target.score(program)
    assert target.solves(res.score)


def test_a_round_on_an_eight_primitive_program_is_fast():
    rng = np.random.default_rng(7)
    program = random_shape(rng, 8)
    target = Target(render(random_shape(rng, 8), 128))
    refine(program, target, max_steps=1)  # warm the primitive cache
    t = time.perf_counter()
    res = refine(program, target, max_steps=1, score=0.0)
    assert res.calls >= 400
    assert time.perf_counter() - t < 0.15  # tens of ms on one core; generous for busy CI


def test_nearby_tries_only_the_next_values_up_and_down():
    program = parse("(Quad 0 7 15 3 45)")
    cands, _ = one_value_candidates(program, 64, nearby=True)
    by_pos = {}
    for c in cands:
        by_pos.setdefault(c.pos, []).append(c.value)
    assert sorted(by_pos.values()) == sorted([[1], [6, 8], [14], [2, 4], [0, 90]])
    everything, _ = one_value_candidates(program, 64)
    assert len(everything) == 4 * 15 + 7
