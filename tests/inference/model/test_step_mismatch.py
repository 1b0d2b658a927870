"""A step graph of another export, re-stamped with the policy's id, is not used: loading falls
back to full forwards with one warning, and the search proposes what cached decoding does."""

import logging
import shutil

import numpy as np
import pytest

from inference.lang.syntax import parse
from inference.model.decoding import sample_edits
from inference.model.onnx_model import PolicyModel
from inference.model.step_model import step_model_path
from inference.render.raster import render
from inference.search.beam import SearchConfig, beam_search
from inference.search.proposers import PolicyProposer
from inference.targets.target import Target

pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from models.export import export_model  # noqa: E402
from models.network import EditNet, NetConfig  # noqa: E402
from tests.models.nets import small_net  # noqa: E402

PROGRAMS = ["(+ (Circle 5 5 3) (Quad 9 9 4 6 45))", "(- (Quad 8 8 10 10 0) (Circle 8 8 3))"]
GOAL = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 8))")


def _export(net, path):
    export_model(net, path, modality="filled", training_examples=0, dev_metrics={},
                 half_weights=False)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    """``small_net`` (2 layers, 4 heads, width 64) exported with its own step graph."""
    return _export(small_net(), tmp_path_factory.mktemp("policy") / "policy.onnx")


def _restamped(policy, tmp_path, net) -> PolicyModel:
    """A copy of ``policy`` whose step graph is ``net``'s, carrying the policy's id."""
    other = _export(net, tmp_path / "other.onnx")
    mine = tmp_path / "policy.onnx"
    shutil.copy(policy, mine)
    proto = onnx.load(str(step_model_path(other)))
    main = {p.key: p.value for p in onnx.load(str(mine)).metadata_props}
    for prop in proto.metadata_props:
        if prop.key == "policy_id":
            prop.value = main["policy_id"]
    onnx.save(proto, str(step_model_path(mine)))
    return mine


def _net(**kw) -> EditNet:
    cfg = dict(d_model=64, n_layers=2, n_heads=4, cnn_channels=(16, 32)) | kw
    return EditNet(NetConfig(**cfg)).eval()


@pytest.mark.parametrize(
    "other, why",
    [
        (dict(n_layers=1), "input 'self_kv' axis 0 is 1, the policy's is 2"),  # the case
        (dict(d_model=32, n_heads=2), "axis 3 is 64, the policy's is 128"),
        (dict(n_heads=2), "its logits are not the policy's"),  # same shapes, other heads
    ],
)
def test_a_restamped_step_graph_of_another_size_is_not_used(policy, tmp_path, caplog, other, why):
    path = _restamped(policy, tmp_path, _net(**other))
    with caplog.at_level(logging.WARNING, logger="treesketch.model"):
        model = PolicyModel.load(path)
    assert model.step is None
    assert "policy.step.onnx not used" in model.step_status and why in model.step_status
    assert "full forwards" in model.step_status and "\n" not in model.step_status
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [model.step_status]


def test_the_fallback_proposes_and_searches_as_cached_decoding(policy, tmp_path):
    cached = PolicyModel.load(policy)
    assert cached.step is not None
    fallback = PolicyModel.load(_restamped(policy, tmp_path, _net(n_layers=1)))
    assert fallback.step is None
    programs = [parse(p) for p in PROGRAMS]
    target = render(GOAL, 128)
    a = sample_edits(cached, target, programs, 4, np.random.default_rng(3))
    b = sample_edits(fallback, target, programs, 4, np.random.default_rng(3))
    assert [[p.edit for p in ps] for ps in a] == [[p.edit for p in ps] for ps in b]
    for pa, pb in zip(sum(a, []), sum(b, []), strict=True):
        assert pa.logprob == pytest.approx(pb.logprob, abs=1e-3)
    cfg = SearchConfig(beam_width=6, budget=120, max_depth=4)
    runs = [
        [
            (e.program, e.calls)
            for e in beam_search(Target(target), PolicyProposer(m), np.random.default_rng(1), cfg)
        ]
        for m in (cached, fallback)
    ]
    assert runs[0] == runs[1] and runs[1][-1][1] > cfg.beam_width  # the search ran its steps
