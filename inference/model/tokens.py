"""The model vocabularies: fixed, versioned token ids for programs and edits, one per language.

A training example or a decoding prompt is one id sequence (DESIGN.md §2)::

    program tokens ... <EDIT> <POS k> replacement tokens ... <EOS>

A :class:`Vocabulary` is built from a :class:`~inference.lang.grammar.Grammar`:
``<PAD>``, ``<EOS>``, ``<EDIT>``, ``(``, ``)``, the production keywords in
production order, each leaf domain's values (in a fixed domain order, spelled
canonically, with a prefix where two domains would share a spelling), then
``<POS 0>`` … ``<POS max_tokens − 1>``.  Ids are stable for a given
:attr:`Vocabulary.version`; a model carries it (``grammar_version``) and its token list
(``vocab``) in its metadata.  :func:`vocabulary_for` finds a language's vocabulary.

**CSG2D** (:data:`CSG2D_VOCAB`, version :data:`GRAMMAR_VERSION` = ``csg2d-tokens-1``; the
module-level names below, ``VOCAB``, ``POS_BASE``, :func:`encode_program`, ... are its own):

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

:data:`MAX_TOKENS` = 160 is the longest program the models handle.  A target
has at most 8 primitives (8 quads and 7 binops: 85 tokens).  One mutation
replaces a node of σ ≤ 2 by a subtree of σ ≤ 2 and so adds at most one
primitive; five mutations give at most 13 primitives, i.e. at most
13·8 + 12·3 = 140 tokens.  160 leaves room for that plus one more primitive
(any 14-primitive program has ≤ 151 tokens) and is the number of ``<POS k>``
tokens.  A replacement has σ ≤ 2, so at most :data:`MAX_REPLACEMENT_TOKENS`
= 19 tokens (two quads under a binop).

**TinySVG** (:data:`TINYSVG_VOCAB`, version ``tinysvg-tokens-1``):

========  =========================================================
ids       tokens
========  =========================================================
0–2       ``<PAD>``, ``<EOS>``, ``<EDIT>``
3–4       ``(``, ``)``
5–8       ``Rectangle``, ``Ellipse``, ``Arrange``, ``Move``
9–18      digits ``0`` … ``9``
19–27     colours ``red``, ``green``, ``blue``, ``yellow``, ``purple``, ``orange``,
          ``black``, ``white``, ``none``
28–29     directions ``h``, ``v``
30–31     flags ``false``, ``true``
32–287    ``<POS 0>`` … ``<POS 255>``
========  =========================================================

Sizes: a rectangle or ellipse is 8 tokens, ``( Move A x y negx negy )`` is 7 + |A|,
``( Arrange dir A B gap )`` is 5 + |A| + |B|.  σ counts rectangles and ellipses only, and
``Move`` nests, so σ bounds nothing; the small-subtree rule (DESIGN.md §2, issue 17) counts
``Move`` as well, and a replacement of σ ≤ 2 *in that count* is one of ``(Rectangle …)``,
``(Move (Rectangle …) …)`` (15 tokens) or ``(Arrange d (Rectangle …) (Ellipse …) g)`` (21):
TinySVG's ``max_replacement_tokens`` = 21.  The converse holds too: every drawing of at most
21 tokens has at most two rectangles, ellipses and moves (``(Move (Move R))`` is 22,
``(Arrange (Move R) R)`` 28), so the decoder's 21-token budget *is* that σ ≤ 2 rule.
One such mutation grows a program by at most 21 − 8 = 13 tokens, five by 65.
``max_tokens`` = 256: a target of 8 primitives (7 arranges, 99 tokens) with up to 13 moves
(7 tokens each, 190 tokens) still fits after five mutations; training data must reject a
larger target or start, as CSG2D's does with 160.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from inference.lang.grammar import CSG2D, TINYSVG, Grammar, Production, grammar_named
from inference.lang.tree import (
    ANGLE_VALUES,
    BINOP,
    CIRCLE,
    QUAD,
    Node,
    interned,
    node_at,
)

_DEPTH_LIMIT = 500
SPECIALS = ("<PAD>", "<EOS>", "<EDIT>")
"""The special tokens, ids 0, 1, 2 in every vocabulary."""


class TokenError(ValueError):
    """An id sequence that is not a program or edit; ``index`` is the offending id's index."""

    def __init__(self, message: str, index: int):
        self.index = index
        super().__init__(f"token {index}: {message}")


