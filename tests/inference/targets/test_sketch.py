"""Simulated sketches: a wobbly outline of the program's boolean result."""

import json

import numpy as np
import pytest
import shapely

from inference.lang.syntax import parse
from inference.lang.tree import binop, circle, quad
from inference.render.geometry import CANVAS, shape_of
from inference.targets.sketch import simulate_sketch


def _programs(refset_dir, n):
    lines = (refset_dir / "problems.jsonl").read_text().splitlines()[:n]
    return [parse(json.loads(line)["program"]) for line in lines]


def _ink_points(sketch, threshold=0.5):
    """Canvas coordinates of the centres of inked pixels."""
    rows, cols = np.nonzero(sketch > threshold)
    unit = CANVAS / sketch.shape[0]
    return np.stack([(cols + 0.5) * unit, (rows + 0.5) * unit], axis=1)


def _outline_samples(node, step=0.25):
    """Points along the true outline, leaving out canvas-border edges."""
    boundary = shape_of(node).boundary
    pts = shapely.get_coordinates(
        shapely.line_interpolate_point(boundary, np.arange(0.0, boundary.length, step))
    )
    on_border = np.any((pts < 1e-6) | (pts > CANVAS - 1e-6), axis=1)
    return pts[~on_border]


def _nearest(a, b):
    """For each point of ``a``, the distance to the nearest point of ``b``."""
    d = np.full(len(a), np.inf)
    for i in range(0, len(b), 512):
        chunk = b[i : i + 512]
        d = np.minimum(d, np.hypot(*(a[:, None, :] - chunk[None, :, :]).transpose(2, 0, 1)).min(1))
    return d


def test_output_format():
    rng = np.random.default_rng(0)
    for size in (128, 64):
        s = simulate_sketch(circle(5, 8, 8), rng, size=size)
        assert s.shape == (size, size) and s.dtype == np.float32
        assert s.min() >= 0.0 and s.max() <= 1.0
        assert s.max() > 0.9


def test_empty_shapes_give_blank_paper():
    rng = np.random.default_rng(0)
    c = circle(5, 8, 8)
    for node in (binop("-", c, c), circle(0, 8, 8), quad(8, 8, 0, 5, 45)):
        assert not simulate_sketch(node, rng).any()


def test_ink_lies_on_the_true_outline(refset_dir):
    rng = np.random.default_rng(1)
    precision, recall = [], []
    for node in _programs(refset_dir, 24):
        sketch = simulate_sketch(node, rng)
        ink = _ink_points(sketch, threshold=0.2)
        outline = _outline_samples(node)
        assert len(ink) > 0
        boundary = shape_of(node).boundary
        dist = shapely.distance(shapely.points(ink), boundary)
        precision.append(np.mean(dist <= 1.5))
        if len(outline):
            recall.append(np.mean(_nearest(outline, ink) <= 1.5))
    assert min(precision) > 0.6 and np.mean(precision) > 0.95
    assert min(recall) > 0.6 and np.mean(recall) > 0.9


def test_inside_and_outside_stay_blank():
    """A filled square: no ink deep inside or far outside, only along its edges."""
    rng = np.random.default_rng(2)
    sketch = simulate_sketch(quad(8, 8, 5, 5, 0), rng)  # square [11, 21]², 4 px per unit
    assert sketch[56:76, 56:76].max() == 0.0
    assert sketch[:32].max() == 0.0 and sketch[96:].max() == 0.0
    assert sketch[:, :32].max() == 0.0 and sketch[:, 96:].max() == 0.0
    assert sketch[48:80, 38:50].sum() > 10  # the left edge, x = 11


def test_canvas_border_is_not_drawn():
    """A quad clipped by the canvas corner: only its two inner edges are drawn."""
    rng = np.random.default_rng(3)
    for _ in range(5):
        sketch = simulate_sketch(quad(0, 0, 8, 8, 0), rng)  # visible part [0, 8]²
        assert sketch[4:24, :3].max() == 0.0 and sketch[:3, 4:24].max() == 0.0
        assert sketch[4:24, 26:38].sum() > 10 and sketch[26:38, 4:24].sum() > 10


def test_same_seed_same_sketch_other_seed_other_sketch():
    node = parse("(- (Quad 8 8 6 4 45) (Circle 3 8 8))")
    a = simulate_sketch(node, np.random.default_rng(7))
    b = simulate_sketch(node, np.random.default_rng(7))
    c = simulate_sketch(node, np.random.default_rng(8))
    assert np.array_equal(a, b)
    assert np.abs(a - c).sum() > 10


@pytest.mark.parametrize("seed", range(3))
def test_stroke_width_varies_ink_amount(seed):
    node = circle(6, 8, 8)
    totals = [simulate_sketch(node, np.random.default_rng(seed * 100 + i)).sum() for i in range(12)]
    assert max(totals) > 1.4 * min(totals)
