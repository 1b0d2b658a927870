"""TinySVG problems on the command line (issue 17): a held-out problem set, ``bench`` and
``synthesize`` with the methods that run on any language, and clear refusals otherwise."""

import json

import numpy as np
from PIL import Image

from inference.benchmarks.drawing_problems import write_drawing_problems
from inference.files.fileio import read_problems, read_program
from inference.lang.grammar import TINYSVG
from inference.lang.syntax import parse, to_text
from inference.lang.tinysvg import parse_tinysvg
from inference.lang.tree import primitives
from inference.noise.svg_targets import is_clear_drawing
from inference.render.svg_scene import render
from inference.targets.drawing_target import DrawingTarget

TWO = "(Arrange v (Rectangle 6 2 red none 0) (Ellipse 3 3 blue none 0) 1)"


def test_the_problem_set_is_reproducible_and_drawn(tmp_path):
    a = write_drawing_problems(tmp_path / "a", 4, seed=5)
    b = write_drawing_problems(tmp_path / "b", 4, seed=5)
    assert a.read_text() == b.read_text()
    problems = read_problems(a)
    assert [pid for pid, _ in problems] == ["drawing000", "drawing001", "drawing002", "drawing003"]
    for pid, program in problems:
        assert program.grammar is TINYSVG and program.sigma >= 2
        image = np.asarray(Image.open(tmp_path / "a" / f"{pid}.png"))
        assert image.shape == (224, 224, 3) and np.array_equal(image, render(program, 224))
        assert is_clear_drawing(image)


def test_bench_runs_random_mutations_and_the_repl_on_drawings(run_cli, tmp_path):
    write_drawing_problems(tmp_path / "set", 2, seed=6)
    methods = ["random", "random+refine", "repl"]
    res = run_cli(
        "bench", tmp_path / "set", "--budget", "120", "--methods", ",".join(methods),
        "-o", tmp_path / "out",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    records = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").open()]
    assert [r["method"] for r in records] == [m for m in methods for _ in range(2)]
    data = json.loads((tmp_path / "out" / "bench.json").read_text())
    assert data["settings"]["language"] == "TinySVG"
    assert data["settings"]["methods"] == methods
    assert set(data["methods"]) == set(methods)
    assert all(len(m["curve"]) == len(data["budgets"]) for m in data["methods"].values())
    with Image.open(tmp_path / "out" / "bench.png") as im:
        assert im.format == "PNG" and im.width > 400
    assert all(r["calls"] <= 120 and r["score"] <= 1.0 for r in records)
    assert all(
        r["program"].startswith(("(Rectangle", "(Ellipse", "(Arrange", "(Move")) for r in records
    )


def test_bench_and_synthesize_refuse_what_drawings_cannot_do(run_cli, tmp_path):
    write_drawing_problems(tmp_path / "set", 1, seed=7)
    res = run_cli("bench", tmp_path / "set", "--methods", "tree-diffusion,repl,rollouts")
    assert res.returncode == 2
    assert "rollouts: not for TinySVG problems" in res.stderr
    assert "take random, random+refine, repl, tree-diffusion, tree-diffusion+refine" in res.stderr
    res = run_cli("bench", tmp_path / "set", "--language", "csg2d")
    assert res.returncode == 2 and "TinySVG problems, not CSG2D" in res.stderr
    res = run_cli("bench", tmp_path / "set", "--sketch")
    assert res.returncode == 2 and "of CSG2D programs only" in res.stderr
    png = tmp_path / "set" / "drawing000.png"
    res = run_cli("synthesize", png, "--language", "tinysvg", "--method", "rollouts")
    assert res.returncode == 2 and "method 'rollouts' works on CSG2D only" in res.stderr


def test_synthesize_and_bench_use_the_shipped_tinysvg_policy(run_cli, tmp_path):
    """No --model: a TinySVG image is searched with ``models/policy_tinysvg.onnx``, as the
    editor does, not refused for want of the CSG2D model's language."""
    write_drawing_problems(tmp_path / "set", 1, seed=7)
    png = tmp_path / "set" / "drawing000.png"
    res = run_cli("synthesize", png, "--language", "tinysvg", "--budget", "150", "--json")
    assert res.returncode == 0, res.stderr
    record = json.loads(res.stdout)
    assert record["method"] == "tree-diffusion" and record["calls"] <= 150
    res = run_cli("bench", tmp_path / "set", "--budget", "60", "-o", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "out" / "bench.json").read_text())
    assert list(data["methods"]) == [
        "random", "random+refine", "repl", "tree-diffusion", "tree-diffusion+refine"
    ]  # fmt: skip


