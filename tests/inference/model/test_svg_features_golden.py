"""The fast TinySVG token features equal the reference implementation bit for bit (issue 17).

A TinySVG policy trains on these features, so the vectorised
:mod:`inference.model.svg_features` must give exactly the arrays of the straightforward
per-node code it replaced (:mod:`tests.inference.model.svg_features_reference`): same
values, same dtype, on random programs and targets and on edge cases.
"""

import numpy as np
import pytest

from inference.lang.grammar import TINYSVG
from inference.lang.tinysvg import arrange, ellipse, move, rectangle
from inference.model import svg_features as fast
from inference.model.model_batches import encode_batch
from inference.model.token_features import token_features
from inference.model.tokens import TINYSVG_VOCAB as V
from inference.noise.random_programs import random_program
from inference.render.svg_scene import CANVAS, render
from tests.inference.model import svg_features_reference as reference


def _targets(rng: np.random.Generator, size: int) -> list[np.ndarray]:
    """Model-size float targets: random drawings read from 224, and random colour noise."""
    drawings = [
        fast.target_rgb(render(random_program(rng, (1, 6), TINYSVG), CANVAS), size)
        for _ in range(4)
    ]
    noise = rng.random((size, size, 3)).astype(np.float32)  # every palette class, scattered
    blank = np.ones((size, size, 3), np.float32)  # all white: T is empty
    return [*drawings, noise, blank]


def _programs(rng: np.random.Generator, n: int, primitives: tuple[int, int]) -> list:
    """``n`` random TinySVG programs that fit the model's tokens."""
    programs = []
    while len(programs) < n:
        program = random_program(rng, primitives, TINYSVG)
        if program.size <= V.max_tokens:
            programs.append(program)
    return programs


def _assert_same(programs, targets, size):
    ids = [V.encode_program(p) for p in programs]
    want = reference.svg_batch_features(programs, ids, targets, size)
    got = fast.svg_batch_features(programs, ids, targets, size)
    assert got.dtype == want.dtype == np.float32
    assert got.shape == want.shape
    bad = np.argwhere(~((got == want) | (np.isnan(got) & np.isnan(want))))
    assert not len(bad), f"first differences (row, column): {bad[:5].tolist()}"
    assert got.tobytes() == want.tobytes()  # the same bits, signed zeros included
    feats, images = fast.svg_batch_inputs(programs, ids, targets, size)
    assert feats.tobytes() == want.tobytes()
    rows = zip(programs, targets, strict=True)
    planes = [reference.planes(t, reference.render_unit(p, size)) for p, t in rows]
    assert images.dtype == np.float32 and images.tobytes() == np.stack(planes).tobytes()


@pytest.mark.parametrize("size, seed", [(64, 1), (64, 2), (32, 3), (48, 4), (80, 5)])
def test_random_programs_and_targets(size, seed):
    rng = np.random.default_rng(seed)
    targets = _targets(rng, size)
    programs = _programs(rng, 96, (1, 10))
    # the rows of a batch share a few target objects, as in a beam step
    _assert_same(programs, [targets[k % len(targets)] for k in range(len(programs))], size)


EDGE_CASES = [
    rectangle(0, 5, "red"),  # zero width: paints nothing
    ellipse(4, 0, "blue", "black", 9),  # zero height, wide stroke: still nothing
    rectangle(0, 0, "none", "none", 0),
    rectangle(5, 5, "none", "red", 3),  # stroke only
    ellipse(7, 3, "green", "none", 5),  # a stroke width with no stroke colour
    ellipse(7, 3, "none", "none", 5),  # paints nothing at all
    rectangle(6, 4, "orange", "purple", 0),  # stroke colour, width 0
    rectangle(9, 9, "white", "white", 2),  # only white: sign −1
    ellipse(1, 1, "black", "yellow", 9),  # the stroke far wider than the shape
    ellipse(9, 9, "yellow", "red", 9),
    move(rectangle(9, 9, "red"), 9, 9),  # partly off the canvas
    move(move(move(ellipse(5, 5, "blue"), 9, 9), 9, 9), 9, 9, True, False),  # right off it
    move(move(rectangle(3, 3, "red"), 9, 0, True), 9, 0, True),  # off to the left
    arrange(
        "h",
        rectangle(9, 9, "red"),
        arrange("v", rectangle(9, 9, "blue"), ellipse(9, 9, "green"), 9),
        9,
    ),
    arrange(
        "v",
        move(arrange("h", rectangle(3, 2, "red"), rectangle(0, 4, "blue"), 2), 2, 3, False, True),
        move(ellipse(4, 6, "none", "black", 1), 1, 1),
        0,
    ),
    arrange("h", rectangle(4, 4, "white"), move(rectangle(4, 4, "red", "white", 4), 1, 0, True), 0),
    arrange("h", rectangle(5, 5, "red"), rectangle(5, 5, "red"), 0),  # same paint twice
]  # fmt: skip


@pytest.mark.parametrize("size", [64, 32, 24, 80])  # 80: two words a row, partly padding
def test_edge_cases(size):
    rng = np.random.default_rng(7)
    targets = _targets(rng, size)
    exact = fast.target_rgb(render(EDGE_CASES[-1], size), size)  # a perfect match
    programs = EDGE_CASES * len([*targets, exact])
    rows = [t for t in [*targets, exact] for _ in EDGE_CASES]
    _assert_same(programs, rows, size)


def test_deep_nesting():
    drawing = rectangle(2, 2, "red", "blue", 1)
    for k in range(24):
        drawing = (
            move(drawing, k % 3, 1, k % 2 == 0)
            if k % 4
            else arrange("hv"[k % 2], drawing, ellipse(k % 7, 2, "green", "black", k % 3), k % 3)
        )
    assert drawing.size <= V.max_tokens
    targets = _targets(np.random.default_rng(9), 64)
    _assert_same([drawing] * len(targets), targets, 64)


def test_single_program_and_encode_batch_agree():
    rng = np.random.default_rng(11)
    target = _targets(rng, 64)[0]
    programs = _programs(rng, 8, (1, 8))
    batch = encode_batch([(target, p, []) for p in programs])
    for b, p in enumerate(programs):
        ids = V.encode_program(p)
        want = reference.svg_batch_features([p], [ids], [target], 64)
        assert fast.svg_features(p, ids, target, 64).tobytes() == want.tobytes()
        assert token_features(p, target, 64).tobytes() == want.tobytes()
        assert batch["feats"][b, : p.size].tobytes() == want.tobytes()


def test_the_reference_can_tell_a_difference():
    """The comparison is not vacuous: a different target changes the features."""
    rng = np.random.default_rng(13)
    a, b = _targets(rng, 64)[:2]
    programs = _programs(rng, 8, (2, 6))
    ids = [V.encode_program(p) for p in programs]
    one = reference.svg_batch_features(programs, ids, [a] * 8, 64)
    other = fast.svg_batch_features(programs, ids, [b] * 8, 64)
    assert not np.array_equal(one, other)
