"""Simulated TinySVG hand drawings and the bench that searches them (svg_hand_bench)."""

import numpy as np

from inference.benchmarks import svg_hand_bench
from inference.benchmarks.drawing_problems import write_drawing_problems
from inference.benchmarks.svg_hand_bench import plain, same_shapes, shown_shapes
from inference.lang.tinysvg import parse_tinysvg
from inference.render.svg_scene import render
from inference.targets.svg_drawing import simulate_svg_drawing
from inference.targets.svg_score import colour_iou

TWO = "(Arrange h (Ellipse 6 4 red none 0) (Rectangle 4 5 blue black 2) 2)"


def test_a_simulated_drawing_is_near_the_program_and_reproducible():
    program = parse_tinysvg(TWO)
    a = simulate_svg_drawing(program, np.random.default_rng(1))
    b = simulate_svg_drawing(program, np.random.default_rng(1))
    c = simulate_svg_drawing(program, np.random.default_rng(2))
    assert a.shape == (224, 224, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    exact = render(program)
    assert 0.6 < colour_iou(a, exact) < 1.0  # near, never exact
    for rgb in ((255, 0, 0), (0, 0, 255), (0, 0, 0)):  # every colour drawn shows
        assert np.all(a == rgb, axis=-1).sum() > 30


def test_same_shapes_reads_what_shows():
    program = parse_tinysvg(TWO)
    assert [ln.fill for ln in shown_shapes(program)] == ["red", "blue"]
    assert same_shapes(program, program)
    bigger = parse_tinysvg("(Arrange h (Ellipse 6 4 red none 0) (Rectangle 8 5 blue none 0) 2)")
    assert not same_shapes(bigger, program)  # edges two units off
    square = parse_tinysvg("(Arrange h (Rectangle 6 4 red none 0) (Rectangle 4 5 blue none 0) 2)")
    assert not same_shapes(square, program)  # a 6 × 4 ellipse is not a rectangle
    hidden = parse_tinysvg("(Arrange h (Ellipse 6 4 red none 0) (Rectangle 4 5 white none 0) 2)")
    assert [ln.fill for ln in shown_shapes(hidden)] == ["red"]  # white on white shows nothing
    flat = plain(
        parse_tinysvg(TWO.replace("blue black 2", "white black 2")), np.random.default_rng(0)
    )
    assert "none 0" in repr(flat) and "white" not in repr(flat) and "black" not in repr(flat)


def test_the_bench_runs_and_counts(tmp_path, capsys):
    write_drawing_problems(tmp_path / "set", 2, seed=3)
    results = svg_hand_bench.run(tmp_path / "set", 300, [0.0, 0.5], method="repl", plain=True)
    assert set(results) == {0.0, 0.5} and all(len(v) == 2 for v in results.values())
    for outs in results.values():
        for o in outs:
            assert 0.0 <= o.iou <= 1.0 and o.truth_lines >= 1 and o.seconds > 0
    table = svg_hand_bench.table(results)
    assert table.splitlines()[2].startswith("| exact | ") and "| ±0.5 u |" in table
    svg_hand_bench.main([str(tmp_path / "set"), "--budget", "100", "--method", "repl"])
    assert "| exact |" in capsys.readouterr().out
