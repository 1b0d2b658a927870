"""Training batches are pinned bit for bit (issue 15): speed-ups of the data pipeline must not
change a single feature bit nor how the numpy Generator is consumed.

The digests were recorded before the data-rate work; the shipped model was trained on these
features and the runtime search computes them with the same functions.  Examples are drawn
the way ``models.data.draw_example`` draws them (torch-free here: random programs, CAD-like
parts, sketches and simulated drawings), then encoded with ``encode_training_batch``.
"""

import hashlib

import numpy as np
import pytest

from inference.lang.syntax import to_text
from inference.model.model_batches import encode_training_batch
from inference.model.tokens import MAX_TOKENS
from inference.noise.cad_parts import KINDS, make_part
from inference.noise.training_examples import example_for, make_example, write_example
from inference.render.raster import render
from inference.targets.sketch import simulate_drawing, simulate_sketch

SIZE = 64
STAGES = {  # target primitives, mutation steps, rho, start primitives (models.data.CURRICULUM)
    0: ((1, 3), (1, 2), 0.1, (1, 3)),
    2: ((2, 8), (1, 5), 0.2, (2, 7)),
}


def draw(rng, stage, sketch=0.0, drawn=0.0, parts=0.0, write=False):
    """One example as ``models.data.draw_example`` draws it."""
    targets, steps, rho, starts = STAGES[stage]
    while write:
        ex = write_example(rng, render, SIZE, targets)
        if ex.target.size + 2 + ex.current.size <= MAX_TOKENS:
            return ex
    ex = None
    while parts and rng.random() < parts:
        target = make_part(tuple(KINDS)[rng.integers(len(KINDS))], rng)
        ex = example_for(rng, render, target, render(target, SIZE), SIZE, rho, starts, steps)
        if ex.current.size <= MAX_TOKENS:
            break
        ex = None
    while ex is None:
        ex = make_example(rng, render, SIZE, rho, targets, starts, steps)
        if ex.current.size > MAX_TOKENS:
            ex = None
    if sketch and rng.random() < sketch:
        return ex.__class__(
            **{**_fields(ex), "target_image": simulate_sketch(ex.target, rng, SIZE)}
        )
    if drawn and rng.random() < drawn:
        image = simulate_drawing(ex.target, rng, SIZE) >= 0.5
        return ex.__class__(**{**_fields(ex), "target_image": image})
    return ex


def _fields(ex):
    return {name: getattr(ex, name) for name in ex.__slots__}


def digest(seed, batches, batch_size, **kind):
    """sha256 over the encoded batches, the examples' programs and the generator's end state."""
    rng = np.random.default_rng(seed)
    h = hashlib.sha256()
    for _ in range(batches):
        examples = [draw(rng, **kind) for _ in range(batch_size)]
        limit = MAX_TOKENS if kind.get("write") else 19
        batch = encode_training_batch(examples, limit)
        for key in sorted(batch):
            value = np.ascontiguousarray(batch[key])
            h.update(f"{key}{value.dtype}{value.shape}".encode())
            h.update(value.tobytes())
        for ex in examples:
            h.update(f"{to_text(ex.target)}|{to_text(ex.current)}|{ex.edit}|".encode())
    h.update(np.float64(rng.random()).tobytes())
    return h.hexdigest()


CASES = {
    "stage0": (dict(stage=0), "9cc52b9c397972befe0f1fab3349484b5f80cd9ac80d1f6202458d40eb0a3cba"),
    "stage2": (dict(stage=2), "b6b8b48dc4d0124ef684851ad500f2cfebd871edca987696b6894b400fdfec7f"),
    "mixed": (
        dict(stage=2, sketch=0.1, drawn=0.25, parts=0.3),
        "105ad64d8267e041c154876f48f6dcb084ede910c63df9df8135d6fff76af78a",
    ),
    "write": (
        dict(stage=2, write=True),
        "c3c13efe2968bf2246b9833887fffa9cf9f72fb013fd8e1c9af1805b72ed73fb",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_training_batches_are_pinned(name):
    kind, expected = CASES[name]
    assert digest(7, 3, 64, **kind) == expected
