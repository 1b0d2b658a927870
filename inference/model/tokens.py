"""The model vocabulary: fixed, versioned token ids for programs and edits.

A training example or a decoding prompt is one id sequence (DESIGN.md §2)::

    program tokens ... <EDIT> <POS k> replacement tokens ... <EOS>

Vocabulary layout (ids are stable for a given :data:`GRAMMAR_VERSION`):

========  =========================================================
ids       tokens
========  =========================================================
0–2       ``<PAD>``, ``<EOS>``, ``<EDIT>``
3–8       ``(``, ``)``, ``Circle``, ``Quad``, ``+``, ``-``
9–24      number values ``0`` … ``15``
25–32     angles ``A0``, ``A45``, … ``A315`` (degrees; spelled with an ``A``
          so that angle 0 and number 0 are different tokens)
33–192    ``<POS 0>`` … ``<POS 159>``
========  =========================================================

Program id ``k`` is the token at node position ``k``: ``encode_program(p)[k]``
spells ``inference.lang.syntax.token_strings(p)[k]`` (angles with their ``A``).

:data:`MAX_TOKENS` = 160 is the longest program the models handle.  A target
has at most 8 primitives (8 quads and 7 binops: 85 tokens).  One mutation
replaces a node of σ ≤ 2 by a subtree of σ ≤ 2 and so adds at most one
primitive; five mutations give at most 13 primitives, i.e. at most
13·8 + 12·3 = 140 tokens.  160 leaves room for that plus one more primitive
(any 14-primitive program has ≤ 151 tokens) and is the number of ``<POS k>``
tokens.  A replacement has σ ≤ 2, so at most :data:`MAX_REPLACEMENT_TOKENS`
= 19 tokens (two quads under a binop).
"""

from __future__ import annotations

import numpy as np

from inference.lang.tree import (
    ANGLE_LEAF,
    ANGLE_VALUES,
    BINOP,
    CIRCLE,
    NUM_LEAF,
    OP_LEAF,
    QUAD,
    SHAPE,
    Node,
    angle,
    binop,
    circle,
    node_at,
    num,
    op,
    quad,
)

GRAMMAR_VERSION = "csg2d-tokens-1"
"""Bump whenever the vocabulary or its ids change; models carry it in their metadata."""

MAX_TOKENS = 160
"""Longest program (in tokens) the models handle; also the number of ``<POS k>`` tokens."""

MAX_POS = MAX_TOKENS
MAX_REPLACEMENT_TOKENS = 19
"""Longest σ ≤ 2 replacement: ``( op (Quad ...) (Quad ...) )``."""

MAX_SEQUENCE = MAX_TOKENS + 3 + MAX_REPLACEMENT_TOKENS
"""Longest example: program, ``<EDIT>``, ``<POS k>``, replacement, ``<EOS>``."""

_SPECIAL = ("<PAD>", "<EOS>", "<EDIT>")
_GRAMMAR = ("(", ")", "Circle", "Quad", "+", "-")
_NUMBERS = tuple(str(v) for v in range(16))
_ANGLES = tuple(f"A{a}" for a in ANGLE_VALUES)
_POSITIONS = tuple(f"<POS {k}>" for k in range(MAX_POS))

VOCAB: tuple[str, ...] = _SPECIAL + _GRAMMAR + _NUMBERS + _ANGLES + _POSITIONS
"""Token strings; the id of a token is its index."""

VOCAB_SIZE = len(VOCAB)
TOKEN_ID: dict[str, int] = {t: i for i, t in enumerate(VOCAB)}

PAD, EOS, EDIT = 0, 1, 2
LPAREN, RPAREN, CIRCLE_ID, QUAD_ID, PLUS, MINUS = 3, 4, 5, 6, 7, 8
NUM_BASE = 9
ANGLE_BASE = NUM_BASE + len(_NUMBERS)
POS_BASE = ANGLE_BASE + len(_ANGLES)

_OP_ID = {"+": PLUS, "-": MINUS}
_ANGLE_ID = {a: ANGLE_BASE + i for i, a in enumerate(ANGLE_VALUES)}
_DEPTH_LIMIT = 500


class TokenError(ValueError):
    """An id sequence that is not a program or edit; ``index`` is the offending id's index."""

    def __init__(self, message: str, index: int):
        self.index = index
        super().__init__(f"token {index}: {message}")


def pos_id(k: int) -> int:
    """The id of ``<POS k>``."""
    if not 0 <= k < MAX_POS:
        raise ValueError(f"position {k} out of range 0..{MAX_POS - 1}")
    return POS_BASE + k


def is_pos(token: int) -> bool:
    """True for a ``<POS k>`` id."""
    return POS_BASE <= token < POS_BASE + MAX_POS


def encode_node(node: Node) -> list[int]:
    """Token ids of any subtree (shape, number, angle or operator)."""
    out: list[int] = []
    stack: list = [node]
    while stack:
        n = stack.pop()
        if type(n) is int:
            out.append(n)
        elif n.kind == BINOP:
            out += (LPAREN, _OP_ID[n.children[0].value])
            stack += (RPAREN, n.children[2], n.children[1])
        elif n.kind == CIRCLE:
            r, x, y = n.children
            out += (LPAREN, CIRCLE_ID, NUM_BASE + r.value, NUM_BASE + x.value)
            out += (NUM_BASE + y.value, RPAREN)
        elif n.kind == QUAD:
            x, y, w, h, a = n.children
            out += (LPAREN, QUAD_ID, NUM_BASE + x.value, NUM_BASE + y.value)
            out += (NUM_BASE + w.value, NUM_BASE + h.value, _ANGLE_ID[a.value], RPAREN)
        else:
            out.append(_leaf_id(n))
    return out


