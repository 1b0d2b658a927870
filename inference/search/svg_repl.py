"""The REPL-style baseline for TinySVG (issue 17): search only, no learned policy or value.

The same loop as CSG2D's (:mod:`inference.search.repl_baseline`, after Ellis et al. 2019):
build the drawing one primitive at a time, every candidate scored against the target with
the renderer, a beam of partial drawings, a greedy polish of each new primitive, and a
final polish of everything with the calls that are left.

TinySVG has no absolute coordinates: ``Arrange`` places its children by each other's
sizes, so a plain ``(Arrange h P new gap)`` moves ``P`` whenever ``new`` grows.  The
search therefore keeps a REPL's *lines*: each :class:`Line` is a rectangle or ellipse
with its centre at an absolute canvas position (a multiple of 3 px, half a unit), painted
over the lines before it, and scores them by their placed primitives.  :func:`compile_lines`
writes the lines as a TinySVG program that draws exactly the same image:

* the primitives, in painting order (lines that touch no pixel in common also left to
  right or top to bottom), in a chain of ``Arrange`` (``h`` or ``v``, whichever gives the
  shorter program), each taken to its place by ``Move`` nodes (chains past 9 units);
* ``Move`` steps are whole units, so a centre half a unit off the chain's grid gets a
  spacer, a rectangle with a zero side that paints nothing: along the chain the part is
  widened by a unit, across it the part is nudged by half a unit.

For example two lines side by side, a red square and a blue circle, compile to
``(Arrange h (Rectangle 3 3 red none 0) (Ellipse 2 2 blue none 0) 1)``: a hand-written
program's length, about 5–20 tokens a line, where a placement by fixed cells of spacers
took about 51 (the programs of sessions 13–18).

The search:

1. Start from no lines (the blank canvas, whose score needs no render).
2. Score every line of a coarse grid (:func:`line_grid`: a square of each colour at a grid
   of positions) painted over each partial drawing of the beam.
3. Polish the best ``tries`` of them (one per partial and colour first) by hill climbing
   (:func:`climb`): the new line's :func:`neighbours` (the other kind, nearby sizes,
   positions ±1, 2, 4, 8, 16 half units, one edge moved, stroke widths, every other fill
   and stroke colour, the stroke dropped with the box a unit larger or smaller) and its
   other places in the painting order, taking the *first* strict improvement found (the
   best one costs a whole round of calls per step and solved far fewer problems).  Keep
   the best ``beam_width`` polished drawings when one beats the best so far.
4. When none does, polish every line of the best drawing in turn (taking a line out is a
   change too); when that does not help either, polish the next grid candidates until one
   helps; when none does, stop.
5. Repeat until the target is solved, the drawing has ``max_primitives`` lines, or the
   budget is spent; then polish every line with the calls that are left.

The search stops at the first candidate that solves the target, so a run with a smaller
budget is a prefix of one with a larger budget and ``bench`` reads the whole
solved-against-calls curve from one run (as for the beam search).

Every candidate is one renderer call against the same budget.  Candidates are rendered from
their placed primitives (:func:`inference.render.svg_scene.render_scene`, the image the
compiled program renders to) and scored with the target's goal score
(:class:`~inference.targets.drawing_target.DrawingTarget`) over the pixels the changed line
can touch, the rest being the same as a cached base image.  It is deterministic and draws
no random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise, product

import numpy as np

from inference.lang.grammar import SVG_COLOURS
from inference.lang.tinysvg import ELLIPSE, RECTANGLE, arrange, digit, move, rectangle
from inference.lang.tinysvg import colour as colour_leaf
from inference.lang.tree import Node, make
from inference.render.svg_scene import CANVAS, COLOURS, UNIT, Placed, layout, render_scene
from inference.search.residual_fit import FitResult
from inference.search.search_run import ProgressFn, SearchEvent, SearchRun
from inference.targets.drawing_target import DrawingTarget
from inference.targets.svg_score import score_of_total
from inference.targets.svg_tolerance import near

HALF_UNIT = 3
"""Canvas pixels per step of a line's position."""
PAINTS = tuple(c for c in SVG_COLOURS if c != "none")
"""The colours that paint."""
KINDS = (RECTANGLE, ELLIPSE)
MIN_GAIN = 1e-12
"""A change must raise the score by more than this to be taken."""
REPORT_EVERY = 100
"""Renderer calls between two progress reports (a call takes about 1 ms)."""


