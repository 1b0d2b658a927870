"""Model vocabulary: fixed ids, program/edit encoding and decoding."""

import numpy as np
import pytest
from hypothesis import given

from inference.lang.syntax import parse, token_strings
from inference.lang.tree import ANGLE_LEAF, angle, binop, circle, num, op, quad, walk
from inference.model.tokens import (
    ANGLE_BASE,
    EDIT,
    EOS,
    GRAMMAR_VERSION,
    MAX_REPLACEMENT_TOKENS,
    MAX_SEQUENCE,
    MAX_TOKENS,
    NUM_BASE,
    PAD,
    POS_BASE,
    TOKEN_ID,
    VOCAB,
    VOCAB_SIZE,
    TokenError,
    decode_edit,
    decode_program,
    encode_edit,
    encode_example,
    encode_node,
    encode_program,
    pos_id,
)
from tests.strategies import programs

EXAMPLE = parse("(- (Circle 6 8 8) (+ (Quad 8 8 4 4 45) (Circle 0 1 2)))")


def test_vocabulary_layout_is_fixed():
    assert isinstance(GRAMMAR_VERSION, str) and GRAMMAR_VERSION
    assert VOCAB[:9] == ("<PAD>", "<EOS>", "<EDIT>", "(", ")", "Circle", "Quad", "+", "-")
    assert VOCAB[NUM_BASE : NUM_BASE + 16] == tuple(str(v) for v in range(16))
    assert VOCAB[ANGLE_BASE : ANGLE_BASE + 8] == tuple(f"A{a}" for a in range(0, 360, 45))
    assert VOCAB[POS_BASE] == "<POS 0>" and VOCAB[-1] == f"<POS {MAX_TOKENS - 1}>"
    assert VOCAB_SIZE == len(set(VOCAB)) == 33 + MAX_TOKENS
    assert MAX_SEQUENCE == MAX_TOKENS + 3 + MAX_REPLACEMENT_TOKENS


def test_size_limits_cover_training_programs():
    q = quad(1, 1, 1, 1, 0)
    largest_replacement = binop("+", q, q)
    assert largest_replacement.size == MAX_REPLACEMENT_TOKENS
    assert binop("+", circle(1, 1, 1), binop("+", circle(1, 1, 1), circle(1, 1, 1))).size > 19
    tree = q
    for _ in range(12):  # 13 quads: an 8-primitive target after five mutations
        tree = binop("-", tree, q)
    assert tree.size == 140 <= MAX_TOKENS
    assert len(encode_program(tree)) == 140


@given(programs)
def test_program_round_trip(tree):
    ids = encode_program(tree)
    assert ids.dtype == np.int64
    assert decode_program(ids) == tree
    assert decode_program(list(ids) + [PAD, PAD]) == tree


@given(programs)
def test_ids_align_with_node_positions(tree):
    ids = encode_program(tree)
    strings = token_strings(tree)
    kinds = {p: n.kind for p, n in walk(tree)}
    assert len(ids) == len(strings) == tree.size
    for k, (t, s) in enumerate(zip(ids, strings, strict=True)):
        assert VOCAB[t] == (f"A{s}" if kinds.get(k) == ANGLE_LEAF else s)
    for pos, node in walk(tree):
        assert list(ids[pos : pos + node.size]) == encode_node(node)


def test_numbers_and_angles_are_distinct_tokens():
    assert encode_node(num(0)) == [TOKEN_ID["0"]]
    assert encode_node(angle(0)) == [TOKEN_ID["A0"]]
    assert encode_node(angle(315)) == [TOKEN_ID["A315"]]
    assert TOKEN_ID["0"] != TOKEN_ID["A0"]


def test_encode_program_rejects_long_programs_and_leaves():
    tree = quad(1, 1, 1, 1, 0)
    while tree.size <= MAX_TOKENS:
        tree = binop("+", tree, quad(2, 2, 2, 2, 90))
    with pytest.raises(ValueError, match="MAX_TOKENS"):
        encode_program(tree)
    with pytest.raises(ValueError):
        encode_program(num(3))


@pytest.mark.parametrize(
    "tokens",
    [
        [],
        ["("],
        ["(", "Circle", "1", "2", ")"],
        ["(", "Circle", "1", "2", "3"],
        ["(", "Circle", "1", "2", "3", ")", ")"],
        ["(", "Circle", "1", "2", "A0", ")"],
        ["(", "Quad", "1", "2", "3", "4", "5", ")"],
        ["(", "+", "(", "Circle", "1", "2", "3", ")", ")"],
        ["(", "Circle", "1", "2", "3", ")", "<EOS>"],
        ["(", "<POS 0>", "1", "2", "3", ")"],
        ["<PAD>", "(", "Circle", "1", "2", "3", ")"],
        ["Circle", "1", "2", "3"],
        ["7"],
    ],
)
def test_decode_program_rejects_bad_sequences(tokens):
    with pytest.raises(TokenError):
        decode_program([TOKEN_ID[t] for t in tokens])


def test_decode_program_rejects_unknown_ids():
    with pytest.raises(TokenError) as info:
        decode_program([3, 5, 9, 9, VOCAB_SIZE + 5, 4])
    assert info.value.index == 4
    with pytest.raises(TokenError):
        decode_program([3, 5, 9, 9, 9, 4, -1])


@pytest.mark.parametrize(
    ("pos", "node"),
    [(0, EXAMPLE), (4, num(15)), (16, angle(315)), (9, op("-")), (8, circle(1, 2, 3))],
)
def test_edit_round_trip(pos, node):
    ids = encode_edit(pos, node)
    assert ids[0] == pos_id(pos) and ids[-1] == EOS
    assert ids[1:-1] == encode_node(node)
    assert decode_edit(ids) == (pos, node)
    assert decode_edit(ids + [PAD]) == (pos, node)


@pytest.mark.parametrize(
    "ids",
    [
        [TOKEN_ID["3"], EOS],
        [pos_id(3), EOS],
        [pos_id(3), TOKEN_ID["3"]],
        [pos_id(3), TOKEN_ID["3"], TOKEN_ID["4"], EOS],
        [pos_id(3), TOKEN_ID["3"], EOS, EOS],
        [pos_id(3), pos_id(4), TOKEN_ID["3"], EOS],
    ],
)
def test_decode_edit_rejects_bad_sequences(ids):
    with pytest.raises(TokenError):
        decode_edit(ids)


def test_encode_example_marks_the_loss_start():
    replacement = circle(1, 1, 1)
    ids, start = encode_example(EXAMPLE, 8, replacement)
    assert start == EXAMPLE.size + 1
    assert ids[start - 1] == EDIT and ids[start] == pos_id(8)
    assert list(ids[: start - 1]) == list(encode_program(EXAMPLE))
    assert list(ids[start:]) == encode_edit(8, replacement)
    assert len(ids) <= MAX_SEQUENCE


def test_encode_example_checks_the_slot():
    with pytest.raises(KeyError):
        encode_example(EXAMPLE, 7, circle(1, 1, 1))
    with pytest.raises(ValueError):
        encode_example(EXAMPLE, 4, circle(1, 1, 1))
    with pytest.raises(ValueError):
        pos_id(MAX_TOKENS)