def _leaf_id(n: Node) -> int:
    if n.kind == NUM_LEAF:
        return NUM_BASE + n.value
    if n.kind == ANGLE_LEAF:
        return _ANGLE_ID[n.value]
    if n.kind == OP_LEAF:
        return _OP_ID[n.value]
    raise ValueError(f"unknown node kind {n.kind!r}")


def encode_program(node: Node) -> np.ndarray:
    """Program ids as an int64 array; index ``k`` is node position ``k``.

    Raises ``ValueError`` for a non-shape root or a program over :data:`MAX_TOKENS`.
    """
    if node.nonterminal != SHAPE:
        raise ValueError("a program is a shape")
    if node.size > MAX_TOKENS:
        raise ValueError(f"program has {node.size} tokens, more than MAX_TOKENS={MAX_TOKENS}")
    return np.asarray(encode_node(node), dtype=np.int64)


def encode_edit(pos: int, replacement: Node) -> list[int]:
    """``[<POS pos>, replacement ids..., <EOS>]``."""
    return [pos_id(pos), *encode_node(replacement), EOS]


def encode_example(program: Node, pos: int, replacement: Node) -> tuple[np.ndarray, int]:
    """One training sequence and the index where the loss starts.

    Returns ``(ids, loss_start)``: ``ids`` is program ids, ``<EDIT>``, then
    :func:`encode_edit`; the loss covers ``ids[loss_start:]`` (everything
    after ``<EDIT>``, starting with ``<POS k>``).  Raises ``KeyError`` when no
    node starts at ``pos`` and ``ValueError`` for a replacement of the wrong
    nonterminal.
    """
    slot = node_at(program, pos)
    if slot.nonterminal != replacement.nonterminal:
        raise ValueError(f"a {replacement.nonterminal} cannot replace a {slot.nonterminal}")
    prog = encode_program(program)
    edit = encode_edit(pos, replacement)
    ids = np.concatenate([prog, np.asarray([EDIT, *edit], dtype=np.int64)])
    return ids, len(prog) + 1


class _Reader:
    """Recursive-descent reader of one node from an id sequence."""

    def __init__(self, ids: list[int], start: int = 0):
        self.ids = ids
        self.i = start

    def take(self, what: str) -> int:
        if self.i >= len(self.ids):
            raise TokenError(f"sequence ends, expected {what}", self.i)
        t = self.ids[self.i]
        self.i += 1
        return t

    def fail(self, what: str) -> TokenError:
        return TokenError(f"expected {what}, found {_name(self.ids[self.i - 1])}", self.i - 1)

    def number(self) -> Node:
        t = self.take("a number")
        if not NUM_BASE <= t < ANGLE_BASE:
            raise self.fail("a number")
        return num(t - NUM_BASE)

    def angle(self) -> Node:
        t = self.take("an angle")
        if not ANGLE_BASE <= t < POS_BASE:
            raise self.fail("an angle")
        return angle(ANGLE_VALUES[t - ANGLE_BASE])

    def node(self, depth: int = 0) -> Node:
        """Any node: a leaf id or a parenthesized shape."""
        t = self.take("a node")
        if NUM_BASE <= t < ANGLE_BASE:
            return num(t - NUM_BASE)
        if ANGLE_BASE <= t < POS_BASE:
            return angle(ANGLE_VALUES[t - ANGLE_BASE])
        if t in (PLUS, MINUS):
            return op(VOCAB[t])
        if t != LPAREN:
            raise self.fail("a node")
        return self.shape_body(depth)

    def shape(self, depth: int) -> Node:
        if self.take("'('") != LPAREN:
            raise self.fail("'('")
        return self.shape_body(depth)

    def shape_body(self, depth: int) -> Node:
        if depth > _DEPTH_LIMIT:
            raise TokenError("nested too deeply", self.i)
        head = self.take("a head")
        if head == CIRCLE_ID:
            node = circle(*(self.number().value for _ in range(3)))
        elif head == QUAD_ID:
            x, y, w, h = (self.number().value for _ in range(4))
            node = quad(x, y, w, h, self.angle().value)
        elif head in (PLUS, MINUS):
            left = self.shape(depth + 1)
            node = binop(VOCAB[head], left, self.shape(depth + 1))
        else:
            raise self.fail("'Circle', 'Quad', '+' or '-'")
        if self.take("')'") != RPAREN:
            raise self.fail("')'")
        return node

    def only_padding_left(self) -> None:
        for j in range(self.i, len(self.ids)):
            if self.ids[j] != PAD:
                raise TokenError(f"unexpected {_name(self.ids[j])} after the end", j)


def _name(t: int) -> str:
    return repr(VOCAB[t]) if 0 <= t < VOCAB_SIZE else f"id {t}"


def _as_list(ids) -> list[int]:
    return [int(t) for t in ids]


def decode_program(ids) -> Node:
    """The program spelled by ``ids``; trailing ``<PAD>`` ids are ignored.

    Raises :class:`TokenError` (a ``ValueError``) for anything else.
    """
    reader = _Reader(_as_list(ids))
    node = reader.shape(0)
    reader.only_padding_left()
    return node


def decode_edit(ids) -> tuple[int, Node]:
    """``(pos, replacement)`` from ``<POS k>``, replacement ids, ``<EOS>`` (then ``<PAD>`` only).

    The replacement may be of any nonterminal.  Raises :class:`TokenError`.
    """
    reader = _Reader(_as_list(ids))
    first = reader.take("<POS k>")
    if not is_pos(first):
        raise reader.fail("<POS k>")
    node = reader.node()
    if reader.take("<EOS>") != EOS:
        raise reader.fail("<EOS>")
    reader.only_padding_left()
    return first - POS_BASE, node