@dataclass(frozen=True)
class Line:
    """One REPL line: a rectangle or ellipse at an absolute position.

    Attributes:
        kind: ``"Rectangle"`` or ``"Ellipse"``.
        w, h, fill, stroke, sw: the primitive's values (docs/TINYSVG.md).
        x, y: its centre's offset from the canvas centre, in half units (3 px), y down.
    """

    kind: str
    w: int
    h: int
    fill: str
    stroke: str
    sw: int
    x: int
    y: int

    def primitive(self) -> Node:
        """The primitive, without its position."""
        values = (digit(self.w), digit(self.h), colour_leaf(self.fill))
        return make(self.kind, *values, colour_leaf(self.stroke), digit(self.sw))

    def placed(self) -> Placed:
        """Where the compiled program paints it (:func:`inference.render.svg_scene.layout`)."""
        cx = CANVAS / 2 + HALF_UNIT * self.x
        cy = CANVAS / 2 + HALF_UNIT * self.y
        hw, hh = HALF_UNIT * self.w, HALF_UNIT * self.h
        kind = "rect" if self.kind == RECTANGLE else "ellipse"
        return Placed(kind, cx - hw, cy - hh, cx + hw, cy + hh, self.fill, self.stroke, self.sw / 2)

    def pixels(self, size: int = CANVAS) -> tuple[slice, slice]:
        """Rows and columns (at ``size`` px) that the line's fill and stroke can touch."""
        p, scale = self.placed(), size / CANVAS
        grow = p.stroke_px / 2 if self.stroke != "none" else 0.0
        x0, x1 = (p.x0 - grow) * scale, (p.x1 + grow) * scale
        y0, y1 = (p.y0 - grow) * scale, (p.y1 + grow) * scale
        clip = lambda v: min(max(int(v), 0), size)  # noqa: E731
        return slice(clip(np.floor(y0) - 1), clip(np.ceil(y1) + 1)), slice(
            clip(np.floor(x0) - 1), clip(np.ceil(x1) + 1)
        )


def _spacer(w: int, h: int) -> Node:
    """A rectangle with a zero side: it takes layout room and paints nothing."""
    return rectangle(w, h, "none", "none", 0)


def _bar(d: str, length: int) -> Node:
    """Nothing painted, ``length`` units long along ``d`` and 0 across (two spacers past
    9 units)."""
    if length > 9:
        return arrange(d, _bar(d, 5), _bar(d, length - 5))
    return _spacer(length, 0) if d == "h" else _spacer(0, length)


def _moved(node: Node, dx: int, dy: int) -> Node:
    """``node`` moved by (dx, dy) units, a chain of Moves of at most 9 each (none for 0, 0)."""
    while dx or dy:
        sx, sy = max(-9, min(9, dx)), max(-9, min(9, dy))
        node = move(node, abs(sx), abs(sy), sx < 0, sy < 0)
        dx, dy = dx - sx, dy - sy
    return node


def _nudged(node: Node, d: str) -> Node:
    """``node`` half a unit right (``d`` = ``"h"``) or down of its box's centre: a box one
    unit longer along ``d``, with a 1-unit spacer first."""
    return arrange(d, _bar(d, 1), node)


def _widened(node: Node, d: str, length: int) -> Node:
    """``node`` centred in a box one unit longer along ``d`` than its ``length``."""
    return arrange("v" if d == "h" else "h", node, _bar(d, length + 1))


def _along(line: Line, d: str) -> tuple[int, int, int]:
    """The line's size in units along ``d``, and its centre along and across ``d``."""
    return (line.w, line.x, line.y) if d == "h" else (line.h, line.y, line.x)


def _gap_choices(lines: Sequence[Line], d: str) -> list[tuple[int, ...]]:
    """Each ``Arrange``'s gaps to try: 0, and the units between the two lines' boxes along
    ``d`` when that is a gap the grammar has."""
    out = []
    for a, b in pairwise(lines):
        pa, pb = a.placed(), b.placed()
        units = ((pb.x0 - pa.x1) if d == "h" else (pb.y0 - pa.y1)) / UNIT
        out.append((0, int(units)) if units == int(units) and 0 < units <= 9 else (0,))
    return out


