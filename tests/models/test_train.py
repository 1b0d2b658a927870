"""The training command end to end on the tiny ``smoke`` preset: run, resume, export, load."""

import csv
import json
import shutil

import pytest

from inference.model.onnx_model import PolicyModel
from models import train


def _rows(path):
    with path.open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """One finished ``smoke`` run (160 examples, with its search comparison), shared by the
    tests of this module; a test that trains on copies it first."""
    out = tmp_path_factory.mktemp("smoke") / "run"
    assert train.main(["--preset", "smoke", "--out", str(out), "--workers", "0"]) == 0
    return out


def test_smoke_run_resumes_and_exports(smoke_run, tmp_path):
    for name in ("checkpoint.pt", "train.csv", "eval.csv", "progress.png", "policy.onnx"):
        assert (smoke_run / name).exists(), name
    first = _rows(smoke_run / "eval.csv")
    assert int(first[-1]["examples"]) == 160
    # running again with a larger total resumes from the checkpoint
    out = tmp_path / "run"
    shutil.copytree(smoke_run, out)
    assert train.main(["--preset", "smoke", "--out", str(out), "--workers", "0",
                       "--examples", "240"]) == 0  # fmt: skip
    rows = _rows(out / "eval.csv")
    assert int(rows[-1]["examples"]) == 240 and int(rows[-1]["step"]) == 30
    assert len(rows) == len(first) + 1
    search = [json.loads(line) for line in (out / "search_eval.jsonl").read_text().splitlines()]
    assert set(search[-1]["results"]) == {"trained", "untrained", "random"}
    model = PolicyModel.load(out / "policy.onnx")
    assert model.training_examples == 240
    # the model carries the held-out accuracies of the run's last evaluation (eval.csv: 5 places)
    for key in ("heldout_token_acc", "heldout_pos_acc", "heldout_exact_acc"):
        assert model.dev_metrics[key] == pytest.approx(float(rows[-1][key]), abs=6e-6), key
    exact, pos = model.dev_metrics["heldout_exact_acc"], model.dev_metrics["heldout_pos_acc"]
    assert 0.0 <= exact <= pos <= 1.0  # an exact edit is at the right position too


def test_learning_rate_schedule():
    p = train.PRESETS["cpu-small"]
    assert train.lr_at(p, 0, 1000) < train.lr_at(p, p.warmup_steps, 1000) == p.lr
    assert abs(train.lr_at(p, 1000, 1000) - 0.1 * p.lr) < 1e-12
    assert train.stage_at(p, 0) == 0 and train.stage_at(p, 10**9) == 2
    # a --minutes budget decays the rate by wall time when that is further along
    mid = train.lr_at(p, p.warmup_steps + 1, 10**6, time_fraction=0.5)
    assert abs(mid - p.lr * (0.1 + 0.9 * 0.5)) < 1e-9
    assert abs(train.lr_at(p, p.warmup_steps + 1, 10**6, time_fraction=1.2) - 0.1 * p.lr) < 1e-12
    # weights from another run (--init at step 5000) warm a fresh optimizer up again
    assert train.lr_at(p, 5000, 10**6, warm_from=5000) == p.lr / p.warmup_steps
    warm = train.lr_at(p, 5000 + p.warmup_steps, 10**6, warm_from=5000)
    assert warm == pytest.approx(p.lr, rel=1e-3)


def test_init_from_small_weights(smoke_run, tmp_path):
    import torch

    weights = smoke_run / "weights.pt"
    small = torch.load(weights, weights_only=False)
    assert all(v.dtype == torch.bfloat16 for v in small["model"].values() if v.is_floating_point())
    second = tmp_path / "b"
    args = ["--preset", "smoke", "--out", str(second), "--workers", "0", "--init", str(weights)]
    assert train.main([*args, "--examples", "240", "--search-problems", "0"]) == 0
    rows = _rows(second / "eval.csv")
    assert int(rows[0]["step"]) == 30 and int(rows[-1]["examples"]) == 240


