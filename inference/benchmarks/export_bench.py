"""Seconds to export large programs to SVG, DXF and PNG (issue 14).

    python -m inference.benchmarks.export_bench [--primitives 16384 4096] [--repeat 3]

Each program is a balanced tree with the given number of primitives, made from a
fixed seed, in one of these families:

* ``random``: random circles and quads, ``+`` and ``-`` at random (60 % ``+``);
* ``same-circle``: one circle united with itself (the vector exports used to
  take about 19 s on this);
* ``small-circles``: the union of small circles at random places;
* ``circles+-``: random circles, ``+`` and ``-`` alternating;
* ``quads+-``: random quads, ``+`` and ``-`` alternating.

The best of ``--repeat`` runs is printed for each format.  Programs this large
cannot be read from a file (``inference.lang.syntax.MAX_PRIMITIVES``); they are built
in code, as a script would.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from inference.files.exports import export_content
from inference.lang.tree import Node, binop, circle, quad

FORMATS = (".svg", ".dxf", ".png")


def balanced(leaves: list[Node], ops: Callable[[int], str]) -> Node:
    """A balanced tree over ``leaves`` (a power of two); ``ops(i)`` is the i-th operator."""
    level, i = list(leaves), 0
    while len(level) > 1:
        nxt = []
        for a, b in zip(level[::2], level[1::2], strict=True):
            nxt.append(binop(ops(i), a, b))
            i += 1
        level = nxt
    return level[0]


def _random_circle(rng: np.random.Generator, r_max: int = 15) -> Node:
    r, x, y = rng.integers(0, r_max + 1), rng.integers(0, 16), rng.integers(0, 16)
    return circle(int(r), int(x), int(y))


def _random_quad(rng: np.random.Generator) -> Node:
    x, y, w, h = (int(v) for v in rng.integers(0, 16, 4))
    return quad(x, y, w, h, 45 * int(rng.integers(0, 8)))


def families(n: int, seed: int = 0) -> dict[str, Node]:
    """The benchmark programs with ``n`` primitives (a power of two), from ``seed``."""
    rng = np.random.default_rng(seed)
    mixed = [_random_circle(rng) if rng.random() < 0.5 else _random_quad(rng) for _ in range(n)]
    signs = ["+" if u < 0.6 else "-" for u in rng.random(n)]
    alternate = "+-".__getitem__
    return {
        "random": balanced(mixed, signs.__getitem__),
        "same-circle": balanced([circle(7, 8, 8)] * n, lambda i: "+"),
        "small-circles": balanced([_random_circle(rng, 1) for _ in range(n)], lambda i: "+"),
        "circles+-": balanced([_random_circle(rng) for _ in range(n)], lambda i: alternate(i % 2)),
        "quads+-": balanced([_random_quad(rng) for _ in range(n)], lambda i: alternate(i % 2)),
    }


def best_seconds(node: Node, suffix: str, repeat: int) -> float:
    """The fastest of ``repeat`` exports of ``node`` to ``suffix``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        export_content(node, suffix)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    """Print a table: family, primitives, then seconds per format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--primitives", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'family':14s} {'primitives':>10s} " + " ".join(f"{s:>7s}" for s in FORMATS))
    for n in args.primitives:
        if n < 1 or n & (n - 1):
            parser.error(f"--primitives {n}: not a power of two")
        for name, node in families(n).items():
            seconds = [best_seconds(node, s, args.repeat) for s in FORMATS]
            print(f"{name:14s} {n:10d} " + " ".join(f"{t:7.2f}" for t in seconds), flush=True)


if __name__ == "__main__":
    main()