def _chained(lines: Sequence[Line], d: str, gaps, parity: int, moves=None) -> Node:
    """The lines' primitives (moved by ``moves``, units) in a right-nested ``Arrange``
    chain along ``d``, with the spacers that put every centre on the parity of its line.

    Along ``d``, a part's centre lies ``total`` half units from the chain's, modulo 2
    (``total``: the chain's length in units), plus its own length when its primitive sits
    at its box's centre; so a part is widened by a unit when its line's parity asks for the
    other, the chain being made ``parity`` long modulo 2 (nudged by half a unit otherwise).
    Across ``d`` every part is centred on the chain's axis and is nudged when its line is
    half a unit off it.  Moves shift paint and not boxes, so this layout holds with them.
    """
    cross = "v" if d == "h" else "h"
    parts, total = [], sum(gaps)
    for i, line in enumerate(lines):
        length, along, across = _along(line, d)
        part = line.primitive() if moves is None else _moved(line.primitive(), *moves[i])
        widen = length % 2 != (along - parity) % 2
        if widen:
            part = _widened(part, d, length)
        if across % 2:
            part = _nudged(part, cross)
        parts.append(part)
        total += length + widen
    program = parts[-1]
    for part, gap in zip(reversed(parts[:-1]), reversed(gaps), strict=True):
        program = arrange(d, part, program, gap)
    return _nudged(program, d) if total % 2 != parity else program


def compile_lines(lines: Sequence[Line]) -> Node:
    """The shortest of a few TinySVG programs that draw ``lines`` in order exactly.

    Each is a chain of ``Arrange`` (``h`` or ``v``; each gap 0 or the one between the two
    lines' boxes) in painting order (or, for lines apart, left to right or top to bottom),
    with a unit's spacer where a centre must lie half a unit off (:func:`_chained`) and
    ``Move`` nodes that take every primitive to its line's place.  Its render equals
    ``render_scene([line.placed() for line in lines])``: the spacers paint nothing and every
    line's box is where :meth:`Line.placed` puts it.  No lines draw nothing,
    ``(Rectangle 0 0 none none 0)``.
    """
    if not lines:
        return _spacer(0, 0)
    lines = [_plain(line) for line in lines]
    best = None
    for order in _orders(lines):
        for d in ("h", "v"):
            for gaps in product(*_gap_choices(order, d)):
                for parity in (0, 1):
                    laid = layout(_chained(order, d, gaps, parity))
                    painted = [p for p in laid if p.x1 > p.x0 and p.y1 > p.y0]
                    moves = [
                        (round((q.x0 - p.x0) / UNIT), round((q.y0 - p.y0) / UNIT))
                        for p, q in zip(painted, (line.placed() for line in order), strict=True)
                    ]
                    program = _chained(order, d, gaps, parity, moves)
                    if best is None or program.size < best.size:
                        best = program
    return best


def _plain(line: Line) -> Line:
    """The line with no stroke written as ``none 0`` (a width under ``none``, or a colour
    of width 0, paints nothing)."""
    if line.stroke == "none" or line.sw == 0:
        return replace(line, stroke="none", sw=0)
    return line


def _orders(lines: list[Line]) -> list[list[Line]]:
    """The painting order, and, when no two lines touch a pixel in common (so the order
    paints the same image), left to right and top to bottom too."""
    spans = [line.pixels() for line in lines]
    for i, (ri, ci) in enumerate(spans):
        for rj, cj in spans[:i]:
            if (
                ri.start < rj.stop
                and rj.start < ri.stop
                and ci.start < cj.stop
                and cj.start < ci.stop
            ):
                return [lines]
    across = sorted(lines, key=lambda line: (line.x, line.y))
    down = sorted(lines, key=lambda line: (line.y, line.x))
    return [lines, *(o for o in (across, down) if o != lines)]


def line_grid(positions: Sequence[int], size: int, colours: Sequence[str]) -> tuple[Line, ...]:
    """The coarse candidates: a ``size``-unit square of each colour at every (x, y) of
    ``positions`` (half units), no stroke."""
    return tuple(
        Line(RECTANGLE, size, size, c, "none", 0, x, y)
        for c in colours
        for y in positions
        for x in positions
    )


