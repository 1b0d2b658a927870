"""The likeliest match of a sketch: a beam descent on the sketch cost among matches."""

import numpy as np
import pytest

from inference.lang.syntax import parse
from inference.lang.tree import QUAD, primitives
from inference.render.raster import rasterizer
from inference.search.beam import SearchConfig
from inference.search.likeliest import PRIMITIVE_PRICE, likeliest, neighbours, sketch_costs
from inference.search.synthesize import synthesize
from inference.targets.sketch import simulate_sketch
from inference.targets.target import Target

HOUSE = parse("(+ (Quad 11 9 7 6 0) (Quad 11 6 5 5 45))")
# what the search found for this sketch in the real window (session 22): it matches
NOTCHED_ROUND_ROOF = parse("(- (+ (Quad 10 9 7 6 0) (Circle 3 11 6)) (Quad 13 4 4 2 45))")


def _house_sketch() -> Target:
    # issue 12's set A draws house-1 (problem 19) with this seed at bench seed 0
    return Target.from_sketch(simulate_sketch(HOUSE, np.random.default_rng([0, 19, 1]), 128))


def _cost(target, program):
    return float(sketch_costs(target, [program], [rasterizer(128).packed(program)])[0])


def test_the_sketch_of_a_house_is_read_as_a_house_not_the_round_roof_that_matches():
    target = _house_sketch()
    assert target.solves(target.score(NOTCHED_ROUND_ROOF))  # a match, but not a house
    found = likeliest(target, [NOTCHED_ROUND_ROOF], 1000)
    assert found is not None and found.calls <= 1000
    assert target.solves(found.score) and found.score == target.score(found.program)
    assert found.cost == pytest.approx(_cost(target, found.program))
    # a body and a pointed roof, as likely as the house the sketch was drawn from (this
    # sketch's rings were drawn about a unit to the left, so the house one step to the
    # left is a little likelier than the house itself)
    assert found.cost <= _cost(target, HOUSE) < _cost(target, NOTCHED_ROUND_ROOF) - 5.0
    kinds = sorted((n.kind, n.children[-1].value) for _, n in primitives(found.program))
    assert kinds == [(QUAD, 0), (QUAD, 45)] and found.program.children[0].value == "+"


def test_the_result_never_costs_more_than_the_matches_it_starts_from():
    target = _house_sketch()
    starts = [NOTCHED_ROUND_ROOF, HOUSE]
    found = likeliest(target, starts, 30)  # too few calls to leave the starts' neighbours
    assert found is not None and found.calls <= 30
    assert found.cost <= min(_cost(target, p) for p in starts)
    assert target.solves(found.score)


def test_a_simpler_program_is_likelier_by_the_price_of_a_primitive():
    target = _house_sketch()
    doubled = parse("(+ (+ (Quad 11 9 7 6 0) (Quad 11 6 5 5 45)) (Quad 11 9 7 6 0))")
    assert rasterizer(128).packed(doubled) == rasterizer(128).packed(HOUSE)
    # the same pixels, one primitive more
    assert _cost(target, doubled) == pytest.approx(_cost(target, HOUSE) + PRIMITIVE_PRICE)


def test_no_match_no_answer_and_only_sketches():
    target = _house_sketch()
    assert likeliest(target, [parse("(Circle 1 1 1)")], 5) is None
    assert likeliest(target, [HOUSE], 0) is None
    with pytest.raises(ValueError, match="sketch"):
        likeliest(Target(target.mask), [HOUSE], 10)


def test_neighbours_move_values_edges_kinds_and_drop_operands():
    program = parse("(- (Quad 8 8 4 3 0) (Circle 2 8 8))")
    near = neighbours(program)
    assert program not in near and len(near) == len(set(near))
    texts = {str(n) for n in near}
    assert "Node('(- (Quad 9 8 4 3 0) (Circle 2 8 8))')" in texts  # one value
    assert "Node('(- (Quad 9 8 6 3 0) (Circle 2 8 8))')" in texts  # the left edge stays
    assert "Node('(- (Quad 8 8 4 3 45) (Circle 2 8 8))')" in texts  # turned
    assert "Node('(Quad 8 8 4 3 0)')" in texts  # the hole dropped
    swapped = [n for n in near if sum(p.kind == QUAD for _, p in primitives(n)) == 2]
    assert swapped  # the round hole as a square one
    # values stay on the grid
    for n in near:
        for _, p in primitives(n):
            numbers = p.children[:4] if p.kind == QUAD else p.children
            assert all(0 <= c.value <= 15 for c in numbers)


def test_a_matched_sketch_ends_the_search_with_its_likeliest_match():
    target = _house_sketch()
    # the fit alone matches the sketch with the notched round roof; the search then reads
    # the sketch once more, within the budget
    first = synthesize(target, "random", budget=2000, config=SearchConfig(likeliest_calls=0))
    assert first.solved and "Circle" in first.program
    found = synthesize(target, "random", budget=2000)
    assert found.solved and found.calls <= 2000
    program = parse(found.program)
    assert "Circle" not in found.program and program.sigma == 2
    assert _cost(target, program) < _cost(target, parse(first.program))
