"""The synthesis benchmark: every method on one problem set, in the same run.

    python -m inference bench DIR [--methods ...] [--budget N] [--limit N] [-o OUT]

``DIR`` holds a ``problems.jsonl`` laid out like refset-dev (records with
``id``, ``program`` and ``png``; a missing ``png`` field means ``<id>.png``).
Every method solves every problem from its image alone; the reference program
is only used to count primitives for the breakdown, to render the target when
its PNG is absent or to simulate a sketch (``sketch=True``) or a filled hand
drawing (``drawn``), and, after the search, to record ``truth_score``: the goal
score of the found program against the reference program's render (for sketches
and drawings, the table counts the solves that are the true shape and not, say,
a sketch's complement, which has the same outline).  Each
(method, problem) pair gets the seed ``[seed, problem index]``.

A search stops at its first solve and a run with a smaller budget is a
prefix of one with a larger budget (:mod:`inference.search.beam`), so the calls
at which each problem was solved give the whole *fraction solved vs renderer
calls* curve (the paper's Fig. 4) from one run per method.

Outputs in ``OUT``: ``bench.md`` (table), ``bench.json`` (summary, curves and
settings), ``records.jsonl`` (one record per method and problem) and
``bench.png`` (the curves; needs matplotlib, a dev dependency).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from inference.files.fileio import atomic_write_bytes, read_problems, read_text
from inference.files.images import load_target
from inference.lang.grammar import CSG2D
from inference.lang.syntax import to_text
from inference.lang.tree import Node
from inference.render.raster import pack, render
from inference.search.search_run import SearchEvent
from inference.search.synthesize import UNLIMITED_CALLS, final_event, run_method
from inference.search.tidy import tidy
from inference.targets.drawing_target import DrawingTarget
from inference.targets.score import goal_score
from inference.targets.shape_match import ShapeMatch
from inference.targets.sketch import simulate_drawing, simulate_sketch
from inference.targets.svg_score import GOAL_FRACTION
from inference.targets.target import Target
from inference.util.cancellation import with_deadline

Runner = Callable[[Target, np.random.Generator, int, Callable | None], Iterator[SearchEvent]]
"""A method: ``(target, rng, budget, cancel)`` → its search events."""
PRIMITIVE_BANDS = ((2, 3), (4, 5), (6, 8))
"""Primitive-count bands of the table's breakdown (as DESIGN.md §2b)."""
CHECKPOINTS = (500, 1000, 2000, 5000)
"""Budgets at which the table also reports the fraction solved."""
TRUE_SHAPE = 0.9
"""A sketch solve is the *true shape* when its goal score against the reference program's
render is at least this (an outline fit cannot tell a shape from its complement)."""
RIGHT_SHAPE = 0.95
"""A result is the *right shape* when its goal score against the reference program's render
is at least this and it has the same parts and holes (:mod:`inference.targets.shape_match`)."""
FALSE_SOLVE = 0.90
"""A solve is *false* when its parts and holes differ from the reference program's, or its
goal score against the reference render is under this (issues 11 and 12)."""


@dataclass(frozen=True)
class Problem:
    """One benchmark problem: its id, the reference program, the target, and its index in
    the problem file (which seeds the methods, so a problem gets the same seed in any slice)."""

    id: str
    program: Node
    target: Target
    index: int = 0


@dataclass(frozen=True)
class Record:
    """One method's result on one problem."""

    problem: str
    method: str
    solved: bool
    score: float
    calls: int
    seconds: float
    primitives: int
    program: str
    truth_score: float = 0.0
    same_features: bool = False
    same_parts: bool = False

    @property
    def right_shape(self) -> bool:
        """The same parts and holes as the reference, no material thicker than edge
        displacement added or left out, and a goal score of at least :data:`RIGHT_SHAPE`."""
        return self.same_features and self.truth_score >= RIGHT_SHAPE

    @property
    def false_solve(self) -> bool:
        """Reported solved, but other parts or holes than the reference, or a goal score
        under :data:`FALSE_SOLVE` against it (issue 12's rule)."""
        return self.solved and (not self.same_parts or self.truth_score < FALSE_SOLVE)

    @property
    def wrong_parts(self) -> bool:
        """Reported solved with other parts or holes than the reference (missing, added,
        joined or split ones, :mod:`inference.targets.shape_match`)."""
        return self.solved and not self.same_parts

    @property
    def kind(self) -> str:
        """The part kind of an id ``<kind>-<n>`` (:mod:`inference.noise.cad_parts`), else ``""``."""
        head, _, tail = self.problem.rpartition("-")
        return head if head and tail.isdigit() else ""


