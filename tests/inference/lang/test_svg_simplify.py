"""TinySVG move simplification: the same pixels, fewer moves, locks kept."""

import numpy as np

from inference.lang.grammar import TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.svg_simplify import simplify_moves
from inference.lang.tinysvg import parse_tinysvg
from inference.lang.tree import node_at, to_text, walk
from inference.render.svg_scene import render


def _moves(program):
    return sum(1 for _, n in walk(program) if n.kind == "Move")


def test_moves_by_nothing_go_and_moves_of_moves_merge():
    cases = {
        "(Move (Ellipse 2 3 red none 0) 0 0 true false)": "(Ellipse 2 3 red none 0)",
        "(Move (Move (Ellipse 2 3 red none 0) 3 1 false false) 5 1 true false)":
            "(Move (Ellipse 2 3 red none 0) 2 2 true false)",
        "(Move (Move (Ellipse 2 3 red none 0) 3 1 false false) 3 1 true true)":
            "(Ellipse 2 3 red none 0)",
        "(Move (Move (Move (Rectangle 1 1 red none 0) 4 0 false false) 4 0 false false) 1 9 "
        "false true)": "(Move (Rectangle 1 1 red none 0) 9 9 false true)",
    }  # fmt: skip
    for text, want in cases.items():
        assert to_text(simplify_moves(parse_tinysvg(text))) == want


def test_a_sum_past_nine_is_left_as_two_moves():
    text = "(Move (Move (Ellipse 2 3 red none 0) 6 0 false false) 5 0 false false)"
    program = parse_tinysvg(text)
    assert simplify_moves(program) is program


def test_random_programs_draw_the_same_pixels_with_no_more_moves():
    rng = np.random.default_rng([2026, 12, 2])
    merged = 0
    for _ in range(150):
        program = random_tree(TINYSVG, rng, int(rng.integers(2, 6)))
        simple = simplify_moves(program)
        assert np.array_equal(render(simple, 224), render(program, 224)), to_text(program)
        assert _moves(simple) <= _moves(program)
        merged += _moves(simple) < _moves(program)
        assert simplify_moves(simple) == simple  # nothing left to do
    assert merged > 10  # random programs often carry moves to merge


def test_locked_chains_keep_their_moves():
    program = parse_tinysvg(
        "(Arrange h (Move (Move (Ellipse 2 3 red none 0) 3 1 false false) 0 0 false false) "
        "(Move (Rectangle 2 2 blue none 0) 0 0 false false) 1)"
    )
    ellipse = next(p for p, n in walk(program) if n.kind == "Ellipse")
    simple = simplify_moves(program, locked=[ellipse])
    assert to_text(simple).startswith("(Arrange h (Move (Move (Ellipse")  # chain kept
    assert "(Rectangle 2 2 blue none 0) 1)" in to_text(simple)  # the free move went
    assert node_at(simple, ellipse) == node_at(program, ellipse)
