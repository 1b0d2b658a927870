"""The tolerant score for hand-drawn filled targets, and simulated filled drawings."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.lang.syntax import parse
from inference.render.raster import pack, render
from inference.targets.drawn_score import TolerantScore, tolerance_pixels, tolerant_score
from inference.targets.score import goal_score
from inference.targets.sketch import simulate_drawing
from inference.targets.target import Target
from tests.strategies import programs

PLATE = parse("(- (Quad 8 8 7 5 0) (Circle 2 8 8))")


@settings(max_examples=40, deadline=None)
@given(programs, programs)
def test_zero_tolerance_is_the_goal_score(a, b):
    ma, mb = render(a), render(b)
    assert tolerant_score(ma, mb, 0.0) == pytest.approx(goal_score(ma, mb), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(programs, programs, st.sampled_from([0.5, 1.0, 2.0]))
def test_it_is_symmetric_and_never_below_the_goal_score(a, b, tolerance):
    ma, mb = render(a), render(b)
    forward = tolerant_score(ma, mb, tolerance)
    assert forward == pytest.approx(tolerant_score(mb, ma, tolerance), abs=1e-12)
    assert goal_score(ma, mb) - 1e-12 <= forward <= 1.0


def test_edges_a_little_off_are_forgiven_and_a_grid_step_is_not():
    exact = render(PLATE)
    shifted = np.roll(exact, 3, axis=1)  # 3 pixels = 0.75 units to the right
    assert goal_score(shifted, exact) < 0.95
    assert tolerant_score(shifted, exact, 1.0) == 1.0
    moved = render(parse("(- (Quad 9 8 7 5 0) (Circle 2 8 8))"))  # one grid step = 8 pixels
    assert tolerant_score(moved, exact, 1.0) < 0.9


def test_thin_and_solid_targets_are_not_matched_by_empty_or_hollow_programs():
    line = render(parse("(Quad 8 8 12 1 0)"))  # 8 pixels thick, 2 tolerance bands wide
    empty = np.zeros_like(line)
    assert tolerant_score(empty, line, 1.0) < 0.55
    disc = render(parse("(Circle 6 8 8)"))
    ring = render(parse("(- (Circle 6 8 8) (Circle 4 8 8))"))
    assert tolerant_score(ring, disc, 1.0) < 0.8


def test_tolerance_pixels_and_bad_values():
    assert tolerance_pixels(1.0, 128) == 4 and tolerance_pixels(0.5, 256) == 4
    assert tolerance_pixels(0.0, 128) == 0
    with pytest.raises(ValueError):
        tolerance_pixels(-1.0, 128)
    with pytest.raises(ValueError):
        TolerantScore(0, 128, -1)


def test_simulated_drawings_are_filled_wobbly_and_keep_holes():
    drawings = [simulate_drawing(PLATE, np.random.default_rng(i)) for i in range(8)]
    exact = render(PLATE)
    for d in drawings:
        mask = d >= 0.5
        assert d.dtype == np.float32 and d.shape == (128, 128)
        assert d.min() == 0.0 and d.max() == 1.0 and 0 < np.mean((d > 0) & (d < 1)) < 0.1
        assert not mask[64, 64] and mask[64, 44]  # the bore is empty, the plate solid
        assert 0.7 < goal_score(mask, exact) < 1.0  # near the shape, never exact
    assert not np.array_equal(drawings[0], drawings[1])
    np.testing.assert_array_equal(drawings[0], simulate_drawing(PLATE, np.random.default_rng(0)))
    solved = [
        Target(d >= 0.5, tolerance=1.0).solves(Target(d >= 0.5, tolerance=1.0).score(PLATE))
        for d in drawings
    ]
    assert sum(solved) >= 6  # the true program matches most drawings within one unit
    assert not any(Target(d >= 0.5).solves(Target(d >= 0.5).score(PLATE)) for d in drawings)


def test_a_target_with_a_tolerance_scores_packed_masks_tolerantly():
    drawing = simulate_drawing(PLATE, np.random.default_rng(3)) >= 0.5
    target = Target(drawing, tolerance=1.0)
    empty = np.zeros((128, 128), bool)
    masks = [pack(render(PLATE)), pack(empty)]
    expected = [tolerant_score(render(PLATE), drawing, 1.0), tolerant_score(empty, drawing, 1.0)]
    np.testing.assert_allclose(target.scores_packed(masks), expected)
    assert Target(drawing, tolerance=0.0).score(PLATE) == pytest.approx(
        goal_score(render(PLATE), drawing)
    )
