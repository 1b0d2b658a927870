"""The headless command line, ``inference.cli.commands.main`` called in-process (render, export and
user errors), and ``python -m inference`` once as a real subprocess."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import ezdxf
import numpy as np
import pytest
from PIL import Image

from inference.files.exports import EXPORT_FORMATS, export_content
from inference.lang.syntax import parse
from inference.targets.score import goal_score
from tests.inference.conftest import assert_user_error

REPO = Path(__file__).resolve().parents[3]
PROGRAM = "(- (Circle 6 8 8) (Quad 8 8 4 2 45))"


def test_python_m_inference_is_a_command_with_an_exit_status(tmp_path):
    """The one real process: ``python -m inference`` ends a user error with status 2 and one
    stderr line (the other tests call ``inference.cli.commands.main`` in-process)."""
    (tmp_path / "bad.csg").write_text(PROGRAM.replace("45", "44") + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "inference", "export", "bad.csg", "-o", "x.svg"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_user_error(result, "bad.csg: line 1, column 33")
    assert sorted(os.listdir(tmp_path)) == ["bad.csg"]


@pytest.fixture
def program_file(tmp_path) -> Path:
    path = tmp_path / "shape.csg"
    path.write_text(PROGRAM + "\n")
    return path


def test_render_reproduces_refset(run_cli, tmp_path, refset_dir):
    lines = (refset_dir / "problems.jsonl").read_text().splitlines()[:24]
    subset = tmp_path / "problems.jsonl"
    subset.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out" / "nested"
    result = run_cli("render", subset, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "rendered 24 images" in result.stderr  # the progress/summary line
    records = [json.loads(line) for line in lines]
    assert sorted(os.listdir(out)) == sorted(f"{r['id']}.png" for r in records)
    for record in records:
        mine = np.asarray(Image.open(out / f"{record['id']}.png"))
        reference = np.asarray(Image.open(refset_dir / record["png"]))
        assert mine.shape == (128, 128)
        assert goal_score(mine, reference) > 0.98, record["id"]


def test_render_program_files_at_a_size(run_cli, tmp_path, program_file):
    other = tmp_path / "other.json"
    other.write_text(export_content(parse("(Circle 3 4 4)"), ".json").decode())
    result = run_cli("render", program_file, other, "-o", tmp_path / "out", "--size", "40")
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "out")) == ["other.png", "shape.png"]
    image = Image.open(tmp_path / "out" / "shape.png")
    assert image.size == (40, 40)
    expected = export_content(parse(PROGRAM), ".png", 40)
    np.testing.assert_array_equal(
        _pixels((tmp_path / "out" / "shape.png").read_bytes()), _pixels(expected)
    )


def test_export_every_format(run_cli, tmp_path, program_file):
    for suffix in EXPORT_FORMATS:
        target = tmp_path / f"shape-out{suffix}"
        result = run_cli("export", program_file, "-o", target, "--size", "64")
        assert result.returncode == 0, result.stderr
        expected = export_content(parse(PROGRAM), suffix, 64)
        if suffix == ".dxf":  # DXF carries timestamps and GUIDs: compare the outlines
            assert _dxf_points(target.read_bytes()) == _dxf_points(expected)
        elif suffix == ".png":
            np.testing.assert_array_equal(_pixels(target.read_bytes()), _pixels(expected))
        else:
            assert target.read_bytes() == expected
    # A JSON export is itself a program file.
    result = run_cli("export", tmp_path / "shape-out.json", "-o", tmp_path / "again.csg")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "again.csg").read_text() == PROGRAM + "\n"


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def _dxf_points(data: bytes) -> list:
    doc = ezdxf.read(io.StringIO(data.decode()))
    return [list(p.get_points("xy")) for p in doc.modelspace().query("LWPOLYLINE")]


def test_no_arguments_prints_help_and_version(run_cli):
    result = run_cli()
    assert result.returncode == 0
    assert "render" in result.stdout and "export" in result.stdout
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("treesketch ")


@pytest.mark.parametrize(
    ("make", "args", "fragments"),
    [
        (None, ["export", "missing.csg", "-o", "x.svg"], ["missing.csg: no such file"]),
        ("a.txt", ["export", "a.txt", "-o", "x.svg"], ["unknown program file type"]),
        ("bad.csg", ["export", "bad.csg", "-o", "x.svg"], ["bad.csg: line 1, column 33"]),
        ("bad.csg", ["render", "bad.csg", "-o", "out"], ["bad.csg: line 1, column 33"]),
        ("a.csg", ["export", "a.csg", "-o", "x.pdf"], ["unknown export format ('.pdf')"]),
        ("a.csg", ["export", "a.csg", "-o", "nodir/x.svg"], ["does not exist"]),
        ("a.csg", ["export", "a.csg", "-o", "."], [".: names a folder, not a file"]),
        ("a.csg", ["export", "a.csg"], ["-o/--output"]),
        (None, ["export", ".", "-o", "x.svg"], ["is a folder"]),
        (None, ["render", "missing.jsonl", "-o", "out"], ["missing.jsonl: no such file"]),
        ("a.csg", ["render", "a.csg", "-o", "out", "--size", "0"], ["size must be 1..4096"]),
        ("a.csg", ["render", "a.csg", "-o", "a.csg"], ["exists and is not a folder"]),
        ("a.txt", ["render", "a.txt", "-o", "out"], ["expected .csg, .tsvg, .json or .jsonl"]),
        (None, ["frobnicate"], ["invalid choice"]),
    ],
)
def test_user_errors(run_cli, tmp_path, make, args, fragments):
    if make:
        text = PROGRAM.replace("45", "44") if make.startswith("bad") else PROGRAM
        (tmp_path / make).write_text(text + "\n")
    before = set(os.listdir(tmp_path))
    assert_user_error(run_cli(*args, cwd=tmp_path), *fragments)
    assert set(os.listdir(tmp_path)) == before  # nothing written, no temp files


def test_render_validates_every_input_before_writing(run_cli, tmp_path, program_file):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "ok", "program": PROGRAM}) + "\n{broken\n")
    out = tmp_path / "out"
    assert_user_error(run_cli("render", program_file, bad, "-o", out), "bad.jsonl, line 2")
    assert not out.exists()


def test_render_refuses_clashing_names(run_cli, tmp_path, program_file):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "shape.csg").write_text(PROGRAM)
    result = run_cli("render", program_file, tmp_path / "sub" / "shape.csg", "-o", tmp_path)
    assert_user_error(result, "shape.png")


def test_failed_export_keeps_the_old_file(run_cli, tmp_path, program_file):
    target = tmp_path / "out.svg"
    target.write_text("previous")
    (tmp_path / "bad.csg").write_text("(Circle 1 2)")
    assert_user_error(run_cli("export", tmp_path / "bad.csg", "-o", target), "bad.csg")
    assert target.read_text() == "previous"
    # Writing over a folder fails at the rename: a clear line, no temp file left.
    (tmp_path / "dir.svg").mkdir()
    assert_user_error(run_cli("export", program_file, "-o", tmp_path / "dir.svg"), "dir.svg")
    assert sorted(os.listdir(tmp_path)) == ["bad.csg", "dir.svg", "out.svg", "shape.csg"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores modes")
def test_export_to_unwritable_folder(run_cli, tmp_path, program_file):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run_cli("export", program_file, "-o", locked / "x.svg")
        assert_user_error(result, "cannot write", "x.svg")
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o700)


def _dark_on_light_plate(path: Path) -> None:
    """A hand-drawn-looking plate with a hole: dark ink on off-white paper, 400 px, RGB."""
    from inference.search.synthesize import load_image_target
    from inference.targets.sketch import simulate_drawing

    drawing = simulate_drawing(parse(PLATE), np.random.default_rng(2)) >= 0.5
    big = np.asarray(Image.fromarray(drawing.astype(np.uint8) * 255).resize((400, 400)))
    rgb = np.where(big[..., None] >= 128, [30, 30, 45], [245, 242, 230]).astype(np.uint8)
    Image.fromarray(rgb).save(path)
    assert (load_image_target(path).mask == drawing).mean() > 0.98  # read as drawn


PLATE = "(- (Quad 8 8 7 5 0) (Circle 2 8 8))"


def test_synthesize_reads_dark_ink_on_light_paper_without_a_flag(run_cli, tmp_path):
    path = tmp_path / "plate.png"
    _dark_on_light_plate(path)
    args = ["synthesize", path, "--drawn", "--method", "repl", "--budget", "3000", "--json"]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["solved"], record
    from inference.render.raster import render

    found = render(parse(record["program"]), 128)
    assert found[64, 64] == 0 and found[64, 40] == 1 and found[4, 4] == 0  # hole, plate, paper
    # --ink still overrides: white ink makes the paper the shape (a large frame around the part)
    from inference.search.synthesize import load_image_target

    assert load_image_target(path, ink="white").mask[4, 4]
    override = run_cli("synthesize", path, "--method", "random", "--budget", "50", "--ink", "white")
    assert override.returncode == 0, override.stderr


def test_synthesize_refuses_an_image_of_one_colour(run_cli, tmp_path):
    Image.new("RGB", (64, 64), (200, 180, 90)).save(tmp_path / "plain.png")
    result = run_cli("synthesize", tmp_path / "plain.png", "--method", "random", "--drawn")
    assert_user_error(result, "plain.png", "blank", "all one colour")


def test_synthesize_says_a_sketch_is_matched_not_exactly_solved(run_cli, tmp_path):
    """A solved outline sketch is reported with what that means: the outline lies within
    about a unit of the strokes, so sizes and positions are to be checked."""
    from inference.render.raster import render

    disc = render(parse("(Circle 4 8 8)"), 128).astype(bool)
    inner = np.zeros_like(disc)
    inner[1:-1, 1:-1] = disc[1:-1, 1:-1] & disc[:-2, 1:-1] & disc[2:, 1:-1]
    inner[1:-1, 1:-1] &= disc[1:-1, :-2] & disc[1:-1, 2:]
    ink = disc & ~inner  # the disc's outline, one pixel wide
    Image.fromarray(np.where(ink, 0, 255).astype(np.uint8)).save(tmp_path / "ring.png")
    args = ["synthesize", tmp_path / "ring.png", "--sketch", "--method", "repl", "--budget", "2000"]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert "solved (matches the sketch: check sizes and positions)" in result.stdout
