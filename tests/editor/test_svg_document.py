"""A document carries its language: TinySVG documents have an RGB target, TinySVG's goal
score, and keep their language through .tsk files, program files and autosave (issue 17)."""

import json

import numpy as np
import pytest

from editor import commands, docfile
from editor.document import Document
from editor.files import FileController
from editor.settings import Settings
from inference.files.fileio import ProgramFileError
from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.syntax import parse, to_text
from inference.render import svg_scene
from inference.targets.drawing_target import DrawingTarget
from inference.targets.target import Target

DRAWING = (
    "(Arrange h (Rectangle 3 4 red none 0) (Move (Ellipse 2 2 blue black 2) 1 1 false true) 1)"
)
# positions: 0 Arrange, 2 dir, 3 Rectangle (w 5, h 6, fill 7), 11 Move, 13 Ellipse
# (fill 17), 21 x, 22 y, 23 negx, 24 negy, 26 gap


def svg_doc(text: str = DRAWING) -> Document:
    doc = Document()
    doc.load(docfile.DocumentData(parse(text, grammar=TINYSVG)), None)
    return doc


def picture(text: str) -> np.ndarray:
    """The RGB target a program draws, float in [0, 1]."""
    return svg_scene.render(parse(text, grammar=TINYSVG), 224).astype(np.float32) / 255


def test_new_document_of_each_language():
    doc = Document()
    assert doc.grammar is CSG2D and doc.language == "CSG2D"
    loaded = []
    doc.loaded.connect(lambda: loaded.append(doc.language))
    doc.new(TINYSVG)
    assert doc.grammar is TINYSVG and doc.language == "TinySVG" and loaded == ["TinySVG"]
    assert to_text(doc.program) == "(Rectangle 4 4 blue none 0)"
    assert doc.target.shape == (224, 224, 3) and doc.target.dtype == np.float32
    assert np.all(doc.target == 1.0) and not doc.has_ink() and doc.modality == "filled"
    assert not doc.dirty and doc.undo_stack.count() == 0
    doc.new()
    assert doc.grammar is CSG2D and to_text(doc.program) == "(Circle 4 8 8)"
    assert doc.target.shape == (256, 256) and not doc.target.any()


def test_blank_targets():
    assert docfile.blank_target().shape == (256, 256) and not docfile.blank_target().any()
    white = docfile.blank_target(TINYSVG)
    assert white.shape == (224, 224, 3) and white.dtype == np.float32 and np.all(white == 1)


def test_a_drawing_is_scored_with_tinysvg_goal_score():
    doc = svg_doc()
    doc.push(commands.set_target(doc, picture(DRAWING), "Target", snapped_shape=True))
    assert doc.has_ink()
    target = doc.score_target()
    assert isinstance(target, DrawingTarget) and target.grammar is TINYSVG
    assert doc.score() == pytest.approx(1.0) and doc.solved()
    assert doc.colour_iou() == pytest.approx(1.0)
    # one unit to the right: the goal is not reached, the colours overlap only in part
    doc.push(commands.set_value(doc, 26, 2))
    assert doc.score() < 0.99 and not doc.solved()
    assert 0 < doc.colour_iou() < 1
    assert doc.shape_problems() == [] and not doc.looks_like_outline()
    assert doc.effective_tolerance == 0


def test_a_single_pixel_counts_as_ink():
    doc = svg_doc()
    target = docfile.blank_target(TINYSVG)
    target[100, 100, 2] = 0.5
    doc.push(commands.set_target(doc, target, "dot"))
    assert doc.has_ink() and not doc.exact_shapes
    doc.undo_stack.undo()
    assert not doc.has_ink()


def test_render_is_the_rgb_drawing():
    doc = svg_doc()
    image = doc.render()
    assert image.shape == (224, 224, 3) and image.dtype == np.float32
    assert np.array_equal(image, picture(DRAWING))
    small = doc.render(64, parse("(Rectangle 9 9 red none 0)", grammar=TINYSVG))
    assert small.shape == (64, 64, 3)
    assert np.allclose(small[32, 32], [1, 0, 0]) and np.allclose(small[0, 0], [1, 1, 1])


