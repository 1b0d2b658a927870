"""Time TinySVG's token features and the search's encode path (issue 17).

    python -m inference.benchmarks.svg_features_bench --programs 300 --seed 5

Random TinySVG programs (:func:`inference.noise.random_programs.random_program`, 1..8
primitives) are grouped into beam steps of ``--beam`` programs that share one target (a
random drawing rendered at 224 and read at the model size, as
:meth:`inference.model.onnx_model.PolicyModel.target_input` does).  Two things are timed per
program, the best of ``--repeats`` runs: the token features alone
(:func:`inference.model.svg_features.svg_batch_features`) and the whole
:func:`inference.model.model_batches.encode_batch` the beam search calls for its prefixes
(target conversion, features, render and image planes).  ``--profile`` prints cProfile's
top entries for one encode run instead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable

import numpy as np

from inference.lang.grammar import TINYSVG
from inference.model.model_batches import encode_batch
from inference.model.svg_features import svg_batch_features, target_rgb
from inference.model.tokens import TINYSVG_VOCAB
from inference.noise.random_programs import random_program, target_range
from inference.render.svg_scene import CANVAS, render
from inference.targets.target_images import IMAGE_SIZE

PRIMITIVES = (1, 8)
"""Primitive counts of the timed programs (a search's programs grow past a target's 2..5)."""


def beam_steps(rng: np.random.Generator, programs: int, beam: int, size: int) -> list:
    """``(target, programs)`` groups: ``programs`` random programs, ``beam`` to a target."""
    steps = []
    for start in range(0, programs, beam):
        drawing = random_program(rng, target_range(TINYSVG), grammar=TINYSVG)
        target = target_rgb(render(drawing, CANVAS), size)
        count = min(beam, programs - start)
        steps.append((target, [random_program(rng, PRIMITIVES, TINYSVG) for _ in range(count)]))
    return steps


def features_run(steps, size: int) -> Callable[[], None]:
    """One pass of the token features over every step."""
    encoded = [[TINYSVG_VOCAB.encode_program(p) for p in group] for _, group in steps]

    def run() -> None:
        for (target, group), ids in zip(steps, encoded, strict=True):
            svg_batch_features(group, ids, [target] * len(group), size)

    return run


def encode_run(steps) -> Callable[[], None]:
    """One pass of the search's prefix encoding (``encode_batch`` with empty edits)."""

    def run() -> None:
        for target, group in steps:
            encode_batch([(target, p, []) for p in group])

    return run


def best_ms(run: Callable[[], None], repeats: int, programs: int) -> float:
    """The fastest of ``repeats`` runs, in ms per program."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return 1000 * min(times) / programs


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--programs", type=int, default=300, help="programs timed (default 300)")
    ap.add_argument("--seed", type=int, default=5, help="seed of the numpy Generator")
    ap.add_argument("--beam", type=int, default=64, help="programs per target (default 64)")
    ap.add_argument("--size", type=int, default=IMAGE_SIZE, help="model image side S")
    ap.add_argument("--repeats", type=int, default=5, help="runs; the best is reported")
    ap.add_argument("--profile", action="store_true", help="cProfile one encode run")
    args = ap.parse_args(argv)
    if args.programs < 1 or args.beam < 1 or args.repeats < 1:
        ap.error("--programs, --beam and --repeats must be at least 1")
    steps = beam_steps(np.random.default_rng(args.seed), args.programs, args.beam, args.size)
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(encode_run(steps))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        return
    n = args.programs
    features = best_ms(features_run(steps, args.size), args.repeats, n)
    encode = best_ms(encode_run(steps), args.repeats, n)
    print(
        f"{n} programs, S={args.size}, beam {args.beam}, seed {args.seed}, "
        f"best of {args.repeats}: features {features:.3f} ms/program, "
        f"encode_batch {encode:.3f} ms/program"
    )


if __name__ == "__main__":
    main()
