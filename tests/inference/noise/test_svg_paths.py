"""Tree paths in TinySVG: they reach the target from any start, in the rounds of DESIGN.md §2."""

import numpy as np
from hypothesis import given

from inference.lang.edits import Edit
from inference.lang.grammar import TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.tinysvg import digit, parse_tinysvg
from inference.noise.mutations import noise, random_steps
from inference.noise.paths import height, path_rounds, tree_path
from inference.noise.small_subtrees import small_sigma
from tests.inference.noise.svg_strategies import drawings, seeds


def follow(source, path):
    current = source
    for edit in path:
        edit.validate(current)
        new = edit.apply(current)
        assert new != current
        current = new
    return current


@given(drawings, drawings, seeds)
def test_path_reaches_the_target_from_any_start(source, target, seed):
    rng = np.random.default_rng(seed)
    rounds = path_rounds(source, target, rng)
    assert len(rounds) <= height(target) + 1
    assert follow(source, [e for r in rounds for e in r.edits]) == target


@given(seeds)
def test_path_reaches_random_targets_from_random_and_noised_starts(seed):
    rng = np.random.default_rng(seed)
    target = random_tree(TINYSVG, rng, int(rng.integers(1, 9)))
    for source in (
        random_tree(TINYSVG, rng, int(rng.integers(1, 9))),
        noise(target, rng, random_steps(rng)),
    ):
        path = tree_path(source, target, rng)
        assert follow(source, path) == target
        for edit in path:  # σ ≤ 2 replacements, or a σ-2 subtree grown toward the target
            assert small_sigma(edit.replacement) <= 2


def test_a_one_value_difference_is_one_leaf_edit():
    source = parse_tinysvg("(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue black 2) 1)")
    target = parse_tinysvg("(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 5 blue black 2) 1)")
    assert tree_path(source, target, np.random.default_rng(0)) == [Edit(14, digit(5))]


def test_large_target_subtrees_grow_from_a_sigma_two_subtree_of_their_kind():
    source = parse_tinysvg("(Rectangle 1 1 red none 0)")
    target = parse_tinysvg(
        "(Move (Arrange v (Rectangle 3 4 red none 0) (Move (Ellipse 2 2 blue black 2)"
        " 1 1 false false) 2) 4 5 true false)"
    )
    for seed in range(20):
        rounds = path_rounds(source, target, np.random.default_rng(seed))
        (first,) = rounds[0].edits
        grown = first.replacement
        assert first.pos == 0 and small_sigma(grown) == 2 and grown.kind == "Move"
        assert grown.children[1:] == target.children[1:]  # its values moved to the target's
        assert follow(source, tree_path(source, target, np.random.default_rng(seed))) == target
