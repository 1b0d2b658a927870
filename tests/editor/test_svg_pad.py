"""The sketch pad on a TinySVG document (issue 17): the colour palette, and the pen, shape
tools and fill painting TinySVG's colours into the RGB target, driven by real mouse and
keyboard events on the real widget (pytest-qt, offscreen)."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from editor.docfile import blank_target
from editor.document import Document
from editor.shape_snap import svg_shape_rect
from editor.sketch_pad import PALETTE, SketchPad
from editor.target_paint import shape_coverage
from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.syntax import parse
from inference.render.svg_scene import COLOURS, render

PX = 224 / 32  # TinySVG target pixels per canvas unit


def rendered(text: str) -> np.ndarray:
    """A TinySVG program's render, uint8 RGB at 224."""
    return render(parse(text, grammar=TINYSVG), 224)


def as_bytes(target: np.ndarray) -> np.ndarray:
    return np.rint(target * 255).astype(np.uint8)


def at(canvas, x_px: float, y_px: float):
    """Widget position of TinySVG pixel (x, y)."""
    return canvas.canvas_transform().map(QPointF(x_px / PX, y_px / PX)).toPoint()


def drag(qtbot, canvas, points_px, button=Qt.MouseButton.LeftButton):
    qtbot.mousePress(canvas, button, pos=at(canvas, *points_px[0]))
    for p in points_px[1:]:
        qtbot.mouseMove(canvas, at(canvas, *p))
    qtbot.mouseRelease(canvas, button, pos=at(canvas, *points_px[-1]))


@pytest.fixture
def pad(qtbot, settings):
    """A shown sketch pad on a new TinySVG document."""
    doc = Document()
    doc.new(TINYSVG)
    widget = SketchPad(doc, settings)
    qtbot.addWidget(widget)
    widget.resize(700, 760)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.mark.parametrize(
    ("colour", "tool", "box", "program"),
    [
        ("blue", "rect", (103, 100, 121, 124), "(Rectangle 3 4 blue none 0)"),
        ("purple", "ellipse", (97, 103, 127, 121), "(Ellipse 5 3 purple none 0)"),
        (
            "orange",
            "ellipse",
            (88, 106, 112, 130),
            "(Move (Ellipse 4 4 orange none 0) 2 1 true false)",
        ),
        (
            "green",
            "rect",
            (121, 85, 139, 103),
            "(Move (Rectangle 3 3 green none 0) 3 3 false true)",
        ),
    ],
)
def test_a_shape_drawn_on_the_grid_is_exactly_the_program_s_render(
    qtbot, pad, colour, tool, box, program
):
    """A drag roughly from corner to corner (a pixel or two off) snaps to TinySVG's units,
    and the target becomes exactly the picture the program renders (every byte)."""
    pad.set_colour(colour)
    pad.set_tool(tool)
    x0, y0, x1, y1 = box
    drag(qtbot, pad.canvas, [(x0 + 1.2, y0 - 0.8), ((x0 + x1) / 2, y1 - 5), (x1 - 1.1, y1 + 1.3)])
    assert np.array_equal(as_bytes(pad.doc.target), rendered(program))
    assert pad.doc.undo_stack.undoText() == ("Rectangle" if tool == "rect" else "Ellipse")
    assert pad.doc.score_target().solves(
        pad.doc.score_target().score(parse(program, grammar=TINYSVG))
    )


def test_two_shapes_side_by_side_are_one_arrangement(qtbot, pad):
    """A red rectangle beside a blue ellipse: the target is the Arrange of the two."""
    program = "(Arrange h (Rectangle 4 4 red none 0) (Ellipse 4 4 blue none 0) 2)"
    placed = [("red", "rect", (82, 100, 106, 124)), ("blue", "ellipse", (118, 100, 142, 124))]
    for colour, tool, (x0, y0, x1, y1) in placed:
        pad.set_colour(colour)
        pad.set_tool(tool)
        drag(qtbot, pad.canvas, [(x0 - 1, y0 + 1), (x1 + 1, y1 - 1)])
    assert np.array_equal(as_bytes(pad.doc.target), rendered(program))
    pad.doc.undo_stack.undo()
    assert np.array_equal(
        as_bytes(pad.doc.target), rendered("(Move (Rectangle 4 4 red none 0) 3 0 true false)")
    )


def test_the_palette_shows_only_on_a_tinysvg_document_and_keys_pick_the_colour(qtbot, settings):
    doc = Document()
    pad = SketchPad(doc, settings)
    qtbot.addWidget(pad)
    pad.show()
    qtbot.waitExposed(pad)
    assert doc.grammar is CSG2D and pad.colour_bar.isHidden()
    assert pad.modality_box.isVisible()
    qtbot.keyClick(pad.canvas, Qt.Key.Key_3)  # no colour keys on a CSG2D document
    assert pad.colour == "red"
    doc.new(TINYSVG)
    qtbot.waitUntil(lambda: not pad.modality_box.isVisible())  # the tool bar hides it later
    assert pad.colour_bar.isVisible()
    assert PALETTE == ["red", "green", "blue", "yellow", "purple", "orange", "black", "white"]
    for number, name in enumerate(PALETTE, start=1):
        qtbot.keyClick(pad.canvas, getattr(Qt.Key, f"Key_{number}"))
        assert pad.colour == name and pad.canvas.colour == name
        assert [n for n, a in pad.colour_actions.items() if a.isChecked()] == [name]
        assert name in pad.colour_label.text()
    icon = pad.colour_actions["blue"].icon()
    on, off = (icon.pixmap(22, 22, state=state).toImage() for state in icon.State)
    assert on != off  # the chosen swatch is drawn ringed
    with pytest.raises(ValueError, match="unknown colour 'pink'"):
        pad.set_colour("pink")
    doc.new(CSG2D)
    qtbot.waitUntil(pad.modality_box.isVisible)
    assert pad.colour_bar.isHidden()


