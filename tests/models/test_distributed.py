"""Distributed data-parallel training under torchrun: 2 CPU processes with gloo.

The runs use the tiny ``smoke`` preset, so the whole file takes well under a minute.
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models import train
from models.data import DataConfig, make_loader, stream_seed

REPO = Path(__file__).resolve().parents[2]
SMOKE = ["--preset", "smoke", "--workers", "0", "--threads", "1", "--search-problems", "0"]


def _rows(path):
    with path.open() as f:
        return list(csv.DictReader(f))


def _run(out: Path, processes: int, *extra: str) -> str:
    """``models.train`` on the smoke preset in ``processes`` processes; its stderr."""
    launcher = [sys.executable, "-m", "models.train"]
    if processes > 1:
        launcher = [
            sys.executable, "-m", "torch.distributed.run", "--standalone",
            "--nproc-per-node", str(processes), "-m", "models.train",
        ]  # fmt: skip
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    r = subprocess.run(
        [*launcher, *SMOKE, "--out", str(out), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stderr


def test_two_processes_train_resume_and_match_one(tmp_path):
    two, one = tmp_path / "two", tmp_path / "one"
    _run(two, 2, "--examples", "160")
    first = _rows(two / "eval.csv")
    assert first[-1]["step"] == "20" and first[-1]["examples"] == "160"  # 8 a step, 4 a rank
    assert json.loads((two / "run.json").read_text())["world"] == 2
    # the same command again, with a larger total, resumes (and the replicas stayed equal:
    # finish() fails the run otherwise)
    said = _run(two, 2, "--examples", "240")
    assert "resumed from" in said and "at step 20" in said
    rows = _rows(two / "eval.csv")
    assert rows[-1]["step"] == "30" and rows[-1]["examples"] == "240"
    # the same schedule in one process, with the same total batch
    _run(one, 1, "--examples", "160")
    _run(one, 1, "--examples", "240")
    alone = _rows(one / "eval.csv")
    assert alone[-1]["step"] == "30"
    ce_two, ce_one = float(rows[-1]["heldout_ce"]), float(alone[-1]["heldout_ce"])
    start = float(first[0]["heldout_ce"])
    assert abs(ce_two - ce_one) < 0.05 * start, (ce_two, ce_one)  # other data, same schedule
    # a checkpoint of two processes resumes in one
    said = _run(two, 1, "--examples", "320")
    assert "resumed from" in said and _rows(two / "eval.csv")[-1]["step"] == "40"


def test_ranks_draw_their_own_streams():
    cfg = DataConfig(seed=3, batch_size=4)
    assert stream_seed(cfg, 0, 5, rank=0) == [3, cfg.stage, 0, 5]  # one process's stream
    seeds = {tuple(stream_seed(cfg, w, s, r)) for w in range(3) for s in (0, 7) for r in range(4)}
    assert len(seeds) == 3 * 2 * 4
    batches = [next(iter(make_loader(cfg, 0, rank=r))) for r in (0, 0, 1)]
    assert np.array_equal(batches[0]["tokens"], batches[1]["tokens"])
    assert not np.array_equal(batches[0]["tokens"], batches[2]["tokens"])


def test_total_batch_splits_over_ranks_and_scales_the_learning_rate():
    preset = train.PRESETS["gpu"]
    args = train.parse_args(["--preset", "gpu"])
    assert train.batch_size(args, preset, 1) == (256, preset.lr)
    args = train.parse_args(["--preset", "gpu", "--batch", "1024"])
    total, lr = train.batch_size(args, preset, 8)
    assert total == 1024 and lr == pytest.approx(2 * preset.lr)
    args = train.parse_args(["--preset", "gpu", "--batch", "1024", "--lr", "1e-4"])
    assert train.batch_size(args, preset, 8) == (1024, 1e-4)
    with pytest.raises(SystemExit, match="does not split evenly"):
        train.batch_size(train.parse_args(["--preset", "gpu", "--batch", "100"]), preset, 8)
