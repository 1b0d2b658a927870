"""Int8 copies of an export (``models.quantize``): the casts of a half export fold back
exactly, the int8 graph loads with its step graph and stays close to the source, and a
step graph of another network is still refused."""

import shutil

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("torch")

from inference.model.onnx_model import WEIGHTS_KEY, PolicyModel  # noqa: E402
from inference.model.step_model import step_model_path  # noqa: E402
from models.export import example_inputs, export_model  # noqa: E402
from models.quantize import float_weights, main, quantize_policy  # noqa: E402
from tests.models.nets import small_net  # noqa: E402


def _inputs(net, batch=3, length=30, seed=5):
    images, tokens, feats, prefix = example_inputs(net.cfg, batch, length, seed=seed)
    return {"images": images.numpy(), "tokens": tokens.numpy(), "feats": feats.numpy(),
            "prefix_len": prefix.numpy()}  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """``small_net`` exported as the shipped models are (half weights), and its int8 copy."""
    net = small_net(3)
    folder = tmp_path_factory.mktemp("quant")
    src, dst = folder / "policy.onnx", folder / "policy-int8.onnx"
    export_model(net, src, modality="filled", training_examples=7, dev_metrics={})
    quantize_policy(src, dst)
    return net, src, dst


def test_folding_the_half_casts_draws_the_same_outputs(exported, tmp_path):
    net, src, _ = exported
    proto = onnx.load(str(src))
    casts = sum(n.op_type == "Cast" for n in proto.graph.node)
    folded = float_weights(proto)
    assert folded > 10
    assert sum(n.op_type == "Cast" for n in proto.graph.node) == casts - folded
    halves = [i for i in proto.graph.initializer if i.data_type == onnx.TensorProto.FLOAT16]
    assert halves == []
    path = tmp_path / "policy.onnx"
    onnx.save(proto, str(path))
    shutil.copy(step_model_path(src), step_model_path(path))
    inputs = _inputs(net)
    want = PolicyModel.load(src).run(inputs)
    got = PolicyModel.load(path).run(inputs)
    for w, g in zip(want, got, strict=True):
        assert np.array_equal(w, g)


def test_int8_copy_loads_with_cached_decoding_and_stays_close(exported):
    net, src, dst = exported
    model = PolicyModel.load(dst)
    assert model.metadata[WEIGHTS_KEY] == "int8"
    assert model.int8 and not PolicyModel.load(src).int8
    assert model.training_examples == 7 and model.language == "CSG2D"
    source = PolicyModel.load(src).metadata["policy_id"]
    assert model.metadata["quantized_from"] == source != model.metadata["policy_id"]
    assert model.step is not None, model.step_status
    ops = {n.op_type for n in onnx.load(str(dst)).graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeMatMul" in ops
    ops_step = {n.op_type for n in onnx.load(str(step_model_path(dst))).graph.node}
    assert "MatMulInteger" in ops_step or "DynamicQuantizeMatMul" in ops_step
    assert dst.stat().st_size < src.stat().st_size
    inputs = _inputs(net, 4, 40, seed=11)
    want = PolicyModel.load(src).run(inputs)
    got = model.run(inputs)
    for w, g in zip(want, got, strict=True):
        assert w.shape == g.shape
        assert np.max(np.abs(w - g)) <= 0.1 * max(1.0, np.max(np.abs(w)))
    tok_w, tok_g = want[0].argmax(-1), got[0].argmax(-1)
    assert np.mean(tok_w == tok_g) >= 0.9


def test_int8_tolerance_still_refuses_another_networks_step_graph(exported, tmp_path):
    _, _, dst = exported
    other = tmp_path / "other.onnx"
    export_model(small_net(8), other, modality="filled", training_examples=0, dev_metrics={})
    mine = tmp_path / "policy.onnx"
    shutil.copy(dst, mine)
    policy_id = {p.key: p.value for p in onnx.load(str(mine)).metadata_props}["policy_id"]
    proto = onnx.load(str(step_model_path(other)))
    for prop in proto.metadata_props:
        if prop.key == "policy_id":
            prop.value = policy_id
    onnx.save(proto, str(step_model_path(mine)))
    model = PolicyModel.load(mine)
    assert model.step is None
    assert "not the policy's" in model.step_status


def test_refusals(exported, tmp_path, capsys):
    _, src, dst = exported
    with pytest.raises(ValueError, match="int8 copy already"):
        quantize_policy(dst, tmp_path / "again.onnx")
    with pytest.raises(ValueError, match="another file"):
        quantize_policy(src, src)
    with pytest.raises(ValueError, match="no such folder"):
        quantize_policy(src, tmp_path / "missing" / "x.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(SystemExit, match="models.quantize"):
        main([str(src), "-o", str(src), "--heldout", "0"])
    from inference.model.onnx_model import ModelError

    with pytest.raises(ModelError):
        quantize_policy(junk, tmp_path / "out.onnx")
    with pytest.raises(SystemExit, match="models.quantize: .*junk.onnx"):
        main([str(junk), "-o", str(tmp_path / "out.onnx")])
    assert not (tmp_path / "out.onnx").exists()


def test_command_writes_and_compares_on_heldout_examples(exported, tmp_path, capsys):
    _, src, _ = exported
    out = tmp_path / "q.onnx"
    assert main([str(src), "-o", str(out), "--heldout", "8"]) == 0
    text = capsys.readouterr().out
    assert "int8 matrix products" in text and "cached decoding" in text
    assert '"source"' in text and '"int8"' in text and '"exact_acc"' in text
    assert PolicyModel.load(out).metadata[WEIGHTS_KEY] == "int8"
