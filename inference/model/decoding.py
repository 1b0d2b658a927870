"""Grammar-constrained, batched decoding of edits from a :class:`PolicyModel`.

An edit is decoded after ``<EDIT>`` as ``<POS k>``, replacement tokens,
``<EOS>`` (DESIGN.md §2).  At every step the next-token distribution is the
softmax of ``concat(token_logits[t], pos_logits[t])`` (column ``POS_BASE + k``
is ``<POS k>``) restricted to what :class:`EditConstraint` allows, so every
result is a valid edit of its program that never touches a locked node.

Cost: one forward pass per decoding step for all unfinished sequences
together; with a step graph (:mod:`inference.model.step_model`) the programs are
encoded once and each step computes only the edit tokens
(:mod:`inference.model.prefix_cache`).  Two more savings:

* a step whose mask allows exactly one token (``(``, ``)``, ``<EOS>``) needs
  no forward: under the masked softmax that token has probability 1;
* sequences with identical prefixes (same program, same ids so far) share one
  row of the forward batch.

Program images and features are encoded once per program with
``model_batches.encode_batch`` (empty edit); later steps append the edit ids
with zero features, as the contract defines them.

Reported log-probabilities are the model's at temperature 1 (temperature
only changes which edits are sampled), so they can rank candidates.

**Cancel**: :func:`sample_edits`, :func:`evaluate_values` and :func:`top_edits` take a
``cancel`` callback.  With one, forward batches are kept small (:data:`CANCEL_TOKENS`,
:data:`CANCEL_EDIT_ROWS`: about 0.05 s each) and it is asked before each; when it returns
True they stop with :class:`inference.util.cancellation.Cancelled` (``Cancelled`` below).
Without one, batches are as large as :data:`MAX_ROWS` allows.  The results are the same
either way, up to float rounding in the last digits of the log-probabilities.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from inference.lang.edits import Edit
from inference.lang.tree import Node, positions
from inference.model import model_batches
from inference.model.grammar_constraint import EditConstraint, EditState
from inference.model.onnx_model import PolicyModel
from inference.model.prefix_cache import MAX_EDIT_ROWS, PrefixCache, vocab_logits
from inference.model.tokens import CSG2D_VOCAB, Vocabulary
from inference.util.cancellation import CancelFn, check

MAX_ROWS = 256
"""Largest forward batch; bigger steps are split into chunks."""
CANCEL_TOKENS = 128
"""With a ``cancel`` callback, the most tokens (rows × padded length, but at least one row) in
one forward of the policy graph: about 0.05 s for the shipped network on a free core (0.1–0.3 s
on two cores shared with two other busy processes), so that a cancel, asked before every batch,
is heard within 0.3 s.  Small batches cost no throughput on a CPU (the time per row is flat)."""
CANCEL_EDIT_ROWS = 24
"""With a ``cancel`` callback, the most edit rows in one step-graph call (as short)."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """A decoded edit, its log-probability and the source program's value estimate."""

    edit: Edit
    logprob: float = 0.0
    value: float = float("nan")


@dataclass(frozen=True, slots=True)
class PrefixEval:
    """One forward over ``program + <EDIT>`` for each program.

    Attributes:
        values: (B,) predicted edits remaining, per program.
        pos_logprobs: per program, a (L,) array: log-probability that the edit
            starts at position k (no locks), ``-inf`` where no edit may start.
        programs: the programs evaluated.
        encoded: their encoded inputs, reused by :func:`sample_edits` and
            :func:`top_edits` (so passing ``prefix`` saves the feature work too).
    """

    values: np.ndarray
    pos_logprobs: list[np.ndarray]
    programs: tuple[Node, ...] = ()
    encoded: _Prefixes | None = field(default=None, repr=False, compare=False)


