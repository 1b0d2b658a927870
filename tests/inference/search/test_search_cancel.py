"""A cancel reaches the policy's network work: the search stops within a batch, not a step.

The latency with the shipped model is measured by ``python -m inference.benchmarks.cancel_latency``;
here the bound is generous (1 s) so the tests hold on a busy machine.
"""

import threading
import time

import numpy as np
import pytest

from inference.lang.syntax import parse
from inference.model.decoding import evaluate_values, sample_edits, top_edits
from inference.model.onnx_model import PolicyModel, default_model_path
from inference.noise.random_programs import random_program
from inference.render.raster import render
from inference.search.beam import SearchConfig, beam_search, rollouts, view_search
from inference.search.proposers import PolicyProposer, RandomMutationProposer, takes_cancel
from inference.targets.target import Target
from inference.util.cancellation import Cancelled
from tests.fake_policy import load_fake_policy

GOAL = parse("(- (+ (Circle 6 8 8) (Quad 12 5 3 2 45)) (Circle 2 8 8))")
HARD = parse(
    "(- (+ (Quad 7 1 8 7 180) (Circle 14 11 1)) (- (+ (Circle 5 13 6) (Quad 6 15 4 6 180))"
    " (- (Quad 3 15 13 10 135) (- (Circle 2 14 6) (Quad 12 2 14 4 0)))))"
)
BOUND = 1.0
"""Seconds a search may take to end after its cancel (measured: about 0.03–0.2 s)."""
SHIPPED = default_model_path("filled")


@pytest.fixture(scope="module")
def fake(tmp_path_factory) -> PolicyModel:
    return load_fake_policy(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def shipped() -> PolicyModel:
    if not SHIPPED.exists():
        pytest.skip("no shipped policy model")
    return PolicyModel.load(SHIPPED, intra_op_threads=1)


class Counting:
    """A cancel callback that returns True from its ``n``-th call on; notes when it flipped."""

    def __init__(self, n: int):
        self.n, self.calls, self.flipped = n, 0, None

    def __call__(self) -> bool:
        self.calls += 1
        if self.calls >= self.n and self.flipped is None:
            self.flipped = time.perf_counter()
        return self.calls >= self.n


def _programs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [random_program(rng, (2, 6)) for _ in range(n)]


def test_decoding_asks_cancel_before_every_network_batch(fake):
    target = render(GOAL, 128)
    batches = []
    run = fake.run
    fake.run = lambda inputs: batches.append(1) or run(inputs)
    try:
        polls = Counting(10**9)
        sample_edits(fake, target, _programs(40), 3, np.random.default_rng(0), cancel=polls)
    finally:
        del fake.run
    assert len(batches) > 1 and polls.calls == len(batches)
    for n in (1, 2, 5):
        with pytest.raises(Cancelled):
            sample_edits(
                fake, target, _programs(40), 3, np.random.default_rng(0), cancel=Counting(n)
            )
    with pytest.raises(Cancelled):
        evaluate_values(fake, target, _programs(40), cancel=lambda: True)
    with pytest.raises(Cancelled):
        top_edits(fake, target, GOAL, 5, cancel=Counting(2))


def test_a_cancel_that_never_comes_changes_no_proposal(fake):
    target = render(GOAL, 128)
    programs = _programs(30, seed=1)
    plain = sample_edits(fake, target, programs, 3, np.random.default_rng(4))
    polled = sample_edits(fake, target, programs, 3, np.random.default_rng(4), cancel=lambda: False)
    assert [[p.edit for p in ps] for ps in plain] == [[p.edit for p in ps] for ps in polled]
    for a, b in zip(sum(plain, []), sum(polled, []), strict=True):
        assert a.logprob == pytest.approx(b.logprob, abs=1e-4)
    values = evaluate_values(fake, target, programs).values
    assert np.allclose(values, evaluate_values(fake, target, programs, cancel=lambda: False).values)


@pytest.mark.parametrize("strategy", [beam_search, rollouts])
def test_a_cancel_inside_a_step_ends_the_search_cleanly(fake, strategy):
    polls = Counting(4)  # the first step's network batches have begun
    cfg = SearchConfig(beam_width=32, budget=100_000, max_depth=1000)
    proposer = PolicyProposer(fake)
    events = list(strategy(Target(render(GOAL, 128)), proposer, np.random.default_rng(0), cfg,
                           cancel=polls))  # fmt: skip
    assert events[-1].finished and events[-1].depth <= 1
    assert polls.calls == 4  # heard inside the step, and the search asked no more


def test_a_proposer_without_a_cancel_keyword_still_works():
    class Plain(RandomMutationProposer):
        def propose(self, target, programs, n, rng, locked):
            return super().propose(target, programs, n, rng, locked)

        def values(self, target, programs):
            return None

    assert not takes_cancel(Plain().propose) and takes_cancel(RandomMutationProposer().propose)
    cfg = SearchConfig(beam_width=8, budget=300)
    events = list(beam_search(Target(render(GOAL, 128)), Plain(), np.random.default_rng(0), cfg,
                              cancel=Counting(3)))  # fmt: skip
    assert events[-1].finished and events[-1].depth == 2


def test_view_search_with_the_shipped_model_stops_soon_after_a_cancel_from_another_thread(
    shipped,
):
    target = Target(render(HARD, 128))
    stop, stepping = threading.Event(), threading.Event()
    ended: list[float] = []
    events = []

    def progress(report):
        if report.depth >= 1:
            stepping.set()

    def work():
        cfg = SearchConfig(budget=1_000_000)
        search = view_search(target, PolicyProposer(shipped), np.random.default_rng(0), cfg,
                             cancel=stop.is_set, progress=progress)  # fmt: skip
        events.extend(search)
        ended.append(time.perf_counter())

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    assert stepping.wait(120), "the search never reached its first step"
    time.sleep(0.5)  # inside the first step's network work (a step takes seconds)
    assert thread.is_alive(), "the search ended before the cancel"
    cancelled = time.perf_counter()
    stop.set()
    thread.join(30)
    assert ended and ended[0] - cancelled < BOUND
    assert events[-1].finished and not events[-1].solved


def test_a_search_with_the_shipped_model_stops_within_a_batch_of_the_flip(shipped):
    polls = Counting(6)
    cfg = SearchConfig(budget=1_000_000, fit=False)
    target = Target(render(HARD, 128))
    events = list(view_search(target, PolicyProposer(shipped), np.random.default_rng(2), cfg,
                              cancel=polls))  # fmt: skip
    ended = time.perf_counter()
    assert polls.flipped is not None and ended - polls.flipped < BOUND
    assert events[-1].finished and events[-1].depth == 1  # stopped inside the first step
