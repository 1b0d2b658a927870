"""The next GPU call, prepared: profile the step, fine-tune the policy on drawings, sketches
and parts, train the autoregressive baseline with the same preset, and bring it all back.

    python -m models.gpu_call --out $OUT [--seconds 560] [--device cuda] [--workers N]

GPU time comes rarely and in calls of at most ten minutes, so one call does everything, in
this order, within ``--seconds`` of wall time:

1. ``models.step_profile`` at batch 256, 512 and 1024 (bfloat16 autocast, fused AdamW):
   the step's share of a run, for the next call's batch size (``step_profile.txt``);
2. the edit policy, resumed from the shipped weights (``--init``, the step count kept,
   a fresh optimizer at a fine-tuning rate) at a total batch of 512, with sketches
   (15 %), simulated hand drawings (30 % of the filled examples) and CAD-like parts
   (25 %) in the mix; about 60 % of the time left;
3. the autoregressive baseline (``--task write``) from scratch with the same ``gpu``
   preset, so that the comparison of issue 4 is fair; the rest of the time.

Each run that dies before its first checkpoint is tried once more with half the data
workers.  What each run wrote (``weights.pt``, ``train.csv``, ``eval.csv``,
``progress.png``, ``run.json``) is copied to ``OUT/policy/`` and ``OUT/write/``, with
``calls.json`` (the commands, their exit status and seconds).  Back on the CPU machine,
``docs/TRAINING.md`` says how to export and measure them.

With ``--language tinysvg`` the call trains a TinySVG policy from scratch instead (issue 17;
there are no TinySVG weights to resume and no TinySVG baseline yet): no profile, one run
with all the time, at the preset's own learning rate scaled to the batch, brought back to
``OUT/policy-tinysvg/``.

``--preset smoke --examples N`` runs the same plan in seconds on a CPU (the tests do).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BROUGHT_BACK = ("weights.pt", "train.csv", "eval.csv", "progress.png", "run.json")
POLICY_SHARE = 0.6
"""Share of the time left after the profile that the policy's run gets."""
SETUP_S = 45.0
"""Seconds a run spends outside its ``--minutes`` (start, held-out sets, last evaluation,
export); subtracted from each run's slot."""


def policy_command(args, workers: int, minutes: float, out: Path) -> list[str]:
    """The fine-tuning run of the edit policy."""
    return [
        sys.executable, "-m", "models.train", "--preset", args.preset, "--device", args.device,
        "--modality", "mixed", "--sketch-fraction", "0.15", "--drawn-fraction", "0.3",
        "--parts-fraction", "0.25", "--init", str(args.init), "--batch", str(args.batch),
        "--lr", str(args.lr), "--seed", "1", "--workers", str(workers),
        "--minutes", f"{minutes:.2f}", "--search-problems", "0", "--out", str(out),
        *(["--examples", str(args.examples)] if args.examples else []),
    ]  # fmt: skip


def tinysvg_command(args, workers: int, minutes: float, out: Path) -> list[str]:
    """The TinySVG policy's run: from scratch, filled targets (the only kind it has)."""
    return [
        sys.executable, "-m", "models.train", "--preset", args.preset, "--device", args.device,
        "--language", "tinysvg", "--batch", str(args.batch), "--seed", "1",
        "--workers", str(workers), "--minutes", f"{minutes:.2f}", "--search-problems", "0",
        "--out", str(out), *(["--examples", str(args.examples)] if args.examples else []),
    ]  # fmt: skip


def write_command(args, workers: int, minutes: float, out: Path) -> list[str]:
    """The autoregressive baseline's run, from scratch with the same preset."""
    return [
        sys.executable, "-m", "models.train", "--preset", args.preset, "--device", args.device,
        "--task", "write", "--modality", "filled", "--workers", str(workers),
        "--minutes", f"{minutes:.2f}", "--search-problems", "0", "--out", str(out),
        *(["--examples", str(args.examples)] if args.examples else []),
    ]  # fmt: skip


