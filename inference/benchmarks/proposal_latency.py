"""How long one proposal takes at batch 1 (a benchmark command; issue 13's ≤ 20 ms target).

    python -m inference.benchmarks.proposal_latency [--problems 20] [--repeats 3] [--threads 1]
                                         [--model PATH] [--seed 0] [--json]

For each of the first ``--problems`` refset-dev problems, the program is the problem's own
program after two random mutations (a program the search would really edit; the mutations
come from a stream of their own, so two models are timed on the same programs), and one edit
is sampled for it with :func:`inference.model.decoding.sample_edits` (``samples=1``, batch 1), as
the editor's Propose does; after one warm-up call, ``--repeats`` calls per problem are
timed.  Prints the median, the 90th percentile and the mean, in milliseconds, with the
model, the onnxruntime threads and the program lengths, so a number can be read against
the machine's load (say what else was running when you record it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

REFSET = Path(__file__).resolve().parents[2] / "tests" / "data" / "refset-dev"


def latencies(model, problems: int, repeats: int, seed: int = 0) -> tuple[list[float], list[int]]:
    """Seconds of each timed call, and the token length of each problem's program."""
    from inference.files.fileio import read_problems
    from inference.model.decoding import sample_edits
    from inference.model.tokens import encode_program
    from inference.noise.mutations import noise
    from inference.render.raster import render

    rng = np.random.default_rng(seed)
    times, lengths = [], []
    for i, (_, program) in enumerate(read_problems(REFSET / "problems.jsonl")[:problems]):
        # the programs come from their own stream, so every model is timed on the same ones
        current = noise(program, np.random.default_rng([seed, i]), 2)
        image = model.target_input(render(program, model.image_size))
        lengths.append(len(encode_program(current)))
        sample_edits(model, image, [current], 1, rng)  # warm up this program's shapes
        for _ in range(repeats):
            t0 = time.perf_counter()
            sample_edits(model, image, [current], 1, rng)
            times.append(time.perf_counter() - t0)
    return times, lengths


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the summary (one JSON line with ``--json``)."""
    from inference.model.onnx_model import PolicyModel, default_model_path

    ap = argparse.ArgumentParser(
        prog="python -m inference.benchmarks.proposal_latency", description=__doc__
    )
    ap.add_argument("--problems", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime threads (0 = its own)")
    ap.add_argument("--model", type=Path, default=None, help="default: the shipped policy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    model = PolicyModel.load(args.model or default_model_path(), intra_op_threads=args.threads)
    times, lengths = latencies(model, args.problems, args.repeats, args.seed)
    ms = sorted(1000 * t for t in times)
    summary = {
        "model": model.path.name,
        "threads": args.threads,
        "calls": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "program_tokens": [min(lengths), max(lengths)],
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{summary['model']}, {args.threads} onnxruntime thread(s), {len(ms)} calls on "
            f"programs of {min(lengths)}-{max(lengths)} tokens: median "
            f"{summary['median_ms']} ms, p90 {summary['p90_ms']} ms, mean {summary['mean_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
