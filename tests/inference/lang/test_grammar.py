"""Grammars as data: the two built-in grammars, the registry, and random trees of any grammar."""

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inference.lang import tree
from inference.lang.grammar import (
    CANONICAL,
    COMPACT,
    CSG2D,
    GRAMMAR_OF,
    GRAMMARS,
    LAYOUT,
    TINYSVG,
    Grammar,
    LeafDomain,
    Production,
    Spelling,
    grammar_named,
    register,
)
from inference.lang.random_trees import random_tree
from inference.lang.syntax import parse, to_text, token_strings
from inference.lang.tree import Node, node_at, walk


def test_csg2d_is_the_language_of_design_md():
    assert CSG2D.start == tree.SHAPE
    assert [p.kind for p in CSG2D.productions_of(tree.SHAPE)] == [
        tree.CIRCLE,
        tree.QUAD,
        tree.BINOP,
    ]
    assert CSG2D.production(tree.CIRCLE).children == (tree.NUM,) * 3
    assert CSG2D.production(tree.QUAD).children == (tree.NUM,) * 4 + (tree.ANGLE,)
    assert CSG2D.production(tree.BINOP).keyword is None
    assert CSG2D.production(tree.BINOP).children == (tree.OP, tree.SHAPE, tree.SHAPE)
    assert CSG2D.domain(tree.NUM).values == tuple(range(16)) == tree.NUM_VALUES
    assert CSG2D.domain(tree.ANGLE).values == (0, 45, 90, 135, 180, 225, 270, 315)
    assert CSG2D.domain(tree.OP).values == ("+", "-") == tree.OP_VALUES
    assert CSG2D.primitive_kinds == {tree.CIRCLE, tree.QUAD} == CSG2D.small_subtree_kinds
    assert CSG2D.syntaxes == (CANONICAL, COMPACT)
    assert CSG2D.head_tokens(tree.SHAPE) == ["Circle", "Quad", "+", "-"]
    assert tree.FIELDS == {tree.CIRCLE: ("r", "x", "y"), tree.QUAD: ("x", "y", "w", "h", "angle")}
    assert CSG2D.domain(tree.ANGLE).spelling(COMPACT).texts == tuple("GHIJKLMN")
    assert CSG2D.domain(tree.OP).spelling(COMPACT).texts == ("+", "-")  # the canonical one


def test_tinysvg_is_the_language_of_issue_17():
    assert TINYSVG.start == "drawing"
    kinds = [p.kind for p in TINYSVG.productions_of("drawing")]
    assert kinds == ["Rectangle", "Ellipse", "Arrange", "Move"]
    item = ("digit", "digit", "colour", "colour", "digit")
    assert TINYSVG.production("Rectangle").children == item
    assert TINYSVG.production("Ellipse").children == item
    assert TINYSVG.production("Arrange").children == ("dir", "drawing", "drawing", "digit")
    assert TINYSVG.production("Move").children == ("drawing", "digit", "digit", "flag", "flag")
    assert TINYSVG.domain("digit").values == tuple(range(10))
    assert TINYSVG.domain("dir").values == ("h", "v")
    assert TINYSVG.domain("flag").values == (False, True)
    assert set(TINYSVG.domain("colour").values) == {
        "red", "green", "blue", "yellow", "purple", "orange", "black", "white", "none",
    }  # fmt: skip
    assert TINYSVG.primitive_kinds == {"Rectangle", "Ellipse"}
    assert TINYSVG.small_subtree_kinds == {"Rectangle", "Ellipse", "Move"}
    assert TINYSVG.syntaxes == (CANONICAL,)
    assert TINYSVG.production("Move").fields == ("child", "x", "y", "negx", "negy")


def test_kinds_and_nonterminals_are_unique_across_languages():
    assert not set(CSG2D.kinds) & set(TINYSVG.kinds)
    assert not set(CSG2D.nonterminals) & set(TINYSVG.nonterminals)
    for g in (CSG2D, TINYSVG):
        assert GRAMMARS[g.name] is g
        assert all(GRAMMAR_OF[k] is g for k in g.kinds)
    assert grammar_named("tinysvg") is TINYSVG and grammar_named("csg2d") is CSG2D
    with pytest.raises(KeyError):
        grammar_named("postscript")


