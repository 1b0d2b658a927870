"""Export formats, atomic writes and program-file reading.

The OpenSCAD export is read back by a small interpreter and compared with the
exact geometry, so a wrong sign or a wrong mirror fails even when the file is
well formed; the SVG and DXF exports are read back the same way in
``test_export_readback.py``.
"""

import io
import json
import os
import re

import ezdxf
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from PIL import Image
from shapely import affinity
from shapely.geometry import Polygon, box

from inference.files import exports
from inference.files.fileio import (
    ProgramFileError,
    atomic_write_bytes,
    atomic_write_text,
    read_problems,
    read_program,
)
from inference.lang import program_json
from inference.lang.syntax import COMPACT, parse, to_text
from inference.render.geometry import shape_of
from inference.render.raster import render
from tests.strategies import programs

SMALL = parse("(- (Circle 6 8 8) (Quad 8 8 4 2 45))")
HOLES = parse("(+ (- (Circle 7 8 8) (Circle 3 8 8)) (- (Quad 4 12 2 3 135) (Circle 1 4 12)))")


def _mirror(geom):
    """y -> 32 - y (between the canvas' y-down and the y-up CAD formats)."""
    return affinity.scale(geom, 1.0, -1.0, origin=(0.0, 16.0))


def _assert_same_region(geom, node, rel=1e-3):
    """``geom`` covers the same region as ``node`` up to circle polygonization."""
    expected = shape_of(node, quad_segs=256)
    diff = shapely.symmetric_difference(geom, expected).area
    assert diff <= 0.05 + rel * max(expected.area, 1.0), (to_text(node), diff)


# --- OpenSCAD ------------------------------------------------------------------

_CALL = re.compile(r"\s*(\w+)\s*\(([^()]*)\)\s*")
_NUM = re.compile(r"-?\d+(?:\.\d+)?")


def _scad_eval(text: str):
    """Evaluate the OpenSCAD subset the exporter writes, with OpenSCAD's semantics (y up)."""
    text = re.sub(r"//[^\n]*", "", text)
    geom, pos = _scad_stmt(text, 0)
    assert text[pos:].strip() == ""
    return geom


def _scad_stmt(text: str, pos: int):
    m = _CALL.match(text, pos)
    assert m, text[pos : pos + 40]
    name, args, pos = m.group(1), m.group(2), m.end()
    nums = [float(v) for v in _NUM.findall(args)]
    if name in ("translate", "rotate"):
        child, pos = _scad_stmt(text, pos)
        if name == "translate":
            return affinity.translate(child, nums[0], nums[1]), pos
        return affinity.rotate(child, nums[0], origin=(0, 0)), pos  # counter-clockwise
    if name in ("union", "difference", "intersection"):
        assert text[pos] == "{"
        kids, pos = [], pos + 1
        while text[pos:].lstrip()[0] != "}":
            kid, pos = _scad_stmt(text, pos)
            kids.append(kid)
        pos = text.index("}", pos) + 1
        op = {"union": shapely.union, "difference": shapely.difference}.get(name)
        result = kids[0]
        for kid in kids[1:]:
            result = op(result, kid) if op else shapely.intersection(result, kid)
        return result, pos
    assert text[pos] == ";"
    if name == "circle":
        r, fn = float(re.search(r"r=([\d.]+)", args)[1]), int(re.search(r"\$fn=(\d+)", args)[1])
        t = np.arange(fn) * 2 * np.pi / fn
        return Polygon(np.stack([r * np.cos(t), r * np.sin(t)], 1)) if r else Polygon(), pos + 1
    assert name == "square"
    w, h = nums[0], nums[1]
    shape = box(-w / 2, -h / 2, w / 2, h / 2) if "center=true" in args else box(0, 0, w, h)
    return shape, pos + 1


def test_scad_structure():
    text = exports.to_scad(SMALL)
    body = [line.strip() for line in text.splitlines() if not line.startswith("//")]
    assert body == [
        "intersection() {",
        "square([32, 32]);",
        "difference() {",
        "translate([16, 16]) circle(r=12, $fn=128);",
        "translate([16, 16]) rotate(-45) square([8, 4], center=true);",
        "}",
        "}",
    ]


