"""Model inputs for batches: image planes, tokens, features, and training labels and masks.

:func:`encode_batch` builds the contract's four inputs for ``(target, program, edit ids)``
items, exactly as both the runtime decoder and training use them;
:func:`encode_training_batch` adds the labels and the grammar masks of the loss.

The programs' language chooses the inputs: CSG2D has 3 image planes (target mask or sketch,
current render, |target − current|) and the features of
:mod:`inference.model.token_features`; TinySVG has 9 (target RGB, current render RGB,
|target − current|, :mod:`inference.model.svg_features`) and its own reading of the same
feature columns.  Token ids are the language's :class:`~inference.model.tokens.Vocabulary`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from inference.lang.tree import ANGLE, NUM, OP, SHAPE, Node, node_at
from inference.model import svg_features
from inference.model.token_features import FEATURE_DIM, program_features, target_bits
from inference.model.tokens import (
    ANGLE_BASE,
    CIRCLE_ID,
    CSG2D_VOCAB,
    EDIT,
    EOS,
    LPAREN,
    MAX_POS,
    MAX_REPLACEMENT_TOKENS,
    MAX_TOKENS,
    MINUS,
    NUM_BASE,
    PLUS,
    POS_BASE,
    QUAD_ID,
    RPAREN,
    Vocabulary,
    encode_example,
    encode_node,
    encode_program,
    vocabulary_for,
)
from inference.render.raster import rasterizer
from inference.targets.target_images import IMAGE_SIZE


def image_planes(target: np.ndarray, program: Node, size: int = IMAGE_SIZE) -> np.ndarray:
    """The image planes of one item: float32 (planes, size, size).

    CSG2D: 3 planes, target, current render, |target − current|; ``target`` is a ``bool``
    mask or a float sketch (ink in [0, 1]), used as is.  TinySVG: 9 planes, target RGB,
    current render RGB, |target − current|; ``target`` is an RGB image
    (:func:`~inference.model.svg_features.target_rgb`).
    """
    if vocabulary_for(program) is not CSG2D_VOCAB:
        target = svg_features.target_rgb(target, size)
        return svg_features.planes(target, svg_features.render_unit(program, size))
    return _planes(target, rasterizer(size).render(program))


def image_planes_of(language: str) -> int:
    """How many image planes a model of ``language`` reads: 3 for CSG2D, 9 for TinySVG."""
    return 3 if vocabulary_for(language) is CSG2D_VOCAB else svg_features.PLANES


def _language_of(programs: Sequence[Node]) -> Vocabulary:
    """The vocabulary of the programs' language; ``ValueError`` when they mix languages."""
    vocab = vocabulary_for(programs[0])
    for p in programs:
        if p.grammar is not vocab.grammar:
            raise ValueError(f"a batch mixes {vocab.language} and {p.grammar.name} programs")
    return vocab


