"""The small-subtree count (σ of the noise rules) in CSG2D and TinySVG."""

from hypothesis import given

from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.tinysvg import arrange, ellipse, move, parse_tinysvg, rectangle
from inference.lang.tree import node_at, walk
from inference.noise.mutations import mutable_nodes
from inference.noise.small_subtrees import (
    counting_grammar,
    small_counts,
    small_groups,
    small_sigma,
)
from tests.inference.noise.svg_strategies import drawings
from tests.strategies import programs

R = rectangle(3, 4, "red")
E = ellipse(2, 2, "blue", "black", 2)


def _brute(node):
    kinds = node.grammar.small_subtree_kinds
    return sum(n.kind in kinds for _, n in walk(node))


def test_tinysvg_sigma_classes():
    assert small_sigma(R) == small_sigma(E) == 1
    assert small_sigma(move(R, 1, 2)) == 2
    assert small_sigma(arrange("h", R, E)) == 2
    assert small_sigma(move(move(R, 1, 1), 1, 1)) == 3  # σ (rectangles, ellipses) is 1
    assert small_sigma(arrange("v", move(R, 1, 1), E)) == 3
    assert small_sigma(R.children[2]) == 0


@given(drawings)
def test_small_sigma_counts_rectangles_ellipses_and_moves(tree):
    assert small_sigma(tree) == _brute(tree)


@given(programs)
def test_csg2d_small_sigma_is_sigma(tree):
    assert small_sigma(tree) == tree.sigma
    assert counting_grammar(CSG2D) is CSG2D


@given(drawings)
def test_groups_are_exactly_the_small_nodes(tree):
    groups = small_groups(tree)
    assert mutable_nodes(tree) == groups
    expected = [(pos, n) for pos, n in walk(tree) if _brute(n) <= 2]
    assert [item for group in groups for item in group] == sorted(
        expected, key=lambda item: (_brute(item[1]), item[0])
    )
    for sigma, group in enumerate(groups):
        assert all(_brute(n) == sigma and node_at(tree, pos) is n for pos, n in group)


def test_the_counts_each_slot_and_kind_allows():
    counts = small_counts(TINYSVG)
    assert counts["drawing"] == {1, 2}
    assert all(counts[nt] == {0} for nt in ("digit", "colour", "dir", "flag"))
    assert counts["Rectangle"] == counts["Ellipse"] == {1}
    assert counts["Move"] == counts["Arrange"] == {2}
    assert small_counts(CSG2D)["shape"] == {1, 2} and small_counts(CSG2D)["Binop"] == {2}


def test_the_counting_grammar_marks_moves_primitive():
    counting = counting_grammar(TINYSVG)
    assert counting.primitive_kinds == {"Rectangle", "Ellipse", "Move"}
    assert counting.kinds == TINYSVG.kinds
    tree = parse_tinysvg("(Move (Rectangle 1 1 red none 0) 1 1 true false)")
    assert tree.grammar is TINYSVG  # the copy is not registered
