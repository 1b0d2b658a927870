"""Hand drawings of TinySVG problems, searched exactly and with an edge tolerance.

    python -m inference.benchmarks.svg_hand_bench DIR --budget 2000 --tolerances 0 1

Each program of ``DIR/problems.jsonl`` (``inference.benchmarks.drawing_problems``) is drawn by
hand (:func:`inference.targets.svg_drawing.simulate_svg_drawing`, stream ``[seed, 7717, i]``),
and each drawing is searched as the editor's auto-run does (``--method``, default tree
diffusion with its structure-first fit, then tidy) once per tolerance
(:class:`inference.targets.drawing_target.DrawingTarget`; 0 is the exact goal score).  A
result is *right* when it shows the shapes the program shows, one for one
(:func:`same_shapes`); a *false solve* is a solved result that is not right.  The colour
IoU of the result's render with the program's is reported beside it (the drawings' own is
about 0.77: a result that follows a drawing exactly is that far from the program).  One
markdown table row per tolerance.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import numpy as np

from inference.files.fileio import read_problems
from inference.lang.tinysvg import ellipse, rectangle
from inference.lang.tree import Node
from inference.model.onnx_model import PolicyModel, default_svg_model_path
from inference.render.svg_scene import CANVAS, COLOURS, render
from inference.search.svg_repl import HALF_UNIT, MIN_COLOUR_PIXELS, PAINTS, lines_of
from inference.search.synthesize import final_event, needs_model, run_method
from inference.search.tidy import tidy
from inference.targets.drawing_target import DrawingTarget
from inference.targets.svg_drawing import simulate_svg_drawing
from inference.targets.svg_score import colour_iou

EDGE_UNITS = 1
"""How far (units) a right result's edges may be from the program's."""
STREAM = 7717
"""The second word of the drawings' seed stream (nothing else draws from it)."""


@dataclass
class Outcome:
    """One drawing searched at one tolerance."""

    solved: bool
    right: bool
    iou: float
    lines: int
    truth_lines: int
    seconds: float


def shown_shapes(program) -> list:
    """The lines of ``program`` that show: filled with a colour other than white that the
    render paints on at least :data:`~inference.search.svg_repl.MIN_COLOUR_PIXELS` pixels
    of their box."""
    image = render(program)
    out = []
    for line in lines_of(program):
        rgb = COLOURS.get(line.fill)
        if rgb is None or line.fill == "white":
            continue
        rows, cols = line.pixels()
        shown = np.all(image[rows, cols] == np.array(rgb, np.uint8), axis=-1).sum()
        if shown >= MIN_COLOUR_PIXELS:
            out.append(line)
    return out


def same_shapes(found, truth) -> bool:
    """Whether ``found`` shows the shapes ``truth`` shows, one for one: the same fill, every
    edge within :data:`EDGE_UNITS` units (where it is on the canvas), and the same kind
    where both sides are at least 3 units (smaller, a drawn ellipse and rectangle look
    alike)."""
    mine, theirs = shown_shapes(found), shown_shapes(truth)
    if len(mine) != len(theirs):
        return False
    left = list(mine)
    for t in theirs:
        match = next((m for m in left if _alike(m, t)), None)
        if match is None:
            return False
        left.remove(match)
    return True


def _edges(line) -> tuple[float, ...]:
    """A line's left, right, top and bottom edges in half units, clipped to the canvas."""
    rim = CANVAS / 2 / HALF_UNIT
    box = (line.x - line.w, line.x + line.w, line.y - line.h, line.y + line.h)
    return tuple(min(max(v, -rim), rim) for v in box)


def _alike(a, b) -> bool:
    if a.fill != b.fill:
        return False
    off = max(abs(p - q) for p, q in zip(_edges(a), _edges(b), strict=True))  # half units
    if off > 2 * EDGE_UNITS:
        return False
    return a.kind == b.kind or min(a.w, a.h, b.w, b.h) < 3


def plain(program: Node, rng: np.random.Generator) -> Node:
    """``program`` as a person draws it with the pen and the fill: no strokes, and a white
    shape (paper on paper) in another colour."""
    if program.kind in ("Rectangle", "Ellipse"):
        w, h, fill = (c.value for c in program.children[:3])
        if fill in ("white", "none"):
            fill = str(rng.choice([c for c in PAINTS if c != "white"]))
        return rectangle(w, h, fill) if program.kind == "Rectangle" else ellipse(w, h, fill)
    if not program.children:
        return program
    return Node(program.kind, program.value, tuple(plain(c, rng) for c in program.children))


def run(folder, budget, tolerances, method="tree-diffusion", limit=None, seed=0, model=None, **kw):
    """``{tolerance: [Outcome, ...]}`` over the first ``limit`` problems of ``folder``
    (with ``plain=True``, each program made :func:`plain` first)."""
    path = f"{folder}/problems.jsonl"
    problems = read_problems(path)[:limit]
    out = {t: [] for t in tolerances}
    for i, (_, program) in enumerate(problems):
        if kw.get("plain"):
            program = plain(program, np.random.default_rng([seed, STREAM, i, 1]))
        drawing = simulate_svg_drawing(program, np.random.default_rng([seed, STREAM, i]))
        truth = render(program)
        for t in tolerances:
            target = DrawingTarget(drawing, tolerance=t)
            t0 = time.perf_counter()
            rng = np.random.default_rng([seed, i])
            last = final_event(run_method(method, target, rng, budget, model))
            found, _ = tidy(last.program, target, score=last.score, max_calls=budget - last.calls)
            seconds = time.perf_counter() - t0
            solved = bool(target.solves(target.score(found)))
            iou = colour_iou(render(found), truth)
            right = same_shapes(found, program)
            lines = len(lines_of(found))
            out[t].append(Outcome(solved, right, iou, lines, len(lines_of(program)), seconds))
    return out


def table(results) -> str:
    """The markdown table of :func:`run`'s results."""
    rows = [
        "| tolerance | solved | right | false solves | mean colour IoU | primitives found / drawn "
        "| median s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t, outs in results.items():
        n = len(outs)
        solved = sum(o.solved for o in outs)
        right = sum(o.right for o in outs)
        false = sum(o.solved and not o.right for o in outs)
        iou = statistics.fmean(o.iou for o in outs)
        found = sum(o.lines for o in outs) / max(1, sum(o.truth_lines for o in outs))
        secs = statistics.median(o.seconds for o in outs)
        name = "exact" if not t else f"±{t:g} u"
        rows.append(
            f"| {name} | {solved}/{n} | {right}/{n} | {false} | {iou:.3f} | {found:.2f} "
            f"| {secs:.1f} |"
        )
    return "\n".join(rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", metavar="DIR", help="a TinySVG problem set (drawing_problems)")
    ap.add_argument("--budget", type=int, default=2000, help="renderer calls a search")
    ap.add_argument("--tolerances", type=float, nargs="+", default=[0.0, 1.0])
    ap.add_argument("--method", default="tree-diffusion")
    ap.add_argument("--limit", type=int, default=None, help="the first N problems only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default=None, help="TinySVG policy (default: the shipped one)")
    ap.add_argument(
        "--plain", action="store_true", help="strokes left out and white shapes recoloured"
    )
    args = ap.parse_args(argv)
    model = None
    if needs_model(args.method):
        path = args.model or default_svg_model_path()
        model = PolicyModel.load(str(path), language="TinySVG")
    results = run(
        args.folder,
        args.budget,
        args.tolerances,
        args.method,
        args.limit,
        args.seed,
        model,
        plain=args.plain,
    )
    print(table(results))


if __name__ == "__main__":
    main()
