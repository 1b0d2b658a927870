"""The Proposals pane in the window: no stale proposal, nothing to accept while asking."""

import numpy as np
from PySide6.QtCore import Qt

from editor import commands

from .test_session import load_house


def ask(qtbot, window):
    """Press Propose and wait for the answer."""
    window.p.proposals.actions_by_key["propose"].trigger()
    qtbot.waitUntil(lambda: not window.p.assistant.working, timeout=5000)


def test_accept_is_off_while_asking_and_the_views_agree(qtbot, model_window):
    w, doc, pane = model_window, model_window.p.doc, model_window.p.proposals
    load_house(w)
    ask(qtbot, w)
    accept, reject = pane.actions_by_key["accept"], pane.actions_by_key["reject"]
    assert accept.isEnabled() and w.p.render_view.canvas._preview_paths is not None
    pane.actions_by_key["propose"].trigger()  # ask again: the old proposal goes at once
    assert pane.detail.text() == "Asking the model…"
    assert not accept.isEnabled() and not reject.isEnabled()
    assert doc.preview is None and w.p.render_view.canvas._preview_paths is None
    assert "(proposal)" not in w.p.render_view.score_label.text()
    qtbot.waitUntil(lambda: not w.p.assistant.working, timeout=5000)
    cand = w.p.assistant.current()
    assert accept.isEnabled() and doc.preview == cand.proposal.edit
    assert pane.detail.text().startswith(f"<b>{pane.alternatives.item(0).text().split('   ')[0]}")


def test_a_changed_drawing_clears_the_pane_and_the_preview(qtbot, model_window):
    w, doc, pane = model_window, model_window.p.doc, model_window.p.proposals
    load_house(w)
    ask(qtbot, w)
    flags = Qt.MatchFlag.MatchContains | Qt.MatchFlag.MatchRecursive
    assert w.p.assistant.current() is not None
    assert w.p.tree_panel.tree.findItems("→", flags, 1)  # the previewed row
    doc.push(commands.set_target(doc, np.roll(doc.target, 30, axis=1), "Pen stroke"))
    assert pane.detail.text() == "Press Propose to see the model's next edit."
    assert pane.alternatives.count() == 0 and not pane.actions_by_key["accept"].isEnabled()
    assert doc.preview is None and w.p.render_view.canvas._preview_paths is None
    assert not w.p.tree_panel.tree.findItems("→", flags, 1)  # no previewed row in the tree


def test_propose_on_an_empty_pad_says_a_target_is_needed(qtbot, model_window):
    w, doc, pane = model_window, model_window.p.doc, model_window.p.proposals
    assert not doc.has_ink()
    program = doc.program
    pane.actions_by_key["propose"].trigger()
    assert "Draw a target first" in pane.detail.text()
    assert "Draw a target first" in w.statusBar().currentMessage()
    assert not w.p.assistant.working and not w.p.jobs.busy()
    assert doc.program == program and doc.preview is None and doc.undo_stack.count() == 0
    load_house(w)  # a target: the hint goes
    assert pane.detail.text() == "Press Propose to see the model's next edit."