def test_the_pen_paints_in_colour_white_erases_and_clear_and_undo_work(qtbot, pad):
    doc = pad.doc
    pad.set_colour("green")
    drag(qtbot, pad.canvas, [(40, 40), (80, 40), (120, 40)])
    green = np.array(COLOURS["green"]) / 255
    assert np.allclose(doc.target[40, 80], green, atol=0.01)
    assert np.array_equal(doc.target[120, 80], [1, 1, 1])  # far from the stroke: paper
    assert doc.target.shape == (224, 224, 3) and doc.has_ink()
    pad.set_colour("white")
    pad.set_pen_width(3.0)  # wider than the stroke and its soft edge
    drag(qtbot, pad.canvas, [(20, 40), (140, 40)])  # white paints the paper back
    assert not doc.has_ink()
    doc.undo_stack.undo()
    assert np.allclose(doc.target[40, 80], green, atol=0.01)
    pad.set_tool("eraser")  # the eraser paints white too, whatever the colour
    pad.set_colour("purple")
    drag(qtbot, pad.canvas, [(20, 40), (140, 40)])
    assert not doc.has_ink()
    doc.undo_stack.undo()
    pad.clear()
    assert (
        np.array_equal(doc.target, blank_target(TINYSVG)) and doc.undo_stack.undoText() == "Clear"
    )
    doc.undo_stack.undo()
    assert np.allclose(doc.target[40, 80], green, atol=0.01)


def test_fill_paints_the_region_under_the_pointer_without_a_fringe(qtbot, pad):
    doc = pad.doc
    pad.set_colour("red")
    pad.set_tool("ellipse")
    drag(qtbot, pad.canvas, [(82, 82), (148, 130)])  # 11 units wide: at most 9 (an Ellipse's)
    red = "(Move (Ellipse 9 8 red none 0) 0 1 false true)"
    assert np.array_equal(as_bytes(pad.doc.target), rendered(red))
    pad.set_colour("blue")
    pad.set_tool("fill")
    drag(qtbot, pad.canvas, [(112, 106)])
    rgb = as_bytes(doc.target).astype(int)
    reddish = (rgb[..., 0] > rgb[..., 2] + 40) & (rgb[..., 0] > rgb[..., 1] + 40)
    assert not reddish.any()  # the edge's blend of red and white went blue too
    # recoloured, edge blends and all, it is the blue ellipse
    assert np.array_equal(rgb, rendered(red.replace("red", "blue")))
    pad.set_colour("yellow")
    drag(qtbot, pad.canvas, [(5, 5)])  # the paper around it
    rgb = as_bytes(doc.target).astype(int)
    assert np.array_equal(rgb[5, 5], [255, 255, 0]) and np.array_equal(rgb[106, 112], [0, 0, 255])
    edge = (shape_coverage("ellipse", (85, 82, 139, 130), 224) % 1) > 0
    r, g, b = rgb[edge].T  # its edge blends blue with yellow now: no white, no red
    assert (abs(r - g) <= 2).all() and (abs(r + b - 255) <= 2).all()
    assert doc.undo_stack.undoText() == "Fill region"


def test_a_snapped_shape_is_whole_units_centred_where_a_move_puts_a_shape():
    rng = np.random.default_rng(5)
    for _ in range(300):
        (x0, y0, x1, y1) = rng.uniform(0, 224, 4)
        square, ellipse = bool(rng.integers(2)), bool(rng.integers(2))
        start, end = QPointF(x0 / PX, y0 / PX), QPointF(x1 / PX, y1 / PX)
        box = svg_shape_rect(start, end, True, square, 9 if ellipse else None)
        left, top, w, h = (round(v * PX, 6) for v in (box.x(), box.y(), box.width(), box.height()))
        assert w % 6 == 0 and h % 6 == 0 and w >= 6 and h >= 6 and (w == h or not square)
        assert (left + w / 2 - 112) % 6 == 0 and (top + h / 2 - 112) % 6 == 0
        assert max(w, h) <= 54 or not ellipse
        for pressed, released, low, size in ((x0, x1, left, w), (y0, y1, top, h)):
            near, far = (low, low + size) if released >= pressed else (low + size, low)
            assert abs(near - pressed) <= 3  # the edge where the drag began moves half a unit
            if not square and (size < 54 or not ellipse):
                assert abs(abs(far - near) - abs(released - pressed)) <= 3 or size == 6
    free = svg_shape_rect(QPointF(1.0, 2.0), QPointF(3.5, 2.5), False, False)
    assert (free.x(), free.y(), free.width(), free.height()) == pytest.approx((1.0, 2.0, 2.5, 0.5))


def test_loading_an_image_gives_the_rgb_target(qtbot, pad, tmp_path):
    picture = rendered("(Arrange v (Rectangle 5 2 orange none 0) (Ellipse 3 3 green black 4) 1)")
    Image.fromarray(picture).save(tmp_path / "drawing.png")
    assert pad.load_image(tmp_path / "drawing.png")
    assert pad.doc.target.shape == (224, 224, 3)
    assert np.array_equal(as_bytes(pad.doc.target), picture)
    Image.new("RGB", (50, 50), "white").save(tmp_path / "blank.png")
    with qtbot.waitSignal(pad.imageFailed) as failed:
        assert not pad.load_image(tmp_path / "blank.png")
    assert "blank" in failed.args[1]
