"""TinySVG targets (issue 17): the goal score as a fraction of identical images', the solve
bar, the colour IoU, and the image the model sees."""

import numpy as np
import pytest

from inference.lang.grammar import TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.tinysvg import parse_tinysvg
from inference.render.svg_scene import render
from inference.targets.drawing_target import DrawingTarget

HOUSE = parse_tinysvg("(Arrange v (Ellipse 6 2 red none 0) (Rectangle 6 5 blue black 2) 0)")


def test_the_program_itself_solves_its_target_and_scores_one():
    target = DrawingTarget.of(HOUSE)
    assert target.score(HOUSE) == pytest.approx(1.0)
    assert target.solves(target.score(HOUSE))
    assert target.colour_iou(HOUSE) == 1.0


def test_a_changed_colour_or_size_does_not_solve():
    target = DrawingTarget.of(HOUSE)
    for text in (
        "(Arrange v (Ellipse 6 2 red none 0) (Rectangle 6 5 green black 2) 0)",
        "(Arrange v (Ellipse 6 2 red none 0) (Rectangle 6 6 blue black 2) 0)",
        "(Arrange v (Ellipse 6 2 red none 0) (Rectangle 6 5 blue black 2) 1)",
    ):
        other = parse_tinysvg(text)
        score = target.score(other)
        assert score < 1.0 and not target.solves(score), text
        assert target.colour_iou(other) < 1.0


def test_scores_rank_nearer_programs_higher():
    target = DrawingTarget.of(HOUSE)
    near = parse_tinysvg("(Arrange v (Ellipse 6 2 red none 0) (Rectangle 6 5 blue black 0) 0)")
    far = parse_tinysvg("(Rectangle 9 9 black none 0)")
    blank = parse_tinysvg("(Rectangle 0 0 black none 0)")
    s_near, s_far, s_blank = target.score_many([near, far, blank])
    assert s_near > s_blank > s_far


def test_batch_scores_equal_single_scores():
    rng = np.random.default_rng(4)
    programs = [random_tree(TINYSVG, rng, int(rng.integers(1, 6))) for _ in range(6)]
    target = DrawingTarget.of(programs[0])
    batch = target.score_many(programs)
    assert np.allclose(batch, [target.score(p) for p in programs])


def test_the_model_sees_the_target_image():
    target = DrawingTarget.of(HOUSE)
    assert target.model_image is target.image
    assert np.array_equal(target.model_image, render(HOUSE, 224))


def test_bad_images_are_refused():
    with pytest.raises(ValueError, match="224×224 RGB"):
        DrawingTarget(np.zeros((128, 128, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8 0..255"):
        DrawingTarget(np.full((224, 224, 3), 300, np.int32))
