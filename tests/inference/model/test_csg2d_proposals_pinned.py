"""CSG2D proposals of the shipped model are pinned (issue 17): the language-generic
vocabulary, constraint and decoding must propose exactly what the CSG2D-only code did.

The first digests were recorded with the code before the generic core (commit 53df3c0) on
the float ``models/policy.onnx`` shipped then; the second on its int8 copy
(``models.quantize``, shipped since session 16), recorded after the float digests had
passed with the same code.  Another shipped model skips the test.  Ten refset-dev
problems, each mutated by two random constrained edits, get four sampled edits for the
current and the true program and the three best edits (``top_edits``), with fixed seeds.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from inference.files.fileio import read_problems
from inference.lang.syntax import to_text
from inference.lang.tree import replace_at
from inference.model.decoding import sample_edits, top_edits
from inference.model.grammar_constraint import random_constrained_edit
from inference.model.model_batches import encode_batch
from inference.model.onnx_model import PolicyModel, default_model_path
from inference.render.raster import render

REFSET = Path(__file__).resolve().parents[2] / "data" / "refset-dev" / "problems.jsonl"
INPUTS_DIGEST = "5c532c2f508b34b6f41f251553357b4f3a6257ae2d3e466c0c9504776e3c7e5d"
EDITS_DIGESTS = {
    # the float export (session 8), pinned at 53df3c0
    "6a9a11211a6a43eab9cf4145222d533a": (
        "13fc0abb6bb45aa3f2d486d67af51490c2bbdc4acf15ab1fbbe0e5b9da9cf2f3"
    ),
    # its int8 copy (session 16)
    "902b5b5667954f2ab055247688187b38": (
        "1bd07239b7bdb997093aeebc378b4005a70163369f6cf9a0c3ece8e909d29943"
    ),
}


def test_shipped_model_proposes_the_same_csg2d_edits():
    path = default_model_path()
    if not path.exists():
        pytest.skip("no shipped model")
    model = PolicyModel.load(path, intra_op_threads=1)
    edits_digest = EDITS_DIGESTS.get(model.metadata.get("policy_id"))
    if edits_digest is None:
        pytest.skip("another shipped model than the ones the digests were recorded with")
    inputs, edits = hashlib.sha256(), []
    for i, (_, program) in enumerate(read_problems(REFSET)[:10]):
        rng = np.random.default_rng(1000 + i)
        current = program
        for _ in range(2):
            current = replace_at(current, *random_constrained_edit(current, rng))
        image = model.target_input(render(program, model.image_size))
        batch = encode_batch([(image, current, [])])
        for key in sorted(batch):
            inputs.update(np.ascontiguousarray(batch[key]).tobytes())
        rows = sample_edits(model, image, [current, program], 4, rng)
        best = top_edits(model, image, current, 3)
        edits.append(
            [to_text(current)]
            + [[(p.edit.pos, to_text(p.edit.replacement)) for p in row] for row in rows]
            + [[(p.edit.pos, to_text(p.edit.replacement)) for p in best]]
        )
    assert inputs.hexdigest() == INPUTS_DIGEST
    assert hashlib.sha256(json.dumps(edits).encode()).hexdigest() == edits_digest
