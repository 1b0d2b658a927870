"""Export a trained :class:`~models.network.EditNet` to ONNX with its contract.

    python -m models.export runs/gpu-mixed/weights.pt -o models/policy.onnx
    python -m models.export --untrained --like models/policy.onnx -o untrained.onnx [--seed 0]

The second form writes the *untrained* baseline (issue 17): the network config, language,
modality and task of a given export or checkpoint, with fresh weights drawn as training
starts them (:func:`untrained_network`) from a seeded ``torch.Generator``, exported the same
way; ``bench --untrained-model`` and :func:`models.evaluate.untrained_model` use it.

The file carries the metadata that ``inference.model.onnx_model`` checks before it
uses a model: format tag, language and image planes, the language's grammar
version and vocabulary, image size, feature version and width, modality,
training examples seen, dev-set figures and the network config.  Only weights go into
the file (no optimizer state).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
import uuid
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from inference.model.model_contract import (
    CACHE_OUTPUTS,
    FORMAT_TAG,
    IMAGE_PLANES_KEY,
    INPUTS,
    LANGUAGE_KEY,
    OUTPUTS,
    STEP_FORMAT_TAG,
    STEP_INPUTS,
    STEP_OUTPUTS,
)
from inference.model.step_model import step_model_path
from inference.model.token_features import FEATURE_DIM, FEATURE_VERSION
from inference.model.tokens import PAD
from models.network import EditNet, NetConfig

OPSET = 17


def example_inputs(cfg: NetConfig, batch: int = 2, length: int = 24, seed: int = 0) -> tuple:
    """Random contract-shaped inputs of ``cfg``'s language: (images, tokens, feats, prefix_len)."""
    g = torch.Generator().manual_seed(seed)
    s = cfg.image_size
    pos_base = cfg.vocabulary.pos_base
    images = torch.rand(batch, cfg.image_planes, s, s, generator=g)
    prefix = torch.randint(2, length + 1, (batch,), generator=g)
    tokens = torch.randint(3, pos_base, (batch, length), generator=g)
    steps = torch.arange(length)[None]
    tokens = torch.where(steps == prefix[:, None] - 1, torch.full_like(tokens, 2), tokens)
    # a <POS k> right after <EDIT>, pointing into the program
    pos_tok = pos_base + (prefix - 2).clamp(min=0)
    tokens = torch.where(steps == prefix[:, None], pos_tok[:, None], tokens)
    tokens[:, -1] = PAD
    feats = torch.rand(batch, length, cfg.feature_dim, generator=g)
    return images, tokens, feats, prefix


HALF_MIN_SIZE = 256
"""Float weights with at least this many elements are stored as float16 by ``half_weights``."""


def round_to_half(model: EditNet) -> EditNet:
    """Round ``model``'s float parameters and buffers (in place) to what a ``half_weights``
    export stores, so torch and onnxruntime can be compared on equal weights."""
    with torch.no_grad():
        for t in [*model.parameters(), *model.buffers()]:
            if t.is_floating_point() and t.numel() >= HALF_MIN_SIZE:
                t.copy_(t.half().float())
    return model


def store_half(proto: onnx.ModelProto, min_size: int = HALF_MIN_SIZE) -> None:
    """Store the graph's large float32 initializers as float16, each followed by a Cast back.

    The file is half as large; onnxruntime folds the casts when it loads the graph, so
    inference still runs in float32 at the same speed.  The weights were trained in
    float32 and saved in bfloat16 (``weights.pt``), whose values float16 holds except for
    magnitudes below about 6e-8.
    """
    graph = proto.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_size:
            continue
        name = init.name
        values = numpy_helper.to_array(init).astype(np.float16)
        half = numpy_helper.from_array(values, name + "_f16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [half.name], [name], to=TensorProto.FLOAT))
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)


