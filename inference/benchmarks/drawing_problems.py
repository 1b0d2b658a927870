"""A held-out problem set for ``bench``, from a seed stream nothing else uses: TinySVG
drawings (issue 17), or random CSG2D programs beside refset-dev (issue 13).

    python -m inference.benchmarks.drawing_problems DIR [--count 32] [--seed 91017]
        [--primitives LO HI] [--language csg2d]

Problem ``i`` is :func:`inference.noise.random_programs.random_target` of TinySVG drawn with
the Generator ``[seed, i]``: the training targets' distribution (primitive counts and the
filter of :mod:`inference.noise.svg_targets`), but a stream training never draws from
(a training stream is seeded with four or more words, ``models.data.stream_seed``; this
one with two), so no problem is a training target by construction.  ``--primitives LO HI``
draws the primitive count uniform in LO..HI instead (2 3 gives the first curriculum stage's
sizes: a smaller set, for a model that saw little training).  The folder gets
``problems.jsonl`` (``id``, ``program``, ``png``) and a 224×224 RGB PNG per problem, the
layout of refset-dev, so ``bench DIR`` reads it like any other set.

``--language csg2d`` writes random CSG2D targets instead (:func:`random_target`: 2-8
primitives and the visual-complexity filter, the training targets' distribution, as
refset-dev's independent generator has), with 128 × 128 PNGs, ids ``random000``…, and the
stream ``[91018, i]`` by default (:data:`CSG_HOLDOUT_SEED`), again one that no training
stream and no other set draws from.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from inference.files.exports import to_png
from inference.lang.grammar import CSG2D, TINYSVG, Grammar
from inference.lang.syntax import to_text
from inference.noise.random_programs import random_target
from inference.render.raster import render as render_mask
from inference.render.svg_scene import CANVAS, render

HOLDOUT_SEED = 91017
"""The default first seed word of the TinySVG problem stream (no other stream uses it)."""
CSG_HOLDOUT_SEED = 91018
"""The default first seed word of the CSG2D problem stream (no other stream uses it)."""


def write_drawing_problems(
    folder: Path,
    count: int,
    seed: int | None = None,
    primitives: tuple[int, int] | None = None,
    grammar: Grammar = TINYSVG,
) -> Path:
    """Write ``count`` problems of ``grammar`` to ``folder``; returns the ``problems.jsonl``
    path.  ``seed`` defaults to the language's held-out stream.

    ``primitives`` (inclusive) overrides the training targets' primitive counts (TinySVG
    2-5, CSG2D 2-8)."""
    csg = grammar is CSG2D
    if seed is None:
        seed = CSG_HOLDOUT_SEED if csg else HOLDOUT_SEED
    if primitives is not None and not 1 <= primitives[0] <= primitives[1]:
        raise ValueError(f"--primitives needs 1 <= LO <= HI, got {primitives[0]} {primitives[1]}")
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        if csg:
            program, _ = random_target(rng, lambda p: render_mask(p, 128), n_range=primitives)
            pid = f"random{i:03d}"
            (folder / f"{pid}.png").write_bytes(to_png(program, 128))
        else:
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
    parser.add_argument(
        "--seed",
        type=int,
        help=f"first seed word (TinySVG {HOLDOUT_SEED}, CSG2D {CSG_HOLDOUT_SEED})",
    )
    parser.add_argument(
        "--language",
        type=str.lower,
        choices=("tinysvg", "csg2d"),
        default="tinysvg",
        help="the problems' language (tinysvg)",
    )
    parser.add_argument(
        "--primitives",
        type=int,
        nargs=2,
        metavar=("LO", "HI"),
        help="primitive counts, inclusive (default: the training targets': TinySVG 2-5, CSG2D 2-8)",
    )
    args = parser.parse_args(argv)
    try:
        grammar = CSG2D if args.language == "csg2d" else TINYSVG
        primitives = tuple(args.primitives) if args.primitives else None
        path = write_drawing_problems(args.folder, args.count, args.seed, primitives, grammar)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"wrote {path} ({args.count} {grammar.name} problems)")


if __name__ == "__main__":
    main()
