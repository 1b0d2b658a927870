"""A tiny contract-conforming policy ONNX model for any language (tests only, no torch).

Like ``tests/fake_policy.py`` but sized by a :class:`~inference.model.tokens.Vocabulary`
and a number of image planes, so a TinySVG model (9 planes, its own vocabulary) can be
loaded, refused and decoded with::

    h = tanh(E[tokens] + P[t] + feats @ Wf + mean_pixels(images) @ Wi)
    token_logits = h @ Wt + bt;  pos_logits = (h @ Wq) @ hᵀ;  value = (h @ wv)[prefix_len - 1]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from inference.model import token_features
from inference.model.model_contract import FORMAT_TAG, LANGUAGE_PLANES
from inference.model.tokens import Vocabulary


def build_policy(
    path: Path, vocab: Vocabulary, *, seed: int = 0, size: int = 64, metadata: dict | None = None
) -> Path:
    """Write a fake policy for ``vocab``'s language to ``path`` and return ``path``.

    ``metadata`` overrides the contract keys (a ``None`` value deletes one).
    """
    rng = np.random.default_rng(seed)
    d, f, planes = 16, token_features.FEATURE_DIM, LANGUAGE_PLANES[vocab.language]
    weights = {
        "E": rng.normal(0, 1.0, (vocab.size, d)),
        "P": rng.normal(0, 0.3, (vocab.max_sequence, d)),
        "Wf": rng.normal(0, 0.2, (f, d)),
        "Wi": rng.normal(0, 1.0, (planes, d)),
        "Wt": rng.normal(0, 0.5, (d, vocab.pos_base)),
        "bt": rng.normal(0, 0.5, (vocab.pos_base,)),
        "Wq": rng.normal(0, 0.2, (d, d)),
        "wv": rng.normal(0, 1.0, (d, 1)),
    }
    inits = [numpy_helper.from_array(w.astype(np.float32), k) for k, w in weights.items()]
    inits += [
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array([2], np.int64), "axis2"),
        numpy_helper.from_array(np.array(1, np.int64), "one"),
        numpy_helper.from_array(np.array(0, np.int64), "zero"),
    ]
    node = helper.make_node
    nodes = [
        node("Gather", ["E", "tokens"], ["emb"], axis=0),
        node("MatMul", ["feats", "Wf"], ["fproj"]),
        node("ReduceMean", ["images"], ["pooled"], axes=[2, 3], keepdims=0),
        node("MatMul", ["pooled", "Wi"], ["iproj"]),
        node("Unsqueeze", ["iproj", "axis1"], ["iproj3"]),
        node("Shape", ["tokens"], ["shape"]),
        node("Gather", ["shape", "one"], ["t"], axis=0),
        node("Range", ["zero", "t", "one"], ["positions"]),
        node("Gather", ["P", "positions"], ["pemb"], axis=0),
        node("Add", ["emb", "pemb"], ["s0"]),
        node("Add", ["s0", "fproj"], ["s1"]),
        node("Add", ["s1", "iproj3"], ["s2"]),
        node("Tanh", ["s2"], ["h"]),
        node("MatMul", ["h", "Wt"], ["tl0"]),
        node("Add", ["tl0", "bt"], ["token_logits"]),
        node("MatMul", ["h", "Wq"], ["q"]),
        node("Transpose", ["h"], ["hT"], perm=[0, 2, 1]),
        node("MatMul", ["q", "hT"], ["pos_logits"]),
        node("MatMul", ["h", "wv"], ["v3"]),
        node("Squeeze", ["v3", "axis2"], ["v2"]),
        node("Sub", ["prefix_len", "one"], ["last"]),
        node("Unsqueeze", ["last", "axis1"], ["last2"]),
        node("GatherElements", ["v2", "last2"], ["v1"], axis=1),
        node("Squeeze", ["v1", "axis1"], ["value"]),
    ]
    info = helper.make_tensor_value_info
    inputs = [
        info("images", TensorProto.FLOAT, ["B", planes, size, size]),
        info("tokens", TensorProto.INT64, ["B", "T"]),
        info("feats", TensorProto.FLOAT, ["B", "T", f]),
        info("prefix_len", TensorProto.INT64, ["B"]),
    ]
    outputs = [
        info("token_logits", TensorProto.FLOAT, ["B", "T", vocab.pos_base]),
        info("pos_logits", TensorProto.FLOAT, ["B", "T", "T"]),
        info("value", TensorProto.FLOAT, ["B"]),
    ]
    graph = helper.make_graph(nodes, "fake_policy", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {
        "treesketch_format": FORMAT_TAG,
        "language": vocab.language,
        "image_planes": str(planes),
        "grammar_version": vocab.version,
        "vocab": json.dumps(list(vocab.tokens)),
        "image_size": str(size),
        "feature_version": token_features.FEATURE_VERSION,
        "feature_dim": str(f),
        "modality": "filled",
    }
    for key, value in (metadata or {}).items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    Path(path).write_bytes(model.SerializeToString())
    return Path(path)
