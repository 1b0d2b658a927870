"""Loading policy models and refusing files that break the contract (with a fake ONNX model)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from inference.lang.tree import circle
from inference.model import model_batches
from inference.model import token_features as model_inputs
from inference.model.onnx_model import ModelError, PolicyModel, default_model_path
from inference.model.tokens import GRAMMAR_VERSION, POS_BASE, VOCAB
from inference.targets import target_images
from tests.conftest import REPO
from tests.fake_policy import build_fake_policy


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return build_fake_policy(seed=1)


def _write(tmp_path, data: bytes, name: str = "policy.onnx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _refused(path, **kwargs) -> str:
    with pytest.raises(ModelError) as info:
        PolicyModel.load(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path.name}: ")
    return message


def test_load_exposes_the_contract_facts(tmp_path, model_bytes):
    model = PolicyModel.load(_write(tmp_path, model_bytes), intra_op_threads=1)
    assert model.image_size == target_images.IMAGE_SIZE
    assert model.feature_dim == model_inputs.FEATURE_DIM
    assert model.modality == "filled"
    assert model.training_examples == 1234
    assert model.dev_metrics == {"pos_accuracy": 0.5}
    assert model.config["kind"] == "fake"
    assert json.loads(model.metadata["vocab"]) == list(VOCAB)
    assert model.metadata["grammar_version"] == GRAMMAR_VERSION


def test_run_returns_the_contract_outputs_for_any_batch_and_length(tmp_path, model_bytes):
    model = PolicyModel.load(_write(tmp_path, model_bytes))
    s = model.image_size
    target = np.zeros((s, s), bool)
    target[10:30, 5:50] = True
    for items in (
        [(target, circle(3, 4, 5), [])],
        [(target, circle(3, 4, 5), [POS_BASE + 2]), (target, circle(1, 1, 1), [])],
    ):
        inputs = model_batches.encode_batch(items)
        b, t = inputs["tokens"].shape
        token_logits, pos_logits, value = model.run(inputs)
        assert token_logits.shape == (b, t, POS_BASE)
        assert pos_logits.shape == (b, t, t)
        assert value.shape == (b,)
        assert all(o.dtype == np.float32 for o in (token_logits, pos_logits, value))
        assert np.isfinite(token_logits).all() and np.isfinite(pos_logits).all()


def test_missing_file(tmp_path):
    message = _refused(tmp_path / "nothing.onnx")
    assert "model file not found" in message and "nothing.onnx" in message


def test_a_folder_is_not_a_model(tmp_path):
    (tmp_path / "dir.onnx").mkdir()
    assert "not a file" in _refused(tmp_path / "dir.onnx")


@pytest.mark.parametrize(
    "data",
    [b"", b"this is not a protobuf \x00\xff\xfe" * 20, bytes(range(256)) * 8],
    ids=["empty", "text", "bytes"],
)
def test_garbage_is_not_a_valid_onnx_model(tmp_path, data):
    assert "not a valid ONNX model" in _refused(_write(tmp_path, data))


def test_truncated_file_is_not_a_valid_onnx_model(tmp_path, model_bytes):
    path = _write(tmp_path, model_bytes[: len(model_bytes) // 2])
    assert "not a valid ONNX model" in _refused(path)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"treesketch_format": "policy-v0"}, "model format is 'policy-v0'"),
        ({"treesketch_format": None}, "metadata key 'treesketch_format' is missing"),
        ({"grammar_version": "csg2d-tokens-0"}, "grammar version is 'csg2d-tokens-0'"),
        ({"vocab": json.dumps(list(VOCAB[:-1]))}, f"vocabulary has {len(VOCAB) - 1} tokens"),
        ({"vocab": json.dumps(["<PAD>", "<EDIT>", "<EOS>", *VOCAB[3:]])}, "differs at id 1"),
        ({"vocab": "[not json"}, "'vocab' is not valid JSON"),
        ({"feature_version": "features-0"}, "feature version is 'features-0'"),
        ({"feature_dim": "many"}, "'feature_dim' is not an integer"),
        ({"modality": "photo"}, "unknown modality 'photo'"),
        ({"image_size": None}, "metadata key 'image_size' is missing"),
    ],
)
def test_metadata_mismatch_is_refused_with_what_differs(tmp_path, metadata, expected):
    path = _write(tmp_path, build_fake_policy(metadata=metadata))
    assert expected in _refused(path)


def test_wrong_feature_dim_is_refused(tmp_path):
    dim = model_inputs.FEATURE_DIM + 3
    path = _write(tmp_path, build_fake_policy(feature_dim=dim))
    assert f"feature dim is {dim}, this version computes {model_inputs.FEATURE_DIM}" in _refused(
        path
    )


def test_image_size_disagreeing_with_the_graph_is_refused(tmp_path):
    size = target_images.IMAGE_SIZE
    path = _write(tmp_path, build_fake_policy(metadata={"image_size": str(size * 2)}))
    assert f"input 'images' axis 2 is {size}, expected {size * 2}" in _refused(path)


def test_fixed_batch_axis_is_refused(tmp_path):
    path = _write(tmp_path, build_fake_policy(batch_dim=1))
    assert "axis 0 is fixed to 1, must be dynamic" in _refused(path)


def test_renamed_output_is_refused(tmp_path):
    path = _write(tmp_path, build_fake_policy(output_names=("token_logits", "ptr", "value")))
    assert "outputs are ['ptr', 'token_logits', 'value']" in _refused(path)


def test_wrong_token_logits_width_is_refused(tmp_path):
    path = _write(tmp_path, build_fake_policy(token_classes=POS_BASE + 1))
    assert f"output 'token_logits' axis 2 is {POS_BASE + 1}, expected {POS_BASE}" in _refused(path)


def test_a_model_that_loads_but_computes_nan_is_refused(tmp_path):
    path = _write(tmp_path, build_fake_policy(nan_logits=True))
    assert "output 'token_logits' is not finite on a test input" in _refused(path)


def test_target_input_matches_the_modality(tmp_path, model_bytes):
    filled = PolicyModel.load(_write(tmp_path, model_bytes))
    s = filled.image_size
    big = np.zeros((2 * s, 2 * s), np.uint8)
    big[: s // 2, :] = 255
    mask = filled.target_input(big)
    assert mask.dtype == np.bool_ and mask.shape == (s, s)
    assert mask[: s // 4].all() and not mask[s // 4 :].any()
    sketch_bytes = build_fake_policy(metadata={"modality": "sketch"})
    sketch = PolicyModel.load(_write(tmp_path, sketch_bytes, "sketch.onnx"))
    ink = sketch.target_input(big)
    assert ink.dtype == np.float32 and ink.shape == (s, s)
    assert ink.max() == 1.0 and ink.min() == 0.0
    with pytest.raises(ValueError, match="2-D"):
        filled.target_input(np.zeros((3, s, s)))


def test_modality_can_be_required(tmp_path, model_bytes):
    path = _write(tmp_path, model_bytes)
    assert "is a 'filled' model, need 'sketch'" in _refused(path, modality="sketch")
    assert PolicyModel.load(path, modality="filled").modality == "filled"


def test_a_model_for_both_takes_either_kind_of_target(tmp_path):
    path = _write(tmp_path, build_fake_policy(metadata={"modality": "both"}), "both.onnx")
    model = PolicyModel.load(path, modality="sketch")
    assert model.handles("sketch") and model.handles("filled")
    s = model.image_size
    gray = np.zeros((s, s), np.float32)
    gray[: s // 2] = 0.8
    assert model.target_input(gray > 0.5).dtype == np.bool_  # a mask is a filled target
    assert model.target_input(gray).dtype == np.float32  # float ink is a sketch
    assert model.target_input(gray, "filled").dtype == np.bool_  # unless told otherwise


def test_default_model_paths_point_into_the_repository_models_folder():
    for kind in ("filled", "sketch"):
        own = REPO / "models" / f"policy_{kind}.onnx"
        assert default_model_path(kind) == (own if own.exists() else REPO / "models/policy.onnx")
    with pytest.raises(ValueError, match="modality"):
        default_model_path("photo")


def test_a_modality_specific_model_wins_over_the_shared_one(tmp_path):
    (tmp_path / "policy.onnx").write_bytes(b"")
    assert default_model_path("sketch", tmp_path) == tmp_path / "policy.onnx"
    (tmp_path / "policy_sketch.onnx").write_bytes(b"")
    assert default_model_path("sketch", tmp_path) == tmp_path / "policy_sketch.onnx"
    assert default_model_path("filled", tmp_path) == tmp_path / "policy.onnx"


def test_runtime_modules_import_neither_onnx_nor_torch():
    code = (
        "import sys, inference.model.onnx_model, inference.model.decoding;"
        "bad = [m for m in ('onnx', 'torch', 'PySide6') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
