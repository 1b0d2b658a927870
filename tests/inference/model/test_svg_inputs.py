"""TinySVG's network inputs: 9 image planes and the token features, on hand-made cases.

At 32×32 a pixel is 7 canvas px, so a 7-unit (42 px) rectangle centred on the canvas
(91..133) covers pixel columns and rows 13..18 exactly.
"""

import numpy as np
import pytest

from inference.lang.grammar import TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.tinysvg import arrange, ellipse, move, rectangle
from inference.model.model_batches import encode_batch, image_planes, image_planes_of
from inference.model.svg_features import PLANES, target_rgb
from inference.model.token_features import COLUMN, FEATURE_DIM, token_features
from inference.model.tokens import TINYSVG_VOCAB as V
from inference.render.svg_scene import render

SIZE = 32
TARGET = render(rectangle(7, 7, "red"), SIZE)  # red at rows and columns 13..18


def feature(rows, name):
    return rows[:, COLUMN[name]]


def test_planes_are_target_current_and_difference():
    program = ellipse(5, 3, "blue", "black", 4)
    planes = image_planes(TARGET, program, SIZE)
    assert planes.shape == (PLANES, SIZE, SIZE) == (9, 32, 32) and planes.dtype == np.float32
    current = render(program, SIZE) / 255.0
    assert np.allclose(planes[0:3], np.moveaxis(TARGET / 255.0, 2, 0))
    assert np.allclose(planes[3:6], np.moveaxis(current, 2, 0))
    assert np.allclose(planes[6:9], np.abs(planes[0:3] - planes[3:6]))
    assert 0.0 <= planes.min() and planes.max() <= 1.0
    assert image_planes_of("TinySVG") == 9 and image_planes_of("CSG2D") == 3


def test_target_is_read_at_the_model_size():
    big = render(rectangle(7, 7, "red"), 224)
    small = target_rgb(big, SIZE)
    assert small.shape == (SIZE, SIZE, 3) and small.dtype == np.float32
    assert np.allclose(small, TARGET / 255.0, atol=1 / 255)
    with pytest.raises(ValueError):
        target_rgb(np.zeros((SIZE, SIZE)), SIZE)


def test_a_right_rectangle():
    f = token_features(rectangle(7, 7, "red"), TARGET, SIZE)
    assert f.shape == (8, FEATURE_DIM) and f.dtype == np.float32
    assert np.allclose(feature(f, "area"), 36 / 1024)
    assert np.allclose(feature(f, "cx"), 0.5) and np.allclose(feature(f, "cy"), 0.5)
    for name in ("inside", "visible", "good", "score", "recall", "precision", "sign"):
        assert np.allclose(feature(f, name), 1.0), name
    assert np.allclose(feature(f, "bad"), 0) and np.allclose(feature(f, "want"), 0)
    assert np.allclose(feature(f, "del_gain"), -1.0)  # removing it loses everything
    assert np.allclose(feature(f, "sigma"), 1 / 8)
    assert np.allclose(feature(f, "target"), 36 / 1024)
    assert list(feature(f, "start")) == [1, 0, 1, 1, 1, 1, 1, 0]  # ( Rectangle w h f s sw )
    assert np.allclose(feature(f, "depth"), [0, 0, 1 / 8, 1 / 8, 1 / 8, 1 / 8, 1 / 8, 0])


def test_a_wrong_colour():
    f = token_features(rectangle(7, 7, "blue"), TARGET, SIZE)
    for name in ("inside", "good", "score", "recall", "precision", "del_gain"):
        assert np.allclose(feature(f, name), 0.0), name
    assert np.allclose(feature(f, "bad"), 1.0) and np.allclose(feature(f, "visible"), 1.0)


def test_an_arrangement_shifted_left():
    # red 7 wide + green 2 wide, centred: red at columns 12..17, green at 18..19, rows 13..18
    program = arrange("h", rectangle(7, 7, "red"), rectangle(2, 7, "green"), 0)
    f = token_features(program, TARGET, SIZE)
    assert f.shape == (program.size, FEATURE_DIM)
    red, green, whole = f[3], f[11], f[0]  # the rectangles' '(' and the arrange's
    assert np.allclose(feature(f, "score"), 30 / 48)  # 30 red matched, 48 painted or wanted
    assert np.isclose(red[COLUMN["good"]], 30 / 36) and np.isclose(red[COLUMN["bad"]], 6 / 36)
    assert np.isclose(red[COLUMN["bad_dx"]], (12 - 14.5) / 32)  # too far left
    assert np.isclose(green[COLUMN["bad"]], 1.0) and np.isclose(green[COLUMN["area"]], 12 / 1024)
    assert np.isclose(green[COLUMN["del_gain"]], np.sqrt(30 / 42 - 30 / 48))
    assert np.isclose(whole[COLUMN["area"]], 48 / 1024) and np.isclose(
        whole[COLUMN["sigma"]], 2 / 8
    )
    assert np.array_equal(f[3:11, :18], np.repeat(red[None, :18], 8, axis=0))  # its tokens
    assert f[1, COLUMN["start"]] == 0 and f[2, COLUMN["start"]] == 1  # 'Arrange', 'h'


def test_sign_and_moves():
    white = token_features(move(rectangle(3, 3, "white"), 1, 1), TARGET, SIZE)
    assert np.allclose(feature(white, "sign"), -1.0)  # paints only white
    nothing = token_features(rectangle(3, 3, "none", "red", 0), TARGET, SIZE)
    assert np.allclose(feature(nothing, "sign"), 0.0) and np.allclose(feature(nothing, "area"), 0)


def test_batch_matches_single_programs():
    rng = np.random.default_rng(3)
    programs = [random_tree(TINYSVG, rng, int(rng.integers(1, 6))) for _ in range(5)]
    target = TARGET / 255.0
    items = [(target, p, []) for p in programs]
    items.append((target, programs[0], [V.pos_id(0), *V.encode_node(programs[1]), V.eos]))
    batch = encode_batch(items)
    assert batch["images"].shape == (6, 9, SIZE, SIZE)
    for b, (_, p, _) in enumerate(items):
        n = p.size
        assert batch["prefix_len"][b] == n + 1
        assert list(batch["tokens"][b, :n]) == V.encode_node(p)
        assert batch["tokens"][b, n] == V.edit
        assert np.array_equal(batch["feats"][b, :n], token_features(p, target, SIZE))
        assert not batch["feats"][b, n:].any()
        assert np.array_equal(batch["images"][b], image_planes(target, p, SIZE))
    with pytest.raises(ValueError):
        encode_batch([(target, programs[0], [V.pos_id(programs[0].size)])])
