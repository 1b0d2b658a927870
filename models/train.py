"""Train the edit policy + value network: one resumable command.

    python -m models.train --preset cpu-small --modality filled
    python -m models.train --preset gpu --device cuda --workers 15 --minutes 9
    python -m models.train --preset cpu-small --language tinysvg

``--language`` picks the language the network edits (CSG2D by default; TinySVG: its
vocabulary, nine image planes and curriculum, filled targets only); a checkpoint records
it, and resuming (or ``--init``) from a checkpoint of another language is refused.

The run folder (``--out``, default ``runs/<preset>-<modality>``, ``runs/<preset>-tinysvg``
for TinySVG) holds
``checkpoint.pt`` (weights, optimizer, step, config), ``train.csv`` (losses),
``eval.csv`` (held-out metrics) and ``progress.png`` (both plotted).  Running
the same command again resumes from the checkpoint: after a crash, a kill or the end of a
session it picks up where it stopped.  Besides every held-out evaluation, the checkpoint is
written every ``--save-minutes`` of wall time (5 by default, so a slow CPU run loses at
most that), and on SIGTERM or Ctrl-C before the command exits.  ``--minutes`` is the run
folder's whole training time: a resumed run goes on with the clock and the learning-rate
schedule where they stopped.  Data comes from
``models.data`` worker processes, seeded from ``--seed``, the curriculum
stage and the step at which the loader started, so an uninterrupted run is
reproducible from its command.
"""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import json
import math
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from inference.model.model_batches import encode_training_batch
from inference.model.model_contract import DEFAULT_LANGUAGE, model_modality
from inference.model.tokens import vocabulary_for
from models.data import DataConfig, heldout_examples, make_loader, replacement_limit
from models.network import EditNet, NetConfig, edit_loss


@dataclass
class Preset:
    """A named training recipe."""

    net: NetConfig
    batch_size: int
    lr: float
    examples: int
    # (examples seen, curriculum stage) boundaries: the stage used from then on
    stages: tuple[tuple[int, int], ...] = ((0, 0), (200_000, 1), (600_000, 2))
    warmup_steps: int = 300
    eval_every: int = 500
    heldout: int = 512
    # quick search evaluation against the untrained net and random mutations
    search_every: int = 0  # in steps; 0 = only at the end of the run
    search_problems: int = 32
    search_budget: int = 500


PRESETS = {
    "smoke": Preset(
        NetConfig(d_model=32, n_layers=1, n_heads=2, cnn_channels=(8, 16)),
        batch_size=8,
        lr=1e-3,
        examples=160,
        stages=((0, 0), (80, 2)),
        warmup_steps=2,
        eval_every=10,
        heldout=16,
        search_problems=2,
        search_budget=40,
    ),
    "cpu-small": Preset(
        NetConfig(d_model=128, n_layers=3, n_heads=4),
        batch_size=64,
        lr=5e-4,
        examples=1_200_000,
        stages=((0, 0), (100_000, 1), (300_000, 2)),
    ),
    "gpu": Preset(
        NetConfig(d_model=256, n_layers=6, n_heads=8, cnn_channels=(64, 128)),
        batch_size=256,
        lr=4e-4,
        examples=60_000_000,
        # sized for one ~8-minute H200 call (~3-8 M examples): mostly the full distribution
        stages=((0, 0), (300_000, 1), (1_000_000, 2)),
        warmup_steps=500,
        eval_every=2000,
        heldout=2048,
    ),
}


def stage_at(preset: Preset, examples: int) -> int:
    """The curriculum stage in force after ``examples`` training examples."""
    return max(s for start, s in preset.stages if examples >= start)


