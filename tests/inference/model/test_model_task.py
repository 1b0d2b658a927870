"""A model of another task is refused with one clear line: a write model (the
autoregressive baseline) is not run as the tree-edit policy, and the other way round."""

import pytest

from inference.files.exports import to_png
from inference.lang.syntax import parse
from inference.model.onnx_model import ModelError, PolicyModel
from tests.conftest import REPO
from tests.fake_policy import build_fake_policy
from tests.inference.conftest import assert_user_error

BASELINE = REPO / "models" / "baseline_ar.onnx"


def _message(path, **kwargs) -> str:
    with pytest.raises(ModelError) as info:
        PolicyModel.load(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path.name}: ")
    return message


def test_a_write_model_is_refused_as_a_policy_and_taken_as_a_write_model(tmp_path):
    path = tmp_path / "writer.onnx"
    build_fake_policy(path, metadata={"task": "write"})
    assert "is a write model (the autoregressive baseline)" in _message(path)
    assert PolicyModel.load(path, task="write").task == "write"
    assert PolicyModel.load(path, task=None).task == "write"


def test_an_edit_model_is_refused_as_a_write_model(tmp_path):
    path = tmp_path / "policy.onnx"
    build_fake_policy(path)  # no task key: an edit model, as every policy before the key
    assert "needs a write model" in _message(path, task="write")
    assert PolicyModel.load(path).task == "edit"


def test_an_unknown_task_is_refused(tmp_path):
    path = tmp_path / "odd.onnx"
    build_fake_policy(path, metadata={"task": "\x1b[2J" + "x" * 5000})
    message = _message(path, task=None)
    assert "unknown task" in message and "\x1b" not in message and len(message) < 200


@pytest.mark.skipif(not BASELINE.exists(), reason="no shipped baseline_ar.onnx")
def test_synthesize_refuses_the_shipped_write_model(run_cli, tmp_path):
    image = tmp_path / "shape.png"
    image.write_bytes(to_png(parse("(Circle 8 8 5)"), 128))
    result = run_cli("synthesize", image, "--model", BASELINE, "--budget", "10")
    assert_user_error(result, "baseline_ar.onnx: is a write model", "--ar-model")
    assert result.stdout == ""


@pytest.mark.skipif(not BASELINE.exists(), reason="no shipped baseline_ar.onnx")
def test_bench_still_runs_the_write_model_as_the_autoregressive_baseline(run_cli, tmp_path):
    result = run_cli(
        "bench", REPO / "tests/data/refset-dev", "--methods", "autoregressive", "--ar-model",
        BASELINE, "--limit", "1", "--budget", "5", "-o", tmp_path / "out",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
