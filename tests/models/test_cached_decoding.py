"""Cached decoding: the step graph gives what full forwards give, and a bad step file is
not used (decoding falls back to full forwards)."""

import json
import shutil

import numpy as np
import pytest
import torch

from inference.lang.syntax import parse
from inference.model.decoding import sample_edits, top_edits
from inference.model.onnx_model import PolicyModel
from inference.model.step_model import step_model_path
from inference.model.tokens import PAD, POS_BASE
from inference.render.raster import render
from models.export import example_inputs, export_model
from tests.models.nets import small_net

PROGRAMS = [
    "(+ (Circle 5 5 3) (Quad 9 9 4 6 45))",
    "(- (Quad 8 8 10 10 0) (Circle 8 8 3))",
    "(Circle 7 9 5)",
    "(+ (- (Circle 4 4 2) (Circle 4 5 1)) (+ (Quad 12 3 3 5 90) (Circle 10 12 3)))",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("cached") / "policy.onnx"
    export_model(small_net(), path, modality="filled", training_examples=0, dev_metrics={},
                 half_weights=False)  # fmt: skip
    return path


def test_decode_step_equals_the_full_forward():
    net = small_net()
    images, tokens, feats, _ = example_inputs(net.cfg, 3, 20, seed=1)
    plen = torch.tensor([20, 14, 9])
    tokens, feats = tokens.clone(), feats.clone()
    for b, n in enumerate(plen.tolist()):
        tokens[b, n - 1], tokens[b, n:], feats[b, n:] = 2, PAD, 0  # program + <EDIT>, padding
    edits = torch.randint(3, POS_BASE, (3, 2, 6), generator=torch.Generator().manual_seed(5))
    edits[:, :, 0] = POS_BASE + torch.arange(6).reshape(3, 2)
    layers, width = len(net.blocks), 2 * net.cfg.d_model
    with torch.no_grad():
        cache = net.forward_with_cache(images, tokens, feats, plen)[3:]
        # first call: two ids of each edit, nothing cached (one ignored dummy entry)
        none = torch.zeros(3, 2, dtype=torch.long)
        tok1, pos1, kv1 = net.decode_step(
            edits[:, :, :2], none, torch.zeros(layers, 3, 2, 1, width), plen, *cache
        )
        # second call: edit 0 goes on from both ids, edit 1 from only its first
        new = torch.stack([edits[:, 0, 2:5], edits[:, 1, 1:4]], dim=1)
        prev = torch.tensor([[2, 1]] * 3)
        tok2, pos2, _ = net.decode_step(new, prev, kv1, plen, *cache)
        for b, n in enumerate(plen.tolist()):
            for m, (length, first_new) in enumerate([(5, 2), (4, 1)]):
                full_t = torch.cat([tokens[b, :n], edits[b, m, :length]])[None]
                full_f = torch.cat([feats[b, :n], torch.zeros(length, feats.shape[2])])[None]
                want_t, want_p, _ = net(images[b : b + 1], full_t, full_f, plen[b : b + 1])
                assert torch.allclose(want_t[0, n : n + 2], tok1[b, m], atol=1e-5)
                assert torch.allclose(want_p[0, n : n + 2, :n], pos1[b, m, :, :n], atol=1e-5)
                later = slice(n + first_new, n + length)
                assert torch.allclose(want_t[0, later], tok2[b, m], atol=1e-5)
                assert torch.allclose(want_p[0, later, :n], pos2[b, m, :, :n], atol=1e-5)


def test_cached_decoding_samples_what_full_forwards_sample(exported):
    cached = PolicyModel.load(exported)
    assert cached.step is not None and "cached decoding" in cached.step_status
    full = PolicyModel.load(exported)
    full.step = None
    programs = [parse(p) for p in PROGRAMS]
    target = render(programs[0], 128)
    a = sample_edits(cached, target, programs, 5, np.random.default_rng(3))
    b = sample_edits(full, target, programs, 5, np.random.default_rng(3))
    assert [[p.edit for p in ps] for ps in a] == [[p.edit for p in ps] for ps in b]
    for pa, pb in zip(sum(a, []), sum(b, []), strict=True):
        assert pa.logprob == pytest.approx(pb.logprob, abs=1e-3)
        assert pa.value == pytest.approx(pb.value, abs=1e-4)
    best = [p.edit for p in top_edits(cached, target, programs[3], 6)]
    assert best == [p.edit for p in top_edits(full, target, programs[3], 6)]


def test_a_step_file_from_another_export_or_corrupt_is_not_used(exported, tmp_path):
    other = tmp_path / "policy.onnx"
    shutil.copy(exported, other)
    export_model(small_net(1), tmp_path / "other.onnx", modality="filled", training_examples=0,
                 dev_metrics={})  # fmt: skip
    shutil.copy(step_model_path(tmp_path / "other.onnx"), step_model_path(other))
    model = PolicyModel.load(other)
    assert model.step is None and "another export" in model.step_status
    step_model_path(other).write_bytes(b"not onnx")
    model = PolicyModel.load(other)
    assert model.step is None and "not used" in model.step_status
    step_model_path(other).unlink()
    model = PolicyModel.load(other)
    assert model.step is None and "no policy.step.onnx" in model.step_status
    # without its step graph the policy still decodes (full forwards)
    target = render(parse(PROGRAMS[1]), 128)
    assert sample_edits(model, target, [parse(PROGRAMS[2])], 2, np.random.default_rng(0))[0]


def test_export_records_a_shared_id(exported):
    import onnx

    main = {p.key: p.value for p in onnx.load(str(exported)).metadata_props}
    step = {p.key: p.value for p in onnx.load(str(step_model_path(exported))).metadata_props}
    assert len(main["policy_id"]) == 32 and step["policy_id"] == main["policy_id"]
    assert json.loads(main["config"])["d_model"] == 64
