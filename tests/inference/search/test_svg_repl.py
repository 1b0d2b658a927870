"""The REPL-style search for TinySVG (issue 17): lines compiled into TinySVG exactly, small
targets solved, every candidate counted as a renderer call, and the budget kept."""

from dataclasses import replace

import numpy as np
import pytest

from inference.lang.grammar import SVG_COLOURS, TINYSVG
from inference.lang.syntax import parse, to_text
from inference.lang.tinysvg import parse_tinysvg
from inference.render.svg_scene import layout, render, render_scene
from inference.search import svg_repl
from inference.search.svg_repl import (
    KINDS,
    PAINTS,
    Line,
    SvgReplConfig,
    compile_lines,
    neighbours,
    svg_repl_search,
)
from inference.search.synthesize import final_event, run_method
from inference.targets.drawing_target import DrawingTarget

ONE = "(Move (Ellipse 5 3 orange black 3) 4 2 true false)"
TWO = "(Arrange v (Rectangle 6 2 red none 0) (Ellipse 3 3 blue none 0) 1)"
TWO_MOVED = (
    "(Arrange h (Rectangle 4 4 yellow black 2) (Move (Ellipse 2 5 purple none 0) 1 2 true false) 2)"  # noqa: E501
)


def _random_lines(rng: np.random.Generator, n: int) -> tuple[Line, ...]:
    return tuple(
        Line(
            KINDS[rng.integers(2)],
            int(rng.integers(1, 10)),
            int(rng.integers(1, 10)),
            PAINTS[rng.integers(len(PAINTS))],
            SVG_COLOURS[rng.integers(len(SVG_COLOURS))],
            int(rng.integers(0, 10)),
            int(rng.integers(-40, 41)),
            int(rng.integers(-40, 41)),
        )
        for _ in range(n)
    )


def _painted(program) -> list:
    """The placed primitives with an area (the spacers have none)."""
    return [p for p in layout(program) if p.x1 > p.x0 and p.y1 > p.y0]


def _box(p) -> tuple:
    """A placed primitive's kind, box and fill."""
    return (p.kind, p.x0, p.y0, p.x1, p.y1, p.fill)


def _search(text: str, budget: int, **kw):
    target = DrawingTarget.of(parse_tinysvg(text))
    events = list(svg_repl_search(target, SvgReplConfig(budget=budget, **kw)))
    return target, events


def test_lines_compile_to_the_drawing_they_describe():
    rng = np.random.default_rng(3)
    for trial in range(60):
        lines = _random_lines(rng, 1 + trial % 5)
        program = compile_lines(lines)
        assert program.grammar is TINYSVG
        assert parse(to_text(program), grammar=TINYSVG) == program
        painted = _painted(program)
        # the same boxes (lines apart may be written in another order; a stroke that
        # paints nothing is written none 0), and exactly the lines' image
        assert sorted(map(_box, painted)) == sorted(_box(line.placed()) for line in lines)
        assert np.array_equal(render(program), render_scene([ln.placed() for ln in lines]))
    # every half-unit position is reachable, both parities, far from the centre too
    for x, y in [(0, 0), (1, 0), (0, 1), (-1, -1), (37, -38), (-40, 40)]:
        line = Line("Rectangle", 3, 2, "red", "none", 0, x, y)
        p = _painted(compile_lines([line, line]))[1]
        assert (p.x0 + p.x1) / 2 == 112 + 3 * x and (p.y0 + p.y1) / 2 == 112 + 3 * y


def test_lines_compile_to_short_programs():
    """Two shapes side by side compile to the program a person writes, and any lines to
    about a third of the fixed cells' 51 tokens a line."""
    red = Line("Rectangle", 3, 3, "red", "none", 0, -3, 0)
    blue = Line("Ellipse", 2, 2, "blue", "none", 0, 4, 0)
    assert to_text(compile_lines([red, blue])) == (
        "(Arrange h (Rectangle 3 3 red none 0) (Ellipse 2 2 blue none 0) 1)"
    )
    # half a unit off the grid of whole-unit moves: one spacer, then a move
    off = compile_lines([replace(blue, x=5, y=1)])
    assert _painted(off) == [replace(blue, x=5, y=1).placed()] and off.size < 45
    rng = np.random.default_rng(4)
    per_line = [compile_lines(_random_lines(rng, n)).size / n for n in (1, 2, 3, 4, 5) * 20]
    assert np.mean(per_line) < 40 and max(per_line) <= 60


