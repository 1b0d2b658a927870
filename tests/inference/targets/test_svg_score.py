"""Tests of TinySVG's goal score and colour IoU (docs/TINYSVG.md)."""

import math

import numpy as np
import pytest

from inference.render.svg_scene import Placed, render_scene
from inference.targets.svg_score import (
    GOAL_LOG_DENSITY,
    IDENTICAL_LOG_DENSITY,
    PALETTE,
    colour_iou,
    goal_log_density,
    goal_log_density_many,
    goal_reached,
    goal_reached_many,
    mean_squared_differences,
    palette_classes,
)

WHITE = np.full((224, 224, 3), 255, dtype=np.uint8)


def square(x, y, side, colour="black", stroke="none", stroke_px=0.0):
    return Placed("rect", x, y, x + side, y + side, colour, stroke, stroke_px)


def scene(*placed):
    return render_scene(list(placed))


def test_identical_images_score_l0_and_reach_the_goal():
    assert IDENTICAL_LOG_DENSITY == pytest.approx(1.3836465598, abs=1e-10)
    assert IDENTICAL_LOG_DENSITY == pytest.approx(-math.log(0.1 * math.sqrt(2 * math.pi)))
    assert GOAL_LOG_DENSITY == pytest.approx(0.99 * 1.3836465598)
    image = scene(square(100, 100, 24, "red", "blue", 2))
    assert goal_log_density(image, image) == IDENTICAL_LOG_DENSITY
    assert goal_reached(image, image.copy())


def test_log_density_is_the_mean_normal_log_pdf_of_the_differences():
    black = np.zeros_like(WHITE)
    assert goal_log_density(WHITE, black) == pytest.approx(IDENTICAL_LOG_DENSITY - 50)
    # Half the values differ by 0.5: mean d² = 0.125, so L0 - 0.125 / 0.02.
    half = WHITE.astype(np.float64) / 255
    half[:, :112] = 0.5
    assert goal_log_density(half, np.ones_like(half)) == pytest.approx(IDENTICAL_LOG_DENSITY - 6.25)
    rng = np.random.default_rng(0)
    a, b = rng.random((8, 8, 3)), rng.random((8, 8, 3))
    pdf = np.exp(-((a - b) ** 2) / 0.02) / (0.1 * math.sqrt(2 * math.pi))
    assert goal_log_density(a, b) == pytest.approx(np.log(pdf).mean())


def test_uint8_and_float_inputs_agree():
    a = scene(
        square(100, 100, 24, "orange"), Placed("ellipse", 90, 96, 130, 120, "none", "purple", 3)
    )
    b = scene(square(106, 100, 24, "yellow"))
    assert goal_log_density(a, b) == pytest.approx(
        goal_log_density(a / 255.0, b / 255.0), rel=1e-12
    )
    assert goal_log_density(a, b) == pytest.approx(goal_log_density(a, b.astype(np.float32) / 255))
    with pytest.raises(TypeError):
        goal_log_density(a.astype(np.int64), b)


def test_the_threshold_allows_41_full_scale_values_at_224():
    # 0.99 · L0 is reached iff sum of d² < 0.02 · 0.01 · L0 · 224² · 3 = 41.66.
    for flipped, reached in [(41, True), (42, False)]:
        image = WHITE.copy()
        image.reshape(-1)[:flipped] = 0
        assert goal_reached(image, WHITE) is reached
    assert 0.02 * 0.01 * IDENTICAL_LOG_DENSITY * WHITE.size == pytest.approx(41.655, abs=1e-3)


def test_a_one_unit_shift_fails_and_costs_more_for_a_larger_shape():
    small = [scene(square(x, 109, 6)) for x in (109, 115)]
    large = [scene(square(x, 85, 54)) for x in (85, 91)]
    small_score, large_score = goal_log_density(*small), goal_log_density(*large)
    assert not goal_reached(*small) and not goal_reached(*large)
    # 72 pixels (all three channels) differ for the small one, 648 for the large.
    assert small_score == pytest.approx(IDENTICAL_LOG_DENSITY - 50 * 72 / 224**2)
    assert large_score == pytest.approx(IDENTICAL_LOG_DENSITY - 50 * 648 / 224**2)


