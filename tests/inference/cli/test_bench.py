"""The benchmark: problem loading, curves, the table, the plot and the ``bench`` CLI."""

import json
import shutil
import sys

import pytest
from PIL import Image

from inference.cli import commands as cli
from inference.cli.bench import Record, load_problems, markdown_table, solve_curve, summarize
from inference.files.exports import to_png
from inference.lang.syntax import parse
from tests.fake_policy import build_fake_policy

EASY = ["(Circle 5 6 9)", "(- (Circle 6 8 8) (Quad 8 8 2 2 45))"]


@pytest.fixture
def folder(tmp_path, refset_dir):
    """Three problems: two easy ones drawn by TreeSketch, one copied from refset-dev."""
    lines = []
    for i, text in enumerate(EASY):
        (tmp_path / f"easy{i}.png").write_bytes(to_png(parse(text), 128))
        lines.append(json.dumps({"id": f"easy{i}", "program": text, "png": f"easy{i}.png"}))
    ref = (refset_dir / "problems.jsonl").read_text().splitlines()[0]
    lines.append(ref)
    pid = json.loads(ref)["id"]
    shutil.copy(refset_dir / f"{pid}.png", tmp_path / f"{pid}.png")
    (tmp_path / "problems.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def _rec(method, solved, calls, prims=3, seconds=1.0):
    return Record(
        "p", method, solved, 1.0 if solved else 0.5, calls, seconds, prims, "(Circle 1 1 1)"
    )


def test_solve_curve_and_summary_are_exact():
    recs = [
        _rec("a", True, 100),
        _rec("a", True, 400),
        _rec("a", False, 1000),
        _rec("a", True, 1000),
    ]
    assert solve_curve(recs, [0, 99, 100, 399, 400, 1000]) == [0, 0, 0.25, 0.25, 0.5, 0.75]
    recs += [_rec("b", False, 1000, prims=7)]
    summary = summarize(recs, 1000)
    a, b = summary["methods"]["a"], summary["methods"]["b"]
    assert (a["solved"], a["n"], a["solve_rate"]) == (3, 4, 0.75)
    assert a["median_calls_solved"] == 400 and a["at_checkpoints"] == [0.5, 0.75]
    assert summary["checkpoints"] == [500, 1000]
    assert b["bands"]["6-8"] == [0, 1] and b["median_seconds_solved"] is None
    assert a["curve"][-1] == 0.75 and a["curve"] == sorted(a["curve"])
    table = markdown_table(summary, ["x: not run"])
    assert "| a | 3/4 | 0.750 |" in table and "| b | 0/1 |" in table and "- x: not run" in table
    assert "true shape" not in table and "true shape" in markdown_table(summary, sketch=True)
    assert a["solved_true_shape"] == 0  # the records' truth_score defaults to 0


def test_problems_load_with_images_or_rendered_or_as_sketches(folder):
    problems = load_problems(folder, limit=2)
    assert [p.id for p in problems] == ["easy0", "easy1"]
    assert problems[0].target.score(problems[0].program) == 1.0
    (folder / "easy0.png").unlink()  # falls back to rendering the program
    assert load_problems(folder)[0].target.score(parse(EASY[0])) == 1.0
    sketches = load_problems(folder, sketch=True)
    assert all(p.target.is_sketch for p in sketches)
    drawn = load_problems(folder, drawn=1.0)
    assert all(p.target.tolerance == 1.0 and not p.target.is_sketch for p in drawn)
    truth = [p.target.score(p.program) for p in drawn]
    assert all(0.9 < t <= 1.0 for t in truth) and any(
        not (p.target.mask == load_problems(folder)[i].target.mask).all()
        for i, p in enumerate(drawn)
    )  # a wobbly drawing, matched by its program within the tolerance


def test_cli_bench_writes_table_records_and_plot(folder, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["bench", str(folder), "--methods", "random,repl,random+refine"]
    assert cli.main([*args, "--budget", "1500", "-o", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    assert "| repl |" in stdout and "benchmarked 3 methods on 3 problems" in stderr
    data = json.loads((out / "bench.json").read_text())
    assert list(data["methods"]) == ["random", "repl", "random+refine"]
    assert data["methods"]["repl"]["solved"] >= 2  # the two easy problems
    for m in data["methods"].values():
        assert m["curve"] == sorted(m["curve"]) and m["curve"][-1] == m["solve_rate"]
    records = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    assert len(records) == 9 and all(r["calls"] <= 1500 for r in records)
    assert "| method |" in (out / "bench.md").read_text()
    with Image.open(out / "bench.png") as im:
        assert im.format == "PNG" and im.size[0] > 300


def test_cli_bench_runs_an_untrained_network(folder, tmp_path, capsys):
    fake = tmp_path / "untrained.onnx"
    build_fake_policy(fake, seed=2)
    args = ["bench", str(folder), "--methods", "untrained,tree-diffusion", "--limit", "1"]
    args += ["--budget", "100", "-o", str(tmp_path / "o"), "--untrained-model", str(fake)]
    assert cli.main([*args, "--model", str(fake)]) == 0
    capsys.readouterr()
    records = [json.loads(x) for x in (tmp_path / "o" / "records.jsonl").read_text().splitlines()]
    assert [r["method"] for r in records] == ["untrained", "tree-diffusion"]
    assert all(r["calls"] <= 100 for r in records)


def test_cli_bench_skips_model_methods_without_a_model_by_default(
    folder, tmp_path, capsys, monkeypatch
):
    # no shipped model: point the default model folder somewhere empty
    monkeypatch.setattr("inference.model.onnx_model._MODELS_DIR", tmp_path / "no-models")
    args = ["bench", str(folder), "--limit", "1", "--budget", "50", "-o", str(tmp_path / "o")]
    args += ["--model", str(tmp_path / "missing.onnx")]
    code = cli.main(args)
    _, err = capsys.readouterr()
    assert code == 2 and "not found" in err  # an explicit --model must exist
    code = cli.main(args[:-2])
    _, err = capsys.readouterr()
    data = json.loads((tmp_path / "o" / "bench.json").read_text())
    assert code == 0 and set(data["methods"]) == {"random", "random+refine", "repl"}
    assert any("untrained: not run" in n for n in data["notes"])


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--methods", "random,magic"], "unknown method"),
        (["--methods", "untrained"], "--untrained-model"),
        (["--budget", "-3"], "positive"),
        (["--sketch", "--drawn"], "one of --sketch and --drawn"),
        (["--pen", "1"], "go with --drawn"),
        (["--drawn", "--jitter", "-1"], "from 0 to 4"),
    ],
)
def test_cli_bench_user_errors_exit_2(folder, tmp_path, capsys, extra, message):
    code = cli.main(["bench", str(folder), "-o", str(tmp_path / "o"), *extra])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and message in err


def test_cli_bench_needs_a_problem_folder(tmp_path, capsys):
    code = cli.main(["bench", str(tmp_path), "-o", str(tmp_path / "o")])
    _, err = capsys.readouterr()
    assert code == 2 and "problems.jsonl" in err


def test_missing_matplotlib_is_a_clear_error(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    args = ["bench", str(folder), "--methods", "repl", "--limit", "1", "--budget", "50"]
    code = cli.main([*args, "-o", str(tmp_path / "o")])
    _, err = capsys.readouterr()
    assert code == 2 and "matplotlib" in err and err.count("\n") == 1
    assert (tmp_path / "o" / "bench.md").is_file()


def test_a_slice_of_the_problems_gives_the_same_records_as_the_whole_run(folder, tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    args = ["bench", str(folder), "--methods", "random", "--budget", "300"]
    assert cli.main([*args, "-o", str(whole)]) == 0
    assert cli.main([*args, "--skip", "1", "-o", str(part)]) == 0

    def records(out):
        rows = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    assert records(part) == records(whole)[1:]
    assert [p.index for p in load_problems(folder, skip=1)] == [1, 2]


def test_right_shapes_and_false_solves_are_counted_by_part_kind(tmp_path, capsys):
    from inference.cli.bench import FALSE_SOLVE, RIGHT_SHAPE
    from inference.noise.cad_parts import KINDS, write_part_set

    def rec(pid, solved, truth, same, parts=None):
        parts = same if parts is None else parts
        return Record(pid, "m", solved, 0.99, 10, 0.1, 2, "(Circle 1 1 1)", truth, same, parts)

    assert rec("plate-0", True, RIGHT_SHAPE, True).right_shape
    assert not rec("plate-0", True, 0.99, False).right_shape  # a hole missing
    assert (
        rec("plate-0", True, 0.99, False).false_solve and rec("plate-0", True, 1, False).wrong_parts
    )
    thick = rec("plate-0", True, 0.97, False, parts=True)  # a box where the roof should be
    assert not thick.right_shape and not thick.false_solve and not thick.wrong_parts
    assert rec("plate-0", True, FALSE_SOLVE - 0.01, True).false_solve
    assert not rec("plate-0", True, FALSE_SOLVE + 0.01, True).false_solve  # loose, not false
    assert not rec("plate-0", False, 0.5, False).false_solve  # not said solved
    assert rec("plate-0", True, 1, True).kind == "plate"
    assert rec("ref_0001", True, 1, True).kind == ""

    write_part_set(tmp_path / "parts", per_kind=1, seed=5)
    out = tmp_path / "out"
    args = ["bench", str(tmp_path / "parts"), "--methods", "random", "--budget", "30"]
    assert cli.main([*args, "--drawn", "-o", str(out)]) == 0
    summary = json.loads((out / "bench.json").read_text())["methods"]["random"]
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert sorted(summary["kinds"]) == sorted(KINDS) and summary["n"] == len(KINDS)
    false = sum(
        r["solved"] and (not r["same_parts"] or r["truth_score"] < FALSE_SOLVE) for r in records
    )
    assert summary["false_solves"] == false
    table = (out / "bench.md").read_text()
    assert "right shape" in table and "false solves" in table and "| plate |" in table


def test_part_images_read_back_as_their_programs(tmp_path):
    from inference.noise.cad_parts import write_part_set
    from inference.render.raster import render

    write_part_set(tmp_path, per_kind=1, seed=9)
    for problem in load_problems(tmp_path):
        assert (problem.target.mask == render(problem.program, 128)).all(), problem.id


def test_the_residual_lever_is_a_bench_setting(folder, tmp_path, capsys):
    out = tmp_path / "o"
    args = ["bench", str(folder), "--methods", "random", "--limit", "2", "--budget", "300"]
    assert cli.main([*args, "--residual", "-o", str(out)]) == 0
    capsys.readouterr()
    data = json.loads((out / "bench.json").read_text())
    assert data["settings"]["residual"] is True
    assert all(json.loads(x)["calls"] <= 300 for x in (out / "records.jsonl").open())
    off = tmp_path / "off"
    assert cli.main([*args, "--no-residual", "-o", str(off)]) == 0
    assert json.loads((off / "bench.json").read_text())["settings"]["residual"] is False
    default = tmp_path / "default"
    assert cli.main([*args, "-o", str(default)]) == 0
    assert json.loads((default / "bench.json").read_text())["settings"]["residual"] is True


def test_levers_run_every_variant_and_the_baselines_in_one_run(folder, tmp_path, capsys):
    fake, other = tmp_path / "policy.onnx", tmp_path / "other.onnx"
    build_fake_policy(fake, seed=1)
    build_fake_policy(other, seed=3)
    out = tmp_path / "o"
    args = ["bench", str(folder), "--levers", "--methods", "random", "--limit", "1"]
    args += ["--budget", "120", "--model", str(fake), "--compare-model", str(other)]
    assert cli.main([*args, "-o", str(out)]) == 0
    table, _ = capsys.readouterr()
    data = json.loads((out / "bench.json").read_text())
    names = ["tree-diffusion", "no fit", "no residual", "rank by score", "restarts"]
    names += ["tree-diffusion+refine", "model other.onnx", "random"]
    assert list(data["methods"]) == names == data["settings"]["methods"]
    assert data["settings"]["levers"] is True
    records = [json.loads(x) for x in (out / "records.jsonl").open()]
    assert [r["method"] for r in records] == names
    assert all(r["calls"] <= 120 for r in records)
    assert all(f"| {n} |" in table for n in names) and (out / "bench.png").stat().st_size


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--compare-model", "x.onnx"], "goes with --levers"),
        (["--restarts", "-1"], "restarts"),
    ],
)
def test_lever_options_are_checked(folder, tmp_path, capsys, extra, message):
    code = cli.main(["bench", str(folder), "--methods", "random", "-o", str(tmp_path), *extra])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and message in err