def load_problems(
    folder: str | os.PathLike,
    limit: int | None = None,
    sketch: bool = False,
    seed: int = 0,
    skip: int = 0,
    drawn: float = 0.0,
    pen: float | None = None,
    jitter: float = 1.0,
) -> list[Problem]:
    """Problems ``skip`` … ``limit − 1`` of ``folder/problems.jsonl`` with their targets (the
    first ``limit``, less the first ``skip``).

    With ``sketch`` the targets are simulated outline sketches; with ``drawn`` > 0 they are
    simulated filled hand drawings (:func:`inference.targets.sketch.simulate_drawing`) scored
    with the tolerant score at that tolerance in canvas units
    (:mod:`inference.targets.drawn_score`), drawn with a pen ``pen`` units wide (default:
    random per drawing) and ring jitter scaled by ``jitter`` (see
    :func:`inference.targets.sketch.simulate_drawing`).

    Raises:
        ProgramFileError: a missing or malformed problem file.
        inference.files.images.ImageError: an unreadable target image.
    """
    folder = Path(folder)
    path = folder / "problems.jsonl" if folder.is_dir() else folder
    items = read_problems(path)[:limit]
    pngs = _png_names(path)
    problems = []
    for i, (pid, program) in enumerate(items):
        if i < skip:
            continue
        if program.grammar is not CSG2D:
            if sketch or drawn:
                raise ValueError(f"{pid}: sketches and drawings are of CSG2D programs only")
            png = path.parent / pngs.get(pid, f"{pid}.png")
            target = DrawingTarget(_rgb(png)) if png.is_file() else DrawingTarget.of(program)
            problems.append(Problem(pid, program, target, i))
            continue
        if sketch:
            ink = simulate_sketch(program, np.random.default_rng([seed, i, 1]), 128)
            target = Target.from_sketch(ink)
        elif drawn:
            rng = np.random.default_rng([seed, i, 2])
            drawing = simulate_drawing(program, rng, 128, pen_width=pen, jitter=jitter)
            target = Target(drawing >= 0.5, tolerance=drawn)
        else:
            png = path.parent / pngs.get(pid, f"{pid}.png")
            image = load_target(png, 128) if png.is_file() else render(program, 128)
            target = Target(image)
        problems.append(Problem(pid, program, target, i))
    return problems


def _rgb(png: Path) -> np.ndarray:
    """A TinySVG problem's 224×224 RGB image."""
    from PIL import Image

    with Image.open(png) as image:
        return np.asarray(image.convert("RGB"))


def _png_names(path: Path) -> dict[str, str]:
    """``id → png`` file names given in the records (validated by ``read_problems``)."""
    names = {}
    for line in read_text(path).split("\n"):  # as read_problems: not at U+2028, \x1c…
        if line.strip():
            rec = json.loads(line)
            png = rec.get("png")
            if isinstance(png, str) and png and "/" not in png and "\\" not in png:
                names[rec["id"]] = png
    return names


def make_runner(method: str, model=None, config=None) -> Runner:
    """A :data:`Runner` for a :mod:`inference.search.synthesize` method (``model`` for policy
    methods; ``config``, a :class:`~inference.search.beam.SearchConfig`, for the beam methods)."""

    def runner(target, rng, budget, cancel):
        return run_method(method, target, rng, budget, model, cancel, config)

    return runner


