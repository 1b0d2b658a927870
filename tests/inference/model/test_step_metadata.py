"""A step graph whose metadata cannot be read is set aside with a plain reason."""

from pathlib import Path

from inference.model.step_model import _open


class _Meta:
    @property
    def custom_metadata_map(self):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


class _Session:
    def get_modelmeta(self):
        return _Meta()


def test_metadata_that_is_not_text_sets_the_step_graph_aside(tmp_path: Path):
    path = tmp_path / "policy.step.onnx"
    path.write_bytes(b"not read by the fake session")
    step, why = _open(path, "id", lambda p, data: _Session(), None, None)
    assert step is None and why == "its metadata is not valid UTF-8"


def test_an_error_line_from_the_runtime_is_escaped(tmp_path: Path):
    path = tmp_path / "policy.step.onnx"
    path.write_bytes(b"x")

    def broken(p, data):
        raise RuntimeError("\x1b[2Jbad graph\x00 " + "z" * 500 + "\nsecond line")

    step, why = _open(path, "id", broken, None, None)
    assert step is None and "\x1b" not in why and "\x00" not in why and len(why) <= 130
    assert "second line" not in why