def _planes(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    out = np.empty((3, *current.shape), dtype=np.float32)
    out[0] = target
    out[1] = current
    np.abs(out[0] - out[1], out=out[2])
    return out


def encode_batch(items: Sequence[tuple[np.ndarray, Node, Sequence[int]]]) -> dict[str, np.ndarray]:
    """The model inputs for ``(target, program, edit ids so far)`` items (the contract's four).

    ``target`` is a (S, S) ``bool`` mask or float sketch; all items share S.  ``tokens`` are the
    program ids, ``<EDIT>`` and the edit ids, right-padded with ``<PAD>`` (0); ``feats`` are
    zero from ``<EDIT>`` on.  Raises ``ValueError`` for a ``<POS k>`` outside the program.

    For TinySVG programs ``target`` is an (S, S, 3) RGB image (float in [0, 1] or ``uint8``)
    and ``images`` has 9 planes.  All items are of one language.
    """
    vocab = _language_of([p for _, p, _ in items])
    if vocab is not CSG2D_VOCAB:
        return _encode_svg_batch(items, [vocab.encode_program(p) for _, p, _ in items], vocab)
    return _encode_batch(items, [encode_program(p) for _, p, _ in items])


def _token_rows(items, programs, vocab: Vocabulary):
    """The ``tokens`` input and the program lengths (see :func:`encode_batch`)."""
    edits = [np.asarray(e, dtype=np.int64).reshape(-1) for _, _, e in items]
    lengths = np.asarray([len(ids) for ids in programs])
    n, width = len(items), int(max(lengths + 1 + [len(e) for e in edits]))
    tokens = np.zeros((n, width), dtype=np.int64)
    first, last = vocab.pos_base, vocab.pos_base + vocab.max_pos
    for b, (ids, edit) in enumerate(zip(programs, edits, strict=True)):
        length = len(ids)
        if np.any((edit >= first + length) & (edit < last)):
            raise ValueError(f"item {b}: a <POS k> beyond the program's {length} tokens")
        tokens[b, :length], tokens[b, length] = ids, vocab.edit
        tokens[b, length + 1 : length + 1 + len(edit)] = edit
    return tokens, lengths


def _encode_svg_batch(items, programs: list[np.ndarray], vocab: Vocabulary):
    """:func:`encode_batch` of TinySVG items given the programs' ids."""
    size = np.shape(items[0][0])[0]
    tokens, lengths = _token_rows(items, programs, vocab)
    converted: dict[int, np.ndarray] = {}  # items usually share one target object
    targets = []
    for target, _, _ in items:
        if id(target) not in converted:
            converted[id(target)] = svg_features.target_rgb(target, size)
        targets.append(converted[id(target)])
    token_feats, images = svg_features.svg_batch_inputs(
        [p for _, p, _ in items], programs, targets, size
    )
    feats = np.zeros((*tokens.shape, FEATURE_DIM), dtype=np.float32)
    feats[np.arange(tokens.shape[1]) < lengths[:, None]] = token_feats
    return {"images": images, "tokens": tokens, "feats": feats, "prefix_len": lengths + 1}


def _encode_batch(items, programs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`encode_batch` given the programs' ids."""
    size = np.shape(items[0][0])[0]
    edits = [np.asarray(e, dtype=np.int64).reshape(-1) for _, _, e in items]
    lengths = np.asarray([len(ids) for ids in programs])
    n, width = len(items), int(max(lengths + 1 + [len(e) for e in edits]))
    tokens = np.zeros((n, width), dtype=np.int64)
    for b, (ids, edit) in enumerate(zip(programs, edits, strict=True)):
        length = len(ids)
        if np.any((edit >= POS_BASE + length) & (edit < POS_BASE + MAX_POS)):
            raise ValueError(f"item {b}: a <POS k> beyond the program's {length} tokens")
        tokens[b, :length], tokens[b, length] = ids, EDIT
        tokens[b, length + 1 : length + 1 + len(edit)] = edit
    targets = [target_bits(target, size) for target, _, _ in items]
    token_feats, outputs = program_features([p for _, p, _ in items], programs, targets, size)
    feats = np.zeros((n, width, FEATURE_DIM), dtype=np.float32)
    feats[np.arange(width) < lengths[:, None]] = token_feats
    current = rasterizer(size).unpack_many(outputs)
    images = np.empty((n, 3, size, size), dtype=np.float32)
    images[:, 0] = np.stack([t for t, _, _ in items])
    images[:, 1] = current
    np.abs(images[:, 0] - images[:, 1], out=images[:, 2])
    return {"images": images, "tokens": tokens, "feats": feats, "prefix_len": lengths + 1}


def encode_training_batch(
    examples: Sequence, max_replacement_tokens: int | None = None
) -> dict[str, np.ndarray]:
    """:func:`encode_batch` of labelled examples plus ``targets`` and ``value_targets``.

    ``examples`` have ``target_image`` (``bool`` mask or float sketch), ``current``, ``edit``
    and ``remaining`` (:class:`inference.noise.training_examples.TrainingExample`).  The input holds
    the whole edit but its final ``<EOS>``; ``targets`` [B, T] int64 is the next id at
    positions ``prefix_len − 1`` … end − 1 (``<POS k>`` is ``POS_BASE + k``, the column of the
    concatenated logits) and −100 elsewhere; ``value_targets`` [B] float32 is ``remaining``.
    ``max_replacement_tokens`` is the decoder's limit for the grammar masks (whole programs
    for the autoregressive baseline's write task); by default the vocabulary's (σ ≤ 2).
    TinySVG examples (RGB target images) get TinySVG's inputs; one language a batch.
    """
    vocab = _language_of([ex.current for ex in examples])
    if max_replacement_tokens is None:
        max_replacement_tokens = vocab.max_replacement_tokens
    encode = encode_example if vocab is CSG2D_VOCAB else vocab.encode_example
    sequences = [encode(ex.current, ex.edit.pos, ex.edit.replacement) for ex in examples]
    items = [
        (ex.target_image, ex.current, ids[start:-1])
        for ex, (ids, start) in zip(examples, sequences, strict=True)
    ]
    programs = [ids[: start - 1] for ids, start in sequences]
    if vocab is CSG2D_VOCAB:
        batch = _encode_batch(items, programs)
    else:
        batch = _encode_svg_batch(items, programs, vocab)
    targets = np.full(batch["tokens"].shape, -100, dtype=np.int64)
    for b, (ids, start) in enumerate(sequences):
        targets[b, start - 1 : len(ids) - 1] = ids[start:]
    batch["targets"] = targets
    batch["value_targets"] = np.asarray([ex.remaining for ex in examples], dtype=np.float32)
    batch["allowed"] = allowed_masks(examples, sequences, targets.shape[1], max_replacement_tokens)
    return batch


def allowed_masks(
    examples: Sequence,
    sequences: Sequence,
    length: int,
    max_replacement_tokens: int | None = None,
) -> np.ndarray:
    """Grammar masks for the training loss, bool [B, T, POS_BASE + T].

    Row ``t`` of example ``b`` marks the next tokens the decoder's
    :class:`~inference.model.grammar_constraint.EditConstraint` (``forbid_noop=True``, no locks)
    allows at label position ``t``, in the concatenated [token, pointer]
    space, so training normalizes over exactly the choices decoding has.
    Rows without a label allow everything.

    The rows are the constraint's masks along the label, computed here from the label's ids
    without building an ``EditConstraint`` per example (the same rules, see
    :func:`_label_rows`; a test compares the two).  Raises ``ValueError`` for a label the
    constraint forbids, as ``EditState.advance`` does.  For a language other than CSG2D the
    rows are the constraint's own masks (:func:`_constraint_rows`); the columns are
    ``vocab.pos_base + length`` wide.
    """
    vocab = _language_of([ex.current for ex in examples])
    if max_replacement_tokens is None:
        max_replacement_tokens = vocab.max_replacement_tokens
    if vocab is not CSG2D_VOCAB:
        return _constraint_rows(examples, sequences, length, max_replacement_tokens, vocab)
    write = max_replacement_tokens > MAX_REPLACEMENT_TOKENS  # whole programs, no no-op rule
    n = len(examples)
    out = np.ones((n, length, POS_BASE + length), dtype=bool)
    programs = np.full((n, length), RPAREN, dtype=np.int64)  # padding: no node starts there
    rows_b, rows_t, kinds, labels, cut_b, cut_t, cut_id = [], [], [], [], [], [], []
    for b, (ex, (ids, start)) in enumerate(zip(examples, sequences, strict=True)):
        first = start - 1  # the label row of <POS k>
        programs[b, :first] = ids[:first]
        label = ids[start:].tolist()
        row_kinds, cuts = _label_rows(ex.current, label, ids, max_replacement_tokens, not write)
        rows_b += [b] * len(row_kinds)
        rows_t += range(first, first + len(row_kinds))
        kinds += row_kinds
        labels += label
        for j, token in cuts:
            cut_b.append(b)
            cut_t.append(first + j)
            cut_id.append(token)
    firsts = np.asarray([start - 1 for _, start in sequences], dtype=np.intp)
    every = np.arange(n)
    out[every, firsts, :POS_BASE] = False  # the <POS k> rows: node starts only
    out[every, firsts, POS_BASE:] = _slot_starts(programs, max_replacement_tokens)
    kinds = np.asarray(kinds)
    rows_b, rows_t = np.asarray(rows_b, dtype=np.intp), np.asarray(rows_t, dtype=np.intp)
    after = kinds >= 0
    out[rows_b[after], rows_t[after]] = _row_table(length)[kinds[after]]
    out[cut_b, cut_t, cut_id] = False
    out[rows_b, rows_t, np.asarray(labels, dtype=np.intp)] = True  # the label is legal
    return out


# ----- the constraint's masks along a label (inference.model.grammar_constraint's rules) ---
# Automaton stack symbols, the fewest tokens each needs, and the row kinds of their masks.
_S, _H, _N, _A, _O, _C = range(6)
_MIN_LEN = (6, 5, 1, 1, 1, 1)
_SYMBOL_OF = {SHAPE: _S, NUM: _N, ANGLE: _A, OP: _O}
_QUAD_EXTRA, _BINOP_EXTRA = 2, 9
_PUSH = {CIRCLE_ID: (_C, _N, _N, _N), QUAD_ID: (_C, _A, _N, _N, _N, _N)}
_PUSH_BINOP = (_C, _S, _S)
_ROW_IDS: tuple[tuple[int, ...], ...] = (
    (LPAREN,),  # _S
    (CIRCLE_ID,),  # _H with slack < _QUAD_EXTRA
    (CIRCLE_ID, QUAD_ID),  # _H with slack < _BINOP_EXTRA
    (CIRCLE_ID, QUAD_ID, PLUS, MINUS),  # _H
    tuple(range(NUM_BASE, NUM_BASE + 16)),  # _N
    tuple(range(ANGLE_BASE, ANGLE_BASE + 8)),  # _A
    (PLUS, MINUS),  # _O
    (RPAREN,),  # _C
    (EOS,),  # the replacement is complete
)
_KIND_OF_SYMBOL = {_S: 0, _N: 4, _A: 5, _O: 6, _C: 7}
_EOS_ROW = 8
_ALLOWED = [frozenset(row) for row in _ROW_IDS]


@functools.cache
def _row_table(length: int) -> np.ndarray:
    """bool (len(_ROW_IDS), POS_BASE + length): each row kind's mask (read-only)."""
    table = np.zeros((len(_ROW_IDS), POS_BASE + length), dtype=bool)
    for k, row in enumerate(_ROW_IDS):
        table[k, list(row)] = True
    table.flags.writeable = False
    return table


def _slot_starts(program_ids, max_replacement_tokens: int):
    """Where ``<POS k>`` may point (array or scalar ids): node starts whose slot fits a
    replacement.

    A program has at most ``MAX_TOKENS`` tokens and a shape at least ``_MIN_LEN[_S]``, so a
    slot's budget ``min(max_replacement_tokens, MAX_TOKENS - size + node size)`` reaches its
    symbol's minimum exactly when ``max_replacement_tokens`` does.
    """
    shapes = program_ids == LPAREN
    leaves = ~shapes & (program_ids != RPAREN) & (program_ids != CIRCLE_ID)
    leaves &= program_ids != QUAD_ID
    return (shapes & (max_replacement_tokens >= _MIN_LEN[_S])) | (
        leaves & (max_replacement_tokens >= 1)
    )


def _label_rows(
    program: Node,
    label: list[int],
    ids: np.ndarray,
    max_replacement_tokens: int,
    forbid_noop: bool,
) -> tuple[list[int], list[tuple[int, int]]]:
    """The constraint's mask at each step of ``label`` (``<POS k>``, replacement, ``<EOS>``).

    ``ids`` starts with the program's ids.  Returns one row kind per label token (−1: the
    start mask, else an index of :data:`_ROW_IDS`) and the ``(step, id)`` cells the no-op
    rule removes.  Mirrors ``EditConstraint``/``EditState`` without locks; ``ValueError``
    for a forbidden token.
    """
    pos = label[0] - POS_BASE
    if not 0 <= pos < program.size or not _slot_starts(ids[pos], max_replacement_tokens):
        raise ValueError(f"token id {label[0]} is not allowed here")
    node = node_at(program, pos)
    symbol = _SYMBOL_OF[node.nonterminal]
    budget = min(max_replacement_tokens, MAX_TOKENS - program.size + node.size)
    slack = budget - _MIN_LEN[symbol]
    stack = [symbol]
    orig = encode_node(node) if forbid_noop else None
    last_free = max(i for i, t in enumerate(orig) if t != RPAREN) if orig else -1
    kinds, cuts = [-1], []
    for j, token in enumerate(label[1:]):
        if not stack:
            kind = _EOS_ROW
        elif stack[-1] == _H:
            kind = 3 if slack >= _BINOP_EXTRA else 2 if slack >= _QUAD_EXTRA else 1
        else:
            kind = _KIND_OF_SYMBOL[stack[-1]]
        kinds.append(kind)
        noop = orig is not None and j == last_free
        if noop:
            cuts.append((j + 1, orig[j]))
        if token not in _ALLOWED[kind] or (noop and token == orig[j]):
            raise ValueError(f"token id {token} is not allowed here")
        if token == EOS:
            break
        if orig is not None:
            orig = orig if orig[j] == token else None
        top = stack.pop()
        if top == _S:
            stack.append(_H)
        elif top == _H:
            if token in _PUSH:
                stack += _PUSH[token]
                slack -= _QUAD_EXTRA if token == QUAD_ID else 0
            else:
                stack += _PUSH_BINOP
                slack -= _BINOP_EXTRA
    return kinds, cuts


def _constraint_rows(examples, sequences, length: int, max_replacement_tokens: int, vocab):
    """:func:`allowed_masks` from an ``EditConstraint`` per example (any language)."""
    from inference.model.grammar_constraint import EditConstraint

    write = max_replacement_tokens > vocab.max_replacement_tokens
    base = vocab.pos_base
    reach = min(vocab.max_pos, length)
    out = np.ones((len(examples), length, base + length), dtype=bool)
    for b, (ex, (ids, start)) in enumerate(zip(examples, sequences, strict=True)):
        state = EditConstraint(
            ex.current,
            forbid_noop=not write,
            max_replacement_tokens=max_replacement_tokens,
            vocab=vocab,
        ).start()
        for j, token in enumerate(ids[start:].tolist()):
            mask = state.mask()
            row = out[b, start - 1 + j]
            row[:] = False
            row[:base] = mask[:base]
            row[base : base + reach] = mask[base : base + reach]
            state.advance(token)
    return out
