"""The wall-clock budget: ``synthesize --seconds`` and :func:`with_deadline`."""

import json
import time
from dataclasses import replace

import numpy as np
import pytest

from inference.cli import commands as cli
from inference.lang.syntax import parse
from inference.render.raster import render
from inference.search.synthesize import METHODS, UNLIMITED_CALLS, synthesize
from inference.targets.target import Target
from inference.util.cancellation import with_deadline

HARD = parse("(+ (- (Quad 8 8 7 6 45) (Circle 3 8 8)) (+ (Circle 2 3 3) (Quad 12 12 2 3 0)))")


def test_a_deadline_is_a_cancel_that_comes_with_the_clock():
    assert with_deadline(None, None) is None
    flag = [False]
    plain = lambda: flag[0]  # noqa: E731
    assert with_deadline(plain, None) is plain
    far = with_deadline(plain, 3600)
    assert not far()
    flag[0] = True
    assert far()  # the cancel still counts
    passed = with_deadline(None, 1e-9)
    time.sleep(0.001)
    assert passed()


@pytest.mark.parametrize("method", [m for m in METHODS if not m.startswith(("tree", "rollouts"))])
def test_every_method_ends_at_a_passed_deadline_with_a_result(method):
    """A limit already over when the search starts ends it at its first check: a result,
    after far fewer calls than the unlimited budget, for every method that needs no model."""
    target = Target(render(HARD, 128))
    res = synthesize(target, method, seed=1, budget=10**9, seconds=1e-9)
    assert res.time_limit == 1e-9 and res.budget == 10**9
    assert res.calls < 5000  # the REPL-style search may end before its first step: 0
    assert res.score == pytest.approx(target.score(parse(res.program)))


def test_cli_seconds_sets_an_unlimited_call_budget_and_records_the_limit(tmp_path, capsys):
    image = tmp_path / "hard.png"
    from PIL import Image

    Image.fromarray(np.where(render(HARD, 128), 255, 0).astype(np.uint8)).save(image)
    code = cli.main(["synthesize", str(image), "--seconds", "0.000001", "--method", "random",
                     "--json"])  # fmt: skip
    out, err = capsys.readouterr()
    record = json.loads(out)
    assert code in (0, 1) and record["time_limit"] == 1e-6 and record["budget"] == UNLIMITED_CALLS
    code = cli.main(["synthesize", str(image), "--seconds", "1", "--budget", "50", "--method",
                     "random", "--json"])  # fmt: skip
    record = json.loads(capsys.readouterr().out)
    assert record["budget"] == 50 and record["calls"] <= 50  # both limits hold
    for bad in ("0", "-1", "nan", "inf", "soon", "100000"):
        assert cli.main(["synthesize", str(image), "--seconds", bad]) == 2
        assert "seconds" in capsys.readouterr().err


def test_bench_takes_a_wall_clock_limit_too(refset_dir, tmp_path, capsys):
    out = tmp_path / "bench"
    args = ["bench", str(refset_dir), "--methods", "random,repl", "--limit", "2", "--seconds",
            "0.000001", "-o", str(out)]  # fmt: skip
    assert cli.main(args) == 0
    capsys.readouterr()
    result = json.loads((out / "bench.json").read_text())
    assert result["settings"]["seconds"] == 1e-6
    assert result["settings"]["budget"] == UNLIMITED_CALLS
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert len(records) == 4 and all(r["calls"] < 5000 for r in records)
    assert result["budget"] == max(max(r["calls"] for r in records), 1)  # the plot's axis


def test_a_budget_in_seconds_is_not_cut_at_thirty_steps(monkeypatch):
    """With a budget in seconds (unlimited calls) the beam may take as many steps as fit;
    a calls budget keeps the paper's 30 steps where that spends it, and more where not."""
    import inference.search.synthesize as synth
    from inference.search.beam import MAX_STEPS, SearchConfig, deep_enough

    seen, search = [], synth.view_search

    def spy(target, proposer, rng, cfg, cancel=None):
        seen.append(cfg)
        return search(target, proposer, rng, replace(cfg, budget=10), cancel=cancel)

    monkeypatch.setattr(synth, "view_search", spy)
    target = Target(render(HARD, 128))
    synthesize(target, "random", seed=1, budget=UNLIMITED_CALLS, seconds=5)
    synthesize(target, "random", seed=1, budget=5000)
    synthesize(target, "random", seed=1, budget=20000)
    assert [c.max_depth for c in seen] == [MAX_STEPS, 30, 20000 // 192 + 1]
    assert deep_enough(SearchConfig(budget=100, max_depth=7)).max_depth == 7
