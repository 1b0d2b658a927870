"""The main window driven by real mouse and keyboard events (pytest-qt, offscreen)."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QComboBox, QFileDialog, QMessageBox, QSpinBox

from editor.docfile import TARGET_SIZE
from inference.lang.syntax import parse, to_text

PX = TARGET_SIZE / 32  # target pixels per canvas unit


def at(canvas, x: float, y: float) -> QPoint:
    """Widget position of canvas point (x, y) in units."""
    return canvas.canvas_transform().map(QPointF(x, y)).toPoint()


def stroke(qtbot, canvas, points):
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, *points[0]))
    for p in points[1:]:
        qtbot.mouseMove(canvas, at(canvas, *p))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, *points[-1]))


def shift_drag(qtbot, canvas, start, end):
    """A drag with Shift held at the release (the ellipse tool then draws a circle)."""
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, *start))
    qtbot.mouseMove(canvas, at(canvas, *end))
    shift = Qt.KeyboardModifier.ShiftModifier
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, shift, at(canvas, *end))


def set_program(window, text):
    window.p.program_text.edit.setPlainText(text)
    assert window.p.program_text.apply()


def test_draw_a_stroke_then_undo_and_redo(qtbot, window):
    doc, canvas = window.p.doc, window.p.sketch_pad.canvas
    stroke(qtbot, canvas, [(8, 8), (16, 8), (24, 8)])
    assert doc.target[int(8 * PX), int(16 * PX)] > 0.9  # on the line
    assert doc.target[int(20 * PX), int(16 * PX)] == 0.0  # far from it
    assert doc.undo_stack.text(0) == "Pen stroke" and window.isWindowModified()
    window.undo_action.trigger()
    assert not doc.has_ink() and not window.isWindowModified()
    window.redo_action.trigger()
    assert doc.has_ink()


def test_the_pad_shows_the_program_grid_and_the_grid_can_be_hidden(qtbot, window):
    pad = window.p.sketch_pad
    canvas = pad.canvas

    def pixel(x, y):  # colour of the pad's paint at canvas point (x, y)
        return canvas.grab().toImage().pixelColor(at(canvas, x, y))

    on_line, between = pixel(10.0, 5.0), pixel(11.0, 5.0)  # one grid step is 2 units
    assert pad.grid_action.isChecked() and on_line != between  # a faint line on paper
    pad.grid_action.trigger()
    assert not canvas.show_grid and pixel(10.0, 5.0) == between  # plain paper
    assert not window.p.doc.has_ink()  # the grid is never ink


def test_fill_makes_a_closed_outline_solid_and_the_eraser_removes_ink(qtbot, window):
    doc, pad = window.p.doc, window.p.sketch_pad
    stroke(qtbot, pad.canvas, [(8, 8), (24, 8), (24, 24), (8, 24), (8, 8)])
    assert doc.target[int(16 * PX), int(16 * PX)] == 0.0
    assert window.p.render_view.hint.isVisible()  # "this looks like an outline"
    pad.tool_actions["fill"].trigger()
    qtbot.mouseClick(pad.canvas, Qt.MouseButton.LeftButton, pos=at(pad.canvas, 16, 16))
    assert (doc.target[int(8 * PX) : int(24 * PX), int(8 * PX) : int(24 * PX)] == 1.0).all()
    assert not window.p.render_view.hint.isVisible()
    assert doc.target[int(4 * PX), int(4 * PX)] == 0.0  # outside stays empty
    pad.tool_actions["eraser"].trigger()
    pad.set_pen_width(4.0)
    stroke(qtbot, pad.canvas, [(12, 16), (20, 16)])
    assert doc.target[int(16 * PX), int(16 * PX)] == 0.0
    assert window.p.settings.preferences().pen_width == 4.0  # persisted


def test_shape_tools_snap_to_whole_units_and_follow_the_modality(qtbot, window):
    doc, pad = window.p.doc, window.p.sketch_pad
    doc.set_tolerance(0.0)  # pixel-exact: the snapped rectangle is a program's shape
    pad.tool_actions["rect"].trigger()
    stroke(qtbot, pad.canvas, [(7.8, 8.3), (14.0, 12.0), (20.3, 15.8)])
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Rectangle"
    pad.tool_actions["ellipse"].trigger()
    right = Qt.MouseButton.RightButton
    qtbot.mousePress(pad.canvas, right, pos=at(pad.canvas, 12.2, 10.1))
    qtbot.mouseMove(pad.canvas, at(pad.canvas, 15.9, 13.8))
    qtbot.mouseRelease(pad.canvas, right, pos=at(pad.canvas, 15.9, 13.8))  # cut a 4 × 4 disc
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Cut ellipse"
    set_program(window, "(- (Quad 7 6 6 4 0) (Circle 1 7 6))")  # x 8..20, y 8..16; hole r 2
    assert doc.score() == 1.0 and doc.solved()
    window.undo_action.trigger()  # the program
    window.undo_action.trigger()  # the cut
    window.undo_action.trigger()  # the rectangle
    assert not doc.has_ink()
    pad.tool_actions["rect"].trigger()
    pad.modality_box.setCurrentIndex(1)
    pad.modality_box.activated.emit(1)  # an outline sketch: shapes are outlines
    assert doc.modality == "sketch"
    pad.tool_actions["ellipse"].trigger()
    shift_drag(qtbot, pad.canvas, (8, 8), (20, 16))
    assert doc.target[int(14 * PX), int(14 * PX)] == 0.0  # a circle of diameter 12: hollow
    assert doc.target[int(14 * PX), int(8 * PX)] > 0.5 and doc.target[int(20 * PX), 14 * 8] > 0.5
    assert doc.target[int(8 * PX), int(8 * PX)] == 0.0  # the box corner is not inked


def test_an_ellipse_drag_about_as_tall_as_wide_is_a_snapped_circle(qtbot, window):
    """Programs have circles, not ellipses: a near-square ellipse drag on the grid snaps to
    a circle a program draws exactly, and the target stays exact ("shapes"); an elongated
    one stays an ellipse drawn by hand (session 12: round holes cut with the plain Ellipse
    tool came back as square holes within the hand-drawing tolerance)."""
    doc, pad, canvas = window.p.doc, window.p.sketch_pad, window.p.sketch_pad.canvas
    pad.tool_actions["rect"].trigger()
    stroke(qtbot, canvas, [(6, 8), (26, 23)])
    assert doc.exact_shapes
    pad.tool_actions["ellipse"].trigger()
    right = Qt.MouseButton.RightButton
    qtbot.mousePress(canvas, right, pos=at(canvas, 9.2, 11.1))
    qtbot.mouseMove(canvas, at(canvas, 14.1, 16.4))
    qtbot.mouseRelease(canvas, right, pos=at(canvas, 14.1, 16.4))  # 4.9 × 5.3: a circle
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Cut ellipse"
    assert doc.exact_shapes  # still exact: the hole is a circle a program can draw
    hole = doc.target < 0.5
    rows, cols = np.nonzero(hole[int(9 * PX) : int(19 * PX), int(7 * PX) : int(17 * PX)])
    assert rows.max() - rows.min() == cols.max() - cols.min()  # round, not elongated
    set_program(window, "(- (Quad 8 8 10 7 0) (Circle 1 6 7))")
    assert doc.score() == 1.0 and doc.solved()  # the plate with its round hole
    set_program(window, "(- (Quad 8 8 10 7 0) (Quad 6 7 1 1 0))")
    assert not doc.solved()  # a square hole is another shape
    qtbot.mousePress(canvas, right, pos=at(canvas, 17, 12))
    qtbot.mouseMove(canvas, at(canvas, 25, 16))
    qtbot.mouseRelease(canvas, right, pos=at(canvas, 25, 16))  # 8 × 4: an ellipse
    assert not doc.exact_shapes  # drawn by hand from now on


def test_snapped_shape_boxes_are_shapes_a_program_can_draw():
    from editor.shape_snap import shape_rect

    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = QPointF(*rng.uniform(0, 32, 2)), QPointF(*rng.uniform(0, 32, 2))
        square = bool(rng.integers(2))
        box = shape_rect(a, b, snap=True, square=square)
        cx, cy = box.center().x(), box.center().y()
        assert cx % 2 == 0 and cy % 2 == 0  # a Quad's centre (2x, 2y)
        assert box.width() % 2 == 0 and box.height() % 2 == 0 and box.width() >= 2  # 2w, 2h
        disc = shape_rect(a, b, snap=True, square=True, circle=True)
        assert disc.width() == disc.height() and disc.width() % 4 == 0  # radius 2r
    free = shape_rect(QPointF(1.3, 2.2), QPointF(4.1, 3.0), snap=False, square=False)
    assert (free.left(), free.top()) == pytest.approx((1.3, 2.2))
    assert (free.width(), free.height()) == pytest.approx((2.8, 0.8))


def _edges(box):
    return box.left(), box.right(), box.top(), box.bottom()


def test_a_snapped_rectangle_stays_where_it_was_dragged():
    from editor.shape_snap import shape_rect

    def snap(a, b, square=False, circle=False):
        return _edges(shape_rect(QPointF(*a), QPointF(*b), True, square, circle))

    assert snap((6.2, 21.9), (25.9, 25.9)) == (6, 26, 22, 26)  # representable as dragged
    # grid line to grid line across 3 cells (x 8..14) is not a Quad's: one unit off, short of
    # the pointer wherever it is drawn (rounding half to even sent some right, some left)
    assert snap((8, 4), (14, 8)) == (7, 13, 4, 8)
    assert snap((12, 4), (18, 8)) == (11, 17, 4, 8)
    # the corner under the pointer (13.4, near the line 14) stays within its half of the
    # grid cell: not 8..12, the box whose edges move least in all
    assert snap((8.5, 4), (13.4, 8)) == (7, 13, 4, 8)
    assert snap((13.4, 8), (8.5, 4)) == (8, 12, 4, 8)  # the other way: the pointer at 8.5
    assert snap((0.3, 0.3), (31.8, 31.8)) == (1, 31, 1, 31)  # a Quad is at most 30 wide
    assert snap((31.5, 2), (31.9, 6)) == (29, 31, 2, 6)  # its centre at most 30
    assert snap((8.05, 8.05), (13.9, 13.9), True, True) == (10, 14, 10, 14)  # not 8..12


def test_snapped_boxes_keep_the_pointer_corner_and_no_box_is_nearer():
    from editor.shape_snap import shape_rect

    rng = np.random.default_rng(5)
    for _ in range(300):
        a, b = rng.uniform(2, 30, 2), rng.uniform(2, 30, 2)
        for circle in (False, True):
            box = shape_rect(QPointF(*a), QPointF(*b), True, circle, circle)
            halves = range(2, 31, 2) if circle else range(1, 16)
            side = max(abs(b - a))
            released = a + np.copysign(side, b - a) if circle else b
            if ((released < 0) | (released > 32)).any():
                continue  # the square does not fit on the canvas
            for axis, (lo, hi) in enumerate([_edges(box)[:2], _edges(box)[2:]]):
                centre, half = (lo + hi) / 2, (hi - lo) / 2
                assert centre in range(0, 31, 2) and half in halves  # a program's values
                p, r = a[axis], released[axis]
                near, far = (lo, hi) if r >= p else (hi, lo)
                assert abs(far - r) <= 1 + 1e-9  # never on the far side of a grid cell
                if circle:
                    continue
                for c in range(0, 31, 2):  # no Quad span moves both edges less
                    for h in halves:
                        n, f = (c - h, c + h) if r >= p else (c + h, c - h)
                        if abs(f - r) <= 1:
                            assert (n - p) ** 2 + (f - r) ** 2 >= (near - p) ** 2 + (
                                far - r
                            ) ** 2 - 1e-9


def test_edit_a_number_in_the_tree_with_the_spin_box(qtbot, window):
    doc, tree = window.p.doc, window.p.tree_panel.tree
    set_program(window, "(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    radius = tree.topLevelItem(0).child(0).child(0)  # Difference > Circle > r
    assert radius.text(0) == "r"
    tree.setCurrentItem(radius)
    tree.editItem(radius, 1)
    editor = tree.viewport().findChild(QSpinBox)
    assert editor is not None and editor.value() == 6
    editor.selectAll()
    qtbot.keyClicks(editor, "11")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Circle 11 8 8" in to_text(doc.program))
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Circle r: 6 → 11"
    window.undo_action.trigger()
    assert "Circle 6 8 8" in to_text(doc.program)


def test_the_edit_key_edits_a_value_as_double_click_does(qtbot, window):
    doc, tree = window.p.doc, window.p.tree_panel.tree
    set_program(window, "(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    radius = tree.topLevelItem(0).child(0).child(0)  # Difference > Circle > r
    tree.setFocus()
    tree.setCurrentItem(radius)  # as a click on the name or the arrow keys leave it
    assert tree.currentColumn() == 0
    qtbot.keyClick(tree, Qt.Key.Key_F2)  # the edit key on Linux and Windows
    editor = tree.viewport().findChild(QSpinBox)
    assert editor is not None and editor.isVisible() and editor.value() == 6
    qtbot.keyClicks(editor, "4")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Circle 4 8 8" in to_text(doc.program))
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Circle r: 6 → 4"


def test_angle_and_operator_choices(qtbot, window):
    doc, tree = window.p.doc, window.p.tree_panel.tree
    set_program(window, "(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    root = tree.topLevelItem(0)
    tree.editItem(root, 1)
    combo = tree.viewport().findChild(QComboBox)
    qtbot.keyClick(combo, Qt.Key.Key_Up)  # "−" → "+"
    qtbot.waitUntil(lambda: to_text(doc.program).startswith("(+ "))
    angle = tree.topLevelItem(0).child(1).child(4)
    assert angle.text(0) == "angle" and angle.text(1) == "45°"
    tree.editItem(angle, 1)
    combo = tree.viewport().findChild(QComboBox)
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: "(Quad 8 8 4 4 90)" in to_text(doc.program))


def test_node_actions_keep_the_program_valid_and_lock_shows(qtbot, window):
    doc, panel = window.p.doc, window.p.tree_panel
    set_program(window, "(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    doc.set_selected(2)
    panel.actions_by_key["duplicate"].trigger()
    assert to_text(doc.program) == "(- (+ (Circle 6 8 8) (Circle 6 8 8)) (Quad 8 8 4 4 45))"
    doc.set_selected(4)  # the first copy inside (+ ...)
    panel.actions_by_key["delete"].trigger()
    assert to_text(doc.program) == "(- (Circle 6 8 8) (Quad 8 8 4 4 45))"
    doc.set_selected(8)
    panel.actions_by_key["lock"].trigger()
    assert doc.locked == {8} and not panel.tree.topLevelItem(0).child(1).icon(0).isNull()
    assert not panel.actions_by_key["delete"].isEnabled() or doc.selected == 8
    doc.set_selected(0)
    assert not panel.actions_by_key["delete"].isEnabled()  # the root cannot be deleted


def test_clicking_a_shape_selects_its_node(qtbot, window):
    doc, view = window.p.doc, window.p.render_view.canvas
    set_program(window, "(+ (Circle 3 4 4) (Quad 12 12 2 2 0))")
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at(view, 24, 24))
    assert doc.selected == 8
    assert window.p.tree_panel.selected_pos() == 8
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at(view, 8, 8))
    assert doc.selected == 2
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at(view, 16, 2))
    assert doc.selected == -1


def test_pasting_invalid_text_says_where_and_changes_nothing(qtbot, window):
    doc, text = window.p.doc, window.p.program_text
    before = doc.program
    QGuiApplication.clipboard().setText("(Circle 4 8")
    assert not text.paste()
    assert "line 1, column 12" in text.error.text() and doc.program == before
    QGuiApplication.clipboard().setText("(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    assert text.paste() and to_text(doc.program) == "(- (Circle 6 8 8) (Quad 8 8 4 4 45))"
    assert text.error.isHidden()


def test_save_reopen_and_ask_before_losing_changes(qtbot, window, tmp_path, monkeypatch):
    doc, files = window.p.doc, window.p.files
    stroke(qtbot, window.p.sketch_pad.canvas, [(8, 8), (24, 24)])
    set_program(window, "(Quad 8 8 4 4 45)")
    files.save(tmp_path / "work.tsk")
    assert not window.isWindowModified() and "work.tsk" in window.windowTitle()
    saved_target = doc.target.copy()
    set_program(window, "(Circle 1 1 1)")
    asked = []

    def cancel(*args):
        asked.append(args[1])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", cancel)
    window.actions_by_name["New"].trigger()
    assert asked == ["Unsaved changes"] and to_text(doc.program) == "(Circle 1 1 1)"
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    window.actions_by_name["New"].trigger()
    assert not doc.has_ink() and doc.path is None
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "work.tsk"), "")
    )
    window.actions_by_name["Open…"].trigger()
    assert to_text(doc.program) == "(Quad 8 8 4 4 45)" and not doc.dirty
    assert np.abs(doc.target - saved_target).max() < 0.01
    assert window.recent_menu.actions()[0].text() == "work.tsk"


def test_file_dialogs_start_in_the_folder_of_the_last_file(qtbot, window, tmp_path, monkeypatch):
    doc, files = window.p.doc, window.p.files
    monkeypatch.chdir(tmp_path)  # the folder the editor was started from
    starts = []

    def dialog(answer):
        def ask(parent, caption, start, *rest, **kw):
            starts.append(Path(start))
            return answer, ""

        return ask

    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog(""))
    window.actions_by_name["Open…"].trigger()  # untitled, nothing opened yet: not the cwd
    assert starts[-1].is_absolute() and starts[-1] != tmp_path
    examples, elsewhere = tmp_path / "examples", tmp_path / "elsewhere"
    examples.mkdir(), elsewhere.mkdir()
    set_program(window, "(Quad 8 8 4 4 45)")
    files.save(examples / "a.tsk")
    files.open(examples / "a.tsk")
    window.actions_by_name["Open…"].trigger()  # a saved document: its own folder
    assert starts[-1] == examples
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    window.actions_by_name["New"].trigger()
    window.actions_by_name["Open…"].trigger()  # untitled: the last file opened or saved
    assert starts[-1] == examples
    set_program(window, "(Circle 1 1 1)")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog(str(elsewhere / "b.tsk")))
    window.actions_by_name["Save"].trigger()
    assert starts[-1] == examples / "untitled.tsk" and doc.path == elsewhere / "b.tsk"
    window.actions_by_name["New"].trigger()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog(""))
    window.actions_by_name["Save As…"].trigger()
    assert starts[-1] == elsewhere / "untitled.tsk"
    window.actions_by_name["Export SVG"].trigger()
    assert starts[-1] == elsewhere / "untitled.svg"


def test_export_each_format_from_the_menu(qtbot, window, tmp_path, monkeypatch):
    set_program(window, "(- (Circle 6 8 8) (Quad 8 8 4 4 45))")
    expected = {"SVG": b"<svg", "OpenSCAD": b"difference", "DXF": b"LWPOLYLINE"}
    expected |= {"JSON": b'"format"', "PNG": b"\x89PNG"}
    for name, marker in expected.items():
        path = tmp_path / f"out-{name}"  # the suffix is added from the format
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, p=path, **k: (str(p), ""))
        window.actions_by_name[f"Export {name}"].trigger()
        written = next(tmp_path.glob(f"out-{name}.*"))
        assert marker in written.read_bytes(), name
    data = json.loads((tmp_path / "out-JSON.json").read_text())
    assert parse(data["program"]) == window.p.doc.program
    assert Image.open(tmp_path / "out-PNG.png").size == (512, 512)


def test_drop_an_image_on_the_pad(qtbot, window, tmp_path):
    image = np.full((60, 80), 255, np.uint8)  # black ink on white paper, not square
    image[20:40, 30:50] = 0
    Image.fromarray(image).save(tmp_path / "ink.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "ink.png"))])
    pad = window.p.sketch_pad
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    # QApplication refuses synthetic drops without a drag in progress: call the handler
    pad.dropEvent(event)
    assert event.isAccepted()
    doc = window.p.doc
    assert doc.has_ink() and doc.target[128, 128] > 0.9 and doc.target[5, 5] == 0.0
    assert doc.undo_stack.text(0) == "Load image ink.png"


def test_missing_model_is_explained_and_manual_editing_works(qtbot, window):
    status = window.p.proposals.model_label.text()
    assert "No model" in status and "model file not found" in status
    assert not window.p.proposals.actions_by_key["propose"].isEnabled()
    assert window.p.proposals.actions_by_key["autorun"].isEnabled()
    set_program(window, "(Circle 2 2 2)")
    assert to_text(window.p.doc.program) == "(Circle 2 2 2)"


# ----- first run: the empty pad's hint, the quick guide, loading images ------------------------


def test_the_empty_pad_says_what_to_do_until_there_is_ink(qtbot, window):
    canvas = window.p.sketch_pad.canvas
    keys = window.p.proposals.actions_by_key
    hint = canvas.hint
    for key in (keys["propose"].shortcut(), keys["autorun"].shortcut()):
        assert key.toString() in hint  # the real shortcuts, read from the actions
    assert "pen (P)" in hint and "rectangle (R)" in hint and "drop an image" in hint

    def drawn_hint() -> int:
        """How many pixels the hint changes on the pad as it is now."""
        with_hint = canvas.grab().toImage()
        canvas.hint = ""
        without = canvas.grab().toImage()
        canvas.hint = hint
        a, b = (np.asarray(qimage_rgb(im)) for im in (with_hint, without))
        return int((np.abs(a.astype(int) - b).sum(axis=2) > 60).sum())

    assert drawn_hint() > 300  # legible text on the empty pad
    stroke(qtbot, canvas, [(4, 4), (10, 10)])
    assert drawn_hint() == 0  # gone once there is ink
    window.undo_action.trigger()
    assert drawn_hint() > 300


def qimage_rgb(image):
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    rows = data.reshape(height, image.bytesPerLine())[:, : width * 3]
    return rows.reshape(height, width, 3).copy()  # the QImage's memory goes with it


def test_f1_opens_the_quick_guide_with_every_shortcut(qtbot, window):
    from PySide6.QtGui import QAction

    guide_action = window.actions_by_name["Quick Guide"]
    assert guide_action.shortcut().toString() == "F1"
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guide = window.quick_guide
    assert guide is not None and guide.isVisible()
    text = guide.browser.toPlainText()
    assert "First steps" in text and "Keyboard shortcuts" in text
    with_keys = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(with_keys) > 25
    for action in with_keys:
        if not action.text():
            continue  # an unnamed key (Ctrl+Return applies the program text)
        if not action.isVisible():
            continue  # the other language's tree action: hidden, its key off
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        name = action.iconText().replace("&", "").rstrip("…")
        assert f"{name}\n{keys}" in text, (name, keys)  # a table row: action, then keys
    # the list is read from the actions each time, so it cannot go stale
    window.p.proposals.actions_by_key["propose"].setShortcut("Ctrl+Alt+P")
    window.show_quick_guide()
    assert "Propose\nCtrl+Alt+P" in guide.browser.toPlainText()
    assert window.quick_guide is guide  # one window, brought back
    guide.close()


def test_a_file_that_is_not_an_image_is_explained_in_a_dialog(qtbot, window, tmp_path, monkeypatch):
    bad = tmp_path / "notes.png"
    bad.write_text("shopping list: milk, eggs")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[1:3]))
    before = window.p.doc.target.copy()
    assert not window.p.sketch_pad.load_image(bad)
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    [(title, text)] = shown
    assert title == "Cannot load the image"
    assert "notes.png is not an image TreeSketch can read" in text and "PNG, JPEG or BMP" in text
    assert "BytesIO" not in text and "identify" not in text  # no Python internals
    assert np.array_equal(window.p.doc.target, before) and window.p.doc.undo_stack.count() == 0
    Image.new("RGB", (40, 40), (250, 250, 240)).save(tmp_path / "blank.png")
    assert not window.p.sketch_pad.load_image(tmp_path / "blank.png")
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=2000)
    assert "blank.png" in shown[1][1] and "all one colour" in shown[1][1]


def _plate_png(path, outline=False):
    """A plate with a hole, dark on light, filled or as a pen outline one unit wide."""
    from PIL import ImageDraw

    im = Image.new("L", (256, 256), 255)
    draw = ImageDraw.Draw(im)
    if outline:
        draw.rectangle([40, 60, 216, 196], outline=0, width=8)
        draw.ellipse([108, 108, 148, 148], outline=0, width=8)
    else:
        draw.rectangle([40, 60, 216, 196], fill=0)
        draw.ellipse([108, 108, 148, 148], fill=255)
    im.save(path)


@pytest.mark.parametrize("answer", ["Yes", "No"])
def test_a_filled_image_in_outline_mode_offers_to_switch(
    qtbot, window, tmp_path, monkeypatch, answer
):
    doc, pad = window.p.doc, window.p.sketch_pad
    pad.modality_box.setCurrentIndex(1)
    pad.modality_box.activated.emit(1)
    assert doc.modality == "sketch"
    asked = []

    def question(*args):
        asked.append(args[2])
        return getattr(QMessageBox.StandardButton, answer)

    monkeypatch.setattr(QMessageBox, "question", question)
    _plate_png(tmp_path / "outline.png", outline=True)
    assert pad.load_image(tmp_path / "outline.png")
    qtbot.wait(50)
    assert not asked and doc.modality == "sketch"  # thin strokes: an outline, nothing to ask
    _plate_png(tmp_path / "plate.png")
    assert pad.load_image(tmp_path / "plate.png")
    qtbot.waitUntil(lambda: bool(asked), timeout=2000)
    assert "plate.png looks like a filled shape" in asked[0]
    assert doc.target[128, 60] > 0.9 and doc.target[128, 128] < 0.1  # read as drawn
    if answer == "Yes":
        assert doc.modality == "filled" and pad.modality_box.currentData() == "filled"
        window.undo_action.trigger()  # the switch is its own undo step
    assert doc.modality == "sketch"


TWO_HOLES = parse("(- (- (Quad 8 8 12 8 0) (Circle 2 5 8)) (Circle 2 11 8))")


def draw_program(window, program, seed=0):
    """Give the document a simulated hand drawing of ``program`` as its target."""
    from editor import commands
    from inference.targets.sketch import simulate_drawing

    drawing = simulate_drawing(program, np.random.default_rng(seed), TARGET_SIZE) >= 0.5
    doc = window.p.doc
    doc.push(commands.set_target(doc, drawing.astype(np.float32), "Drawing"))


def show_one_hole_dropped(qtbot, window):
    """The two-hole plate drawn, the program missing a hole: the score line says so."""
    draw_program(window, TWO_HOLES)
    set_program(window, "(- (Quad 8 8 12 8 0) (Circle 2 5 8))")
    view = window.p.render_view
    qtbot.waitUntil(lambda: "missing" in view.score_label.text())
    return view


def test_the_render_view_says_why_a_high_score_is_not_solved(qtbot, window):
    view = show_one_hole_dropped(qtbot, window)
    assert "Not solved" in view.solved_label.text() and "hole" in view.score_label.toolTip()
    set_program(window, to_text(TWO_HOLES))
    qtbot.waitUntil(lambda: "Solved" in view.solved_label.text())
    assert "missing" not in view.score_label.text()
    assert view.solved_label.toolTip() == ""  # a filled target's solve needs no caveat


def test_tool_keys_work_wherever_the_focus_is_but_text_fields_keep_their_letters(qtbot, window):
    pad = window.p.sketch_pad
    window.p.undo_view.setFocus()
    qtbot.keyClick(window.p.undo_view, Qt.Key.Key_R)
    assert pad.tool_actions["rect"].isChecked()
    edit = window.p.program_text.edit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    before = edit.toPlainText()
    qtbot.keyClick(edit, Qt.Key.Key_O)
    assert edit.toPlainText() != before and pad.tool_actions["rect"].isChecked()


def test_a_new_document_forgets_the_last_auto_run(qtbot, window):
    doc, pane = window.p.doc, window.p.proposals
    draw_program(window, parse("(- (Quad 8 8 10 6 0) (Circle 2 8 8))"))
    pane.actions_by_key["autorun"].trigger()
    qtbot.waitUntil(lambda: "Last run" in pane.best_label.text(), timeout=60000)
    assert not pane.thumb.pixmap().isNull()
    doc.undo_stack.setClean()
    doc.new()
    assert pane.best_label.text() == "" and pane.thumb.pixmap().isNull()


def test_a_proposal_preview_is_explained_for_the_proposal(qtbot, window):
    from inference.lang.edits import Edit

    view = show_one_hole_dropped(qtbot, window)
    window.p.doc.set_preview(Edit(0, TWO_HOLES))  # the whole program replaced by the right one
    qtbot.waitUntil(lambda: "(proposal)" in view.score_label.text())
    assert "missing" not in view.score_label.text()


def test_the_progress_bar_shows_the_budget_before_any_run(window):
    pane = window.p.proposals
    assert pane.progress.maximum() == pane.budget.value()
    pane.budget.setValue(1500)
    assert pane.progress.maximum() == 1500 and pane.progress.value() == 0
    assert pane.progress.text() == "0 / 1500 calls"


def test_a_sketch_that_matches_is_not_called_solved(qtbot, window):
    """An outline sketch pins values only to about a unit, so the render view says the
    program matches the sketch (with why that is not a guarantee), not that it is solved."""
    from inference.targets.outline_fit import SKETCH_CAVEAT

    pad, view = window.p.sketch_pad, window.p.render_view
    pad.modality_box.setCurrentIndex(1)
    pad.modality_box.activated.emit(1)
    pad.tool_actions["ellipse"].trigger()
    shift_drag(qtbot, pad.canvas, (8, 6), (20, 18))
    set_program(window, "(Circle 3 7 6)")  # centre (14, 12), radius 6: the drawn circle
    qtbot.waitUntil(lambda: "Matches the sketch" in view.solved_label.text())
    assert "Solved" not in view.solved_label.text()
    assert view.solved_label.toolTip() == SKETCH_CAVEAT
    set_program(window, "(Circle 1 2 2)")
    qtbot.waitUntil(lambda: "No match yet" in view.solved_label.text())


def test_a_pen_width_typed_out_of_range_becomes_the_nearest_one(qtbot, window):
    # Qt's default put back the previous width: a typed 0.2 quietly became 1.00 (session 22)
    box = window.p.sketch_pad.width_box
    # (a width over the widest is refused key by key as it is typed)
    for typed, kept in (("0.2", 0.25), ("0.5", 0.5), ("0.1", 0.25)):
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), typed)
        qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
        assert box.value() == kept
        assert window.p.sketch_pad.canvas.pen_width == kept
    assert "0.25 to 8" in box.toolTip()
