"""Parser, printer and tree tests."""

import json

import pytest
from hypothesis import given

from inference.lang.syntax import COMPACT, ParseError, detect_syntax, parse, to_text, token_strings
from inference.lang.tree import Node, angle, circle, node_at, op, quad, replace_at, walk
from tests.strategies import programs


@given(programs)
def test_canonical_round_trip(tree):
    text = to_text(tree)
    assert parse(text) == tree
    assert to_text(parse(text)) == text


@given(programs)
def test_compact_round_trip(tree):
    text = to_text(tree, COMPACT)
    assert parse(text) == tree
    assert to_text(parse(text), COMPACT) == text


@given(programs)
def test_positions_are_token_indices(tree):
    toks = token_strings(tree)
    assert len(toks) == tree.size
    for pos, node in walk(tree):
        assert node_at(tree, pos) is node
        assert toks[pos : pos + node.size] == token_strings(node)


@given(programs)
def test_sigma_counts_primitives(tree):
    toks = token_strings(tree)
    assert tree.sigma == toks.count("Circle") + toks.count("Quad")


def test_refset_programs_parse_in_both_syntaxes(refset_dir):
    for line in (refset_dir / "problems.jsonl").read_text().splitlines():
        rec = json.loads(line)
        tree = parse(rec["program"])
        assert to_text(tree) == rec["program"]
        assert parse(rec["paper_program"]) == tree
        assert to_text(tree, COMPACT) == rec["paper_program"]
        assert tree.sigma == rec["n_primitives"]


def test_whitespace_is_free():
    assert parse(" (-\n\t(Circle 6 8 8)   (Quad 8 8 4 4 45) )\n") == parse(
        "(- (Circle 6 8 8) (Quad 8 8 4 4 45))"
    )


def test_compact_is_detected():
    assert detect_syntax("(Quad 7 2 5 7 N)") == COMPACT
    assert parse("(Quad 7 2 5 7 N)") == quad(7, 2, 5, 7, 315)
    assert parse("(Circle F A 0)") == circle(15, 10, 0)


@pytest.mark.parametrize(
    "text, line, column, fragment",
    [
        ("(Circle 16 0 0)", 1, 9, "out of range"),
        ("(Quad 1 2 3 4 30)", 1, 15, "0, 45"),
        ("(Circle 1 2", 1, 12, "end of input"),
        ("(+ (Circle 1 2 3))", 1, 18, "expected '('"),
        ("(Circle 1 2 3) x", 1, 16, "end of input"),
        ("", 1, 1, "end of input"),
        ("(Circle 1\n  2 -3)", 2, 5, "number"),
        ("(Quad 1 2 3 4 G 5)", 1, 17, "')'"),
        ("(Circle 01 2 3)", 1, 9, "number"),
        ("(Triangle 1 2 3)", 1, 2, "'Circle'"),
    ],
)
def test_errors_have_location(text, line, column, fragment):
    with pytest.raises(ParseError) as err:
        parse(text)
    assert (err.value.line, err.value.column) == (line, column)
    assert fragment in str(err.value)
    assert err.value.expected


def test_too_deep_is_a_parse_error():
    with pytest.raises(ParseError, match="deeper"):
        parse("(+ " * 5000)


def test_replace_keeps_position_and_checks_slot():
    tree = parse("(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    new = replace_at(tree, 2, circle(1, 1, 1))
    assert to_text(new) == "(- (Circle 1 1 1) (Quad 8 8 4 4 45))"
    assert node_at(new, 2) == circle(1, 1, 1)
    assert to_text(replace_at(tree, 1, op("+"))) == "(+ (Circle 6 8 8) (Quad 8 8 4 4 45))"
    assert to_text(replace_at(tree, 16 - 2, angle(90))) == "(- (Circle 6 8 8) (Quad 8 8 4 4 90))"
    with pytest.raises(ValueError):
        replace_at(tree, 2, tree.children[0])  # an operator cannot stand in a shape slot
    with pytest.raises(KeyError):
        replace_at(tree, 3, circle(1, 1, 1))  # token 3 is "Circle", inside a node


def test_nodes_are_values():
    a = parse("(+ (Circle 1 2 3) (Quad 1 2 3 4 90))")
    b = parse("(+ (Circle 1 2 3)\n (Quad 1 2 3 4 90))")
    assert a == b and hash(a) == hash(b)
    assert isinstance(a, Node) and a.sigma == 2 and a.size == 17