class Vocabulary:
    """A language's token ids, built from its grammar (see the module doc for the layout).

    Args:
        grammar: the language.
        version: the version tag models carry (``grammar_version``); bump it whenever
            an id changes.
        max_tokens: the longest program (also the number of ``<POS k>`` tokens).
        max_replacement_tokens: the longest replacement an edit proposes (σ ≤ 2).
        leaf_order: the leaf nonterminals in id order (default: the grammar's order).
        prefixes: a spelling prefix per leaf nonterminal (CSG2D's angles: ``"A"``).

    Attributes:
        grammar, version, max_tokens, max_replacement_tokens: as given.
        language: the grammar's name (``"CSG2D"``, ``"TinySVG"``).
        tokens: the token strings; an id is an index.
        size: ``len(tokens)``.
        token_id: id of each token string.
        pad, eos, edit, lparen, rparen: those ids (0, 1, 2, 3, 4).
        keyword_id: id of each keyword production's keyword, by kind.
        leaf_ids: ``{leaf kind: {value: id}}``.
        leaf_range: ``{leaf nonterminal: range of its ids}``.
        pos_base: id of ``<POS 0>``; ids below it are the network's ``token_logits`` columns.
        max_pos: the number of ``<POS k>`` tokens (= ``max_tokens``).
        max_sequence: the longest example: program, ``<EDIT>``, ``<POS k>``, replacement,
            ``<EOS>``.
        node_start: bool (pos_base,): True for the ids that start a node (``(`` and every
            leaf value), i.e. where ``<POS k>`` may point.
        heads: ``{inner nonterminal: {head id: production}}``: the ids that may follow
            ``(`` (a keyword, or the leading leaf of a production without one).
    """

    def __init__(
        self,
        grammar: Grammar,
        version: str,
        *,
        max_tokens: int,
        max_replacement_tokens: int,
        leaf_order: tuple[str, ...] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ):
        self.grammar = grammar
        self.language = grammar.name
        self.version = version
        self.max_tokens = self.max_pos = max_tokens
        self.max_replacement_tokens = max_replacement_tokens
        self.max_sequence = max_tokens + 3 + max_replacement_tokens
        order = tuple(d.nonterminal for d in grammar.leaves) if leaf_order is None else leaf_order
        if sorted(order) != sorted(d.nonterminal for d in grammar.leaves):
            raise ValueError(f"{grammar.name}: leaf_order must list every leaf nonterminal once")
        prefixes = dict(prefixes or {})
        tokens: list[str] = [*SPECIALS, "(", ")"]
        self.keyword_id: dict[str, int] = {}
        for p in grammar.productions:
            if p.keyword is not None:
                self.keyword_id[p.kind] = len(tokens)
                tokens.append(p.keyword)
        self.leaf_ids: dict[str, dict] = {}
        self.leaf_range: dict[str, range] = {}
        self._leaf_of_id: dict[int, Node] = {}
        for nt in order:
            domain = grammar.domain(nt)
            start = len(tokens)
            table = interned(domain.kind)
            ids = {}
            for value, text in zip(domain.values, domain.spelling().texts, strict=True):
                ids[value] = len(tokens)
                self._leaf_of_id[len(tokens)] = table[value]
                tokens.append(prefixes.get(nt, "") + text)
            self.leaf_ids[domain.kind] = ids
            self.leaf_range[nt] = range(start, len(tokens))
        self.pos_base = len(tokens)
        tokens += [f"<POS {k}>" for k in range(max_tokens)]
        if len(set(tokens)) != len(tokens):
            raise ValueError(f"{grammar.name}: two tokens share a spelling (give a prefix)")
        self.tokens: tuple[str, ...] = tuple(tokens)
        self.size = len(tokens)
        self.token_id = {t: i for i, t in enumerate(tokens)}
        self.pad, self.eos, self.edit, self.lparen, self.rparen = range(5)
        self.heads: dict[str, dict[int, Production]] = {}
        for p in grammar.productions:
            heads = self.heads.setdefault(p.nonterminal, {})
            if p.keyword is not None:
                heads[self.keyword_id[p.kind]] = p
            else:
                for i in self.leaf_range[p.children[0]]:
                    heads[i] = p
        self._any_head: dict[int, Production] = {}
        for heads in self.heads.values():
            for i, p in heads.items():
                self._any_head.setdefault(i, p)
        self.node_start = np.zeros(self.pos_base, dtype=bool)
        self.node_start[self.lparen] = True
        self.node_start[list(self._leaf_of_id)] = True
        self.node_start.flags.writeable = False

    def __repr__(self) -> str:
        return f"<Vocabulary {self.version}: {self.size} tokens>"

    # ----- ids ---------------------------------------------------------------------

    def pos_id(self, k: int) -> int:
        """The id of ``<POS k>``."""
        if not 0 <= k < self.max_pos:
            raise ValueError(f"position {k} out of range 0..{self.max_pos - 1}")
        return self.pos_base + k

    def is_pos(self, token: int) -> bool:
        """True for a ``<POS k>`` id."""
        return self.pos_base <= token < self.pos_base + self.max_pos

    def name(self, token: int) -> str:
        """The token's string, quoted, or ``id N`` for an unknown id (messages)."""
        return repr(self.tokens[token]) if 0 <= token < self.size else f"id {token}"

    # ----- encoding ----------------------------------------------------------------

    def encode_node(self, node: Node) -> list[int]:
        """Token ids of any subtree of this language (an inner node or a leaf)."""
        keywords, leaves = self.keyword_id, self.leaf_ids
        lparen, rparen = self.lparen, self.rparen
        out: list[int] = []
        stack: list = [node]
        while stack:
            n = stack.pop()
            if type(n) is int:
                out.append(n)
                continue
            ids = leaves.get(n.kind)
            if ids is not None:
                out.append(ids[n.value])
                continue
            keyword = keywords.get(n.kind)
            if keyword is None:
                if n.kind not in self.grammar.kinds:
                    raise ValueError(f"a {n.kind} node is not {self.language}")
                out.append(lparen)
            else:
                out += (lparen, keyword)
            stack.append(rparen)
            stack += reversed(n.children)
        return out

    def encode_program(self, node: Node) -> np.ndarray:
        """Program ids as an int64 array; index ``k`` is node position ``k``.

        Raises ``ValueError`` for a root that is not the start nonterminal or a program
        over ``max_tokens``.
        """
        if node.nonterminal != self.grammar.start:
            raise ValueError(f"a {self.language} program is a {self.grammar.start}")
        if node.size > self.max_tokens:
            raise ValueError(
                f"program has {node.size} tokens, more than MAX_TOKENS={self.max_tokens}"
            )
        return np.asarray(self.encode_node(node), dtype=np.int64)

    def encode_edit(self, pos: int, replacement: Node) -> list[int]:
        """``[<POS pos>, replacement ids..., <EOS>]``."""
        return [self.pos_id(pos), *self.encode_node(replacement), self.eos]

    def encode_example(self, program: Node, pos: int, replacement: Node) -> tuple[np.ndarray, int]:
        """One training sequence and the index where the loss starts.

        Returns ``(ids, loss_start)``: ``ids`` is program ids, ``<EDIT>``, then
        :meth:`encode_edit`; the loss covers ``ids[loss_start:]`` (everything after
        ``<EDIT>``, starting with ``<POS k>``).  Raises ``KeyError`` when no node starts
        at ``pos`` and ``ValueError`` for a replacement of the wrong nonterminal.
        """
        slot = node_at(program, pos)
        if slot.nonterminal != replacement.nonterminal:
            raise ValueError(f"a {replacement.nonterminal} cannot replace a {slot.nonterminal}")
        prog = self.encode_program(program)
        edit = self.encode_edit(pos, replacement)
        ids = np.concatenate([prog, np.asarray([self.edit, *edit], dtype=np.int64)])
        return ids, len(prog) + 1

    # ----- decoding ----------------------------------------------------------------

    def decode_program(self, ids) -> Node:
        """The program spelled by ``ids``; trailing ``<PAD>`` ids are ignored.

        Raises :class:`TokenError` (a ``ValueError``) for anything else.
        """
        reader = _Reader(self, [int(t) for t in ids])
        node = reader.inner(self.grammar.start, 0)
        reader.only_padding_left()
        return node

    def decode_edit(self, ids) -> tuple[int, Node]:
        """``(pos, replacement)`` from ``<POS k>``, replacement ids, ``<EOS>`` (then ``<PAD>``).

        The replacement may be of any nonterminal.  Raises :class:`TokenError`.
        """
        reader = _Reader(self, [int(t) for t in ids])
        first = reader.take("<POS k>")
        if not self.is_pos(first):
            raise reader.fail("<POS k>")
        node = reader.node()
        if reader.take("<EOS>") != self.eos:
            raise reader.fail("<EOS>")
        reader.only_padding_left()
        return first - self.pos_base, node