def run_logged(command: list[str], seconds: float, log: Path) -> tuple[int, float]:
    """Run ``command`` for at most ``seconds``, its output (without progress bars) in
    ``log``; its exit status (124 when cut) and wall seconds."""
    t = time.monotonic()
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    with log.open("a") as f:
        f.write("$ " + " ".join(command) + "\n")
        f.flush()
        try:
            code = subprocess.run(
                command, stdout=f, stderr=subprocess.STDOUT, env=env, timeout=max(1, seconds)
            ).returncode
        except subprocess.TimeoutExpired:
            code = 124
    return code, time.monotonic() - t


def train_with_retry(make, args, seconds: float, out: Path, log: Path, calls: list) -> None:
    """One training run in ``seconds``; again with half the workers if it died before its
    first checkpoint (the same folder: a checkpoint, if any, is resumed)."""
    end = time.monotonic() + seconds
    workers = args.workers
    for attempt in range(2):
        left = end - time.monotonic()
        minutes = max(0.2, (left - SETUP_S) / 60)
        command = make(args, workers, minutes, out)
        code, wall = run_logged(command, left, log)
        calls.append({"command": command, "exit": code, "seconds": round(wall, 1)})
        if (out / "weights.pt").exists() or attempt or end - time.monotonic() < 90:
            return
        workers = max(1, workers // 2)


def bring_back(run: Path, dest: Path) -> None:
    """Copy what ``run`` wrote and is worth keeping to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in BROUGHT_BACK:
        if (run / name).exists():
            shutil.copy2(run / name, dest / name)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="what comes back ($OUT)")
    ap.add_argument("--seconds", type=float, default=560, help="wall time for everything")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 2))
    ap.add_argument("--preset", default="gpu")
    ap.add_argument("--init", type=Path, default=Path("models/policy.weights.pt"))
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--lr", type=float, default=2e-4, help="the fine-tuning peak rate")
    ap.add_argument("--examples", type=int, default=0, help="a tiny total, for a CPU test")
    ap.add_argument("--work", type=Path, default=Path("/tmp/gpu-call"), help="run folders")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument(
        "--language", choices=("csg2d", "tinysvg"), default="csg2d",
        help="tinysvg: train a TinySVG policy from scratch instead (module doc)",
    )  # fmt: skip
    return ap.parse_args(argv)


def tinysvg_call(args, start: float, log: Path, calls: list) -> int:
    """The ``--language tinysvg`` plan: one run with all the time, brought back."""
    run = args.work / "policy-tinysvg"
    left = args.seconds - (time.monotonic() - start)
    train_with_retry(tinysvg_command, args, left - 10, run, log, calls)
    bring_back(run, args.out / "policy-tinysvg")
    (args.out / "calls.json").write_text(json.dumps(calls, indent=1))
    ok = (args.out / "policy-tinysvg" / "weights.pt").exists()
    print(f"gpu_call: TinySVG run {'brought back' if ok else 'NOT brought back'} to {args.out}")
    return 0 if ok else 1


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    log = args.out / "gpu_call.log"
    calls: list[dict] = []
    if args.language == "tinysvg":
        return tinysvg_call(args, start, log, calls)
    if not args.no_profile:
        command = [
            sys.executable, "-m", "models.step_profile", "--preset", args.preset,
            "--device", args.device, "--batches", "256", "512", "1024", "--steps", "3",
        ]  # fmt: skip
        profile = args.out / "step_profile.txt"
        code, wall = run_logged(command, min(90, args.seconds / 6), profile)
        calls.append({"command": command, "exit": code, "seconds": round(wall, 1)})
    left = args.seconds - (time.monotonic() - start)
    policy, write = args.work / "policy", args.work / "write"
    train_with_retry(policy_command, args, left * POLICY_SHARE, policy, log, calls)
    left = args.seconds - (time.monotonic() - start)
    train_with_retry(write_command, args, left - 10, write, log, calls)
    bring_back(policy, args.out / "policy")
    bring_back(write, args.out / "write")
    (args.out / "calls.json").write_text(json.dumps(calls, indent=1))
    ok = (args.out / "policy" / "weights.pt").exists() and (
        args.out / "write" / "weights.pt"
    ).exists()
    print(f"gpu_call: {'both runs' if ok else 'NOT both runs'} brought back to {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
