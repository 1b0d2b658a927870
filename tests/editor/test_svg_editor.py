"""The editor's core on a TinySVG document (issue 17): File ▸ New offers the language, the
tree and its value editors follow TinySVG's grammar, the program text reads TinySVG, the
render view shows colour and picks boxes, exports are the drawing's, and files keep it.
Driven through the real window (pytest-qt, offscreen)."""

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QMessageBox, QSpinBox

from editor import commands, docfile
from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.syntax import parse, to_text
from inference.render import svg_scene

from .test_window import at

DRAWING = (
    "(Arrange h (Rectangle 3 4 red none 0) (Move (Ellipse 2 2 blue black 2) 1 1 false true) 1)"
)
# positions: 0 Arrange, 2 dir, 3 Rectangle (w 5, h 6, fill 7), 11 Move, 13 Ellipse
# (fill 17), 21 x, 22 y, 23 negx, 24 negy, 26 gap


def picture(text: str) -> np.ndarray:
    return svg_scene.render(parse(text, grammar=TINYSVG), 224).astype(np.float32) / 255


@pytest.fixture(autouse=True)
def discard_changes(monkeypatch):
    """The "save the changes?" box answers Discard (a modal box would wait forever here)."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)


def new_drawing(window, text: str = DRAWING):
    """A new TinySVG document (File ▸ New ▸ TinySVG) holding ``text``."""
    window.actions_by_name["New TinySVG Document"].trigger()
    text_pane = window.p.program_text
    text_pane.edit.setPlainText(text)
    assert text_pane.apply()
    return window.p.doc


def rows(tree):
    """Every row's (Node, Value) text, depth first."""
    out = []

    def visit(item):
        out.append((item.text(0), item.text(1)))
        for i in range(item.childCount()):
            visit(item.child(i))

    for i in range(tree.topLevelItemCount()):
        visit(tree.topLevelItem(i))
    return out


def item_at(panel, pos):
    return panel._items[pos]


def test_file_new_offers_both_languages_and_the_window_says_which(qtbot, window):
    doc = window.p.doc
    new_svg = window.actions_by_name["New TinySVG Document"]
    new_csg = window.actions_by_name["New CSG2D Document"]
    assert (
        new_svg.shortcut().toString() == "Ctrl+Shift+N" and window.actions_by_name["New"] is new_csg
    )
    assert [a.text() for a in window.new_menu.actions()] == [new_csg.text(), new_svg.text()]
    assert window.language_label.text() == "CSG2D" and "CSG2D" in window.windowTitle()
    new_svg.trigger()
    assert doc.language == "TinySVG" and to_text(doc.program) == "(Rectangle 4 4 blue none 0)"
    assert window.language_label.text() == "TinySVG" and "TinySVG" in window.windowTitle()
    assert window.p.program_text.edit.toPlainText() == "(Rectangle 4 4 blue none 0)"
    assert rows(window.p.tree_panel.tree)[0][0] == "Rectangle 4×4 blue"
    new_csg.trigger()
    assert doc.grammar is CSG2D and window.language_label.text() == "CSG2D"
    assert rows(window.p.tree_panel.tree)[0][0] == "Circle"


def test_tree_rows_follow_the_grammar(qtbot, window):
    new_drawing(window)
    assert rows(window.p.tree_panel.tree) == [
        ("Arrange h", "dir h · gap 1"),
        ("dir", "h"),
        ("Rectangle 3×4 red", "w 3 · h 4 · fill red · stroke none · sw 0"),
        ("w", "3"),
        ("h", "4"),
        ("fill", "red"),
        ("stroke", "none"),
        ("sw", "0"),
        ("Move +1 −1", "x 1 · y 1 · negx false · negy true"),
        ("Ellipse 2×2 blue", "w 2 · h 2 · fill blue · stroke black · sw 2"),
        ("w", "2"),
        ("h", "2"),
        ("fill", "blue"),
        ("stroke", "black"),
        ("sw", "2"),
        ("x", "1"),
        ("y", "1"),
        ("negx", "false"),
        ("negy", "true"),
        ("gap", "1"),
    ]


