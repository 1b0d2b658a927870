"""Structure first: programs fitted to a target's shapes, and the search that starts from them."""

import numpy as np
import pytest

from inference.lang.syntax import parse, to_text
from inference.noise.cad_parts import KINDS, make_part
from inference.render.raster import render
from inference.search.beam import SearchConfig, beam_search, view_search
from inference.search.proposers import RandomMutationProposer
from inference.search.residual_fit import (
    _body_box,
    _largest_rectangle,
    candidates,
    fit_program,
    residual_step,
)
from inference.targets.sketch import simulate_drawing, simulate_sketch
from inference.targets.target import Target


def test_candidates_contain_the_primitive_a_region_was_drawn_from():
    for text in ("(Circle 3 7 9)", "(Quad 8 6 5 3 0)", "(Quad 8 8 3 3 45)", "(Quad 6 9 2 5 45)"):
        node = parse(text)
        assert node in candidates(render(node)), text


def test_largest_rectangle_inside_an_l():
    ell = render(parse("(+ (Quad 3 8 2 8 0) (Quad 8 14 8 2 0))"))  # an L: bar x 4..8, y 0..32
    x, y, w, h = _largest_rectangle(ell)
    assert (w, h) in {(8.0, 2.0), (2.0, 8.0)}  # one of the two bars, whole
    assert _largest_rectangle(np.zeros((128, 128), bool)) is None


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_exact_parts_are_fitted_to_the_right_shape(kind):
    for seed in range(2):
        program = make_part(kind, np.random.default_rng([seed, 7]))
        target = Target(render(program), check_shape=True)
        result = fit_program(target, 2000)
        assert result.calls <= 2000 and result.program is not None
        assert target.score(result.program) == pytest.approx(result.score)
        assert result.score > 0.95, (kind, to_text(program), to_text(result.program))
        assert not target.shape_mismatches(result.program), to_text(result.program)


def test_a_drawn_plate_is_solved_by_the_fit_alone():
    plate = parse("(- (- (Quad 8 8 12 8 0) (Circle 2 5 8)) (Circle 2 11 8))")
    target = Target(simulate_drawing(plate, np.random.default_rng(3)) >= 0.5, tolerance=1.0)
    result = fit_program(target, 1000)
    assert target.solves(result.score) and result.calls <= 1000
    exact = Target(render(plate), tolerance=1.0)  # parts and holes, up to a unit of edge
    assert not exact.shape_mismatches(result.program)  # both holes, where they were drawn


def test_a_box_is_not_taken_for_the_example_house():
    import base64
    import io
    import json

    from PIL import Image

    from inference.targets.target_images import downsample
    from tests.conftest import REPO

    record = json.loads((REPO / "resources" / "examples" / "house.tsk").read_text())
    png = Image.open(io.BytesIO(base64.b64decode(record["target_png"]))).convert("L")
    ink = downsample(np.asarray(png, dtype=np.float32) / 255, 128)
    target = Target(ink >= 0.5, tolerance=1.0, check_shape=True)
    result = fit_program(target, 2000)
    assert target.solves(result.score)
    exact = Target(ink >= 0.5, check_shape=True)  # the example is drawn with exact shapes
    box = parse("(Quad 8 9 4 8 0)")  # within the tolerance, but no roof: what search found
    assert result.program.sigma > 1
    assert exact.score(result.program) > exact.score(box) + 0.02, to_text(result.program)


def test_the_budget_is_kept_and_an_empty_target_fits_nothing():
    target = Target(render(parse("(- (- (Quad 8 8 12 8 0) (Circle 2 5 8)) (Circle 2 11 8))")))
    for budget in (1, 7, 40):
        assert fit_program(target, budget).calls <= budget
    empty = fit_program(Target(np.zeros((128, 128), bool)), 100)
    assert empty.program is None and empty.calls == 0


def test_search_starts_from_the_fit_counts_its_calls_and_can_do_without():
    plate = parse("(- (Quad 8 8 12 8 0) (Circle 2 5 8))")
    target = Target(render(plate))
    events = list(
        view_search(
            target, RandomMutationProposer(), np.random.default_rng(0), SearchConfig(budget=400)
        )
    )
    assert events[-1].solved and events[-1].finished and events[-1].calls <= 400
    off = list(
        view_search(
            target,
            RandomMutationProposer(),
            np.random.default_rng(0),
            SearchConfig(budget=400, fit=False),
        )
    )
    assert off[-1].calls <= 400
    assert events[-1].calls < off[-1].calls or not off[-1].solved


