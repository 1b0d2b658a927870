"""Background work: worker QObjects run on QThreads, never on the GUI thread.

* :class:`CallWorker` runs one function (load a model, compute proposals)
  and reports ``finished(result)`` or ``error(message)``.
* :class:`SearchWorker` runs :func:`inference.search.beam.view_search` and reports
  every improvement with ``progress(event)``, and how far it is with
  ``stats(SearchProgress)`` at least every :data:`STATS_INTERVAL` seconds of
  its own work (between steps and before and after each proposer chunk);
  :meth:`SearchWorker.cancel` stops it and :meth:`SearchWorker.set_paused`
  holds it between steps.
* :class:`CancellableProposer` wraps a proposer so that a cancel is noticed
  between small chunks of a search step, not only between steps: with a
  network over a 64-program beam one step can take far longer than the
  0.2 s a stop may take.  It takes the search's ``cancel`` and hands it to the
  inner proposer (the policy asks it before every network batch, so a stop is
  heard inside a chunk too: :mod:`inference.util.cancellation`).
* :class:`Jobs` keeps workers and their threads alive until they finish.

Workers hand results over in their signals only; the receiving slots run on
the GUI thread (queued connections).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from inference.lang.tree import Node
from inference.search.beam import SearchConfig, view_search
from inference.search.proposers import passing_cancel
from inference.search.search_run import SearchEvent, SearchProgress
from inference.targets.target import Target
from inference.util.cancellation import CancelFn

log = logging.getLogger("treesketch.editor")
CHUNK = 8
"""Programs per proposer call inside one search step (the cancel granularity)."""
STATS_INTERVAL = 0.1
"""Seconds between two ``SearchWorker.stats`` reports (at most ten a second reach the GUI)."""


class Cancelled(Exception):
    """Raised inside a worker when its job was cancelled."""


class CallWorker(QObject):
    """Run ``fn(cancelled)`` on a worker thread; ``cancelled()`` tells it to give up."""

    finished = Signal(object)
    error = Signal(str)

    def __init__(self, fn: Callable[[Callable[[], bool]], object]):
        super().__init__()
        self._fn = fn
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop; its result will be ``None``."""
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self._cancel.is_set)
        except Cancelled:
            result = None
        except Exception as e:  # reported to the user, never raised into Qt
            log.debug("worker failed", exc_info=True)
            self.error.emit(f"{type(e).__name__}: {e}" if not str(e) else str(e))
            return
        self.finished.emit(None if self._cancel.is_set() else result)


class CancellableProposer:
    """A proposer that checks ``cancelled`` between chunks of :data:`CHUNK` programs.

    ``beat`` (if given) is called before and after every chunk: a network
    batch can take seconds on a busy machine, and the caller wants to say so.
    """

    def __init__(
        self, inner, cancelled: Callable[[], bool], beat: Callable[[], None] | None = None
    ):
        self.inner = inner
        self.cancelled = cancelled
        self.beat = beat or (lambda: None)
        self.uses_image = getattr(inner, "uses_image", False)

    def _check(self) -> None:
        if self.cancelled():
            raise Cancelled
        self.beat()

    def propose(self, target, programs, n, rng, locked, cancel: CancelFn | None = None):
        """The inner proposer's edits, asked for :data:`CHUNK` programs at a time.

        ``cancel`` (the search's) is passed on to the inner proposer when it takes one,
        which then stops inside a chunk with :class:`inference.util.cancellation.Cancelled`.
        """
        propose = passing_cancel(self.inner.propose, cancel)
        out = []
        for i in range(0, len(programs), CHUNK):
            self._check()
            out += propose(target, programs[i : i + CHUNK], n, rng, locked[i : i + CHUNK])
        self.beat()
        return out

    def values(self, target, programs, cancel: CancelFn | None = None):
        """The inner proposer's value estimates, :data:`CHUNK` programs at a time
        (``cancel`` as for :meth:`propose`)."""
        values = passing_cancel(self.inner.values, cancel)
        parts = []
        for i in range(0, len(programs), CHUNK):
            self._check()
            part = values(target, programs[i : i + CHUNK])
            if part is None:
                return None
            parts.append(np.asarray(part))
        self.beat()
        return np.concatenate(parts) if parts else None