def test_a_colour_set_in_the_tree_changes_text_and_render_and_undoes(qtbot, window):
    doc, panel = new_drawing(window), window.p.tree_panel
    before = doc.render()
    fill = item_at(panel, 7)
    assert fill.text(0) == "fill" and fill.text(1) == "red"
    panel.tree.editItem(fill, 1)
    combo = panel.tree.viewport().findChild(QComboBox)
    choices = [combo.itemData(i) for i in range(combo.count())]
    assert choices == list(svg_scene.COLOURS)  # the nine colours, none included
    assert combo.currentData() == "red" and not combo.itemIcon(0).isNull()
    combo.setCurrentIndex(choices.index("green"))
    combo.activated.emit(combo.currentIndex())
    qtbot.waitUntil(lambda: "(Rectangle 3 4 green none 0)" in to_text(doc.program))
    assert window.p.program_text.edit.toPlainText() == DRAWING.replace("red", "green")
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Rectangle fill: red → green"
    after = doc.render()
    changed = np.abs(after - before).max(axis=2) > 0
    assert changed.sum() == 18 * 24  # the 3×4-unit rectangle, every pixel of it
    assert np.allclose(after[changed], [0, 128 / 255, 0])
    window.undo_action.trigger()
    assert to_text(doc.program) == DRAWING and np.array_equal(doc.render(), before)


@pytest.mark.parametrize(
    ("pos", "editor", "start", "keys", "expected"),
    [
        (5, QSpinBox, 3, "9", "(Rectangle 9 4 red"),
        (2, QComboBox, "h", Qt.Key.Key_Down, "(Arrange v"),
        (24, QComboBox, True, Qt.Key.Key_Up, "1 1 false false)"),
    ],
)
def test_digits_directions_and_flags_have_their_editors(
    qtbot, window, pos, editor, start, keys, expected
):
    doc, panel = new_drawing(window), window.p.tree_panel
    panel.tree.editItem(item_at(panel, pos), 1)
    widget = panel.tree.viewport().findChild(editor)
    assert widget is not None
    if editor is QSpinBox:
        assert (widget.minimum(), widget.maximum(), widget.value()) == (0, 9, start)
        widget.selectAll()
        qtbot.keyClicks(widget, keys)
        qtbot.keyClick(widget, Qt.Key.Key_Return)
    else:
        assert widget.currentData() == start and widget.count() == 2
        qtbot.keyClick(widget, keys)
    qtbot.waitUntil(lambda: expected in to_text(doc.program))


def test_tinysvg_node_actions_keep_the_program_valid_and_undo(qtbot, window):
    doc, panel = new_drawing(window), window.p.tree_panel
    acts = panel.actions_by_key
    visible = {k for k, a in acts.items() if a.isVisible()}
    assert visible == {
        "replace_rectangle", "replace_ellipse", "arrange_h", "arrange_v", "move", "unwrap",
        "duplicate", "delete", "lock",
    }  # fmt: skip
    doc.set_selected(3)  # a rectangle is not replaced by a rectangle (nothing would change)
    assert not acts["replace_rectangle"].isEnabled() and acts["replace_ellipse"].isEnabled()
    steps = [
        (3, "move", "(Move (Rectangle 3 4 red none 0) 0 0 false false)"),
        (3, "arrange_v", "(Arrange v (Move (Rectangle 3 4 red none 0) 0 0 false false) "
         "(Rectangle 2 2 red none 0) 1)"),
        (0, "replace_ellipse", "(Ellipse 7 7 red none 0)"),  # the 42×42-px layout
    ]  # fmt: skip
    for pos, key, expected in steps:
        doc.set_selected(pos)
        assert acts[key].isEnabled()
        acts[key].trigger()
        assert expected in to_text(doc.program), key
        assert doc.selected == pos or key == "replace_ellipse"
        parse(to_text(doc.program), grammar=TINYSVG)
    for _ in steps:
        window.undo_action.trigger()
    assert to_text(doc.program) == DRAWING
    doc.set_selected(11)  # the Move
    assert acts["unwrap"].isEnabled() and acts["delete"].isEnabled()
    acts["unwrap"].trigger()
    assert to_text(doc.program) == DRAWING.replace(
        "(Move (Ellipse 2 2 blue black 2) 1 1 false true)", "(Ellipse 2 2 blue black 2)"
    )
    doc.set_selected(3)
    acts["delete"].trigger()  # the arrangement becomes the other drawing
    assert to_text(doc.program) == "(Ellipse 2 2 blue black 2)"
    doc.set_selected(0)
    assert not acts["delete"].isEnabled() and not acts["unwrap"].isEnabled()
    acts["duplicate"].trigger()
    text = "(Ellipse 2 2 blue black 2)"
    assert to_text(doc.program) == f"(Arrange h {text} {text} 1)"


