"""Auto-run: the beam search on a worker thread, applied to the document as one undo step.

The search starts from the document's program with its locks.  Each
improvement it reports is applied at once (the tree, text and render follow
it live) as the smallest edit from the current program
(``commands.search_step``), inside one ``QUndoStack`` macro, so undo takes
back the whole run.  While it runs the document is *busy* and manual editing
is disabled.  Stop takes effect immediately: the macro is closed with the
best program so far and anything the worker still reports is ignored.

Besides the improvements, the worker reports how far the search is
(``SearchProgress``: calls, best score) several times a second; they are
passed on as :attr:`AutoRun.stats`, and :meth:`AutoRun.elapsed` is the run's
time without its pauses, so the pane can show a live clock.  There is
nothing to search toward on an empty pad: auto-run then says so and does
nothing else.

On a TinySVG document the search scores against ``doc.score_target()`` (a
``DrawingTarget``) with the model of TinySVG, or random mutations without one; the
one-value refinement is :mod:`inference.search.value_refine`'s, and the closing tidy
merges moves (:mod:`inference.lang.svg_simplify`: the same pixels, no renderer call, so it
runs even when the budget is spent).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from PySide6.QtCore import QObject, Signal, Slot

from editor import commands
from editor.assistant import NEED_TARGET, Assistant
from editor.document import Document
from editor.workers import Jobs, SearchWorker
from inference.lang.grammar import CSG2D
from inference.search.search_run import SearchEvent, SearchProgress
from inference.search.tidy import tidy

log = logging.getLogger("treesketch.editor")
IDLE, RUNNING, PAUSED = "idle", "running", "paused"


class AutoRun(QObject):
    """Starts, pauses and stops auto-run for one document.

    Signals:
        stateChanged(str): ``"idle"``, ``"running"`` or ``"paused"``.
        progress(object): a :class:`SearchEvent` (best so far, calls spent).
        stats(object): a :class:`SearchProgress` (calls, best score), several a second.
        finished(object): the best event, its ``calls`` all the calls spent
            (``None`` if the search never reported).
        message(str): a line for the status bar and log.
    """

    stateChanged = Signal(str)
    progress = Signal(object)
    stats = Signal(object)
    finished = Signal(object)
    message = Signal(str)

    def __init__(self, doc: Document, assistant: Assistant, jobs: Jobs):
        super().__init__()
        self.doc, self.assistant, self.jobs = doc, assistant, jobs
        self.state = IDLE
        self.best: SearchEvent | None = None
        self.latest: SearchProgress | None = None
        self.budget = 0
        self.seconds: float | None = None
        self._started: float | None = None
        self._paused_at: float | None = None
        self._paused_for = 0.0
        self._stopped_at: float | None = None
        self._worker: SearchWorker | None = None
        self._macro = False
        self._start_score = 0.0

    def start(self) -> None:
        """Run the search from the current program (ignored while one runs)."""
        if self.state != IDLE or self.doc.busy:
            return
        if not self.doc.has_ink():
            self.message.emit(NEED_TARGET)
            return
        self.assistant.clear()
        config = self.assistant.search_config()
        seed = self.assistant.settings.preferences().seed
        worker = SearchWorker(
            self.doc.score_target(),
            self.assistant.search_proposer(),
            config,
            self.doc.program,
            self.doc.locked,
            seed,
            self.assistant.search_seconds(),
        )
        worker.progress.connect(self._progress)
        worker.stats.connect(self._stats)
        worker.finished.connect(self._finished)
        worker.error.connect(self._failed)
        self._worker, self._macro, self.best, self.latest = worker, False, None, None
        self.budget = config.budget
        self.seconds = worker.seconds
        self._started, self._paused_at, self._paused_for = time.monotonic(), None, 0.0
        self._stopped_at = None
        self._start_score = self.doc.score()
        self.doc.set_busy(True)
        self._set_state(RUNNING)
        if self.assistant.usable_model() is not None:
            how = "the model"
        else:
            language = "" if self.doc.grammar is CSG2D else f"{self.doc.language} "
            how = f"random-mutation search (no {language}model)"
        limit = f"{self.seconds:g} s" if self.seconds else f"{config.budget} renderer calls"
        self.message.emit(f"Auto-run with {how}, budget {limit}")
        self.jobs.start(worker)

    def pause(self, paused: bool) -> None:
        """Hold or resume the running search."""
        if self._worker is None:
            return
        self._worker.set_paused(paused)
        now = time.monotonic()
        if paused and self._paused_at is None:
            self._paused_at = now
        elif not paused and self._paused_at is not None:
            self._paused_for += now - self._paused_at
            self._paused_at = None
        self._set_state(PAUSED if paused else RUNNING)

    def elapsed(self) -> float:
        """Seconds the current (or last) run has searched, its pauses left out."""
        if self._started is None:
            return 0.0
        if self._stopped_at is not None:
            return self._stopped_at
        now = self._paused_at if self._paused_at is not None else time.monotonic()
        return now - self._started - self._paused_for

    def stop(self) -> None:
        """Stop now, keeping the best program found so far."""
        if self._worker is None:
            return
        self._worker.cancel()
        self._end("stopped")

    def _current(self) -> bool:
        return self._worker is not None and self.sender() is self._worker

    @Slot(object)
    def _stats(self, report: SearchProgress) -> None:
        if not self._current():
            return
        self.latest = report
        self.stats.emit(report)

    @Slot(object)
    def _progress(self, event: SearchEvent) -> None:
        if not self._current():
            return
        self._apply(event)
        self.progress.emit(event)

    def _apply(self, event: SearchEvent) -> None:
        self.best = event
        self._push(commands.search_step(self.doc, event.program, f"Auto-run step {event.calls}"))

    def _push(self, cmd) -> bool:
        """Push ``cmd`` (if any) into the run's one undo macro; True when pushed."""
        if cmd is None:
            return False
        if not self._macro:
            self.doc.undo_stack.beginMacro("Auto-run")
            self._macro = True
        self.doc.push(cmd)
        return True

    @Slot(object)
    def _finished(self, event) -> None:
        if not self._current():
            return
        if event is not None:
            self._apply(event)
            self._tidy(event)
        words = self.doc.match_words  # a sketch or hand drawing matches; it is not "solved"
        solved = "solved" if words is None else words[0]
        self._end(solved if event is not None and event.solved else "finished")

    def _tidy(self, event: SearchEvent) -> None:
        """Drop operands of the result that do nothing (``inference.search.tidy``), locks kept.

        The tidy spends what the search left of the budget and no more, and its calls
        count in the run's total even when it changes nothing: the budget covers both.
        TinySVG's merge of moves costs no call, so it runs even when the search spent
        everything; its polish of a solved drawing spends at most 500 of the calls left.
        """
        doc = self.doc
        left = self.budget - event.calls  # tidy spends no more (none at all: nothing changes)
        known = event.score if doc.program == event.program else None  # saves a call
        program, calls = tidy(doc.program, doc.score_target(), doc.locked, known, left)
        self.best = replace(event, calls=event.calls + calls)
        if self._push(commands.search_step(doc, program, "Auto-run: tidy")):
            self.best = replace(self.best, program=program, score=doc.score())

    @Slot(str)
    def _failed(self, reason: str) -> None:
        if not self._current():
            return
        log.error("auto-run failed: %s", reason)
        self._end(f"failed ({reason})")

    def _end(self, how: str) -> None:
        best = self.best
        if best is not None and self.latest is not None and self.latest.calls > best.calls:
            best = self.best = replace(best, calls=self.latest.calls)  # stopped: all calls spent
        summary = f"Auto-run {how}"
        if best is not None:
            summary += f": score {self._start_score:.3f} → {best.score:.3f}, {best.calls} calls"
        self._stopped_at = self.elapsed()
        if self._macro:
            self.doc.undo_stack.endMacro()
            stack = self.doc.undo_stack
            stack.command(stack.index() - 1).setText(summary)
        self._worker, self._macro = None, False
        self.doc.set_busy(False)
        self._set_state(IDLE)
        self.message.emit(summary)
        self.finished.emit(best)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)
