"""The search worker: cancel is prompt and the GUI thread keeps running meanwhile."""

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from editor.workers import CallWorker, Jobs, SearchWorker
from inference.onnx_model import PolicyModel
from inference.search import PolicyProposer, RandomMutationProposer, SearchConfig, Target
from inference.syntax import parse


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


def test_cancel_stops_within_0_2_s_and_gui_stays_responsive(qtbot, jobs, model):
    target = checkerboard()
    proposer = PolicyProposer(model)
    config = SearchConfig(beam_width=64, budget=1_000_000, max_depth=10_000)
    worker = SearchWorker(Target(target), proposer, config, parse("(Circle 4 8 8)"), (), seed=1)
    events, ticks = [], []
    worker.progress.connect(events.append)
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(clock.elapsed()))
    timer.start()
    jobs.start(worker)
    qtbot.wait(600)  # the search runs; the GUI thread keeps serving its timer
    assert jobs.busy() and events, "the search should be running and reporting"
    gaps = np.diff(ticks)
    assert len(ticks) >= 30 and gaps.max() < 100, f"GUI thread stalled: {gaps.max()} ms"
    done = threading.Event()  # set on the worker thread, the moment the search has ended
    worker.finished.connect(lambda _event: done.set(), Qt.ConnectionType.DirectConnection)
    t0 = time.perf_counter()
    worker.cancel()
    assert done.wait(2.0)
    stopped = time.perf_counter() - t0
    timer.stop()
    print(f"stopped in {stopped * 1000:.0f} ms after {events[-1].calls} renderer calls")
    assert stopped < 0.2, f"stopping took {stopped:.3f} s"
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=2000)


class CountingProposer(RandomMutationProposer):
    """Random mutations that count the proposer calls (one per chunk of a search step)."""

    calls = 0

    def propose(self, target, programs, n, rng, locked):
        self.calls += 1
        return super().propose(target, programs, n, rng, locked)


def test_pause_holds_the_search_between_steps(qtbot, jobs):
    config = SearchConfig(beam_width=8, budget=10_000_000, max_depth=10_000_000)
    proposer = CountingProposer()
    start = parse("(Circle 4 8 8)")
    worker = SearchWorker(Target(checkerboard()), proposer, config, start, (), 2)
    jobs.start(worker)
    qtbot.waitUntil(lambda: proposer.calls >= 3, timeout=3000)
    worker.set_paused(True)
    qtbot.wait(150)
    held = proposer.calls
    qtbot.wait(300)
    assert proposer.calls == held
    worker.set_paused(False)
    qtbot.waitUntil(lambda: proposer.calls > held + 2, timeout=3000)
    worker.cancel()
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=2000)


def test_call_worker_reports_errors_as_messages(qtbot, jobs):
    def boom(cancelled):
        raise ValueError("program has 400 tokens, over the limit")

    worker = CallWorker(boom)
    errors = []
    worker.error.connect(errors.append)
    jobs.start(worker)
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=2000)
    assert errors == ["program has 400 tokens, over the limit"]


class SlowProposer(RandomMutationProposer):
    """Random mutations that take ``delay`` seconds a call, like a network on a busy machine."""

    def __init__(self, delay: float):
        self.delay = delay

    def propose(self, target, programs, n, rng, locked):
        time.sleep(self.delay)
        return super().propose(target, programs, n, rng, locked)


def test_stats_keep_coming_between_improvements_and_during_slow_batches(qtbot, jobs):
    config = SearchConfig(beam_width=16, budget=1_000_000, max_depth=1_000_000)
    proposer = SlowProposer(0.3)  # 16 programs: two chunks, 0.6 s a step
    worker = SearchWorker(Target(checkerboard()), proposer, config, parse("(Circle 4 8 8)"), (), 3)
    improvements, stats, seen_at = [], [], []
    worker.progress.connect(improvements.append)
    worker.stats.connect(lambda r: (stats.append(r), seen_at.append(time.perf_counter())))
    jobs.start(worker)
    t0 = time.perf_counter()
    qtbot.wait(3000)
    worker.cancel()
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=3000)
    print(f"{len(stats)} stats, {len(improvements)} improvements in 3 s")
    gaps = np.diff([t0, *seen_at])
    assert len(stats) >= 6 and gaps.max() < 1.0, f"stats gaps: {np.round(gaps, 2)}"
    assert len(stats) > len(improvements)
    calls = [r.calls for r in stats]
    assert calls == sorted(calls) and calls[-1] > 50  # several steps were counted
    assert all(r.best_score is not None for r in stats[1:])
    elapsed = [r.elapsed for r in stats]
    assert elapsed == sorted(elapsed) and elapsed[-1] > 2.0
