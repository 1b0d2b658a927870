"""``bench-merge``: slices of one bench run merged into the run's table, records and plot."""

import json
import shutil

import pytest

from inference.cli import commands as cli
from inference.files.exports import to_png
from inference.lang.syntax import parse

PROGRAMS = ["(Circle 5 6 9)", "(- (Circle 6 8 8) (Quad 8 8 2 2 45))", "(Quad 8 8 6 4 0)"]


@pytest.fixture
def folder(tmp_path):
    """Three problems drawn by TreeSketch."""
    lines = []
    for i, text in enumerate(PROGRAMS):
        (tmp_path / f"p{i}.png").write_bytes(to_png(parse(text), 128))
        lines.append(json.dumps({"id": f"p{i}", "program": text, "png": f"p{i}.png"}))
    (tmp_path / "problems.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def _bench(folder, out, *extra):
    args = ["bench", str(folder), "--methods", "random,repl", "--budget", "200", "-o", str(out)]
    assert cli.main([*args, *extra]) == 0


def _records(out):
    rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def _summary(out):
    data = json.loads((out / "bench.json").read_text())
    drop = ("median_seconds_solved", "total_seconds")
    rows = data["methods"].items()
    return {m: {k: v for k, v in row.items() if k not in drop} for m, row in rows}


def test_merged_slices_are_the_whole_run(folder, tmp_path, capsys):
    whole, a, b, merged = (tmp_path / n for n in ("whole", "a", "b", "merged"))
    _bench(folder, whole)
    _bench(folder, b, "--skip", "2")  # given out of order: the merge sorts by --skip
    _bench(folder, a, "--limit", "2")
    capsys.readouterr()
    assert cli.main(["bench-merge", str(merged), str(b), str(a)]) == 0
    assert "| repl |" in capsys.readouterr().out
    assert _records(merged) == _records(whole)
    assert _summary(merged) == _summary(whole)
    settings = json.loads((merged / "bench.json").read_text())["settings"]
    assert settings["problems"] == 3 and settings["skip"] == 0
    assert settings["merged_from"] == [str(a), str(b)]
    assert (merged / "bench.png").read_bytes()[:4] == b"\x89PNG"


def test_slices_of_different_runs_or_overlapping_ones_are_refused(folder, tmp_path, capsys):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    _bench(folder, a, "--limit", "2")
    _bench(folder, b, "--skip", "1")
    _bench(folder, c, "--skip", "2", "--seed", "5")
    capsys.readouterr()
    for slices, message in (
        ([a, b], "p1 (random) is in both"),
        ([a, c], "seed is 5 there, 0 here"),
        ([a], "at least two"),
        ([a, tmp_path / "nothing"], "no bench.json there"),
    ):
        code = cli.main(["bench-merge", str(tmp_path / "m"), *map(str, slices)])
        _, err = capsys.readouterr()
        assert code == 2 and message in err and err.count("\n") == 1, err
    shutil.rmtree(tmp_path / "m", ignore_errors=True)
