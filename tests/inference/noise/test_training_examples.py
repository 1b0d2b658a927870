"""Training examples: a point on a tree path from a noised or fresh start to a target."""

from collections import Counter

import numpy as np

from inference.lang.tree import circle, quad
from inference.noise import training_examples
from inference.noise.paths import state_at
from inference.noise.random_programs import is_visually_complex
from inference.noise.training_examples import make_example, start_and_path, start_program
from inference.render.raster import render


def test_examples_are_consistent():
    rng = np.random.default_rng(0)
    for _ in range(60):
        ex = make_example(rng, render)
        assert 2 <= ex.target.sigma <= 8
        assert ex.remaining >= 1
        ex.edit.validate(ex.current)
        assert ex.edit.apply(ex.current) != ex.current
        for image in (ex.target_image, ex.current_image):
            assert image.shape == (64, 64) and image.dtype == bool
        assert np.array_equal(ex.target_image, render(ex.target, 64))
        assert np.array_equal(ex.current_image, render(ex.current, 64))
        assert is_visually_complex(ex.target_image)
        if ex.remaining == 1:
            assert ex.edit.apply(ex.current) == ex.target


def test_size_is_respected():
    ex = make_example(np.random.default_rng(1), render, size=32)
    assert ex.target_image.shape == ex.current_image.shape == (32, 32)


def test_same_seed_same_example():
    a = make_example(np.random.default_rng(5), render)
    b = make_example(np.random.default_rng(5), render)
    assert (a.target, a.current, a.edit, a.remaining) == (b.target, b.current, b.edit, b.remaining)
    assert np.array_equal(a.current_image, b.current_image)


def test_label_position_is_uniform_along_the_path():
    # Paths have 1 edit about 22 % of the time and about 4 on average.  With the label
    # uniform along the path, about 35 % of examples have one edit left; labelling always
    # the first edit would give 22 %, always the last 100 %.
    rng = np.random.default_rng(2)
    remaining = Counter(make_example(rng, render).remaining for _ in range(300))
    assert 0.27 < remaining[1] / 300 < 0.45
    assert remaining[1] > remaining[2] > remaining[4] and max(remaining) > 8


def test_start_is_fresh_with_probability_rho():
    target = quad(8, 8, 4, 4, 45)
    rng = np.random.default_rng(3)
    fresh = [start_program(rng, target, rho=1.0) for _ in range(200)]
    assert {s.sigma for s in fresh} == set(range(2, 8))
    noised = [start_program(rng, target, rho=0.0) for _ in range(200)]
    assert all(s.sigma <= 1 + 5 for s in noised)  # at most +1 primitive per mutation
    # σ ≥ 3: 5/6 of fresh starts, about 9 % of noised ones; so about 25 % at ρ = 0.2.
    mixed = [start_program(rng, target) for _ in range(3000)]
    share_large = sum(s.sigma >= 3 for s in mixed) / 3000
    assert 0.21 < share_large < 0.29


def test_start_and_path_reaches_the_target():
    rng = np.random.default_rng(4)
    target = circle(5, 8, 8)
    for _ in range(100):
        rounds = start_and_path(rng, target)
        assert rounds and rounds[0].start != target
        length = sum(len(r.edits) for r in rounds)
        current, edit = state_at(rounds, length - 1)
        assert edit.apply(current) == target


def test_a_start_equal_to_the_target_is_redrawn(monkeypatch):
    target = circle(5, 8, 8)
    real = training_examples.start_program
    calls = []

    def first_equal(rng, tgt, *args):
        calls.append(1)
        return tgt if len(calls) == 1 else real(rng, tgt, *args)

    monkeypatch.setattr(training_examples, "start_program", first_equal)
    rounds = start_and_path(np.random.default_rng(0), target)
    assert len(calls) == 2 and rounds and rounds[0].start != target
