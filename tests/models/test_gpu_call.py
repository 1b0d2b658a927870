"""The prepared GPU call and the step profile, run on the CPU with the tiny ``smoke`` preset."""

import csv
import json

import torch

from models import gpu_call, step_profile, train


def test_gpu_call_fine_tunes_trains_the_baseline_and_brings_both_back(tmp_path):
    init = tmp_path / "init"
    assert train.main(["--preset", "smoke", "--out", str(init), "--workers", "0",
                       "--search-problems", "0"]) == 0  # fmt: skip
    out = tmp_path / "out"
    code = gpu_call.main([
        "--out", str(out), "--work", str(tmp_path / "work"), "--device", "cpu",
        "--preset", "smoke", "--init", str(init / "weights.pt"), "--batch", "8",
        "--lr", "1e-3", "--examples", "240", "--workers", "0", "--seconds", "240",
        "--no-profile",
    ])  # fmt: skip
    assert code == 0
    for run in ("policy", "write"):
        for name in gpu_call.BROUGHT_BACK:
            assert (out / run / name).exists(), f"{run}/{name}"
    with (out / "policy" / "eval.csv").open() as f:
        rows = list(csv.DictReader(f))
    # resumed from the given weights (160 examples), with drawings, sketches and parts
    assert int(rows[0]["step"]) > 20 and rows[-1]["examples"] == "240"
    assert {"heldout_drawn_pos_acc", "heldout_sketch_pos_acc", "heldout_parts_pos_acc"} <= set(
        rows[0]
    )
    ran = json.loads((out / "policy" / "run.json").read_text())
    assert ran["drawn_fraction"] > 0 and ran["parts_fraction"] > 0 and ran["init"]
    assert json.loads((out / "write" / "run.json").read_text())["task"] == "write"
    calls = json.loads((out / "calls.json").read_text())
    assert [c["exit"] for c in calls] == [0, 0]


def test_step_profile_times_every_phase(capsys):
    assert step_profile.main(["--preset", "smoke", "--batches", "4", "8", "--steps", "1",
                              "--json"]) == 0  # fmt: skip
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert [row["batch"] for row in lines] == [4, 8]
    for row in lines:
        assert all(row[p] > 0 for p in step_profile.PHASES)
        assert abs(row["total_ms"] - sum(row[p] for p in step_profile.PHASES)) < 1e-6
        assert row["examples_per_s"] > 0


def test_gpu_call_trains_a_tinysvg_policy_from_scratch(tmp_path):
    out = tmp_path / "out"
    code = gpu_call.main([
        "--out", str(out), "--work", str(tmp_path / "work"), "--device", "cpu",
        "--preset", "smoke", "--batch", "8", "--examples", "48", "--workers", "0",
        "--seconds", "120", "--language", "tinysvg",
    ])  # fmt: skip
    assert code == 0
    assert (out / "policy-tinysvg" / "weights.pt").exists()
    assert not (out / "policy").exists() and not (out / "write").exists()
    weights = torch.load(out / "policy-tinysvg" / "weights.pt", weights_only=False)
    assert train.checkpoint_language(weights) == "TinySVG"
    calls = json.loads((out / "calls.json").read_text())
    assert len(calls) == 1 and calls[0]["exit"] == 0 and "tinysvg" in calls[0]["command"]
    assert "--init" not in calls[0]["command"]
