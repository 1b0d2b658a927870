"""Tests for the exact vector geometry (shapely) and its agreement with the raster."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from shapely.geometry import MultiPolygon, Polygon

from inference.lang.tree import binop, circle, quad
from inference.render.geometry import exact_area, outline_rings, quad_corners, shape_of
from inference.render.raster import render_soft
from tests.strategies import programs

# Soft render at 128x128 with 4x4 supersampling against the exact area: 1 %
# relative, or 0.5 square units (8 pixels at 128x128) for tiny shapes.  Over
# 1,000 random programs the worst error seen was 1.1 unit² on a 616 unit² shape,
# and 0.7 % relative among shapes over 50 unit².
AREA_REL_TOL = 0.01
AREA_ABS_FLOOR = 0.5


def test_circle_area_is_exact_to_well_under_a_percent():
    assert exact_area(circle(3, 8, 8)) == pytest.approx(math.pi * 36, rel=1e-4)
    assert shape_of(circle(3, 8, 8)).area == pytest.approx(math.pi * 36, rel=1e-3)


def test_quad_area_and_corners():
    assert exact_area(quad(8, 8, 4, 2, 0)) == pytest.approx(32.0)
    assert exact_area(quad(8, 8, 4, 2, 45)) == pytest.approx(32.0)
    # Offset (dx, dy) -> (dx cos a - dy sin a, dx sin a + dy cos a), y down.
    corners = quad_corners(quad(8, 8, 4, 2, 90))
    assert np.allclose(corners[1], (16 + 2, 16 + 4))  # (w, -h) = (4, -2) -> (2, 4)


def test_shapes_are_clipped_to_the_canvas():
    assert exact_area(circle(4, 0, 0)) == pytest.approx(math.pi * 64 / 4, rel=1e-4)
    assert shape_of(quad(15, 15, 15, 15, 0)).bounds == (15.0, 15.0, 32.0, 32.0)
    assert exact_area(quad(15, 15, 15, 15, 0)) == pytest.approx(17.0 * 17.0)


def test_zero_sizes_and_self_difference_are_empty():
    assert shape_of(circle(0, 3, 3)).is_empty
    assert shape_of(quad(3, 3, 0, 4, 45)).is_empty
    a = binop("+", circle(5, 8, 8), quad(4, 4, 3, 2, 135))
    assert exact_area(binop("-", a, a)) == 0.0
    assert outline_rings(binop("-", a, a)) == []


def test_hole_gives_exterior_and_interior_rings():
    ring = binop("-", circle(6, 8, 8), quad(8, 8, 2, 2, 0))
    geom = shape_of(ring)
    assert isinstance(geom, Polygon) and len(geom.interiors) == 1
    rings = outline_rings(ring)
    assert len(rings) == 2
    assert all(r.ndim == 2 and r.shape[1] == 2 and np.array_equal(r[0], r[-1]) for r in rings)
    assert len(rings[1]) == 5  # the square hole: 4 corners, closed
    assert exact_area(ring) == pytest.approx(math.pi * 144 - 16, rel=1e-4)


def test_disjoint_union_is_a_multipolygon():
    geom = shape_of(binop("+", circle(2, 3, 3), circle(2, 12, 12)))
    assert isinstance(geom, MultiPolygon) and len(geom.geoms) == 2
    assert len(outline_rings(binop("+", circle(2, 3, 3), circle(2, 12, 12)))) == 2


@settings(max_examples=150)
@given(programs)
def test_soft_render_area_matches_exact_area(node):
    soft_area = float(render_soft(node, 128, supersample=4).mean()) * 32 * 32
    exact = exact_area(node)
    assert shape_of(node).is_valid
    assert abs(soft_area - exact) <= max(AREA_REL_TOL * exact, AREA_ABS_FLOOR)
