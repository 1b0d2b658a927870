"""The beam search is the same for TinySVG (issue 17): a DrawingTarget, random starts of the
drawing's own grammar, and random grammar mutations as proposals."""

import numpy as np

from inference.lang.grammar import TINYSVG
from inference.lang.tinysvg import parse_tinysvg
from inference.search.beam import SearchConfig, beam_search
from inference.search.proposers import RandomMutationProposer
from inference.targets.drawing_target import DrawingTarget

TRUTH = parse_tinysvg("(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue none 0) 1)")


def test_random_starts_are_drawings_and_the_score_climbs():
    target = DrawingTarget.of(TRUTH)
    cfg = SearchConfig(budget=600, beam_width=8, samples_per_program=3, fit=False)
    events = list(beam_search(target, RandomMutationProposer(), np.random.default_rng(0), cfg))
    assert all(e.program.grammar is TINYSVG for e in events)
    assert events[-1].finished and events[-1].calls <= 600
    assert events[-1].score > events[0].score