class _Reader:
    """Recursive-descent reader of one node from an id sequence, driven by the grammar."""

    def __init__(self, vocab: Vocabulary, ids: list[int], start: int = 0):
        self.v = vocab
        self.ids = ids
        self.i = start

    def take(self, what: str) -> int:
        if self.i >= len(self.ids):
            raise TokenError(f"sequence ends, expected {what}", self.i)
        t = self.ids[self.i]
        self.i += 1
        return t

    def fail(self, what: str) -> TokenError:
        return TokenError(f"expected {what}, found {self.v.name(self.ids[self.i - 1])}", self.i - 1)

    def leaf(self, nonterminal: str) -> Node:
        what = self.v.grammar.domain(nonterminal).at_end
        t = self.take(what)
        if t not in self.v.leaf_range[nonterminal]:
            raise self.fail(what)
        return self.v._leaf_of_id[t]

    def node(self, depth: int = 0) -> Node:
        """Any node: a leaf id or a parenthesized inner node."""
        t = self.take("a node")
        leaf = self.v._leaf_of_id.get(t)
        if leaf is not None:
            return leaf
        if t != self.v.lparen:
            raise self.fail("a node")
        return self.body(None, depth)

    def inner(self, nonterminal: str, depth: int) -> Node:
        if self.take("'('") != self.v.lparen:
            raise self.fail("'('")
        return self.body(nonterminal, depth)

    def body(self, nonterminal: str | None, depth: int) -> Node:
        """After ``(``: the head, the children and ``)`` (any nonterminal when ``None``)."""
        if depth > _DEPTH_LIMIT:
            raise TokenError("nested too deeply", self.i)
        head = self.take("a head")
        heads = self.v._any_head if nonterminal is None else self.v.heads[nonterminal]
        production = heads.get(head)
        if production is None:
            grammar = self.v.grammar
            names = (
                sorted({t for nt in self.v.heads for t in grammar.head_tokens(nt)})
                if nonterminal is None
                else grammar.head_tokens(nonterminal)
            )
            raise self.fail(", ".join(f"'{t}'" for t in names[:-1]) + f" or '{names[-1]}'")
        grammar = self.v.grammar
        kids: list[Node] = []
        children = production.children
        if production.keyword is None:
            kids.append(self.v._leaf_of_id[head])
            children = children[1:]
        for nt in children:
            kids.append(self.leaf(nt) if grammar.is_leaf(nt) else self.inner(nt, depth + 1))
        if self.take("')'") != self.v.rparen:
            raise self.fail("')'")
        return Node(production.kind, None, tuple(kids))

    def only_padding_left(self) -> None:
        for j in range(self.i, len(self.ids)):
            if self.ids[j] != self.v.pad:
                raise TokenError(f"unexpected {self.v.name(self.ids[j])} after the end", j)


