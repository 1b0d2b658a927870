"""Tree edit paths: they reach the target exactly, in the rounds DESIGN.md §2 describes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inference.lang.edits import Edit
from inference.lang.syntax import parse, to_text
from inference.lang.tree import CIRCLE, leaf, num, op, quad, walk
from inference.noise.mutations import noise, random_steps
from inference.noise.paths import approach, height, path_rounds, state_at, tree_path
from inference.noise.random_programs import random_shape
from tests.strategies import programs

seeds = st.integers(0, 2**32 - 1)


def _rng(seed):
    return np.random.default_rng(seed)


def follow(source, path):
    """Apply ``path`` to ``source`` edit by edit, checking each edit on the way."""
    current = source
    for edit in path:
        edit.validate(current)
        new = edit.apply(current)
        assert new != current  # no edit is a no-op
        current = new
    return current


@given(programs, programs, seeds)
def test_path_reaches_the_target_exactly(source, target, seed):
    path = tree_path(source, target, _rng(seed))
    assert follow(source, path) == target


@given(programs, seeds)
def test_path_from_a_noised_program_reaches_the_target(target, seed):
    rng = np.random.default_rng(seed)
    source = noise(target, rng, random_steps(rng))
    assert follow(source, tree_path(source, target, rng)) == target


def test_paths_between_random_programs_of_all_sizes():
    rng = np.random.default_rng(0)
    for n_source in range(1, 11):
        for n_target in range(1, 11):
            source, target = random_shape(rng, n_source), random_shape(rng, n_target)
            rounds = path_rounds(source, target, rng)
            assert len(rounds) <= height(target) + 1
            path = [edit for r in rounds for edit in r.edits]
            assert follow(source, path) == target


@given(programs, seeds)
def test_identical_trees_give_an_empty_path(tree, seed):
    assert tree_path(tree, tree, np.random.default_rng(seed)) == []


def test_a_one_value_difference_is_one_leaf_edit():
    source = parse("(- (+ (Circle 1 2 3) (Quad 4 5 6 7 45)) (Circle 9 9 9))")
    target = parse("(- (+ (Circle 1 2 3) (Quad 4 5 12 7 45)) (Circle 9 9 9))")
    assert tree_path(source, target, np.random.default_rng(0)) == [Edit(14, num(12))]
    flipped = parse("(- (- (Circle 1 2 3) (Quad 4 5 6 7 45)) (Circle 9 9 9))")
    assert tree_path(source, flipped, np.random.default_rng(0)) == [Edit(3, op("-"))]


@given(programs, seeds, st.data())
def test_any_one_leaf_change_is_one_sigma_zero_edit(tree, seed, data):
    rng = np.random.default_rng(seed)
    leaves = [(pos, n) for pos, n in walk(tree) if n.is_leaf]
    pos, old = data.draw(st.sampled_from(leaves))
    values = {"num": range(16), "angle": range(0, 360, 45), "op": "+-"}[old.nonterminal]
    other = data.draw(st.sampled_from([v for v in values if v != old.value]))
    target = Edit(pos, leaf(old.nonterminal, other)).apply(tree)
    path = tree_path(tree, target, rng)
    assert len(path) == 1 and path[0].pos == pos and path[0].replacement.sigma == 0


def test_small_target_subtrees_are_inserted_whole():
    source = parse("(+ (Circle 1 2 3) (Circle 4 5 6))")
    target = parse("(+ (Circle 1 2 3) (- (Quad 1 1 1 1 0) (Circle 2 2 2)))")
    path = tree_path(source, target, np.random.default_rng(0))
    assert path == [Edit(8, target.children[2])]


def test_large_target_subtrees_grow_through_a_random_two_primitive_shape():
    source = parse("(Circle 1 2 3)")
    target = parse("(- (+ (Circle 1 2 3) (Quad 4 5 6 7 45)) (- (Circle 9 9 9) (Circle 8 8 8)))")
    for seed in range(20):
        rounds = path_rounds(source, target, np.random.default_rng(seed))
        first = rounds[0].edits
        assert len(first) == 1 and first[0].pos == 0
        inserted = first[0].replacement
        assert inserted.sigma == 2 and inserted.children[0] == op("-")  # operator moved
        for got, want in zip(inserted.children[1:], target.children[1:], strict=True):
            if got.kind == CIRCLE and want.kind == CIRCLE:  # values moved where kinds match
                assert got == want
        assert len(rounds) >= 2
        assert follow(source, tree_path(source, target, _rng(seed))) == target


def test_approach_moves_only_leaves():
    target = parse("(- (Circle 1 2 3) (Quad 4 5 6 7 45))")
    moved = approach(parse("(+ (Quad 9 9 9 9 90) (Quad 0 0 0 0 0))"), target)
    assert to_text(moved) == "(- (Quad 9 9 9 9 90) (Quad 4 5 6 7 45))"
    assert approach(quad(1, 1, 1, 1, 0), target) == quad(1, 1, 1, 1, 0)


@given(programs, programs, seeds)
def test_rounds_apply_largest_edits_first(source, target, seed):
    for r in path_rounds(source, target, np.random.default_rng(seed)):
        current, sizes = r.start, []
        for edit in r.edits:
            sizes.append(edit.old_node(current).size + edit.replacement.size)
            current = edit.apply(current)
        assert sizes == sorted(sizes, reverse=True)


def test_tied_edits_come_in_random_order():
    source = parse("(+ (Circle 1 1 1) (Circle 1 1 1))")
    target = parse("(+ (Circle 2 2 2) (Circle 2 2 2))")
    orders = {tuple(e.pos for e in tree_path(source, target, _rng(s))) for s in range(40)}
    assert len(orders) > 10  # six tied one-leaf edits


@given(programs, programs, seeds)
def test_state_at_matches_applying_the_prefix(source, target, seed):
    rounds = path_rounds(source, target, np.random.default_rng(seed))
    path = [edit for r in rounds for edit in r.edits]
    current = source
    for i, edit in enumerate(path):
        assert state_at(rounds, i) == (current, edit)
        current = edit.apply(current)
    with pytest.raises(IndexError):
        state_at(rounds, len(path))


def test_same_seed_same_path():
    source, target = random_shape(_rng(1), 3), random_shape(_rng(2), 7)
    assert tree_path(source, target, _rng(5)) == tree_path(source, target, _rng(5))


def test_mismatched_nonterminals_are_refused():
    with pytest.raises(ValueError):
        tree_path(num(1), parse("(Circle 1 2 3)"), _rng(0))
    assert tree_path(num(1), num(2), _rng(0)) == [Edit(0, num(2))]