def _centre(lo: float, hi: float) -> int:
    """A box's centre along one axis (its edges in canvas px), in half units from the
    canvas centre (a :class:`Line`'s ``x`` or ``y``)."""
    return round(((lo + hi) / 2 - CANVAS / 2) / HALF_UNIT)


MIN_COLOUR_PIXELS = 16
"""The fewest pixels of one colour that :func:`colour_lines` reads as a shape."""


def colour_lines(target: DrawingTarget) -> tuple[Line, ...]:
    """Candidates read off the picture: for each colour but white with at least
    :data:`MIN_COLOUR_PIXELS` pixels of exactly that colour, a rectangle and an ellipse of
    it over those pixels' box (whole units, centred on the half-unit grid).  Scoring by a
    mean squared difference, the grid's squares first cover two shapes side by side with
    one of a colour between theirs; a shape's own box is often the line that belongs."""
    image = target.image
    out = []
    for name, rgb in COLOURS.items():
        if rgb is None or name == "white":
            continue
        mask = np.all(image == np.array(rgb, dtype=np.uint8), axis=-1)
        if int(mask.sum()) >= MIN_COLOUR_PIXELS:
            out += _box_lines(mask, name)
    return tuple(out)


def _box_lines(mask: np.ndarray, fill: str) -> list[Line]:
    """A rectangle and an ellipse filled with ``fill`` over the box of ``mask``'s pixels
    (whole units, centred on the half-unit grid)."""
    rows, cols = np.nonzero(mask)
    x0, x1, y0, y1 = cols.min(), cols.max() + 1, rows.min(), rows.max() + 1
    w = min(9, max(1, round((x1 - x0) / UNIT)))
    h = min(9, max(1, round((y1 - y0) / UNIT)))
    x, y = _centre(x0, x1), _centre(y0, y1)
    return [Line(kind, w, h, fill, "none", 0, x, y) for kind in KINDS]


@dataclass
class SvgReplConfig:
    """TinySVG REPL baseline parameters.

    Attributes:
        budget: most renderer calls in all.
        beam_width: partial drawings kept per step.
        tries: grid candidates polished per step (the best, one per partial and colour
            first); when none of them improves the drawing, the next ones are polished
            until one does or the budget runs out.
        max_primitives: most lines a drawing gets.
        polish_calls: most calls to polish one new line.
        positions: grid centres x and y, in half units from the canvas centre.
        size: the grid squares' side in units.
        colours: the grid squares' fill colours (white is left out: on the empty canvas
            it draws nothing; the polish reaches it).
        reach: a line's centre stays within this many half units of the canvas centre.
    """

    budget: int = 5000
    beam_width: int = 1
    tries: int = 2
    max_primitives: int = 6
    polish_calls: int = 400
    positions: tuple[int, ...] = (-24, -12, 0, 12, 24)
    size: int = 4
    colours: tuple[str, ...] = tuple(c for c in PAINTS if c != "white")
    reach: int = 40


