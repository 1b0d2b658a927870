"""Calibrate the tolerant score on simulated hand drawings (docs/BENCHMARKS.md).

    python -m inference.benchmarks.drawn_calibration tests/data/refset-dev [--tolerance 1.0]

For every program of a problem folder it draws a simulated filled drawing
(:func:`inference.targets.sketch.simulate_drawing`, seed = the problem's index) and
moves one random primitive's x by one value step (2 canvas units).  It
prints how often each program passes (score > 0.98) under the exact goal
score, under the tolerant score (:mod:`inference.targets.drawn_score`), and under the
tolerant score with parts and holes compared (:mod:`inference.targets.shape_match`,
what drawn targets use):

* the true program against its drawing: should pass;
* the moved program against the exact render: shows how much a tolerance
  loosens an exact target;
* the moved program against the drawing: should fail.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

from inference.lang.syntax import parse, to_text
from inference.lang.tree import NUM_VALUES
from inference.render.raster import pack, render
from inference.targets.drawn_score import DEFAULT_TOLERANCE, tolerant_score
from inference.targets.score import SOLVE_THRESHOLD, goal_score
from inference.targets.sketch import simulate_drawing
from inference.targets.target import Target

_PRIMITIVE = re.compile(r"\((Circle \d+|Quad) (\d+)")


def move_one_x(text: str, rng: np.random.Generator) -> str:
    """``text`` with one random primitive's x value moved one step (canonical syntax)."""
    hits = list(_PRIMITIVE.finditer(text))
    hit = hits[int(rng.integers(len(hits)))]
    x = int(hit.group(2))
    step = int(rng.choice([-1, 1]))
    moved = x + step if min(NUM_VALUES) <= x + step <= max(NUM_VALUES) else x - step
    return text[: hit.start(2)] + str(moved) + text[hit.end(2) :]


def calibrate(folder: Path, tolerance: float) -> dict[str, float]:
    """Pass rates (see the module docstring) over the problems in ``folder``."""
    rows = [json.loads(line) for line in (folder / "problems.jsonl").read_text().splitlines()]
    passes: dict[str, list[bool]] = {}
    for i, row in enumerate(rows):
        rng = np.random.default_rng([i, 7])
        true = parse(row["program"])
        moved = parse(move_one_x(to_text(true), rng))
        drawing = simulate_drawing(true, rng) >= 0.5
        exact, moved_mask = render(true), render(moved)
        cases = {
            "true vs drawing": (exact, drawing),
            "moved vs exact": (moved_mask, exact),
            "moved vs drawing": (moved_mask, drawing),
        }
        for name, (mask, target) in cases.items():
            passes.setdefault(f"{name}, exact score", []).append(
                goal_score(mask, target) > SOLVE_THRESHOLD
            )
            passes.setdefault(f"{name}, tolerant score", []).append(
                tolerant_score(mask, target, tolerance) > SOLVE_THRESHOLD
            )
            shaped = Target(target, tolerance=tolerance, check_shape=True)
            passes.setdefault(f"{name}, tolerant + shape", []).append(
                shaped.solves(float(shaped.scores_packed([pack(mask)])[0]))
            )
    return {name: float(np.mean(v)) for name, v in passes.items()}


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder with problems.jsonl")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, help="canvas units")
    args = parser.parse_args(argv)
    for name, rate in calibrate(args.folder, args.tolerance).items():
        print(f"{name:40s} passes {rate:.3f}")


if __name__ == "__main__":
    main()