@pytest.mark.parametrize("angle", [0, 45, 90, 135, 225, 315])
def test_scad_rotation_under_the_y_flip(angle):
    # A long, thin, off-centre quad: a wrong rotation sign or a missing flip moves it.
    node = parse(f"(Quad 5 11 7 1 {angle})")
    region = _mirror(_scad_eval(exports.to_scad(node)))
    diff = shapely.symmetric_difference(region, shape_of(node)).area
    assert diff < 1e-9


def test_scad_flip_against_design_formula():
    # DESIGN.md §1 directly: offset (dx, dy) -> (dx cos a - dy sin a, dx sin a + dy cos a), y down.
    x, y, w, h, a = 4, 6, 5, 2, 45
    c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
    offs = np.array([(-2 * w, -2 * h), (2 * w, -2 * h), (2 * w, 2 * h), (-2 * w, 2 * h)]) / 2
    corners = np.stack(
        [2 * x + offs[:, 0] * c - offs[:, 1] * s, 2 * y + offs[:, 0] * s + offs[:, 1] * c], 1
    )
    scad = _scad_eval(exports.to_scad(parse(f"(Quad {x} {y} {w} {h} {a})")))
    expected = _mirror(Polygon(corners))
    assert shapely.symmetric_difference(scad, expected).area < 1e-9


@settings(max_examples=25)
@given(programs)
def test_scad_draws_the_program(node):
    _assert_same_region(_mirror(_scad_eval(exports.to_scad(node))), node, rel=2e-3)


# --- JSON --------------------------------------------------------------------


@settings(max_examples=50)
@given(programs)
def test_json_round_trip(node):
    text = program_json.to_json(node)
    doc = json.loads(text)
    assert (doc["format"], doc["version"]) == ("treesketch-csg2d", 1)
    assert doc["program"] == to_text(node)
    assert program_json.from_json(text) == node


def test_json_tree_shape():
    tree = json.loads(program_json.to_json(SMALL))["tree"]
    assert tree["type"] == "difference"
    assert tree["left"] == {"type": "circle", "r": 6, "x": 8, "y": 8}
    assert tree["right"] == {"type": "quad", "x": 8, "y": 8, "w": 4, "h": 2, "angle": 45}


def _doc(**changes) -> str:
    doc = json.loads(program_json.to_json(SMALL))
    doc.update(changes)
    return json.dumps({k: v for k, v in doc.items() if v is not None})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_doc(version=2), "unsupported version 2"),
        (_doc(version="1"), "version"),
        (_doc(format="other"), "not a TreeSketch program"),
        (_doc(program="(Circle 1 1 1)"), "different programs"),
        (_doc(tree={"type": "circle", "r": 16, "x": 1, "y": 1}), "out of range"),
        (_doc(tree={"type": "quad", "x": 1, "y": 1, "w": 1, "h": 1, "angle": 30}), "angle"),
        (_doc(tree={"type": "star"}), "unknown type"),
        (_doc(tree={"type": "union", "left": {"type": "circle"}}), "tree.left.r"),
        (_doc(program="(Circle 1 1"), '"program": line 1, column 12'),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a TreeSketch program"),
    ],
)
def test_json_errors_are_clear(text, message):
    with pytest.raises(ValueError, match=message) as info:
        program_json.from_json(text)
    assert "\n" not in str(info.value)


def test_json_with_program_only():
    assert program_json.from_json(_doc(tree=None)) == SMALL


# --- PNG and dispatch ------------------------------------------------------------


@pytest.mark.parametrize("size", [32, 100])
def test_png_decodes_to_the_render(size):
    image = Image.open(io.BytesIO(exports.to_png(HOLES, size)))
    assert image.size == (size, size) and image.mode == "L"
    pixels = np.asarray(image)
    assert set(np.unique(pixels)) <= {0, 255}
    np.testing.assert_array_equal(pixels == 255, render(HOLES, size))


def _dxf_points(data: bytes) -> list:
    """Every entity's type and geometry (what stays when the timestamps and GUIDs differ)."""
    doc = ezdxf.read(io.StringIO(data.decode()))
    return [
        (e.dxftype(), list(e.get_points("xyb")) if e.dxftype() == "LWPOLYLINE" else e.dxf.radius)
        for e in doc.modelspace()
    ]


