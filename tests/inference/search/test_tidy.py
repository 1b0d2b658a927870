"""Tidying found programs: operands that do nothing are dropped, the score never drops."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.lang.lock_rules import follow_locks
from inference.lang.syntax import parse, to_text
from inference.render.raster import render
from inference.search import tidy as tidy_module
from inference.search.tidy import tidy
from inference.targets.sketch import simulate_sketch
from inference.targets.target import Target
from tests.strategies import programs


@pytest.mark.parametrize(
    "messy, clean",
    [
        ("(+ (Quad 6 4 0 0 135) (- (Quad 8 8 7 9 270) (Circle 2 8 8)))",
         "(- (Quad 8 8 9 7 0) (Circle 2 8 8))"),  # an empty quad in a union, an upright quad
        ("(- (Circle 4 8 8) (Circle 1 1 1))", "(Circle 4 8 8)"),  # a cut where nothing is
        ("(+ (Circle 1 8 8) (Circle 5 8 8))", "(Circle 5 8 8)"),  # a shape under another
        ("(- (Quad 8 8 7 9 0) (Circle 2 8 8))", "(- (Quad 8 8 7 9 0) (Circle 2 8 8))"),
        ("(- (Quad 8 8 6 9 270) (Circle 2 8 8))", "(- (Quad 8 8 9 6 0) (Circle 2 8 8))"),
        ("(+ (Quad 8 8 6 2 225) (Quad 3 3 1 4 135))", "(+ (Quad 8 8 6 2 45) (Quad 3 3 4 1 45))"),
    ],
)  # fmt: skip
def test_passengers_are_dropped_and_needed_parts_kept(messy, clean):
    program = parse(messy)
    target = Target(render(program))
    tidied, calls = tidy(program, target)
    assert to_text(tidied) == clean
    assert target.score(tidied) == target.score(program) == 1.0 and calls >= 2


def test_locked_operations_are_left_alone():
    program = parse("(+ (Quad 6 4 0 0 135) (Circle 5 8 8))")
    target = Target(render(program))
    assert tidy(program, target, locked=[2])[0] == program  # the empty quad is locked
    assert to_text(tidy(program, target)[0]) == "(Circle 5 8 8)"


@settings(max_examples=30, deadline=None)
@given(programs, programs)
def test_the_score_never_drops(program, goal):
    target = Target(render(goal))
    tidied, _ = tidy(program, target)
    assert target.score(tidied) >= target.score(program)
    assert tidied.sigma <= program.sigma


@settings(max_examples=60, deadline=None)
@given(programs)
def test_upright_quads_draw_the_same_pixels(program):
    from inference.lang.tree import QUAD, walk
    from inference.search.tidy import upright

    for _, node in walk(program):
        if node.kind == QUAD:
            assert upright(node).children[4].value in (0, 45)
            assert (render(upright(node)) == render(node)).all()


def test_a_known_score_and_a_call_limit_are_respected():
    program = parse("(+ (Quad 6 4 0 0 135) (+ (Circle 1 8 8) (Circle 5 8 8)))")
    target = Target(render(program))
    assert tidy(program, target, max_calls=0) == (program, 0)
    assert tidy(program, target, score=1.0, max_calls=1) == (program, 1)  # the root's left: no
    two, calls = tidy(program, target, score=1.0, max_calls=2)
    assert calls == 2 and two == parse("(+ (Circle 1 8 8) (Circle 5 8 8))")  # its right: yes
    assert tidy(program, target, score=1.0)[0] == parse("(Circle 5 8 8)")


def test_a_drawn_target_is_fitted_closer_and_stays_solved():
    drawn = Target(render(parse("(- (Quad 8 8 10 6 0) (Circle 2 8 8))")), tolerance=1.0)
    loose = parse("(- (Quad 8 8 9 7 0) (Circle 2 8 8))")  # every edge one unit off
    assert drawn.score(loose) == 1.0  # the tolerance forgives it
    fitted, calls = tidy(loose, drawn)
    assert fitted == parse("(- (Quad 8 8 10 6 0) (Circle 2 8 8))") and calls > 10
    exact = Target(drawn.mask)
    assert tidy(loose, exact)[0] == loose  # no fitting without a tolerance (nothing to drop)


def test_locks_follow_removals_and_are_not_fitted():
    drawn = Target(render(parse("(Quad 8 8 6 4 0)")), tolerance=1.0)
    # two empty circles, then the quad
    program = parse("(+ (+ (Circle 0 1 1) (Circle 0 2 2)) (Quad 8 8 7 4 0))")
    quad_pos = 2 + program.children[1].size
    assert to_text(tidy(program, drawn)[0]) == "(Quad 8 8 6 4 0)"
    tidied, _ = tidy(program, drawn, locked=[quad_pos])
    # the inner union is not above the lock and goes; the root keeps both operands
    assert to_text(tidied) == "(+ (Circle 0 1 1) (Quad 8 8 7 4 0))"
    assert follow_locks(program, [quad_pos], tidied) == {8}


def test_a_locked_hole_keeps_its_operation_even_where_it_cuts_nothing():
    target = Target(render(parse("(Quad 8 8 6 6 0)")))
    program = parse("(- (Quad 8 8 6 6 0) (Circle 1 1 1))")  # the cut misses the quad
    hole = 2 + program.children[1].size
    assert to_text(tidy(program, target)[0]) == "(Quad 8 8 6 6 0)"
    assert tidy(program, target, locked=[hole])[0] == program


@settings(max_examples=40, deadline=None)
@given(programs, programs, st.integers(0, 1000))
def test_locked_subtrees_survive_tidying(program, goal, pick):
    from inference.lang.tree import primitives

    prims = primitives(program)
    pos, node = prims[pick % len(prims)]
    tidied, _ = tidy(program, Target(render(goal), tolerance=1.0), locked=[pos])
    assert to_text(node) in to_text(tidied)


def _exact_sketch(program) -> Target:
    """A sketch target whose strokes run exactly along ``program``'s edges, a pixel wide."""
    mask = render(program, 128) > 0.5
    inner = mask.copy()
    inner[1:-1, 1:-1] &= mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    return Target.from_sketch((mask & ~inner).astype("float32"))