def run_bench(
    problems: Sequence[Problem],
    methods: dict[str, Runner],
    budget: int,
    seed: int = 0,
    progress: Callable[[str, Record], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    tidied: bool = True,
    seconds: float | None = None,
) -> list[Record]:
    """Run every method on every problem (method by method); one :class:`Record` each.

    With ``tidied`` (the default) the found program is tidied within what is left of the
    budget (:mod:`inference.search.tidy`), as ``synthesize`` and the editor's auto-run do.
    ``seconds`` limits each run by the clock too, as ``synthesize --seconds`` does
    (:func:`inference.util.cancellation.with_deadline`).
    """
    records = []
    for name, runner in methods.items():
        for pb in problems:
            rng = np.random.default_rng([seed, pb.index])
            t0 = time.perf_counter()
            last = final_event(runner(pb.target, rng, budget, with_deadline(cancel, seconds)))
            program, score, calls = last.program, float(last.score), int(last.calls)
            free = pb.program.grammar is not CSG2D  # TinySVG's move merge needs no call
            if tidied and (calls < budget or free):  # what synthesize and the editor hand out
                program, extra = tidy(program, pb.target, score=score, max_calls=budget - calls)
                score, calls = float(pb.target.score(program)), calls + extra
            truth_score, same_features, same_parts = _against_truth(pb.program, program)
            rec = Record(
                pb.id,
                name,
                bool(last.solved) or bool(pb.target.solves(score)),
                score,
                calls,
                time.perf_counter() - t0,
                pb.program.sigma,
                to_text(program),
                truth_score,
                same_features,
                same_parts,
            )
            records.append(rec)
            if progress is not None:
                progress(name, rec)
    return records


def _against_truth(truth: Node, found: Node) -> tuple[float, bool, bool]:
    """The found program against the reference: its goal score against the reference's
    render, and whether it has the same features and the same parts and holes
    (:mod:`inference.targets.shape_match`; a TinySVG drawing has both when it reaches the
    goal against the reference's render)."""
    if truth.grammar is not CSG2D:
        score = DrawingTarget.of(truth).score(found)
        same = bool(score > GOAL_FRACTION)
        return score, same, same
    truth_mask, found_mask = render(truth, 128), render(found, 128)
    differences = ShapeMatch(pack(truth_mask), 128).mismatches(pack(found_mask))
    same_parts = not any(m.kind != "material" for m in differences)
    return goal_score(found_mask, truth_mask), not differences, same_parts


def solve_curve(records: Sequence[Record], budgets: Sequence[int]) -> list[float]:
    """Fraction of ``records`` solved within each budget."""
    n = max(len(records), 1)
    solved = np.sort([r.calls for r in records if r.solved])
    return [float(np.searchsorted(solved, b, side="right") / n) for b in budgets]


def curve_budget(records: Sequence[Record], budget: int | None) -> int:
    """The budget a run's solved-against-calls curves run to: ``budget``, or the most calls
    used when the run had no call limit (:data:`UNLIMITED_CALLS`: limited by the clock)."""
    if not budget or budget >= UNLIMITED_CALLS:
        return max((r.calls for r in records), default=1)
    return int(budget)


def summarize(records: Sequence[Record], budget: int) -> dict:
    """Per-method summary rows and curves (``{"methods": {...}, "budgets": [...]}``)."""
    budgets = sorted({int(b) for b in np.linspace(0, budget, 101)})
    checkpoints = [b for b in CHECKPOINTS if b < budget] + [budget]
    out: dict = {"budget": budget, "budgets": budgets, "checkpoints": checkpoints, "methods": {}}
    for name in dict.fromkeys(r.method for r in records):
        recs = [r for r in records if r.method == name]
        solved = [r for r in recs if r.solved]
        bands = {}
        for lo, hi in PRIMITIVE_BANDS:
            band = [r for r in recs if lo <= r.primitives <= hi]
            bands[f"{lo}-{hi}"] = [sum(r.solved for r in band), len(band)]
        out["methods"][name] = {
            "solved": len(solved),
            "n": len(recs),
            "solve_rate": len(solved) / max(len(recs), 1),
            "mean_score": float(np.mean([r.score for r in recs])) if recs else 0.0,
            "solved_true_shape": sum(r.truth_score >= TRUE_SHAPE for r in solved),
            "right_shape": sum(r.right_shape for r in recs),
            "false_solves": sum(r.false_solve for r in recs),
            "wrong_parts": sum(r.wrong_parts for r in recs),
            "kinds": _by_kind(recs),
            "median_seconds_solved": _median([r.seconds for r in solved]),
            "median_calls_solved": _median([r.calls for r in solved]),
            "total_seconds": float(sum(r.seconds for r in recs)),
            "bands": bands,
            "at_checkpoints": solve_curve(recs, checkpoints),
            "curve": solve_curve(recs, budgets),
        }
    return out


def _by_kind(records: Sequence[Record]) -> dict[str, list[int]]:
    """``kind → [right shape, false solves, problems]`` for part ids (empty otherwise)."""
    out: dict[str, list[int]] = {}
    if records and all(r.kind for r in records):
        for r in records:
            row = out.setdefault(r.kind, [0, 0, 0])
            row[0] += r.right_shape
            row[1] += r.false_solve
            row[2] += 1
    return out


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def markdown_table(summary: dict, notes: Sequence[str] = (), sketch: bool = False) -> str:
    """The summary as a markdown table (plus notes, e.g. methods not run).

    With ``sketch`` (any inexact target: sketches and drawings), columns count the solves
    that are the true shape (see :data:`TRUE_SHAPE`), the results that are the right
    shape (:data:`RIGHT_SHAPE`) and the false solves (:data:`FALSE_SOLVE`); for
    part ids (:mod:`inference.noise.cad_parts`) a second table breaks them down by kind.
    """
    cps = summary["checkpoints"]
    head = ["method", "solved", "rate", "mean score", "median s / solved", "median calls / solved"]
    head += [f"solved, true shape (goal ≥ {TRUE_SHAPE})"] if sketch else []
    head += ["right shape", "false solves", "of them wrong parts"] if sketch else []
    head += [f"{b} prims" for b in (f"{lo}–{hi}" for lo, hi in PRIMITIVE_BANDS)]
    head += [f"≤{b} calls" for b in cps]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, m in summary["methods"].items():
        secs, calls = m["median_seconds_solved"], m["median_calls_solved"]
        row = [
            name,
            f"{m['solved']}/{m['n']}",
            f"{m['solve_rate']:.3f}",
            f"{m['mean_score']:.3f}",
            "—" if secs is None else f"{secs:.2f}",
            "—" if calls is None else f"{calls:.0f}",
        ]
        row += [f"{m['solved_true_shape']}/{m['n']}"] if sketch else []
        row += (
            [f"{m['right_shape']}/{m['n']}", str(m["false_solves"]), str(m["wrong_parts"])]
            if sketch
            else []
        )
        row += [f"{s}/{n}" for s, n in m["bands"].values()]
        row += [f"{f:.3f}" for f in m["at_checkpoints"]]
        lines.append("| " + " | ".join(row) + " |")
    text = "\n".join(lines) + "\n"
    kinds = [(name, m["kinds"]) for name, m in summary["methods"].items() if m.get("kinds")]
    if kinds:
        text += "\n" + _kind_table(kinds)
    if notes:
        text += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    return text


def _kind_table(kinds: list[tuple[str, dict[str, list[int]]]]) -> str:
    """Right shape (false solves) by part kind, one column per method."""
    names = list(dict.fromkeys(k for _, per in kinds for k in per))
    lines = ["| part kind | " + " | ".join(m for m, _ in kinds) + " |"]
    lines.append("|" + " --- |" * (len(kinds) + 1))
    for kind in names:
        cells = []
        for _, per in kinds:
            right, false, n = per.get(kind, [0, 0, 0])
            cells.append(f"{right}/{n} ({false})")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "Right shape by part kind (false solves in brackets):\n\n" + "\n".join(lines) + "\n"


LINE_STYLES = ("-", "--", "-.", ":")
"""Line styles of the plot's curves, in turn, so that curves on top of each other (at 0, say)
can still be told apart."""


def plot_png(summary: dict, title: str = "") -> bytes:
    """PNG bytes of fraction solved vs renderer calls, every method on one plot (the paper's
    Fig. 4); each legend entry gives the method's solved count.

    Raises:
        ImportError: matplotlib is not installed (a dev dependency).
    """
    from matplotlib.figure import Figure  # lazily: the runtime does not need matplotlib

    fig = Figure(figsize=(7, 4.5), dpi=120)
    ax = fig.add_subplot()
    for k, (name, m) in enumerate(summary["methods"].items()):
        style = LINE_STYLES[k % len(LINE_STYLES)]
        label = f"{name} ({m['solved']}/{m['n']})"
        ax.step(summary["budgets"], m["curve"], where="post", label=label, linestyle=style)
    ax.set_xlabel("renderer calls")
    ax.set_ylabel("fraction solved")
    ax.set_xlim(0, summary["budget"])
    ax.set_ylim(-0.02, 1.02)  # a curve at 0 or 1 stays clear of the frame
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def write_outputs(
    out: Path, summary: dict, records: Sequence[Record], settings: dict, notes=()
) -> list[Path]:
    """Write the table, summary, records and plot atomically; returns the paths written.

    Raises:
        ImportError: matplotlib is missing (the other files are written first).
    """
    inexact = bool(settings.get("sketch") or settings.get("drawn"))
    md = markdown_table(summary, notes, sketch=inexact)
    head = f"# Synthesis benchmark\n\nSettings: `{json.dumps(settings)}`\n\n"
    data = {"settings": settings, "notes": list(notes), **summary}
    lines = "".join(json.dumps(asdict(r)) + "\n" for r in records)
    written = []
    for name, content in (
        ("bench.md", head + md),
        ("bench.json", json.dumps(data, indent=1) + "\n"),
        ("records.jsonl", lines),
    ):
        atomic_write_bytes(out / name, content.encode())
        written.append(out / name)
    title = f"{settings.get('problems', '')} problems, budget {summary['budget']}"
    if settings.get("language", "CSG2D") != "CSG2D":
        title = f"{settings['language']}: {title}"
    atomic_write_bytes(out / "bench.png", plot_png(summary, title))
    written.append(out / "bench.png")
    return written
