"""``-o`` paths ending in a separator name a folder: a folder for the commands that write
into one, an error for ``export``, which writes one file (issue 14)."""

import os

import pytest

from inference.files.fileio import atomic_write_bytes
from tests.inference.cli.test_cli import PROGRAM
from tests.inference.conftest import assert_user_error


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "shape.csg"
    path.write_text(PROGRAM + "\n")
    return path


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            "new.svg/",
            "new.svg/: ends with '/', so it names a folder, not a file; did you mean new.svg?",
        ),
        (
            "new.svg//",
            "new.svg//: ends with '/', so it names a folder, not a file; did you mean new.svg?",
        ),
        ("new.svg/.", "new.svg/.: names a folder, not a file"),
        ("new.svg/..", "new.svg/..: names a folder, not a file"),
        ("/", "/: names a folder, not a file"),
    ],
)
def test_export_refuses_a_folder_path(run_cli, tmp_path, program, output, message):
    result = run_cli("export", program, "-o", output, cwd=tmp_path)
    assert_user_error(result)
    assert result.stderr == f"treesketch: error: {message}\n"
    assert sorted(os.listdir(tmp_path)) == ["shape.csg"]  # no file new.svg


def test_render_takes_a_folder_path_with_a_separator(run_cli, tmp_path, program):
    result = run_cli("render", program, "-o", "out/", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert os.listdir(tmp_path / "out") == ["shape.png"]
    (tmp_path / "taken.png").write_bytes(b"")
    result = run_cli("render", program, "-o", "taken.png/", cwd=tmp_path)
    assert_user_error(result, "taken.png/: exists and is not a folder")


def test_atomic_writes_refuse_a_folder_path(tmp_path):
    with pytest.raises(IsADirectoryError, match="ending in a separator names a folder"):
        atomic_write_bytes(f"{tmp_path / 'new.svg'}/", b"data")
    assert os.listdir(tmp_path) == []
