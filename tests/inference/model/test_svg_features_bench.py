"""The TinySVG features benchmark (issue 17) builds the sets it says and reports both timings."""

import numpy as np

from inference.benchmarks import svg_features_bench as bench
from inference.lang.grammar import TINYSVG
from inference.model.tokens import TINYSVG_VOCAB as V
from inference.render.svg_scene import layout


def test_steps_share_a_target_and_edits_are_one_mutation_from_a_parent():
    steps = bench.beam_steps(np.random.default_rng(1), 20, 8, 32, edits=True)
    assert [len(group) for _, group in steps] == [8, 8, 4]
    for target, group in steps:
        assert target.shape == (32, 32, 3) and target.dtype == np.float32
        assert all(p.grammar is TINYSVG and p.size <= V.max_tokens for p in group)
    again = bench.beam_steps(np.random.default_rng(1), 20, 8, 32, edits=True)
    assert [group for _, group in steps] == [group for _, group in again]  # seeded
    # one-edit children of a parent share placed primitives, as a search's programs do
    placed = [p for _, group in steps for program in group for p in layout(program)]
    assert len(set(placed)) < 0.9 * len(placed)


def test_main_reports_features_and_encode_for_both_sets(capsys):
    bench.main(["--programs", "6", "--beam", "3", "--repeats", "1", "--size", "32"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("6 programs, S=32, beam 3, seed 5")
    rows = {line.split()[0]: line.split()[1:] for line in out[2:]}
    assert set(rows) == {"independent", "edits"}
    for cells in rows.values():
        times = [float(c) for c in cells if c != "/"]
        assert len(times) == 4 and all(t > 0 for t in times)