class _CSG2DVocabulary(Vocabulary):
    """CSG2D's vocabulary with its hand-unrolled encoder (the training data's hot path)."""

    def encode_node(self, node: Node) -> list[int]:
        """Token ids of any CSG2D subtree (shape, number, angle or operator)."""
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
                ids = self.leaf_ids.get(n.kind)
                if ids is None:
                    raise ValueError(f"unknown node kind {n.kind!r}")
                out.append(ids[n.value])
        return out


CSG2D_VOCAB: Vocabulary = _CSG2DVocabulary(
    CSG2D,
    "csg2d-tokens-1",
    max_tokens=160,
    max_replacement_tokens=19,
    leaf_order=("op", "num", "angle"),
    prefixes={"angle": "A"},
)
"""CSG2D's vocabulary (the module-level names are its attributes)."""

TINYSVG_VOCAB = Vocabulary(TINYSVG, "tinysvg-tokens-1", max_tokens=256, max_replacement_tokens=21)
"""TinySVG's vocabulary (see the module doc for the layout and the limits)."""

VOCABULARIES: dict[str, Vocabulary] = {v.language: v for v in (CSG2D_VOCAB, TINYSVG_VOCAB)}
"""Every language's vocabulary, by language name."""


def vocabulary_for(language: str | Grammar | Node) -> Vocabulary:
    """The vocabulary of a language, given by name (any case), grammar, or one of its nodes."""
    if isinstance(language, Node):
        language = language.grammar
    if isinstance(language, Grammar):
        language = language.name
    try:
        return VOCABULARIES[grammar_named(language).name]
    except KeyError:
        raise KeyError(f"no vocabulary for the language {language!r}") from None


