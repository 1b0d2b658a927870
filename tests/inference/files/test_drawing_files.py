"""TinySVG drawings in files: the JSON document, the SVG and PNG exports, reading program files
of either language, and the command line's ``--language`` (issue 17)."""

import io
import re

import numpy as np
import pytest
from PIL import Image

from inference.files.exports import export_content
from inference.files.fileio import ProgramFileError, read_program
from inference.lang.grammar import CSG2D, TINYSVG
from inference.lang.program_json import from_json, to_json
from inference.lang.random_trees import random_tree
from inference.lang.syntax import to_text
from inference.lang.tinysvg import parse_tinysvg
from inference.render.svg_scene import COLOURS, layout, render

DRAWING = (
    "(Arrange h (Rectangle 3 4 red black 2) (Move (Ellipse 2 2 blue none 0) 0 1 false true) 1)"
)


def _drawings(n: int, seed: int = 1717):
    rng = np.random.default_rng(seed)
    return [random_tree(TINYSVG, rng, int(rng.integers(1, 7))) for _ in range(n)]


@pytest.mark.parametrize("node", _drawings(25), ids=to_text)
def test_json_round_trips_a_drawing(node):
    text = to_json(node)
    assert '"format": "treesketch-tinysvg"' in text
    assert from_json(text) == node


def test_json_refuses_a_bad_drawing_tree():
    good = to_json(parse_tinysvg(DRAWING))
    with pytest.raises(ValueError, match=r"tree\.first\.fill: expected a colour"):
        from_json(good.replace('"fill": "red"', '"fill": "pink"'))
    with pytest.raises(ValueError, match=r"tree\.second\.negx: expected a flag"):
        from_json(good.replace('"negx": false', '"negx": 0'))
    with pytest.raises(ValueError, match="different programs"):
        from_json(good.replace('"w": 3', '"w": 4'))


def test_svg_has_one_element_per_painted_primitive_with_its_colours():
    node = parse_tinysvg(DRAWING + "\n")
    svg = export_content(node, ".svg").decode()
    assert len(re.findall(r"<rect ", svg)) == 2  # the white paper and the rectangle
    assert len(re.findall(r"<ellipse ", svg)) == 1
    assert 'fill="#ff0000" stroke="#000000" stroke-width="1"' in svg  # sw 2: 1 px
    assert 'fill="#0000ff" stroke="none"' in svg
    # the boxes are the layout's: the rectangle 18 × 24 px, the ellipse 12 px wide
    rect, ell = layout(node)
    assert f'width="{rect.x1 - rect.x0:g}" height="{rect.y1 - rect.y0:g}"' in svg
    assert f'rx="{(ell.x1 - ell.x0) / 2:g}"' in svg


def test_svg_leaves_out_what_paints_nothing():
    node = parse_tinysvg("(Arrange v (Rectangle 0 3 red black 4) (Ellipse 2 2 none green 0) 1)")
    svg = export_content(node, ".svg").decode()
    assert "#ff0000" not in svg  # zero width: neither fill nor stroke
    assert "<ellipse" in svg and 'fill="none" stroke="none"' in svg  # kept, though invisible


@pytest.mark.parametrize("size", [64, 224])
def test_png_is_the_rgb_render(size):
    node = parse_tinysvg(DRAWING)
    image = Image.open(io.BytesIO(export_content(node, ".png", size)))
    assert image.mode == "RGB" and image.size == (size, size)
    assert np.array_equal(np.asarray(image), render(node, size))
    assert tuple(np.asarray(image)[size // 2, 0]) == (255, 255, 255)
    assert COLOURS["red"] in {tuple(p) for p in np.asarray(image).reshape(-1, 3)}


def test_cad_formats_are_refused_for_a_drawing():
    node = parse_tinysvg(DRAWING)
    for suffix in (".scad", ".dxf", ".csg"):
        with pytest.raises(ValueError, match="a TinySVG program cannot be exported as"):
            export_content(node, suffix)


def test_program_files_say_their_language(tmp_path):
    (tmp_path / "d.tsvg").write_text(DRAWING + "\n")
    (tmp_path / "in_csg_file.csg").write_text(DRAWING)  # the contents decide
    (tmp_path / "c.csg").write_text("(- (Circle 6 8 8) (Quad 8 8 4 4 H))")
    (tmp_path / "d.json").write_text(to_json(parse_tinysvg(DRAWING)))
    assert read_program(tmp_path / "d.tsvg").grammar is TINYSVG
    assert read_program(tmp_path / "in_csg_file.csg").grammar is TINYSVG
    assert read_program(tmp_path / "c.csg").grammar is CSG2D
    assert read_program(tmp_path / "d.json") == parse_tinysvg(DRAWING)
    with pytest.raises(ProgramFileError, match="a TinySVG program, not CSG2D"):
        read_program(tmp_path / "d.json", CSG2D)
    with pytest.raises(ProgramFileError, match="a CSG2D program, not TinySVG"):
        read_program(tmp_path / "c.csg", TINYSVG)
    (tmp_path / "bad.tsvg").write_text("(Rectangle 3 4 pink none 0)")
    with pytest.raises(
        ProgramFileError, match="bad.tsvg: line 1, column 16: expected a colour .*found .pink."
    ):
        read_program(tmp_path / "bad.tsvg")


def test_cli_renders_and_exports_drawings(run_cli, tmp_path):
    (tmp_path / "d.tsvg").write_text(DRAWING + "\n")
    (tmp_path / "c.csg").write_text("(Circle 4 8 8)\n")
    res = run_cli("render", tmp_path / "d.tsvg", tmp_path / "c.csg", "-o", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert Image.open(tmp_path / "out" / "d.png").mode == "RGB"
    assert Image.open(tmp_path / "out" / "c.png").mode == "L"
    for suffix in (".svg", ".json", ".png", ".tsvg"):
        res = run_cli("export", tmp_path / "d.tsvg", "-o", tmp_path / f"e{suffix}")
        assert res.returncode == 0, res.stderr
    assert read_program(tmp_path / "e.tsvg") == parse_tinysvg(DRAWING)
    res = run_cli("export", tmp_path / "d.tsvg", "-o", tmp_path / "e.dxf")
    assert res.returncode == 2 and "cannot be exported as '.dxf'" in res.stderr
    res = run_cli("render", tmp_path / "c.csg", "-o", tmp_path / "o2", "--language", "tinysvg")
    assert res.returncode == 2 and "a CSG2D program, not TinySVG" in res.stderr
    res = run_cli("render", tmp_path / "d.tsvg", "-o", tmp_path / "o3", "--language", "TinySVG")
    assert res.returncode == 0
    res = run_cli("export", tmp_path / "d.tsvg", "-o", tmp_path / "x.png", "--language", "svgx")
    assert res.returncode == 2 and "unknown language 'svgx'" in res.stderr