def neighbours(line: Line, reach: int = 40) -> list[Line]:
    """The changes the polish tries: the other kind; nearby sizes, positions and stroke
    widths; one edge moved by a unit (the size and the centre changed together); every
    other fill and stroke colour (a stroke on a line without one comes with width 4); and
    the stroke dropped with the box a unit larger or smaller (a thick stroke of the fill's
    colour grows a box by a fraction of a unit, a local optimum otherwise); and, last, the
    other kind a unit larger or smaller (a drawn circle is first covered by a square a unit
    smaller, from which neither the kind nor the size alone improves)."""
    other = ELLIPSE if line.kind == RECTANGLE else RECTANGLE
    out = [replace(line, kind=other)]
    for field, low, high, steps in (
        ("w", 1, 9, (1, 2, 4)),
        ("h", 1, 9, (1, 2, 4)),
        ("x", -reach, reach, (1, 2, 4, 8, 16)),
        ("y", -reach, reach, (1, 2, 4, 8, 16)),
    ):
        v = getattr(line, field)
        for s in steps:
            for u in (v - s, v + s):
                if low <= u <= high:
                    out.append(replace(line, **{field: u}))
    for size, centre in (("w", "x"), ("h", "y")):
        v, c = getattr(line, size), getattr(line, centre)
        for dv, dc in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            if 1 <= v + dv <= 9 and -reach <= c + dc <= reach:
                out.append(replace(line, **{size: v + dv, centre: c + dc}))
    out += [replace(line, fill=c) for c in SVG_COLOURS if c != line.fill]
    for c in SVG_COLOURS:
        if c != line.stroke:
            sw = 4 if c != "none" and line.sw == 0 else line.sw
            out.append(replace(line, stroke=c, sw=sw))
    if line.stroke != "none" and line.sw > 0:
        for s in (1, 2, 4):
            for u in (line.sw - s, line.sw + s):
                if 1 <= u <= 9:
                    out.append(replace(line, sw=u))
        for dw in (-1, 0, 1):
            for dh in (-1, 0, 1):
                if (dw or dh) and 1 <= line.w + dw <= 9 and 1 <= line.h + dh <= 9:
                    out.append(replace(line, w=line.w + dw, h=line.h + dh, stroke="none", sw=0))
    for dw in (-1, 0, 1):  # the other kind a unit larger or smaller: a square's circle
        for dh in (-1, 0, 1):
            if (dw or dh) and 1 <= line.w + dw <= 9 and 1 <= line.h + dh <= 9:
                out.append(replace(line, kind=other, w=line.w + dw, h=line.h + dh))
    return out


class _Scorer:
    """The goal score of drawings that differ from a base drawing in one line's pixels.

    The squared differences are whole numbers (``uint8`` images), so the score of a
    candidate, its base's sum less and plus the changed rectangle's, is exactly the score
    :meth:`DrawingTarget.scores_of_images` gives its whole image (with a tolerance too:
    the rectangle then grows by its radius)."""

    def __init__(self, target: DrawingTarget):
        self.target = target.image.astype(np.int64)
        self.values = target.image.size
        self.base_d2 = np.zeros(target.image.shape[:2], dtype=np.int64)
        self.base_total = 0
        self.forgiving = target.forgiving
        self.grow = 0 if target.forgiving is None else target.forgiving.radius

    def _d2(self, image: np.ndarray, rows=slice(None), cols=slice(None)) -> np.ndarray:
        if self.forgiving is not None:
            return self.forgiving.d2(image, rows, cols)
        d = image[rows, cols].astype(np.int64) - self.target[rows, cols]
        return np.einsum("ijk,ijk->ij", d, d)

    def score_of(self, total: int) -> float:
        """The goal score (as a fraction of identical images') of a sum of squares."""
        return score_of_total(total, self.values)

    def set_base(self, lines: Sequence[Line]) -> float:
        """Make ``lines`` the base (rendered here, not a search call); its score."""
        self.base_d2 = self._d2(render_scene([ln.placed() for ln in lines]))
        self.base_total = int(self.base_d2.sum())
        return self.score_of(self.base_total)

    def score(self, lines: Sequence[Line], changed: Line) -> float:
        """Score of ``lines``: the base with ``changed`` added (anywhere in the order).  With
        a tolerance, what is forgiven changes up to its radius around the changed pixels."""
        rows, cols = changed.pixels()
        if self.grow:
            size = self.base_d2.shape[0]
            rows = slice(max(0, rows.start - self.grow), min(size, rows.stop + self.grow))
            cols = slice(max(0, cols.start - self.grow), min(size, cols.stop + self.grow))
        image = render_scene([ln.placed() for ln in lines])
        total = self.base_total - int(self.base_d2[rows, cols].sum())
        return self.score_of(total + int(self._d2(image, rows, cols).sum()))


@dataclass(frozen=True)
class _Partial:
    lines: tuple[Line, ...]
    score: float

    @property
    def program(self) -> Node:
        return compile_lines(self.lines)


