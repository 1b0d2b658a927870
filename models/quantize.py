"""Int8 weights for an exported policy: dynamic quantization of its matrix products.

    python -m models.quantize models/policy.onnx -o OUT.onnx [--heldout 512] [--per-tensor]

Issue 13's latency lever.  An export (:mod:`models.export`) stores its large weights as
float16 initializers, each followed by a ``Cast`` back to float32 (``store_half``); the
matrix products then read the cast's output, which onnxruntime's ``quantize_dynamic``
cannot quantize (it only quantizes a product whose weight is an initializer).  So the
casts are folded first (:func:`float_weights`: each float16 initializer becomes the
float32 initializer the cast made), and then every ``MatMul`` and ``Gemm`` with a
constant weight becomes an int8 product (weights per output channel, activations
quantized on the fly).  The policy graph and its step graph (the cached decoder,
:mod:`inference.model.step_model`) are both quantized and keep their shared
``policy_id`` (a new one: their numbers are not the source's; the source's id is kept
as ``quantized_from``); the policy's metadata records ``weights = int8``, which tells the loader
that its step graph may differ from its full forward by quantization noise
(:data:`inference.model.onnx_model.INT8_STEP_TOLERANCE`).

With ``--heldout N`` (the default 512) the source and the quantized model are compared
on the same N held-out examples of the training distribution (the training run's own
held-out stream, teacher-forced, as ``models.train`` reports them), so the loss of
accuracy is measured, not assumed.  The solve rate is measured with ``bench --model``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import uuid
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, numpy_helper

from inference.model.model_contract import FORMAT_TAG
from inference.model.onnx_model import WEIGHTS_KEY, ModelError, PolicyModel
from inference.model.step_model import step_model_path

QUANTIZED_OPS = ("MatMul", "Gemm")
"""The operators whose constant weights become int8."""


def float_weights(proto: onnx.ModelProto) -> int:
    """Fold every float16 initializer that is only cast back to float32 into a float32
    initializer named as the cast's output (in place).  Returns how many were folded."""
    graph = proto.graph
    inits = {init.name: init for init in graph.initializer}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    kept, folded = [], 0
    for node in graph.node:
        source = node.input[0] if node.op_type == "Cast" and len(node.input) == 1 else None
        half = inits.get(source) if source is not None else None
        to = next((a.i for a in node.attribute if a.name == "to"), None)
        if (
            half is not None
            and half.data_type == TensorProto.FLOAT16
            and to == TensorProto.FLOAT
            and uses[source] == 1
        ):
            values = numpy_helper.to_array(half).astype(np.float32)
            del inits[source]
            inits[node.output[0]] = numpy_helper.from_array(values, node.output[0])
            folded += 1
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(inits.values())
    return folded


def _quantize_graph(src: Path, dst: Path, per_channel: bool, tmp: Path, policy_id: str) -> None:
    """Fold ``src``'s half weights and write its int8-quantized graph to ``dst``, tied to
    its partner graph by ``policy_id`` (the source's id is kept as ``quantized_from``)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    proto = onnx.load(str(src))
    meta = {p.key: p.value for p in proto.metadata_props}
    float_weights(proto)
    unfolded = tmp / (src.name + ".float.onnx")
    onnx.save(proto, str(unfolded))
    quantize_dynamic(
        str(unfolded),
        str(dst),
        op_types_to_quantize=list(QUANTIZED_OPS),
        weight_type=QuantType.QInt8,
        per_channel=per_channel,
    )
    out = onnx.load(str(dst))
    if meta.get("treesketch_format") == FORMAT_TAG:
        meta[WEIGHTS_KEY] = "int8"
        meta["quantized_from"] = meta.get("policy_id", "")
    meta["policy_id"] = policy_id
    del out.metadata_props[:]
    for key, value in meta.items():
        out.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(out)
    onnx.save(out, str(dst))


def quantize_policy(src: Path, dst: Path, *, per_channel: bool = True) -> None:
    """Write the int8 version of the exported policy ``src`` (and of its step graph, when
    it has one) to ``dst`` and its step path, atomically; the result loads with
    :meth:`PolicyModel.load` like the source."""
    src, dst = Path(src), Path(dst)
    source = PolicyModel.load(src, task=None)  # refuse anything that is not a policy export
    if source.int8:
        raise ValueError(f"{src} is an int8 copy already")
    if src.resolve() == dst.resolve():
        raise ValueError("the output must be another file than the source")
    if not dst.parent.is_dir():
        raise ValueError(f"no such folder: {dst.parent}")
    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".quantize-") as d:
        tmp = Path(d)
        pairs = [(src, dst)]
        if step_model_path(src).exists():
            pairs.append((step_model_path(src), step_model_path(dst)))
        policy_id = uuid.uuid4().hex  # another network's numbers: another id
        for a, b in pairs:
            _quantize_graph(a, tmp / b.name, per_channel, tmp, policy_id)
        for _, b in pairs[::-1]:  # the step graph first: a policy never names a missing step
            os.replace(tmp / b.name, b)


def onnx_heldout_metrics(path: Path, n: int, seed: int = 0) -> dict[str, float]:
    """Teacher-forced held-out metrics of the ONNX policy at ``path`` on ``n`` examples of
    its language's last curriculum stage (``models.train``'s held-out stream for run seed
    ``seed``, exact targets), as training reports them (:func:`models.train.edit_metrics`):
    loss, value error, token, position and whole-edit accuracy."""
    from models.data import DataConfig
    from models.train import edit_metrics, heldout_batches

    model = PolicyModel.load(path, task=None, intra_op_threads=1)
    cfg = DataConfig(seed=seed, image_size=model.image_size, language=model.language)

    def forward(images, tokens, feats, prefix_len):
        inputs = {"images": images, "tokens": tokens, "feats": feats, "prefix_len": prefix_len}
        outputs = model.run({k: v.numpy() for k, v in inputs.items()})
        return [torch.from_numpy(np.asarray(o)) for o in outputs]

    return edit_metrics(forward, heldout_batches(seed, n, cfg)["heldout"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m models.quantize",
        description="Write an int8 (dynamically quantized) copy of an exported policy.",
    )
    ap.add_argument("model", type=Path, help="an exported policy (.onnx)")
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument(
        "--per-tensor",
        action="store_true",
        help="one weight scale per matrix (default: one per output channel)",
    )
    ap.add_argument(
        "--heldout",
        type=int,
        default=512,
        metavar="N",
        help="compare both on N held-out examples (0: skip)",
    )
    args = ap.parse_args(argv)
    try:
        quantize_policy(args.model, args.output, per_channel=not args.per_tensor)
    except (ValueError, OSError, ModelError) as e:
        raise SystemExit(f"models.quantize: {e}") from None
    size = args.output.stat().st_size / 2**20
    print(f"wrote {args.output} ({size:.1f} MiB, int8 matrix products)")
    loaded = PolicyModel.load(args.output, task=None)
    print(f"step graph: {loaded.step_status}")
    if args.heldout > 0:
        rows = {
            "source": onnx_heldout_metrics(args.model, args.heldout),
            "int8": onnx_heldout_metrics(args.output, args.heldout),
        }
        print(json.dumps({"heldout_examples": args.heldout, **rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