def test_locks_follow_wraps_and_block_edits_that_break_them(qtbot, window):
    doc, panel = new_drawing(window), window.p.tree_panel
    messages = []
    panel.message.connect(messages.append)
    doc.set_selected(13)  # the Ellipse inside the Move
    panel.actions_by_key["lock"].trigger()
    assert doc.locked == {13} and not item_at(panel, 13).icon(0).isNull()
    doc.set_selected(3)
    panel.actions_by_key["arrange_h"].trigger()  # the rectangle: the ellipse moves along
    assert doc.locked == {26} and to_text(doc.node(26)) == "(Ellipse 2 2 blue black 2)"
    doc.set_selected(24)  # the Move above the locked ellipse
    panel.actions_by_key["unwrap"].trigger()  # would change the locked ellipse's chain
    assert messages and messages[-1].startswith("Locked: (Ellipse 2 2 blue black 2)")
    assert doc.locked == {26}
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert to_text(doc.program) == DRAWING and doc.locked == set()


def test_program_text_reads_tinysvg_and_refuses_csg2d_in_one_line(qtbot, window):
    doc = new_drawing(window)
    pane = window.p.program_text
    pane.edit.setPlainText("(Circle 4 8 8)")
    assert not pane.apply()
    error = pane.error.text()
    assert error.startswith("Not a valid TinySVG program — line 1, column 2: expected")
    assert "which is CSG2D, not TinySVG" in error and "\n" not in error
    pane.edit.setPlainText("(Rectangle 3\n 4 red nne 1)")
    assert not pane.apply() and "line 2, column 8" in pane.error.text()
    assert "\n" not in pane.error.text() and to_text(doc.program) == DRAWING
    assert pane.edit.placeholderText().startswith("(Arrange h")


def test_render_view_scores_highlights_and_picks_boxes(qtbot, window):
    doc, view = new_drawing(window), window.p.render_view
    assert view.score_label.text() == "No target yet"
    doc.push(commands.set_target(doc, picture(DRAWING), "Target", snapped_shape=True))
    assert view.score_label.text() == "Goal 1.000 (solved > 0.99) · colour IoU 1.00"
    assert "Solved" in view.solved_label.text()
    doc.push(commands.set_value(doc, 7, "orange"))  # a big colour change: not solved
    assert view.score_label.text().startswith("Goal 0.")
    assert "Not solved" in view.solved_label.text()
    canvas = view.canvas
    placed = svg_scene.layout(doc.program)  # rectangle then ellipse, canvas pixels
    unit = 32 / 224
    rect, ell = placed
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 100 * unit, 110 * unit))
    assert (rect.x0, rect.y0, rect.x1, rect.y1) == (94.0, 100.0, 112.0, 124.0)
    assert doc.selected == 3 and window.p.tree_panel.selected_pos() == 3
    path = canvas.selected_path().boundingRect()
    assert (path.x(), path.y(), path.width(), path.height()) == pytest.approx(
        (94 * unit, 100 * unit, 18 * unit, 24 * unit)
    )
    cx, cy = (ell.x0 + ell.x1) / 2, (ell.y0 + ell.y1) / 2
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, cx * unit, cy * unit))
    assert doc.selected == 13
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 2, 2))
    assert doc.selected == -1
    doc.set_selected(0)  # the whole arrangement: both boxes
    box = canvas.selected_path().boundingRect()
    assert box.width() == pytest.approx((ell.x1 - rect.x0) * unit)


