"""Model inputs for batches: image planes, tokens, features, and training labels and masks.

:func:`encode_batch` builds the contract's four inputs for ``(target, program, edit ids)``
items, exactly as both the runtime decoder and training use them;
:func:`encode_training_batch` adds the labels and the grammar masks of the loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference.grammar_constraint import EditConstraint
from inference.model_inputs import FEATURE_DIM, program_features, target_bits
from inference.raster import rasterizer
from inference.target_images import IMAGE_SIZE
from inference.tokens import (
    EDIT,
    MAX_POS,
    MAX_REPLACEMENT_TOKENS,
    POS_BASE,
    encode_example,
    encode_program,
)
from inference.tree import Node


def image_planes(target: np.ndarray, program: Node, size: int = IMAGE_SIZE) -> np.ndarray:
    """float32 (3, size, size): target, current render, |target − current|.

    ``target`` is a ``bool`` mask or a float sketch (ink in [0, 1]), used as is.
    """
    return _planes(target, rasterizer(size).render(program))


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
    """
    size = np.shape(items[0][0])[0]
    programs = [encode_program(p) for _, p, _ in items]
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
    examples: Sequence, max_replacement_tokens: int = MAX_REPLACEMENT_TOKENS
) -> dict[str, np.ndarray]:
    """:func:`encode_batch` of labelled examples plus ``targets`` and ``value_targets``.

    ``examples`` have ``target_image`` (``bool`` mask or float sketch), ``current``, ``edit``
    and ``remaining`` (:class:`inference.training_examples.TrainingExample`).  The input holds
    the whole edit but its final ``<EOS>``; ``targets`` [B, T] int64 is the next id at
    positions ``prefix_len − 1`` … end − 1 (``<POS k>`` is ``POS_BASE + k``, the column of the
    concatenated logits) and −100 elsewhere; ``value_targets`` [B] float32 is ``remaining``.
    ``max_replacement_tokens`` is the decoder's limit for the grammar masks (whole programs
    for the autoregressive baseline's write task).
    """
    sequences = [encode_example(ex.current, ex.edit.pos, ex.edit.replacement) for ex in examples]
    items = [
        (ex.target_image, ex.current, ids[start:-1])
        for ex, (ids, start) in zip(examples, sequences, strict=True)
    ]
    batch = encode_batch(items)
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
    max_replacement_tokens: int = MAX_REPLACEMENT_TOKENS,
) -> np.ndarray:
    """Grammar masks for the training loss, bool [B, T, POS_BASE + T].

    Row ``t`` of example ``b`` marks the next tokens the decoder's
    :class:`~inference.grammar_constraint.EditConstraint` (``forbid_noop=True``)
    allows at label position ``t``, in the concatenated [token, pointer]
    space, so training normalizes over exactly the choices decoding has.
    Rows without a label allow everything.
    """
    out = np.ones((len(examples), length, POS_BASE + length), dtype=bool)
    for b, (ex, (ids, start)) in enumerate(zip(examples, sequences, strict=True)):
        write = max_replacement_tokens > MAX_REPLACEMENT_TOKENS  # whole programs, no no-op rule
        constraint = EditConstraint(
            ex.current, max_replacement_tokens=max_replacement_tokens, forbid_noop=not write
        )
        state = constraint.start()
        for t in range(start - 1, len(ids) - 1):
            vocab_mask = state.mask()
            row = out[b, t]
            row[:POS_BASE] = vocab_mask[:POS_BASE]
            n = min(length, len(vocab_mask) - POS_BASE)
            row[POS_BASE : POS_BASE + n] = vocab_mask[POS_BASE : POS_BASE + n]
            row[POS_BASE + n :] = False
            label = ids[t + 1]
            row[label] = True  # the label is always a legal choice
            state.advance(label)
    return out
