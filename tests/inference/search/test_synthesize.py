"""Synthesis: the REPL baseline, the outline fit, the methods and the ``synthesize`` CLI."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from inference.cli import commands as cli
from inference.files.images import ImageError
from inference.lang.syntax import parse
from inference.render.raster import rasterizer, render
from inference.search.repl_baseline import ReplConfig, primitive_grid, repl_search
from inference.search.synthesize import METHODS, load_image_target, run_method, synthesize
from inference.targets.outline_fit import SOLVE_FIT, OutlineFit, outline_fit
from inference.targets.sketch import simulate_sketch
from inference.targets.target import Target
from tests.fake_policy import build_fake_policy

# ----- REPL baseline ---------------------------------------------------------------------------


@pytest.mark.parametrize("goal", ["(Circle 5 6 9)", "(- (Circle 6 8 8) (Quad 8 8 2 2 45))"])
def test_repl_solves_easy_targets_within_budget(goal):
    target = Target(render(parse(goal), 128))
    events = list(repl_search(target, ReplConfig(budget=3000)))
    assert events[-1].solved and events[-1].finished
    assert events[-1].calls <= 3000
    assert target.score(events[-1].program) == events[-1].score


def test_repl_counts_every_candidate_and_respects_small_budgets():
    target = Target(render(parse("(+ (Circle 4 5 5) (Quad 11 10 3 4 0))"), 128))
    grid = primitive_grid(
        *(getattr(ReplConfig(), k) for k in ("positions", "radii", "sizes", "angles"))
    )
    for budget in (1, len(grid), len(grid) + 50, 700):
        events = list(repl_search(target, ReplConfig(budget=budget)))
        assert events[-1].calls <= budget
        assert events[-1].score == pytest.approx(target.score(events[-1].program))
    first = next(iter(repl_search(target, ReplConfig(budget=10_000, polish_calls=0))))
    assert first.calls == len(grid)  # the empty program: one candidate per grid primitive


def test_repl_is_deterministic_and_cancellable():
    target = Target(render(parse("(- (Quad 8 8 6 5 0) (Circle 3 9 7))"), 128))
    a = [(e.program, e.calls) for e in repl_search(target, ReplConfig(budget=2000))]
    b = [(e.program, e.calls) for e in repl_search(target, ReplConfig(budget=2000))]
    assert a == b
    events = list(repl_search(target, cancel=lambda: True))
    assert len(events) == 1 and events[0].finished and events[0].calls == 0


# ----- outline fit -----------------------------------------------------------------------------

GOAL = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 8))")


def test_outline_fit_is_one_for_its_own_outline_and_zero_for_nothing():
    r = rasterizer(128)
    mask = r.packed(GOAL)
    fit = OutlineFit(r.unpack(OutlineFit(np.zeros((128, 128))).outline(mask)))
    assert fit.score_packed(mask) == 1.0
    assert fit.score_packed(0) == 0.0
    assert fit.score_packed(r.packed(parse("(Circle 1 1 14)"))) < 0.05


def test_outline_ignores_the_canvas_border():
    fit = OutlineFit(np.zeros((128, 128)))
    full = rasterizer(128).full
    assert fit.outline(full) == 0
    left = np.zeros((128, 128), bool)
    left[:, :64] = True  # the left half touches three sides of the canvas
    half = rasterizer(128).pack(left)
    assert fit.outline(half).bit_count() == 128  # only the inner vertical edge


def test_true_programs_fit_their_simulated_sketches(refset_dir):
    from inference.files.fileio import read_problems

    rng = np.random.default_rng(0)
    fits, shifted = [], []
    for _, program in read_problems(refset_dir / "problems.jsonl")[:24]:
        ink = simulate_sketch(program, rng, 128)
        fits.append(outline_fit(render(program, 128), ink))
        shifted.append(outline_fit(np.roll(render(program, 128), 12, axis=1), ink))
    assert np.mean(np.array(fits) > SOLVE_FIT) >= 0.85
    assert np.mean(np.array(shifted) > SOLVE_FIT) <= 0.1


# ----- methods ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "fake.onnx"
    build_fake_policy(path, seed=1)
    return path


@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_within_budget(method, fake_model_path):
    from inference.model.onnx_model import PolicyModel

    model = PolicyModel.load(fake_model_path, intra_op_threads=1)
    target = Target(render(GOAL, 128))
    budget = 150
    res = synthesize(target, method, seed=3, budget=budget, model=model, file="x")
    assert res.calls <= budget and res.method == method
    assert res.score == pytest.approx(target.score(parse(res.program)))
    with pytest.raises(ValueError, match="unknown method"):
        run_method("nope", target, np.random.default_rng(0))


def test_image_targets_are_loaded_and_checked(refset_dir, tmp_path):
    target = load_image_target(refset_dir / "ref1000_0002.png")
    assert not target.is_sketch and target.mask.any()
    sketch = 1 - simulate_sketch(GOAL, np.random.default_rng(0), 256)  # black on white, 256²
    Image.fromarray((sketch * 255).astype(np.uint8)).save(tmp_path / "s.png")
    st = load_image_target(tmp_path / "s.png", sketch=True)
    assert st.is_sketch and st.solves(st.score(GOAL))
    Image.new("L", (64, 64), 0).save(tmp_path / "black.png")
    with pytest.raises(ImageError, match="blank.*all one colour"):
        load_image_target(tmp_path / "black.png")
    with pytest.raises(ImageError, match="sketch is blank"):
        load_image_target(tmp_path / "black.png", sketch=True)
    with pytest.raises(ImageError, match="too much"):
        load_image_target(tmp_path / "black.png", sketch=True, ink="black")
    with pytest.raises(ImageError, match="no background"):
        load_image_target(tmp_path / "black.png", ink="black")


# ----- CLI -------------------------------------------------------------------------------------


def _run(args, capsys):
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_synthesizes_refset_images_with_records_and_files(refset_dir, tmp_path, capsys):
    images = [str(refset_dir / f"ref1000_000{i}.png") for i in (2, 5)]
    args = ["synthesize", *images, "--method", "repl", "--budget", "1500", "--json"]
    code, out, err = _run([*args, "-o", str(tmp_path / "out")], capsys)
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in records] == images
    for rec in records:
        assert set(rec) >= {"file", "program", "score", "solved", "calls", "seconds", "method"}
        assert rec["calls"] <= 1500 and 0 <= rec["score"] <= 1 and rec["method"] == "repl"
        stem = rec["file"].rsplit("/", 1)[-1][:-4]
        program = parse((tmp_path / "out" / f"{stem}.csg").read_text())
        assert program == parse(rec["program"])
        png = Image.open(tmp_path / "out" / f"{stem}.png")
        assert png.size == (128, 128)
    assert "solved" in err  # the progress summary on stderr
    # the same seed gives the same programs
    code, out2, _ = _run(args, capsys)
    assert [json.loads(x)["program"] for x in out2.splitlines()] == [r["program"] for r in records]


def test_cli_text_output_and_a_model_method(refset_dir, fake_model_path, capsys):
    image = str(refset_dir / "ref1000_0002.png")
    code, out, _ = _run(
        ["synthesize", image, "--model", str(fake_model_path), "--budget", "100"], capsys
    )
    assert code == 0 and "[tree-diffusion]" in out and "calls" in out
    assert parse(out.splitlines()[1].strip())


def test_cli_drawn_images_are_scored_with_a_tolerance(tmp_path, capsys):
    from inference.targets.sketch import simulate_drawing

    program = parse("(- (Quad 8 8 7 5 0) (Circle 2 8 8))")
    drawing = simulate_drawing(program, np.random.default_rng(1)) >= 0.5
    path = tmp_path / "drawn.png"
    Image.fromarray(drawing.astype(np.uint8) * 255).save(path)
    exact = load_image_target(path)
    drawn = load_image_target(path, tolerance=1.0)
    assert not exact.solves(exact.score(program)) and drawn.solves(drawn.score(program))
    args = ["synthesize", str(path), "--method", "repl", "--budget", "3000", "--json"]
    code, out, _ = _run([*args, "--drawn"], capsys)
    record = json.loads(out)
    assert code == 0 and record["solved"]  # the REPL finds a program within one unit
    code, out, _ = _run(args, capsys)
    assert code == 0 and not json.loads(out)["solved"]  # no program is pixel-exact
    for bad, message in [
        (["--drawn", "--sketch"], "--drawn is for filled"),
        (["--drawn=-1"], "≥ 0"),
    ]:
        code, _, err = _run([*args, *bad], capsys)
        assert code == 2 and message in err


def _huge_png(path):
    img = Image.new("1", (9000, 6000), 0)  # 54 M pixels, a small file
    img.save(path)


@pytest.mark.parametrize(
    "make, message",
    [
        (None, "cannot read"),
        (lambda p: p.write_bytes(b"not an image at all"), "not an image TreeSketch can read"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: Image.new("L", (64, 64), 0).save(p), "blank"),
        (lambda p: Image.new("L", (64, 64), 255).save(p), "all one colour"),
        (_huge_png, "pixels"),
    ],
)
def test_cli_bad_images_exit_2_with_one_line(tmp_path, capsys, make, message):
    path = tmp_path / "bad.png"
    if make is not None:
        make(path)
    code, out, err = _run(["synthesize", str(path), "--method", "random"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("treesketch: error:") and message in err


def test_cli_missing_model_and_bad_arguments_exit_2(refset_dir, tmp_path, capsys):
    image = str(refset_dir / "ref1000_0002.png")
    for args, message in [
        (["--model", str(tmp_path / "none.onnx")], "not found"),
        (["--method", "magic"], "invalid choice"),
        (["--budget", "0"], "positive"),
        (["--seed", "-1"], "seed"),
    ]:
        code, out, err = _run(["synthesize", image, *args], capsys)
        assert code == 2 and err.count("\n") == 1 and message in err, err


def test_cli_runs_as_a_module_without_traceback(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(io.BytesIO(b"junk").getvalue())
    proc = subprocess.run(
        [sys.executable, "-m", "inference", "synthesize", str(bad), "--method", "repl"],
        capture_output=True,
        text=True,
        cwd=cli.Path(cli.__file__).resolve().parents[2],
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