def test_register_refuses_what_is_taken_and_accepts_the_same_grammar_again():
    assert register(CSG2D) is CSG2D
    thief = Grammar(
        "Thief",
        "thing",
        (Production("Circle", "thing", "Blob", ("count",), primitive=True),),
        (LeafDomain("Count", "count", (0, 1), {CANONICAL: Spelling(("0", "1"), "0/1", "?")}, "?"),),
    )
    with pytest.raises(ValueError, match="Circle"):
        register(thief)
    assert "Thief" not in GRAMMARS and "Count" not in LAYOUT


def _domain(kind="Bit", nt="bit", texts=("0", "1")):
    return LeafDomain(kind, nt, (0, 1), {CANONICAL: Spelling(texts, "a bit", "no bit")}, "a bit")


@pytest.mark.parametrize(
    "productions, leaves, fragment",
    [
        ((Production("A", "x", "A", ("bit",)),), (_domain(),), "start"),
        ((Production("A", "s", "A", ("nope",)),), (_domain(),), "unknown children"),
        ((Production("A", "s", None, ("s",)),), (_domain(),), "no keyword"),
        (
            (Production("A", "s", "A", ("bit",)), Production("A", "s", "B", ())),
            (_domain(),),
            "twice",
        ),
        (
            (Production("A", "s", "A", ("bit",)), Production("B", "s", "A", ("bit",))),
            (_domain(),),
            "head token",
        ),
        ((Production("A", "s", "A", ("bit",)),), (_domain(texts=("0", "0")),), "distinct"),
        ((Production("A", "s", "A", ("bit",), fields=("a", "b")),), (_domain(),), "field"),
    ],
)
def test_grammars_are_checked(productions, leaves, fragment):
    with pytest.raises(ValueError, match=fragment):
        Grammar("Toy", "s", productions, leaves)


def test_layout_is_what_the_tokens_say():
    # ( Circle r x y ): 6 tokens, children from offset 2; ( op A B ): 3 + |A| + |B|, from offset 1
    c = tree.circle(1, 2, 3)
    assert (c.size, c.sigma, c.child_offsets()) == (6, 1, (2, 3, 4))
    b = tree.binop("-", c, tree.quad(1, 2, 3, 4, 45))
    assert (b.size, b.sigma, b.child_offsets()) == (17, 2, (1, 2, 8))
    assert LAYOUT[tree.BINOP] == (3, 0, (1, 2)) and LAYOUT[tree.NUM_LEAF] is None
    assert LAYOUT["Rectangle"] == (8, 1, ()) and LAYOUT["Arrange"] == (5, 0, (1, 2))
    assert LAYOUT["Move"] == (7, 0, (0,))


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown node kind"):
        Node("Triangle", None, ())


def test_make_checks_the_production():
    two = tree.make(tree.CIRCLE, tree.num(1), tree.num(2), tree.num(3))
    assert two == tree.circle(1, 2, 3)
    with pytest.raises(ValueError):
        tree.make(tree.CIRCLE, tree.num(1), tree.num(2))
    with pytest.raises(ValueError):
        tree.make(tree.QUAD, *(tree.num(1),) * 5)  # the angle slot takes an angle
    with pytest.raises(KeyError):
        tree.make(tree.NUM_LEAF)


def test_leaf_covers_every_language():
    assert tree.leaf(tree.NUM, 3) is tree.num(3)
    assert tree.leaf("flag", True).value is True and tree.leaf("digit", 9).value == 9
    assert tree.leaf("colour", "red") is tree.leaf("colour", "red")
    for nt, value in [("digit", 10), ("flag", 1), ("digit", True), ("colour", "pink")]:
        with pytest.raises(ValueError):
            tree.leaf(nt, value)
    with pytest.raises(ValueError, match="out of range"):
        tree.leaf(tree.NUM, 16)
    with pytest.raises(KeyError):
        tree.leaf("drawing", 1)