def test_a_solved_sketch_is_fitted_to_its_strokes():
    truth = parse("(- (Quad 8 8 10 6 0) (Circle 2 8 8))")
    sketch = _exact_sketch(truth)
    loose = parse("(- (Quad 8 8 10 7 0) (Circle 2 8 8))")  # the plate a value step too tall
    assert sketch.solves(sketch.score(loose))  # the outline fit forgives a unit
    fitted, _ = tidy(loose, sketch)
    assert fitted == truth


def test_a_round_hole_found_as_a_square_becomes_round():
    # a plate with two round holes, sketched exactly along its edges
    truth = parse("(- (- (Quad 8 8 10 7 0) (Circle 2 5 8)) (Circle 2 11 8))")
    square = parse("(- (- (Quad 8 8 10 7 0) (Quad 5 8 3 3 0)) (Circle 2 11 8))")
    # drawn this exactly, the square is no match (its ring is not how the hole was drawn)
    exact = _exact_sketch(truth)
    assert not exact.solves(exact.score(square))
    assert [m.kind for m in exact.shape_mismatches(square)] == ["outline"]
    # the fit alone passes it (a 6-unit square is within a unit of the hole), and the tidy
    # turns it round
    sketch = Target(exact.mask, exact.sketch, check_shape=False)
    assert sketch.solves(sketch.score(square))
    assert tidy(square, sketch)[0] == truth
    # a diamond (a roof, a point) is never rounded off
    house = parse("(+ (Quad 8 10 5 4 0) (Quad 8 6 4 4 45))")
    assert tidy(house, _exact_sketch(house))[0] == house


def test_a_sketch_keeps_the_likelier_program_over_one_that_follows_its_strokes(monkeypatch):
    # set A's house-1 sketch (bench seed 0): its strokes wobble, and the one-value climb on
    # the fine outline fit tilts the pointed roof to follow them, which makes the sketch
    # less likely (the ring cost of sketch_rings): the tidy keeps the house
    house = parse("(+ (Quad 11 9 7 6 0) (Quad 11 6 5 5 45))")
    sketch = Target.from_sketch(simulate_sketch(house, np.random.default_rng([0, 19, 1]), 128))
    assert tidy(house, sketch)[0] == house
    monkeypatch.setattr(tidy_module, "_less_likely", lambda *args: False)
    assert tidy(house, sketch)[0] != house  # what the climb alone makes of it


def test_a_solved_tinysvg_drawing_is_polished_to_the_same_pixels():
    """TinySVG's goal (above 0.99) forgives a stray stroke; the tidy polishes a solved
    drawing on toward the target's pixels, unless something is locked."""
    from inference.lang.tinysvg import parse_tinysvg
    from inference.targets.drawing_target import DrawingTarget

    truth = "(Arrange v (Ellipse 9 5 yellow black 4) (Rectangle 6 6 purple none 0) 1)"
    target = DrawingTarget.of(parse_tinysvg(truth))
    stray = parse_tinysvg(
        "(Arrange v (Ellipse 9 5 yellow black 4) (Rectangle 6 6 purple black 1) 1)"
    )
    score = target.score(stray)
    assert target.solves(score) and score < 0.995
    tidied, calls = tidy(stray, target, score=score, max_calls=2000)
    assert to_text(tidied) == truth and target.score(tidied) == 1.0 and 0 < calls <= 500
    assert tidy(stray, target, locked=[0], score=score) == (stray, 0)
    assert tidy(stray, target, score=score, max_calls=1)[1] <= 1


@pytest.mark.parametrize(
    "truth, found",
    [
        # a dot of its own colour, left out: the goal forgives it (0.993)
        (
            "(Arrange h (Ellipse 3 3 purple none 0) (Ellipse 1 1 orange none 0) 3)",
            "(Move (Ellipse 3 3 purple none 0) 2 0 true false)",
        ),
        # a dot of the same colour as the disc beside it
        (
            "(Arrange h (Ellipse 6 6 yellow none 0) (Ellipse 1 1 yellow none 0) 3)",
            "(Move (Ellipse 6 6 yellow none 0) 2 0 true false)",
        ),
    ],
)
def test_a_dot_the_goal_forgives_is_given_back(truth, found):
    """A one-unit dot costs under 0.01 of TinySVG's goal score, so a result without it is
    solved; the tidy adds a line for each piece of the target the result leaves out."""
    from inference.lang.tinysvg import parse_tinysvg
    from inference.targets.drawing_target import DrawingTarget

    target = DrawingTarget.of(parse_tinysvg(truth))
    without = parse_tinysvg(found)
    score = target.score(without)
    assert target.solves(score) and score < 1.0
    tidied, calls = tidy(without, target, score=score, max_calls=500)
    assert target.score(tidied) == 1.0 and to_text(tidied) == truth and 0 < calls <= 500
