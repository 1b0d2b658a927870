"""Fixtures shared by the runtime's tests: the command line run in-process."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from inference.cli import commands as cli

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    """What a command gave back: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """``run_cli(*args, cwd=None)``: :func:`inference.cli.commands.main` with ``args`` in folder
    ``cwd`` (the repository by default), as ``python -m inference`` would run it."""

    def run(*args, cwd=None) -> Result:
        monkeypatch.chdir(cwd or REPO)
        capsys.readouterr()  # only this command's output
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as e:  # argparse's --version
            code = e.code if isinstance(e.code, int) else 0
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def assert_user_error(result: Result | subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit 2, exactly one stderr line starting with the error prefix, no traceback."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("treesketch: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
