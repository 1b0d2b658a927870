"""The proposal-latency benchmark command runs and reports what it timed."""

import json

from inference.benchmarks import proposal_latency
from tests.fake_policy import build_fake_policy


def test_benchmark_times_one_call_per_problem_and_repeat(tmp_path, capsys):
    model = tmp_path / "fake.onnx"
    build_fake_policy(model)
    args = ["--problems", "3", "--repeats", "2", "--model", str(model), "--json"]
    assert proposal_latency.main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["calls"] == 6 and summary["threads"] == 1
    assert 0 < summary["median_ms"] <= summary["p90_ms"]
    low, high = summary["program_tokens"]
    assert 0 < low <= high
