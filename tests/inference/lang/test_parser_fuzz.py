"""Parser fuzzing: whatever the input text, ``parse`` returns a tree or raises ParseError."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inference.lang.syntax import COMPACT, MAX_DEPTH, ParseError, parse, to_text
from inference.lang.tree import binop, circle, quad
from tests.strategies import programs

WORDS = (
    ["(", ")", "Circle", "Quad", "circle", "+", "-", "*", "Quad(", "(Circle", "1e3", "0x1"]
    + [str(v) for v in range(-2, 20)]
    + ["45", "90", "315", "360", "007", "00", "-0", "+1", "1.5", "٣", "１"]
    + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    + ["\u00a0", "\x00", "\ufffd", "é", ")("]
)
SPACES = [" ", "  ", "\n", "\t", "\r\n", "\x0b", "\x0c", "\u2028", "\x85", ""]


def _check(text: str) -> None:
    """Parse ``text``: a tree that prints back to itself, or a well-formed ParseError."""
    try:
        tree = parse(text)
    except ParseError as e:
        assert 1 <= e.line <= text.count("\n") + 1
        assert e.column >= 1 and isinstance(e.expected, str)
        assert str(e).startswith(f"line {e.line}, column {e.column}:")
        return
    assert parse(to_text(tree)) == tree
    assert parse(to_text(tree, COMPACT)) == tree


@given(st.binary(max_size=200))
def test_random_bytes(data):
    _check(data.decode("utf-8", errors="replace"))
    _check(data.decode("latin-1"))


@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SPACES)), max_size=40))
def test_token_soup(pairs):
    _check("".join(w + s for w, s in pairs))


@given(programs, st.data())
def test_damaged_programs(tree, data):
    text = to_text(tree, data.draw(st.sampled_from(["canonical", COMPACT])))
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 4)))
    insert = data.draw(st.text(alphabet="()+- 0123456789ABCFGNQcdeilru\n", max_size=3))
    _check(text[:i] + insert + text[j:])


def test_seeded_soups_bytes_and_damage():
    rng = np.random.default_rng(0)
    valid = "(- (+ (Circle 6 8 8) (Quad 8 8 4 4 45)) (Quad 7 2 5 7 N))"
    for _ in range(1500):
        n = int(rng.integers(0, 30))
        words = rng.choice(len(WORDS), n)
        spaces = rng.choice(len(SPACES), n)
        _check("".join(WORDS[w] + SPACES[s] for w, s in zip(words, spaces, strict=True)))
        raw = rng.integers(0, 256, int(rng.integers(0, 60)), dtype=np.uint8).tobytes()
        _check(raw.decode("utf-8", errors="replace"))
        _check(raw.decode("latin-1"))
        chars = list(valid)
        for _ in range(int(rng.integers(1, 4))):
            k = int(rng.integers(len(chars)))
            op = rng.integers(3)
            if op == 0:
                del chars[k]
            elif op == 1:
                chars.insert(k, WORDS[rng.integers(len(WORDS))])
            else:
                chars[k] = SPACES[rng.integers(len(SPACES))]
        _check("".join(chars))


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100_000,
        "(+ " * 100_000,
        "(+ " * 5_000 + "(Circle 1 1 1)" * 5_001 + ")" * 5_000,
        ")" * 100_000,
        "(Circle 1 1 1)" + ")" * 10_000,
        "(- " * (MAX_DEPTH + 1) + "(Circle 1 1 1) " * (MAX_DEPTH + 2) + ")" * (MAX_DEPTH + 1),
    ],
)
def test_deep_nesting_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse(text)


def test_nesting_up_to_the_limit_parses():
    c = circle(1, 2, 3)
    left, right = c, quad(1, 2, 3, 4, 90)
    for _ in range(MAX_DEPTH):
        left, right = binop("+", left, c), binop("-", c, right)
    assert parse(to_text(left)) == left
    assert parse(to_text(right)) == right
