"""Throughput benchmark of the language core (docs/BENCHMARKS.md).

    python -m inference.benchmarks.core_benchmark [--seconds S] [--seed N]

Measures, pinned to one CPU core:

* renders/s at 128×128 of fresh random 2–8-primitive programs with a cold
  primitive cache (every program new to the renderer), and of the 128
  refset-dev programs rendered repeatedly (warm cache, as in a search that
  keeps revisiting the same primitives);
* training examples/s: target sampling with the complexity filter, mutations,
  tree path, and two 64×64 renders (``inference.noise.training_examples``).

Each figure is the median of several timed rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from inference.lang.syntax import parse
from inference.noise.random_programs import random_program
from inference.noise.training_examples import make_example
from inference.render.raster import Rasterizer, render

REFSET = Path(__file__).resolve().parents[2] / "tests" / "data" / "refset-dev" / "problems.jsonl"


def _pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned"


def _rate(fn, count: int, rounds: int) -> float:
    """Median items/s of ``rounds`` calls of ``fn`` (each does ``count`` items)."""
    rates = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        rates.append(count / (time.perf_counter() - t))
    return float(np.median(rates))


def bench_render_cold(rng: np.random.Generator, size: int, n: int, rounds: int) -> float:
    """Fresh random programs, each round with a new (empty-cache) rasterizer."""
    batches = [[random_program(rng, (2, 8)) for _ in range(n)] for _ in range(rounds)]
    it = iter(batches)

    def run():
        r = Rasterizer(size)
        for p in next(it):
            r.render(p)

    return _rate(run, n, rounds)


def bench_render_warm(size: int, rounds: int) -> float:
    """The refset-dev programs, rendered again and again by one rasterizer."""
    programs = [parse(json.loads(line)["program"]) for line in REFSET.read_text().splitlines()]
    r = Rasterizer(size)
    for p in programs:
        r.render(p)

    def run():
        for p in programs:
            r.render(p)

    return _rate(run, len(programs), rounds)


def bench_examples(rng: np.random.Generator, n: int, rounds: int) -> float:
    """Training examples/s (mutations + path + two 64×64 renders)."""
    for _ in range(200):
        make_example(rng, render)

    def run():
        for _ in range(n):
            make_example(rng, render)

    return _rate(run, n, rounds)


def main(argv: list[str] | None = None) -> int:
    """Run all core benchmarks and print one JSON line of results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    results = {
        "cpu": _pin_one_core(),
        "render_128_cold_per_s": round(bench_render_cold(rng, 128, 2000, args.rounds)),
        "render_128_warm_per_s": round(bench_render_warm(128, args.rounds)),
        "render_64_cold_per_s": round(bench_render_cold(rng, 64, 2000, args.rounds)),
        "training_examples_per_s": round(bench_examples(rng, 2000, args.rounds)),
    }
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
