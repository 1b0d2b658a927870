"""The search worker: a cancel is heard at the next chunk, the GUI thread keeps running
meanwhile, pause holds the search, and progress reports keep coming during slow batches.

Every wait is on a condition (``qtbot.waitUntil``, with generous timeouts), never a
fixed sleep or a wall-clock bound, so a loaded machine slows these tests down but does
not fail them.  (Not ``qtbot.waitSignal`` on a worker's signal: its slot would run on
the worker thread and stop the blocker's timer there.)
"""

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from editor.workers import STATS_INTERVAL, CallWorker, Jobs, SearchWorker
from inference.lang.syntax import parse
from inference.model.onnx_model import PolicyModel
from inference.search.beam import SearchConfig
from inference.search.proposers import PolicyProposer, RandomMutationProposer
from inference.targets.target import Target

WAIT_MS = 20_000
"""Timeout of a wait: only a stuck worker takes this long."""


def checkerboard() -> np.ndarray:
    """A target no search solves quickly (64 squares)."""
    i = np.arange(128) // 16
    return (i[:, None] + i[None, :]) % 2 == 0


@pytest.fixture
def jobs():
    j = Jobs()
    yield j
    j.shutdown()


@pytest.fixture(scope="module")
def model(fake_model_path):
    return PolicyModel.load(fake_model_path, intra_op_threads=1)


class CountingProposer:
    """A proposer that counts the calls begun (one per chunk of a search step)."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0
        self.uses_image = getattr(inner, "uses_image", False)

    def propose(self, target, programs, n, rng, locked, cancel=None):
        self.calls += 1
        return self.inner.propose(target, programs, n, rng, locked, cancel=cancel)

    def values(self, target, programs, cancel=None):
        self.calls += 1
        return self.inner.values(target, programs, cancel=cancel)


def test_cancel_is_heard_at_the_next_chunk_and_the_gui_keeps_running(qtbot, jobs, model):
    proposer = CountingProposer(PolicyProposer(model))
    config = SearchConfig(beam_width=64, budget=1_000_000, max_depth=10_000)
    worker = SearchWorker(Target(checkerboard()), proposer, config, parse("(Circle 4 8 8)"), (), 1)
    events, ticks, ended = [], [], threading.Event()
    worker.progress.connect(events.append)
    worker.finished.connect(lambda _event: ended.set())
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(ended.is_set()))
    timer.start()
    jobs.start(worker)
    # the GUI thread serves its timer 30 times while the search runs and reports
    qtbot.waitUntil(
        lambda: len(ticks) >= 30 and events != [] and proposer.calls >= 2, timeout=WAIT_MS
    )
    assert not any(ticks) and jobs.busy()
    begun = proposer.calls
    worker.cancel()
    qtbot.waitUntil(ended.is_set, timeout=WAIT_MS)
    timer.stop()
    # no chunk begins after the cancel (one may begin as the cancel comes)
    assert proposer.calls <= begun + 1, f"{proposer.calls - begun} chunks after the cancel"
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=WAIT_MS)


class CountedWaits(threading.Event):
    """An event that counts the waits that ran out (the paused worker polls it)."""

    def __init__(self):
        super().__init__()
        self.timeouts = 0

    def wait(self, timeout=None):
        woken = super().wait(timeout)
        self.timeouts += not woken
        return woken


def test_pause_holds_the_search_between_steps(qtbot, jobs):
    config = SearchConfig(beam_width=8, budget=10_000_000, max_depth=10_000_000)
    proposer = CountingProposer(RandomMutationProposer())
    start = parse("(Circle 4 8 8)")
    worker = SearchWorker(Target(checkerboard()), proposer, config, start, (), 2)
    gate = worker._running = CountedWaits()  # the pause gate: count the polls while held
    gate.set()
    jobs.start(worker)
    qtbot.waitUntil(lambda: proposer.calls >= 3, timeout=WAIT_MS)
    worker.set_paused(True)
    held = proposer.calls
    qtbot.waitUntil(lambda: gate.timeouts >= 3, timeout=WAIT_MS)  # waiting at the gate
    assert proposer.calls <= held + 1  # at most the call under way when the pause came
    held = proposer.calls
    polls = gate.timeouts
    qtbot.waitUntil(lambda: gate.timeouts >= polls + 3, timeout=WAIT_MS)
    assert proposer.calls == held  # still held
    worker.set_paused(False)
    qtbot.waitUntil(lambda: proposer.calls > held + 2, timeout=WAIT_MS)
    worker.cancel()
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=WAIT_MS)


def test_call_worker_reports_errors_as_messages(qtbot, jobs):
    def boom(cancelled):
        raise ValueError("program has 400 tokens, over the limit")

    worker = CallWorker(boom)
    errors = []
    worker.error.connect(errors.append)
    jobs.start(worker)
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=WAIT_MS)
    assert errors == ["program has 400 tokens, over the limit"]


class HeldProposer(RandomMutationProposer):
    """Random mutations whose every call waits for the test's go-ahead: a network batch on
    a busy machine, as slow as the test makes it."""

    def __init__(self):
        self.begun = 0
        self.go = threading.Semaphore(0)

    def propose(self, target, programs, n, rng, locked):
        self.begun += 1
        assert self.go.acquire(timeout=WAIT_MS / 1000), "the test never let the batch end"
        return super().propose(target, programs, n, rng, locked)


def test_stats_keep_coming_between_improvements_and_during_slow_batches(qtbot, jobs):
    config = SearchConfig(beam_width=16, budget=1_000_000, max_depth=1_000_000)
    proposer = HeldProposer()  # 16 programs: two chunks a step
    worker = SearchWorker(Target(checkerboard()), proposer, config, parse("(Circle 4 8 8)"), (), 3)
    improvements, stats, arrived = [], [], []
    worker.progress.connect(improvements.append)
    worker.stats.connect(lambda r: (stats.append(r), arrived.append(time.perf_counter())))
    jobs.start(worker)
    qtbot.waitUntil(lambda: proposer.begun == 1, timeout=WAIT_MS)
    first_batch = time.perf_counter()
    for batch in range(1, 7):  # three steps
        # the batch is slow: it lasts longer than the report interval (the worker is held,
        # so no report is on its way and the last one has arrived once this holds)
        qtbot.waitUntil(
            lambda: arrived and time.perf_counter() - arrived[-1] > STATS_INTERVAL,
            timeout=WAIT_MS,
        )
        sent, held_until = len(stats), time.perf_counter()
        proposer.go.release()
        # a report comes after the slow batch, before the next batch begins
        qtbot.waitUntil(lambda b=batch: proposer.begun == b + 1, timeout=WAIT_MS)
        qtbot.waitUntil(lambda s=sent: len(stats) > s, timeout=WAIT_MS)
        assert stats[-1].elapsed >= held_until - first_batch  # the slow batch is counted
    worker.cancel()
    proposer.go.release(100)
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=WAIT_MS)
    print(f"{len(stats)} stats, {len(improvements)} improvements in 6 slow batches")
    assert len(stats) > len(improvements)
    calls = [r.calls for r in stats]
    assert calls == sorted(calls) and calls[-1] > calls[0]  # several steps were counted
    assert all(r.best_score is not None for r in stats[1:])
    elapsed = [r.elapsed for r in stats]
    assert elapsed == sorted(elapsed)
