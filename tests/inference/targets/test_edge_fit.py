"""Edges: against a careful drawing, a program whose outline is a different shape within the
tolerance (a disc for a pointed roof) is not solved; the drawing's own offsets are forgiven."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.lang.syntax import parse
from inference.noise.cad_parts import KINDS, make_part
from inference.render.raster import rasterizer, render
from inference.targets.edge_fit import EDGE_SHARE, EdgeMatch
from inference.targets.sketch import simulate_drawing
from inference.targets.target import Target

R = rasterizer(128)
# a held-out house (cad_parts, seed 2612) and the program the search once called its solution
HOUSE = "(- (+ (Quad 10 8 5 4 0) (Quad 10 6 4 4 45)) (Quad 10 9 2 2 0))"
DISC_HOUSE = "(+ (+ (- (Circle 3 10 7) (Circle 1 10 9)) (Quad 8 10 1 1 0)) (Quad 12 10 1 1 0))"


def _careful(program, seed):
    drawing = simulate_drawing(program, np.random.default_rng(seed), pen_width=1.0, jitter=0.3)
    return Target(drawing >= 0.5, tolerance=1.0)


def test_a_disc_with_corners_is_not_a_careful_house():
    house, disc = parse(HOUSE), parse(DISC_HOUSE)
    refused = 0
    for seed in range(4):
        target = _careful(house, seed)
        assert target.solves(target.score(house)), seed
        assert not target.shape_mismatches(house)
        said = target.shape_mismatches(disc)
        refused += not target.solves(target.score(disc))
        if target._fit.scores_packed([R.packed(disc)])[0] > target.threshold:
            # it fits within the tolerance: only its edges can tell
            assert said and said[0].kind == "edge", seed
            assert "units off the drawing" in said[0].describe(), said
    assert refused == 4


def test_a_careful_house_is_told_from_a_box_and_a_moved_roof():
    house = parse(HOUSE)
    target = _careful(house, 0)
    for wrong in (
        "(Quad 10 7 5 6 0)",
        "(- (+ (Quad 10 8 5 4 0) (Quad 11 6 4 4 45)) (Quad 10 9 2 2 0))",
    ):
        assert not target.solves(target.score(parse(wrong))), wrong


def test_a_drawing_moved_scaled_and_turned_as_a_whole_is_forgiven():
    """Registration takes out an outline's offset, size and turn (a drawing's usual error)."""
    plate = parse("(- (Quad 8 8 10 8 0) (Circle 2 8 8))")
    mask = render(plate)
    rows, cols = np.nonzero(mask)
    # the whole drawing 3 pixels (0.75 units) to the right and 2 down
    moved = np.zeros_like(mask)
    moved[np.clip(rows + 2, 0, 127), np.clip(cols + 3, 0, 127)] = True
    match = EdgeMatch(moved, tolerance=1.0)
    assert max(match.distances(R.packed(plate))) < 0.3
    assert match.mismatches(R.packed(plate)) == []


def test_a_square_hole_is_not_a_round_one():
    round_hole = parse("(- (Quad 8 8 12 12 0) (Circle 4 8 8))")
    square_hole = parse("(- (Quad 8 8 12 12 0) (Quad 8 8 7 7 0))")
    match = EdgeMatch(render(round_hole), tolerance=1.0)
    assert match.mismatches(R.packed(round_hole)) == []
    off = match.mismatches(R.packed(square_hole))
    assert off and off[0].what == "off" and off[0].distance > 0.7


def test_edges_along_the_border_and_tiny_rings_are_not_judged():
    clipped = parse("(Circle 6 0 8)")  # half a disc, cut by the canvas border
    match = EdgeMatch(render(clipped), tolerance=1.0)
    assert match.distances(R.packed(parse("(Quad 0 8 6 6 0)"))) == []
    speck = parse("(+ (Quad 8 8 6 6 0) (Quad 13 13 1 1 0))")  # a 2-unit square: too small
    assert len(EdgeMatch(render(speck), tolerance=1.0).distances(R.packed(speck))) == 1


def test_snapped_shape_targets_and_exact_ones_do_not_compare_edges():
    assert Target(render(parse(HOUSE)), tolerance=0.25)._edges is None
    assert Target(render(parse(HOUSE)))._edges is None
    assert Target(render(parse(HOUSE)), tolerance=1.0)._edges is not None


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(KINDS)), st.integers(0, 2**32 - 1))
def test_the_true_part_keeps_its_edges_on_careful_and_heavy_drawings(kind, seed):
    rng = np.random.default_rng(seed)
    part = make_part(kind, rng)
    for jitter, pen in ((0.3, 1.0), (1.0, None)):
        drawing = simulate_drawing(part, rng, pen_width=pen, jitter=jitter) >= 0.5
        target = Target(drawing, tolerance=1.0)
        packed = R.packed(part)
        # refused above EDGE_SHARE (0.7) units; careful drawings stay well inside it
        limit = 0.45 if jitter < 1 else EDGE_SHARE
        assert all(d <= limit for d in target._edges.distances(packed)), (jitter, kind)
        if jitter < 1:
            assert target._edges.mismatches(packed) == [], kind


def test_a_point_sticking_out_is_off_even_where_the_rest_fits():
    """A program that follows a careful slot drawing on most of its outline but ends in a
    point (or in square corners) has an edge farther than the tolerance: not solved."""
    slot = parse("(+ (+ (Circle 2 4 10) (Circle 2 10 10)) (Quad 7 10 6 4 0))")
    pointed = parse(
        "(+ (+ (+ (Quad 7 10 7 5 0) (Quad 4 10 4 4 45)) (Quad 11 10 2 3 0)) (Circle 1 10 8))"
    )
    square = parse("(Quad 7 10 10 4 0)")
    for seed in range(4):
        target = _careful(slot, seed)
        assert target.solves(target.score(slot))
        for wrong in (pointed, square):
            assert not target.solves(target.score(wrong)), (seed, wrong)
    target = _careful(slot, 0)
    (off,) = target._edges.mismatches(R.packed(pointed))
    assert off.distance > 1.0 and off.where[0] < 6  # the point at the left end
