"""A file that cannot be opened, however it is opened (File > Open, Open Recent,
drag-and-drop, the command line), gives one dialog with one plain line and a log line,
never a traceback, and leaves the document as it was (issue 14)."""

import json
import logging

import numpy as np
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QFileDialog, QMessageBox

from editor import docfile, file_dialogs
from editor.app import start
from inference.lang.syntax import to_text

from .test_recovery import GOOD
from .test_window import set_program, stroke

PYTHON_WORDS = ("Traceback", "Recursion", "recursion", "set_int_max_str_digits", 'File "')

BAD_FILES = {
    "deep.tsk": "[" * 100_000 + "]" * 100_000,
    "deep-object.tsk": '{"a": ' * 50_000 + "1" + "}" * 50_000,
    "version.tsk": '{"format": "treesketch-document", "version": ' + "9" * 5000 + "}",
    "locked.tsk": json.dumps(GOOD | {"locked": [1]})[:-1] + ', "x": -' + "7" * 5000 + "}",
    "nul-origin.tsk": json.dumps(GOOD | {"origin": "/home/me/a\0b.tsk"}),
    "escapes.tsk": json.dumps(GOOD | {"program": "(Circle \x1b[2J\x1b[31mPWNED 1 1)"}),
    "long-token.tsk": json.dumps(GOOD | {"program": "(" + "x" * 5_000_000 + ")"}),
    "deep-program.tsk": json.dumps(GOOD | {"program": "(+ " * 5_000_000}),
    "image.tsk": json.dumps(GOOD | {"target_png": "iVBORw0KGgoAAAANSUhEUgAA"}),
    "binary.tsk": bytes(range(256)) * 64,
    "empty.tsk": b"",
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "number.json": '{"format": "treesketch-csg2d", "version": ' + "9" * 5000 + "}",
    "junk.csg": b"\x00\xff\xfe" * 1000,
    "bad program.csg": "(Circle 1 2)\n\x1b[2J",
    "bad drawing.tsvg": "(Rectangle 3 4 red none 10)\n",
    "bad language.tsk": json.dumps(GOOD | {"language": "TinySVG"}),  # a CSG2D program
}
DRAWINGS = {  # TinySVG programs open as TinySVG documents, whatever the suffix
    "drawing.csg": "(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue none 0) 1)",
    "drawing.tsvg": "(Rectangle 3 4 red none 0)\n",
    "drawing.json": '{"format": "treesketch-tinysvg", "version": 1, '
    '"program": "(Rectangle 3 4 red none 0)"}',
}


def write(path, content) -> None:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


@pytest.fixture
def dialogs(monkeypatch):
    """Every warning box as (title, text); a "save changes?" question is answered Discard."""
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[1:3]))
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    return shown


def state(window):
    """What opening a file would change."""
    doc = window.p.doc
    return (to_text(doc.program), doc.target.copy(), doc.path, doc.dirty, doc.undo_stack.count())


def assert_unchanged(window, before) -> None:
    after = state(window)
    assert after[0] == before[0] and np.array_equal(after[1], before[1])
    assert after[2:] == before[2:]


def assert_plain(text: str) -> None:
    assert "\n" not in text and "\x1b" not in text and "\x00" not in text and len(text) <= 400
    assert not any(word in text for word in PYTHON_WORDS), text


def edited(qtbot, window):
    """A document with a program, a stroke and history, not saved."""
    set_program(window, "(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    stroke(qtbot, window.p.sketch_pad.canvas, [(8, 8), (24, 24)])
    return state(window)


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_from_the_open_dialog_is_one_plain_line(
    qtbot, window, tmp_path, monkeypatch, dialogs, caplog, capfd, name
):
    path = tmp_path / name
    write(path, BAD_FILES[name])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    before = edited(qtbot, window)
    with caplog.at_level(logging.INFO, "treesketch"):
        window.actions_by_name["Open…"].trigger()
    [(title, text)] = dialogs
    assert title == "Cannot open the file" and text.startswith(str(path))
    assert_plain(text)
    assert_unchanged(window, before)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in errors] == [f"Cannot open the file: {text}"]
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.INFO)
    assert "Traceback" not in capfd.readouterr().err


def test_recent_drop_and_command_line_show_the_same_dialog(qtbot, window, tmp_path, dialogs, capfd):
    path = tmp_path / "work.tsk"
    write(path, json.dumps(GOOD))
    assert file_dialogs.open_path(window, window.p.files, str(path))
    [recent] = window.recent_menu.actions()
    write(path, BAD_FILES["deep.tsk"])  # damaged since it was opened
    before = edited(qtbot, window)
    recent.trigger()

    class Drop:  # what dropEvent reads of a QDropEvent
        def mimeData(self):
            return self

        def urls(self):
            return [QUrl.fromLocalFile(str(path))]

    window.dropEvent(Drop())
    start(window, str(path))
    expected = f"{path}: not a TreeSketch document: JSON nested too deeply"
    assert dialogs == [("Cannot open the file", expected)] * 3
    assert_unchanged(window, before)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (KeyError("program"), "KeyError: 'program'"),
        (RecursionError("maximum recursion depth exceeded"), "RecursionError: maximum"),
        (MemoryError(), "MemoryError"),
        (TypeError("bad\nthings\x1b[2J"), "TypeError: bad things\\x1b[2J"),
    ],
)
def test_an_unexpected_error_is_said_plainly_not_swallowed(
    qtbot, window, tmp_path, monkeypatch, dialogs, caplog, capfd, error, shown
):
    path = tmp_path / "good.tsk"
    write(path, json.dumps(GOOD))

    def broken(_path):
        raise error

    monkeypatch.setattr(docfile, "read_document", broken)
    before = edited(qtbot, window)
    with caplog.at_level(logging.INFO, "treesketch"):
        assert not file_dialogs.open_path(window, window.p.files, str(path))
    [(title, text)] = dialogs
    assert title == "Cannot open the file"
    assert text.startswith(f"Could not open {path}: an unexpected error ({shown}")
    assert "\n" not in text and "\x1b" not in text
    assert_unchanged(window, before)
    assert [r.levelname for r in caplog.records if r.levelno >= logging.INFO] == ["ERROR"]
    assert "Traceback" not in capfd.readouterr().err


def test_an_os_error_names_the_file(qtbot, window, tmp_path, monkeypatch, dialogs):
    path = tmp_path / "good.tsk"

    def denied(_path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(docfile, "read_document", denied)
    assert not file_dialogs.open_path(window, window.p.files, str(path))
    message = f"Could not open {path}: [Errno 13] Permission denied"
    assert dialogs == [("Cannot open the file", message)]


def test_a_good_file_still_opens(qtbot, window, tmp_path, dialogs):
    path = tmp_path / "good.tsk"
    write(path, json.dumps(GOOD))
    assert file_dialogs.open_path(window, window.p.files, str(path))
    assert not dialogs and to_text(window.p.doc.program) == "(Quad 3 3 3 3 90)"
    assert window.p.doc.path == path.resolve()


@pytest.mark.parametrize("name", DRAWINGS)
def test_a_tinysvg_program_opens_as_a_tinysvg_document(qtbot, window, tmp_path, dialogs, name):
    path = tmp_path / name
    write(path, DRAWINGS[name])
    assert file_dialogs.open_path(window, window.p.files, str(path))
    doc = window.p.doc
    assert not dialogs and doc.language == "TinySVG" and doc.path == path.resolve()
    assert to_text(doc.program).startswith(("(Arrange h (Rectangle 3 4", "(Rectangle 3 4 red"))
    assert doc.target.shape == (224, 224, 3) and not doc.has_ink()
