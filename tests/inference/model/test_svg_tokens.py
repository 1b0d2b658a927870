"""TinySVG's vocabulary: fixed layout, derived limits, program and edit round trips."""

import numpy as np
import pytest

from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.tinysvg import arrange, ellipse, move, parse_tinysvg, rectangle
from inference.lang.tree import token_strings, walk
from inference.model import tokens
from inference.model.tokens import (
    CSG2D_VOCAB,
    TINYSVG_VOCAB,
    TokenError,
    vocabulary_for,
)

V = TINYSVG_VOCAB
EXAMPLE = parse_tinysvg(
    "(Arrange h (Rectangle 3 4 red none 0) (Move (Ellipse 2 2 blue black 2) 1 2 true false) 1)"
)


def test_layout_is_fixed():
    assert V.version == "tinysvg-tokens-1" and V.language == "TinySVG"
    assert V.tokens[:9] == ("<PAD>", "<EOS>", "<EDIT>", "(", ")", "Rectangle", "Ellipse",
                            "Arrange", "Move")  # fmt: skip
    assert V.tokens[9:19] == tuple(str(v) for v in range(10))
    assert V.tokens[19:28] == ("red", "green", "blue", "yellow", "purple", "orange", "black",
                               "white", "none")  # fmt: skip
    assert V.tokens[28:32] == ("h", "v", "false", "true")
    assert V.pos_base == 32 and V.tokens[32] == "<POS 0>" and V.tokens[-1] == "<POS 255>"
    assert V.size == len(set(V.tokens)) == 32 + 256
    assert V.max_sequence == V.max_tokens + 3 + V.max_replacement_tokens


def test_csg2d_names_are_its_vocabulary():
    assert tokens.VOCAB is CSG2D_VOCAB.tokens and tokens.POS_BASE == CSG2D_VOCAB.pos_base
    assert tokens.GRAMMAR_VERSION == "csg2d-tokens-1" and tokens.MAX_TOKENS == 160
    assert vocabulary_for("tinysvg") is V and vocabulary_for(CSG2D) is CSG2D_VOCAB
    assert vocabulary_for(EXAMPLE) is V and vocabulary_for(TINYSVG) is V


def test_replacement_limit_is_the_small_subtree_rule():
    r = rectangle(1, 1, "red")
    assert r.size == 8 and move(r, 1, 1).size == 15
    assert arrange("h", r, ellipse(1, 1, "red"), 0).size == V.max_replacement_tokens == 21
    # the next larger drawings have three rectangles, ellipses or moves
    assert move(move(r, 1, 1), 1, 1).size == 22
    assert arrange("v", move(r, 1, 1), r).size == 28


@pytest.mark.parametrize("seed", range(5))
def test_program_round_trip_and_positions(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        program = random_tree(TINYSVG, rng, int(rng.integers(1, 7)))
        if program.size > V.max_tokens:
            continue
        ids = V.encode_program(program)
        assert [V.tokens[i] for i in ids] == token_strings(program)
        assert V.decode_program(ids) == program
        assert V.decode_program([*ids, V.pad, V.pad]) == program
        for pos, node in walk(program):
            assert V.node_start[ids[pos]]
            edit = V.encode_edit(pos, node)
            assert edit[0] == V.pos_id(pos) and edit[-1] == V.eos
            assert V.decode_edit(edit) == (pos, node)
        starts = {pos for pos, _ in walk(program)}
        assert starts == {k for k, t in enumerate(ids) if V.node_start[t]}


def test_encode_example():
    replacement = ellipse(5, 5, "green")
    ids, start = V.encode_example(EXAMPLE, 3, replacement)
    assert ids[start - 1] == V.edit and ids[start] == V.pos_id(3)
    assert list(ids[start + 1 : -1]) == V.encode_node(replacement) and ids[-1] == V.eos
    with pytest.raises(ValueError):
        V.encode_example(EXAMPLE, 2, replacement)  # a direction slot


def test_languages_do_not_mix():
    with pytest.raises(ValueError):
        V.encode_program(random_tree(CSG2D, np.random.default_rng(0), 2))
    with pytest.raises(ValueError):
        CSG2D_VOCAB.encode_program(EXAMPLE)
    with pytest.raises(ValueError, match="MAX_TOKENS"):
        deep = rectangle(1, 1, "red")
        while deep.size <= V.max_tokens:
            deep = move(deep, 1, 1)
        V.encode_program(deep)


@pytest.mark.parametrize(
    "words",
    [
        [],
        ["("],
        ["(", "Rectangle", "1", "2", "red", "none", ")"],
        ["(", "Rectangle", "1", "2", "red", "none", "h", ")"],
        ["(", "Rectangle", "1", "2", "red", "none", "0", ")", ")"],
        ["(", "Move", "1", "2", "3", "true", "true", ")"],
        ["(", "h", "(", "Rectangle", "1", "2", "red", "none", "0", ")", ")"],
        ["red"],
        ["(", "<POS 0>", ")"],
    ],
)
def test_decode_rejects_bad_programs(words):
    with pytest.raises(TokenError):
        V.decode_program([V.token_id[w] for w in words])


def test_decode_edit_of_any_nonterminal():
    for word, value in (("red", "red"), ("7", 7), ("v", "v"), ("true", True)):
        pos, node = V.decode_edit([V.pos_id(4), V.token_id[word], V.eos])
        assert pos == 4 and node.value == value and node.grammar is TINYSVG
    with pytest.raises(TokenError):
        V.decode_edit([V.pos_id(4), V.token_id["red"], V.token_id["red"], V.eos])