def lr_at(
    preset: Preset, step: int, total_steps: int, time_fraction: float = 0.0, warm_from: int = 0
) -> float:
    """Linear warm-up, then cosine decay to 10 % of the peak.

    The decay follows whichever is further along: the steps (of ``total_steps``) or
    ``time_fraction``, the share of a ``--minutes`` budget used, so that a run cut
    by wall time still ends with a decayed learning rate.  The warm-up counts the steps
    since ``warm_from``: a run started from other weights (``--init``) keeps their step
    count but warms its fresh optimizer up again."""
    if 0 <= step - warm_from < preset.warmup_steps:
        return preset.lr * (step - warm_from + 1) / preset.warmup_steps
    t = min(1.0, (step - preset.warmup_steps) / max(1, total_steps - preset.warmup_steps))
    t = max(t, min(1.0, time_fraction))
    return preset.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def _to(batch: dict, device) -> dict:
    return {k: torch.as_tensor(v).to(device) for k, v in batch.items()}


def heldout_sets(data_cfg: DataConfig) -> dict[str, DataConfig]:
    """The held-out sets of a run by metric prefix: ``heldout`` has the run's distribution;
    a mixed run measures exact filled targets there (comparable with filled-only runs) and
    adds ``heldout_sketch``; a run with drawn targets adds ``heldout_drawn``; a run with
    CAD-like parts adds ``heldout_parts`` (drawn when the run draws).  The exact and drawn
    sets never hold parts, so they stay comparable with earlier runs."""
    sets = {"heldout": data_cfg}
    exact = dataclasses.replace(data_cfg, modality="filled", drawn_fraction=0.0, parts_fraction=0.0)
    if data_cfg.parts_fraction:
        sets["heldout"] = exact
    if data_cfg.modality == "mixed":
        sets = {
            "heldout": exact,
            "heldout_sketch": dataclasses.replace(data_cfg, modality="sketch"),
        }
    if data_cfg.drawn_fraction and data_cfg.modality != "sketch":
        sets["heldout"] = exact
        sets["heldout_drawn"] = dataclasses.replace(exact, drawn_fraction=1.0)
    if data_cfg.parts_fraction and data_cfg.modality != "sketch":
        drawn = 1.0 if data_cfg.drawn_fraction else 0.0
        sets["heldout_parts"] = dataclasses.replace(exact, parts_fraction=1.0, drawn_fraction=drawn)
    return sets


