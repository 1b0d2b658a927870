"""TinySVG training examples: RGB images, filtered targets, a label valid where it applies."""

import numpy as np

from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.tinysvg import parse_tinysvg
from inference.lang.tree import node_at, to_text
from inference.noise.paths import state_at
from inference.noise.random_programs import passes_filter
from inference.noise.small_subtrees import small_sigma
from inference.noise.training_examples import (
    START_PRIMITIVES,
    make_example,
    start_and_path,
    start_program,
    start_range,
)
from inference.render.svg_scene import render


def draw(program):
    return render(program, 64)


def test_examples_are_consistent():
    rng = np.random.default_rng(0)
    for _ in range(40):
        ex = make_example(rng, render, grammar=TINYSVG)
        assert ex.target.grammar is ex.current.grammar is TINYSVG
        assert 2 <= ex.target.sigma <= 5 and ex.remaining >= 1
        for image in (ex.target_image, ex.current_image):
            assert image.shape == (64, 64, 3) and image.dtype == np.uint8
        assert np.array_equal(ex.target_image, draw(ex.target))
        assert np.array_equal(ex.current_image, draw(ex.current))
        assert passes_filter(ex.target, ex.target_image, draw, TINYSVG)
        # the label is valid at its position: a node starts there, of the replacement's slot
        ex.edit.validate(ex.current)
        assert node_at(ex.current, ex.edit.pos).nonterminal == ex.edit.replacement.nonterminal
        after = ex.edit.apply(ex.current)
        assert after != ex.current and parse_tinysvg(to_text(after)) == after
        assert small_sigma(ex.edit.replacement) <= 2
        if ex.remaining == 1:
            assert after == ex.target


def test_same_seed_same_example():
    a = make_example(np.random.default_rng(5), render, grammar=TINYSVG)
    b = make_example(np.random.default_rng(5), render, grammar=TINYSVG)
    assert (a.target, a.current, a.edit, a.remaining) == (b.target, b.current, b.edit, b.remaining)


def test_fresh_starts_are_of_the_targets_language():
    assert start_range(CSG2D) == START_PRIMITIVES == (2, 7)
    assert start_range(TINYSVG) == (2, 4)
    target = parse_tinysvg("(Rectangle 3 4 red none 0)")
    rng = np.random.default_rng(3)
    fresh = [start_program(rng, target, rho=1.0) for _ in range(200)]
    assert all(s.grammar is TINYSVG for s in fresh)
    assert {s.sigma for s in fresh} == {2, 3, 4}


def test_start_and_path_reaches_the_target():
    rng = np.random.default_rng(4)
    target = parse_tinysvg("(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue black 2) 1)")
    for _ in range(50):
        rounds = start_and_path(rng, target)
        assert rounds and rounds[0].start != target
        length = sum(len(r.edits) for r in rounds)
        current, edit = state_at(rounds, length - 1)
        assert edit.apply(current) == target
