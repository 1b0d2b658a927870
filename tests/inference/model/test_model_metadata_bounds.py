"""A model's metadata and onnxruntime's messages reach the user as one short, escaped
line (issue 14, found by the fuzz): JSON metadata is read by bounded_json.parse_json (a vocab
of 100,000 '[' raised RecursionError), values are quoted as excerpts (a 100,000-character
format was quoted whole), a value that is not UTF-8 is a ModelError (it raised
UnicodeDecodeError from get_modelmeta), and onnxruntime's first line is escaped."""

import json

import onnx
import pytest

from inference.model.onnx_model import ModelError, PolicyModel
from inference.model.tokens import VOCAB
from tests.fake_policy import build_fake_policy

PLACEHOLDER = "PLACEHOLDER-0123456789"


def _refused(tmp_path, data: bytes) -> str:
    path = tmp_path / "policy.onnx"
    path.write_bytes(data)
    with pytest.raises(ModelError) as info:
        PolicyModel.load(path, intra_op_threads=1)
    message = str(info.value)
    assert message.isprintable() and len(message) < 300, message[:1000]
    assert "Recursion" not in message and "4300" not in message
    return message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("vocab", "[" * 100_000, "metadata 'vocab' is not usable JSON (JSON nested too deeply)"),
        ("vocab", "[" + "1" * 5000 + "]", "more than 100 digits"),
        ("vocab", "[not json", "metadata 'vocab' is not valid JSON"),
        ("vocab", json.dumps(["\x1b[2J" * 30_000]), "vocabulary has 1 tokens"),
        ("treesketch_format", "x" * 100_000, "model format is 'xxxxxxxx"),
        ("treesketch_format", "\x1b[2J\x1b[31mPWNED", "model format is '\\x1b[2J\\x1b[31mPWNED'"),
        ("grammar_version", "g" * 1_000_000, "grammar version is 'ggg"),
        ("feature_dim", "9" * 5000, "metadata 'feature_dim' is not an integer: '999"),
        ("modality", "\x00" * 1000, "unknown modality '\\x00"),
    ],
)
def test_metadata_values_are_quoted_short_and_escaped(tmp_path, key, value, expected):
    message = _refused(tmp_path, build_fake_policy(metadata={key: value}))
    assert expected in message


def test_a_vocab_entry_that_differs_is_quoted_short(tmp_path):
    vocab = ["\x1b" * 100_000, *VOCAB[1:]]
    message = _refused(tmp_path, build_fake_policy(metadata={"vocab": json.dumps(vocab)}))
    assert "vocabulary differs at id 0: '\\x1b\\x1b" in message


@pytest.mark.parametrize("key", ["dev_metrics", "config"])
def test_optional_json_metadata_that_is_too_deep_is_ignored(tmp_path, key):
    path = tmp_path / "policy.onnx"
    path.write_bytes(build_fake_policy(metadata={key: "[" * 100_000}))
    model = PolicyModel.load(path, intra_op_threads=1)
    assert getattr(model, key) == {}


def test_metadata_that_is_not_utf8_is_a_model_error(tmp_path):
    data = build_fake_policy(metadata={"modality": PLACEHOLDER})
    assert data.count(PLACEHOLDER.encode()) == 1
    data = data.replace(PLACEHOLDER.encode(), b"\xff\xfe" * (len(PLACEHOLDER) // 2))
    message = _refused(tmp_path, data)
    assert message == "policy.onnx: metadata is not valid UTF-8 (not a TreeSketch model?)"


def test_onnxruntimes_message_is_one_escaped_line(tmp_path):
    model = onnx.load_from_string(build_fake_policy())
    node = model.graph.node[0]
    node.input[0] = "\x1b[2J\x1b[31mPWNED" + "n" * 100_000
    message = _refused(tmp_path, model.SerializeToString())
    assert message.startswith("policy.onnx: not a valid ONNX model (")
    assert "\x1b" not in message