def climb(
    lines: tuple[Line, ...],
    index: int,
    score: float,
    scorer: _Scorer,
    run: SearchRun,
    budget: int,
    reach: int = 40,
    removable: bool = True,
    done: Callable[[float], bool] | None = None,
) -> tuple[tuple[Line, ...], float]:
    """Hill-climb line ``index`` of ``lines``: try taking it out, its :func:`neighbours`
    and its other places in the painting order, take each strict improvement as soon as
    it is found and go on from there, until a whole pass finds none, the line is taken
    out, the lines solve the target, or ``budget`` of the run's calls is spent; the lines
    and their score (every candidate, the line taken out too, is one call).  A new line
    is not ``removable``: taking it out is where it came from.  ``done`` (default: the
    target's solve) says when a score is good enough to stop."""
    done = run.target.solves if done is None else done
    spent, start = 0, 0
    while spent < budget and run.left > 0 and not run.cancelled():
        line = lines[index]
        rest = lines[:index] + lines[index + 1 :]
        without = scorer.set_base(rest)
        tries = [(rest, None, -1)] if removable else []  # taken out: the base's score
        tries += [(rest[:index] + (n,) + rest[index:], n, index) for n in neighbours(line, reach)]
        tries += [(rest[:j] + (line,) + rest[j:], line, j) for j in range(len(lines)) if j != index]
        start %= len(tries)  # go on where the last improvement was found
        found = False
        for k in range(len(tries)):
            if spent >= budget or run.left <= 0:
                break
            cand, changed, where = tries[(start + k) % len(tries)]
            s = without if changed is None else scorer.score(cand, changed)
            _spend_one(run)
            spent += 1
            if s > score + MIN_GAIN:  # the first improvement, not the best: fewer calls
                lines, score, index, found = cand, s, where, True
                start += k
                break
        if not found or index < 0 or done(score):
            break  # a solve ends the search at once (the calls it took are its cost)
    return lines, score


def _spend_one(run: SearchRun) -> None:
    """Count one renderer call; tell the progress callback every :data:`REPORT_EVERY`."""
    run.spend(1)
    if run.calls % REPORT_EVERY == 0:
        run.report()


def _diverse(scored: list[tuple[float, int, Line]], n: int) -> list[tuple[float, int, Line]]:
    """The best ``n`` of ``scored`` (best first), at most one per partial and fill colour
    while there are enough others."""
    seen, first, later = set(), [], []
    for item in scored:
        key = (item[1], item[2].fill)
        (later if key in seen else first).append(item)
        seen.add(key)
    return (first + later)[:n]


def _polish_all(lines, score, scorer: _Scorer, run: SearchRun, reach: int, done=None):
    """Climb every line in turn, passes until one gains nothing; the lines and score.  It
    stops when ``done`` says a score is good enough (default: the target's solve)."""
    done = run.target.solves if done is None else done
    while run.left > 0 and not run.cancelled() and not done(score):
        before = score
        i = 0
        while i < len(lines):
            count = len(lines)
            lines, score = climb(lines, i, score, scorer, run, run.left, reach, done=done)
            if done(score) or run.left <= 0:
                break
            i += len(lines) == count  # the same line again when one was taken out
        if score <= before:
            break
    return lines, score