def export_model(
    model: EditNet,
    path: Path,
    *,
    modality: str,
    training_examples: int,
    dev_metrics: dict,
    half_weights: bool = True,
    task: str = "edit",
) -> None:
    """Write ``model`` to ``path`` (atomically) as a contract-conforming ONNX file.

    With ``half_weights`` the large weights are stored as float16 (:func:`store_half`),
    which keeps the `gpu` preset's file under 20 MB.  The graph also outputs the key/value
    cache (``CACHE_OUTPUTS``), and the step graph that decodes from it is written beside
    it (:func:`inference.model.onnx_model.step_model_path`), tied to it by a shared id."""
    model = model.eval().cpu()
    args = example_inputs(model.cfg)
    tmp = Path(str(path) + ".tmp")
    policy_id = uuid.uuid4().hex
    dyn = {
        "images": {0: "B"},
        "tokens": {0: "B", 1: "T"},
        "feats": {0: "B", 1: "T"},
        "prefix_len": {0: "B"},
        "token_logits": {0: "B", 1: "T"},
        "pos_logits": {0: "B", 1: "T", 2: "T"},
        "value": {0: "B"},
        **_cache_axes("T"),
    }
    full = _Method(model, "forward_with_cache")
    proto = _to_onnx(full, args, INPUTS, [*OUTPUTS, *CACHE_OUTPUTS], dyn, tmp)
    if half_weights:
        store_half(proto)
    vocab = model.cfg.vocabulary
    meta = {
        "treesketch_format": FORMAT_TAG,
        LANGUAGE_KEY: vocab.language,
        IMAGE_PLANES_KEY: str(model.cfg.image_planes),
        "grammar_version": vocab.version,
        "vocab": json.dumps(list(vocab.tokens)),
        "image_size": str(model.cfg.image_size),
        "feature_version": FEATURE_VERSION,
        "feature_dim": str(FEATURE_DIM),
        "modality": modality,
        "training_examples": str(training_examples),
        "dev_metrics": json.dumps(dev_metrics),
        "config": json.dumps(model.cfg.to_dict()),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "policy_id": policy_id,
        "task": task,
    }
    step_tmp = Path(str(step_model_path(path)) + ".tmp")
    step = _step_graph(model, args, step_tmp)
    if half_weights:
        store_half(step)
    _save(step, {"treesketch_format": STEP_FORMAT_TAG, "policy_id": policy_id}, step_tmp)
    _save(proto, meta, tmp)
    os.replace(step_tmp, step_model_path(path))
    os.replace(tmp, path)


class _Method(torch.nn.Module):
    """``net``'s method ``name`` as a module's forward, so it can be exported as a graph."""

    def __init__(self, net: EditNet, name: str):
        super().__init__()
        self.net, self.name = net, name

    def forward(self, *inputs):
        return getattr(self.net, self.name)(*inputs)


def _step_graph(model: EditNet, args: tuple, tmp: Path) -> onnx.ModelProto:
    """The :meth:`EditNet.decode_step` graph, traced on a cache of ``args``' rows."""
    with torch.no_grad():
        cache = model.forward_with_cache(*args)[3:]
    batch = args[0].shape[0]
    g = torch.Generator().manual_seed(1)
    pos_base = model.cfg.vocabulary.pos_base
    edits = torch.randint(3, pos_base, (batch, 2, 3), generator=g)
    edits[:, :, 0] = pos_base + 1  # a <POS> token first, as in every edit
    layers, width = cache[0].shape[0], cache[0].shape[-1]
    prev_len = torch.tensor([[0, 1]] * batch)
    prev_kv = torch.randn(layers, batch, 2, 2, width, generator=g)
    dyn = {
        "edit_tokens": {0: "B", 1: "M", 2: "N"},
        "prev_len": {0: "B", 1: "M"},
        "prev_kv": {1: "B", 2: "M", 3: "E"},
        "prefix_len": {0: "B"},
        **_cache_axes("P"),
        "token_logits": {0: "B", 1: "M", 2: "N"},
        "pos_logits": {0: "B", 1: "M", 2: "N", 3: "P"},
        "new_kv": {1: "B", 2: "M", 3: "N"},
    }
    step_args = (edits, prev_len, prev_kv, args[3], *cache)
    step = _Method(model, "decode_step")
    return _to_onnx(step, step_args, STEP_INPUTS, STEP_OUTPUTS, dyn, tmp)


def _cache_axes(length: str) -> dict:
    """Dynamic axes of the key/value cache, whose rows are ``length`` tokens long."""
    return {
        "self_kv": {1: "B", 2: length},
        "img_kv": {1: "B"},
        "x0": {0: "B", 1: length},
        "ptr_keys": {0: "B", 1: length},
        "glob": {0: "B"},
    }


def _to_onnx(module, args, inputs, outputs, dynamic_axes, tmp: Path) -> onnx.ModelProto:
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            str(tmp),
            input_names=list(inputs),
            output_names=list(outputs),
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            dynamo=False,
        )
    return onnx.load(str(tmp))


def _save(proto: onnx.ModelProto, meta: dict[str, str], tmp: Path) -> None:
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(tmp))