@torch.no_grad()
def heldout_batches(seed: int, n: int, data_cfg: DataConfig) -> dict[str, list[dict]]:
    """Encoded held-out sets of :func:`heldout_sets`: ``n`` examples in ``heldout``,
    ``n // 4`` in each of the others."""
    out = {}
    for name, cfg in heldout_sets(data_cfg).items():
        held = heldout_examples(seed, n if name == "heldout" else max(1, n // 4), cfg)
        limit = replacement_limit(cfg)
        out[name] = [
            encode_training_batch(held[i : i + 64], limit) for i in range(0, len(held), 64)
        ]
    return out


def heldout_metrics(model: EditNet, held: dict[str, list[dict]], device) -> dict:
    """Teacher-forced metrics on every held-out set of :func:`heldout_batches`."""
    metrics = {}
    model.eval()
    for prefix, batches in held.items():
        for key, v in edit_metrics(model, batches, device).items():
            if prefix == "heldout" or key.endswith(("pos_acc", "exact_acc")):
                metrics[f"{prefix}_{key}"] = v
    model.train()
    return metrics


def edit_metrics(forward, batches: list[dict], device="cpu") -> dict[str, float]:
    """Teacher-forced loss and next-edit accuracies on one fixed held-out set: the
    example-weighted means of :func:`~models.network.edit_loss`'s figures, where
    ``forward(images, tokens, feats, prefix_len)`` gives the network's outputs as tensors
    (an :class:`EditNet` in eval mode, or an exported policy, ``models.quantize``)."""
    sums: dict[str, float] = {}
    n = 0
    for b in batches:
        b = _to(b, device)
        out = forward(b["images"], b["tokens"], b["feats"], b["prefix_len"])
        _, ce, mse, stats = edit_loss(*out, b["targets"], b["value_targets"], b["allowed"])
        k = len(b["tokens"])
        for key, v in {"ce": ce.item(), "value_mse": mse.item(), **stats}.items():
            sums[key] = sums.get(key, 0.0) + v * k
        n += k
    return {k: v / n for k, v in sums.items()}


class CsvLog:
    """Append-only CSV with a fixed header."""

    def __init__(self, path: Path, fields: list[str]):
        self.path, self.fields = path, fields
        if not path.exists():
            with path.open("w", newline="") as f:
                csv.writer(f).writerow(fields)

    def write(self, row: dict) -> None:
        with self.path.open("a", newline="") as f:
            csv.writer(f).writerow([_fmt(row.get(k, "")) for k in self.fields])


def _fmt(v):
    return f"{v:.5g}" if isinstance(v, float) else v


def save_checkpoint(path: Path, model, opt, state: dict) -> None:
    """Atomically write weights, optimizer state and run state to ``path``, and the
    weights alone in bfloat16 to ``weights.pt`` beside it (small enough to ship or to
    bring back from a GPU machine; ``--init`` and ``models.export`` read it)."""
    small = {k: v.to(torch.bfloat16) if v.is_floating_point() else v
             for k, v in model.state_dict().items()}  # fmt: skip
    weights = {"model": small, "config": model.cfg.to_dict(), "step": state["step"],
               "examples": state["examples"], "args": state.get("args", {})}  # fmt: skip
    torch.save(weights, path.with_name("weights.tmp"))
    os.replace(path.with_name("weights.tmp"), path.with_name("weights.pt"))
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "opt": opt.state_dict(),
            "config": model.cfg.to_dict(),
            **state,
        },
        tmp,
    )
    os.replace(tmp, path)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Train the TreeSketch edit policy + value net.")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu-small")
    ap.add_argument(
        "--modality",
        choices=["filled", "sketch", "mixed"],
        default="filled",
        help="target kind; mixed = one network for both (see --sketch-fraction)",
    )
    ap.add_argument(
        "--sketch-fraction",
        type=float,
        default=0.1,
        help="share of sketch examples in the mixed modality",
    )
    ap.add_argument(
        "--drawn-fraction",
        type=float,
        default=0.0,
        help="share of filled examples shown as simulated hand drawings (see models.data)",
    )
    ap.add_argument(
        "--parts-fraction",
        type=float,
        default=0.0,
        help="share of edit examples whose target is a CAD-like part (inference.noise.cad_parts)",
    )
    ap.add_argument(
        "--task",
        choices=["edit", "write"],
        default="edit",
        help="edit = tree diffusion; write = the autoregressive baseline (whole programs)",
    )
    ap.add_argument(
        "--language",
        type=_language,
        default=DEFAULT_LANGUAGE,
        help="the language the network edits: csg2d (default) or tinysvg (filled targets, "
        "the edit task)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        help="run folder (default runs/<preset>-<modality>[-write], runs/<preset>-tinysvg)",
    )
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--workers", type=int, default=1, help="data worker processes")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--minutes",
        type=float,
        default=0,
        help="the run folder's whole training time: stop when it is spent (a resumed run "
        "counts the minutes it already trained); the learning rate then decays over it "
        "(this part of the schedule depends on the machine's speed)",
    )
    ap.add_argument(
        "--save-minutes",
        type=float,
        default=5.0,
        help="also write the checkpoint every this many minutes of wall time (0 = only at "
        "held-out evaluations and at the end)",
    )
    ap.add_argument(
        "--eval-every",
        type=int,
        default=0,
        help="steps between held-out evaluations (default: the preset's)",
    )
    ap.add_argument(
        "--heldout",
        type=int,
        default=0,
        help="held-out examples of the run's distribution "
        "(a quarter as many of each other set; default: the preset's)",
    )
    ap.add_argument(
        "--warmup",
        type=int,
        default=-1,
        help="warm-up steps of the learning rate (default: "
        "the preset's); with --init they count from the weights' step",
    )
    ap.add_argument("--examples", type=int, default=0, help="override the preset's total")
    ap.add_argument(
        "--batch",
        type=int,
        default=0,
        help="total batch over all processes (default: the preset's; the learning rate "
        "scales with its square root unless --lr is given)",
    )
    ap.add_argument(
        "--lr",
        type=float,
        default=0.0,
        help="peak learning rate (default: the preset's; lower it to fine-tune with --init)",
    )
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    ap.add_argument("--no-amp", action="store_true", help="no bfloat16 autocast on CUDA")
    ap.add_argument(
        "--init",
        type=Path,
        help="start from these weights (weights.pt or "
        "checkpoint.pt; fresh optimizer) when the run folder has no checkpoint",
    )
    ap.add_argument(
        "--search-problems",
        type=int,
        default=None,
        help="problems in the final search comparison (0 = skip it)",
    )
    return ap.parse_args(argv)


