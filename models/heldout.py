"""Compare weights on the same held-out examples: exact targets, sketches, hand drawings, parts.

    python -m models.heldout models/policy.weights.pt runs/X/weights.pt --n 512

Each weights file (``weights.pt`` or ``checkpoint.pt``) is scored teacher-forced on the
held-out sets a mixed run with drawings and parts logs (``models.train.heldout_sets``):
``heldout`` (exact filled targets, ``--n`` examples), ``heldout_sketch``, ``heldout_drawn``
and ``heldout_parts`` (a quarter as many each).  The examples come from ``--seed``'s
held-out stream, which no training stream draws from, so two runs of different seeds can be
judged on the same examples.  Prints one row per weights file and set, and with ``--json``
writes them too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from models.data import DataConfig
from models.network import EditNet, NetConfig
from models.train import heldout_batches, heldout_metrics

SETS = ("heldout", "heldout_sketch", "heldout_drawn", "heldout_parts")
FIGURES = ("pos_acc", "exact_acc")


def load_network(path: Path) -> EditNet:
    """The network a ``weights.pt`` or ``checkpoint.pt`` holds, in float32 on the CPU."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    net = EditNet(NetConfig.from_dict(ck["config"]))
    net.load_state_dict(ck["model"])
    return net.eval()


def compare(paths: list[Path], n: int, seed: int) -> list[dict]:
    """Rows of ``{"weights", "set", "pos_acc", "exact_acc"}`` (and ``ce`` for exact targets)
    for every weights file on the same held-out sets."""
    nets = [(p, load_network(p)) for p in paths]
    image_size = {net.cfg.image_size for _, net in nets}
    if len(image_size) != 1 or {net.cfg.language for _, net in nets} != {"CSG2D"}:
        raise SystemExit("models.heldout compares CSG2D networks of one image size")
    cfg = DataConfig(
        seed=seed,
        image_size=image_size.pop(),
        modality="mixed",
        drawn_fraction=0.3,
        parts_fraction=0.3,
    )
    held = heldout_batches(seed, n, cfg)
    rows = []
    for path, net in nets:
        metrics = heldout_metrics(net, held, "cpu")
        for name in SETS:
            row = {"weights": str(path), "set": name}
            row |= {f: metrics[f"{name}_{f}"] for f in FIGURES}
            if name == "heldout":
                row["ce"] = metrics["heldout_ce"]
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", type=Path, nargs="+", help="weights.pt or checkpoint.pt files")
    ap.add_argument("--n", type=int, default=512, help="exact held-out examples (default 512)")
    ap.add_argument("--seed", type=int, default=0, help="held-out stream (default 0)")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args(argv)
    for path in args.weights:
        if not path.is_file():
            raise SystemExit(f"models.heldout: no such file: {path}")
    rows = compare(args.weights, args.n, args.seed)
    print(f"{'set':16} {'pos_acc':>8} {'exact_acc':>9}  weights")
    for r in rows:
        print(f"{r['set']:16} {r['pos_acc']:8.3f} {r['exact_acc']:9.3f}  {r['weights']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
