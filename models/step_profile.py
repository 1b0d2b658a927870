"""Where a training step's time goes: forward, loss, backward, clipping, optimizer.

    python -m models.step_profile [--preset gpu] [--batches 64 256] [--device cpu|cuda]
                                  [--steps 3] [--compile] [--no-amp]

One batch of real training examples (``models.data``, last curriculum stage) is
encoded once and repeated up to each batch size, so the data workers are not timed.
Each size runs one warm-up step and then ``--steps`` timed steps; the table gives the
median milliseconds per step of each phase and the examples per second the step
alone allows.  On CUDA the phases are timed with synchronisation, with bfloat16
autocast (as ``models.train``) unless ``--no-amp``, and with the fused AdamW;
``--compile`` wraps the network in ``torch.compile`` (its compile time is reported
apart).  Compare the last column with the data rate of ``models.data_rate``: the
slower of the two bounds a training run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch

from inference.model.model_batches import encode_training_batch
from models.data import DataConfig, draw_example, replacement_limit, to_tensors
from models.network import EditNet, edit_loss
from models.train import PRESETS

PHASES = ("forward", "loss", "backward", "clip", "optimizer")


def example_batch(size: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """``size`` encoded training examples (64 distinct ones, repeated)."""
    cfg = DataConfig(seed=seed)
    rng = np.random.default_rng([seed, 2**32 - 3])  # a stream no training run uses
    distinct = [draw_example(rng, cfg) for _ in range(min(size, 64))]
    examples = [distinct[i % len(distinct)] for i in range(size)]
    return to_tensors(encode_training_batch(examples, replacement_limit(cfg)))


def profile_step(
    model: torch.nn.Module,
    batch: dict[str, torch.Tensor],
    device: torch.device,
    steps: int = 3,
    amp: bool = False,
) -> dict[str, float]:
    """Median milliseconds of each phase of ``steps`` optimizer steps on ``batch``."""
    kind = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.01, **kind)
    b = {k: v.to(device) for k, v in batch.items()}

    def now() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter()

    times: dict[str, list[float]] = {p: [] for p in PHASES}
    for step in range(steps + 1):  # the first step warms up
        t0 = now()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            out = model(b["images"], b["tokens"], b["feats"], b["prefix_len"])
        t1 = now()
        loss, *_ = edit_loss(
            *[o.float() for o in out], b["targets"], b["value_targets"], b["allowed"]
        )
        t2 = now()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t3 = now()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t4 = now()
        opt.step()
        t5 = now()
        if step:
            for phase, (a, z) in zip(
                PHASES, [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)], strict=True
            ):
                times[phase].append(1000 * (z - a))
    return {p: statistics.median(v) for p, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="gpu")
    ap.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the network")
    ap.add_argument("--no-amp", action="store_true", help="no bfloat16 autocast on CUDA")
    ap.add_argument("--json", action="store_true", help="one JSON line per batch size")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    amp = device.type == "cuda" and not args.no_amp
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.manual_seed(0)  # weight init only
    model = EditNet(PRESETS[args.preset].net).to(device)
    compile_s = 0.0
    if args.compile:
        t = time.perf_counter()
        model = torch.compile(model)
        compile_s = time.perf_counter() - t  # the graph compiles lazily: see the warm-up
    print(
        f"{args.preset} network, {device}, {torch.get_num_threads()} CPU threads, "
        f"amp={amp}, compile={args.compile}"
    )
    if not args.json:
        print(
            f"{'batch':>6} "
            + " ".join(f"{p:>10}" for p in PHASES)
            + f" {'total ms':>9} {'ex/s':>8}"
        )
    for size in args.batches:
        ms = profile_step(model, example_batch(size), device, args.steps, amp)
        total = sum(ms.values())
        rate = size / (total / 1000)
        if args.json:
            print(json.dumps({"batch": size, **ms, "total_ms": total, "examples_per_s": rate,
                              "compile_s": compile_s}))  # fmt: skip
        else:
            row = " ".join(f"{ms[p]:>10.1f}" for p in PHASES)
            print(f"{size:>6} {row} {total:>9.1f} {rate:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