def test_the_target_and_programs_must_be_of_the_document_language():
    doc = svg_doc()
    with pytest.raises(ValueError, match="TinySVG target is"):
        commands.set_target(doc, np.zeros((256, 256), np.float32), "grey")
    with pytest.raises(ValueError, match="a CSG2D program, not TinySVG"):
        commands.set_program(doc, parse("(Circle 4 8 8)"))
    with pytest.raises(ValueError, match="a CSG2D program, not TinySVG"):
        commands.search_step(doc, parse("(Circle 4 8 8)"), "step")
    with pytest.raises(ValueError, match="always a filled"):
        commands.set_modality(doc, "sketch")
    csg = Document()
    with pytest.raises(ValueError, match="CSG2D target is"):
        commands.set_target(csg, docfile.blank_target(TINYSVG), "rgb")
    with pytest.raises(ValueError, match="TinySVG target is"):
        docfile.DocumentData(parse(DRAWING, grammar=TINYSVG), docfile.blank_target())
    assert to_text(doc.program) == DRAWING and doc.undo_stack.count() == 0


def test_loading_the_other_language_tells_views_a_consistent_document():
    """Every signal of a load sees the new program with a target of its own language."""
    doc = Document()
    seen = []

    def look():
        seen.append((doc.grammar.name, doc.program.grammar.name, doc.target.shape))

    for signal in (doc.programChanged, doc.targetChanged, doc.loaded):
        signal.connect(look)
    doc.new(TINYSVG)
    doc.new(CSG2D)
    assert seen and all(g == p for g, p, _ in seen)
    assert {s for g, _, s in seen if g == "TinySVG"} == {(224, 224, 3)}
    assert {s for g, _, s in seen if g == "CSG2D"} == {(256, 256)}


def test_tsk_round_trip_keeps_program_locks_target_and_language(tmp_path):
    doc = svg_doc()
    target = picture("(Ellipse 5 3 orange purple 4)")
    doc.push(commands.set_target(doc, target, "Target"))
    doc.push(commands.lock(doc, 11))
    path = tmp_path / "drawing.tsk"
    doc.save(path)
    record = json.loads(path.read_text())
    assert record["language"] == "TinySVG" and record["program"] == DRAWING
    other = Document()
    other.open(path)
    assert other.grammar is TINYSVG and other.program == doc.program
    assert other.locked == {11} and other.modality == "filled"
    assert np.array_equal(other.target, target)  # 8-bit RGB: exact for 8-bit pictures
    assert other.score() == pytest.approx(doc.score())