def test_a_small_colour_change_reaches_the_goal_though_colour_iou_is_zero():
    # Red vs orange on a 1×1-unit square: only G differs, by 165 on 36 pixels.
    red, orange = scene(square(109, 109, 6, "red")), scene(square(109, 109, 6, "orange"))
    assert goal_reached(red, orange)
    assert goal_log_density(red, orange) == pytest.approx(
        IDENTICAL_LOG_DENSITY - 36 * (165 / 255) ** 2 / (0.02 * 224 * 224 * 3)
    )
    assert colour_iou(red, orange) == 0.0
    # The same change on a 3×3-unit square does not.
    assert not goal_reached(
        scene(square(103, 103, 18, "red")), scene(square(103, 103, 18, "orange"))
    )


def test_batch_form_matches_single_calls():
    target = scene(square(100, 100, 24, "green", "black", 2))
    images = [
        target,
        WHITE,
        scene(square(100, 100, 24, "green")),
        scene(Placed("ellipse", 100, 100, 124, 124, "green", "black", 2)),
    ]
    many = goal_log_density_many(np.stack(images), target)
    assert many.shape == (4,)
    assert many.tolist() == [goal_log_density(im, target) for im in images]
    assert goal_log_density_many(images, target).tolist() == many.tolist()
    assert goal_reached_many(images, target).tolist() == [goal_reached(im, target) for im in images]
    assert goal_log_density_many([], target).shape == (0,)
    assert mean_squared_differences(np.stack(images), target)[1] > 0
    with pytest.raises(ValueError):
        goal_log_density_many(np.zeros((2, 128, 128, 3), np.uint8), target)


def test_palette_classes_read_a_colour_over_white_with_coverage():
    assert PALETTE == ("white", "red", "green", "blue", "yellow", "purple", "orange", "black")
    pixels = [
        ([255, 255, 255], "white"),
        ([255, 127, 127], "red"),  # red at coverage 128/255 ≥ ½
        ([255, 128, 128], "white"),  # red at coverage 127/255 < ½: background
        ([255, 190, 128], "orange"),  # orange at coverage ½
        ([10, 120, 0], "green"),  # nearest mix, though not an exact one
        ([200, 0, 190], "purple"),
        ([127, 127, 127], "black"),
        ([127, 127, 255], "blue"),  # blue over white at ½, not purple
    ]
    image = np.array([[rgb for rgb, _ in pixels]], dtype=np.uint8)
    assert [PALETTE[c] for c in palette_classes(image)[0]] == [name for _, name in pixels]
    assert np.array_equal(palette_classes(image / 255.0), palette_classes(image))


def test_anti_aliased_edges_keep_their_colour():
    image = scene(Placed("ellipse", 100, 100, 124, 124, "red", "none", 0))
    classes = palette_classes(image)
    assert set(np.unique(classes).tolist()) == {0, 1}  # background and red only
    assert 0.4 < np.count_nonzero(classes) / (np.pi * 144) < 1.1


def test_colour_iou_on_hand_made_cases():
    red = scene(square(100, 100, 12, "red"))
    assert colour_iou(red, red) == 1.0
    assert colour_iou(WHITE, WHITE) == 1.0  # no foreground at all
    assert colour_iou(red, WHITE) == 0.0
    assert colour_iou(red, scene(square(100, 100, 12, "blue"))) == 0.0
    # Two 12×12 squares overlapping by 6 columns: 72 / (144 + 144 - 72) = 1/3.
    assert colour_iou(red, scene(square(106, 100, 12, "red"))) == pytest.approx(1 / 3)
    # Half the square recoloured: 72 of 144 match.
    half = scene(square(100, 100, 12, "red"), Placed("rect", 106, 100, 112, 112, "blue", "none", 0))
    assert colour_iou(red, half) == pytest.approx(0.5)
    # A white fill is background; only its black outline (sw 4: 2 px band) counts.
    outlined = scene(square(100, 100, 12, "white", "black", 2.0))
    assert colour_iou(outlined, scene(square(100, 100, 12, "none", "black", 2.0))) == 1.0
    # The ring (99..113 less 101..111) against the filled 100..112: 44 / 196.
    filled = scene(square(100, 100, 12, "black"))
    assert colour_iou(outlined, filled) == pytest.approx((12 * 12 - 10 * 10) / (14 * 14))
