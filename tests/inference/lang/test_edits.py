"""The edit value: apply, inverse, validation and printing."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inference.lang.edits import Edit
from inference.lang.syntax import parse, to_text
from inference.lang.tree import circle, node_at, num, op, positions, walk
from tests.strategies import programs

TREE = parse("(+ (Circle 1 2 3) (Quad 4 5 6 7 45))")
# Tokens: ( + ( Circle 1 2 3 ) ( Quad 4 5 6 7 45 ) )
#         0 1 2 3      4 5 6 7 8 9    10 ...


def test_apply_replaces_the_node_at_pos():
    assert to_text(Edit(4, num(9)).apply(TREE)) == "(+ (Circle 9 2 3) (Quad 4 5 6 7 45))"
    assert to_text(Edit(1, op("-")).apply(TREE)) == "(- (Circle 1 2 3) (Quad 4 5 6 7 45))"
    assert Edit(0, circle(1, 1, 1)).apply(TREE) == circle(1, 1, 1)
    new = Edit(8, TREE).apply(TREE)
    assert to_text(new) == "(+ (Circle 1 2 3) (+ (Circle 1 2 3) (Quad 4 5 6 7 45)))"


def test_str():
    assert str(Edit(4, circle(1, 2, 3))) == "@4 -> (Circle 1 2 3)"
    assert str(Edit(1, op("-"))) == "@1 -> -"


def test_old_node():
    assert Edit(2, num(0)).old_node(TREE) == circle(1, 2, 3)
    assert Edit(14, num(0)).old_node(TREE).value == 45


@pytest.mark.parametrize("pos", [3, 7, 9, 16, 17, 100, -1])
def test_validate_rejects_positions_that_start_no_node(pos):
    # 3 is "Circle", 7 and 16 are ")", 9 is "Quad", 17 and beyond are past the end.
    edit = Edit(pos, num(1))
    with pytest.raises(ValueError, match=f"no node starts at token {pos}"):
        edit.validate(TREE)
    with pytest.raises(ValueError, match=f"no node starts at token {pos}"):
        edit.apply(TREE)
    with pytest.raises(ValueError):
        edit.old_node(TREE)


@pytest.mark.parametrize(
    ("pos", "replacement", "words"),
    [(4, circle(1, 2, 3), "shape.*num"), (2, num(3), "num.*shape"), (1, num(3), "num.*op")],
)
def test_validate_rejects_the_wrong_nonterminal(pos, replacement, words):
    edit = Edit(pos, replacement)
    with pytest.raises(ValueError, match=words):
        edit.validate(TREE)
    with pytest.raises(ValueError, match=words):
        edit.apply(TREE)


def test_edits_are_frozen_values():
    a, b = Edit(4, num(9)), Edit(4, num(9))
    assert a == b and hash(a) == hash(b) and a != Edit(5, num(9))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.pos = 3


@st.composite
def tree_and_edit(draw):
    """A program and a valid edit of it: a subtree of another program in a matching slot."""
    tree = draw(programs)
    pos, old = draw(st.sampled_from(list(walk(tree))))
    donors = [n for _, n in walk(draw(programs)) if n.nonterminal == old.nonterminal]
    return tree, Edit(pos, draw(st.sampled_from(donors)))


@given(tree_and_edit())
def test_inverse_reverts_exactly(case):
    tree, edit = case
    edit.validate(tree)
    new, inverse = edit.apply_with_inverse(tree)
    assert parse(to_text(new)) == new
    assert node_at(new, edit.pos) == edit.replacement
    assert inverse.old_node(new) == edit.replacement
    assert inverse.apply(new) == tree
    assert inverse.replacement == edit.old_node(tree)
    assert new.size == tree.size - inverse.replacement.size + edit.replacement.size


@given(programs)
def test_every_node_start_validates(tree):
    for pos in positions(tree):
        node = node_at(tree, pos)
        Edit(pos, node).validate(tree)
        assert Edit(pos, node).apply(tree) == tree
