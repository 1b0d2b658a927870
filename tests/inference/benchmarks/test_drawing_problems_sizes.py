"""The held-out TinySVG problem set's primitive-count option (issue 17)."""

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
