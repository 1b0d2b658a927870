"""Stop ends a running auto-run within the search API's bound even when one network batch
is long (issue 14): the editor's CancellableProposer passes the search's ``cancel`` on to
the proposer, which asks it inside its batches (it took only chunks of 8 programs apart)."""

import threading
import time
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from editor.workers import CancellableProposer, Jobs, SearchWorker
from inference.lang.syntax import parse
from inference.search.beam import SearchConfig
from inference.search.proposers import RandomMutationProposer
from inference.targets.target import Target
from inference.util import cancellation

from .test_session import load_house
from .test_workers import checkerboard

BOUND = 0.3
"""Seconds a caller of the search API may wait for it to stop (inference.util.cancellation)."""


class NetworkLikeProposer(RandomMutationProposer):
    """Random mutations after ``delay`` seconds of "network batches" of 10 ms each; like
    the policy, it asks ``cancel`` before every batch."""

    def __init__(self, delay: float):
        self.delay = delay
        self.inside = threading.Event()
        self.cancels: list[object] = []

    def propose(self, target, programs, n, rng, locked, cancel=None):
        self.cancels.append(cancel)
        self.inside.set()
        end = time.perf_counter() + self.delay
        while time.perf_counter() < end:
            cancellation.check(cancel)
            time.sleep(0.01)
        return super().propose(target, programs, n, rng, locked)


class NoCancelProposer(RandomMutationProposer):
    def propose(self, target, programs, n, rng, locked):
        return super().propose(target, programs, n, rng, locked)


def test_the_wrapper_passes_cancel_on_to_a_proposer_that_takes_it():
    inner = NetworkLikeProposer(0.0)
    wrapper = CancellableProposer(inner, lambda: False)
    programs, rng = [parse("(Circle 4 8 8)")] * 20, np.random.default_rng(0)
    target = Target(checkerboard())

    def cancel():
        return False

    assert len(wrapper.propose(target, programs, 2, rng, [()] * 20, cancel=cancel)) > 0
    assert inner.cancels == [cancel] * 3  # chunks of 8, 8 and 4 programs
    wrapper.propose(target, programs[:1], 2, rng, [()])
    assert inner.cancels[-1] is None
    # an inner proposer without the keyword is called as before
    plain = CancellableProposer(NoCancelProposer(), lambda: False)
    assert plain.propose(target, programs[:3], 2, rng, [()] * 3, cancel=cancel)
    assert plain.values(target, programs[:3], cancel=cancel) is None


@pytest.fixture
def jobs():
    j = Jobs()
    yield j
    j.shutdown()


def test_a_search_worker_stops_inside_a_long_batch(qtbot, jobs):
    proposer = NetworkLikeProposer(5.0)  # one chunk: 5 s unless the cancel is heard
    config = SearchConfig(beam_width=8, budget=1_000_000, max_depth=1_000_000, fit=False)
    worker = SearchWorker(Target(checkerboard()), proposer, config, parse("(Circle 4 8 8)"), (), 1)
    done = threading.Event()  # set on the worker thread, the moment the search has ended
    worker.finished.connect(lambda _event: done.set(), Qt.ConnectionType.DirectConnection)
    jobs.start(worker)
    assert proposer.inside.wait(5.0)
    qtbot.wait(300)  # well inside the batch
    t0 = time.perf_counter()
    worker.cancel()
    assert done.wait(5.0)
    stopped = time.perf_counter() - t0
    print(f"stopped in {stopped * 1000:.0f} ms")
    assert stopped < BOUND, f"stopping took {stopped:.3f} s"
    assert any(c is not None for c in proposer.cancels)
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=3000)


def test_stop_ends_a_running_auto_run_in_the_window(qtbot, window, monkeypatch):
    w, pane = window, window.p.proposals
    load_house(w, "(Circle 1 2 2)")
    proposer = NetworkLikeProposer(10.0)  # a long network batch, ten seconds unless stopped
    monkeypatch.setattr(w.p.assistant, "search_proposer", lambda: proposer)
    config = w.p.assistant.search_config
    monkeypatch.setattr(w.p.assistant, "search_config", lambda: replace(config(), fit=False))
    pane.budget.setValue(100_000)
    pane.actions_by_key["autorun"].trigger()
    assert w.p.autorun.state == "running"
    assert proposer.inside.wait(10.0)
    qtbot.wait(1000)
    assert w.p.jobs.busy()
    t0 = time.perf_counter()
    pane.actions_by_key["stop"].trigger()
    assert w.p.autorun.state == "idle"
    qtbot.waitUntil(lambda: not w.p.jobs.busy(), timeout=5000)
    stopped = time.perf_counter() - t0
    print(f"auto-run's thread ended {stopped * 1000:.0f} ms after Stop")
    assert stopped < 1.0, f"the search ran on for {stopped:.2f} s after Stop"  # generous
