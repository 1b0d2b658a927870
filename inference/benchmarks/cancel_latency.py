"""How fast a search stops when it is cancelled from another thread (a benchmark command).

    python -m inference.benchmarks.cancel_latency [--tries 10] [--threads 0] [--model PATH]
                                                  [--seed 0]

Each try runs :func:`inference.search.beam.view_search` with the policy model on a refset-dev
problem (alternately exact and drawn, ``tolerance=1``, whose three model views make the
steps longest) on a worker thread, as the editor does, sets the cancel flag after a random
0.5–5 s from the main thread, and measures the time from setting it to the generator's end.
A search that ends by itself before the cancel is not counted (the next problem is tried).
Prints one line per try and the median and maximum.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path

import numpy as np

REFSET = Path(__file__).resolve().parents[2] / "tests" / "data" / "refset-dev"
BUDGET = 1_000_000
"""Large enough that only a solve or the cancel ends a try."""


def one_try(model, path: Path, tolerance: float, delay: float, seed: int) -> float | None:
    """Seconds from the cancel to the search's end, or ``None`` if it ended before."""
    from inference.search.beam import SearchConfig, view_search
    from inference.search.proposers import PolicyProposer
    from inference.search.synthesize import load_image_target

    target = load_image_target(path, ink="white", tolerance=tolerance)
    stop, ended = threading.Event(), threading.Event()
    end = [0.0]

    def work() -> None:
        events = view_search(
            target,
            PolicyProposer(model),
            np.random.default_rng(seed),
            SearchConfig(budget=BUDGET),
            cancel=stop.is_set,
        )
        for _ in events:
            pass
        end[0] = time.perf_counter()
        ended.set()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    if ended.wait(delay):
        thread.join()
        return None
    t_cancel = time.perf_counter()
    stop.set()
    thread.join()
    return end[0] - t_cancel


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints the latencies and their median and maximum."""
    from inference.model.onnx_model import PolicyModel, default_model_path

    ap = argparse.ArgumentParser(
        prog="python -m inference.benchmarks.cancel_latency", description=__doc__
    )
    ap.add_argument("--tries", type=int, default=10, help="counted tries (default 10)")
    ap.add_argument("--model", help="policy model (default the shipped one)")
    ap.add_argument("--seed", type=int, default=0, help="random seed of the delays (default 0)")
    ap.add_argument(
        "--threads",
        type=int,
        default=0,
        help="onnxruntime intra-op threads (default 0, all cores, as the CLI; the editor uses 1)",
    )
    args = ap.parse_args(argv)
    path = args.model or default_model_path("filled")
    model = PolicyModel.load(path, intra_op_threads=args.threads)
    print(f"{model.path.name}, {args.threads or 'all'} thread(s): {model.step_status}")
    problems = [json.loads(line) for line in (REFSET / "problems.jsonl").read_text().splitlines()]
    rng = np.random.default_rng(args.seed)
    latencies: list[float] = []
    for i, problem in enumerate(problems):
        if len(latencies) == args.tries:
            break
        tolerance = float(i % 2)
        delay = float(rng.uniform(0.5, 5.0))
        latency = one_try(model, REFSET / problem["png"], tolerance, delay, args.seed + i)
        shown = "ended before the cancel" if latency is None else f"stopped in {latency:.3f} s"
        print(f"{problem['id']} tolerance {tolerance:g}, cancel after {delay:.2f} s: {shown}")
        if latency is not None:
            latencies.append(latency)
    if latencies:
        print(
            f"{len(latencies)} tries: median {statistics.median(latencies):.3f} s, "
            f"max {max(latencies):.3f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