def load_checkpoint(path: Path) -> tuple[EditNet, dict]:
    """Rebuild the network from a checkpoint (its config is stored beside the weights)."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = EditNet(NetConfig.from_dict(ck["config"]))
    model.load_state_dict(ck["model"])
    return model, ck


def untrained_network(cfg: NetConfig | dict, seed: int = 0) -> EditNet:
    """A fresh :class:`EditNet` of ``cfg`` (a config or its dict), its weights drawn from a
    ``torch.Generator`` seeded with ``seed`` (the global torch seed is not used or changed).

    Every weight is drawn as a new network starts training: ``Linear`` and ``Embedding``
    weights normal with std 0.02 and ``Linear`` biases zero (:meth:`EditNet._init`),
    convolutions as torch initialises them (Kaiming-uniform weights, uniform biases), norms
    ones and zeros, and the learned position tables zero."""
    cfg = cfg if isinstance(cfg, NetConfig) else NetConfig.from_dict(cfg)
    with torch.random.fork_rng(devices=[]):  # the constructor's own init draws are discarded
        net = EditNet(cfg)
    g = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Linear | torch.nn.Embedding):
                torch.nn.init.normal_(m.weight, std=0.02, generator=g)
                if getattr(m, "bias", None) is not None:
                    torch.nn.init.zeros_(m.bias)
            elif isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=g)
                if m.bias is not None:
                    fan_in = m.weight[0].numel()
                    bound = 1 / math.sqrt(fan_in)
                    torch.nn.init.uniform_(m.bias, -bound, bound, generator=g)
            elif isinstance(m, torch.nn.LayerNorm | torch.nn.GroupNorm):
                m.reset_parameters()
        net.pos_marker.zero_()
        net.image.pos.zero_()
    return net.eval()


def like(path: Path) -> tuple[dict, str, str]:
    """The network config (a dict), modality and task of an ONNX export or a checkpoint.

    Raises:
        ValueError: the file is neither, or an export without its network config.
    """
    if path.suffix == ".onnx":
        from inference.model.onnx_model import ModelError, PolicyModel

        try:
            model = PolicyModel.load(path, task=None)
        except ModelError as e:
            raise ValueError(str(e)) from None
        if not model.config:
            raise ValueError(f"{path}: the export does not record its network config")
        return dict(model.config), model.modality, model.task
    try:
        ck = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # torch.load raises many kinds (unpickling, zip, I/O errors)
        raise ValueError(f"{path}: not an ONNX export or a checkpoint ({e})") from None
    if not isinstance(ck, dict) or "config" not in ck:
        raise ValueError(f"{path}: not a checkpoint (no network config)")
    run = ck.get("args", {})
    return dict(ck["config"]), _export_modality(run.get("modality")), run.get("task", "edit")


def _export_modality(run_modality: str | None) -> str:
    """The modality an export declares for a run's (``mixed``: one network for both)."""
    return "both" if run_modality == "mixed" else run_modality or "filled"


def export_untrained(
    config: NetConfig | dict, path: Path, modality: str, seed: int = 0, task: str = "edit"
) -> EditNet:
    """Write :func:`untrained_network` ``(config, seed)`` to ``path`` as :func:`export_model`
    does (no training examples, no dev figures); returns the network."""
    net = untrained_network(config, seed)
    export_model(net, path, modality=modality, training_examples=0, dev_metrics={}, task=task)
    return net


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Export a checkpoint (or an untrained twin) to ONNX.")
    ap.add_argument("checkpoint", type=Path, nargs="?")
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument(
        "--untrained",
        action="store_true",
        help="export fresh weights instead (with --like: the same config, language and modality)",
    )
    ap.add_argument(
        "--like", type=Path, metavar="PATH", help="with --untrained: an .onnx export or checkpoint"
    )
    ap.add_argument("--seed", type=int, default=0, help="with --untrained: weight seed (0)")
    ap.add_argument(
        "--modality",
        choices=["filled", "sketch", "both"],
        default=None,
        help="targets the file declares (default: the run's; both for a mixed run)",
    )
    ap.add_argument("--dev-metrics", type=Path, help="JSON file of dev-set figures to embed")
    args = ap.parse_args(argv)
    if args.untrained:
        if args.checkpoint is not None or args.like is None or args.dev_metrics:
            ap.error("--untrained takes --like PATH (and no checkpoint or --dev-metrics)")
        return _main_untrained(args)
    if args.checkpoint is None or args.like is not None:
        ap.error("give a checkpoint to export (or --untrained --like PATH)")
    model, ck = load_checkpoint(args.checkpoint)
    modality = _export_modality(args.modality or ck.get("args", {}).get("modality"))
    dev = json.loads(args.dev_metrics.read_text()) if args.dev_metrics else {}
    export_model(
        model,
        args.output,
        modality=modality,
        training_examples=ck.get("examples", 0),
        dev_metrics=dev,
        task=ck.get("args", {}).get("task", "edit"),
    )
    size = args.output.stat().st_size / 2**20
    print(f"wrote {args.output} ({size:.1f} MiB, {ck.get('examples', 0)} training examples)")
    return 0


def _main_untrained(args) -> int:
    try:
        config, modality, task = like(args.like)
    except ValueError as e:
        raise SystemExit(f"models.export: {e}") from None
    net = export_untrained(config, args.output, args.modality or modality, args.seed, task)
    size = args.output.stat().st_size / 2**20
    print(
        f"wrote {args.output} ({size:.1f} MiB, untrained {net.cfg.language} network like "
        f"{args.like}, seed {args.seed})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