def _language(name: str) -> str:
    """A language's canonical name (``"CSG2D"``, ``"TinySVG"``) from any spelling."""
    try:
        return vocabulary_for(name).language
    except KeyError:
        raise argparse.ArgumentTypeError(f"unknown language {name!r}") from None


def checkpoint_language(ck: dict) -> str:
    """The language a checkpoint (or ``weights.pt``) was trained for: its network config's
    (CSG2D for one saved before issue 17)."""
    return NetConfig.from_dict(ck["config"]).language


@dataclass
class Ranks:
    """This process's place in a distributed run (one process: rank 0 of 1).

    ``torchrun`` sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; :func:`join` reads them."""

    rank: int = 0
    world: int = 1
    local: int = 0

    @property
    def main(self) -> bool:
        """Rank 0 writes checkpoints, logs, plots and exports; the others only train."""
        return self.rank == 0


def join(device: str) -> Ranks:
    """Join the distributed run that ``torchrun`` started, if any (gloo on CPUs, NCCL on
    GPUs); a plain ``python -m models.train`` is rank 0 of 1 and starts nothing."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Ranks()
    import torch.distributed as dist

    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return Ranks(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def _device(args, ranks: Ranks) -> torch.device:
    if args.device == "cuda" and ranks.world > 1:
        torch.cuda.set_device(ranks.local)
        return torch.device("cuda", ranks.local)
    return torch.device(args.device)


@dataclass
class Run:
    """Everything one training process holds (built by :func:`setup`)."""

    args: argparse.Namespace
    preset: Preset
    ranks: Ranks
    out: Path
    device: torch.device
    amp: bool
    model: EditNet
    trained: torch.nn.Module  # ``model``, wrapped for DistributedDataParallel when world > 1
    opt: torch.optim.Optimizer
    state: dict
    data_cfg: DataConfig
    total: int
    held: dict
    train_log: CsvLog | None
    eval_log: CsvLog | None

    @property
    def total_steps(self) -> int:
        return max(1, self.total // self.preset.batch_size)


def batch_size(args, preset: Preset, world: int) -> tuple[int, float]:
    """The total batch (``--batch`` or the preset's) and its peak learning rate.

    The total is split evenly over the ranks; a batch larger or smaller than the preset's
    scales the learning rate by the square root of the ratio (Adam's usual rule), unless
    ``--lr`` gives it."""
    total = args.batch or preset.batch_size
    if total % world:
        raise SystemExit(f"--batch {total} does not split evenly over {world} processes")
    lr = args.lr or preset.lr * math.sqrt(total / preset.batch_size)
    return total, lr


def _checkpoint(args, out: Path, ranks: Ranks, device) -> tuple[dict | None, str]:
    """Rank 0 reads the checkpoint to resume (or ``--init``'s weights) and every rank gets
    it by broadcast, so ranks on other machines need no shared disk."""
    ckpt_path = out / "checkpoint.pt"
    ck, how = None, ""
    if ranks.main:
        if ckpt_path.exists() and not args.fresh:
            ck, how = torch.load(ckpt_path, map_location="cpu", weights_only=False), "resumed"
        elif args.init:
            ck, how = torch.load(args.init, map_location="cpu", weights_only=False), "init"
    if ranks.world > 1:
        import torch.distributed as dist

        box = [(ck, how)]
        dist.broadcast_object_list(box, src=0)
        ck, how = box[0]
    return ck, how


def _data_config(args, net: NetConfig, batch: int) -> DataConfig:
    """The run's data: its language's last curriculum stage (the default config for CSG2D)."""
    data_cfg = DataConfig(
        seed=args.seed,
        image_size=net.image_size,
        modality=args.modality,
        sketch_fraction=args.sketch_fraction,
        drawn_fraction=args.drawn_fraction,
        parts_fraction=args.parts_fraction,
        task=args.task,
        batch_size=batch,
        language=net.language,
    )
    return data_cfg.for_stage(len(data_cfg.curriculum) - 1)  # CSG2D: the same config


def setup(argv=None) -> Run:
    """Parse the command, join the ranks, build or restore the network and the optimizer,
    and open the logs (rank 0)."""
    args = parse_args(argv)
    ranks = join(args.device)
    preset = PRESETS[args.preset]
    total_batch, lr = batch_size(args, preset, ranks.world)
    preset = dataclasses.replace(preset, batch_size=total_batch, lr=lr)
    for field, value in (("eval_every", args.eval_every), ("heldout", args.heldout)):
        if value > 0:
            preset = dataclasses.replace(preset, **{field: value})
    if args.warmup >= 0:
        preset = dataclasses.replace(preset, warmup_steps=args.warmup)
    suffix = "-write" if args.task == "write" else ""
    kind = args.modality if args.language == DEFAULT_LANGUAGE else args.language.lower()
    out = args.out or Path("runs") / f"{args.preset}-{kind}{suffix}"
    if ranks.main:
        out.mkdir(parents=True, exist_ok=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = _device(args, ranks)
    amp = device.type == "cuda" and not args.no_amp  # bfloat16 autocast on GPUs
    torch.backends.cuda.matmul.allow_tf32 = True

    ck, how = _checkpoint(args, out, ranks, device)
    if ck and checkpoint_language(ck) != args.language:
        source = out / "checkpoint.pt" if how == "resumed" else args.init
        raise SystemExit(
            f"{source} is a {checkpoint_language(ck)} network; this run trains "
            f"{args.language} (--language, or --fresh / another --out)"
        )
    # a checkpoint rebuilds the network it was saved from, whatever the preset says
    net = NetConfig.from_dict(ck["config"]) if ck else preset.net.for_language(args.language)
    try:
        data_cfg = _data_config(args, net, total_batch // ranks.world)
    except ValueError as e:
        raise SystemExit(f"models.train: {e}") from None
    torch.manual_seed(args.seed)  # weight init only; data uses numpy Generators
    model = EditNet(net).to(device)
    fused = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.AdamW(model.parameters(), lr=preset.lr, weight_decay=0.01, **fused)
    # seconds: this run folder's training wall time; warm_from: the step it started at
    state = {"step": 0, "examples": 0, "language": net.language, "seconds": 0.0,
             "warm_from": 0, "args": vars(args) | {"out": str(out)}}  # fmt: skip
    if ck:
        model.load_state_dict(ck["model"])  # bfloat16 weights are cast back to float32
        state.update(step=ck["step"], examples=ck["examples"])
        if how == "resumed":
            opt.load_state_dict(ck["opt"])
            state.update(seconds=ck.get("seconds", 0.0), warm_from=ck.get("warm_from", 0))
        else:
            state.update(warm_from=ck["step"])
        if ranks.main:
            source = out / "checkpoint.pt" if how == "resumed" else args.init
            print(f"{how} from {source} at step {state['step']}", file=sys.stderr)
    trained = model
    if ranks.world > 1:
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        trained = DistributedDataParallel(model, device_ids=ids)

    run = Run(
        args=args,
        preset=preset,
        ranks=ranks,
        out=out,
        device=device,
        amp=amp,
        model=model,
        trained=trained,
        opt=opt,
        state=state,
        data_cfg=data_cfg,
        total=args.examples or preset.examples,
        held={},
        train_log=None,
        eval_log=None,
    )
    if ranks.main:
        _open_logs(run)
    return run


def _open_logs(run: Run) -> None:
    """run.json, train.csv and eval.csv, and the fixed held-out sets (rank 0 only)."""
    args, out = run.args, run.out
    info = {"preset": args.preset, **vars(args), "out": str(out), "world": run.ranks.world}
    (out / "run.json").write_text(json.dumps(info, indent=1, default=str))
    run.train_log = CsvLog(
        out / "train.csv",
        ["step", "examples", "stage", "lr", "loss", "ce", "value_mse", "token_acc",
         "pos_acc", "exact_acc", "examples_per_s"],
    )  # fmt: skip
    extra = [name for name in heldout_sets(run.data_cfg) if name != "heldout"]
    run.eval_log = CsvLog(
        out / "eval.csv",
        ["step", "examples", "heldout_ce", "heldout_value_mse", "heldout_token_acc",
         "heldout_pos_acc", "heldout_exact_acc",
         *(f"{name}_{m}" for name in extra for m in ("pos_acc", "exact_acc"))],
    )  # fmt: skip
    run.held = heldout_batches(args.seed, run.preset.heldout, run.data_cfg)


def train_step(run: Run, batch: dict, lr: float) -> tuple:
    """One optimizer step on this rank's share of the batch (DDP averages the gradients
    over the ranks); returns ``(loss, ce, mse, stats)`` of this share."""
    for g in run.opt.param_groups:
        g["lr"] = lr
    with torch.autocast(run.device.type, dtype=torch.bfloat16, enabled=run.amp):
        out_t = run.trained(batch["images"], batch["tokens"], batch["feats"], batch["prefix_len"])
    out_t = [o.float() for o in out_t]  # the loss in float32
    loss, ce, mse, stats = edit_loss(
        *out_t, batch["targets"], batch["value_targets"], batch["allowed"]
    )
    run.opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
    run.opt.step()
    return loss, ce, mse, stats


def _agree(run: Run, stop: bool, elapsed: float) -> tuple[bool, float]:
    """Every rank takes rank-wide values: stop when any rank's clock says so, and the
    furthest wall-time fraction for the learning rate (the replicas must stay equal)."""
    if run.ranks.world == 1:
        return stop, elapsed
    import torch.distributed as dist

    box = torch.tensor([float(stop), elapsed], dtype=torch.float64, device=run.device)
    dist.all_reduce(box, op=dist.ReduceOp.MAX)
    return bool(box[0].item()), float(box[1].item())


def _mean_over_ranks(run: Run, values: dict[str, float]) -> dict[str, float]:
    """``values`` averaged over the ranks (for the log; each rank saw its own share)."""
    if run.ranks.world == 1:
        return values
    import torch.distributed as dist

    keys = sorted(values)
    box = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=run.device)
    dist.all_reduce(box)
    return {k: v / run.ranks.world for k, v in zip(keys, box.tolist(), strict=True)}


def evaluate_and_save(run: Run) -> dict:
    """Held-out metrics, the eval log, the checkpoint and the plot (rank 0; the others
    return at once)."""
    if not run.ranks.main:
        return {}
    metrics = heldout_metrics(run.model, run.held, run.device)
    run.eval_log.write({"step": run.state["step"], "examples": run.state["examples"], **metrics})
    save_checkpoint(run.out / "checkpoint.pt", run.model, run.opt, run.state)
    plot_run(run.out)
    return metrics


class _StopSignal:
    """While active, SIGTERM and SIGINT (Ctrl-C) only set ``raised``: the training loop
    then stops after its step, and the checkpoint is written before the command exits."""

    def __init__(self):
        self.raised = None
        self._old = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # only it may set handlers
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._catch)
        return self

    def _catch(self, signum, frame):
        self.raised = signum

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False


def train(run: Run) -> dict:
    """The training loop, until the total or the ``--minutes`` budget (the run folder's
    whole training time), or a stop signal (then ``run.state["interrupted"]`` is set); the
    last metrics.  The checkpoint is also written every ``--save-minutes``."""
    with _StopSignal() as signal_seen:
        metrics = _train_loop(run, signal_seen)
    if signal_seen.raised is not None:
        run.state["interrupted"] = True
    return metrics


def _train_loop(run: Run, signal_seen: _StopSignal) -> dict:
    args, preset, state = run.args, run.preset, run.state
    t_start, seconds_before = time.time(), state["seconds"]

    def clock() -> float:  # the run folder's training time, kept in the state it saves
        state["seconds"] = seconds_before + time.time() - t_start
        return state["seconds"]

    last_save = t_start
    stage, loader_iter, metrics = None, None, {}
    bar = None
    if run.ranks.main:
        from tqdm import tqdm

        bar = tqdm(total=run.total_steps, initial=state["step"], unit="step", dynamic_ncols=True)
    last_t, last_ex = time.time(), state["examples"]
    while state["examples"] < run.total:
        elapsed = clock() / (args.minutes * 60) if args.minutes else 0.0
        stop = (bool(args.minutes) and elapsed >= 1.0) or signal_seen.raised is not None
        stop, elapsed = _agree(run, stop, elapsed)
        if stop:
            break
        want = stage_at(preset, state["examples"])
        if want != stage:
            stage = want
            loader_iter = iter(
                make_loader(
                    run.data_cfg, args.workers, stage, state["step"],
                    run.device.type == "cuda", run.ranks.rank,
                )
            )  # fmt: skip
        batch = _to(next(loader_iter), run.device)
        lr = lr_at(preset, state["step"], run.total_steps, elapsed, state["warm_from"])
        loss, ce, mse, stats = train_step(run, batch, lr)
        state["step"] += 1
        state["examples"] += len(batch["tokens"]) * run.ranks.world
        if bar is not None:
            bar.update(1)
        if state["step"] % 20 == 0:
            logged = {"loss": loss.item(), "ce": ce.item(), "value_mse": mse.item(), **stats}
            logged = _mean_over_ranks(run, logged)
            now = time.time()
            rate = (state["examples"] - last_ex) / max(now - last_t, 1e-9)
            last_t, last_ex = now, state["examples"]
            if run.ranks.main:
                bar.set_postfix(
                    loss=f"{logged['loss']:.3f}",
                    pos=f"{logged['pos_acc']:.2f}",
                    stage=stage,
                    ex_s=f"{rate:.0f}",
                )
                run.train_log.write(
                    {"step": state["step"], "examples": state["examples"], "stage": stage,
                     "lr": lr, **logged, "examples_per_s": rate}
                )  # fmt: skip
        if state["step"] % preset.eval_every == 0:
            metrics = evaluate_and_save(run)
            last_save = time.time()
        elif args.save_minutes and time.time() - last_save >= args.save_minutes * 60:
            if run.ranks.main:
                clock()
                save_checkpoint(run.out / "checkpoint.pt", run.model, run.opt, state)
            last_save = time.time()
        searching = preset.search_every and args.language == DEFAULT_LANGUAGE
        if searching and state["step"] % preset.search_every == 0 and run.ranks.main:
            search_eval(run.model, run.out, preset, args.modality, state, metrics)
    clock()
    if bar is not None:
        bar.close()
    return metrics


def finish(run: Run) -> int:
    """Check that the ranks agree and leave the distributed run, then (rank 0) the last
    evaluation and checkpoint, the export and the search comparison.

    The other ranks leave first: rank 0's last work can take longer than a collective
    call may wait (NCCL's timeout), and nothing after it needs them."""
    args, state = run.args, run.state
    if run.ranks.world > 1:
        import torch.distributed as dist

        _check_replicas(run)
        dist.barrier()  # no rank tears its group down while another still talks to it
        dist.destroy_process_group()
    if run.ranks.main and state.get("interrupted"):
        save_checkpoint(run.out / "checkpoint.pt", run.model, run.opt, state)
        print(
            f"stopped at step {state['step']} ({state['seconds'] / 60:.1f} min trained); the "
            f"checkpoint is saved: run the same command to go on",
            file=sys.stderr,
        )
        return 0
    if run.ranks.main:
        metrics = heldout_metrics(run.model, run.held, run.device)
        if state["step"] % run.preset.eval_every:  # not just evaluated
            run.eval_log.write({"step": state["step"], "examples": state["examples"], **metrics})
            plot_run(run.out)
        save_checkpoint(run.out / "checkpoint.pt", run.model, run.opt, state)  # its clock, too
        n_search = run.preset.search_problems
        if args.search_problems is not None:
            n_search = args.search_problems
        if args.task == "write":  # the edit-search comparison does not apply: just export
            export_run(run.model, run.out, args.modality, state, metrics, "write")
            n_search = 0
        elif args.language != DEFAULT_LANGUAGE:  # the comparison's problems are CSG2D's
            export_run(run.model, run.out, args.modality, state, metrics)
            n_search = 0
        search = search_eval(
            run.model, run.out, run.preset, args.modality, state, metrics, n_search
        )
        summary = {"step": state["step"], "examples": state["examples"], **metrics}
        print(json.dumps(summary | {"search": search}))
    return 0


def _check_replicas(run: Run) -> None:
    """Fail loudly unless every rank ends with the same weights (DDP keeps the replicas
    bit-equal: the same averaged gradients and the same optimizer steps)."""
    import torch.distributed as dist

    with torch.no_grad():
        sums = torch.stack([p.double().sum() for p in run.model.parameters()])
    low, high = sums.clone(), sums.clone()
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    if not torch.equal(low, high):
        worst = (high - low).abs().max().item()
        raise RuntimeError(f"the ranks' weights differ after training (by up to {worst:.3g})")


def main(argv=None) -> int:
    run = setup(argv)
    train(run)
    return finish(run)


def search_eval(model, out: Path, preset: Preset, modality, state, metrics, n_problems=None):
    """Export to ``out/policy.onnx`` and run the quick search comparison (models.evaluate).

    The trained network, an untrained one of the same architecture and random
    mutations share the beam search, budget and held-out problems; the result
    is appended to ``search_eval.jsonl``.
    """
    n_problems = preset.search_problems if n_problems is None else n_problems
    if n_problems <= 0:
        return None
    from inference.search.beam import SearchConfig
    from models.evaluate import compare

    path = export_run(model, out, modality, state, metrics)
    cfg = SearchConfig(beam_width=16, samples_per_program=3, budget=preset.search_budget)
    result = compare(path, n_problems, cfg, n_closer=4 * n_problems)
    row = {"step": state["step"], "examples": state["examples"], **result}
    with (out / "search_eval.jsonl").open("a") as f:
        f.write(json.dumps(row, default=list) + "\n")
    return {k: (v["solved"], v["closer_fraction"]) for k, v in result["results"].items()}


def export_run(model, out: Path, modality: str, state, metrics, task: str = "edit") -> Path:
    """Export a copy of ``model`` to ``out/policy.onnx`` (and its step graph); the path."""
    from models.export import export_model

    path = out / "policy.onnx"
    # export a copy: export_model moves its model to the CPU in eval mode
    export_model(
        copy.deepcopy(model),
        path,
        modality=model_modality(modality),
        training_examples=state["examples"],
        dev_metrics=metrics,
        task=task,
    )
    return path


def plot_run(out: Path) -> None:
    """Write progress.png: training loss and held-out accuracies against examples."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def read(name):
        path = out / name
        if not path.exists():
            return []
        with path.open() as f:
            return list(csv.DictReader(f))

    train, ev = read("train.csv"), read("eval.csv")
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    if train:
        x = [float(r["examples"]) for r in train]
        a.plot(x, [float(r["ce"]) for r in train], label="train edit CE", lw=0.8)
    if ev:
        x = [float(r["examples"]) for r in ev]
        a.plot(x, [float(r["heldout_ce"]) for r in ev], "o-", label="held-out edit CE")
        keys = ["heldout_token_acc", "heldout_pos_acc", "heldout_exact_acc"]
        extra = ("heldout_sketch", "heldout_drawn", "heldout_parts")
        keys += [f"{e}_{m}" for e in extra for m in ("pos_acc", "exact_acc") if f"{e}_{m}" in ev[0]]
        for key in keys:
            b.plot(x, [float(r[key]) for r in ev], "o-", label=key.removeprefix("heldout_"))
    a.set(xlabel="training examples", ylabel="cross-entropy", title="loss")
    b.set(xlabel="training examples", ylabel="accuracy", title="held-out next edit", ylim=(0, 1))
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "progress.png", dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
