"""What a lock keeps: its subtree and its chain of (operator, side) from the root.

Every automatic path is checked on random programs with random locks: the
grammar constraint (policy proposals, beam search), random mutations,
one-value refinement, tidy and whole searches.  A search on a target that a
flipped ``-`` would solve shows that a locked hole stays a hole.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.lang.edits import Edit
from inference.lang.lock_rules import (
    LEFT,
    RIGHT,
    chain,
    conflict_message,
    find,
    follow,
    follow_locks,
    hand_edit_conflicts,
    locks_kept,
    protected_positions,
)
from inference.lang.locks import shift_for_edit
from inference.lang.syntax import parse
from inference.lang.tree import binop, circle, node_at, num, op, positions, replace_at, walk
from inference.model.grammar_constraint import EditConstraint
from inference.model.onnx_model import PolicyModel
from inference.noise.mutations import random_replacement
from inference.render.raster import render
from inference.search.beam import SearchConfig, beam_search, rollouts
from inference.search.proposers import PolicyProposer, RandomMutationProposer
from inference.search.refine import refine
from inference.search.tidy import tidy
from inference.targets.target import Target
from tests.fake_policy import build_fake_policy
from tests.strategies import programs

EXAMPLE = parse("(- (Circle 6 8 8) (+ (Quad 8 8 4 4 45) (Circle 2 3 3)))")
# positions: 0 root, 1 '-', 2 Circle 6 8 8, 8 '+' node (op at 9), 10 Quad, 18 Circle 2 3 3 (r at 20)

HOLED = parse("(- (Quad 8 8 6 6 0) (Circle 3 8 8))")
HOLE = 10  # the circle: the right operand of the root's '-'


@st.composite
def locked_programs(draw, max_locks: int = 2):
    """A random program and up to ``max_locks`` distinct locked node positions."""
    program = draw(programs)
    locks = draw(st.lists(st.sampled_from(positions(program)), max_size=max_locks, unique=True))
    return program, locks


def _views(program, locks):
    return {p: (node_at(program, p), chain(program, p)) for p in locks}


def _assert_kept(before, locks, after, where=None):
    """(a) each locked subtree is identical, (b) its (operator, side) chain is identical."""
    for p in locks:
        q = follow(before, p, after)
        assert q is not None, f"lock at {p} broken: {before} -> {after}"
        assert node_at(after, q) == node_at(before, p)
        assert chain(after, q) == chain(before, p)
        if where is not None:
            assert q == where[p]


# ----- the rule itself -------------------------------------------------------------------


def test_chain_and_find_name_the_path_with_operators_and_sides():
    assert chain(EXAMPLE, 18) == (("-", RIGHT), ("+", RIGHT))
    assert chain(EXAMPLE, 2) == (("-", LEFT),)
    assert chain(EXAMPLE, 20) == (("-", RIGHT), ("+", RIGHT), ("Circle", 0))
    assert chain(EXAMPLE, 0) == ()
    for p, _ in walk(EXAMPLE):
        assert find(EXAMPLE, chain(EXAMPLE, p)) == p
    flipped = replace_at(EXAMPLE, 9, op("-"))
    assert find(flipped, chain(EXAMPLE, 18)) is None  # the '+' above it is now '-'


def test_protected_positions_are_the_node_inside_ancestors_and_their_operators():
    assert protected_positions(EXAMPLE, [18]) == {0, 1, 8, 9, 18, 20, 21, 22}
    assert protected_positions(EXAMPLE, [2]) == {0, 1, 2, 4, 5, 6}
    assert protected_positions(EXAMPLE, []) == frozenset()
    assert protected_positions(EXAMPLE, [0]) == set(positions(EXAMPLE))
    with pytest.raises(KeyError):
        protected_positions(EXAMPLE, [3])


@pytest.mark.parametrize(
    ("pos", "replacement"),
    [
        (1, op("+")),  # the root's operator: the hole would become material
        (9, op("-")),  # the operator just above it
        (8, circle(2, 3, 3)),  # its parent replaced by the locked circle alone
        (8, binop("+", circle(2, 3, 3), circle(8, 8, 8))),  # moved to the left side
        (0, binop("-", circle(6, 8, 8), circle(2, 3, 3))),  # the root rebuilt
        (20, num(5)),  # a value inside it
    ],
)
def test_every_kind_of_protected_edit_would_break_the_lock(pos, replacement):
    assert pos in protected_positions(EXAMPLE, [18])
    assert not locks_kept(EXAMPLE, [18], Edit(pos, replacement).apply(EXAMPLE))


@settings(max_examples=150)
@given(locked_programs(), st.integers(0, 2**32 - 1))
def test_every_unprotected_edit_keeps_every_lock(case, seed):
    program, locks = case
    rng = np.random.default_rng(seed)
    protected = protected_positions(program, locks)
    for pos, node in walk(program):
        if pos in protected:
            continue
        edit = Edit(pos, random_replacement(rng, node))
        after = edit.apply(program)
        shifted = shift_for_edit(frozenset(locks), edit, node.size)
        _assert_kept(program, locks, after)
        assert follow_locks(program, locks, after) == shifted


# ----- every automatic path --------------------------------------------------------------


@settings(max_examples=150)
@given(locked_programs(), st.integers(0, 2**32 - 1))
def test_constrained_decoding_keeps_every_lock(case, seed):
    program, locks = case
    constraint = EditConstraint(program, locks)
    assert set(constraint.positions) == set(positions(program)) - protected_positions(
        program, locks
    )
    if not constraint.positions:
        return
    rng = np.random.default_rng(seed)
    for _ in range(5):
        pos, new = constraint.random_edit(rng)
        _assert_kept(program, locks, replace_at(program, pos, new))


@settings(max_examples=100)
@given(locked_programs(), st.integers(0, 2**32 - 1))
def test_random_mutations_keep_every_lock(case, seed):
    program, locks = case
    rng = np.random.default_rng(seed)
    target = Target(render(program))
    [proposals] = RandomMutationProposer().propose(target, [program], 6, rng, [frozenset(locks)])
    for prop in proposals:
        after = prop.edit.apply(program)
        old_size = node_at(program, prop.edit.pos).size
        moved = sorted(shift_for_edit(frozenset(locks), prop.edit, old_size))
        _assert_kept(program, locks, after, dict(zip(sorted(locks), moved, strict=True)))


@settings(max_examples=40, deadline=None)
@given(locked_programs(), programs)
def test_refinement_keeps_every_lock(case, goal):
    program, locks = case
    res = refine(program, Target(render(goal)), budget=400, locked=locks)
    _assert_kept(program, locks, res.program, {p: p for p in locks})  # leaf edits: no shift


@settings(max_examples=40, deadline=None)
@given(locked_programs(), programs, st.sampled_from([0.0, 1.0]))
def test_tidy_keeps_every_lock(case, goal, tolerance):
    program, locks = case
    tidied, _ = tidy(program, Target(render(goal), tolerance=tolerance), locked=locks)
    _assert_kept(program, locks, tidied)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> PolicyModel:
    path = tmp_path_factory.mktemp("model") / "fake.onnx"
    build_fake_policy(path, seed=3)
    return PolicyModel.load(path, intra_op_threads=1)


class _Checking:
    """Wraps a proposer and checks that every proposal keeps every lock."""

    def __init__(self, proposer):
        self.proposer, self.proposals = proposer, 0

    def propose(self, target, programs, n, rng, locked):
        out = self.proposer.propose(target, programs, n, rng, locked)
        for program, lock, props in zip(programs, locked, out, strict=True):
            for prop in props:
                after = prop.edit.apply(program)
                old_size = node_at(program, prop.edit.pos).size
                moved = sorted(shift_for_edit(lock, prop.edit, old_size))
                _assert_kept(program, lock, after, dict(zip(sorted(lock), moved, strict=True)))
                self.proposals += 1
        return out

    def values(self, target, programs):
        return self.proposer.values(target, programs)


@pytest.mark.parametrize("strategy", [beam_search, rollouts])
@pytest.mark.parametrize("use_model", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_search_results_keep_every_lock(strategy, use_model, seed, model):
    rng = np.random.default_rng(seed)
    start = parse("(+ (- (Quad 8 8 6 5 45) (Circle 2 8 8)) (+ (Circle 3 3 12) (Quad 12 4 2 3 0)))")
    locks = [12, 27]  # the hole (Circle 2 8 8) and the quad at the far right
    assert node_at(start, 12) == circle(2, 8, 8) and node_at(start, 27).kind == "Quad"
    target = Target(render(parse("(+ (Circle 6 8 8) (Quad 12 4 2 3 0))")))
    proposer = _Checking(PolicyProposer(model) if use_model else RandomMutationProposer())
    cfg = SearchConfig(
        beam_width=8, budget=400 if use_model else 800, refine=True, refine_calls=150
    )
    events = list(strategy(target, proposer, rng, cfg, start=start, locked=locks))
    assert proposer.proposals > 0
    for event in events:
        _assert_kept(start, locks, event.program)


# ----- the filed bug: a locked hole became material --------------------------------------


def _flip_favouring_target() -> Target:
    """The quad without the hole: flipping the root's '-' to '+' solves it outright."""
    return Target(render(parse("(+ (Quad 8 8 6 6 0) (Circle 3 8 8))")))


