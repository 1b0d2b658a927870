"""Grammar-constrained decoding of one edit: which tokens may come next.

An edit is decoded after ``<EDIT>`` as ``<POS k>``, replacement tokens,
``<EOS>`` (see :mod:`inference.model.tokens`).  :class:`EditConstraint` holds what
is fixed for one program; :meth:`EditConstraint.start` gives an
:class:`EditState` that is advanced one token at a time and reports a boolean
mask over the vocabulary.  Every sequence that follows the masks is a valid
edit, so decoding can never propose a broken program.

Rules:

* ``<POS k>``: ``k`` is a node start that no lock protects
  (:func:`inference.lang.lock_rules.protected_positions`): neither a locked node,
  nor anything inside it, nor any *ancestor* of it, nor the operator leaf of
  an ancestor operation may be replaced.  So every edit keeps each locked
  node's subtree and its chain of operators and sides from the root: a
  locked hole stays a hole.
* The replacement parses as the nonterminal of the node at ``k``: one number,
  one angle, one operator, or a whole shape, read by a pushdown automaton.
* The replacement has at most ``max_replacement_tokens`` tokens (default 19,
  σ ≤ 2), and the edited program at most ``MAX_TOKENS``.  The automaton keeps
  the *slack*: budget left minus the fewest tokens that complete the open
  symbols.  A quad head needs slack ≥ 2 and a binop head slack ≥ 9, so a
  started replacement can always be finished and decoding always ends.
* ``<EOS>`` is allowed exactly when the replacement is complete, and then it
  is the only choice.  After ``<EOS>`` only ``<PAD>`` is allowed (so batched
  decoders can keep stepping finished rows).
* Optionally (``forbid_noop``) the replacement may not equal the current
  node: the last free token (number or angle) that would reproduce it is
  masked out, which never leaves a dead end.

Masks are precomputed per automaton state; :meth:`EditState.mask` returns a
shared read-only array, so copy it before writing to it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from inference.lang.lock_rules import protected_positions
from inference.lang.tree import ANGLE, NUM, OP, SHAPE, Node, walk
from inference.model.tokens import (
    ANGLE_BASE,
    CIRCLE_ID,
    EOS,
    LPAREN,
    MAX_REPLACEMENT_TOKENS,
    MAX_TOKENS,
    MINUS,
    NUM_BASE,
    PAD,
    PLUS,
    POS_BASE,
    QUAD_ID,
    RPAREN,
    VOCAB_SIZE,
    decode_edit,
    encode_node,
)

# Automaton stack symbols and the fewest tokens each needs.
_S, _H, _N, _A, _O, _C = range(6)
_MIN_LEN = (6, 5, 1, 1, 1, 1)
_SYMBOL_OF = {SHAPE: _S, NUM: _N, ANGLE: _A, OP: _O}
_QUAD_EXTRA = 2  # (Quad: 7 tokens after '(' versus 5 for Circle
_BINOP_EXTRA = 9  # (op S S): 14 tokens after '(' versus 5 for Circle


def _mask(ids: Iterable[int]) -> np.ndarray:
    m = np.zeros(VOCAB_SIZE, dtype=bool)
    m[list(ids)] = True
    m.flags.writeable = False
    return m


_NUM_IDS = range(NUM_BASE, NUM_BASE + 16)
_SYMBOL_MASK = (
    _mask([LPAREN]),
    None,  # the head mask depends on the slack
    _mask(_NUM_IDS),
    _mask(range(ANGLE_BASE, ANGLE_BASE + 8)),
    _mask([PLUS, MINUS]),
    _mask([RPAREN]),
)
_HEAD_MASKS = (
    _mask([CIRCLE_ID]),
    _mask([CIRCLE_ID, QUAD_ID]),
    _mask([CIRCLE_ID, QUAD_ID, PLUS, MINUS]),
)
_EOS_MASK = _mask([EOS])
_PAD_MASK = _mask([PAD])
_PUSH = {CIRCLE_ID: (_C, _N, _N, _N), QUAD_ID: (_C, _A, _N, _N, _N, _N)}
_PUSH_BINOP = (_C, _S, _S)


class EditConstraint:
    """The fixed part of constrained edit decoding for one program.

    Args:
        program: the current program (at most ``max_program_tokens`` tokens).
        locked_positions: positions of locked nodes; the edit keeps each one's
            subtree and chain (see :mod:`inference.lang.lock_rules`).
        max_replacement_tokens: the longest replacement allowed.
        max_program_tokens: the longest edited program allowed.
        forbid_noop: forbid a replacement equal to the node it replaces.

    Raises ``KeyError`` for a locked position that is not a node start and
    ``ValueError`` for a program longer than ``max_program_tokens``.
    """

    def __init__(
        self,
        program: Node,
        locked_positions: Iterable[int] = (),
        *,
        max_replacement_tokens: int = MAX_REPLACEMENT_TOKENS,
        max_program_tokens: int = MAX_TOKENS,
        forbid_noop: bool = False,
    ):
        if program.size > min(max_program_tokens, MAX_TOKENS):
            raise ValueError(f"program has {program.size} tokens, over the limit")
        self.program = program
        self.forbid_noop = forbid_noop
        nodes = dict(walk(program))
        locked_positions = tuple(locked_positions)
        for p in locked_positions:
            if p not in nodes:
                raise KeyError(f"locked position {p} is not a node start")
        protected = protected_positions(program, locked_positions)
        self._slots: dict[int, tuple[int, int, Node]] = {}
        for p, n in nodes.items():
            if p in protected:
                continue
            budget = min(max_replacement_tokens, max_program_tokens - program.size + n.size)
            symbol = _SYMBOL_OF[n.nonterminal]
            if budget >= _MIN_LEN[symbol]:
                self._slots[p] = (symbol, budget - _MIN_LEN[symbol], n)
        self.start_mask = _mask(POS_BASE + p for p in self._slots)

    @property
    def positions(self) -> list[int]:
        """The positions an edit may replace, ascending."""
        return sorted(self._slots)

    def start(self) -> EditState:
        """A fresh decoding state, before ``<POS k>``."""
        return EditState(self)

    def allowed(self, prefix_ids: Iterable[int]) -> np.ndarray:
        """The mask after ``prefix_ids`` (the ids decoded after ``<EDIT>``)."""
        state = self.start()
        for t in prefix_ids:
            state.advance(int(t))
        return state.mask()

    def random_edit(self, rng: np.random.Generator) -> tuple[int, Node]:
        """Sample an edit uniformly among the allowed tokens, step by step.

        Raises ``ValueError`` when no position may be edited.
        """
        if not self._slots:
            raise ValueError("no position of this program may be edited")
        state = self.start()
        while not state.done:
            choices = np.flatnonzero(state.mask())
            state.advance(int(choices[rng.integers(len(choices))]))
        return state.edit()


class EditState:
    """A decoding position: advance it token by token and ask for the mask."""

    __slots__ = ("_c", "ids", "_stack", "_slack", "_orig", "_j", "_last_free", "done")

    def __init__(self, constraint: EditConstraint):
        self._c = constraint
        self.ids: list[int] = []
        self._stack: list[int] | None = None  # None before <POS k>
        self._slack = 0
        self._orig: list[int] | None = None  # the replaced node's ids while still matching
        self._j = 0
        self._last_free = -1
        self.done = False

    def copy(self) -> EditState:
        """An independent copy (for beams)."""
        new = EditState.__new__(EditState)
        new._c, new.ids = self._c, list(self.ids)
        new._stack = None if self._stack is None else list(self._stack)
        new._slack, new._orig, new._j = self._slack, self._orig, self._j
        new._last_free, new.done = self._last_free, self.done
        return new

    def mask(self) -> np.ndarray:
        """Boolean mask over the vocabulary of the tokens allowed next (read-only)."""
        if self.done:
            return _PAD_MASK
        stack = self._stack
        if stack is None:
            return self._c.start_mask
        if not stack:
            return _EOS_MASK
        top = stack[-1]
        if top == _H:
            s = self._slack
            m = _HEAD_MASKS[2 if s >= _BINOP_EXTRA else 1 if s >= _QUAD_EXTRA else 0]
        else:
            m = _SYMBOL_MASK[top]
        if self._orig is not None and self._j == self._last_free:
            m = m.copy()
            m[self._orig[self._j]] = False
        return m

    def allowed_ids(self) -> np.ndarray:
        """The ids allowed next, ascending."""
        return np.flatnonzero(self.mask())

    def advance(self, token: int) -> None:
        """Consume one token; ``ValueError`` if the mask forbids it."""
        if not self.mask()[token]:
            raise ValueError(f"token id {token} is not allowed here")
        self.ids.append(token)
        if self.done or token == EOS:
            self.done = True
            return
        if self._stack is None:
            self._begin(token - POS_BASE)
            return
        if self._orig is not None:
            self._orig = self._orig if self._orig[self._j] == token else None
            self._j += 1
        top = self._stack.pop()
        if top == _S:
            self._stack.append(_H)
        elif top == _H:
            if token in _PUSH:
                self._stack += _PUSH[token]
                self._slack -= _QUAD_EXTRA if token == QUAD_ID else 0
            else:
                self._stack += _PUSH_BINOP
                self._slack -= _BINOP_EXTRA

    def _begin(self, pos: int) -> None:
        symbol, slack, node = self._c._slots[pos]
        self._stack = [symbol]
        self._slack = slack
        if self._c.forbid_noop:
            orig = encode_node(node)
            self._orig = orig
            self._j = 0
            self._last_free = max(i for i, t in enumerate(orig) if t != RPAREN)

    @property
    def pos(self) -> int | None:
        """The chosen position, or ``None`` before ``<POS k>``."""
        return self.ids[0] - POS_BASE if self.ids else None

    def edit(self) -> tuple[int, Node]:
        """``(pos, replacement)`` once done; ``ValueError`` before."""
        if not self.done:
            raise ValueError("the edit is not finished")
        return decode_edit(self.ids)


def random_constrained_edit(
    program: Node,
    rng: np.random.Generator,
    locked_positions: Iterable[int] = (),
    *,
    forbid_noop: bool = True,
    max_replacement_tokens: int = MAX_REPLACEMENT_TOKENS,
) -> tuple[int, Node]:
    """A random valid edit: tokens drawn uniformly among the allowed ones.

    The untrained/random-policy baseline, and a test tool.  Returns
    ``(pos, replacement)``; apply it with ``inference.lang.tree.replace_at``.
    """
    constraint = EditConstraint(
        program,
        locked_positions,
        max_replacement_tokens=max_replacement_tokens,
        forbid_noop=forbid_noop,
    )
    return constraint.random_edit(rng)