@pytest.mark.parametrize("grammar", [CSG2D, TINYSVG], ids=lambda g: g.name)
@pytest.mark.parametrize("seed", range(4))
def test_random_trees_have_the_count_asked_for(grammar, seed):
    rng = np.random.default_rng(seed)
    for n in range(1, 9):
        t = random_tree(grammar, rng, n)
        assert t.sigma == n and t.nonterminal == grammar.start
        toks = token_strings(t)
        assert len(toks) == t.size
        assert sum(toks.count(k) for k in grammar.primitive_kinds) == n
        assert parse(to_text(t), grammar=grammar) == t
        for pos, node in walk(t):
            assert node_at(t, pos) is node
            assert toks[pos : pos + node.size] == token_strings(node)
        assert pickle.loads(pickle.dumps(t)) == t


def test_random_trees_of_every_nonterminal():
    rng = np.random.default_rng(0)
    for grammar in (CSG2D, TINYSVG):
        for nt in grammar.nonterminals:
            n = 0 if grammar.is_leaf(nt) else 2
            assert random_tree(grammar, rng, n, nt).nonterminal == nt
    with pytest.raises(ValueError, match="primitives"):
        random_tree(TINYSVG, rng, 0)
    with pytest.raises(ValueError, match="primitives"):
        random_tree(CSG2D, rng, 1, tree.NUM)


def test_random_csg2d_trees_follow_random_programs():
    """One primitive: a circle or a quad, half each; more: a binop with a uniform split."""
    rng = np.random.default_rng(1)
    kinds = [random_tree(CSG2D, rng, 1).kind for _ in range(2000)]
    assert 900 < kinds.count(tree.CIRCLE) < 1100
    lefts = [random_tree(CSG2D, rng, 5).children[1].sigma for _ in range(2000)]
    assert {*lefts} == {1, 2, 3, 4} and all(400 < lefts.count(k) < 600 for k in range(1, 5))


_TOY = """
from inference.lang.grammar import CANONICAL, Grammar, LeafDomain, Production, Spelling, register
from inference.lang.syntax import ParseError, detect_language, parse
from inference.lang.tree import node_at, replace_at, to_text, token_strings, walk

bit = Spelling(("0", "1"), "a bit", "expected a bit, found '{found}'")
toy = register(Grammar(
    "Toy",
    "toy",
    (
        Production("Triple", "toy", "Triple", ("toy", "toybit", "toy", "toy")),
        Production("Pick", "toy", None, ("toybit", "toy")),
        Production("Dot", "toy", "Dot", (), primitive=True),
    ),
    (LeafDomain("ToyBit", "toybit", (0, 1), {CANONICAL: bit}, "a bit"),),
))
text = "(Triple (Dot) 1 (0 (Dot)) (Triple (Dot) 0 (Dot) (1 (Dot))))"
t = parse(text, grammar=toy)
toks = token_strings(t)
assert to_text(t) == text and t.sigma == 5 and t.size == len(toks) == 29, (t.size, toks)
assert t.child_offsets() == (2, 5, 6, 12)
for pos, node in walk(t):
    assert node_at(t, pos) is node and toks[pos : pos + node.size] == token_strings(node)
    assert replace_at(t, pos, node) == t
assert detect_language(text) is toy
try:
    parse("(Triple (Dot) 2", grammar=toy)
except ParseError as e:
    assert str(e) == "line 1, column 15: expected a bit, found '2'", str(e)
try:
    parse("(Dot)")
except ParseError as e:
    assert str(e).endswith("found 'Dot', which is Toy, not CSG2D"), str(e)
print("ok")
"""


def test_a_third_grammar_registered_later_works_throughout():
    """Three inner children, a leading leaf, no children at all; in a process of its own,
    so that the registry of this one keeps the two languages."""
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", _TOY], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "ok", done.stderr