def test_a_locked_start_is_searched_without_the_fit():
    start = parse("(- (Quad 8 8 10 6 0) (Circle 1 8 8))")
    target = Target(render(parse("(- (Quad 8 8 10 6 0) (Circle 2 8 8))")))
    events = list(
        view_search(
            target,
            RandomMutationProposer(),
            np.random.default_rng(0),
            SearchConfig(budget=300),
            start=start,
            locked=[2],
        )
    )
    assert all("(Quad 8 8 10 6 0)" in to_text(e.program) for e in events)


def test_a_house_is_fitted_as_its_body_and_roof():
    """The body opening (the part's widest rows) comes first, so the roof is what is left:
    a 45° square added on top.  Without it the fit cut a tall box's corners instead."""
    for text in (
        "(+ (Quad 11 9 7 6 0) (Quad 11 6 5 5 45))",
        "(+ (Quad 9 13 6 4 0) (Quad 9 11 4 4 45))",
    ):
        house = parse(text)
        # drawn with the shape tools: the editor's ±0.25-unit target
        result = fit_program(Target(render(house, 128), tolerance=0.25), 500)
        assert result.program == house, to_text(result.program)


def test_the_body_of_a_part_is_its_widest_rows():
    house = render(parse("(+ (Quad 11 9 7 6 0) (Quad 11 6 5 5 45))"), 128)
    x, y, half_w, half_h = _body_box(house)
    assert abs(x - 22) < 0.5 and abs(half_w - 7) < 0.5  # the body: x 15–29
    assert 11.5 < y - half_h < 12.5 and abs(y + half_h - 24) < 0.5  # y 12–24, under the roof
    assert _body_box(render(parse("(Circle 6 8 8)"), 128)) is None  # a disc has no body
    assert _body_box(render(parse("(Quad 8 8 6 4 0)"), 128)) is None  # a box is all body


def test_a_near_miss_gets_its_missing_hole_from_the_residual():
    plate = parse("(- (- (Quad 8 8 12 8 0) (Circle 2 5 8)) (Circle 2 11 8))")
    target = Target(render(plate))
    one_hole = parse("(- (Quad 8 8 12 8 0) (Circle 2 5 8))")
    found, score, calls = residual_step(target, one_hole, 300)
    assert target.solves(score) and score == target.score(found)
    assert to_text(found).startswith("(- (- (Quad 8 8 12 8 0) (Circle 2 5 8))")  # one cut more
    assert 1 < calls <= 300
    assert residual_step(target, plate, 300)[0] == plate  # nothing to fix
    assert residual_step(target, one_hole, 1) == (one_hole, target.score(one_hole), 1)


def test_the_beam_fixes_near_misses_by_their_residual_only_when_asked():
    plate = parse("(- (- (Quad 8 8 12 8 0) (Circle 2 5 8)) (Circle 2 11 8))")
    target = Target(render(plate))
    one_hole = parse("(- (Quad 8 8 12 8 0) (Circle 2 5 8))")
    assert 0.85 < target.score(one_hole) < 0.9

    def run(**kw):
        cfg = SearchConfig(budget=60, beam_width=4, fit=False, **kw)
        rng = np.random.default_rng(0)
        return list(beam_search(target, RandomMutationProposer(), rng, cfg, start=one_hole))[-1]

    fixed = run(residual=True, residual_from=0.85)
    assert fixed.solved and fixed.calls <= 60
    assert not run(residual=False).solved
    assert not run(residual=True).solved  # under the default bar (0.9): not a near miss


def test_the_residual_is_on_by_default_for_exact_targets_only(monkeypatch):
    plate = parse("(- (- (Quad 8 8 12 8 0) (Circle 2 5 8)) (Circle 2 11 8))")
    one_hole = parse("(- (Quad 8 8 12 8 0) (Circle 2 5 8))")
    tried = []

    def spy(target, program, calls, cancel=None):
        tried.append(target)
        return residual_step(target, program, calls, cancel)

    monkeypatch.setattr("inference.search.beam.residual_step", spy)
    assert SearchConfig().residual

    def run(target):
        cfg = SearchConfig(budget=60, beam_width=4, fit=False, residual_from=0.0)
        rng = np.random.default_rng(0)
        return list(beam_search(target, RandomMutationProposer(), rng, cfg, start=one_hole))[-1]

    exact = Target(render(plate))
    assert run(exact).solved and tried == [exact]
    tried.clear()
    drawn = Target(render(plate), tolerance=1.0)
    run(drawn)
    run(Target.from_sketch(simulate_sketch(plate, np.random.default_rng(0))))
    assert tried == []
