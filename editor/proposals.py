"""The Proposals pane: the model's next edit as a preview, and auto-run.

*Propose* asks the model (on a worker thread) for its most likely edits and
previews the best one: the tree row turns green with the new value, the
render view outlines the edited program, and this pane says what changes,
the score before and after, and the value estimate (edits left).  *Accept*
applies it (one undo step), *Reject* shows the next one, *Alternatives*
lists them all.  While the model is asked, no proposal is shown and none
can be accepted; a change of the drawing or the program drops the proposals.
*Auto-run* searches until solved or out of budget, with a progress bar that
moves several times a second (calls, seconds, best score so far), the
best-so-far render, pause (the button then says Resume) and stop.  Without a
model the pane says why, in red, and auto-run falls back to random-mutation
search.  On a TinySVG document the model is TinySVG's (a CSG2D model is never used
there) and the best-so-far render is in colour.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from editor.assistant import Assistant, Candidate
from editor.autorun import IDLE, PAUSED, AutoRun
from editor.canvas import gray_image
from editor.commands import describe_edit
from editor.settings import BUDGET_UNITS, MAX_SECONDS, Settings
from editor.sketch_canvas import colour_image

THUMB = 72
TICK_MS = 250
"""How often the auto-run progress is redrawn while a search runs (ms)."""
IDLE_TEXT = "Press Propose to see the model's next edit."
ACTIONS = [  # (key, label, shortcut, tip)
    ("propose", "Propose", "Ctrl+E", "Ask the model for its next edit"),
    ("accept", "Accept", "Ctrl+Shift+Return", "Apply the proposed edit"),
    ("reject", "Reject", "Ctrl+Shift+Backspace", "Show the next proposal"),
    ("alternatives", "Alternatives", "Ctrl+Shift+E", "List all proposals"),
    ("autorun", "Auto-run", "Ctrl+R", "Search until the shape matches or the budget is spent"),
    ("pause", "Pause", "Ctrl+Shift+R", "Hold the search"),
    ("stop", "Stop", "Ctrl+.", "Stop the search, keeping the best program"),
]


def describe(program, cand: Candidate) -> str:
    """One line saying what a proposal changes ("Circle r: 2 → 3", "Replace Quad with …")."""
    text = describe_edit(program, cand.proposal.edit)
    return text[:1].upper() + text[1:]


class ProposalsPane(QWidget):
    """Buttons, proposal details, alternatives list and the auto-run controls."""

    def __init__(self, assistant: Assistant, autorun: AutoRun, settings: Settings, parent=None):
        super().__init__(parent)
        self.assistant, self.autorun, self.settings = assistant, autorun, settings
        self.doc = assistant.doc
        self.actions_by_key: dict[str, QAction] = {}
        handlers = {
            "propose": assistant.propose,
            "accept": assistant.accept,
            "reject": assistant.reject,
            "alternatives": self.toggle_alternatives,
            "autorun": autorun.start,
            "pause": lambda: autorun.pause(self.actions_by_key["pause"].isChecked()),
            "stop": autorun.stop,
        }
        for key, label, shortcut, tip in ACTIONS:
            act = QAction(label, self, shortcut=shortcut, toolTip=f"{tip} ({shortcut})")
            act.triggered.connect(lambda _=False, f=handlers[key]: f())
            self.actions_by_key[key] = act
        self.actions_by_key["pause"].setCheckable(True)
        self.actions_by_key["alternatives"].setCheckable(True)
        self.model_label = QLabel(wordWrap=True)
        self.detail = QLabel(IDLE_TEXT, wordWrap=True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.alternatives = QListWidget()
        self.alternatives.hide()
        self.alternatives.currentRowChanged.connect(self._alternative_chosen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.model_label)
        layout.addLayout(self._buttons(["propose", "accept", "reject", "alternatives"]))
        layout.addWidget(self.detail)
        layout.addWidget(self.alternatives)
        layout.addWidget(self._run_box())
        layout.addStretch(1)
        assistant.modelChanged.connect(self._model_changed)
        assistant.proposalsChanged.connect(self._proposals_changed)
        assistant.workingChanged.connect(self._working_changed)
        autorun.stateChanged.connect(self._run_state_changed)
        autorun.progress.connect(self._run_progress)
        autorun.stats.connect(self._tick)
        autorun.finished.connect(self._run_finished)
        self.doc.loaded.connect(self._forget_last_run)
        settings.preferencesChanged.connect(self.use_preferences)
        self._clock = QTimer(self, interval=TICK_MS)
        self._clock.timeout.connect(self._tick)
        self._model_changed()
        self._proposals_changed()
        self._run_state_changed(IDLE)

    def _buttons(self, keys: list[str]) -> QHBoxLayout:
        row = QHBoxLayout()
        for key in keys:
            button = QToolButton()
            button.setDefaultAction(self.actions_by_key[key])
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            row.addWidget(button)
        row.addStretch(1)
        return row

    def _run_box(self) -> QGroupBox:
        box = QGroupBox("Auto-run")
        grid = QGridLayout(box)
        self.budget = QSpinBox()
        self.budget_unit = QComboBox()
        self.budget_unit.addItems(BUDGET_UNITS)
        self.budget_unit.setToolTip(
            "What limits an auto-run: renderer calls (programs tried), or seconds of "
            "searching (as many calls as fit; pauses do not count)"
        )
        self.progress = QProgressBar()
        self._show_budget(self.settings.preferences())
        self.budget.valueChanged.connect(self._budget_changed)
        self.budget_unit.currentTextChanged.connect(self._unit_changed)
        self.best_label = QLabel("", wordWrap=True)
        self.thumb = QLabel()
        self.thumb.setFixedSize(THUMB, THUMB)
        self.thumb.setToolTip("Best program so far")
        grid.addWidget(QLabel("Budget"), 0, 0)
        budget = QHBoxLayout()
        budget.addWidget(self.budget, 1)
        budget.addWidget(self.budget_unit)
        grid.addLayout(budget, 0, 1)
        grid.addLayout(self._buttons(["autorun", "pause", "stop"]), 1, 0, 1, 2)
        grid.addWidget(self.progress, 2, 0, 1, 2)
        grid.addWidget(self.best_label, 3, 0)
        grid.addWidget(self.thumb, 3, 1)
        return box

    def _timed(self) -> bool:
        return self.budget_unit.currentText() == "seconds"

    def _show_budget(self, prefs) -> None:
        """The budget box in ``prefs``' unit, with its value (no change signals)."""
        timed = prefs.budget_unit == "seconds"
        with QSignalBlocker(self.budget), QSignalBlocker(self.budget_unit):
            self.budget_unit.setCurrentText(prefs.budget_unit)
            if timed:
                self.budget.setRange(1, MAX_SECONDS)
                self.budget.setSingleStep(10)
                self.budget.setValue(prefs.seconds)
                self.budget.setToolTip("Search budget: seconds of searching")
            else:
                self.budget.setRange(10, 100_000)
                self.budget.setSingleStep(500)
                self.budget.setValue(prefs.budget)
                self.budget.setToolTip("Search budget: renderer calls (programs tried)")
        if self.autorun.state == IDLE:
            self._idle_progress()

    def _idle_progress(self) -> None:
        """An empty bar scaled to what a run would spend."""
        self.progress.setFormat("%v / %m s" if self._timed() else "%v / %m calls")
        self.progress.setRange(0, self.budget.value())
        self.progress.setValue(0)

    def _budget_changed(self, value: int) -> None:
        if self.autorun.state == IDLE:
            self.progress.setRange(0, value)
            self.progress.setValue(min(max(self.progress.value(), 0), value))
        prefs = self.settings.preferences()
        field = "seconds" if self._timed() else "budget"
        if getattr(prefs, field) != value:  # not when the change came from the preferences
            setattr(prefs, field, value)
            self.settings.set_preferences(prefs)

    def _unit_changed(self, unit: str) -> None:
        prefs = self.settings.preferences()
        if prefs.budget_unit != unit:
            prefs.budget_unit = unit
            self.settings.set_preferences(prefs)  # use_preferences shows the unit's value

    def use_preferences(self, prefs) -> None:
        """Show the budget ``prefs`` (:class:`editor.settings.Preferences`) choose."""
        self._show_budget(prefs)

    def toggle_alternatives(self) -> None:
        """Show or hide the list of all proposals."""
        shown = self.actions_by_key["alternatives"].isChecked()
        self.alternatives.setVisible(shown)
        if shown and not self.assistant.candidates:
            self.assistant.propose()

    def _alternative_chosen(self, row: int) -> None:
        if row >= 0 and row != self.assistant.index:
            self.assistant.choose(row)

    def _model_changed(self) -> None:
        ok = self.assistant.usable_model() is not None
        self.model_label.setText(self.assistant.model_status)
        loading = self.assistant.model_status.startswith("Loading")
        self.model_label.setStyleSheet("" if ok or loading else "color: #c0392b;")
        self._update_enabled()

    def _proposals_changed(self) -> None:
        a = self.assistant
        self.alternatives.blockSignals(True)
        self.alternatives.clear()
        for c in a.candidates:
            self.alternatives.addItem(f"{describe(self.doc.program, c)}   score {c.score:.3f}")
        self.alternatives.setCurrentRow(a.index)
        self.alternatives.blockSignals(False)
        cand = a.current()
        if a.working:
            self.detail.setText("Asking the model…")
        elif cand is None:
            self.detail.setText(a.hint or IDLE_TEXT)
        else:
            p = cand.proposal
            self.detail.setText(
                f"<b>{describe(self.doc.program, cand)}</b><br>"
                f"Score {self.doc.score():.3f} → {cand.score:.3f}<br>"
                f"Value estimate: {p.value:.1f} edits left now, {cand.value_after:.1f} after<br>"
                f"Proposal {a.index + 1} of {len(a.candidates)} · log-probability {p.logprob:.2f}"
            )
        self._update_enabled()

    def _working_changed(self, _working: bool) -> None:
        self._proposals_changed()

    def _update_enabled(self) -> None:
        idle = self.autorun.state == IDLE
        working = self.assistant.working
        has_model = self.assistant.usable_model() is not None
        has = self.assistant.current() is not None and not working
        enable = {"propose": has_model and idle and not working, "accept": has and idle}
        enable |= {"reject": has and idle, "alternatives": has_model and idle}
        enable |= {"autorun": idle, "pause": not idle, "stop": not idle}
        for key, on in enable.items():
            self.actions_by_key[key].setEnabled(on)

    def _run_state_changed(self, state: str) -> None:
        pause = self.actions_by_key["pause"]
        pause.setChecked(state == PAUSED)
        pause.setText("Resume" if state == PAUSED else "Pause")
        what = "Go on with the search" if state == PAUSED else "Hold the search"
        pause.setToolTip(f"{what} ({pause.shortcut().toString()})")
        run = self.autorun
        if state != IDLE and run.best is None and run.latest is None:
            self.progress.setRange(0, int(run.seconds) if run.seconds else run.budget)
            self.progress.setValue(0)
        if state == IDLE:
            self._clock.stop()
        else:
            self._clock.start()
            self._tick()
        self._update_enabled()

    def _tick(self, _report=None) -> None:
        """Redraw the progress: calls, seconds (pauses left out) and the best score so far."""
        run = self.autorun
        if run.state == IDLE:
            return
        report, best = run.latest, run.best
        calls = max(report.calls if report else 0, best.calls if best else 0)
        scores = [s for s in (report and report.best_score, best and best.score) if s is not None]
        if run.seconds:
            self.progress.setValue(min(int(run.elapsed()), self.progress.maximum()))
            self.progress.setFormat(f"{run.elapsed():.1f} / %m s · {calls} calls")
        else:
            self.progress.setValue(min(calls, self.progress.maximum()))
            self.progress.setFormat(f"%v / %m calls · {run.elapsed():.1f} s")
        held = "Paused — " if run.state == PAUSED else "Searching — "
        found = f"best score so far {max(scores):.3f}" if scores else "scoring the start"
        depth = f", step {report.depth}" if report else ""
        self.best_label.setText(f"{held}{found}{depth}")

    def _run_finished(self, best) -> None:
        timed = self.autorun.seconds is not None
        self.progress.setFormat("%v / %m s" if timed else "%v / %m calls")
        if best is not None:  # the tidied result, with the tidy's calls
            self._run_progress(best)
            done = int(round(self.autorun.elapsed())) if timed else best.calls
            self.progress.setValue(min(done, self.progress.maximum()))
            words = self.doc.match_words
            solved = f" — {words[0]}" if words is not None else " — solved!"
            solved = solved if best.solved else ""
            self.best_label.setText(
                f"Last run: best score {best.score:.3f}{solved}<br>{best.calls} calls, "
                f"depth {best.depth}, {self.autorun.elapsed():.1f} s"
            )
        else:
            self.best_label.setText("Last run: stopped before anything was scored")

    def _forget_last_run(self) -> None:
        """Another document: the last run's result and thumbnail belong to the old one."""
        if self.autorun.state != IDLE:
            return
        self.best_label.setText("")
        self.thumb.clear()
        self._idle_progress()

    def _run_progress(self, event) -> None:
        """A better program was found: show it as the thumbnail (in colour for TinySVG)."""
        if event.program.grammar is not self.doc.grammar:
            return  # a run of the document before (its last report, after a switch)
        image = self.doc.render(THUMB, event.program)
        if image.ndim == 3:
            self.thumb.setPixmap(QPixmap.fromImage(colour_image(image)))
        else:
            self.thumb.setPixmap(QPixmap.fromImage(gray_image(1.0 - image.astype(float))))
        self._tick()
