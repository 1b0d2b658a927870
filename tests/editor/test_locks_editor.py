"""Locks in the editor: hand edits above a locked shape are refused, auto-run keeps the hole.

The rule (inference.lang.lock_rules): the user may edit a locked node itself, but an
edit that changes what lies above another locked node is refused with a message
asking to unlock it first.  Auto-run (search, then tidy) never changes a locked
node, the operators above it or its side of a difference.
"""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QSpinBox

from editor import commands, docfile
from editor.assistant import Assistant
from editor.autorun import AutoRun
from editor.document import Document
from editor.tree_panel import HELD_TIP, TreePanel
from editor.workers import Jobs
from inference.lang.edits import Edit
from inference.lang.lock_rules import chain
from inference.lang.locks import relocate_locks
from inference.lang.syntax import parse, to_text
from inference.lang.tree import node_at
from inference.render.raster import render

HOLED = "(- (Quad 8 8 6 6 0) (Circle 3 8 8))"
HOLE = 10  # (Circle 3 8 8), the right operand of the root's '-'
NESTED = "(- (Circle 6 8 8) (+ (Quad 8 8 4 4 45) (Circle 2 3 3)))"
# positions: 0 root, 1 '-', 2 Circle 6 8 8, 8 '+' node (op at 9), 10 Quad, 18 Circle 2 3 3


def doc_with(text: str, locked=(), target=None) -> Document:
    doc = Document()
    doc.load(docfile.DocumentData(parse(text), target), None)
    for p in locked:
        doc.push(commands.lock(doc, p))
    doc.undo_stack.clear()
    return doc


@pytest.fixture
def panel(qtbot):
    def make(text: str, locked=()):
        doc = doc_with(text, locked)
        widget = TreePanel(doc)
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
        messages: list[str] = []
        widget.message.connect(messages.append)
        return doc, widget, messages

    return make


def _choose_operator(qtbot, panel: TreePanel, item, key) -> None:
    """Open the +/− editor of an operation row and move the choice with ``key``."""
    panel.tree.editItem(item, 1)
    combo = panel.tree.viewport().findChild(QComboBox)
    qtbot.keyClick(combo, key)


def test_flipping_the_operator_above_a_locked_hole_is_refused_with_a_message(qtbot, panel):
    doc, widget, messages = panel(HOLED, [HOLE])
    root = widget.tree.topLevelItem(0)
    assert root.toolTip(1) == HELD_TIP
    _choose_operator(qtbot, widget, root, Qt.Key.Key_Up)  # "−" → "+"
    qtbot.waitUntil(lambda: bool(messages))
    assert to_text(doc.program) == HOLED and doc.locked == {HOLE}
    assert doc.undo_stack.count() == 0
    assert "(Circle 3 8 8)" in messages[0] and "Unlock" in messages[0]


def test_after_unlocking_the_operator_can_be_flipped(qtbot, panel):
    doc, widget, messages = panel(HOLED, [HOLE])
    doc.set_selected(HOLE)
    widget.actions_by_key["lock"].trigger()  # unlock
    assert doc.locked == frozenset()
    root = widget.tree.topLevelItem(0)
    assert root.toolTip(1) != HELD_TIP
    _choose_operator(qtbot, widget, root, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: to_text(doc.program).startswith("(+ "))
    assert messages == []


def test_values_of_the_locked_shape_itself_stay_editable(qtbot, panel):
    doc, widget, messages = panel(HOLED, [HOLE])
    radius = widget.tree.topLevelItem(0).child(1).child(0)
    assert radius.text(0) == "r"
    widget.tree.editItem(radius, 1)
    spin = widget.tree.viewport().findChild(QSpinBox)
    spin.setValue(5)
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "(Circle 5 8 8)" in to_text(doc.program))
    assert doc.locked == {HOLE} and messages == []


def test_actions_above_a_locked_node_are_refused_and_change_nothing(panel):
    doc, widget, messages = panel(NESTED, [18])
    for pos, key in [
        (10, "delete"),  # its sibling: the circle would replace the union it is in
        (2, "delete"),  # the far operand: the union would become the root
        (8, "wrap_minus"),  # the union holding it
        (8, "duplicate"),
        (8, "replace_circle"),
    ]:
        doc.set_selected(pos)
        widget.actions_by_key[key].trigger()
        assert to_text(doc.program) == NESTED, key
        assert len(messages) == 1 and "(Circle 2 3 3)" in messages.pop(), key
    assert doc.undo_stack.count() == 0 and doc.locked == {18}


