"""CAD-like parts: small programs with holes and several parts, as people draw them.

    python -m inference.noise.cad_parts OUT [--per-kind 6] [--seed 2612]

The policy was trained on random programs; people draw parts.  This module
makes programs of the kinds a person sketches, each 2–5 primitives on the
program grid, so that benchmarks (``python -m inference bench OUT --drawn``)
measure what users see:

* ``plate``: a rectangle with one to three round holes;
* ``washer``: a disc with a concentric hole;
* ``bracket``: an L of two rectangles, half of them with a hole;
* ``house``: a body with a 45° roof, half of them with a door (a notch);
* ``slot``: a bar with round ends (two circles and a rectangle);
* ``flange``: a disc with three holes around its centre;
* ``pair``: two separate parts, a circle or a rectangle each.

Holes are at least one value step (2 canvas units) from each other and from
the edge, and separate parts at least two steps apart, so every feature is at
least one grid step across.  The written folder is laid out like refset-dev
(``problems.jsonl`` with ``id``, ``program``, ``png``; ids are
``<kind>-<n>``), with 128×128 renders, white shapes on black as there.  The
default seed, 2612, is a stream nothing else uses (training draws from its own
seeds, refset-dev comes from an independent generator), so these problems are
held out.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from inference.lang.syntax import parse, to_text
from inference.lang.tree import Node
from inference.render.raster import render

HOLDOUT_SEED = 2612
"""The seed stream of the held-out part set (used nowhere else)."""


def _circle(r: int, x: int, y: int) -> str:
    # centre (2x, 2y), radius 2r canvas units
    return f"(Circle {r} {x} {y})"


def _quad(x: int, y: int, w: int, h: int, angle: int = 0) -> str:
    # centre (2x, 2y) canvas units, half-sides w and h canvas units (DESIGN.md §1)
    return f"(Quad {x} {y} {w} {h} {angle})"


def _minus(base: str, cuts: list[str]) -> str:
    for cut in cuts:
        base = f"(- {base} {cut})"
    return base


def _plus(a: str, b: str) -> str:
    return f"(+ {a} {b})"


def _int(rng: np.random.Generator, lo: int, hi: int) -> int:
    """A uniform integer in ``lo..hi`` (both included)."""
    return int(rng.integers(lo, hi + 1))


def plate(rng: np.random.Generator) -> str:
    """A rectangle with one to three round holes, each 2 units inside the edge and apart."""
    w, h = _int(rng, 8, 14), _int(rng, 6, 10)  # half-sides, canvas units
    x = _int(rng, math.ceil((w + 2) / 2), (30 - w) // 2)
    y = _int(rng, math.ceil((h + 2) / 2), (30 - h) // 2)
    wanted, holes = _int(rng, 1, 3), []
    for _ in range(200):
        if len(holes) == wanted:
            break
        radius = 2 * _int(rng, 1, 2)  # a hole's radius in canvas units: 2 or 4
        hx, hy = _int(rng, 0, 15), _int(rng, 0, 15)
        inside = abs(2 * hx - 2 * x) + radius + 2 <= w and abs(2 * hy - 2 * y) + radius + 2 <= h
        apart = all(
            math.dist((2 * hx, 2 * hy), (2 * ox, 2 * oy)) >= radius + other + 2
            for ox, oy, other in holes
        )
        if inside and apart:
            holes.append((hx, hy, radius))
    if not holes:
        holes.append((x, y, 2))
    return _minus(_quad(x, y, w, h), [_circle(r // 2, hx, hy) for hx, hy, r in holes])


def washer(rng: np.random.Generator) -> str:
    """A disc with a concentric hole, the wall at least one value step (2 units) thick."""
    outer = _int(rng, 3, 7)
    inner = _int(rng, 1, outer - 1)
    x, y = _int(rng, outer, 16 - outer), _int(rng, outer, 16 - outer)
    return _minus(_circle(outer, x, y), [_circle(inner, x, y)])


def bracket(rng: np.random.Generator) -> str:
    """An L of a vertical and a horizontal bar sharing its outer corner; half of the thick
    ones with a round hole in the horizontal leg."""
    t = int(rng.choice([2, 4]))  # half the bars' thickness, canvas units
    up, across = 2 * _int(rng, 4, 6), 2 * _int(rng, 4, 6)  # half-lengths, canvas units
    left, bottom = 2 * _int(rng, 1, 3), 2 * _int(rng, 13, 15)  # outer corner, canvas units
    vertical = _quad((left + t) // 2, (bottom - up) // 2, t, up)
    horizontal = _quad((left + across) // 2, (bottom - t) // 2, across, t)
    text = _plus(vertical, horizontal)
    hole_x = (left + 2 * t + left + 2 * across) // 4  # value units, inside the leg past the bar
    if t == 4 and rng.random() < 0.5 and 2 * hole_x - 4 >= left + 2 * t + 2:
        text = _minus(text, [_circle(1, hole_x, (bottom - t) // 2)])
    return text


def house(rng: np.random.Generator) -> str:
    """A body with a 45° roof on top; half of them with a door cut at the bottom (a notch)."""
    w, h = _int(rng, 5, 8), 2 * _int(rng, 2, 4)  # half-sides, canvas units
    a = max(2, round(w / math.sqrt(2)))  # the roof's half-side: its half-diagonal is about w
    reach = max(w, a * math.sqrt(2))
    x = _int(rng, math.ceil((reach + 1) / 2), math.floor((31 - reach) / 2))
    # the roof's top, 2y - h - a√2, at least 1 unit inside the canvas; the body's bottom too
    y = _int(rng, math.ceil((1 + h + a * math.sqrt(2)) / 2), (31 - h) // 2)
    text = _plus(_quad(x, y, w, h), _quad(x, y - h // 2, a, a, 45))
    if rng.random() < 0.5:
        door_w, door_h = _int(rng, 1, 2), 2 * _int(rng, 1, h // 2 - 1) if h > 4 else 2
        text = _minus(text, [_quad(x, y + (h - door_h) // 2, door_w, door_h)])
    return text


def slot(rng: np.random.Generator) -> str:
    """A bar with round ends: two circles joined by a rectangle."""
    r = _int(rng, 1, 2)
    half = _int(rng, 2, 4)
    x, y = _int(rng, half + r + 1, 15 - half - r), _int(rng, 2 * r + 1, 15 - 2 * r)
    return _plus(
        _plus(_circle(r, x - half, y), _circle(r, x + half, y)),
        _quad(x, y, 2 * half, 2 * r),
    )


def flange(rng: np.random.Generator) -> str:
    """A disc with three round holes around its centre, 2 units inside the edge and apart."""
    outer = _int(rng, 5, 7)
    x, y = _int(rng, outer, 16 - outer), _int(rng, outer, 16 - outer)
    for _ in range(200):
        turn, d = rng.uniform(0, 2 * math.pi), outer - _int(rng, 2, 3)
        holes = [
            (
                round(x + d * math.cos(turn + 2 * math.pi * k / 3)),
                round(y + d * math.sin(turn + 2 * math.pi * k / 3)),
            )
            for k in range(3)
        ]
        inside = all(math.dist((hx, hy), (x, y)) * 2 + 2 + 2 <= 2 * outer for hx, hy in holes)
        apart = all(
            math.dist(p, q) * 2 >= 2 + 2 + 2 for i, p in enumerate(holes) for q in holes[i + 1 :]
        )
        if inside and apart:
            return _minus(_circle(outer, x, y), [_circle(1, hx, hy) for hx, hy in holes])
    return _minus(_circle(outer, x, y), [_circle(1, x, y)])


def pair(rng: np.random.Generator) -> str:
    """Two separate parts (a circle or a rectangle each), at least two value steps apart."""
    for _ in range(200):
        shapes = []
        for _ in range(2):
            if rng.random() < 0.5:
                r = _int(rng, 2, 4)
                shapes.append(("c", _int(rng, r, 16 - r), _int(rng, r, 16 - r), r, r))
            else:
                w, h = _int(rng, 3, 7), _int(rng, 3, 7)
                shapes.append(("q", _int(rng, 2, 14), _int(rng, 2, 14), w, h))
        (k1, x1, y1, a1, b1), (k2, x2, y2, a2, b2) = shapes
        # half-extents in units: a circle's radius is 2r; a quad's half-sides are w, h
        e1 = (2 * a1, 2 * b1) if k1 == "c" else (a1, b1)
        e2 = (2 * a2, 2 * b2) if k2 == "c" else (a2, b2)
        gap = max(abs(2 * x1 - 2 * x2) - e1[0] - e2[0], abs(2 * y1 - 2 * y2) - e1[1] - e2[1])
        inside = all(
            e[0] <= 2 * xx <= 32 - e[0] and e[1] <= 2 * yy <= 32 - e[1]
            for e, xx, yy in ((e1, x1, y1), (e2, x2, y2))
        )
        if gap >= 4 and inside:
            texts = [
                _circle(a, xx, yy) if k == "c" else _quad(xx, yy, a, b)
                for k, xx, yy, a, b in shapes
            ]
            return _plus(*texts)
    return _plus(_circle(3, 5, 8), _quad(12, 8, 4, 4))


KINDS: dict[str, Callable[[np.random.Generator], str]] = {
    "plate": plate,
    "washer": washer,
    "bracket": bracket,
    "house": house,
    "slot": slot,
    "flange": flange,
    "pair": pair,
}
"""Every part kind and its generator (a program's canonical text from a Generator)."""


def make_part(kind: str, rng: np.random.Generator) -> Node:
    """A random part of ``kind`` (one of :data:`KINDS`)."""
    return parse(KINDS[kind](rng))


def part_set(per_kind: int, rng: np.random.Generator) -> list[tuple[str, Node]]:
    """``per_kind`` parts of every kind, as ``(id, program)`` with ids ``<kind>-<n>``."""
    return [(f"{kind}-{n}", make_part(kind, rng)) for kind in KINDS for n in range(per_kind)]


def write_part_set(folder: Path, per_kind: int, seed: int = HOLDOUT_SEED) -> Path:
    """Write a problem folder of parts (``problems.jsonl`` and 128×128 PNGs); returns the
    ``problems.jsonl`` path."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for pid, program in part_set(per_kind, np.random.default_rng(seed)):
        image = np.where(render(program, 128), 255, 0).astype(np.uint8)  # as refset-dev: white
        Image.fromarray(image).save(folder / f"{pid}.png")
        lines.append(json.dumps({"id": pid, "program": to_text(program), "png": f"{pid}.png"}))
    path = folder / "problems.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="output folder")
    parser.add_argument("--per-kind", type=int, default=6, help="parts of each kind (6)")
    parser.add_argument("--seed", type=int, default=HOLDOUT_SEED, help=f"seed ({HOLDOUT_SEED})")
    args = parser.parse_args(argv)
    path = write_part_set(args.folder, args.per_kind, args.seed)
    print(f"wrote {path} ({args.per_kind * len(KINDS)} parts)")


if __name__ == "__main__":
    main()