def test_neighbours_are_one_change_away():
    line = Line("Ellipse", 1, 9, "red", "blue", 3, 39, -40)
    near = neighbours(line, reach=40)
    assert len(set(near)) == len(near) and line not in near
    for n in near:
        assert 1 <= n.w <= 9 and 1 <= n.h <= 9 and 0 <= n.sw <= 9
        assert -40 <= n.x <= 40 and -40 <= n.y <= 40
    assert Line("Rectangle", 1, 9, "red", "blue", 3, 39, -40) in near
    assert Line("Ellipse", 2, 9, "red", "none", 0, 39, -40) in near  # stroke dropped, grown
    assert Line("Ellipse", 2, 9, "red", "blue", 3, 38, -40) in near  # the left edge moved
    assert Line("Rectangle", 2, 8, "red", "blue", 3, 39, -40) in near  # the other kind, resized


@pytest.mark.parametrize("text, budget", [(ONE, 500), (TWO, 1200), (TWO_MOVED, 1500)])
def test_it_solves_small_targets(text, budget):
    target, events = _search(text, budget)
    last = events[-1]
    assert last.finished and last.solved and last.calls <= budget
    assert last.program.grammar is TINYSVG
    assert target.score(last.program) == last.score  # the program's own score, exactly
    assert all(not e.finished for e in events[:-1])
    assert [e.calls for e in events] == sorted(e.calls for e in events)
    assert [e.score for e in events[:-1]] == sorted(e.score for e in events[:-1])
    assert last.depth == len(_painted(last.program))


