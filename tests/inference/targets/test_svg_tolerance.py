"""The tolerant TinySVG goal score for hand-drawn pictures (inference.targets.svg_tolerance)."""

import math

import numpy as np
import pytest

from inference.lang.grammar import TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.syntax import to_text
from inference.render.svg_scene import render
from inference.search import svg_repl
from inference.search.svg_repl import Line, SvgReplConfig, svg_repl_search
from inference.search.synthesize import final_event
from inference.targets.drawing_target import DrawingTarget
from inference.targets.svg_score import palette_classes
from inference.targets.svg_tolerance import TolerantDifferences, colour_classes, tolerance_pixels


def drawn(shapes, rng: np.random.Generator) -> np.ndarray:
    """A hand drawing: each ``(kind, cx, cy, rx, ry, rgb)`` in px, its edge wobbling by up to
    about 2 px, a pen's blend of its colour with white one pixel outside it."""
    yy, xx = np.mgrid[0:224, 0:224].astype(float)
    out = np.full((224, 224, 3), 255.0)
    for kind, cx, cy, rx, ry, rgb in shapes:
        phase, k = rng.uniform(0, 2 * math.pi), rng.integers(2, 5)
        wobble = 1 + 0.06 * np.sin(k * np.arctan2(yy - cy, xx - cx) + phase)
        if kind == "ellipse":
            reach = np.hypot((xx - cx) / rx, (yy - cy) / ry) / wobble
        else:
            reach = np.maximum(np.abs(xx - cx) / rx, np.abs(yy - cy) / ry) / wobble
        rim = (reach <= 1 + 1.0 / min(rx, ry)) & (reach > 1)
        out[rim] = (out[rim] + np.array(rgb)) / 2
        out[reach <= 1] = rgb
    return np.rint(out).astype(np.uint8)


TWO = [("ellipse", 80, 100, 24, 18, (255, 0, 0)), ("rect", 150, 110, 20, 14, (0, 0, 255))]


def test_colour_classes_are_palette_classes():
    rng = np.random.default_rng(0)
    for _ in range(6):
        program = random_tree(TINYSVG, rng, int(rng.integers(2, 5)))
        image = render(program)
        assert np.array_equal(colour_classes(image), palette_classes(image))
    noise = rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8)
    assert np.array_equal(colour_classes(noise), palette_classes(noise))
    picture = drawn(TWO, rng)
    assert np.array_equal(colour_classes(picture), palette_classes(picture))


def test_at_radius_zero_it_is_the_goal_score_against_the_palette_picture():
    rng = np.random.default_rng(1)
    program = random_tree(TINYSVG, rng, int(rng.integers(2, 4)))
    forgiving = TolerantDifferences(render(program), 0)
    assert np.array_equal(colour_classes(forgiving.target), palette_classes(render(program)))
    for _ in range(5):
        image = render(random_tree(TINYSVG, rng, int(rng.integers(1, 4))))
        d = image.astype(np.int64) - forgiving.target
        assert np.array_equal(forgiving.d2(image), np.einsum("ijk,ijk->ij", d, d))
    assert tolerance_pixels(1.0) == 6 and tolerance_pixels(0.5) == 3
    with pytest.raises(ValueError):
        tolerance_pixels(-1)


def test_a_window_is_the_whole_image_s_over_it():
    """What the REPL's scorer relies on: the squared differences of a window are the whole
    image's there."""
    rng = np.random.default_rng(2)
    forgiving = TolerantDifferences(drawn(TWO, rng), tolerance_pixels(1.0))
    for _ in range(8):
        image = render(random_tree(TINYSVG, rng, int(rng.integers(1, 4))))
        whole = forgiving.d2(image)
        y0, x0 = rng.integers(0, 200, size=2)
        rows, cols = slice(y0, y0 + rng.integers(1, 60)), slice(x0, x0 + rng.integers(1, 60))
        assert np.array_equal(forgiving.d2(image, rows, cols), whole[rows, cols])


def test_the_drawn_shapes_solve_it_and_a_left_out_one_does_not():
    rng = np.random.default_rng(3)
    picture = drawn(TWO, rng)
    exact = DrawingTarget(picture)
    tolerant = DrawingTarget(picture, tolerance=1.0)
    assert tolerant.tolerance == 1.0 and exact.tolerance == 0.0
    colours = {tuple(c) for c in np.unique(tolerant.image.reshape(-1, 3), axis=0).tolist()}
    assert colours == {(255, 255, 255), (255, 0, 0), (0, 0, 255)}  # read as palette colours
    meant = svg_repl.compile_lines(  # centres in half units (3 px) from the canvas centre
        (
            Line("Ellipse", 8, 6, "red", "none", 0, -11, -4),
            Line("Rectangle", 7, 5, "blue", "none", 0, 13, -1),
        )
    )
    assert tolerant.solves(tolerant.score(meant)) and not exact.solves(exact.score(meant))
    alone = svg_repl.compile_lines((Line("Ellipse", 8, 6, "red", "none", 0, -11, -4),))
    assert tolerant.score(alone) < 0.95  # the blue rectangle is not near any blue
    # forgiving never lowers a score (against the palette picture)
    for program in (meant, alone, random_tree(TINYSVG, rng, int(rng.integers(2, 4)))):
        assert tolerant.score(program) >= DrawingTarget(tolerant.image).score(program)


def test_the_repl_finds_the_drawn_shapes_not_the_wobble():
    """Exactly, the REPL chases the wobble with more and more lines and does not solve it;
    with a unit's tolerance it solves it with one line per drawn shape, scored exactly as
    the target scores the program."""
    picture = drawn(TWO, np.random.default_rng(4))
    exact = final_event(svg_repl_search(DrawingTarget(picture), SvgReplConfig(budget=2000)))
    assert not exact.solved and exact.depth > 2
    target = DrawingTarget(picture, tolerance=1.0)
    last = final_event(svg_repl_search(target, SvgReplConfig(budget=2000)))
    assert last.solved and last.calls < 1000, to_text(last.program)
    assert target.score(last.program) == last.score
    lines = svg_repl.lines_of(last.program)
    assert sorted((ln.kind, ln.fill) for ln in lines) == [("Ellipse", "red"), ("Rectangle", "blue")]


def test_tidy_keeps_a_hand_drawing_s_shapes_and_gives_back_a_dot():
    """A solved hand drawing is not polished toward its wobble (no patches are added), but
    a dot it leaves out, far from any shape of its colour, is given back."""
    from inference.search.tidy import tidy

    picture = drawn(TWO, np.random.default_rng(4))
    target = DrawingTarget(picture, tolerance=0.5)
    last = final_event(svg_repl_search(target, SvgReplConfig(budget=2000)))
    tidied, _ = tidy(last.program, target, score=last.score, max_calls=500)
    assert len(svg_repl.lines_of(tidied)) == len(svg_repl.lines_of(last.program)) == 2
    dot = TWO + [("ellipse", 112, 170, 3, 3, (255, 255, 0))]
    target = DrawingTarget(drawn(dot, np.random.default_rng(5)), tolerance=0.5)
    without = svg_repl.compile_lines(svg_repl.lines_of(last.program))
    score = target.score(without)
    assert target.solves(score)  # the goal forgives a yellow dot
    tidied, calls = tidy(without, target, score=score, max_calls=500)
    fills = sorted(ln.fill for ln in svg_repl.lines_of(tidied))
    assert fills == ["blue", "red", "yellow"] and 0 < calls <= 500