def test_overlay_and_difference_are_in_colour(qtbot, window):
    doc, view = new_drawing(window, "(Rectangle 4 4 red none 0)"), window.p.render_view
    doc.push(
        commands.set_target(
            doc, picture("(Rectangle 4 4 blue none 0)"), "Target", snapped_shape=True
        )
    )
    centre = (112, 112)
    view.opacity.setValue(100)
    image = view.canvas._image
    assert image.pixelColor(*centre).getRgb()[:3] == (255, 0, 0)  # the render alone
    view.opacity.setValue(0)
    assert view.canvas._image.pixelColor(*centre).getRgb()[:3] == (0, 0, 255)  # the target
    view.opacity.setValue(100)
    view.difference.setChecked(True)
    assert view.canvas._image.pixelColor(*centre).getRgb()[:3] == (235, 160, 20)  # recoloured
    assert view.canvas._image.pixelColor(5, 5).getRgb()[:3] == (255, 255, 255)  # both paper
    doc.push(commands.set_value(doc, 2, 6))  # wider: red beyond the blue target
    left = (112 - 15, 112)  # in the 6-unit render, left of the 4-unit target
    assert view.canvas._image.pixelColor(*left).getRgb()[:3] == (40, 100, 220)  # extra paint
    doc.push(
        commands.set_target(
            doc, picture("(Rectangle 4 4 red none 0)"), "Target", snapped_shape=True
        )
    )
    assert view.canvas._image.pixelColor(*centre).getRgb()[:3] == (90, 94, 102)  # the same
    view.opacity.setValue(50)  # half way to white
    half = view.canvas._image.pixelColor(*left).getRgb()[:3]
    assert np.abs(np.array(half) - [147.5, 177.5, 237.5]).max() <= 1
    doc.push(commands.set_value(doc, 2, 2))  # narrower: the target's red is missed
    missed = view.canvas._image.pixelColor(112 - 9, 112).getRgb()[:3]
    assert np.abs(np.array(missed) - [237.5, 152.5, 147.5]).max() <= 1


def test_exports_are_the_drawings(qtbot, window, tmp_path, monkeypatch):
    new_drawing(window)
    shown = {n for n in ("SVG", "OpenSCAD", "DXF", "JSON", "PNG", "TinySVG text")
             if window.actions_by_name[f"Export {n}"].isVisible()}  # fmt: skip
    assert shown == {"SVG", "JSON", "PNG", "TinySVG text"}
    expected = {"SVG": b"<ellipse", "JSON": b'"treesketch-tinysvg"', "PNG": b"\x89PNG"}
    expected["TinySVG text"] = DRAWING.encode() + b"\n"
    for name, marker in expected.items():
        path = tmp_path / f"out-{name.replace(' ', '_')}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, p=path, **k: (str(p), ""))
        window.actions_by_name[f"Export {name}"].trigger()
        [written] = tmp_path.glob(f"out-{name.replace(' ', '_')}.*")
        assert marker in written.read_bytes(), name
    with pytest.raises(ValueError, match="cannot be exported as '.scad'"):
        window.p.files.export(tmp_path / "x.scad")
    assert not (tmp_path / "x.scad").exists()
    window.actions_by_name["New CSG2D Document"].trigger()
    assert window.actions_by_name["Export OpenSCAD"].isVisible()
    assert not window.actions_by_name["Export TinySVG text"].isVisible()


def test_save_and_reopen_keep_program_locks_and_picture(qtbot, window, tmp_path, monkeypatch):
    doc = new_drawing(window)
    target = picture("(Ellipse 6 5 purple yellow 3)")
    doc.push(commands.set_target(doc, target, "Target"))
    doc.set_selected(11)
    window.p.tree_panel.actions_by_key["lock"].trigger()
    saves = []

    def save_dialog(parent, caption, start, filters, *a, **k):
        saves.append(filters)
        return str(tmp_path / "drawing"), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    window.actions_by_name["Save"].trigger()
    assert "TinySVG program text (*.tsvg)" in saves[0] and "*.csg" not in saves[0]
    path = tmp_path / "drawing.tsk"
    assert json.loads(path.read_text())["language"] == "TinySVG" and not doc.dirty
    window.actions_by_name["New CSG2D Document"].trigger()
    assert doc.grammar is CSG2D
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions_by_name["Open…"].trigger()
    assert doc.grammar is TINYSVG and to_text(doc.program) == DRAWING
    assert doc.locked == {11} and np.array_equal(doc.target, target)
    assert window.language_label.text() == "TinySVG"
    assert not item_at(window.p.tree_panel, 11).icon(0).isNull()


