"""ONNX export parity: onnxruntime must match torch on varied batch sizes and lengths."""

import numpy as np
import pytest
import torch

from inference.model.onnx_model import PolicyModel
from models.export import example_inputs, export_model, round_to_half
from tests.models.nets import small_net


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    net = small_net(0)
    path = tmp_path_factory.mktemp("onnx") / "policy.onnx"
    export_model(net, path, modality="filled", training_examples=123, dev_metrics={"x": 1.0},
                 half_weights=False)  # fmt: skip
    return net, PolicyModel.load(path)


@pytest.mark.parametrize("batch, length", [(1, 5), (3, 24), (2, 90), (7, 41)])
def test_onnxruntime_matches_torch(exported, batch, length):
    net, model = exported
    images, tokens, feats, prefix = example_inputs(net.cfg, batch, length, seed=batch * length)
    with torch.no_grad():
        want = [t.numpy() for t in net(images, tokens, feats, prefix)]
    got = model.run({"images": images.numpy(), "tokens": tokens.numpy(),
                     "feats": feats.numpy(), "prefix_len": prefix.numpy()})  # fmt: skip
    for w, g in zip(want, got, strict=True):
        assert w.shape == g.shape
        assert np.max(np.abs(w - g)) <= 1e-4


def test_metadata_round_trips(exported):
    _, model = exported
    assert model.training_examples == 123
    assert model.dev_metrics == {"x": 1.0}
    assert model.modality == "filled" and model.image_size == 64


def test_half_weights_halve_the_file_and_match_rounded_torch(tmp_path):
    net = small_net(1)
    full, half = tmp_path / "full.onnx", tmp_path / "half.onnx"
    export_model(net, full, modality="filled", training_examples=0, dev_metrics={},
                 half_weights=False)  # fmt: skip
    export_model(net, half, modality="sketch", training_examples=0, dev_metrics={})
    assert half.stat().st_size < 0.6 * full.stat().st_size
    model = PolicyModel.load(half)
    assert model.modality == "sketch"
    round_to_half(net)
    images, tokens, feats, prefix = example_inputs(net.cfg, 3, 30, seed=9)
    with torch.no_grad():
        want = [t.numpy() for t in net(images, tokens, feats, prefix)]
    got = model.run({"images": images.numpy(), "tokens": tokens.numpy(),
                     "feats": feats.numpy(), "prefix_len": prefix.numpy()})  # fmt: skip
    for w, g in zip(want, got, strict=True):
        assert np.max(np.abs(w - g)) <= 1e-4
