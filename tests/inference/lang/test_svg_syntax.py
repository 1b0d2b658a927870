"""TinySVG's text and tree: printing, parsing, positions, errors, limits, language detection."""

import numpy as np
import pytest

from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.syntax import (
    MAX_DEPTH,
    MAX_PRIMITIVES,
    ParseError,
    detect_language,
    parse,
    to_text,
    token_strings,
)
from inference.lang.tinysvg import (
    ARRANGE,
    MOVE,
    RECTANGLE,
    arrange,
    colour,
    digit,
    ellipse,
    flag,
    move,
    parse_tinysvg,
    rectangle,
)
from inference.lang.tree import node_at, parent_of, positions, primitives, replace_at, walk
from tests.inference.bounds import within

EXAMPLE = "(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue black 2) 1)"


def test_example_reads_and_prints():
    t = parse_tinysvg(EXAMPLE)
    assert t == arrange(
        "h", rectangle(3, 4, "red", "none", 0), ellipse(2, 2, "blue", "black", 2), 1
    )
    assert to_text(t) == EXAMPLE
    assert t.kind == ARRANGE and t.sigma == 2 and t.size == 3 + 8 + 8 + 2
    assert parse(EXAMPLE, grammar=TINYSVG) == t


@pytest.mark.parametrize("seed", range(8))
def test_random_programs_round_trip(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        t = random_tree(TINYSVG, rng, int(rng.integers(1, 9)))
        text = to_text(t)
        assert parse_tinysvg(text) == t
        assert to_text(parse_tinysvg(text)) == text
        spaced = "\n ".join(token_strings(t)) + "\t\n"
        assert parse_tinysvg(spaced) == t  # whitespace is free


@pytest.mark.parametrize("seed", range(4))
def test_positions_are_token_indices(seed):
    rng = np.random.default_rng(100 + seed)
    for _ in range(20):
        t = random_tree(TINYSVG, rng, int(rng.integers(1, 7)))
        toks = token_strings(t)
        assert len(toks) == t.size
        assert [p for p, _ in walk(t)] == positions(t)
        starts = set(positions(t))
        for pos, node in walk(t):
            assert node_at(t, pos) is node
            assert toks[pos : pos + node.size] == token_strings(node)
            assert replace_at(t, pos, node) == t
        for pos in set(range(t.size)) - starts:
            with pytest.raises(KeyError):
                node_at(t, pos)
        assert t.sigma == toks.count("Rectangle") + toks.count("Ellipse")
        assert [p for p, _ in primitives(t)] == [
            p for p, n in walk(t) if n.kind in ("Rectangle", "Ellipse")
        ]


def test_the_nodes_are_what_a_renderer_reads():
    t = parse_tinysvg(
        "(Move (Arrange v (Rectangle 1 2 purple white 3) (Ellipse 4 5 none red 6) 7)"
        " 8 9 true false)"
    )
    assert t.kind == MOVE
    child, x, y, negx, negy = t.children
    assert (x.value, y.value, negx.value, negy.value) == (8, 9, True, False)
    assert negx.value is True and negy.value is False
    assert child.kind == ARRANGE
    d, first, second, gap = child.children
    assert (d.value, gap.value) == ("v", 7)
    assert first.kind == RECTANGLE
    assert [c.value for c in first.children] == [1, 2, "purple", "white", 3]
    assert [c.value for c in second.children] == [4, 5, "none", "red", 6]
    assert all(type(c.value) is int for c in (x, y, gap))


def test_edits_keep_positions():
    t = parse_tinysvg(EXAMPLE)
    # token 3 is the rectangle's "(", 7 its fill, 11 the ellipse
    assert node_at(t, 3).kind == RECTANGLE and node_at(t, 7) is colour("red")
    u = replace_at(t, 7, colour("green"))
    assert to_text(u) == EXAMPLE.replace("red", "green")
    moved = move(node_at(t, 11), 1, 2, negy=True)
    v = replace_at(t, 11, moved)
    assert to_text(v) == (
        "(Arrange h (Rectangle 3 4 red none 0) (Move (Ellipse 2 2 blue black 2) 1 2 false true) 1)"
    )
    assert node_at(v, 11) == moved and parent_of(v, 11) == 0
    with pytest.raises(ValueError):
        replace_at(t, 7, digit(3))  # a number cannot stand in a colour slot
    with pytest.raises(ValueError):
        replace_at(t, 0, parse("(Circle 1 2 3)"))  # nor a CSG2D shape in a drawing
    with pytest.raises(KeyError):
        replace_at(t, 4, digit(3))  # token 4 is "Rectangle", inside a node


def test_constructors_check_values():
    for bad in (
        lambda: digit(10),
        lambda: colour("pink"),
        lambda: flag(1),
        lambda: rectangle(1, 2, "red", "none", -1),
    ):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError):
        arrange("d", rectangle(1, 1, "red"), rectangle(1, 1, "red"))
    with pytest.raises(ValueError):
        move(digit(1), 1, 1)