def test_unlocked_the_flip_is_what_solves_the_target():
    events = list(
        beam_search(
            _flip_favouring_target(),
            RandomMutationProposer(),
            np.random.default_rng(0),
            SearchConfig(beam_width=8, budget=600, refine=True),
            start=HOLED,
        )
    )
    assert events[-1].solved and events[-1].program.children[0].value == "+"


@pytest.mark.parametrize("use_model", [False, True])
@pytest.mark.parametrize("refine_on", [False, True])
def test_a_locked_hole_is_never_flipped_by_a_search(use_model, refine_on, model):
    target = _flip_favouring_target()
    proposer = _Checking(PolicyProposer(model) if use_model else RandomMutationProposer())
    cfg = SearchConfig(beam_width=8, budget=600, refine=refine_on)
    events = list(
        beam_search(target, proposer, np.random.default_rng(0), cfg, start=HOLED, locked=[HOLE])
    )
    assert proposer.proposals > 0 and events[-1].calls > 100
    for event in events:
        assert event.program.children[0].value == "-"
        assert event.program.children[2] == node_at(HOLED, HOLE)
    assert not events[-1].solved


def test_refine_and_tidy_never_flip_a_locked_hole():
    target = _flip_favouring_target()
    assert refine(HOLED, target).program.children[0].value == "+"  # unlocked: one flip
    assert refine(HOLED, target, locked=[HOLE]).program.children[0].value == "-"
    passenger = parse("(- (Quad 8 8 6 6 0) (Circle 1 1 1))")  # the cut misses the quad
    quad_only = Target(render(parse("(Quad 8 8 6 6 0)")))
    assert tidy(passenger, quad_only)[0] == parse("(Quad 8 8 6 6 0)")
    assert tidy(passenger, quad_only, locked=[HOLE])[0] == passenger


