"""TinySVG mutations and noise: valid drawings, σ bounds, the selection rule."""

from collections import Counter

import numpy as np
from hypothesis import given

from inference.lang.tinysvg import COLOURS, DRAWING, arrange, ellipse, parse_tinysvg, rectangle
from inference.lang.tree import node_at, replace_at, to_text, walk
from inference.noise.mutations import mutate, noise, random_replacement, random_steps, replace_node
from inference.noise.small_subtrees import small_sigma
from tests.inference.noise.svg_strategies import drawings, seeds


@given(drawings, seeds)
def test_mutations_are_valid_small_and_different(tree, seed):
    rng = np.random.default_rng(seed)
    for _ in range(5):
        edit = mutate(tree, rng)
        old = edit.old_node(tree)
        assert small_sigma(old) <= 2
        assert edit.replacement.nonterminal == old.nonterminal
        assert edit.replacement != old
        expected = (1, 2) if old.nonterminal == DRAWING else (0,)
        assert small_sigma(edit.replacement) in expected
        new = edit.apply(tree)
        assert new != tree and new.nonterminal == DRAWING
        assert parse_tinysvg(to_text(new)) == new  # a valid program of the grammar


@given(drawings, seeds)
def test_noise_is_valid_and_deterministic(tree, seed):
    rng = np.random.default_rng(seed)
    noisy = noise(tree, rng, random_steps(rng))
    assert parse_tinysvg(to_text(noisy)) == noisy
    again = np.random.default_rng(seed)
    assert noise(tree, again, random_steps(again)) == noisy


def test_sigma_is_chosen_uniformly_then_the_node():
    # The root Arrange (σ 2), two items (σ 1) and twelve leaves (σ 0): a third each.
    tree = arrange("h", rectangle(3, 4, "red"), ellipse(2, 2, "blue", "black", 2), 1)
    rng = np.random.default_rng(0)
    picks = Counter(mutate(tree, rng).pos for _ in range(6000))
    by_sigma = Counter(small_sigma(node_at(tree, pos)) for pos in picks.elements())
    for sigma in (0, 1, 2):
        assert abs(by_sigma[sigma] / 6000 - 1 / 3) < 0.03
    assert picks[0] == by_sigma[2]  # the root may be picked
    assert abs(picks[3] - picks[11]) < 250  # both items equally likely


def test_a_move_of_a_move_is_never_replaced_whole():
    tree = parse_tinysvg("(Move (Move (Rectangle 3 3 red none 0) 1 1 false false) 2 2 true true)")
    rng = np.random.default_rng(1)
    positions = Counter(mutate(tree, rng).pos for _ in range(3000))
    assert 0 not in positions  # σ 3
    assert positions[2] > 0  # the inner Move (σ 2)
    assert positions[4] > 0  # the rectangle (σ 1)


def test_a_drawing_slot_gets_sigma_one_or_two_uniformly():
    rng = np.random.default_rng(2)
    item = rectangle(3, 4, "red")
    kinds = Counter(random_replacement(rng, item).kind for _ in range(4000))
    # σ 1 (half): a rectangle or an ellipse (the same rectangle is redrawn); σ 2: Move or Arrange
    assert set(kinds) == {"Rectangle", "Ellipse", "Move", "Arrange"}
    assert abs((kinds["Move"] + kinds["Arrange"]) / 4000 - 0.5) < 0.03
    assert abs(kinds["Move"] - kinds["Arrange"]) < 200


def test_leaf_mutations_draw_uniformly_among_other_values():
    tree = rectangle(3, 4, "red", "black", 2)
    rng = np.random.default_rng(3)
    fills = Counter(random_replacement(rng, tree.children[2]).value for _ in range(4000))
    assert sorted(fills) == sorted(c for c in COLOURS if c != "red")
    assert min(fills.values()) > 0.7 * 4000 / 8
    flag = parse_tinysvg("(Move (Rectangle 1 1 red none 0) 1 1 true false)").children[3]
    assert {random_replacement(rng, flag).value for _ in range(20)} == {False}


@given(drawings, seeds)
def test_replace_node_matches_replace_at(tree, seed):
    rng = np.random.default_rng(seed)
    nodes = list(walk(tree))
    pos, node = nodes[int(rng.integers(len(nodes)))]
    new = random_replacement(rng, node)
    assert replace_node(tree, pos, new) == replace_at(tree, pos, new)
