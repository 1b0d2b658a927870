"""A small, real, contract-conforming policy ONNX model built with ``onnx.helper``.

Used to test :mod:`inference.model.onnx_model` and :mod:`inference.model.decoding` without
torch.  The network is not smart, but it is a genuine ONNX graph with the
contract's inputs, outputs, dynamic axes ``B`` and ``T`` and metadata, and its
outputs depend on every input:

* ``h = tanh(E[tokens] + P[t] + feats @ Wf + mean_pixels(images) @ Wi)``   (B, T, D)
* ``token_logits = h @ Wt + bt``                                   (B, T, POS_BASE)
* ``pos_logits = (h @ Wq) @ hᵀ``                                   (B, T, T)
* ``value = (h @ wv)[b, prefix_len[b] - 1]``                        (B,)

Each position only sees its own token (and pointer columns see theirs), so it
is causal in the contract's sense.  Weights are numpy random from a seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from inference.model import token_features as model_inputs
from inference.model.model_contract import FORMAT_TAG, OUTPUTS
from inference.model.tokens import GRAMMAR_VERSION, MAX_SEQUENCE, POS_BASE, VOCAB, VOCAB_SIZE
from inference.targets import target_images


def default_metadata(image_size: int, feature_dim: int, d_model: int) -> dict[str, str]:
    """The contract metadata a conforming fake model carries."""
    return {
        "treesketch_format": FORMAT_TAG,
        "grammar_version": GRAMMAR_VERSION,
        "vocab": json.dumps(list(VOCAB)),
        "image_size": str(image_size),
        "feature_version": str(model_inputs.FEATURE_VERSION),
        "feature_dim": str(feature_dim),
        "modality": "filled",
        "training_examples": "1234",
        "dev_metrics": json.dumps({"pos_accuracy": 0.5}),
        "config": json.dumps({"kind": "fake", "d_model": d_model}),
        "created": "2026-11-01T00:00:00Z",
    }


def build_fake_policy(
    path: str | Path | None = None,
    *,
    seed: int = 0,
    d_model: int = 32,
    image_size: int = target_images.IMAGE_SIZE,
    feature_dim: int = model_inputs.FEATURE_DIM,
    metadata: dict[str, str | None] | None = None,
    batch_dim: str | int = "B",
    output_names: tuple[str, str, str] = OUTPUTS,
    scale: float = 1.0,
    token_classes: int = POS_BASE,
    nan_logits: bool = False,
) -> bytes:
    """Serialize a fake policy model; also write it to ``path`` when given.

    Args:
        metadata: overrides of :func:`default_metadata`; a ``None`` value deletes the key.
        batch_dim: the batch axis of every input/output; an int makes it fixed
            (contract violation, for tests).
        output_names: the three output names (rename to break the contract).
        scale: multiplies all logits (large values test numerical safety).
        token_classes: width of ``token_logits``; another value than ``POS_BASE``
            is declared as a symbolic axis (onnxruntime still infers it).
        nan_logits: make one token logit NaN everywhere (a broken model that loads).
    """
    rng = np.random.default_rng(seed)
    d = d_model
    weights = {
        "E": rng.normal(0, 1.0, (VOCAB_SIZE, d)),
        "P": rng.normal(0, 0.3, (MAX_SEQUENCE, d)),
        "Wf": rng.normal(0, 1.0 / np.sqrt(feature_dim), (feature_dim, d)),
        "Wi": rng.normal(0, 2.0, (3, d)),
        "Wt": rng.normal(0, scale * 2.0 / np.sqrt(d), (d, token_classes)),
        "bt": rng.normal(0, scale * 0.5, (token_classes,)),
        "Wq": rng.normal(0, scale * 0.5 / np.sqrt(d), (d, d)),
        "wv": rng.normal(0, 1.0, (d, 1)),
    }
    if nan_logits:
        weights["bt"][0] = np.nan
    inits = [numpy_helper.from_array(w.astype(np.float32), name) for name, w in weights.items()]
    inits += [
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array([2], np.int64), "axis2"),
        numpy_helper.from_array(np.array(1, np.int64), "one"),
        numpy_helper.from_array(np.array(0, np.int64), "zero"),
    ]
    tok, pos, val = output_names
    nodes = [
        helper.make_node("Gather", ["E", "tokens"], ["emb"], axis=0),
        helper.make_node("MatMul", ["feats", "Wf"], ["fproj"]),
        helper.make_node("ReduceMean", ["images"], ["pooled"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["pooled", "Wi"], ["iproj"]),
        helper.make_node("Unsqueeze", ["iproj", "axis1"], ["iproj3"]),
        helper.make_node("Shape", ["tokens"], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["t"], axis=0),
        helper.make_node("Range", ["zero", "t", "one"], ["positions"]),
        helper.make_node("Gather", ["P", "positions"], ["pemb"], axis=0),
        helper.make_node("Add", ["emb", "pemb"], ["s0"]),
        helper.make_node("Add", ["s0", "fproj"], ["s1"]),
        helper.make_node("Add", ["s1", "iproj3"], ["s2"]),
        helper.make_node("Tanh", ["s2"], ["h"]),
        helper.make_node("MatMul", ["h", "Wt"], ["tl0"]),
        helper.make_node("Add", ["tl0", "bt"], [tok]),
        helper.make_node("MatMul", ["h", "Wq"], ["q"]),
        helper.make_node("Transpose", ["h"], ["hT"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "hT"], [pos]),
        helper.make_node("MatMul", ["h", "wv"], ["v3"]),
        helper.make_node("Squeeze", ["v3", "axis2"], ["v2"]),
        helper.make_node("Sub", ["prefix_len", "one"], ["last"]),
        helper.make_node("Unsqueeze", ["last", "axis1"], ["last2"]),
        helper.make_node("GatherElements", ["v2", "last2"], ["v1"], axis=1),
        helper.make_node("Squeeze", ["v1", "axis1"], [val]),
    ]
    b, s, f = batch_dim, image_size, feature_dim
    width = POS_BASE if token_classes == POS_BASE else "V"
    inputs = [
        helper.make_tensor_value_info("images", TensorProto.FLOAT, [b, 3, s, s]),
        helper.make_tensor_value_info("tokens", TensorProto.INT64, [b, "T"]),
        helper.make_tensor_value_info("feats", TensorProto.FLOAT, [b, "T", f]),
        helper.make_tensor_value_info("prefix_len", TensorProto.INT64, [b]),
    ]
    outputs = [
        helper.make_tensor_value_info(tok, TensorProto.FLOAT, [b, "T", width]),
        helper.make_tensor_value_info(pos, TensorProto.FLOAT, [b, "T", "T"]),
        helper.make_tensor_value_info(val, TensorProto.FLOAT, [b]),
    ]
    graph = helper.make_graph(nodes, "fake_policy", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = default_metadata(image_size, feature_dim, d_model)
    for key, value in (metadata or {}).items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def load_fake_policy(directory: Path, seed: int = 3):
    """A fake policy built in ``directory`` and loaded for one thread (a test fixture's model)."""
    from inference.model.onnx_model import PolicyModel

    path = Path(directory) / "fake.onnx"
    build_fake_policy(path, seed=seed)
    return PolicyModel.load(path, intra_op_threads=1)