# ----- hand edits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acted", "edit", "conflicts"),
    [
        (9, Edit(9, op("-")), [18]),  # the operator above the locked circle
        (1, Edit(1, op("+")), [18]),  # the root's operator
        (20, Edit(20, num(5)), []),  # a value of the locked circle: the user's own
        (18, Edit(18, binop("-", circle(2, 3, 3), circle(1, 3, 3))), []),  # wrap it
        (10, Edit(8, circle(2, 3, 3)), [18]),  # delete its sibling
        (18, Edit(8, parse("(Quad 8 8 4 4 45)")), []),  # delete it: the user's own
        (2, Edit(0, parse("(+ (Quad 8 8 4 4 45) (Circle 2 3 3))")), [18]),  # delete the far one
        (4, Edit(4, num(9)), []),  # a value elsewhere
        (2, Edit(2, binop("+", circle(6, 8, 8), circle(3, 8, 8))), []),  # wrap elsewhere
    ],
)
def test_hand_edits_may_change_a_locked_node_but_not_what_is_above_it(acted, edit, conflicts):
    assert hand_edit_conflicts(EXAMPLE, [18], acted, edit.apply(EXAMPLE)) == conflicts


def test_nested_locks_the_inner_one_keeps_its_operators():
    # the whole (+ Quad Circle) is locked, and the circle inside it too
    assert hand_edit_conflicts(EXAMPLE, [8], 9, Edit(9, op("-")).apply(EXAMPLE)) == []
    assert hand_edit_conflicts(EXAMPLE, [8, 18], 9, Edit(9, op("-")).apply(EXAMPLE)) == [18]


def test_the_refusal_names_the_locked_shape_and_says_unlock():
    text = conflict_message(EXAMPLE, [18])
    assert "(Circle 2 3 3)" in text and "Unlock" in text