class SearchWorker(QObject):
    """Beam search from a start program on a worker thread.

    Signals:
        progress(SearchEvent): the best program improved.
        stats(SearchProgress): calls used, seconds since the start and the best
            score so far; at least every :data:`STATS_INTERVAL` s while the
            search works (not while paused), at most ten a second.
        finished(object): the last event (``None`` if none came), after a
            normal end, a solve, the budget (calls, or ``seconds`` of searching: time
            held by :meth:`set_paused` does not count), or a cancel.
        error(str): the search failed.
    """

    progress = Signal(object)
    stats = Signal(object)
    finished = Signal(object)
    error = Signal(str)

    def __init__(
        self,
        target: Target,
        proposer,
        config: SearchConfig,
        start: Node,
        locked: Sequence[int],
        seed: int,
        seconds: float | None = None,
    ):
        super().__init__()
        self._args = (target, config, start, tuple(locked), seed)
        self.seconds = seconds
        self._held = 0.0  # seconds spent paused
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.proposer = CancellableProposer(proposer, self._stop_requested, self._beat)
        self._t0 = time.perf_counter()
        self._latest = SearchProgress(0, 0.0, None, 0)
        self._sent = float("-inf")

    def cancel(self) -> None:
        """Stop the search at the next check (at most one chunk of one step)."""
        self._cancel.set()
        self._running.set()

    def set_paused(self, paused: bool) -> None:
        """Hold (or resume) the search between steps."""
        if paused:
            self._running.clear()
        else:
            self._running.set()

    def _stop_requested(self) -> bool:
        if not self._running.is_set():
            held = time.perf_counter()
            while not self._running.wait(0.05):
                pass
            self._held += time.perf_counter() - held
        if self.seconds is not None and self.searched() >= self.seconds:
            return True
        return self._cancel.is_set()

    def searched(self) -> float:
        """Seconds the search has run, its pauses left out (as far as the search has seen)."""
        return time.perf_counter() - self._t0 - self._held

    def _note(self, report: SearchProgress) -> None:
        """The search's own report (on the worker thread)."""
        self._latest = report
        self._beat()

    def _beat(self) -> None:
        """Send the latest report with the time now, unless one went out just before."""
        now = time.perf_counter()
        if now - self._sent >= STATS_INTERVAL and not self._cancel.is_set():
            self._sent = now
            self.stats.emit(replace(self._latest, elapsed=now - self._t0))

    @Slot()
    def run(self) -> None:
        target, config, start, locked, seed = self._args
        rng = np.random.default_rng(seed)
        last: SearchEvent | None = None
        self._t0 = time.perf_counter()
        try:
            events = view_search(
                target, self.proposer, rng, config, start, locked, self._stop_requested, self._note
            )
            for event in events:
                last = event
                if not self._cancel.is_set():
                    self.progress.emit(event)
        except Cancelled:
            pass
        except Exception as e:
            log.debug("search failed", exc_info=True)
            self.error.emit(str(e) or type(e).__name__)
            return
        self.finished.emit(last)


class Jobs(QObject):
    """Starts workers on their own QThreads and keeps them alive until they finish."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._running: list[tuple[QObject, QThread]] = []

    def start(self, worker: QObject) -> QThread:
        """Move ``worker`` to a new thread and call its ``run`` there."""
        thread = QThread()
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # QThread.quit is thread-safe: call it from the worker thread, so a thread
        # ends even when the GUI event loop is not running (shutdown, tests)
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        worker.error.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._running.append((worker, thread))
        thread.finished.connect(self._thread_finished)  # queued: runs on the GUI thread
        thread.start()
        return thread

    @Slot()
    def _thread_finished(self) -> None:
        thread = self.sender()
        for pair in list(self._running):
            if pair[1] is thread:
                thread.wait()  # it has finished; make sure before the last reference goes
                self._running.remove(pair)

    def busy(self) -> bool:
        """True while any worker is running."""
        return bool(self._running)

    def shutdown(self, timeout_ms: int = 3000) -> None:
        """Cancel every worker and wait for the threads to end."""
        for worker, _ in list(self._running):
            worker.cancel()
        for _, thread in list(self._running):
            if not thread.wait(timeout_ms):
                log.error("a worker thread did not stop in %d ms", timeout_ms)
                thread.terminate()
                thread.wait()
        self._running.clear()
