"""A user's session in the window: proposals, auto-run, history, preferences, screenshot."""

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from editor import commands, docfile
from editor.app import start
from editor.settings import Preferences, Settings
from inference.lang.syntax import parse, to_text

from .conftest import close_window, open_window


def house_target() -> np.ndarray:
    from inference.render.raster import render

    return render(parse("(+ (Quad 8 11 5 4 0) (Quad 8 7 4 4 45))"), docfile.TARGET_SIZE)


def load_house(window, program="(Circle 4 8 8)"):
    data = docfile.DocumentData(parse(program), house_target().astype(np.float32))
    window.p.doc.load(data, None)


def test_accept_a_proposal_from_the_model(qtbot, model_window):
    w, doc = model_window, model_window.p.doc
    load_house(w)
    pane = w.p.proposals
    assert "fake_policy.onnx" in pane.model_label.text()
    pane.actions_by_key["propose"].trigger()
    qtbot.waitUntil(lambda: w.p.assistant.current() is not None, timeout=5000)
    cand = w.p.assistant.current()
    assert doc.preview == cand.proposal.edit
    assert "Score" in pane.detail.text() and "edits left" in pane.detail.text()
    assert "→" in w.p.render_view.score_label.text()
    preview_rows = [
        item for item in w.p.tree_panel._items.values() if item.background(0).color().green() == 160
    ]
    assert preview_rows, "the previewed node is highlighted in the tree"
    pane.actions_by_key["alternatives"].trigger()
    assert pane.alternatives.isVisible() and pane.alternatives.count() == len(
        w.p.assistant.candidates
    )
    pane.actions_by_key["reject"].trigger()
    second = w.p.assistant.current()
    assert second is not None and second.proposal.edit != cand.proposal.edit
    pane.actions_by_key["accept"].trigger()
    assert doc.program == second.program and doc.undo_stack.count() == 1
    assert w.p.undo_view.model().rowCount() == 2  # "<document opened>" + the accepted edit
    w.undo_action.trigger()
    assert to_text(doc.program) == "(Circle 4 8 8)"


def test_auto_run_improves_the_score_as_one_undo_step(qtbot, window):
    w, doc = window, window.p.doc
    load_house(w, "(Circle 1 2 2)")
    before = doc.score()
    pane = w.p.proposals
    pane.budget.setValue(600)
    pane.actions_by_key["autorun"].trigger()
    assert (
        pane.actions_by_key["stop"].isEnabled()
        and not w.p.tree_panel.actions_by_key["delete"].isEnabled()
    )
    qtbot.waitUntil(lambda: w.p.autorun.state == "idle", timeout=15000)
    assert doc.score() > before
    assert doc.undo_stack.count() == 1 and doc.undo_stack.text(0).startswith("Auto-run")
    assert pane.progress.value() > 0 and pane.thumb.pixmap() is not None
    assert w.p.settings.preferences().budget == 600
    w.undo_action.trigger()
    assert to_text(doc.program) == "(Circle 1 2 2)"


def test_stop_takes_effect_at_once(qtbot, window):
    w, doc = window, window.p.doc
    load_house(w, "(Circle 1 2 2)")
    w.p.proposals.budget.setValue(1_000_000)
    w.p.autorun.start()
    qtbot.wait(200)
    w.p.proposals.actions_by_key["stop"].trigger()
    assert w.p.autorun.state == "idle" and not doc.busy
    program = doc.program
    qtbot.waitUntil(lambda: not w.p.jobs.busy(), timeout=2000)
    assert doc.program == program  # nothing arrives after the stop


def test_preferences_persist_and_apply(qtbot, window, tmp_path):
    """Stored preferences reach the pad, the document, the budget box and the theme by
    the settings' one change signal (the window applies none of them itself)."""
    w = window
    prefs = Preferences(
        budget=1234, beam_width=4, pen_width=2.5, edge_tolerance=0.5, theme="dark", seed=7
    )
    w.p.settings.set_preferences(prefs)
    again = Settings.at(tmp_path / "settings.ini").preferences()
    assert again == prefs
    assert w.p.sketch_pad.canvas.pen_width == 2.5 and w.p.proposals.budget.value() == 1234
    assert w.p.doc.tolerance == 0.5 and "±0.5 u" in w.p.render_view.score_name()
    w.p.settings.store.setValue("prefs/edge_tolerance", "99")  # a hand-edited settings file
    assert w.p.settings.preferences().edge_tolerance == 4.0  # clamped
    window_color = QApplication.instance().palette().color(QPalette.ColorRole.Window)
    assert window_color.lightness() < 80
    w.p.settings.set_preferences(Preferences())
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() > 150


def crash_and_reopen(qtbot, settings, tmp_path, monkeypatch, first):
    """``first`` goes away without a clean exit; a new window starts and is told Yes when
    it offers the recovery file.  Returns the new window."""
    first.p.files.stop_autosave()
    first.p.jobs.shutdown()
    first.hide()
    first.deleteLater()
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    second = open_window(qtbot, settings, tmp_path)
    start(second, None)
    return second


def test_recovery_is_offered_after_a_crash(qtbot, qapp, settings, tmp_path, monkeypatch):
    first = open_window(qtbot, settings, tmp_path)
    doc = first.p.doc
    doc.push(commands.set_program(doc, parse("(Quad 3 3 3 3 90)")))
    assert first.p.files.autosave()
    second = crash_and_reopen(qtbot, settings, tmp_path, monkeypatch, first)
    assert to_text(second.p.doc.program) == "(Quad 3 3 3 3 90)"
    assert second.isWindowModified()
    close_window(second)
    assert not (tmp_path / "autosave.tsk").exists()  # a clean exit removes it


def test_screenshot_of_the_main_window_is_not_blank(qtbot, window, tmp_path):
    load_house(window)
    path = tmp_path / "window.png"
    assert window.grab().save(str(path))
    image = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert image.shape[0] >= 600 and image.shape[1] >= 1000
    colors = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colors) > 50 and image.std() > 20
    # the render view shows the target and the program in their own colours
    bluish = image[..., 2] - image[..., 0] > 80  # the program's render
    assert bluish.sum() > 5000


def test_python_m_editor_is_the_entry_point():
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-m", "editor", "--help"], cwd=repo, capture_output=True, text=True
    )
    assert out.returncode == 0 and "usage: python -m editor" in out.stdout