def svg_repl_search(
    target: DrawingTarget,
    config: SvgReplConfig | None = None,
    cancel: Callable[[], bool] | None = None,
    progress: ProgressFn | None = None,
    start: Sequence[Line] = (),
) -> Iterator[SearchEvent]:
    """Build a drawing line by line; yields each improvement, then a final event.

    ``SearchEvent.depth`` is the number of lines of the best drawing so far.  ``progress``
    hears where the search stands every :data:`REPORT_EVERY` calls.  ``start``: lines to
    go on from (e.g. :func:`lines_of` a program; one call) when they beat the blank canvas:
    they are polished first, then the search adds lines as from a blank canvas.
    """
    cfg = config or SvgReplConfig()
    grid = colour_lines(target) + line_grid(cfg.positions, cfg.size, cfg.colours)
    run = SearchRun(target, cfg.budget, cancel, progress)
    scorer = _Scorer(target)
    empty = _Partial((), scorer.set_base(()))  # the blank canvas: known without a render
    run.improve(empty)  # the start: a line must beat the blank canvas
    if start and run.left > 0:
        _spend_one(run)  # the start's render
        if run.improve(_Partial(tuple(start), scorer.set_base(start))):
            lines, score = _polish_all(run.best.lines, run.best.score, scorer, run, cfg.reach)
            run.improve(_Partial(lines, score))  # first make the most of the lines there are
            run.depth = len(run.best.lines)
            yield run.event()
    if run.solved:
        yield run.event(finished=True)
        return
    beam = [run.best]
    while len(beam[0].lines) < cfg.max_primitives and run.left > 0 and not run.cancelled():
        scored: list[tuple[float, int, Line]] = []
        for b, part in enumerate(beam):
            scorer.set_base(part.lines)
            for line in grid:
                if run.left <= 0 or scored and target.solves(scored[-1][0]):
                    break
                scored.append((scorer.score(part.lines + (line,), line), b, line))
                _spend_one(run)
        scored.sort(key=lambda t: -t[0])
        queue = _diverse(scored, len(scored))
        polished: dict[tuple[Line, ...], float] = {}
        if queue and target.solves(queue[0][0]):  # a grid line solves it: no polish
            s, b, line = queue[0]
            polished[beam[b].lines + (line,)] = s
            queue = []
        for k, (s, b, line) in enumerate(queue):
            if run.left <= 0 or run.cancelled():
                break
            if k == cfg.tries and not _helps(polished, run):
                # no new line helps yet: first try changing the ones there are
                lines, score = _polish_all(run.best.lines, run.best.score, scorer, run, cfg.reach)
                if score > run.best.score:
                    polished = {lines: score}
                    break
            if k >= cfg.tries and _helps(polished, run):
                break  # past the first tries, polish more only until a line helps
            lines = beam[b].lines + (line,)
            budget = min(cfg.polish_calls, run.left)
            lines, s = climb(lines, len(lines) - 1, s, scorer, run, budget, cfg.reach, False)
            polished[lines] = max(s, polished.get(lines, s))
            if target.solves(s):
                break
        if not _helps(polished, run):
            break  # neither a new line nor a change helps
        kept = sorted(polished.items(), key=lambda kv: -kv[1])[: cfg.beam_width]
        beam = [_Partial(k, v) for k, v in kept]
        run.improve(beam[0])
        run.depth = len(beam[0].lines)
        yield run.event()
        if run.solved:
            break
    if not run.solved and run.best.lines and run.left > 0:
        lines, score = _polish_all(run.best.lines, run.best.score, scorer, run, cfg.reach)
        if run.improve(_Partial(lines, score)):
            run.depth = len(lines)
            yield run.event()
    yield run.event(finished=True)


def _helps(polished: dict[tuple[Line, ...], float], run: SearchRun) -> bool:
    """Whether any polished drawing beats the best so far."""
    return bool(polished) and max(polished.values()) > run.best.score


def lines_of(program: Node) -> tuple[Line, ...]:
    """The lines that draw what ``program`` draws, in painting order (those that paint
    nothing left out): every TinySVG box has whole-unit sides and its centre on the
    half-unit grid, so this is exact."""
    lines = []
    for p in layout(program):
        w, h = round((p.x1 - p.x0) / UNIT), round((p.y1 - p.y0) / UNIT)
        if w and h:
            x, y = _centre(p.x0, p.x1), _centre(p.y0, p.y1)
            kind = RECTANGLE if p.kind == "rect" else ELLIPSE
            lines.append(Line(kind, w, h, p.fill, p.stroke, round(2 * p.stroke_px), x, y))
    return tuple(lines)


def fit_lines(
    target: DrawingTarget,
    budget: int,
    cancel: Callable[[], bool] | None = None,
    progress: ProgressFn | None = None,
    start: Node | None = None,
) -> FitResult:
    """Structure first for TinySVG: the REPL-style search's best drawing within ``budget``
    renderer calls, as a short program (:func:`compile_lines`), for a beam to start from
    (:func:`inference.search.beam.view_search`).  With a ``start`` program, the search goes
    on from its lines (when they beat the blank canvas), so that a second auto-run
    improves on the first.  ``program`` is ``None`` when no line beats the blank canvas."""
    last = None
    begin = lines_of(start) if start is not None else ()
    config = SvgReplConfig(budget=budget)
    for event in svg_repl_search(target, config, cancel, progress, begin):
        last = event
    if last is None or not last.depth:
        return FitResult(None, 0.0, 0 if last is None else last.calls, 0)
    return FitResult(last.program, last.score, last.calls, last.depth)