def test_a_drawing_opened_from_a_csg_file_is_saved_under_another_name(
    qtbot, window, tmp_path, monkeypatch
):
    path = tmp_path / "drawing.csg"
    path.write_text(DRAWING)
    window.p.files.open(path)
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    window.actions_by_name["Save"].trigger()
    assert asked and path.read_text() == DRAWING  # asked for a name; the .csg untouched


def test_tinysvg_recovery_comes_back_as_tinysvg(qtbot, window, tmp_path):
    doc = new_drawing(window)
    doc.push(commands.set_target(doc, picture(DRAWING), "Target", snapped_shape=True))
    files = window.p.files
    assert files.autosave()
    data = files.read_recovery()
    assert data.grammar is TINYSVG and data.program == doc.program
    window.actions_by_name["New CSG2D Document"]  # the window stays as it is
    files.recover(data)
    assert doc.grammar is TINYSVG and doc.dirty and window.language_label.text() == "TinySVG"
    assert np.array_equal(doc.target, docfile.DocumentData(doc.program, data.target).target)


def test_a_previewed_edit_is_outlined_and_scored(qtbot, window):
    from inference.lang.edits import Edit
    from inference.lang.tinysvg import ellipse

    doc, view = new_drawing(window), window.p.render_view
    doc.push(commands.set_target(doc, picture(DRAWING), "Target", snapped_shape=True))
    doc.set_preview(Edit(3, ellipse(3, 4, "red")))  # the rectangle becomes an ellipse
    whole, part = view.canvas._preview_paths
    unit = 32 / 224
    box = part.boundingRect()
    assert (box.x(), box.y(), box.width(), box.height()) == pytest.approx(
        (94 * unit, 100 * unit, 18 * unit, 24 * unit)
    )
    assert whole.boundingRect().width() > box.width()  # the whole edited drawing
    after = doc.score_target().score(doc.preview.apply(doc.program))
    assert view.score_label.text().endswith(f"→ {after:.3f} (proposal)") and after < 0.99
    row = item_at(window.p.tree_panel, 3)
    assert row.text(1).endswith("→  (Ellipse 3 4 red none 0)")
    doc.set_preview(None)
    assert view.canvas._preview_paths is None and "proposal" not in view.score_label.text()


def test_a_pen_drawing_matches_rather_than_solves(qtbot, window):
    """A picture drawn with the pen is a hand drawing: scored to half a unit, and a match is
    called one (with why it is not a guarantee), not "Solved"; the shape tools' stay exact."""
    from inference.targets.svg_tolerance import DRAWING_CAVEAT

    from .test_svg_document import wobbly_rectangle

    doc, view = new_drawing(window, "(Rectangle 4 4 blue none 0)"), window.p.render_view
    pad = window.p.sketch_pad
    pad.tool_actions["rect"].trigger()
    qtbot.mousePress(pad.canvas, Qt.MouseButton.LeftButton, pos=at(pad.canvas, 10, 10))
    qtbot.mouseMove(pad.canvas, at(pad.canvas, 16, 14))
    qtbot.mouseRelease(pad.canvas, Qt.MouseButton.LeftButton, pos=at(pad.canvas, 16, 14))
    assert doc.exact_shapes and not doc.is_hand_drawing and view.score_name() == "Goal"
    pad.tool_actions["pen"].trigger()
    qtbot.mousePress(pad.canvas, Qt.MouseButton.LeftButton, pos=at(pad.canvas, 4, 24))
    qtbot.mouseMove(pad.canvas, at(pad.canvas, 8, 25))
    qtbot.mouseRelease(pad.canvas, Qt.MouseButton.LeftButton, pos=at(pad.canvas, 8, 25))
    assert doc.is_hand_drawing and view.score_name() == "Goal (±0.5 u)"
    doc.push(commands.set_target(doc, wobbly_rectangle(np.random.default_rng(3)), "Pen stroke"))
    text_pane = window.p.program_text
    text_pane.edit.setPlainText("(Rectangle 5 4 red none 0)")
    assert text_pane.apply()
    qtbot.waitUntil(lambda: "Matches the drawing" in view.solved_label.text())
    assert "Solved" not in view.solved_label.text()
    assert view.solved_label.toolTip() == DRAWING_CAVEAT
    assert view.score_label.text().startswith("Goal (±0.5 u) ")
