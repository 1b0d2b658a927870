"""The search's light progress reports: every step, calls that add up, views merged."""

import numpy as np

from inference.lang.syntax import parse
from inference.render.raster import render
from inference.search.beam import SearchConfig, beam_search, view_search
from inference.search.proposers import RandomMutationProposer
from inference.search.search_run import SearchProgress
from inference.targets.target import Target

GOAL = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 8))")


class ImageProposer(RandomMutationProposer):
    """Random mutations that claim to look at the image, so view_search runs every view."""

    uses_image = True


def run(search, target, proposer, budget=600, fit=False):
    reports: list[SearchProgress] = []
    config = SearchConfig(beam_width=8, budget=budget, max_depth=1000, fit=fit)
    start = parse("(Circle 2 3 3)")
    rng = np.random.default_rng(5)
    events = list(search(target, proposer, rng, config, start, progress=reports.append))
    return events, reports


def test_beam_search_reports_every_step_not_only_improvements():
    events, reports = run(beam_search, Target(render(GOAL, 128)), RandomMutationProposer())
    steps = events[-1].depth
    assert len(reports) > steps > len(events)  # before each step and after its scoring
    calls = [r.calls for r in reports]
    assert calls == sorted(calls) and calls[0] == 1 and calls[-1] == events[-1].calls
    elapsed = [r.elapsed for r in reports]
    assert elapsed == sorted(elapsed)
    best = [r.best_score for r in reports]
    assert best == sorted(best) and best[-1] == events[-1].score
    assert {r.depth for r in reports} == set(range(steps + 1))


def test_the_same_seed_gives_the_same_events_with_or_without_a_listener():
    target = Target(render(GOAL, 128))
    config = SearchConfig(beam_width=8, budget=300)
    start = parse("(Circle 2 3 3)")
    plain = list(
        beam_search(target, RandomMutationProposer(), np.random.default_rng(1), config, start)
    )
    heard = list(
        beam_search(
            target,
            RandomMutationProposer(),
            np.random.default_rng(1),
            config,
            start,
            progress=lambda r: None,
        )  # fmt: skip
    )
    assert [(e.program, e.calls) for e in plain] == [(e.program, e.calls) for e in heard]


def test_view_search_adds_up_the_calls_of_every_view():
    drawn = Target(render(GOAL, 128), tolerance=1.0)
    assert len(drawn.model_views()) == 3
    events, reports = run(view_search, drawn, ImageProposer(), budget=900)
    calls = [r.calls for r in reports]
    assert calls == sorted(calls) and calls[-1] == events[-1].calls
    assert calls[-1] > 600  # beyond the first view's share: all three were added
    assert max(r.best_score for r in reports) == events[-1].score


def test_view_search_counts_the_fit_in_its_reports():
    from inference.noise.random_programs import random_program

    hard = random_program(np.random.default_rng(11), (7, 8))  # the fit alone will not do
    drawn = Target(render(hard, 128), tolerance=1.0)
    events, reports = run(view_search, drawn, ImageProposer(), budget=900, fit=True)
    calls = [r.calls for r in reports]
    assert events[0].depth == 0 and events[0].calls > 0  # the fitted program came first
    assert calls == sorted(calls) and calls[0] >= events[0].calls
    assert calls[-1] == events[-1].calls <= 900


def test_the_tinysvg_fit_reports_while_it_runs():
    """TinySVG's fit (the REPL-style search) takes most of the budget: its calls are reported
    as they are spent, before its program comes, and then the beam's add on."""
    from inference.lang.tinysvg import parse_tinysvg
    from inference.targets.drawing_target import DrawingTarget

    hard = (  # svgset23's drawing004: the fit does not solve it
        "(Arrange h (Rectangle 6 6 orange red 6) (Arrange h (Move (Rectangle 8 6 yellow purple"
        " 9) 8 4 true true) (Move (Ellipse 9 6 white black 9) 5 3 false true) 2) 6)"
    )
    target = DrawingTarget.of(parse_tinysvg(hard))
    reports: list[SearchProgress] = []
    config = SearchConfig(beam_width=8, budget=1000, lines_fit_share=0.9)
    rng = np.random.default_rng(5)
    events = list(
        view_search(target, RandomMutationProposer(), rng, config, progress=reports.append)
    )
    calls = [r.calls for r in reports]
    assert calls == sorted(calls) and calls[-1] == events[-1].calls <= 1000
    fit_calls = events[0].calls
    assert events[0].depth == 0 and 0 < fit_calls <= 900
    during = [c for c in calls if c <= fit_calls]
    assert len(during) >= fit_calls // 100 - 1 and during[:3] == [100, 200, 300]