@pytest.mark.parametrize(
    "text, line, column, message",
    [
        ("(Rectangle 10 4 red none 0)", 1, 12, "number 10 out of range 0..9"),
        ("(Rectangle 3 04 red none 0)", 1, 14, "expected a number 0..9, found '04'"),
        ("(Rectangle 3 4 pink none 0)", 1, 16, "found 'pink'"),
        ("(Arrange d (Ellipse 3 4 red none 0) (Ellipse 3 4 red none 0) 0)", 1, 10,
         "expected a direction ('h' or 'v'), found 'd'"),
        ("(Move (Ellipse 1 1 red red 1) 1 1 yes false)", 1, 35,
         "expected a flag ('false' or 'true'), found 'yes'"),
        ("(Move (Ellipse 1 1 red red 1) 1 1 true", 1, 39,
         "unexpected end of input, expected a flag"),
        ("(Ellipse 1\n 1 red", 2, 7, "unexpected end of input, expected a colour"),
        ("(Square 1 1 red red 1)", 1, 2,
         "expected 'Rectangle', 'Ellipse', 'Arrange' or 'Move', found 'Square'"),
        ("(Arrange h (Ellipse 1 1 red red 1) 1)", 1, 36, "expected '(', found '1'"),
        ("(Ellipse 1 1 red red 1 2)", 1, 24, "expected ')', found '2'"),
        ("(Ellipse 1 1 red red 1) x", 1, 25, "expected end of input, found 'x'"),
        ("", 1, 1, "unexpected end of input, expected '('"),
    ],
)  # fmt: skip
def test_errors_say_where_and_what(text, line, column, message):
    with pytest.raises(ParseError) as err:
        parse_tinysvg(text)
    assert (err.value.line, err.value.column) == (line, column)
    assert message in str(err.value)
    assert err.value.expected


def test_each_parser_refuses_the_other_language_and_says_so():
    with pytest.raises(ParseError) as err:
        parse(EXAMPLE)
    assert str(err.value) == (
        "line 1, column 2: expected 'Circle', 'Quad', '+' or '-', found 'Arrange', "
        "which is TinySVG, not CSG2D"
    )
    with pytest.raises(ParseError) as err:
        parse_tinysvg("(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    assert str(err.value) == (
        "line 1, column 2: expected 'Rectangle', 'Ellipse', 'Arrange' or 'Move', found '-', "
        "which is CSG2D, not TinySVG"
    )
    with pytest.raises(ParseError, match="found 'Circle', which is CSG2D"):
        parse_tinysvg("(Move (Circle 1 2 3) 1 1 true true)")
    with pytest.raises(ValueError, match="no compact syntax"):
        parse(EXAMPLE, syntax="compact", grammar=TINYSVG)


def test_depth_is_limited():
    rect = "(Rectangle 1 1 red none 0)"
    ok = "(Move " * MAX_DEPTH + rect + " 0 0 false false)" * MAX_DEPTH
    assert parse_tinysvg(ok).size == 8 + 7 * MAX_DEPTH
    deeper = "(Move " * (MAX_DEPTH + 1) + rect + " 0 0 false false)" * (MAX_DEPTH + 1)
    with pytest.raises(ParseError, match=f"deeper than {MAX_DEPTH} levels"):
        parse_tinysvg(deeper)


def _balanced(n: int) -> str:
    if n == 1:
        return "(Ellipse 1 1 red none 0)"
    return f"(Arrange h {_balanced(n // 2)} {_balanced(n - n // 2)} 0)"


def test_primitives_are_limited():
    assert parse_tinysvg(_balanced(MAX_PRIMITIVES)).sigma == MAX_PRIMITIVES
    with pytest.raises(ParseError, match=f"more than {MAX_PRIMITIVES} primitives"):
        parse_tinysvg(_balanced(MAX_PRIMITIVES + 1))


@pytest.mark.parametrize(
    "text",
    [
        "(Move " * 2_700_000,
        "(Arrange h " * 1_500_000,
        "(Rectangle 1 1 red none 0) " * 600_000,
        "x" * 16_000_000,
        "\n" * 16_000_000,
    ],
    ids=["moves", "arranges", "trailing", "one-token", "blank"],
)
def test_megabytes_are_refused_quickly(text):
    with within():
        with pytest.raises(ParseError):
            parse_tinysvg(text)
        detect_language(text)


@pytest.mark.parametrize(
    "text, grammar",
    [
        (EXAMPLE, TINYSVG),
        ("  (Move (Ellipse 1 1 red red 1) 1 1 true true)", TINYSVG),
        ("(- (Circle 6 8 8) (Quad 8 8 4 4 45))", CSG2D),
        ("(Quad 7 2 5 7 N)", CSG2D),
        ("(+\n(Circle F A 0) (Circle 1 1 1))", CSG2D),
        ("(Rectangle-ish 1 2)", CSG2D),  # no keyword standing alone: the default
        ("", CSG2D),
        ("(Oval 1 (Ellipse 1 1 red red 1))", TINYSVG),
    ],
)
def test_the_first_keyword_tells_the_language(text, grammar):
    assert detect_language(text) is grammar
