"""The sketch's ring cost: registered outlines, and the cap on wrong shapes that match."""

import numpy as np
import pytest

from inference.lang.syntax import parse
from inference.render.raster import rasterizer
from inference.targets.outline_fit import MaskBits, OutlineFit
from inference.targets.sketch import simulate_sketch
from inference.targets.sketch_rings import MATCH_LIMIT, RingFit
from inference.targets.target import Target

HOUSE = parse("(+ (Quad 11 9 7 6 0) (Quad 11 6 5 5 45))")
ROUND_ROOF = parse("(+ (Quad 10 9 7 6 0) (Circle 3 11 6))")


def _sketch(program, seed):
    # issue 12's set A draws house-1 (problem 19) with this seed at bench seed 0
    return simulate_sketch(program, np.random.default_rng(seed), 128)


def _outline(program):
    """An exact sketch of ``program``: its outline pixels (no border edges)."""
    r = rasterizer(128)
    return r.unpack(MaskBits(128).outline(r.packed(program)))


def _cost(fit, program):
    return float(fit.costs_packed([rasterizer(128).packed(program)])[0])


def test_a_moved_ring_costs_its_move_and_a_wrong_shape_costs_more():
    plate = parse("(- (Quad 8 8 10 6 0) (Circle 2 8 8))")
    fit = RingFit(_outline(plate))
    # drawn exactly: the program's own outline costs little; its neighbour a step to the
    # side (two units) must be registered back, at the offset's price, or not at all
    own = _cost(fit, plate)
    moved = _cost(fit, parse("(- (Quad 9 8 10 6 0) (Circle 2 9 8))"))
    square_hole = _cost(fit, parse("(- (Quad 8 8 10 6 0) (Quad 8 8 4 4 0))"))
    assert own < 5.0
    assert moved > own + 10.0
    assert square_hole > own + 5.0


def test_the_intended_house_costs_less_than_a_round_roof_that_fits_as_well():
    ink = _sketch(HOUSE, [0, 19, 1])
    fine = OutlineFit(ink)
    r = rasterizer(128)
    # the solve fit passes both: the round roof lies within a unit of the strokes
    assert fine.score_packed(r.packed(HOUSE)) > 0.93
    assert fine.score_packed(r.packed(ROUND_ROOF)) > 0.93
    fit = RingFit(ink)
    assert _cost(fit, HOUSE) < MATCH_LIMIT < _cost(fit, ROUND_ROOF)


def test_a_sketch_target_caps_a_program_drawn_unlike_it():
    target = Target.from_sketch(_sketch(HOUSE, [0, 19, 1]))
    assert target.solves(target.score(HOUSE))
    assert not target.solves(target.score(ROUND_ROOF))
    assert target.is_capped(target.score(ROUND_ROOF))
    (mismatch,) = target.shape_mismatches(ROUND_ROOF)
    assert mismatch.kind == "outline" and mismatch.distance > MATCH_LIMIT
    x, y = mismatch.where
    assert 14 <= x <= 30 and 4 <= y <= 30  # the house, not the empty canvas
    assert "another shape than the sketch's" in mismatch.describe()
    assert target.shape_mismatches(HOUSE) == []


def test_ink_beyond_the_border_is_not_asked_for():
    # a disc reaching the right border, sketched two units to the right: its ink there is
    # off the canvas, and the program's edge at the border is charged only for the move
    drawn, disc = _outline(parse("(Circle 7 10 8)")), parse("(Circle 7 9 8)")
    lenient = RingFit(drawn)
    strict = RingFit(drawn)
    strict._to_border = lambda points: np.full(len(points), np.inf)  # the border ignored
    # the same move of a disc clear of the border costs its prior, (2 / 0.5)² = 16
    inside = _cost(RingFit(_outline(parse("(Circle 5 9 8)"))), parse("(Circle 5 8 8)"))
    assert 14.0 < inside < 18.0
    assert 3 * _cost(lenient, disc) < _cost(strict, disc)


def test_the_costs_are_cached_and_repeatable():
    ink = _sketch(HOUSE, [0, 19, 1])
    a, b = RingFit(ink), RingFit(ink)
    masks = [rasterizer(128).packed(p) for p in (HOUSE, ROUND_ROOF, HOUSE)]
    first = a.costs_packed(masks)
    assert first[0] == first[2]
    np.testing.assert_allclose(first, b.costs_packed(masks[::-1])[::-1])


def test_only_sketches_have_ring_costs():
    target = Target(rasterizer(128).unpack(rasterizer(128).packed(HOUSE)))
    with pytest.raises(ValueError):
        target.ring_costs_packed([0])
    with pytest.raises(ValueError):
        RingFit(np.zeros((4, 5)))


def test_a_wide_pen_costs_what_a_fine_one_does():
    plate = parse("(- (Quad 8 8 10 6 0) (Circle 2 8 8))")
    r, bits = rasterizer(128), MaskBits(128)
    line = bits.outline(r.packed(plate))
    fine = RingFit(r.unpack(line))
    wide = RingFit(r.unpack(bits.dilations(line, [3])[0]))  # a pen about 1.75 units wide
    moved = parse("(- (Quad 9 8 10 6 0) (Circle 2 9 8))")
    assert _cost(wide, plate) < 1.0
    # the move a step to the side costs about the same whichever the pen
    assert abs(_cost(wide, moved) - _cost(fine, moved)) < 0.3 * _cost(fine, moved)
