"""Noise: one mutation, its selection rule, and noising."""

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from inference.lang.syntax import parse, to_text
from inference.lang.tree import SHAPE, circle, node_at, walk
from inference.noise.mutations import mutable_nodes, mutate, noise, random_steps
from tests.strategies import programs

seeds = st.integers(0, 2**32 - 1)


@given(programs, seeds)
def test_mutation_is_valid_small_and_different(tree, seed):
    rng = np.random.default_rng(seed)
    for _ in range(5):
        edit = mutate(tree, rng)
        old = edit.old_node(tree)
        assert old.sigma <= 2
        assert edit.replacement.nonterminal == old.nonterminal
        assert edit.replacement != old
        assert edit.replacement.sigma in ((1, 2) if old.nonterminal == SHAPE else (0,))
        new = edit.apply(tree)
        assert new != tree
        assert new.nonterminal == SHAPE
        assert parse(to_text(new)) == new


@given(programs)
def test_mutable_nodes_are_exactly_the_small_nodes(tree):
    groups = mutable_nodes(tree)
    expected = {(pos, node) for pos, node in walk(tree) if node.sigma <= 2}
    listed = [item for group in groups for item in group]
    assert len(listed) == len(expected) and set(listed) == expected
    for sigma, group in enumerate(groups):
        assert all(node.sigma == sigma and node_at(tree, pos) is node for pos, node in group)


def test_sigma_is_chosen_uniformly_then_the_node():
    # Root (σ 2), two primitives (σ 1) and nine leaves (σ 0): each σ a third of the time.
    tree = parse("(+ (Circle 1 2 3) (Quad 4 5 6 7 45))")
    rng = np.random.default_rng(0)
    picks = Counter(mutate(tree, rng).pos for _ in range(6000))
    by_sigma = Counter(node_at(tree, pos).sigma for pos in picks.elements())
    for sigma in (0, 1, 2):
        assert abs(by_sigma[sigma] / 6000 - 1 / 3) < 0.03
    assert picks[0] == by_sigma[2]  # the root may be picked
    assert abs(picks[2] - picks[8]) < 250  # primitives equally likely
    leaf_counts = [picks[p] for p in (1, 4, 5, 6, 10, 11, 12, 13, 14)]
    assert max(leaf_counts) - min(leaf_counts) < 120  # leaves equally likely (~222 each)


def test_a_lone_primitive_is_replaced_by_one_or_two_primitives():
    tree = circle(3, 4, 5)
    rng = np.random.default_rng(1)
    edits = [mutate(tree, rng) for _ in range(4000)]
    roots = [e for e in edits if e.pos == 0]
    assert abs(len(roots) / 4000 - 0.5) < 0.03  # σ 0 and σ 1 are the choices
    sizes = Counter(e.replacement.sigma for e in roots)
    assert set(sizes) == {1, 2} and abs(sizes[1] / len(roots) - 0.5) < 0.04


def test_leaf_mutations_draw_uniformly_among_other_values():
    tree = circle(3, 4, 5)
    rng = np.random.default_rng(2)
    values = Counter()
    for _ in range(6000):
        edit = mutate(tree, rng)
        if edit.pos == 2:  # the radius
            values[edit.replacement.value] += 1
    assert 3 not in values and sorted(values) == [v for v in range(16) if v != 3]
    assert min(values.values()) > 0.6 * values.total() / 15


@given(programs, seeds)
def test_noise_is_valid_and_deterministic(tree, seed):
    rng = np.random.default_rng(seed)
    steps = random_steps(rng)
    noisy = noise(tree, rng, steps)
    assert parse(to_text(noisy)) == noisy
    assert noise(tree, np.random.default_rng(seed), 1) != tree
    again = np.random.default_rng(seed)
    assert noise(tree, again, random_steps(again)) == noisy


def test_random_steps_are_uniform_in_1_to_5():
    rng = np.random.default_rng(3)
    counts = Counter(random_steps(rng) for _ in range(5000))
    assert sorted(counts) == [1, 2, 3, 4, 5]
    assert min(counts.values()) > 900
