"""The beam search is the same for TinySVG (issue 17): a DrawingTarget, random starts of the
drawing's own grammar, random grammar mutations as proposals, and structure first: the
REPL-style search's drawing as a start."""

from dataclasses import replace

import numpy as np

from inference.lang.grammar import TINYSVG
from inference.lang.tinysvg import parse_tinysvg
from inference.search.beam import SearchConfig, beam_search, view_search
from inference.search.proposers import RandomMutationProposer
from inference.search.svg_repl import fit_lines
from inference.targets.drawing_target import DrawingTarget

TRUTH = parse_tinysvg("(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue none 0) 1)")
TWO_APART = (
    "(Arrange v (Rectangle 6 2 red black 3) (Move (Ellipse 3 3 blue none 0) 2 0 true false) 1)"
)


def test_random_starts_are_drawings_and_the_score_climbs():
    target = DrawingTarget.of(TRUTH)
    cfg = SearchConfig(budget=600, beam_width=8, samples_per_program=3, fit=False)
    events = list(beam_search(target, RandomMutationProposer(), np.random.default_rng(0), cfg))
    assert all(e.program.grammar is TINYSVG for e in events)
    assert events[-1].finished and events[-1].calls <= 600
    assert events[-1].score > events[0].score


def test_the_search_starts_from_the_repl_s_drawing_and_counts_its_calls():
    """Structure first on TinySVG: the REPL-style search's drawing, as a short program, is
    the first event and joins the first beam; with ``fit`` off the search starts at random."""
    target = DrawingTarget.of(parse_tinysvg(TWO_APART))
    cfg = SearchConfig(budget=800, beam_width=8, samples_per_program=3, lines_fit_share=0.5)
    fitted = fit_lines(target, 400)
    assert fitted.program is not None and fitted.program.grammar is TINYSVG
    assert fitted.calls <= 400 and fitted.score == target.score(fitted.program)
    events = list(view_search(target, RandomMutationProposer(), np.random.default_rng(0), cfg))
    first = events[0]
    assert (first.program, first.score, first.calls) == (
        fitted.program,
        fitted.score,
        fitted.calls,
    )
    assert events[-1].finished and events[-1].calls <= 800
    assert events[-1].score >= fitted.score
    no_fit = replace(cfg, fit=False)
    cold = list(view_search(target, RandomMutationProposer(), np.random.default_rng(0), no_fit))
    assert cold[0].program != fitted.program and cold[0].score < fitted.score


def test_a_blank_drawing_fits_no_lines():
    blank = DrawingTarget(np.full((224, 224, 3), 255, dtype=np.uint8))
    fitted = fit_lines(blank, 300)
    assert fitted.program is None and fitted.calls <= 300


def test_the_policy_skips_a_start_longer_than_it_reads():
    """TinySVG's fitted start may be longer than the network's 256 tokens: it gets no
    proposals and ranks last, and the search goes on (it once raised inside the model)."""
    from inference.model.onnx_model import PolicyModel, default_svg_model_path
    from inference.search.proposers import PolicyProposer

    long = "(Rectangle 2 2 red none 0)"
    for k in range(55):  # more than the 256 tokens the network reads
        long = f"(Move {long} {k % 2} 0 {'true' if k % 4 else 'false'} false)"
    long = parse_tinysvg(long)
    assert long.size > 256
    policy = PolicyProposer(PolicyModel.load(default_svg_model_path(), language="TinySVG"))
    target = DrawingTarget.of(TRUTH)
    rng = np.random.default_rng(0)
    proposals = policy.propose(target, [long, TRUTH], 3, rng, [frozenset(), frozenset()])
    assert proposals[0] == [] and proposals[1]
    values = policy.values(target, [long, TRUTH])
    assert values[0] == np.inf and np.isfinite(values[1])
    cfg = SearchConfig(budget=200, beam_width=4, fit=False)
    events = list(beam_search(target, policy, rng, cfg, start=long))
    assert events[-1].finished and events[-1].calls <= 200