def test_the_plot_shows_a_curve_that_stays_at_zero():
    """A method that solves nothing still shows as a line above the frame (TinySVG runs often
    have one), not hidden under the axis."""
    import io

    from inference.cli.bench import Record, plot_png, summarize

    records = [Record(f"p{i}", "repl", False, 0.5, 100, 0.1, 2, "(x)") for i in range(2)]
    image = np.asarray(Image.open(io.BytesIO(plot_png(summarize(records, 300), "t"))))
    blue = np.abs(image[..., :3].astype(int) - [31, 119, 180]).sum(-1) < 60  # the first curve
    lower = blue[image.shape[0] // 2 :]
    assert lower.sum(axis=1).max() > image.shape[1] // 2  # a line across the plot


def test_synthesize_runs_the_repl_on_a_drawing(run_cli, tmp_path):
    png = tmp_path / "two.png"
    Image.fromarray(render(parse_tinysvg(TWO), 224)).save(png)
    res = run_cli(
        "synthesize", png, "--language", "tinysvg", "--method", "repl", "--budget", "1500",
        "--json", "-o", tmp_path / "out",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    record = json.loads(res.stdout.strip().splitlines()[-1])
    assert record["method"] == "repl" and record["solved"] and record["calls"] <= 1500
    found = read_program(tmp_path / "out" / "two.tsvg")
    assert found.grammar is TINYSVG and to_text(found) == record["program"]
    target = DrawingTarget(np.asarray(Image.open(png)))
    assert target.score(found) == record["score"] > 0.99


def test_synthesize_writes_a_drawing(run_cli, tmp_path):
    write_drawing_problems(tmp_path / "set", 1, seed=8)
    png = tmp_path / "set" / "drawing000.png"
    res = run_cli(
        "synthesize", png, "--language", "tinysvg", "--method", "random", "--budget", "150",
        "--json", "-o", tmp_path / "out",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    record = json.loads(res.stdout.strip().splitlines()[-1])
    assert record["calls"] <= 150 and record["method"] == "random"
    found = read_program(tmp_path / "out" / "drawing000.tsvg")
    assert found.grammar is TINYSVG
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "out" / "drawing000.png")), render(found, 128)
    )


def test_synthesize_runs_the_hybrid_climb_on_a_drawing(run_cli, tmp_path):
    png = tmp_path / "two.png"
    Image.fromarray(render(parse_tinysvg(TWO), 224)).save(png)
    res = run_cli(
        "synthesize", png, "--language", "tinysvg", "--method", "random+refine",
        "--budget", "400", "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    record = json.loads(res.stdout.strip().splitlines()[-1])
    assert record["method"] == "random+refine" and record["calls"] <= 400
    assert parse_tinysvg(record["program"]).grammar is TINYSVG


def test_a_colour_picture_read_as_csg2d_gets_a_hint(run_cli, tmp_path):
    """Without --language an image is a CSG2D shape; a colour drawing says how to read it
    as TinySVG, and a grey shape says nothing."""
    png = tmp_path / "two.png"
    Image.fromarray(render(parse_tinysvg(TWO), 224)).save(png)
    res = run_cli("synthesize", png, "--budget", "30")
    assert res.returncode == 0, res.stderr
    assert "colour picture, read as a CSG2D shape; for a TinySVG drawing add --language" in (
        res.stderr
    )
    grey = tmp_path / "grey.png"
    from inference.render.raster import render as render_csg

    shape = render_csg(parse("(Circle 4 8 8)"), 128)
    Image.fromarray((shape * 255).astype(np.uint8)).save(grey)
    res = run_cli("synthesize", grey, "--budget", "30")
    assert res.returncode == 0 and "colour picture" not in res.stderr


def test_synthesize_forgives_a_hand_drawing_s_edges_with_drawn(run_cli, tmp_path):
    """A red rectangle drawn by hand (each row's ends off by up to 3 px): exactly, the REPL
    adds lines for the wobble and does not solve it; ``--drawn`` forgives edges within a
    unit and finds the one rectangle."""
    rng = np.random.default_rng(5)
    picture = np.full((224, 224, 3), 255, dtype=np.uint8)
    for y in range(100 + rng.integers(-3, 4), 130 + rng.integers(-3, 4)):
        x0, x1 = 91 + rng.integers(-3, 4), 133 + rng.integers(-3, 4)
        picture[y, x0:x1] = (255, 0, 0)
    png = tmp_path / "hand.png"
    Image.fromarray(picture).save(png)
    found = {}
    for extra in ([], ["--drawn"]):
        out = tmp_path / f"out{len(extra)}"
        res = run_cli(
            "synthesize", png, "--language", "tinysvg", "--method", "repl", "--budget", "1500",
            "--json", "-o", out, *extra,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        found[bool(extra)] = json.loads(res.stdout.strip().splitlines()[-1])
    assert not found[False]["solved"] and found[True]["solved"]
    program = parse_tinysvg(found[True]["program"])
    assert [n.kind for _, n in primitives(program)] == ["Rectangle"]
    res = run_cli(
        "synthesize", png, "--language", "tinysvg", "--method", "repl", "--budget", "1500",
        "--drawn", "0.5",
    )  # fmt: skip
    assert res.returncode == 0 and "solved (matches the drawing: check sizes" in res.stdout
    res = run_cli("synthesize", png, "--language", "tinysvg", "--sketch")
    assert res.returncode != 0 and "--sketch is for CSG2D" in res.stderr