def masked_log_softmax(logits: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Log-softmax of ``logits`` over the entries where ``mask`` is True, along the last axis.

    Masked entries are ``-inf``.  NaN logits count as masked and ``+inf`` as
    very large; a row whose allowed logits are all non-finite becomes uniform
    over its allowed entries; a row with nothing allowed is all ``-inf``.  Returns float64.
    """
    x = np.nan_to_num(np.asarray(logits, np.float64), nan=-np.inf, posinf=1e300, neginf=-np.inf)
    mask = np.asarray(mask, bool)
    x = np.where(mask, x, -np.inf)
    dead = ~np.isfinite(x).any(axis=-1, keepdims=True)
    x = np.where(dead & mask, 0.0, x)
    top = x.max(axis=-1, keepdims=True)
    z = x - np.where(np.isfinite(top), top, 0.0)
    total = np.exp(z).sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore"):
        return np.where(total > 0, z - np.log(np.maximum(total, 1.0)), -np.inf)


class _Prefixes:
    """Encoded ``program + <EDIT>`` rows, expanded with edit ids on demand."""

    def __init__(self, model: PolicyModel, target_mask: np.ndarray, programs: Sequence[Node]):
        target = model.target_input(target_mask)
        self.model = model
        self.vocab = _vocab(model)
        self._cache: PrefixCache | None = None
        enc = model_batches.encode_batch([(target, p, []) for p in programs])
        plen = np.asarray(enc["prefix_len"], np.int64)
        self.images = np.asarray(enc["images"], np.float32)
        self.tokens = [np.asarray(enc["tokens"][b, :n], np.int64) for b, n in enumerate(plen)]
        self.feats = [np.asarray(enc["feats"][b, :n], np.float32) for b, n in enumerate(plen)]

    def inputs(self, rows: Sequence[tuple[int, tuple[int, ...]]]) -> dict[str, np.ndarray]:
        """Model inputs for ``(program index, edit ids so far)`` rows."""
        lens = [len(self.tokens[b]) + len(ids) for b, ids in rows]
        n, t = len(rows), max(lens)
        tokens = np.zeros((n, t), np.int64)
        feats = np.zeros((n, t, self.feats[0].shape[1]), np.float32)
        for r, (b, ids) in enumerate(rows):
            p = len(self.tokens[b])
            tokens[r, :p] = self.tokens[b]
            tokens[r, p : lens[r]] = ids
            feats[r, :p] = self.feats[b]
        prefix_len = np.array([len(self.tokens[b]) for b, _ in rows], np.int64)
        images = self.images[[b for b, _ in rows]]
        return {"images": images, "tokens": tokens, "feats": feats, "prefix_len": prefix_len}

    def next_logits(
        self, rows: Sequence[tuple[int, tuple[int, ...]]], cancel: CancelFn | None = None
    ):
        """Next-token logits over the whole vocabulary (R, VOCAB_SIZE) and values (R,).

        With a step graph (``model.step``) the programs are encoded once into a
        :class:`~inference.model.prefix_cache.PrefixCache` and only edit tokens are computed.
        With ``cancel``, batches are kept small (:data:`CANCEL_TOKENS`,
        :data:`CANCEL_EDIT_ROWS`) and it is asked before each; ``Cancelled`` when
        it returns True."""
        if self.model.step is not None:
            if self._cache is None:
                everything = self.inputs([(b, ()) for b in range(len(self.tokens))])
                width = everything["tokens"].shape[1]
                max_rows = MAX_ROWS if cancel is None else max(1, CANCEL_TOKENS // width)
                self._cache = PrefixCache(self.model, everything, max_rows, cancel)
            edit_rows = MAX_EDIT_ROWS if cancel is None else CANCEL_EDIT_ROWS
            return self._cache.next_logits(rows, cancel, edit_rows)
        logits = np.full((len(rows), self.vocab.size), -np.inf, np.float32)
        values = np.zeros(len(rows), np.float32)
        lengths = [len(self.tokens[b]) + len(ids) for b, ids in rows]
        for lo, hi in _spans(lengths, None if cancel is None else CANCEL_TOKENS):
            check(cancel)
            chunk = rows[lo:hi]
            tok, pos, val = self.model.run(self.inputs(chunk))
            r = np.arange(len(chunk))
            t = np.array([len(self.tokens[b]) + len(ids) - 1 for b, ids in chunk])
            logits[lo : lo + len(chunk)] = vocab_logits(tok[r, t], pos[r, t], self.vocab)
            values[lo : lo + len(chunk)] = val
        return logits, values


def _spans(lengths: Sequence[int], max_tokens: int | None) -> Iterator[tuple[int, int]]:
    """``(lo, hi)`` row ranges for forward batches: at most :data:`MAX_ROWS` rows and, given
    ``max_tokens``, at most that many tokens (rows × the longest row), or a single row."""
    lo = 0
    while lo < len(lengths):
        hi, longest = lo + 1, lengths[lo]
        while hi < len(lengths) and hi - lo < MAX_ROWS:
            longer = max(longest, lengths[hi])
            if max_tokens is not None and (hi - lo + 1) * longer > max_tokens:
                break
            hi, longest = hi + 1, longer
        yield lo, hi
        lo = hi


def _evaluate(
    model: PolicyModel, target_mask, programs: Sequence[Node], cancel: CancelFn | None = None
) -> PrefixEval:
    _check_language(model, programs)
    prefixes = _Prefixes(model, target_mask, programs)
    logits, values = prefixes.next_logits([(b, ()) for b in range(len(programs))], cancel)
    base = prefixes.vocab.pos_base
    starts = np.zeros(logits.shape, bool)  # without locks, every node start may be edited
    for b, p in enumerate(programs):
        starts[b, [base + k for k in positions(p)]] = True
    lp = masked_log_softmax(logits, starts)
    pos = [lp[b, base : base + p.size].copy() for b, p in enumerate(programs)]
    return PrefixEval(values, pos, tuple(programs), prefixes)


def _prefix_for(model, target_mask, programs, prefix: PrefixEval | None, cancel) -> PrefixEval:
    """``prefix`` if it was evaluated for ``programs`` by ``model``, else a new evaluation."""
    if prefix is None:
        return _evaluate(model, target_mask, programs, cancel)
    if prefix.programs != tuple(programs) or prefix.encoded is None:
        raise ValueError("prefix was evaluated for other programs")
    if prefix.encoded.model is not model:
        raise ValueError("prefix was evaluated with another model")
    return prefix


def evaluate_values(
    model: PolicyModel,
    target_mask: np.ndarray,
    programs: Sequence[Node],
    *,
    cancel: CancelFn | None = None,
):
    """Value estimates and first-step pointer log-probs, one forward for all ``programs``.

    Returns a :class:`PrefixEval`; pass it to :func:`sample_edits` or
    :func:`top_edits` as ``prefix`` to reuse this forward.  ``cancel`` is asked before
    every network batch (batches are then small); ``Cancelled`` when it returns True.
    """
    if not programs:
        return PrefixEval(np.zeros(0, np.float32), [])
    return _evaluate(model, target_mask, programs, cancel)


def _vocab(model) -> Vocabulary:
    """The model's vocabulary (CSG2D's for a model object that names none)."""
    return getattr(model, "vocabulary", CSG2D_VOCAB)


def longest_program(model) -> int:
    """The most tokens a program the model reads may have (its vocabulary's ``max_tokens``;
    :func:`sample_edits` and :func:`evaluate_values` refuse a longer one)."""
    return _vocab(model).max_tokens


def _check_language(model, programs: Sequence[Node]) -> None:
    """Refuse programs of another language than the model's: the model's
    :class:`~inference.model.onnx_model.ModelError` ("this model is for TinySVG; the
    document is CSG2D"), or ``ValueError`` for a model object without ``check_language``."""
    vocab = _vocab(model)
    for p in programs:
        if p.grammar is not vocab.grammar:
            check = getattr(model, "check_language", None)
            if check is not None:
                check(p.grammar.name)
            raise ValueError(f"this model is for {vocab.language}; the program is {p.grammar.name}")


def _start_logprobs(prefix: PrefixEval, owners: list[int], constraints) -> np.ndarray:
    """First-step log-probs (R, V) for rows of programs ``owners``, renormalized under locks."""
    vocab = constraints[0].vocab if constraints else CSG2D_VOCAB
    base = vocab.pos_base
    full = np.full((len(owners), vocab.size), -np.inf)
    for r, b in enumerate(owners):
        pos = prefix.pos_logprobs[b]
        full[r, base : base + len(pos)] = pos
    masks = np.array([constraints[b].start_mask for b in owners]).reshape(full.shape)
    return masked_log_softmax(full, masks)


def _advance(state: EditState, token: int) -> None:
    """Advance by ``token``, then by every forced token (probability 1)."""
    state.advance(token)
    while not state.done:
        allowed = state.allowed_ids()
        if len(allowed) != 1:
            return
        state.advance(int(allowed[0]))


def _choose(lp: np.ndarray, temperature: float, greedy: bool, rng) -> np.ndarray:
    """One token per row of log-probs ``lp`` (R, V): argmax or a tempered sample."""
    if greedy:
        return lp.argmax(axis=1)
    tempered = masked_log_softmax(lp / temperature, np.isfinite(lp))
    cdf = np.cumsum(np.exp(tempered), axis=1)
    u = rng.random(len(lp)) * cdf[:, -1]
    idx = (cdf <= u[:, None]).sum(axis=1)
    last = lp.shape[1] - 1 - np.argmax(np.isfinite(lp[:, ::-1]), axis=1)
    return np.minimum(idx, last)


def _constraints(
    programs, locked, forbid_noop: bool, max_replacement_tokens: int | None, vocab: Vocabulary
) -> list[EditConstraint]:
    if locked is not None and len(locked) != len(programs):
        raise ValueError(f"locked has {len(locked)} entries for {len(programs)} programs")
    locks = locked if locked is not None else [()] * len(programs)
    pairs = zip(programs, locks, strict=True)
    limit = max_replacement_tokens
    return [
        EditConstraint(p, lk, forbid_noop=forbid_noop, max_replacement_tokens=limit, vocab=vocab)
        for p, lk in pairs
    ]


def sample_edits(
    model: PolicyModel,
    target_mask: np.ndarray,
    programs: Sequence[Node],
    n_per_program: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    locked: Sequence[Iterable[int]] | None = None,
    forbid_noop: bool = True,
    greedy: bool = False,
    *,
    dedupe: bool = True,
    prefix: PrefixEval | None = None,
    max_replacement_tokens: int | None = None,
    cancel: CancelFn | None = None,
) -> list[list[Proposal]]:
    """Sample ``n_per_program`` constrained edits for each program, decoding all at once.

    Args:
        model: the policy.
        target_mask: the target image, any size (see :meth:`PolicyModel.target_input`).
        programs: the current programs (all for the same target).
        n_per_program: samples drawn per program.
        rng: the only source of randomness.
        temperature: sampling temperature (> 0); log-probs are reported at 1.
        locked: one collection of locked node positions per program.
        forbid_noop: never propose a replacement equal to the replaced node.
        greedy: take the most likely token at each step instead of sampling.
        dedupe: drop repeated edits of one program (keeps the first sample),
            so a program may get fewer than ``n_per_program`` proposals.
        prefix: a :func:`evaluate_values` result for the same model, target and
            programs, to reuse its forward pass and encoded inputs (the target is
            not re-checked).
        max_replacement_tokens: the longest replacement (default: the model's
            vocabulary's σ ≤ 2 limit; larger for the autoregressive baseline, which
            writes whole programs).
        cancel: asked before every network batch (batches are then kept small, about
            0.05 s each); when it returns True the decoding stops with ``Cancelled``.

    Returns:
        For each program its proposals in sampling order; ``value`` is the
        model's estimate for the source program.  A program with no editable
        position gets an empty list.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if not programs:
        return []
    _check_language(model, programs)
    constraints = _constraints(programs, locked, forbid_noop, max_replacement_tokens, _vocab(model))
    prefix = _prefix_for(model, target_mask, programs, prefix, cancel)
    owners = [b for b, c in enumerate(constraints) if c.positions for _ in range(n_per_program)]
    states = [constraints[b].start() for b in owners]
    scores = np.zeros(len(states))
    lp = _start_logprobs(prefix, owners, constraints)
    rows = list(range(len(states)))
    while rows:
        picks = _choose(lp, temperature, greedy, rng)
        scores[rows] += lp[np.arange(len(rows)), picks]
        for i, tok in zip(rows, picks.tolist(), strict=True):
            _advance(states[i], tok)
        rows = [i for i in rows if not states[i].done]
        if rows:
            active = [(owners[i], states[i]) for i in rows]
            lp = _step_logprobs(prefix.encoded, active, cancel)
    return _collect(len(programs), owners, states, scores, prefix.values, dedupe)


def _step_logprobs(
    prefixes: _Prefixes, active: list[tuple[int, EditState]], cancel: CancelFn | None = None
) -> np.ndarray:
    """Masked next-token log-probs (R, V) for ``(program index, state)`` rows.

    Rows with identical prefixes share one forward row.
    """
    keys = [(b, tuple(s.ids)) for b, s in active]
    unique = list(dict.fromkeys(keys))
    where = {k: j for j, k in enumerate(unique)}
    logits, _ = prefixes.next_logits(unique, cancel)
    masks = np.stack([s.mask() for _, s in active])
    return masked_log_softmax(logits[[where[k] for k in keys]], masks)


def _collect(n_programs, owners, states, scores, values, dedupe: bool) -> list[list[Proposal]]:
    out: list[list[Proposal]] = [[] for _ in range(n_programs)]
    seen: list[set[Edit]] = [set() for _ in range(n_programs)]
    for b, state, score in zip(owners, states, scores.tolist(), strict=True):
        edit = Edit(*state.edit())
        if dedupe and edit in seen[b]:
            continue
        seen[b].add(edit)
        out[b].append(Proposal(edit, score, float(values[b])))
    return out


def top_edits(
    model: PolicyModel,
    target_mask: np.ndarray,
    program: Node,
    k: int,
    locked: Iterable[int] | None = None,
    forbid_noop: bool = True,
    *,
    prefix: PrefixEval | None = None,
    cancel: CancelFn | None = None,
) -> list[Proposal]:
    """The ``k`` most probable distinct edits of ``program``, best first (beam search).

    A beam of width ``k`` over tokens: each step expands every unfinished
    sequence by all allowed tokens and keeps the ``k`` best; finished edits
    are collected, and a sequence is dropped once it cannot beat the ``k``-th
    finished one.  Like any beam search it may miss an edit whose prefix fell
    out of the beam.  Fewer than ``k`` come back when fewer edits exist.

    Args:
        prefix: a :func:`evaluate_values` result for ``[program]`` to reuse.
        cancel: asked before every network batch; ``Cancelled`` when it returns True.
    """
    if k < 1:
        return []
    _check_language(model, [program])
    constraint = EditConstraint(program, locked or (), forbid_noop=forbid_noop, vocab=_vocab(model))
    if not constraint.positions:
        return []
    prefix = _prefix_for(model, target_mask, [program], prefix, cancel)
    beams: list[tuple[float, EditState]] = [(0.0, constraint.start())]
    lp = _start_logprobs(prefix, [0], [constraint])
    finished: list[tuple[float, EditState]] = []
    while beams:
        children = [
            (float(score + lp[j, t]), j, t)
            for j, (score, _) in enumerate(beams)
            for t in np.flatnonzero(np.isfinite(lp[j])).tolist()
        ]
        children.sort(key=lambda c: -c[0])
        parents, beams = beams, []
        for score, j, t in children[:k]:
            state = parents[j][1].copy()
            _advance(state, t)
            (finished if state.done else beams).append((score, state))
        finished = sorted(finished, key=lambda f: -f[0])[:k]
        if len(finished) == k:
            beams = [b for b in beams if b[0] > finished[-1][0]]
        if beams:
            lp = _step_logprobs(prefix.encoded, [(0, state) for _, state in beams], cancel)
    value = float(prefix.values[0])
    return [Proposal(Edit(*state.edit()), score, value) for score, state in finished]


def greedy_edit(
    model: PolicyModel,
    target_mask: np.ndarray,
    program: Node,
    locked: Iterable[int] | None = None,
    forbid_noop: bool = True,
) -> Proposal | None:
    """The greedy (most likely token at each step) edit, or ``None`` if nothing is editable."""
    best = top_edits(model, target_mask, program, 1, locked, forbid_noop)
    return best[0] if best else None
