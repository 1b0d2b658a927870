"""Grammar-constrained edit decoding: every sequence the masks allow is a valid edit."""

import numpy as np
import pytest
from hypothesis import given

from inference.lang.lock_rules import locks_kept, protected_positions
from inference.lang.syntax import parse
from inference.lang.tree import SHAPE, binop, circle, node_at, positions, quad, replace_at, walk
from inference.model.grammar_constraint import EditConstraint, random_constrained_edit
from inference.model.tokens import (
    CIRCLE_ID,
    EOS,
    LPAREN,
    MAX_REPLACEMENT_TOKENS,
    MAX_TOKENS,
    MINUS,
    PAD,
    PLUS,
    POS_BASE,
    QUAD_ID,
    RPAREN,
    TOKEN_ID,
    VOCAB_SIZE,
    encode_edit,
    encode_node,
    pos_id,
)
from tests.strategies import programs

EXAMPLE = parse("(- (Circle 6 8 8) (+ (Quad 8 8 4 4 45) (Circle 0 1 2)))")


def _random_program(rng, n):
    """A random program with exactly ``n`` primitives (test helper)."""
    if n == 1:
        v = rng.integers(0, 16, 4)
        if rng.random() < 0.5:
            return circle(*v[:3])
        return quad(*v, int(rng.integers(8)) * 45)
    k = int(rng.integers(1, n))
    return binop("+-"[rng.integers(2)], _random_program(rng, k), _random_program(rng, n - k))


def _spans_overlap(a, b, tree):
    return a < b + node_at(tree, b).size and b < a + node_at(tree, a).size


def _decode_randomly(constraint, rng):
    """Follow the masks with random choices, checking them at every step."""
    state = constraint.start()
    steps = 0
    while not state.done:
        mask = state.mask()
        assert mask.dtype == bool and mask.shape == (VOCAB_SIZE,)
        choices = np.flatnonzero(mask)
        assert len(choices) > 0, "dead end"
        if mask[EOS]:
            assert len(choices) == 1
        state.advance(int(choices[rng.integers(len(choices))]))
        steps += 1
        assert steps <= MAX_REPLACEMENT_TOKENS + 2
    assert state.mask()[PAD] and state.mask().sum() == 1
    return state.edit()


def test_start_mask_allows_exactly_node_starts():
    mask = EditConstraint(EXAMPLE).start().mask()
    allowed = set(np.flatnonzero(mask))
    assert allowed == {pos_id(p) for p in positions(EXAMPLE)}
    assert not mask[pos_id(7)] and not mask[pos_id(3)] and not mask[pos_id(EXAMPLE.size)]


@given(programs)
def test_start_mask_matches_positions(tree):
    constraint = EditConstraint(tree)
    assert constraint.positions == positions(tree)
    assert set(np.flatnonzero(constraint.start_mask)) == {pos_id(p) for p in positions(tree)}


def test_thousands_of_random_edits_are_valid():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        tree = _random_program(rng, int(rng.integers(1, 10)))
        nodes = positions(tree)
        locked = [int(p) for p in rng.choice(nodes, size=rng.integers(0, 3), replace=False)]
        locked = [p for p in locked if p != 0]
        constraint = EditConstraint(tree, locked, forbid_noop=bool(rng.integers(2)))
        if not constraint.positions:  # the locks protect every node (e.g. both operands)
            assert protected_positions(tree, locked) == set(nodes)
            continue
        pos, new = _decode_randomly(constraint, rng)
        old = node_at(tree, pos)
        assert new.nonterminal == old.nonterminal
        assert new.size <= MAX_REPLACEMENT_TOKENS and new.sigma <= 2
        if constraint.forbid_noop:
            assert new != old
        edited = replace_at(tree, pos, new)
        assert node_at(edited, pos) == new and edited.size <= MAX_TOKENS
        shift = new.size - old.size
        for lp in locked:
            assert not _spans_overlap(pos, lp, tree)
            assert node_at(edited, lp + shift if lp > pos else lp) == node_at(tree, lp)
        assert locks_kept(tree, locked, edited)