def test_actions_on_the_locked_node_and_elsewhere_go_ahead(panel):
    doc, widget, messages = panel(NESTED, [18])
    doc.set_selected(18)
    widget.actions_by_key["wrap_minus"].trigger()  # the user's own locked shape
    assert doc.locked == {20} and to_text(node_at(doc.program, 20)) == "(Circle 2 3 3)"
    doc.set_selected(2)
    widget.actions_by_key["wrap_plus"].trigger()  # not above the lock
    assert to_text(node_at(doc.program, doc.selected)).startswith("(+ (Circle 6 8 8)")
    (lock,) = doc.locked
    assert to_text(node_at(doc.program, lock)) == "(Circle 2 3 3)"
    assert messages == [] and doc.undo_stack.count() == 2


def test_deleting_a_locked_shape_is_the_users_own_edit(panel):
    doc, widget, messages = panel(NESTED, [18])
    doc.set_selected(18)
    widget.actions_by_key["delete"].trigger()
    assert to_text(doc.program) == "(- (Circle 6 8 8) (Quad 8 8 4 4 45))"
    assert doc.locked == frozenset() and messages == []


def test_the_refusal_shows_in_the_status_bar(qtbot, window):
    doc, widget = window.p.doc, window.p.tree_panel
    window.p.program_text.edit.setPlainText(HOLED)
    assert window.p.program_text.apply()
    doc.set_selected(HOLE)
    widget.actions_by_key["lock"].trigger()
    doc.set_selected(0)
    widget.actions_by_key["duplicate"].trigger()
    assert to_text(doc.program) == HOLED
    assert "Unlock" in window.statusBar().currentMessage()


def test_relocation_prefers_the_locked_nodes_own_place_over_an_earlier_copy():
    # A search result that kept the lock but also grew a copy of the hole on the left.
    program = parse("(+ (Circle 2 2 2) (- (Quad 8 8 6 6 0) (Circle 3 8 8)))")
    hole = 2 + program.children[1].size + 2 + program.children[2].children[1].size
    assert to_text(node_at(program, hole)) == "(Circle 3 8 8)"
    found = parse("(+ (Circle 4 4 4) (- (+ (Circle 3 8 8) (Quad 8 8 6 6 0)) (Circle 3 8 8)))")
    [moved] = relocate_locks(program, [hole], Edit(0, found))
    assert chain(found, moved) == chain(program, hole) == (("+", 2), ("-", 2))
    # a typed program that moved it elsewhere: the first equal subtree, as before
    typed = parse("(- (Circle 3 8 8) (Circle 1 1 1))")
    assert relocate_locks(program, [hole], Edit(0, typed)) == {2}


# ----- auto-run --------------------------------------------------------------------------


@pytest.fixture
def jobs():
    j = Jobs()
    yield j
    j.shutdown()


def _auto_run(settings, jobs, qtbot, locked):
    target = render(parse("(+ (Quad 8 8 6 6 0) (Circle 3 8 8))"), docfile.TARGET_SIZE)
    doc = doc_with(HOLED, locked, target.astype(np.float32))
    assistant = Assistant(doc, settings, jobs)
    assistant.load_model()
    qtbot.waitUntil(lambda: not assistant.model_status.startswith("Loading"), timeout=5000)
    run = AutoRun(doc, assistant, jobs)
    with qtbot.waitSignal(run.finished, timeout=20000):
        run.start()
    return doc


def test_auto_run_flips_an_unlocked_hole_but_never_a_locked_one(settings, jobs, qtbot):
    free = _auto_run(settings, jobs, qtbot, [])
    assert free.solved()  # the hole filled: flipped to '+', then tidied to the quad alone
    assert to_text(free.program) == "(Quad 8 8 6 6 0)"
    doc = _auto_run(settings, jobs, qtbot, [HOLE])
    assert not doc.solved() and doc.program.children[0].value == "-"
    (lock,) = doc.locked
    assert to_text(node_at(doc.program, lock)) == "(Circle 3 8 8)"
    assert chain(doc.program, lock) == (("-", 2),)