def test_export_dispatches_on_suffix(tmp_path):
    for suffix in exports.EXPORT_FORMATS:
        path = tmp_path / f"out{suffix}"
        exports.export(SMALL, path, size=48)
        expected = exports.export_content(SMALL, suffix, 48)
        if suffix == ".dxf":  # DXF carries timestamps and GUIDs: compare the outlines
            assert _dxf_points(path.read_bytes()) == _dxf_points(expected)
        else:
            assert path.read_bytes() == expected
    exports.export(SMALL, tmp_path / "UPPER.SVG")
    assert (tmp_path / "UPPER.SVG").read_bytes() == (tmp_path / "out.svg").read_bytes()
    assert read_program(tmp_path / "out.csg") == SMALL
    assert read_program(tmp_path / "out.json") == SMALL
    expected = {f"out{s}" for s in exports.EXPORT_FORMATS} | {"UPPER.SVG"}
    assert set(os.listdir(tmp_path)) == expected  # no temp files left


def test_export_unknown_suffix_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        exports.export(SMALL, tmp_path / "out.txt")
    assert os.listdir(tmp_path) == []


# --- atomic writes -------------------------------------------------------------


def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write_text(path, "first\n")
    os.chmod(path, 0o640)
    atomic_write_text(path, "second é\n")
    assert path.read_bytes() == "second é\n".encode()
    assert path.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["a.txt"]


def test_atomic_write_failure_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "a.bin"
    atomic_write_bytes(path, b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # fails inside the write
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_atomic_write_over_a_folder_fails_cleanly(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "d", b"x")
    assert os.listdir(tmp_path) == ["d"] and os.listdir(tmp_path / "d") == []


def test_atomic_write_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "nope" / "a.bin", b"x")
    assert os.listdir(tmp_path) == []


# --- reading programs --------------------------------------------------------


def test_read_program_text_forms(tmp_path):
    (tmp_path / "a.csg").write_text("\ufeff(-\n  (Circle 6 8 8)\n  (Quad 8 8 4 2 45))\n")
    (tmp_path / "b.CSG").write_text(to_text(SMALL, COMPACT))
    assert read_program(tmp_path / "a.csg") == SMALL
    assert read_program(tmp_path / "b.CSG") == SMALL


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csg", None, "missing.csg: no such file"),
        ("a.txt", b"(Circle 1 1 1)", "unknown program file type \\('.txt'\\)"),
        ("noext", b"(Circle 1 1 1)", "no extension"),
        ("a.csg", b"(Circle 1 \xff 1)", "not UTF-8 text \\(byte 0xff at offset 10\\)"),
        ("a.csg", b"(Circle 1 1)\n", "a.csg: line 1, column 12: expected a number"),
        ("a.csg", b"(+ (Circle 1 1 1)\n   (Quad 1 2 3))", "line 2, column 15"),
        ("a.json", b'{"format": "x"}', "a.json: not a TreeSketch program"),
        ("a.csg", b"", "unexpected end of input"),
    ],
)
def test_read_program_errors(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(ProgramFileError, match=message) as info:
        read_program(tmp_path / name)
    assert "\n" not in str(info.value)


def test_read_program_folder(tmp_path):
    with pytest.raises(ProgramFileError, match="is a folder"):
        read_program(tmp_path)


def test_read_problems(tmp_path, refset_dir):
    problems = read_problems(refset_dir / "problems.jsonl")
    assert len(problems) == 128 and problems[0][0] == "ref1000_0000"
    bad = tmp_path / "p.jsonl"
    for text, message in [
        (
            '{"id": "a", "program": "(Circle 1 1 1)"}\n\n{"id": "a", "program": "(Circle 1 1 1)"}',
            "line 3: duplicate id 'a'",
        ),
        ('{"id": "../x", "program": "(Circle 1 1 1)"}', "cannot be used as a file name"),
        ('{"id": "a", "program": "(Circle 1 1"}', "line 1: program of 'a': line 1, column 12"),
        ('{"id": "a"}', "needs string fields"),
        ("nope", "line 1: not valid JSON"),
    ]:
        bad.write_text(text)
        with pytest.raises(ProgramFileError, match=re.escape(message)):
            read_problems(bad)