def test_locked_nodes_forbid_their_span_ancestors_and_ancestor_operators():
    # Lock the quad at 10: forbidden are 10..17 (itself, inside), 8 and 0 (ancestors)
    # and 9 and 1 (the ancestors' operators): the quad stays material cut from the circle.
    constraint = EditConstraint(EXAMPLE, [10])
    assert constraint.positions == [2, 4, 5, 6, 18, 20, 21, 22]
    for forbidden in (8, 1, 9):
        with pytest.raises(ValueError, match="not allowed"):
            constraint.start().advance(pos_id(forbidden))


def test_a_locked_hole_keeps_its_difference():
    # The filed bug: the hole (Circle 2 8 8) was locked and the root '-' became '+'.
    program = parse("(- (Quad 8 8 6 6 0) (Circle 2 8 8))")
    constraint = EditConstraint(program, [10])
    assert constraint.positions == [2, 4, 5, 6, 7, 8]  # the quad and its values only
    rng = np.random.default_rng(5)
    for _ in range(200):
        pos, new = constraint.random_edit(rng)
        assert replace_at(program, pos, new).children[0].value == "-"


def test_nothing_editable_raises():
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="no position"):
        random_constrained_edit(EXAMPLE, rng, [0])
    with pytest.raises(KeyError):
        EditConstraint(EXAMPLE, [7])


def test_replacement_follows_the_slot_grammar():
    constraint = EditConstraint(EXAMPLE)
    ids = lambda *names: {TOKEN_ID[n] for n in names}  # noqa: E731
    assert set(constraint.allowed([pos_id(9)]).nonzero()[0]) == ids("+", "-")
    assert set(constraint.allowed([pos_id(16)]).nonzero()[0]) == {
        TOKEN_ID[f"A{a}"] for a in range(0, 360, 45)
    }
    assert set(constraint.allowed([pos_id(4)]).nonzero()[0]) == {
        TOKEN_ID[str(v)] for v in range(16)
    }
    assert set(constraint.allowed([pos_id(4), TOKEN_ID["3"]]).nonzero()[0]) == {EOS}
    assert set(constraint.allowed([pos_id(2)]).nonzero()[0]) == {LPAREN}
    assert set(constraint.allowed([pos_id(2), LPAREN]).nonzero()[0]) == {
        CIRCLE_ID,
        QUAD_ID,
        PLUS,
        MINUS,
    }
    circle_prefix = [pos_id(2), LPAREN, CIRCLE_ID, TOKEN_ID["1"], TOKEN_ID["2"], TOKEN_ID["3"]]
    assert set(constraint.allowed(circle_prefix).nonzero()[0]) == {RPAREN}
    assert set(constraint.allowed(circle_prefix + [RPAREN]).nonzero()[0]) == {EOS}
    with pytest.raises(ValueError):
        constraint.allowed([pos_id(2), LPAREN, CIRCLE_ID, EOS])


def test_budget_forces_short_completions():
    constraint = EditConstraint(EXAMPLE)
    # Inside a binop the 19-token budget fits two quads but no nested binop.
    prefix = [pos_id(0), LPAREN, PLUS, LPAREN]
    assert set(constraint.allowed(prefix).nonzero()[0]) == {CIRCLE_ID, QUAD_ID}
    q = [QUAD_ID] + [TOKEN_ID["1"]] * 4 + [TOKEN_ID["A0"], RPAREN]
    assert set(constraint.allowed(prefix + q + [LPAREN]).nonzero()[0]) == {CIRCLE_ID, QUAD_ID}
    wide = EditConstraint(EXAMPLE, max_replacement_tokens=24)
    assert set(wide.allowed(prefix).nonzero()[0]) == {CIRCLE_ID, QUAD_ID, PLUS, MINUS}
    c = [CIRCLE_ID] + [TOKEN_ID["1"]] * 3 + [RPAREN]
    nested = prefix + [PLUS, LPAREN] + c + [LPAREN]  # (+ (+ (Circle ...) (
    assert set(wide.allowed(nested).nonzero()[0]) == {CIRCLE_ID}
    assert set(wide.allowed(nested + c).nonzero()[0]) == {RPAREN}
    assert set(wide.allowed(nested + c + [RPAREN, LPAREN]).nonzero()[0]) == {CIRCLE_ID}
    small = EditConstraint(EXAMPLE, max_replacement_tokens=7)
    assert set(small.allowed([pos_id(0), LPAREN]).nonzero()[0]) == {CIRCLE_ID}
    assert 0 not in EditConstraint(EXAMPLE, max_replacement_tokens=5).positions