def test_csg2d_files_say_their_language_and_old_files_are_csg2d(tmp_path):
    doc = Document()
    path = tmp_path / "part.tsk"
    doc.save(path)
    record = json.loads(path.read_text())
    assert record["language"] == "CSG2D"
    del record["language"]
    path.write_text(json.dumps(record))
    other = Document()
    other.open(path)
    assert other.grammar is CSG2D and to_text(other.program) == "(Circle 4 8 8)"
    assert isinstance(other.score_target(), Target)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"language": "Logo"}, "unknown language 'Logo' (known: CSG2D, TinySVG)"),
        ({"language": 3}, "'language' must be a language name, found 3"),
        ({"language": "TinySVG"}, "program: "),  # a CSG2D program under TinySVG
        ({"language": "TinySVG", "program": DRAWING, "modality": "sketch"}, "always 'filled'"),
        (
            {"language": "TinySVG", "program": DRAWING, "target_png": "iVBORw0KGgoAAAANSUhEUgAA"},
            "the sketch image is unreadable (not an image)",
        ),
    ],
)
def test_bad_language_fields_are_one_line(tmp_path, fields, message):
    record = {
        "format": "treesketch-document",
        "version": 1,
        "program": "(Circle 4 8 8)",
        "modality": "filled",
        "locked": [],
    } | fields
    path = tmp_path / "bad.tsk"
    path.write_text(json.dumps(record))
    with pytest.raises(ProgramFileError) as info:
        docfile.read_document(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.tsvg", DRAWING + "\n"),
        ("drawing.csg", DRAWING),  # the contents name the language, not the suffix
        (
            "drawing.json",
            json.dumps({"format": "treesketch-tinysvg", "version": 1, "program": DRAWING}),
        ),
    ],
)
def test_program_files_open_as_documents_of_their_language(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    doc = Document()
    doc.open(path)
    assert doc.grammar is TINYSVG and to_text(doc.program) == DRAWING
    assert doc.target.shape == (224, 224, 3) and not doc.has_ink()


def test_program_text_saves_in_the_language_suffix(tmp_path):
    doc = svg_doc()
    doc.save(tmp_path / "d.tsvg")
    assert (tmp_path / "d.tsvg").read_text() == DRAWING + "\n"
    with pytest.raises(ValueError, match=r"TinySVG program cannot be saved as '\.csg'"):
        doc.save(tmp_path / "d.csg")
    csg = Document()
    with pytest.raises(ValueError, match=r"CSG2D program cannot be saved as '\.tsvg'"):
        csg.save(tmp_path / "p.tsvg")
    assert not (tmp_path / "d.csg").exists() and not (tmp_path / "p.tsvg").exists()


def test_autosave_recovery_keeps_the_language(qapp, tmp_path):
    doc = svg_doc()
    files = FileController(doc, Settings.at(tmp_path / "s.ini"), tmp_path / "autosave.tsk")
    doc.push(commands.set_value(doc, 7, "green"))
    doc.push(commands.set_target(doc, picture(DRAWING), "Target", snapped_shape=True))
    assert files.autosave()
    fresh = Document()
    recovering = FileController(fresh, Settings.at(tmp_path / "s.ini"), tmp_path / "autosave.tsk")
    recovering.recover()
    assert fresh.grammar is TINYSVG and fresh.program == doc.program and fresh.dirty
    assert np.array_equal(fresh.target, doc.target)


def wobbly_rectangle(rng: np.random.Generator) -> np.ndarray:
    """``(Rectangle 5 4 red none 0)`` as a hand drawing: 30 × 24 px on white, every row's
    ends and the top and bottom moved by up to 2 px, a pen's blend along its edges."""
    out = np.ones((224, 224, 3), dtype=np.float32)
    top, bottom = 100 + rng.integers(-2, 3), 124 + rng.integers(-2, 3)
    for y in range(top, bottom):
        x0, x1 = 97 + rng.integers(-2, 3), 127 + rng.integers(-2, 3)
        out[y, x0:x1] = (1.0, 0.0, 0.0)
        out[y, x0 - 1] = out[y, x1] = (1.0, 0.5, 0.5)
    return out


def test_a_hand_drawing_forgives_edges_within_the_tolerance():
    """A picture drawn with the pen is scored forgiving edges within the preference, at most
    half a TinySVG unit; the shape tools' pictures and an empty one are scored exactly."""
    doc = svg_doc("(Rectangle 5 4 red none 0)")
    assert doc.effective_tolerance == 0  # white paper
    drawn = wobbly_rectangle(np.random.default_rng(3))
    doc.push(commands.set_target(doc, drawn, "Pen stroke"))
    assert not doc.exact_shapes and doc.effective_tolerance == 0.5
    target = doc.score_target()
    assert target.tolerance == 0.5 and doc.solved() and doc.score() > 0.99
    assert DrawingTarget(doc.target).score(doc.program) < 0.99  # not exactly
    assert doc.is_hand_drawing and not doc.is_sketch
    doc.push(commands.set_value(doc, 2, 3))  # a unit narrower each side: not forgiven
    assert not doc.solved()
    doc.undo_stack.undo()
    doc.undo_stack.undo()  # the pen stroke: white paper again
    doc.push(commands.set_target(doc, picture("(Rectangle 5 4 red none 0)"), "Rect", True))
    assert doc.exact_shapes and doc.effective_tolerance == 0 and doc.score_target().tolerance == 0
    assert not doc.is_hand_drawing
    doc.set_tolerance(0.25)  # the preference, when smaller than the cap
    doc.push(commands.set_target(doc, drawn, "Pen stroke"))
    assert doc.score_target().tolerance == 0.25
    doc.set_tolerance(0.0)
    assert doc.score_target().tolerance == 0 and not doc.solved()
