"""Time TinySVG's token features and the search's encode path (issue 17).

    python -m inference.benchmarks.svg_features_bench --programs 300 --seed 5

Programs come in beam steps of ``--beam`` programs that share one target (a random drawing
rendered at 224 and read at the model size, as
:meth:`inference.model.onnx_model.PolicyModel.target_input` does), in two sets: *independent*
random TinySVG programs (:func:`inference.noise.random_programs.random_program`, 1..8
primitives), and *edits*, a beam-like step of 8 such parents with 8 one-mutation children each
(:func:`inference.noise.mutations.noise`), which share subtrees as a search's programs do.
Two things are timed per program: the token features alone
(:func:`inference.model.svg_features.svg_batch_features`) and the whole
:func:`inference.model.model_batches.encode_batch` the beam search calls for its prefixes
(target conversion, features, render and image planes).  Each is the best of ``--repeats``
runs, in wall-clock and in process CPU time (steadier on a shared machine).  ``--profile``
prints cProfile's top entries for one encode run of the edits set instead.
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
from inference.noise.mutations import noise
from inference.noise.random_programs import random_program, target_range
from inference.render.svg_scene import CANVAS, render
from inference.targets.target_images import IMAGE_SIZE

PRIMITIVES = (1, 8)
"""Primitive counts of the timed programs (a search's programs grow past a target's 2..5)."""
CHILDREN = 8
"""One-edit children per parent in the edits set."""


def _program(rng: np.random.Generator):
    """A random program that fits the model's tokens."""
    while True:
        program = random_program(rng, PRIMITIVES, TINYSVG)
        if program.size <= TINYSVG_VOCAB.max_tokens:
            return program


def _child(rng: np.random.Generator, parent):
    """A one-mutation child of ``parent`` that fits the model's tokens (else the parent)."""
    child = noise(parent, rng, 1)
    return child if child.size <= TINYSVG_VOCAB.max_tokens else parent


def beam_steps(rng: np.random.Generator, programs: int, beam: int, size: int, edits: bool):
    """``(target, programs)`` groups of ``beam`` programs each, ``programs`` in all:
    independent random programs, or (``edits``) parents and their one-edit children."""
    steps = []
    for start in range(0, programs, beam):
        drawing = random_program(rng, target_range(TINYSVG), grammar=TINYSVG)
        target = target_rgb(render(drawing, CANVAS), size)
        count = min(beam, programs - start)
        if edits:
            parents = [_program(rng) for _ in range(-(-count // CHILDREN))]
            group = [_child(rng, parents[k // CHILDREN]) for k in range(count)]
        else:
            group = [_program(rng) for _ in range(count)]
        steps.append((target, group))
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


def best_ms(run: Callable[[], None], repeats: int, programs: int) -> tuple[float, float]:
    """The fastest of ``repeats`` runs, wall-clock and process CPU time, in ms per program."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return 1000 * min(wall) / programs, 1000 * min(cpu) / programs


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
    rng = np.random.default_rng(args.seed)
    sets = {
        name: beam_steps(rng, args.programs, args.beam, args.size, edits)
        for name, edits in (("independent", False), ("edits", True))
    }
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(encode_run(sets["edits"]))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        return
    n = args.programs
    print(
        f"{n} programs, S={args.size}, beam {args.beam}, seed {args.seed}, best of {args.repeats}"
    )
    print("ms/program (wall / CPU)   features          encode_batch")
    for name, steps in sets.items():
        (fw, fc), (ew, ec) = (
            best_ms(run, args.repeats, n)
            for run in (features_run(steps, args.size), encode_run(steps))
        )
        print(f"{name:12s}              {fw:6.3f} / {fc:6.3f}   {ew:6.3f} / {ec:6.3f}")


if __name__ == "__main__":
    main()
