"""How fast one data worker makes finished training batches: examples/s per core, by phase.

    .venv/bin/python -m models.data_rate                      # last curriculum stage, batch 256
    .venv/bin/python -m models.data_rate --stage 0
    .venv/bin/python -m models.data_rate --modality mixed --drawn-fraction 0.25 --parts-fraction 0.3
    .venv/bin/python -m models.data_rate --profile 25         # also the top 25 functions (cProfile)
    .venv/bin/python -m models.data_rate --language tinysvg   # TinySVG's examples

It runs exactly what a DataLoader worker of :mod:`models.data` runs (``draw_example`` for a
batch, ``encode_training_batch``, ``to_tensors``), then sends the batch the way a worker sends
it to the trainer: torch's ``ForkingPickler``, which moves every tensor's storage into shared
memory and pickles a handle.  Times are **CPU time of this process** (``time.process_time``),
not wall time, so other work on the machine does not count; torch and numpy run on one thread,
as in a worker.  The rate is therefore per core: a machine with N free cores and N workers makes
about N times as many examples.

The breakdown is *exclusive* time per phase, measured by wrapping the functions the pipeline
looks up (module globals) for the duration of the run:

- ``target``: drawing random target programs (the grammar expansion), CAD-like parts;
  the render and filter of each candidate are counted below;
- ``filter``: the target filter (foreground share and LZ4 compression);
- ``render``: every binary render (targets, rejected ones included, and current programs);
- ``mutations``: the start program (noised target or fresh random program);
- ``path``: the tree path and the program at the chosen point on it;
- ``sketch``: simulated sketches and hand drawings (mixed modality only);
- ``draw (other)``: the rest of ``draw_example`` (bookkeeping, redraws);
- ``features``: the 24 token features (:func:`inference.model.token_features.program_features`),
  target packing included;
- ``masks``: the grammar masks of the loss (:func:`inference.model.model_batches.allowed_masks`);
- ``encode (other)``: the rest of ``encode_training_batch``: tokens, labels, image planes;
- ``tensors``: ``to_tensors``;
- ``send``: ``ForkingPickler.dumps`` of the batch (shared-memory copy + pickle).

For TinySVG (``--language tinysvg``) the total is measured the same way, but the CSG2D-named
phases do not see its renderer, filter and features: those fall under ``draw (other)``,
``encode (other)`` and ``masks``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import functools
import io
import pickle
import pstats
import time
from collections.abc import Iterator
from multiprocessing.reduction import ForkingPickler

import numpy as np
import torch
import torch.multiprocessing  # noqa: F401  (registers torch's reductions with ForkingPickler)

import inference.model.model_batches
import inference.noise.random_programs
import inference.noise.training_examples
import models.data
from models.data import DataConfig, replacement_limit

TARGET_RATE = 1500.0
"""Issue 15's target: finished examples/s per core, token features included."""

PHASES: tuple[tuple[str, tuple[tuple[object, str], ...]], ...] = (
    (
        "target",
        (
            (inference.noise.training_examples, "random_target"),
            (models.data, "make_part"),
        ),
    ),
    ("filter", ((inference.noise.random_programs, "is_visually_complex"),)),
    ("render", ((models.data, "render"),)),
    ("mutations", ((inference.noise.training_examples, "start_program"),)),
    (
        "path",
        (
            (inference.noise.training_examples, "path_rounds"),
            (inference.noise.training_examples, "state_at"),
        ),
    ),
    ("sketch", ((models.data, "simulate_sketch"), (models.data, "simulate_drawing"))),
    ("draw (other)", ((models.data, "draw_example"),)),
    (
        "features",
        (
            (inference.model.model_batches, "program_features"),
            (inference.model.model_batches, "target_bits"),
        ),
    ),
    ("masks", ((inference.model.model_batches, "allowed_masks"),)),
    ("encode (other)", ((models.data, "encode_training_batch"),)),
    ("tensors", ((models.data, "to_tensors"),)),
)
"""Each phase and the (module, global name) functions whose exclusive time it counts."""
SEND = "send"


class PhaseClock:
    """Exclusive CPU time per phase: a wrapped call's time minus that of wrapped calls inside."""

    def __init__(self):
        self.seconds: dict[str, float] = {name: 0.0 for name, _ in PHASES} | {SEND: 0.0}
        self._inner: list[float] = []

    def wrap(self, phase: str, function):
        """``function`` with its exclusive time added to ``phase``."""

        @functools.wraps(function)
        def timed(*args, **kwargs):
            self._inner.append(0.0)
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.process_time() - start
                self.seconds[phase] += elapsed - self._inner.pop()
                if self._inner:
                    self._inner[-1] += elapsed

        return timed

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Wrap every function of :data:`PHASES` for the duration of the block."""
        saved = []
        for phase, targets in PHASES:
            for module, name in targets:
                original = getattr(module, name, None)
                if original is None:  # moved by a refactoring: its time shows elsewhere
                    continue
                saved.append((module, name, original))
                setattr(module, name, self.wrap(phase, original))
        try:
            yield
        finally:
            for module, name, original in reversed(saved):
                setattr(module, name, original)


def send(batch: dict[str, torch.Tensor]) -> bytes:
    """What a DataLoader worker does to put ``batch`` on its queue (shared memory + pickle)."""
    return bytes(ForkingPickler.dumps(batch))


def receive(message: bytes) -> dict[str, torch.Tensor]:
    """The trainer's side of :func:`send`."""
    return pickle.loads(message)


