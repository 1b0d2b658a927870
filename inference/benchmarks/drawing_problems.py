"""A TinySVG problem set for ``bench`` (issue 17), from a seed stream nothing else uses.

    python -m inference.benchmarks.drawing_problems DIR [--count 32] [--seed 91017]
        [--primitives LO HI]

Problem ``i`` is :func:`inference.noise.random_programs.random_target` of TinySVG drawn with
the Generator ``[seed, i]``: the training targets' distribution (primitive counts and the
filter of :mod:`inference.noise.svg_targets`), but a stream training never draws from
(a training stream is seeded with four or more words, ``models.data.stream_seed``; this
one with two), so no problem is a training target by construction.  ``--primitives LO HI``
draws the primitive count uniform in LO..HI instead (2 3 gives the first curriculum stage's
sizes: a smaller set, for a model that saw little training).  The folder gets
``problems.jsonl`` (``id``, ``program``, ``png``) and a 224×224 RGB PNG per problem, the
layout of refset-dev, so ``bench DIR`` reads it like any other set.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from inference.lang.grammar import TINYSVG
from inference.lang.syntax import to_text
from inference.noise.random_programs import random_target
from inference.render.svg_scene import CANVAS, render

HOLDOUT_SEED = 91017
"""The default first seed word of the problem stream (no other stream uses it)."""


def write_drawing_problems(
    folder: Path,
    count: int,
    seed: int = HOLDOUT_SEED,
    primitives: tuple[int, int] | None = None,
) -> Path:
    """Write ``count`` TinySVG problems to ``folder``; returns the ``problems.jsonl`` path.

    ``primitives`` (inclusive) overrides the training targets' primitive counts (2-5)."""
    if primitives is not None and not 1 <= primitives[0] <= primitives[1]:
        raise ValueError(f"--primitives needs 1 <= LO <= HI, got {primitives[0]} {primitives[1]}")
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        program, _ = random_target(
            rng, lambda p: render(p, 64), n_range=primitives, grammar=TINYSVG
        )
        pid = f"drawing{i:03d}"
        Image.fromarray(render(program, CANVAS), "RGB").save(folder / f"{pid}.png")
        lines.append(json.dumps({"id": pid, "program": to_text(program), "png": f"{pid}.png"}))
    path = folder / "problems.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="output folder")
    parser.add_argument("--count", type=int, default=32, help="problems (32)")
    parser.add_argument("--seed", type=int, default=HOLDOUT_SEED, help=f"seed ({HOLDOUT_SEED})")
    parser.add_argument(
        "--primitives",
        type=int,
        nargs=2,
        metavar=("LO", "HI"),
        help="primitive counts, inclusive (default: the training targets' 2-5)",
    )
    args = parser.parse_args(argv)
    try:
        path = write_drawing_problems(
            args.folder, args.count, args.seed, tuple(args.primitives) if args.primitives else None
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(f"wrote {path} ({args.count} TinySVG problems)")


if __name__ == "__main__":
    main()
