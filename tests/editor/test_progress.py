"""Auto-run's progress in the window: it moves while a slow search runs; Pause says Resume."""

import re
import time
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QElapsedTimer

from inference.search.proposers import RandomMutationProposer

from .test_session import load_house


class SlowProposer(RandomMutationProposer):
    """Random mutations that take ``delay`` seconds a call, like a network on a busy machine."""

    def __init__(self, delay: float):
        self.delay = delay

    def propose(self, target, programs, n, rng, locked):
        time.sleep(self.delay)
        return super().propose(target, programs, n, rng, locked)


def watch(qtbot, pane, ms: int) -> tuple[list[int], list[str], list[int]]:
    """Sample the progress bar's text and value every 20 ms for ``ms`` milliseconds.

    Returns when the shown text changed (ms), the texts, and the values seen.
    """
    clock = QElapsedTimer()
    clock.start()
    changes, texts, values = [], [], []
    last = None
    while clock.elapsed() < ms:
        shown = (pane.progress.text(), pane.best_label.text())
        if shown != last:
            changes.append(clock.elapsed())
            texts.append(" | ".join(shown))
            last = shown
        values.append(pane.progress.value())
        qtbot.wait(20)
    return changes, texts, values


def test_progress_moves_twice_a_second_and_pause_resumes(qtbot, window, monkeypatch):
    w, pane = window, window.p.proposals
    load_house(w, "(Circle 1 2 2)")
    monkeypatch.setattr(w.p.assistant, "search_proposer", lambda: SlowProposer(0.8))
    config = w.p.assistant.search_config
    # the fitted start would solve the house at once: this run must stay slow
    monkeypatch.setattr(w.p.assistant, "search_config", lambda: replace(config(), fit=False))
    pane.budget.setValue(100_000)
    pane.actions_by_key["autorun"].trigger()
    assert w.p.autorun.state == "running"

    changes, texts, values = watch(qtbot, pane, 4000)
    rate = len(changes) / 4.0
    gaps = np.diff([0, *changes, 4000])
    print(f"{rate:.1f} updates/s, longest gap {gaps.max()} ms; last: {texts[-1]}")
    assert rate >= 2 and gaps.max() <= 1000, f"progress stalled: {gaps.tolist()}"
    assert "calls" in texts[-1] and " s" in texts[-1] and "best score so far" in texts[-1]
    assert len(set(values)) >= 3 and values == sorted(values)  # the calls went up, twice or more

    pause = pane.actions_by_key["pause"]
    pause.trigger()
    assert pause.text() == "Resume" and pause.isChecked() and w.p.autorun.state == "paused"
    qtbot.wait(1000)  # a network batch that had begun may still end and be counted
    held = (pane.progress.value(), pane.progress.text())
    qtbot.wait(1500)
    assert (pane.progress.value(), pane.progress.text()) == held  # nothing moves, not even time
    assert "Paused" in pane.best_label.text()

    pause.trigger()
    assert pause.text() == "Pause" and not pause.isChecked() and w.p.autorun.state == "running"
    qtbot.waitUntil(lambda: pane.progress.value() > held[0], timeout=5000)
    assert pane.progress.text() != held[1]

    qtbot.wait(1000)
    shown = pane.progress.value()
    pane.actions_by_key["stop"].trigger()
    assert w.p.autorun.state == "idle" and "Last run" in pane.best_label.text()
    spent = int(re.search(r"(\d+) calls", pane.best_label.text()).group(1))
    assert spent >= shown and pane.progress.value() == spent  # every call, not the best's
    qtbot.waitUntil(lambda: not w.p.jobs.busy(), timeout=3000)


def test_a_budget_in_seconds_ends_the_run_by_the_clock_and_pauses_do_not_count(
    qtbot, window, monkeypatch
):
    """Budget unit "seconds": the box, the stored preference, the bar in seconds, and a run
    that ends by itself after that much searching (a slow proposer cannot solve the house),
    with as many calls as fit; time held by Pause is not spent."""
    w, pane = window, window.p.proposals
    load_house(w, "(Circle 1 2 2)")
    monkeypatch.setattr(w.p.assistant, "search_proposer", lambda: SlowProposer(0.2))
    config = w.p.assistant.search_config
    monkeypatch.setattr(w.p.assistant, "search_config", lambda: replace(config(), fit=False))
    pane.budget_unit.setCurrentText("seconds")
    prefs = w.p.settings.preferences()
    assert prefs.budget_unit == "seconds" and pane.budget.value() == prefs.seconds
    pane.budget.setValue(2)
    assert w.p.settings.preferences().seconds == 2 and w.p.settings.preferences().budget == 400
    assert pane.progress.text() == "0 / 2 s"
    messages = []
    w.p.autorun.message.connect(messages.append)
    with qtbot.waitSignal(w.p.autorun.finished, timeout=30_000) as done:
        pane.actions_by_key["autorun"].trigger()
        assert "budget 2 s" in messages[-1]
        pause = pane.actions_by_key["pause"]
        pause.trigger()  # held for 3 s: longer than the whole budget
        clock = QElapsedTimer()
        clock.start()
        qtbot.wait(3000)
        assert w.p.autorun.state == "paused"  # the clock stood still while paused
        pause.trigger()
    event = done.args[0]
    assert not event.solved and event.calls > 0
    assert clock.elapsed() >= 3000 and w.p.autorun.elapsed() >= 2.0
    assert "s" in pane.progress.text() and pane.progress.maximum() == 2
    pane.budget_unit.setCurrentText("calls")  # back: the calls budget is as it was
    assert pane.budget.value() == 400 and pane.progress.text() == "0 / 400 calls"
