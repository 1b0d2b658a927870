"""The held-out problem sets: TinySVG primitive counts (issue 17) and the CSG2D set."""

import json

import pytest

from inference.benchmarks.drawing_problems import main, write_drawing_problems
from inference.lang.grammar import TINYSVG
from inference.lang.syntax import parse
from inference.lang.tree import walk


def _primitive_counts(path):
    counts = []
    for line in path.read_text().splitlines():
        program = parse(json.loads(line)["program"], grammar=TINYSVG)
        counts.append(sum(node.kind in TINYSVG.primitive_kinds for _, node in walk(program)))
    return counts


def test_primitive_range_bounds_every_problem(tmp_path):
    small = _primitive_counts(write_drawing_problems(tmp_path / "s", 12, seed=3, primitives=(2, 3)))
    assert all(2 <= n <= 3 for n in small)
    assert set(small) == {2, 3}
    default = _primitive_counts(write_drawing_problems(tmp_path / "d", 12, seed=3))
    assert max(default) > 3  # the default keeps the training targets' 2-5


def test_a_bad_range_is_refused_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path / "x"), "--primitives", "3", "2"])
    assert "--primitives needs 1 <= LO <= HI" in capsys.readouterr().err


def test_a_csg2d_set_reads_back_as_its_programs(tmp_path, capsys):
    from inference.cli.bench import load_problems
    from inference.lang.grammar import CSG2D
    from inference.render.raster import render

    main([str(tmp_path / "c"), "--count", "6", "--language", "csg2d"])
    assert "6 CSG2D problems" in capsys.readouterr().out
    problems = load_problems(tmp_path / "c")
    assert [p.id for p in problems] == [f"random{i:03d}" for i in range(6)]
    for pb in problems:
        assert pb.program.grammar is CSG2D and 2 <= pb.program.sigma <= 8
        assert (pb.target.mask == render(pb.program, 128)).all()  # the PNG is the program
    again = write_drawing_problems(tmp_path / "again", 6, grammar=CSG2D)
    assert again.read_text() == (tmp_path / "c" / "problems.jsonl").read_text()
    other = write_drawing_problems(tmp_path / "other", 6, seed=5, grammar=CSG2D)
    assert other.read_text() != again.read_text()