def test_tinysvg_smoke_run_resumes_exports_and_keeps_its_language(smoke_run, tmp_path):
    """``--language tinysvg`` on the smoke preset: trains, checkpoints with its language,
    resumes, exports a TinySVG policy; a checkpoint of the other language is refused."""
    import torch

    out = tmp_path / "svg"
    args = ["--preset", "smoke", "--language", "tinysvg", "--out", str(out), "--workers", "0"]
    assert train.main([*args, "--examples", "40"]) == 0
    ck = torch.load(out / "checkpoint.pt", weights_only=False)
    assert ck["language"] == "TinySVG" and ck["config"]["language"] == "TinySVG"
    assert train.checkpoint_language(torch.load(out / "weights.pt", weights_only=False)) == (
        "TinySVG"
    )
    assert train.main([*args, "--examples", "56"]) == 0  # resumes: 5 steps, then 2 more
    rows = _rows(out / "eval.csv")
    assert [int(r["step"]) for r in rows] == [5, 7] and int(rows[-1]["examples"]) == 56
    model = PolicyModel.load(out / "policy.onnx", language="TinySVG")
    assert model.image_planes == 9 and model.training_examples == 56
    assert not (out / "search_eval.jsonl").exists()  # the search comparison is CSG2D's
    with pytest.raises(SystemExit, match="is a TinySVG network; this run trains CSG2D"):
        train.main(["--preset", "smoke", "--out", str(out), "--workers", "0"])
    with pytest.raises(SystemExit, match="is a TinySVG network; this run trains CSG2D"):
        train.main(["--preset", "smoke", "--out", str(tmp_path / "c"), "--workers", "0",
                    "--init", str(out / "weights.pt")])  # fmt: skip
    csg = tmp_path / "csg"
    shutil.copytree(smoke_run, csg)
    with pytest.raises(SystemExit, match="is a CSG2D network; this run trains TinySVG"):
        train.main(["--preset", "smoke", "--out", str(csg), "--workers", "0",
                    "--language", "tinysvg"])  # fmt: skip
    with pytest.raises(SystemExit, match="filled targets"):
        train.main([*args, "--fresh", "--modality", "sketch"])


def test_a_stopped_run_saves_and_resumes_its_clock(tmp_path):
    """A long CPU run is safe to stop: it writes its checkpoint every ``--save-minutes``, and
    on SIGTERM it saves and exits cleanly; the same command goes on from there, counting the
    minutes already trained against ``--minutes``."""
    import signal
    import subprocess
    import sys
    import time

    import torch

    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "models.train", "--preset", "smoke", "--out", str(out),
           "--workers", "0", "--examples", "10000000", "--search-problems", "0",
           "--eval-every", "1000000"]  # fmt: skip
    proc = subprocess.Popen([*cmd, "--save-minutes", "0.005"], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "checkpoint.pt").exists():
        time.sleep(0.2)  # a save by the clock (0.3 s): no evaluation comes before the end
    assert (out / "checkpoint.pt").exists()
    assert not (out / "eval.csv").read_text().strip().splitlines()[1:]  # no evaluation yet
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert "the checkpoint is saved: run the same command to go on" in err
    stopped = torch.load(out / "checkpoint.pt", weights_only=False)
    assert stopped["step"] > 0 and stopped["seconds"] > 0
    assert not (out / "policy.onnx").exists()  # stopped, not finished: no export
    # resumed with a budget just past what it trained: a few more steps, then the end
    budget = stopped["seconds"] / 60 + 0.02
    done = subprocess.run([*cmd, "--minutes", f"{budget:.4f}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"resumed from {out / 'checkpoint.pt'} at step {stopped['step']}" in done.stderr
    end = torch.load(out / "checkpoint.pt", weights_only=False)
    assert end["step"] > stopped["step"] and budget * 60 <= end["seconds"] < budget * 60 + 30
    assert int(_rows(out / "eval.csv")[-1]["step"]) == end["step"]  # finished: evaluated
