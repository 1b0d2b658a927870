"""Outlines with exact arcs (inference.render.arcs): closed chains, arcs on the program's circles,
the exact area, and the bulk quad corners it builds on."""

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings

from inference.lang.syntax import parse, to_text
from inference.lang.tree import CIRCLE, Node, binop, circle, quad, walk
from inference.noise.random_programs import random_shape
from inference.render.arcs import Outline, bounds, outlines, polygon_shape
from inference.render.geometry import exact_area, quad_corners, quad_corners_array, shape_of
from tests.strategies import programs


def _circles(node: Node) -> set[tuple[float, float, float]]:
    return {
        (2.0 * n.children[1].value, 2.0 * n.children[2].value, 2.0 * n.children[0].value)
        for _, n in walk(node)
        if n.kind == CIRCLE and n.children[0].value
    }


def _area(rings: list[Outline]) -> float:
    return sum(-abs(o.area) if o.hole else abs(o.area) for o in rings)


def _check(node: Node) -> list[Outline]:
    """Chains close, arcs lie exactly on the program's circles, the area is exact."""
    rings = outlines(node)
    circles = _circles(node)
    for ring in rings:
        assert ring.pieces
        for p, q in zip(ring.pieces, ring.pieces[1:] + ring.pieces[:1], strict=True):
            assert p.end == q.start, to_text(node)
            if p.is_arc and q.is_arc:
                assert (p.centre, p.radius) != (q.centre, q.radius) or len(ring.pieces) == 1
        for p in ring.pieces:
            if p.is_arc:
                assert (*p.centre, p.radius) in circles
                assert 0 < abs(p.sweep) <= 2 * math.pi + 1e-12
                for end in (p.start, p.end):
                    assert math.dist(end, p.centre) == pytest.approx(p.radius, abs=1e-9)
            else:
                assert p.radius == 0 and p.sweep == 0
    expected = exact_area(node)
    assert _area(rings) == pytest.approx(expected, rel=1e-4, abs=1e-6), to_text(node)
    return rings


def test_lone_circle_is_one_full_circle():
    (ring,) = _check(parse("(Circle 3 8 8)"))
    assert ring.full_circle == (16.0, 16.0, 6.0) and not ring.hole
    assert abs(ring.area) == pytest.approx(math.pi * 36, rel=1e-12)


def test_hole_is_a_full_circle_hole():
    plate, hole = _check(parse("(- (Quad 8 8 6 6 0) (Circle 2 8 8))"))
    assert plate.full_circle is None and len(plate.pieces) == 4
    assert hole.hole and hole.full_circle == (16.0, 16.0, 4.0)


def test_notch_arc_ends_exactly_on_the_edge():
    (ring,) = _check(parse("(- (Quad 8 8 6 6 0) (Circle 3 13 8))"))
    (arc,) = [p for p in ring.pieces if p.is_arc]
    h = math.sqrt(20)
    assert {arc.start, arc.end} == {(22.0, 16 + h), (22.0, 16 - h)}
    assert arc.start == (22.0, 16 + h) and arc.sweep > 0  # y down: towards +y is positive


def test_union_of_two_circles_meets_at_the_intersections():
    (ring,) = _check(parse("(+ (Circle 4 6 8) (Circle 4 10 8))"))
    assert [p.is_arc for p in ring.pieces] == [True, True]
    h = math.sqrt(48)
    corners = {(round(x, 12), round(y, 12)) for p in ring.pieces for x, y in (p.start, p.end)}
    assert corners == {(16.0, round(16 - h, 12)), (16.0, round(16 + h, 12))}
    assert all(abs(p.sweep) == pytest.approx(math.radians(240)) for p in ring.pieces)


def test_rotated_quad_is_straight():
    (ring,) = _check(parse("(Quad 8 8 4 2 45)"))
    assert len(ring.pieces) == 4 and not any(p.is_arc for p in ring.pieces)


@pytest.mark.parametrize("text", ["(Circle 0 3 3)", "(- (Circle 3 8 8) (Circle 4 8 8))"])
def test_empty_shape_has_no_outlines(text):
    assert outlines(parse(text)) == []
    assert bounds([]) is None


@pytest.mark.parametrize(
    "text",
    [
        "(Circle 15 9 4)",  # passes through the canvas corner (0, 32)
        "(+ (Circle 5 6 5) (+ (Quad 3 6 12 10 0) (Circle 5 4 12)))",  # through a quad corner
        "(+ (Circle 2 4 4) (Circle 3 7 8))",  # tangent circles: (8, 8) r 4 and (14, 16) r 6
        "(- (Quad 8 8 8 8 0) (Circle 2 8 6))",  # a hole touching the quad's top side
        "(+ (Circle 8 8 8) (Circle 8 8 8))",  # the same circle twice
    ],
)
def test_touching_and_repeated_shapes(text):
    rings = _check(parse(text))
    assert all(abs(o.area) > 1e-6 for o in rings)


@settings(max_examples=60)
@given(programs)
def test_random_programs(node):
    _check(node)


def test_polygon_shape_is_the_geometry_shape():
    rng = np.random.default_rng(7)
    for _ in range(40):
        node = random_shape(rng, int(rng.integers(1, 12)))
        mine, circles = polygon_shape(node)
        theirs = shape_of(node)
        assert shapely.symmetric_difference(mine, theirs).area < 1e-3 * max(theirs.area, 1)
        assert {tuple(c) for c in circles.tolist()} == _circles(node)


def test_bounds_include_arc_extremes():
    rings = outlines(parse("(+ (Circle 3 8 8) (Quad 4 8 1 1 0))"))
    assert bounds(rings) == pytest.approx((7.0, 10.0, 22.0, 22.0))  # quad x from 7, circle 10..22


def test_equal_operands_are_evaluated_once():
    # 16,384 copies of one circle: deduplicated, so this is instant
    level = [circle(7, 8, 8)] * 2**14
    while len(level) > 1:
        level = [binop("+", a, b) for a, b in zip(level[::2], level[1::2], strict=True)]
    (ring,) = outlines(level[0])
    assert ring.full_circle == (16.0, 16.0, 14.0)


def test_segments_must_be_a_multiple_of_eight():
    with pytest.raises(ValueError, match="multiple of 8"):
        outlines(parse("(Circle 3 8 8)"), segments=100)


def test_quad_corners_array_matches_quad_corners():
    rng = np.random.default_rng(11)
    values = np.concatenate([rng.integers(0, 16, (500, 4)), 45 * rng.integers(0, 8, (500, 1))], 1)
    corners = quad_corners_array(values)
    assert corners.shape == (500, 4, 2)
    for row, got in zip(values.tolist(), corners, strict=True):
        np.testing.assert_array_equal(got, quad_corners(quad(*row)))
