"""Held-out evaluation of a policy against the no-learning baselines, in one run.

    python -m models.evaluate models/policy.onnx --problems 64 --budget 1000

Three proposers go through the same beam search with the same budget and the
same held-out problems:

* ``trained``: the given ONNX model;
* ``untrained``: the same architecture with fresh random weights (exported
  the same way), so gains from search alone are not credited to learning;
* ``random``: random grammar mutations (DESIGN.md §2 noise).

Also measured on held-out training-style examples (target, partly noised
program): the fraction of single proposed edits that raise the goal score.
Held-out problems come from ``HELDOUT_SEED`` streams that training never
uses (training seeds data from ``[seed, stage, worker, shard]`` lists; these
come from ``[HELDOUT_SEED, k]``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from inference.cli.bench import Problem
from inference.model.decoding import sample_edits
from inference.model.onnx_model import PolicyModel
from inference.noise.mutations import mutate, noise
from inference.noise.random_programs import random_target
from inference.render.raster import render
from inference.search.beam import SearchConfig, run_search
from inference.search.proposers import PolicyProposer, RandomMutationProposer
from inference.targets.target import SCORE_SIZE, Target

HELDOUT_SEED = 9_000_001


def heldout_problems(n: int, n_range=(2, 8), seed: int = HELDOUT_SEED) -> list[Problem]:
    """``n`` filtered random targets from a seed stream training never draws from (as
    :class:`inference.cli.bench.Problem`, ids ``heldout-<i>``)."""
    rng = np.random.default_rng([seed, 1])
    out = []
    for i in range(n):
        prog, img = random_target(rng, lambda p: render(p, SCORE_SIZE), n_range)
        out.append(Problem(f"heldout-{i}", prog, Target(img), i))
    return out


def solve_rate(proposer, problems, cfg: SearchConfig, seed: int = 0, progress=None) -> dict:
    """Run the beam search on every problem; solved fraction, mean best score, calls, time."""
    solved, scores, calls, secs = [], [], [], []
    for i, pb in enumerate(problems):
        ev = run_search(pb.target, proposer, np.random.default_rng([seed, i]), config=cfg)
        solved.append(ev.solved)
        scores.append(ev.score)
        calls.append(ev.calls)
        secs.append(ev.elapsed)
        if progress:
            progress()
    return {
        "solved": int(sum(solved)),
        "n": len(problems),
        "solve_rate": float(np.mean(solved)),
        "mean_score": float(np.mean(scores)),
        "mean_calls": float(np.mean(calls)),
        "mean_seconds": float(np.mean(secs)),
    }


def closer_fraction(model: PolicyModel | None, n: int, seed: int = HELDOUT_SEED) -> float:
    """Fraction of single proposed edits that raise the goal score (``None``: random mutation)."""
    rng = np.random.default_rng([seed, 2])
    better = 0
    for _ in range(n):
        prog, img = random_target(rng, lambda p: render(p, SCORE_SIZE), (2, 8))
        cur = noise(prog, rng, int(rng.integers(1, 6)))
        target = Target(img)
        if model is None:
            edit = mutate(cur, rng)
        else:
            props = sample_edits(model, model.target_input(target.mask), [cur], 1, rng)[0]
            edit = props[0].edit
        better += target.score(edit.apply(cur)) > target.score(cur)
    return better / n


def untrained_model(config: dict, modality: str, seed: int = 0, task: str = "edit") -> PolicyModel:
    """An untrained network of the given config (either language), exported and loaded like a
    trained one: :func:`models.export.export_untrained`, weights from a ``torch.Generator``
    seeded with ``seed`` (``python -m models.export --untrained --like ...`` writes the same
    file)."""
    from models.export import export_untrained

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "untrained.onnx"
        export_untrained(config, path, modality, seed, task)
        return PolicyModel.load(path, task=task)


def compare(model_path: Path, n_problems: int, cfg: SearchConfig, n_closer: int = 200) -> dict:
    """Trained vs untrained vs random mutations on the same held-out problems."""
    trained = PolicyModel.load(model_path)
    untrained = untrained_model(trained.config, trained.modality)
    problems = heldout_problems(n_problems)
    from tqdm import tqdm

    results = {}
    methods = {
        "trained": (PolicyProposer(trained), trained),
        "untrained": (PolicyProposer(untrained), untrained),
        "random": (RandomMutationProposer(), None),
    }
    with tqdm(total=len(methods) * n_problems, unit="problem") as bar:
        for name, (proposer, model) in methods.items():
            t = time.time()
            r = solve_rate(proposer, problems, cfg, progress=bar.update)
            r["closer_fraction"] = closer_fraction(model, n_closer)
            r["wall_seconds"] = time.time() - t
            results[name] = r
            bar.set_postfix({name: f"{r['solved']}/{r['n']}"})
    return {"config": vars(cfg), "problems": n_problems, "results": results}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--problems", type=int, default=64)
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--beam", type=int, default=16)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--rank", default="value")
    ap.add_argument("--closer", type=int, default=200)
    ap.add_argument("-o", "--output", type=Path, help="write the results as JSON here")
    args = ap.parse_args(argv)
    cfg = SearchConfig(
        beam_width=args.beam, samples_per_program=args.samples, budget=args.budget, rank=args.rank
    )
    res = compare(args.model, args.problems, cfg, args.closer)
    text = json.dumps(res, indent=1, default=list)
    if args.output:
        args.output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
