"""The training masks (``allowed_masks``) equal the decoder's ``EditConstraint`` masks along
each label, for edits, whole-program writes and programs near ``MAX_TOKENS``."""

import numpy as np
import pytest

from inference.lang.edits import Edit
from inference.lang.tree import walk
from inference.model.grammar_constraint import EditConstraint, random_constrained_edit
from inference.model.model_batches import allowed_masks
from inference.model.tokens import MAX_REPLACEMENT_TOKENS, MAX_TOKENS, POS_BASE, encode_example
from inference.noise.random_programs import random_shape
from inference.noise.training_examples import TrainingExample, make_example
from inference.render.raster import render


def reference_masks(examples, sequences, length, max_replacement_tokens=MAX_REPLACEMENT_TOKENS):
    """The masks as the decoder's constraint gives them, step by step along the label."""
    out = np.ones((len(examples), length, POS_BASE + length), dtype=bool)
    write = max_replacement_tokens > MAX_REPLACEMENT_TOKENS
    for b, (ex, (ids, start)) in enumerate(zip(examples, sequences, strict=True)):
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
            row[ids[t + 1]] = True
            state.advance(ids[t + 1])
    return out


def example(current, pos, replacement):
    image = np.zeros((8, 8), dtype=bool)
    return TrainingExample(current, current, Edit(pos, replacement), 1, image, image)


def check(examples, limit=MAX_REPLACEMENT_TOKENS):
    sequences = [encode_example(e.current, e.edit.pos, e.edit.replacement) for e in examples]
    length = max(len(ids) for ids, _ in sequences) + 3
    fast = allowed_masks(examples, sequences, length, limit)
    assert np.array_equal(fast, reference_masks(examples, sequences, length, limit))


def test_training_examples():
    rng = np.random.default_rng(0)
    examples = [make_example(rng, render, 16) for _ in range(300)]
    check([e for e in examples if e.current.size <= MAX_TOKENS])


@pytest.mark.parametrize("limit", [MAX_REPLACEMENT_TOKENS, MAX_TOKENS, 5])
def test_random_constrained_edits(limit):
    """Edits anywhere, including in programs so long that the budget shrinks the slack."""
    rng = np.random.default_rng(1)
    examples = []
    for n in [1, 2, 3, 5, 8, 14, 17, 18, 19, 20]:
        for _ in range(12):
            program = random_shape(rng, n)
            if program.size > MAX_TOKENS:
                continue
            pos, new = random_constrained_edit(
                program, rng, forbid_noop=limit <= MAX_REPLACEMENT_TOKENS,
                max_replacement_tokens=limit,
            )  # fmt: skip
            examples.append(example(program, pos, new))
    check(examples, limit)


def test_every_position_and_no_op_edges():
    """Every node of a few programs, replaced by a one-leaf-different copy (the no-op rule's
    last free token) and by the smallest and largest shapes."""
    rng = np.random.default_rng(2)
    examples = []
    for program in [random_shape(rng, n) for n in (1, 2, 4, 7)]:
        for pos, node in walk(program):
            if node.is_leaf:
                continue
            for other in (random_shape(rng, 1), random_shape(rng, 2)):
                if other != node:
                    examples.append(example(program, pos, other))
    check(examples)


def test_a_no_op_label_is_refused():
    rng = np.random.default_rng(3)
    program = random_shape(rng, 1)  # its whole replacement fits: only the no-op rule refuses
    ex = example(program, 0, program)
    sequences = [encode_example(program, 0, program)]
    with pytest.raises(ValueError):
        allowed_masks([ex], sequences, len(sequences[0][0]) + 1)