def worker_batches(config: DataConfig, batches: int, clock: PhaseClock | None = None):
    """Make ``batches`` batches as one worker of :func:`models.data.make_loader` does.

    Returns the total CPU seconds (the batches' receiving end excluded).  With ``clock``,
    phases are timed (see the module doc).
    """
    rng = np.random.default_rng([config.seed, config.stage, 0, 0])
    limit = replacement_limit(config)
    context = clock.installed() if clock else contextlib.nullcontext()
    start = time.process_time()
    with context:
        for _ in range(batches):
            examples = [models.data.draw_example(rng, config) for _ in range(config.batch_size)]
            batch = models.data.to_tensors(models.data.encode_training_batch(examples, limit))
            t0 = time.process_time()
            message = send(batch)
            t1 = time.process_time()
            receive(message)  # not counted: the trainer's side (it frees the shared memory)
            start += time.process_time() - t1
            if clock:
                clock.seconds[SEND] += t1 - t0
            del batch, message
    return time.process_time() - start


def report(config: DataConfig, batches: int, warmup: int = 1, repeat: int = 1) -> dict:
    """Rate and per-phase CPU time of ``config`` (after ``warmup`` untimed batches).

    With ``repeat`` > 1 the same batches are made that many times and the fastest run is
    reported (the least disturbed by other work sharing the core's caches).
    """
    if warmup:
        worker_batches(dataclasses.replace(config, seed=config.seed + 1), warmup)
    runs = []
    for _ in range(repeat):
        clock = PhaseClock()
        runs.append((worker_batches(config, batches, clock), clock))
    total, clock = min(runs, key=lambda run: run[0])
    n = batches * config.batch_size
    return {
        "examples": n,
        "cpu_s": total,
        "per_core": n / total,
        "us_per_example": {name: 1e6 * s / n for name, s in clock.seconds.items()},
        "untimed_us": 1e6 * (total - sum(clock.seconds.values())) / n,
    }


def format_report(title: str, result: dict) -> str:
    """A text table of :func:`report`'s result."""
    total_us = 1e6 * result["cpu_s"] / result["examples"]
    met = "met" if result["per_core"] >= TARGET_RATE else "not met"
    lines = [
        f"{title}: {result['per_core']:,.0f} examples/s per core "
        f"({total_us:.0f} µs CPU per example, {result['examples']} examples; "
        f"target {TARGET_RATE:,.0f}/s: {met})",
        f"  {'phase':<16}{'µs/example':>11}{'share':>8}",
    ]
    for name, us in result["us_per_example"].items():
        lines.append(f"  {name:<16}{us:>11.1f}{us / total_us:>8.1%}")
    lines.append(f"  {'(untimed)':<16}{result['untimed_us']:>11.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module doc."""
    parser = argparse.ArgumentParser(
        prog="python -m models.data_rate",
        description="Examples/s per core (CPU time) of one training-data worker, by phase.",
    )
    parser.add_argument("--stage", type=int, default=None, help="curriculum stage (default: last)")
    parser.add_argument("--modality", default="filled", choices=models.data.MODALITIES)
    parser.add_argument("--task", default="edit", choices=models.data.TASKS)
    parser.add_argument("--sketch-fraction", type=float, default=0.1)
    parser.add_argument("--drawn-fraction", type=float, default=0.0)
    parser.add_argument("--parts-fraction", type=float, default=0.0)
    parser.add_argument("--language", default="CSG2D", help="csg2d (default) or tinysvg")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--batches", type=int, default=8, help="timed batches (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=1, help="make the batches R times, report the fastest"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also print cProfile's top N"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as models.data's workers
    config = DataConfig(
        seed=args.seed,
        modality=args.modality,
        task=args.task,
        sketch_fraction=args.sketch_fraction,
        drawn_fraction=args.drawn_fraction,
        parts_fraction=args.parts_fraction,
        batch_size=args.batch_size,
        language=args.language,
    )
    if args.stage is not None:
        config = config.for_stage(args.stage)
    title = (
        f"{config.language}, stage {config.stage}, {config.modality}, task {config.task}, "
        f"drawn {config.drawn_fraction}, parts {config.parts_fraction}, batch {config.batch_size}"
    )
    print(format_report(title, report(config, args.batches, repeat=args.repeat)), flush=True)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(worker_batches, config, args.batches)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
