"""Grammar-constrained decoding of one edit: which tokens may come next.

An edit is decoded after ``<EDIT>`` as ``<POS k>``, replacement tokens,
``<EOS>`` (see :mod:`inference.model.tokens`).  :class:`EditConstraint` holds what
is fixed for one program; :meth:`EditConstraint.start` gives an
:class:`EditState` that is advanced one token at a time and reports a boolean
mask over the vocabulary.  Every sequence that follows the masks is a valid
edit, so decoding can never propose a broken program.

The rules are the same for every language; the grammar's data
(:class:`~inference.lang.grammar.Grammar`, through the program's
:class:`~inference.model.tokens.Vocabulary`) gives the automaton its tables
(:class:`Automaton`):

* ``<POS k>``: ``k`` is a node start that no lock protects
  (:func:`inference.lang.lock_rules.protected_positions`): neither a locked node,
  nor anything inside it, nor any *ancestor* of it, nor the operator leaf of
  an ancestor operation may be replaced.  So every edit keeps each locked
  node's subtree and its chain of operators and sides from the root: a
  locked hole stays a hole.
* The replacement parses as the nonterminal of the node at ``k``: one value of
  a leaf domain (CSG2D's number, angle or operator; TinySVG's digit, colour,
  direction or flag), or a whole inner node (a shape, a drawing), read by a
  pushdown automaton.
* The replacement has at most ``max_replacement_tokens`` tokens (default: the
  vocabulary's σ ≤ 2 limit, 19 for CSG2D and 21 for TinySVG), and the edited
  program at most the vocabulary's ``max_tokens``.  The automaton keeps
  the *slack*: budget left minus the fewest tokens that complete the open
  symbols.  A head is allowed only when the slack covers the extra tokens its
  production needs over the nonterminal's shortest (CSG2D: a quad 2, a binop 9;
  TinySVG: a rectangle or an ellipse 0, a move 7, an arrange 13), so a
  started replacement can always be finished and decoding always ends.
* ``<EOS>`` is allowed exactly when the replacement is complete, and then it
  is the only choice.  After ``<EOS>`` only ``<PAD>`` is allowed (so batched
  decoders can keep stepping finished rows).
* Optionally (``forbid_noop``) the replacement may not equal the current
  node: the last free token (a value of a domain with two values or more) that
  would reproduce it is masked out, which never leaves a dead end.

Masks are precomputed per automaton state; :meth:`EditState.mask` returns a
shared read-only array, so copy it before writing to it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np

from inference.lang.lock_rules import protected_positions
from inference.lang.tree import Node, walk
from inference.model.tokens import Vocabulary, vocabulary_for


def _mask(size: int, ids: Iterable[int]) -> np.ndarray:
    m = np.zeros(size, dtype=bool)
    m[list(ids)] = True
    m.flags.writeable = False
    return m


class Automaton:
    """The pushdown automaton of one vocabulary's grammar, as tables (built once, shared).

    Stack symbols are small ints: for every nonterminal an *open* symbol (an inner one
    expects ``(``, a leaf one a value), for every inner nonterminal a *head* symbol (the
    token after ``(``), and one *close* symbol (``)``).

    Attributes:
        vocab: the vocabulary.
        open_symbol: the open symbol of each nonterminal.
        min_len: the fewest tokens that complete each symbol.
        masks: each symbol's mask (``None`` for a head symbol: it depends on the slack).
        head_masks: for a head symbol, ``(extra, mask)`` pairs, largest extra first: the
            mask of the heads whose production needs at most ``extra`` tokens more than
            the nonterminal's shortest; ``None`` for the others.
        after_open: the head symbol that follows an inner open symbol, else -1.
        push: for a head symbol, ``{head id: (symbols pushed, extra)}``; ``None`` else.
        eos_mask, pad_mask: the masks after a complete replacement and after ``<EOS>``.
        free: bool (size,): the ids of a leaf domain with two values or more, where a
            different choice is always possible (the no-op rule masks one there).
    """

    def __init__(self, vocab: Vocabulary):
        self.vocab = vocab
        g, size = vocab.grammar, vocab.size
        inner = [nt for nt in g.nonterminals if not g.is_leaf(nt)]
        leaves = [nt for nt in g.nonterminals if g.is_leaf(nt)]
        # symbols: open (inner, then leaf), head (inner), close; CSG2D: S H N A O C
        self.open_symbol: dict[str, int] = {}
        symbols = 0
        for nt in inner:
            self.open_symbol[nt] = symbols
            symbols += 2
        for nt in leaves:
            self.open_symbol[nt] = symbols
            symbols += 1
        self.close = symbols
        n = symbols + 1
        lengths = _min_lengths(g)
        self.min_len = [0] * n
        self.masks: list[np.ndarray | None] = [None] * n
        self.head_masks: list[tuple[tuple[int, np.ndarray], ...] | None] = [None] * n
        self.after_open = [-1] * n
        self.push: list[dict[int, tuple[tuple[int, ...], int]] | None] = [None] * n
        for nt in leaves:
            s = self.open_symbol[nt]
            self.min_len[s] = 1
            self.masks[s] = _mask(size, vocab.leaf_range[nt])
        self.min_len[self.close] = 1
        self.masks[self.close] = _mask(size, [vocab.rparen])
        for nt in inner:
            s = self.open_symbol[nt]
            head = s + 1
            self.min_len[s], self.min_len[head] = lengths[nt], lengths[nt] - 1
            self.masks[s] = _mask(size, [vocab.lparen])
            self.after_open[s] = head
            push: dict[int, tuple[tuple[int, ...], int]] = {}
            by_extra: dict[int, list[int]] = {}
            for token, p in vocab.heads[nt].items():
                extra = _production_len(p, lengths) - lengths[nt]
                rest = p.children if p.keyword is not None else p.children[1:]
                push[token] = ((self.close, *(self.open_symbol[c] for c in reversed(rest))), extra)
                by_extra.setdefault(extra, []).append(token)
            self.push[head] = push
            cuts = sorted(by_extra, reverse=True)
            self.head_masks[head] = tuple(
                (e, _mask(size, [t for x in cuts if x <= e for t in by_extra[x]])) for e in cuts
            )
        self.eos_mask = _mask(size, [vocab.eos])
        self.pad_mask = _mask(size, [vocab.pad])
        self.free = np.zeros(size, dtype=bool)
        for nt in leaves:
            if len(vocab.leaf_range[nt]) > 1:
                self.free[list(vocab.leaf_range[nt])] = True


def _production_len(p, lengths: dict[str, int]) -> int:
    """The fewest tokens of a node of production ``p``."""
    return 2 + (p.keyword is not None) + sum(lengths[c] for c in p.children)


def _min_lengths(grammar) -> dict[str, int]:
    """The fewest tokens of each nonterminal (a fixpoint from above)."""
    lengths = {nt: 1 if grammar.is_leaf(nt) else 1 << 30 for nt in grammar.nonterminals}
    changed = True
    while changed:
        changed = False
        for p in grammar.productions:
            n = _production_len(p, lengths)
            if n < lengths[p.nonterminal]:
                lengths[p.nonterminal], changed = n, True
    return lengths


@functools.cache
def automaton(vocab: Vocabulary) -> Automaton:
    """The shared :class:`Automaton` of ``vocab``."""
    return Automaton(vocab)


class EditConstraint:
    """The fixed part of constrained edit decoding for one program.

    Args:
        program: the current program (at most ``max_program_tokens`` tokens).
        locked_positions: positions of locked nodes; the edit keeps each one's
            subtree and chain (see :mod:`inference.lang.lock_rules`).
        max_replacement_tokens: the longest replacement allowed (default: the
            vocabulary's, σ ≤ 2).
        max_program_tokens: the longest edited program allowed (default: the
            vocabulary's ``max_tokens``).
        forbid_noop: forbid a replacement equal to the node it replaces.
        vocab: the vocabulary; by default the program's language's.

    Raises ``KeyError`` for a locked position that is not a node start and
    ``ValueError`` for a program longer than ``max_program_tokens``.
    """

    def __init__(
        self,
        program: Node,
        locked_positions: Iterable[int] = (),
        *,
        max_replacement_tokens: int | None = None,
        max_program_tokens: int | None = None,
        forbid_noop: bool = False,
        vocab: Vocabulary | None = None,
    ):
        vocab = vocabulary_for(program) if vocab is None else vocab
        if program.grammar is not vocab.grammar:
            raise ValueError(f"a {program.grammar.name} program, a {vocab.language} vocabulary")
        if max_replacement_tokens is None:
            max_replacement_tokens = vocab.max_replacement_tokens
        if max_program_tokens is None:
            max_program_tokens = vocab.max_tokens
        if program.size > min(max_program_tokens, vocab.max_tokens):
            raise ValueError(f"program has {program.size} tokens, over the limit")
        self.program = program
        self.vocab = vocab
        self.automaton = a = automaton(vocab)
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
            symbol = a.open_symbol[n.nonterminal]
            if budget >= a.min_len[symbol]:
                self._slots[p] = (symbol, budget - a.min_len[symbol], n)
        self.start_mask = _mask(vocab.size, (vocab.pos_base + p for p in self._slots))

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

    __slots__ = ("_c", "_a", "ids", "_stack", "_slack", "_orig", "_j", "_last_free", "done")

    def __init__(self, constraint: EditConstraint):
        self._c = constraint
        self._a = constraint.automaton
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
        new._c, new._a, new.ids = self._c, self._a, list(self.ids)
        new._stack = None if self._stack is None else list(self._stack)
        new._slack, new._orig, new._j = self._slack, self._orig, self._j
        new._last_free, new.done = self._last_free, self.done
        return new

    def mask(self) -> np.ndarray:
        """Boolean mask over the vocabulary of the tokens allowed next (read-only)."""
        a = self._a
        if self.done:
            return a.pad_mask
        stack = self._stack
        if stack is None:
            return self._c.start_mask
        if not stack:
            return a.eos_mask
        top = stack[-1]
        heads = a.head_masks[top]
        if heads is None:
            m = a.masks[top]
        else:
            s = self._slack
            for extra, m in heads:  # noqa: B007 (the last pair, extra 0, always fits)
                if s >= extra:
                    break
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
        if self.done or token == self._c.vocab.eos:
            self.done = True
            return
        if self._stack is None:
            self._begin(token - self._c.vocab.pos_base)
            return
        if self._orig is not None:
            self._orig = self._orig if self._orig[self._j] == token else None
            self._j += 1
        a = self._a
        top = self._stack.pop()
        head = a.after_open[top]
        if head >= 0:
            self._stack.append(head)
        else:
            push = a.push[top]
            if push is not None:
                symbols, extra = push[token]
                self._stack += symbols
                self._slack -= extra

    def _begin(self, pos: int) -> None:
        symbol, slack, node = self._c._slots[pos]
        self._stack = [symbol]
        self._slack = slack
        if self._c.forbid_noop:
            orig = self._c.vocab.encode_node(node)
            free = self._a.free
            self._orig = orig
            self._j = 0
            self._last_free = max(i for i, t in enumerate(orig) if free[t])

    @property
    def pos(self) -> int | None:
        """The chosen position, or ``None`` before ``<POS k>``."""
        return self.ids[0] - self._c.vocab.pos_base if self.ids else None

    def edit(self) -> tuple[int, Node]:
        """``(pos, replacement)`` once done; ``ValueError`` before."""
        if not self.done:
            raise ValueError("the edit is not finished")
        return self._c.vocab.decode_edit(self.ids)


def random_constrained_edit(
    program: Node,
    rng: np.random.Generator,
    locked_positions: Iterable[int] = (),
    *,
    forbid_noop: bool = True,
    max_replacement_tokens: int | None = None,
) -> tuple[int, Node]:
    """A random valid edit: tokens drawn uniformly among the allowed ones.

    The untrained/random-policy baseline, and a test tool.  Returns
    ``(pos, replacement)``; apply it with ``inference.lang.tree.replace_at``.
    ``max_replacement_tokens`` defaults to the program's vocabulary's (σ ≤ 2).
    """
    constraint = EditConstraint(
        program,
        locked_positions,
        max_replacement_tokens=max_replacement_tokens,
        forbid_noop=forbid_noop,
    )
    return constraint.random_edit(rng)
