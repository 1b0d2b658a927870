"""The region a sketch encloses (``target_images.sketch_region``): the search's filled view of
an outline sketch, which must survive the pen lifts a person makes."""

import numpy as np

from inference.noise.cad_parts import KINDS, make_part
from inference.render.raster import render
from inference.targets.sketch import simulate_sketch
from inference.targets.target import Target
from inference.targets.target_images import sketch_fill, sketch_region


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _ring(radius: float, centre=(64.0, 64.0), width: float = 1.0, gap_deg=()) -> np.ndarray:
    """A circle drawn as a line ``width`` pixels wide at 128×128, with gaps (degree ranges)."""
    yy, xx = np.mgrid[:128, :128] + 0.5
    dy, dx = yy - centre[0], xx - centre[1]
    line = np.abs(np.hypot(dy, dx) - radius) <= width / 2
    angle = np.degrees(np.arctan2(dy, dx)) % 360
    for lo, hi in gap_deg:
        line &= ~((angle >= lo) & (angle <= hi))
    return line.astype(np.float32)


def test_a_pen_lift_does_not_empty_a_disc_with_holes():
    # a flange: a disc whose outline has two gaps of about 4 px, and three closed holes
    disc = _ring(40, gap_deg=[(30, 36), (200, 206)])
    holes = [(64, 40), (50, 80), (85, 75)]
    sketch = np.maximum(disc, sum(_ring(8, c) for c in holes))
    region = sketch_region(sketch)
    assert region[64, 64] and region[28, 64] and region[64, 100]  # the disc, by its gaps too
    for cy, cx in holes:
        assert not region[cy, cx]  # the holes stay empty
    assert not region[2, 2] and not region[64, 120]  # and the outside too
    # the old flood fill runs through the gaps: the disc is lost, only the holes are inside
    fill = sketch_fill(sketch)
    assert not fill[64, 64] and fill[64, 40]


def test_edges_follow_the_middle_of_the_strokes():
    region = sketch_region(_ring(30, width=3))
    yy, xx = np.mgrid[:128, :128] + 0.5
    disc = np.hypot(yy - 64, xx - 64) <= 30
    assert _iou(region, disc) > 0.97


def test_simulated_part_sketches_are_mostly_recovered():
    # CAD-like parts drawn as outline sketches with pen lifts (a stream nothing trains on)
    ious, old = [], []
    for k in range(28):
        rng = np.random.default_rng([k, 4321])
        program = make_part(list(KINDS)[k % len(KINDS)], rng)
        truth = render(program, 128) > 0.5
        sketch = simulate_sketch(program, rng, 128)
        ious.append(_iou(sketch_region(sketch), truth))
        old.append(_iou(sketch_fill(sketch), truth))
    # each ring of a simulated sketch is moved and rescaled by about half a unit, so even
    # a perfect fill of the strokes is off the program by that much
    assert np.median(ious) > 0.75
    assert np.mean(ious) > np.mean(old) + 0.25


def test_a_sketch_target_uses_the_region():
    sketch = _ring(40, gap_deg=[(100, 106)])
    target = Target.from_sketch(sketch)
    assert target.is_sketch and target.mask[64, 64] and not target.mask[3, 3]