# ----- CSG2D's names, as before ---------------------------------------------------------------

GRAMMAR_VERSION = CSG2D_VOCAB.version
"""Bump whenever the vocabulary or its ids change; models carry it in their metadata."""

MAX_TOKENS = CSG2D_VOCAB.max_tokens
"""Longest program (in tokens) the models handle; also the number of ``<POS k>`` tokens."""

MAX_POS = CSG2D_VOCAB.max_pos
MAX_REPLACEMENT_TOKENS = CSG2D_VOCAB.max_replacement_tokens
"""Longest σ ≤ 2 replacement: ``( op (Quad ...) (Quad ...) )``."""

MAX_SEQUENCE = CSG2D_VOCAB.max_sequence
"""Longest example: program, ``<EDIT>``, ``<POS k>``, replacement, ``<EOS>``."""

VOCAB: tuple[str, ...] = CSG2D_VOCAB.tokens
"""Token strings; the id of a token is its index."""

VOCAB_SIZE = CSG2D_VOCAB.size
TOKEN_ID: dict[str, int] = CSG2D_VOCAB.token_id

PAD, EOS, EDIT = 0, 1, 2
LPAREN, RPAREN = 3, 4
CIRCLE_ID, QUAD_ID = CSG2D_VOCAB.keyword_id[CIRCLE], CSG2D_VOCAB.keyword_id[QUAD]
PLUS, MINUS = TOKEN_ID["+"], TOKEN_ID["-"]
NUM_BASE = CSG2D_VOCAB.leaf_range["num"].start
ANGLE_BASE = CSG2D_VOCAB.leaf_range["angle"].start
POS_BASE = CSG2D_VOCAB.pos_base

_OP_ID = {"+": PLUS, "-": MINUS}
_ANGLE_ID = {a: ANGLE_BASE + i for i, a in enumerate(ANGLE_VALUES)}

pos_id = CSG2D_VOCAB.pos_id
is_pos = CSG2D_VOCAB.is_pos
encode_node = CSG2D_VOCAB.encode_node
encode_program = CSG2D_VOCAB.encode_program
encode_edit = CSG2D_VOCAB.encode_edit
encode_example = CSG2D_VOCAB.encode_example
decode_program = CSG2D_VOCAB.decode_program
decode_edit = CSG2D_VOCAB.decode_edit