def test_every_candidate_is_a_call_and_scored_exactly(monkeypatch):
    """Count the scored candidates and the base renders (which are no candidates); the
    calls lie between them, and each scored candidate has its compiled program's score."""
    target = DrawingTarget.of(parse_tinysvg(TWO_MOVED))
    scored, bases = [], [0]
    score, set_base = svg_repl._Scorer.score, svg_repl._Scorer.set_base

    def counting_score(self, lines, changed):
        s = score(self, lines, changed)
        scored.append((lines, s))
        return s

    def counting_base(self, lines):
        bases[0] += 1
        return set_base(self, lines)

    monkeypatch.setattr(svg_repl._Scorer, "score", counting_score)
    monkeypatch.setattr(svg_repl._Scorer, "set_base", counting_base)
    last = final_event(svg_repl_search(target, SvgReplConfig(budget=700)))
    # each removal tried is a call scored from its base
    assert len(scored) <= last.calls <= len(scored) + bases[0]
    assert last.calls == 700 or last.solved
    for lines, s in scored[:: max(1, len(scored) // 40)]:
        assert target.score(compile_lines(lines)) == s


@pytest.mark.parametrize("budget", [0, 1, 7, 60, 174, 176, 333])
def test_it_keeps_the_budget(budget):
    target, events = _search(TWO_MOVED, budget)
    assert events[-1].finished and all(e.calls <= budget for e in events)
    assert events[-1].calls == budget  # unsolved at these budgets: it uses them all
    if budget == 0:
        assert to_text(events[-1].program) == "(Rectangle 0 0 none none 0)"
        assert events[-1].score == target.score(events[-1].program)


def test_a_smaller_budget_is_a_prefix_of_a_larger_one():
    """It stops at its first solve, so the calls of a solve are the whole curve's point."""
    target = DrawingTarget.of(parse_tinysvg(TWO))
    solved = final_event(svg_repl_search(target, SvgReplConfig(budget=3000)))
    assert solved.solved
    at = final_event(svg_repl_search(target, SvgReplConfig(budget=solved.calls)))
    assert at.solved and at.calls == solved.calls and at.program == solved.program
    before = final_event(svg_repl_search(target, SvgReplConfig(budget=solved.calls - 1)))
    assert not before.solved and before.calls == solved.calls - 1


def test_it_is_deterministic_and_stops_on_cancel():
    a = final_event(svg_repl_search(DrawingTarget.of(parse_tinysvg(TWO_MOVED)),
                                    SvgReplConfig(budget=400)))  # fmt: skip
    b = final_event(svg_repl_search(DrawingTarget.of(parse_tinysvg(TWO_MOVED)),
                                    SvgReplConfig(budget=400)))  # fmt: skip
    assert (a.program, a.score, a.calls) == (b.program, b.score, b.calls)
    asked = [0]

    def cancel():
        asked[0] += 1
        return asked[0] > 3

    target = DrawingTarget.of(parse_tinysvg(TWO_MOVED))
    last = final_event(svg_repl_search(target, SvgReplConfig(budget=5000), cancel))
    assert last.finished and last.calls < 1000


def test_run_method_picks_the_language_s_repl():
    target = DrawingTarget.of(parse_tinysvg(ONE))
    last = final_event(run_method("repl", target, np.random.default_rng(0), budget=500))
    assert last.solved and last.program.grammar is TINYSVG and last.calls <= 500


def test_scores_over_the_changed_pixels_are_the_whole_image_s():
    """Lines anywhere (at the canvas edge, thick strokes, under others): the score from the
    changed line's pixels equals the goal score of the compiled program's render."""
    rng = np.random.default_rng(11)
    target = DrawingTarget.of(parse_tinysvg(TWO_MOVED))
    scorer = svg_repl._Scorer(target)
    for trial in range(40):
        rest = _random_lines(rng, trial % 4)
        (line,) = _random_lines(rng, 1)
        if trial % 5 == 0:
            line = Line(line.kind, 9, 9, line.fill, "black", 9, 37 * (-1) ** trial, -38)
        at = int(rng.integers(0, len(rest) + 1))
        lines = rest[:at] + (line,) + rest[at:]
        assert scorer.set_base(rest) == target.score(compile_lines(rest))
        assert scorer.score(lines, line) == target.score(compile_lines(lines))


def test_any_program_is_lines_that_draw_it_exactly():
    from inference.lang.random_trees import random_tree

    rng = np.random.default_rng(8)
    for _ in range(40):
        program = random_tree(TINYSVG, rng, int(rng.integers(1, 6)))
        lines = svg_repl.lines_of(program)
        assert np.array_equal(render(compile_lines(lines)), render(program))


def test_the_fit_goes_on_from_a_start_program():
    """A second auto-run in the editor starts from the first one's program: the REPL-style
    fit polishes its lines instead of drawing again from a blank canvas."""
    target = DrawingTarget.of(parse_tinysvg(TWO_MOVED))
    near = parse_tinysvg(
        "(Arrange h (Rectangle 4 4 yellow black 2) (Move (Ellipse 2 5 purple none 0) 1 1 true false) 2)"  # noqa: E501
    )
    assert not target.solves(target.score(near))
    fitted = svg_repl.fit_lines(target, 300, start=near)
    assert fitted.calls < 300 and target.solves(fitted.score)  # one move of one line
    cold = svg_repl.fit_lines(target, 300)
    assert not target.solves(cold.score) and cold.calls == 300
    # a start worse than the blank canvas is left: the search begins from nothing
    far = parse_tinysvg("(Rectangle 9 9 black none 0)")
    assert target.score(far) < svg_repl.fit_lines(target, 1).score


def test_each_colour_s_box_is_a_candidate_and_a_blend_is_avoided():
    """Greedy squares first cover a green circle beside a red square with one square of a
    colour between theirs; each colour's own box is a candidate, and the drawing is found
    as written (it was not solved in 2,000 calls before)."""
    text = "(Arrange h (Ellipse 5 5 green none 0) (Rectangle 3 3 red none 0) 1)"
    target = DrawingTarget.of(parse_tinysvg(text))
    found = svg_repl.colour_lines(target)
    assert {(ln.kind, ln.fill, ln.w, ln.h) for ln in found} == {
        (k, c, s, s) for k in KINDS for c, s in (("green", 5), ("red", 3))
    }
    last = final_event(svg_repl_search(target, SvgReplConfig(budget=2000)))
    assert last.solved and last.calls <= 500 and to_text(last.program) == text
