"""One-value refinement outside CSG2D (:mod:`inference.search.value_refine`): TinySVG
values climbed back to the drawing, locks kept, the budget never passed."""

import numpy as np

from inference.lang.tinysvg import parse_tinysvg
from inference.lang.tree import node_at, walk
from inference.search.beam import SearchConfig, beam_search
from inference.search.proposers import RandomMutationProposer
from inference.search.value_refine import refine_values, value_candidates
from inference.targets.drawing_target import DrawingTarget

TRUTH_TEXT = (
    "(Arrange h (Rectangle 3 4 red none 0) (Move (Ellipse 2 2 blue black 2) 1 0 false true) 1)"
)
TRUTH = parse_tinysvg(TRUTH_TEXT)
# three values off: the rectangle's colour, the ellipse's stroke colour, the move's y
START = parse_tinysvg(
    "(Arrange h (Rectangle 3 4 green none 0) (Move (Ellipse 2 2 blue red 2) 1 2 false true) 1)"
)


def test_three_wrong_values_are_climbed_back_to_the_drawing():
    target = DrawingTarget.of(TRUTH)
    res = refine_values(START, target)
    assert res.program == TRUTH and target.solves(res.score)
    rounds = 4  # three that improve, one that finds nothing better
    assert res.steps == 3 and res.calls == 1 + rounds * len(value_candidates(START))
    assert res.score == float(target.score_many([TRUTH])[0])


def test_candidates_cover_every_value_leaf_with_its_grammar_values():
    cands = value_candidates(START)
    leaves = [(p, n) for p, n in walk(START) if not n.children and n.value is not None]
    per_leaf = {p: sum(1 for q, _ in cands if q == p) for p, _ in leaves}
    assert len(cands) == sum(per_leaf.values()) + 2
    colour = next(p for p, n in leaves if n.value == "green")
    assert per_leaf[colour] == 8  # nine colours, one of them its own
    assert all(new != node_at(START, p) for p, new in cands)
    swaps = [(p, new.kind) for p, new in cands if new.children]
    assert [k for _, k in swaps] == ["Ellipse", "Rectangle"]  # each primitive the other kind
    assert all(new.children == node_at(START, p).children for p, new in cands if new.children)
    near = value_candidates(START, nearby=True)
    digits = [p for p, n in leaves if type(n.value) is int]
    assert all(1 <= sum(1 for q, _ in near if q == p) <= 2 for p in digits)
    assert sum(1 for q, _ in near if q == colour) == 8  # a colour has no "next"


def test_locks_are_kept_and_the_budget_is_never_passed():
    target = DrawingTarget.of(TRUTH)
    rect = next(p for p, n in walk(START) if n.kind == "Rectangle")
    res = refine_values(START, target, locked=[rect])
    assert node_at(res.program, rect) == node_at(START, rect)  # still green
    assert res.program != START  # the free values still climb
    wide = parse_tinysvg(TRUTH_TEXT.replace(") 1)", ") 3)"))  # the gap above the rectangle off
    gap = list(walk(wide))[-1][0]
    assert node_at(refine_values(wide, target).program, gap).value == 1
    assert node_at(refine_values(wide, target, locked=[rect]).program, gap).value == 3
    for budget in (1, 7, 60):
        assert refine_values(START, target, budget=budget).calls <= budget


def test_the_hybrid_beam_search_runs_on_tinysvg():
    target = DrawingTarget.of(TRUTH)
    cfg = SearchConfig(budget=1500, beam_width=8, fit=False, refine=True, refine_calls=400)
    events = list(beam_search(target, RandomMutationProposer(), np.random.default_rng(1), cfg))
    plain = SearchConfig(budget=1500, beam_width=8, fit=False)
    without = list(beam_search(target, RandomMutationProposer(), np.random.default_rng(1), plain))
    assert events[-1].calls <= 1500 and events[-1].score >= without[-1].score


def test_a_primitive_of_the_wrong_kind_becomes_the_right_one():
    target = DrawingTarget.of(TRUTH)
    start = parse_tinysvg(TRUTH_TEXT.replace("Rectangle 3 4", "Ellipse 3 4"))
    res = refine_values(start, target)
    assert res.program == TRUTH and res.steps == 1


def test_tinysvg_refinement_is_not_held_to_the_csg2d_share(monkeypatch):
    """``refine_share`` caps CSG2D's refinements (they compete with the fitted start); on
    TinySVG a long climb is the search's best step and keeps the calls it needs."""
    import inference.search.beam as beam

    spent = []

    def counted(*args, **kw):
        res = climb_fn(*args, **kw)
        spent.append(res.calls)
        return res

    climb_fn = beam.refine_values
    monkeypatch.setattr(beam, "refine_values", counted)
    target = DrawingTarget.of(TRUTH)
    far = parse_tinysvg(
        "(Arrange v (Ellipse 7 1 yellow green 5) (Move (Rectangle 6 6 orange red 7) 4 4 true "
        "false) 5)"
    )
    cfg = SearchConfig(
        budget=1000, beam_width=4, fit=False, refine=True, refine_calls=1000, refine_share=0.1
    )
    list(beam_search(target, RandomMutationProposer(), np.random.default_rng(2), cfg, start=far))
    assert sum(spent) > 0.1 * 1000  # past the share a CSG2D search would stop at