def test_program_length_limit_is_respected():
    rng = np.random.default_rng(2)
    tree = quad(1, 1, 1, 1, 0)
    while tree.size + 11 <= MAX_TOKENS:
        tree = binop("+", tree, quad(2, 2, 2, 2, 90))
    constraint = EditConstraint(tree)
    for _ in range(300):
        pos, new = _decode_randomly(constraint, rng)
        assert replace_at(tree, pos, new).size <= MAX_TOKENS
    with pytest.raises(ValueError):
        EditConstraint(binop("+", tree, tree))


def test_forbid_noop_masks_the_last_free_token_only():
    constraint = EditConstraint(EXAMPLE, forbid_noop=True)
    assert not constraint.allowed([pos_id(4)])[TOKEN_ID["6"]]
    assert set(constraint.allowed([pos_id(9)]).nonzero()[0]) == {TOKEN_ID["-"]}
    orig = encode_node(node_at(EXAMPLE, 8))  # (+ (Quad 8 8 4 4 45) (Circle 0 1 2))
    state = constraint.start()
    state.advance(pos_id(8))
    for i, t in enumerate(orig):
        mask = state.mask()
        if i == len(orig) - 3:  # the circle's y: the last free choice
            assert not mask[t] and mask.sum() == 15
            break
        assert mask[t]
        state.advance(t)
    assert EditConstraint(EXAMPLE).allowed([pos_id(4)])[TOKEN_ID["6"]]


def test_incremental_and_prefix_forms_agree():
    rng = np.random.default_rng(3)
    constraint = EditConstraint(EXAMPLE, [18], forbid_noop=True)
    for _ in range(50):
        state = constraint.start()
        prefix = []
        while not state.done:
            assert np.array_equal(state.mask(), constraint.allowed(prefix))
            copy = state.copy()
            t = int(rng.choice(state.allowed_ids()))
            state.advance(t)
            prefix.append(t)
            assert not np.array_equal(copy.ids, state.ids)
        assert state.ids == encode_edit(*state.edit())


def test_random_constrained_edit_is_reproducible_and_varied():
    edits = [random_constrained_edit(EXAMPLE, np.random.default_rng(s)) for s in range(40)]
    again = [random_constrained_edit(EXAMPLE, np.random.default_rng(s)) for s in range(40)]
    assert edits == again
    assert len({p for p, _ in edits}) > 5
    assert any(node_at(EXAMPLE, p).nonterminal == SHAPE for p, _ in edits)
    for pos, new in edits:
        assert new != node_at(EXAMPLE, pos)


def test_masks_are_read_only():
    mask = EditConstraint(EXAMPLE).start().mask()
    with pytest.raises(ValueError):
        mask[0] = True
    assert POS_BASE + EXAMPLE.size <= VOCAB_SIZE


@given(programs)
def test_every_slot_can_be_decoded(tree):
    rng = np.random.default_rng(tree.size)
    constraint = EditConstraint(tree, forbid_noop=True)
    for pos, node in walk(tree):
        state = constraint.start()
        state.advance(pos_id(pos))
        while not state.done:
            state.advance(int(rng.choice(state.allowed_ids())))
        got_pos, new = state.edit()
        assert got_pos == pos and new.nonterminal == node.nonterminal and new != node