def _pieces(mask: np.ndarray) -> list[np.ndarray]:
    """The 4-connected pieces of a boolean image, each as its own boolean image."""
    labels = np.where(mask, np.arange(1, mask.size + 1).reshape(mask.shape), 0)
    while True:
        spread = labels.copy()
        spread[1:] = np.maximum(spread[1:], labels[:-1])
        spread[:-1] = np.maximum(spread[:-1], labels[1:])
        spread[:, 1:] = np.maximum(spread[:, 1:], labels[:, :-1])
        spread[:, :-1] = np.maximum(spread[:, :-1], labels[:, 1:])
        spread = np.where(mask, spread, 0)
        if np.array_equal(spread, labels):
            return [labels == k for k in np.unique(labels[mask])]
        labels = spread


def left_out_lines(image: np.ndarray, target: DrawingTarget) -> tuple[Line, ...]:
    """Lines for what ``image`` leaves out of the target: each piece of at least
    :data:`MIN_COLOUR_PIXELS` pixels where the target shows a colour and the image another
    (for a hand drawing, also not within twice its tolerance of that colour in the image), as a
    rectangle and an ellipse of that colour over the piece's box (as :func:`colour_lines`)."""
    shown = target.image
    radius = 0 if target.forgiving is None else target.forgiving.radius
    out = []
    for name, rgb in COLOURS.items():
        if rgb is None or name == "white":
            continue
        rgb = np.array(rgb, dtype=np.uint8)
        painted = np.all(image == rgb, axis=-1)
        missed = np.all(shown == rgb, axis=-1) & ~painted
        if radius:  # a hand drawing's wobble beside a shape of its colour is not left out
            missed &= ~near(painted, 2 * radius)
        if int(missed.sum()) < MIN_COLOUR_PIXELS:
            continue
        for piece in _pieces(missed):
            if int(piece.sum()) >= MIN_COLOUR_PIXELS:
                out += _box_lines(piece, name)
    return tuple(out)


def _add_left_out(lines, score, scorer: _Scorer, run: SearchRun, reach: int):
    """Lines for what ``lines`` leave out of the target (:func:`left_out_lines`), each
    climbed and kept when it raises the score; the lines and score.  The goal forgives a
    dot of one unit: left out, it costs under 0.01 of the score, and a person who drew it
    wants it back."""
    image = render_scene([ln.placed() for ln in lines])
    for line in left_out_lines(image, run.target):
        if run.left <= 0 or run.cancelled() or _same_pixels(score):
            break
        scorer.set_base(lines)
        added = lines + (line,)
        s = scorer.score(added, line)
        _spend_one(run)
        if s > score + MIN_GAIN:
            budget = min(SvgReplConfig.polish_calls, run.left)
            lines, score = climb(
                added, len(lines), s, scorer, run, budget, reach, False, _same_pixels
            )
    return lines, score


def _same_pixels(score: float) -> bool:
    """Whether a score is the target's own (a polish past the solve stops there)."""
    return score >= 1.0


def polish_program(
    target: DrawingTarget,
    program: Node,
    budget: int,
    score: float | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[Node, float, int]:
    """``program``'s lines polished (every line climbed in turn, as the search's last step)
    toward the target, within ``budget`` renderer calls, written short
    (:func:`compile_lines`); the program, its score and the calls spent.  A goal score
    above 0.99 forgives a thick stroke standing in for a bigger box, so a solved drawing is
    worth polishing on toward the same pixels.  First a line is added for each piece the
    program leaves out (:func:`left_out_lines`).  A hand drawing (a target with a
    tolerance) gets only that: its edges are forgiven, not polished toward.  ``program``
    comes back unchanged unless the polish scores higher."""
    run = SearchRun(target, budget, cancel)
    scorer = _Scorer(target)
    lines = lines_of(program)
    start = scorer.set_base(lines)  # the program's own score: its lines draw its pixels
    if score is None:
        _spend_one(run)
        score = start
    found, best = _add_left_out(lines, start, scorer, run, SvgReplConfig.reach)
    if target.forgiving is None:  # a hand drawing's edges are forgiven, not polished toward
        found, best = _polish_all(found, best, scorer, run, SvgReplConfig.reach, _same_pixels)
    if best > score:
        return compile_lines(found), best, run.calls
    return program, score, run.calls
