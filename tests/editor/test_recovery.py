"""Crash recovery: autosave soon after each change, discarded work stays discarded, and a
recovery file that cannot be read is set aside with a message instead of stopping the start."""

import json

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from editor import commands, docfile
from editor.app import build, start
from editor.files import AUTOSAVE_DELAY_MS
from inference.files.fileio import ProgramFileError
from inference.lang.syntax import parse, to_text

from .conftest import close_window, open_window
from .test_session import crash_and_reopen
from .test_window import stroke

GOOD = {
    "format": "treesketch-document",
    "version": 1,
    "program": "(Quad 3 3 3 3 90)",
    "modality": "filled",
    "locked": [],
}


def with_fields(**fields) -> str:
    return json.dumps(GOOD | fields)


BAD_RECOVERY_FILES = {
    "origin is a number": with_fields(origin=123),
    "a list at top level": json.dumps([GOOD]),
    "a path with a NUL": with_fields(origin="/home/me/a\0b.tsk"),
    "nested 100000 deep": "[" * 100_000 + "]" * 100_000,
    "a 5000-digit version": '{"format": "treesketch-document", "version": ' + "9" * 5000 + "}",
    "program is a list": with_fields(program=["Circle", 1, 2, 3]),
    "modality is an object": with_fields(modality={"filled": True}),
    "locked holds text": with_fields(locked=["7"]),
    "target is a number": with_fields(target_png=12),
    "target is no image": with_fields(target_png="aGVsbG8="),
    "a relative origin": with_fields(origin="a.tsk"),
    "version is true": with_fields(version=True),
    "no program": json.dumps({k: v for k, v in GOOD.items() if k != "program"}),
    "not UTF-8": b"\xff\xfe\x00garbage",
}


def write(path, content) -> bytes:
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("content", BAD_RECOVERY_FILES.values(), ids=BAD_RECOVERY_FILES.keys())
def test_every_malformed_document_gives_one_clear_error(tmp_path, content):
    path = tmp_path / "auto.tsk"
    write(path, content)
    with pytest.raises(ProgramFileError) as info:
        docfile.read_document(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message and len(message) < 250


def test_a_good_document_still_reads():
    origin = "/home/me/plate.tsk"
    data = docfile.from_json(with_fields(origin=origin, locked=[0, 99]), "auto.tsk")
    assert to_text(data.program) == "(Quad 3 3 3 3 90)" and data.origin == origin
    assert data.locked == frozenset({0})  # positions that are no node are dropped


@pytest.mark.parametrize("name", BAD_RECOVERY_FILES.keys())
def test_a_bad_recovery_file_is_set_aside_and_the_app_starts(
    qtbot, qapp, settings, tmp_path, monkeypatch, name
):
    content = BAD_RECOVERY_FILES[name]
    auto = tmp_path / "autosave.tsk"
    original = write(auto, content)
    warnings, questions = [], []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[1:3]))
    monkeypatch.setattr(QMessageBox, "question", lambda *a: questions.append(a) or 0)
    window = open_window(qtbot, settings, tmp_path)
    start(window, None)
    assert not questions, "an unreadable file is not offered"
    assert not auto.exists()
    aside = list(tmp_path.glob("autosave.tsk.broken-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == original  # nothing is lost
    [(title, text)] = warnings
    assert title == "Recovery file set aside" and str(aside[0]) in text
    assert "Traceback" not in text
    doc = window.p.doc
    assert not doc.dirty and doc.path is None  # a usable, empty document
    doc.push(commands.set_program(doc, parse("(Circle 2 8 8)")))
    assert to_text(doc.program) == "(Circle 2 8 8)"
    close_window(window)


def test_a_change_is_autosaved_within_the_delay_and_recovered_after_a_crash(
    qtbot, qapp, settings, tmp_path, monkeypatch
):
    auto = tmp_path / "autosave.tsk"
    first = open_window(qtbot, settings, tmp_path)
    start(first, None)
    assert first.p.files.timer.interval() == AUTOSAVE_DELAY_MS <= 2000
    canvas = first.p.sketch_pad.canvas
    stroke(qtbot, canvas, [(6, 6), (26, 6), (26, 26)])
    qtbot.waitUntil(auto.exists, timeout=AUTOSAVE_DELAY_MS + 2000)
    stroke(qtbot, canvas, [(6, 26), (16, 16)])  # the last stroke before the crash
    drawn = first.p.doc.target.copy()
    qtbot.waitUntil(
        lambda: np.abs(docfile.read_document(auto).target - drawn).max() < 0.01,
        timeout=AUTOSAVE_DELAY_MS + 2000,
    )
    second = crash_and_reopen(qtbot, settings, tmp_path, monkeypatch, first)
    assert np.abs(second.p.doc.target - drawn).max() < 0.01 and second.p.doc.dirty
    close_window(second)
    assert not auto.exists()


def test_undoing_back_to_the_saved_state_removes_the_recovery_file(qtbot, window, tmp_path):
    auto = tmp_path / "autosave.tsk"
    window.p.files.start_autosave()
    stroke(qtbot, window.p.sketch_pad.canvas, [(6, 6), (20, 20)])
    qtbot.waitUntil(auto.exists, timeout=AUTOSAVE_DELAY_MS + 2000)
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: not auto.exists(), timeout=AUTOSAVE_DELAY_MS + 2000)


@pytest.mark.parametrize("how", ["New", "Open…", "Quit"])
def test_discarded_work_is_not_recovered(qtbot, qapp, settings, tmp_path, monkeypatch, how):
    auto = tmp_path / "autosave.tsk"
    other = tmp_path / "other.csg"
    other.write_text("(Circle 5 8 8)\n")
    window = build(QApplication.instance(), settings, auto)
    window.show()
    qtbot.waitExposed(window)
    start(window, None)
    stroke(qtbot, window.p.sketch_pad.canvas, [(6, 6), (20, 20)])
    qtbot.waitUntil(auto.exists, timeout=AUTOSAVE_DELAY_MS + 2000)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))
    window.actions_by_name[how].trigger()
    assert not auto.exists()
    qtbot.wait(AUTOSAVE_DELAY_MS + 300)  # nothing brings it back
    assert not auto.exists()
    if how == "Quit":
        assert not window.isVisible()
        window.deleteLater()
    else:
        assert not window.p.doc.has_ink()
        close_window(window)
