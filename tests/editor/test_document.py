"""The document model and its commands, without any widget or QApplication."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from editor import commands, docfile
from editor.document import Document
from editor.files import FileController
from editor.settings import Settings
from inference.files.fileio import ProgramFileError
from inference.lang.edits import Edit
from inference.lang.locks import diff_edit, shift_locks
from inference.lang.syntax import parse, to_text
from inference.lang.tree import circle, node_at, walk
from inference.noise.mutations import mutate
from tests.strategies import programs

PROGRAM = "(- (Circle 6 8 8) (+ (Quad 8 8 4 4 45) (Circle 2 3 3)))"
# token positions: 0 root, 1 '-', 2 Circle (r at 4), 8 '+' node (op at 9), 10 Quad (angle at 16),
# 18 Circle 2 3 3


def doc_with(text: str = PROGRAM) -> Document:
    doc = Document()
    doc.load(docfile.DocumentData(parse(text)), None)
    return doc


def test_edit_undo_redo_and_dirty_flag():
    doc = doc_with()
    changes = []
    doc.programChanged.connect(lambda: changes.append(to_text(doc.program)))
    assert not doc.dirty
    doc.push(commands.set_value(doc, 4, 9))
    assert to_text(doc.program) == PROGRAM.replace("Circle 6", "Circle 9")
    assert doc.dirty and doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert to_text(doc.program) == PROGRAM and not doc.dirty
    doc.undo_stack.redo()
    assert "Circle 9 8 8" in to_text(doc.program)
    assert len(changes) == 3


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: commands.set_value(d, 1, "+"), "(+ (Circle 6 8 8) (+"),
        (lambda d: commands.set_value(d, 16, 90), "(Quad 8 8 4 4 90)"),
        (lambda d: commands.delete(d, 2), "(+ (Quad 8 8 4 4 45) (Circle 2 3 3))"),
        (lambda d: commands.delete(d, 18), "(- (Circle 6 8 8) (Quad 8 8 4 4 45))"),
        (lambda d: commands.duplicate(d, 2), "(- (+ (Circle 6 8 8) (Circle 6 8 8)) (+"),
        (lambda d: commands.wrap(d, 2, "-"), "(- (- (Circle 6 8 8) (Circle 3 8 8)) (+"),
        (lambda d: commands.replace(d, 2, "quad"), "(- (Quad 8 8 12 12 0) (+"),
    ],
)
def test_tree_operations_give_valid_programs_and_undo(make, expected):
    doc = doc_with()
    doc.push(make(doc))
    text = to_text(doc.program)
    assert expected in text
    assert parse(text) == doc.program
    doc.undo_stack.undo()
    assert to_text(doc.program) == PROGRAM


def test_invalid_operations_are_refused():
    doc = doc_with()
    with pytest.raises(ValueError):
        commands.delete(doc, 0)  # the root has no parent operation
    with pytest.raises(ValueError):
        commands.wrap(doc, 4, "+")  # a number is not a shape
    with pytest.raises(ValueError):
        commands.EditCommand(doc, Edit(3, circle(1, 1, 1)))


def test_locks_shift_with_edits_and_undo():
    doc = doc_with()
    doc.push(commands.lock(doc, 18))  # (Circle 2 3 3)
    doc.push(commands.duplicate(doc, 2))  # grows the left operand by 9 tokens
    assert doc.locked == {27}
    assert to_text(node_at(doc.program, 27)) == "(Circle 2 3 3)"
    doc.push(commands.wrap(doc, 27, "+"))  # the locked node moves 2 to the right
    assert doc.locked == {29}
    assert to_text(node_at(doc.program, 29)) == "(Circle 2 3 3)"
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.locked == {18}


def test_delete_moves_the_sibling_lock_and_drops_the_deleted_one():
    doc = doc_with()
    doc.push(commands.lock(doc, 10))
    doc.push(commands.lock(doc, 18))
    doc.push(commands.delete(doc, 18))  # (+ Quad Circle) becomes the Quad
    assert doc.locked == {8}
    assert node_at(doc.program, 8).kind == "Quad"


def test_set_program_keeps_locked_subtrees_it_still_contains():
    doc = doc_with()
    doc.push(commands.lock(doc, 18))
    doc.push(commands.set_program(doc, parse("(+ (Circle 1 1 1) (Circle 2 3 3))")))
    assert doc.locked == {8}
    doc.push(commands.set_program(doc, parse("(Circle 5 5 5)")))
    assert doc.locked == frozenset()


@settings(max_examples=60)
@given(programs, programs)
def test_diff_edit_turns_one_program_into_the_other(a, b):
    edit = diff_edit(a, b)
    assert (edit is None) == (a == b)
    if edit is not None:
        assert edit.apply(a) == b


@settings(max_examples=60)
@given(programs, st.integers(0, 2**32 - 1))
def test_shifted_locks_point_at_the_same_untouched_nodes(program, seed):
    rng = np.random.default_rng(seed)
    edit = mutate(program, rng)
    old = node_at(program, edit.pos)
    end = edit.pos + old.size
    untouched = [p for p, n in walk(program) if p + n.size <= edit.pos or p >= end]
    new = edit.apply(program)
    shifted = shift_locks(untouched, edit.pos, old.size, edit.replacement.size)
    before = sorted(to_text(node_at(program, p)) for p in untouched)
    assert sorted(to_text(node_at(new, p)) for p in shifted) == before


def test_target_commands_and_modality():
    doc = doc_with()
    ink = np.zeros_like(doc.target)
    ink[64:192, 64:192] = 1.0
    doc.push(commands.set_target(doc, ink, "Stroke"))
    assert doc.has_ink() and doc.score_target().mask.sum() == 64 * 64
    doc.push(commands.set_modality(doc, "sketch"))
    assert doc.modality == "sketch"
    outline = np.zeros_like(doc.target)
    outline[64:192, 64:192] = 1.0
    outline[72:184, 72:184] = 0.0  # a square outline, 8 pixels wide
    doc.push(commands.set_target(doc, outline, "Stroke"))
    inside = int(doc.score_target().mask.sum())  # scored as the region it encloses
    assert 3000 <= inside <= 64 * 64  # the 56×56 interior, give or take the wall
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert not doc.has_ink() and doc.modality == "filled"


def test_an_outline_with_pen_lifts_is_taken_for_an_outline():
    doc = doc_with()
    yy, xx = np.mgrid[:256, :256] + 0.5
    ring = np.abs(np.hypot(yy - 128, xx - 128) - 80) <= 2.5  # a circle drawn with a 5 px pen
    gap = np.degrees(np.arctan2(yy - 128, xx - 128))
    ring &= ~((gap > 20) & (gap < 27)) & ~((gap > -150) & (gap < -143))  # two pen lifts
    doc.push(commands.set_target(doc, ring.astype(np.float32), "Stroke"))
    assert doc.modality == "filled" and doc.looks_like_outline()
    disc = (np.hypot(yy - 128, xx - 128) <= 80).astype(np.float32)
    doc.push(commands.set_target(doc, disc, "Stroke"))
    assert not doc.looks_like_outline()


def test_tsk_round_trip_keeps_target_modality_and_locks(tmp_path):
    doc = doc_with()
    ink = np.random.default_rng(1).random(doc.target.shape).astype(np.float32)
    doc.push(commands.set_target(doc, ink, "Stroke"))
    doc.push(commands.set_modality(doc, "sketch"))
    doc.push(commands.lock(doc, 10))
    doc.save(tmp_path / "a.tsk")
    assert not doc.dirty and doc.path.name == "a.tsk"
    other = Document()
    other.open(tmp_path / "a.tsk")
    assert other.program == doc.program and other.locked == {10}
    assert other.modality == "sketch"
    assert np.abs(other.target - ink).max() <= 0.5 / 255 + 1e-6


def test_csg_save_is_program_text_and_reopens(tmp_path):
    doc = doc_with()
    doc.save(tmp_path / "p.csg")
    assert (tmp_path / "p.csg").read_text() == PROGRAM + "\n"
    other = Document()
    other.open(tmp_path / "p.csg")
    assert other.program == doc.program and not other.has_ink()


def test_unreadable_documents_give_one_line_errors(tmp_path):
    bad = tmp_path / "bad.tsk"
    bad.write_text('{"format": "treesketch-document", "version": 1, "program": "(Circle 1 2"}')
    with pytest.raises(ProgramFileError, match="bad.tsk: program: line 1"):
        Document().open(bad)
    (tmp_path / "x.csg").write_text("(Circle 99 1 1)")
    with pytest.raises(ProgramFileError, match="x.csg"):
        Document().open(tmp_path / "x.csg")


def test_autosave_recovery_restores_unsaved_work(tmp_path):
    settings_ = Settings.at(tmp_path / "s.ini")
    doc = doc_with()
    doc.save(tmp_path / "work.tsk")
    files = FileController(doc, settings_, tmp_path / "auto" / "autosave.tsk")
    assert not files.autosave()  # nothing unsaved
    doc.push(commands.set_value(doc, 4, 1))
    assert files.autosave() and files.recovery_available() is not None
    # a new session after a crash
    doc2 = Document()
    files2 = FileController(doc2, settings_, tmp_path / "auto" / "autosave.tsk")
    files2.recover()
    assert doc2.program == doc.program and doc2.dirty
    assert doc2.path == (tmp_path / "work.tsk").resolve()
    files2.save()
    assert files2.recovery_available() is None and not doc2.dirty
    assert files2.recent_files() == [str((tmp_path / "work.tsk").resolve())]


def test_filled_targets_are_scored_with_the_edge_tolerance():
    from inference.targets.drawn_score import DEFAULT_TOLERANCE
    from inference.targets.sketch import simulate_drawing

    program = parse("(- (Quad 8 8 7 5 0) (Circle 2 8 8))")
    drawing = simulate_drawing(program, np.random.default_rng(1), docfile.TARGET_SIZE)
    doc = Document()
    doc.load(docfile.DocumentData(program, (drawing >= 0.5).astype(np.float32)), None)
    assert doc.tolerance == DEFAULT_TOLERANCE and doc.solved()  # a drawing, matched
    changed = []
    doc.targetChanged.connect(lambda: changed.append(1))
    doc.set_tolerance(0.0)
    assert changed and not doc.solved() and doc.score() < 0.98  # pixel-exact: no match
    doc.set_tolerance(0.0)
    assert len(changed) == 1  # no change, no signal
    with pytest.raises(ValueError):
        doc.set_tolerance(-0.5)
    assert not doc.dirty  # a preference, not an edit


def test_a_wrong_shape_is_never_solved_and_the_document_says_why():
    from inference.targets.sketch import simulate_drawing

    plate = parse("(- (- (Quad 8 8 12 8 0) (Circle 2 5 8)) (Circle 2 11 8))")
    drawing = simulate_drawing(plate, np.random.default_rng(0), docfile.TARGET_SIZE) >= 0.5
    doc = Document()
    doc.load(docfile.DocumentData(plate, drawing.astype(np.float32)), None)
    assert doc.solved() and doc.shape_problems() == []
    doc.push(commands.set_program(doc, parse("(- (Quad 8 8 12 8 0) (Circle 2 5 8))")))
    assert not doc.solved()
    assert any("hole" in p and "missing" in p for p in doc.shape_problems())
    for tolerance in (0.0, 2.0):  # at every edge tolerance, exact included
        doc.set_tolerance(tolerance)
        assert not doc.solved() and doc.shape_problems()


def test_a_target_drawn_with_snapped_shapes_is_held_to_a_pixel():
    from editor.document import SHAPE_TOOL_TOLERANCE

    doc = Document()
    assert not doc.exact_shapes and doc.effective_tolerance == doc.tolerance
    bar = np.zeros_like(doc.target)
    bar[80:176, 48:208] = 1.0  # as the rectangle tool draws (6, 10)-(26, 22) units
    doc.push(commands.set_target(doc, bar, "Rectangle", snapped_shape=True))
    assert doc.exact_shapes and doc.effective_tolerance == SHAPE_TOOL_TOLERANCE
    tab = bar.copy()
    tab[96:160, 208:240] = 1.0  # a tab (26, 12)-(30, 20): 2-unit steps above and below
    doc.push(commands.set_target(doc, tab, "Rectangle", snapped_shape=True))
    one_bar = parse("(Quad 9 8 12 5 0)")  # every edge within a unit: solved at ±1 unit
    doc.push(commands.set_program(doc, one_bar))
    assert not doc.solved()  # the steps are gone: not within a pixel
    doc.set_tolerance(1.0)
    assert not doc.solved() and doc.effective_tolerance == SHAPE_TOOL_TOLERANCE
    stroke = tab.copy()
    stroke[20:24, 20:60] = 1.0
    doc.push(commands.set_target(doc, stroke, "Pen stroke"))
    assert not doc.exact_shapes and doc.effective_tolerance == 1.0  # a hand drawing now
    doc.undo_stack.undo()
    assert doc.exact_shapes  # undo brings the exactness back with the image
    doc.push(commands.set_target(doc, np.zeros_like(tab), "Clear"))
    assert doc.exact_shapes  # an empty pad starts exact again


def test_exact_shapes_are_saved_and_checked(tmp_path):
    doc = doc_with("(Quad 8 8 4 4 0)")
    square = np.zeros_like(doc.target)
    square[96:160, 96:160] = 1.0
    doc.push(commands.set_target(doc, square, "Rectangle", snapped_shape=True))
    doc.save(tmp_path / "square.tsk")
    again = Document()
    again.open(tmp_path / "square.tsk")
    assert again.exact_shapes
    text = (
        (tmp_path / "square.tsk").read_text().replace('"exact_shapes": true', '"exact_shapes": 1')
    )
    (tmp_path / "bad.tsk").write_text(text)
    with pytest.raises(ProgramFileError, match="exact_shapes"):
        Document().open(tmp_path / "bad.tsk")
