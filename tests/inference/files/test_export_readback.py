"""SVG and DXF exports read back and compared with shapely's exact geometry (issue 14).

The SVG path is read by a small parser written here (M, L, A, Z; arcs converted
from SVG's endpoint form to centre form as the SVG spec, appendix F.6, says, then
sampled every 0.1°), the DXF by ezdxf (entities, layers, bulges; outlines
flattened by ``ezdxf.path``).  Each read-back region must match
``shape_of(node, quad_segs=512)`` to 0.1 % of its area, and every circle or arc
in the file must have a radius (and centre) of one of the program's circles.
"""

import io
import json
import math
import re
import xml.etree.ElementTree as ET

import ezdxf
import numpy as np
import pytest
import shapely
from ezdxf import path as dxf_path
from ezdxf.math import bulge_to_arc
from shapely import affinity
from shapely.geometry import Polygon

from inference.files import exports
from inference.lang.syntax import parse, to_text
from inference.lang.tree import CIRCLE, Node, walk
from inference.noise.random_programs import random_shape
from inference.render.geometry import exact_area, shape_of

SVG = "{http://www.w3.org/2000/svg}"
INKSCAPE = "{http://www.inkscape.org/namespaces/inkscape}"
AREA_REL = 1e-3  # the 0.1 %
AREA_ABS = 1e-4  # square units, for slivers of almost empty shapes
SAMPLE_STEP = math.radians(0.1)

LONE_CIRCLE = parse("(Circle 3 8 8)")
HOLE = parse("(- (Quad 8 8 6 6 0) (Circle 2 8 8))")
NOTCH = parse("(- (Quad 8 8 6 6 0) (Circle 3 13 8))")
TWO_CIRCLES = parse("(+ (Circle 4 6 8) (Circle 4 10 8))")
ROTATED_QUAD = parse("(Quad 8 8 4 2 45)")
EMPTY = [parse("(Circle 0 3 3)"), parse("(- (Circle 3 8 8) (Circle 4 8 8))")]
RINGS_AND_HOLES = parse(
    "(+ (- (Circle 7 8 8) (Circle 3 8 8)) (- (Quad 4 12 2 3 135) (Circle 1 4 12)))"
)


def _circles(node: Node) -> set[tuple[float, float, float]]:
    """``(cx, cy, r)`` of the program's circles, canvas units (y down)."""
    out = set()
    for _, n in walk(node):
        if n.kind == CIRCLE and n.children[0].value:
            r, x, y = (c.value for c in n.children)
            out.add((2.0 * x, 2.0 * y, 2.0 * r))
    return out


def _refset_programs(refset_dir, count: int) -> list[Node]:
    lines = (refset_dir / "problems.jsonl").read_text().splitlines()[:count]
    return [parse(json.loads(line)["program"]) for line in lines]


def _random_programs(rng: np.random.Generator, count: int) -> list[Node]:
    return [random_shape(rng, int(rng.integers(1, 11))) for _ in range(count)]


RANDOM = _random_programs(np.random.default_rng(20261202), 60)


def _evenodd(rings: list[np.ndarray]):
    """The region an even-odd fill of ``rings`` covers (XOR of the ring polygons)."""
    region = Polygon()
    for ring in rings:
        if len(ring) >= 3:
            region = shapely.symmetric_difference(region, Polygon(ring).buffer(0))
    return region


def _assert_region(region, node: Node) -> None:
    """``region`` is the program's exact shape: area and symmetric difference within 0.1 %."""
    exact = shape_of(node, quad_segs=512)
    tolerance = AREA_REL * exact.area + AREA_ABS
    assert region.area == pytest.approx(exact_area(node), abs=tolerance), to_text(node)
    assert shapely.symmetric_difference(region, exact).area <= tolerance, to_text(node)


# --- an SVG path reader ------------------------------------------------------------

_TOKEN = re.compile(r"[MLAZmlaz]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _svg_arc_points(p0, rx, ry, phi, large, sweep, p1) -> tuple[list, tuple]:
    """Points along an SVG elliptical arc (spec F.6.5-F.6.6), end point excluded;
    and ``(cx, cy, rx)`` of the circle it lies on (for rx == ry)."""
    (x1, y1), (x2, y2) = p0, p1
    cphi, sphi = math.cos(phi), math.sin(phi)
    dx, dy = (x1 - x2) / 2, (y1 - y2) / 2
    x1p, y1p = cphi * dx + sphi * dy, -sphi * dx + cphi * dy
    rx, ry = abs(rx), abs(ry)
    scale = x1p**2 / rx**2 + y1p**2 / ry**2
    if scale > 1:  # radii too small: scaled up (F.6.6)
        rx, ry = rx * math.sqrt(scale), ry * math.sqrt(scale)
    num = rx**2 * ry**2 - rx**2 * y1p**2 - ry**2 * x1p**2
    coef = math.sqrt(max(num, 0.0) / (rx**2 * y1p**2 + ry**2 * x1p**2))
    if large == sweep:
        coef = -coef
    cxp, cyp = coef * rx * y1p / ry, -coef * ry * x1p / rx
    cx = cphi * cxp - sphi * cyp + (x1 + x2) / 2
    cy = sphi * cxp + cphi * cyp + (y1 + y2) / 2

    def angle(ux, uy, vx, vy):
        return math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)

    theta = angle(1, 0, (x1p - cxp) / rx, (y1p - cyp) / ry)
    delta = angle((x1p - cxp) / rx, (y1p - cyp) / ry, (-x1p - cxp) / rx, (-y1p - cyp) / ry)
    if not sweep and delta > 0:
        delta -= 2 * math.pi
    elif sweep and delta < 0:
        delta += 2 * math.pi
    n = max(2, math.ceil(abs(delta) / SAMPLE_STEP))
    points = []
    for t in theta + delta * np.arange(n) / n:
        ex, ey = rx * math.cos(t), ry * math.sin(t)
        points.append((cphi * ex - sphi * ey + cx, sphi * ex + cphi * ey + cy))
    return points, (cx, cy, rx)


def read_svg_path(d: str) -> tuple[list[np.ndarray], list[dict]]:
    """Rings (sampled) and arcs (as written, plus their centre) of absolute M/L/A/Z path data."""
    tokens = _TOKEN.findall(d)
    assert "".join(tokens).replace(" ", "") == re.sub(r"[\s,]", "", d), "unexpected path syntax"
    rings, arcs, ring, at, k = [], [], [], None, 0

    def nums(count):
        nonlocal k
        values = [float(v) for v in tokens[k : k + count]]
        k += count
        return values

    while k < len(tokens):
        cmd = tokens[k]
        k += 1
        assert cmd in "MLAZ", f"command {cmd} (the exporter writes absolute M, L, A, Z)"
        if cmd == "M":
            assert not ring, "a subpath must be closed by Z"
            at = tuple(nums(2))
        elif cmd == "L":
            ring.append(at)
            at = tuple(nums(2))
        elif cmd == "A":
            rx, ry, rot, large, sweep, x, y = nums(7)
            points, centre = _svg_arc_points(at, rx, ry, math.radians(rot), large, sweep, (x, y))
            arc = {"rx": rx, "ry": ry, "rot": rot, "large": large, "centre": centre}
            arcs.append(arc | {"start": at, "end": (x, y)})
            ring.extend(points)
            at = (x, y)
        else:  # Z
            ring.append(at)
            rings.append(np.array(ring))
            ring = []
    assert not ring, "path data ends inside a subpath"
    return rings, arcs


def _svg(node: Node) -> tuple[ET.Element, ET.Element]:
    root = ET.fromstring(exports.to_svg(node))
    paths = list(root.iter(f"{SVG}path"))
    assert len(paths) == 1
    return root, paths[0]


def _check_svg(node: Node) -> tuple[list[np.ndarray], list[dict]]:
    """Read the SVG back, check its region and arcs against the program; return both."""
    _, path = _svg(node)
    assert path.get("fill-rule") == "evenodd"
    rings, arcs = read_svg_path(path.get("d"))
    _assert_region(_evenodd(rings), node)
    circles = _circles(node)
    for arc in arcs:
        assert arc["rx"] == arc["ry"] and arc["rot"] == 0 and arc["large"] == 0
        cx, cy, r = arc["centre"]
        assert r == arc["rx"], "an arc whose end points are not on its circle"
        # end points written to 1e-6 fix the centre of a short arc less tightly
        slack = 1e-5 * (1 + r / math.dist(arc["start"], arc["end"]))
        assert any(
            r == cr
            and math.dist((cx, cy), (ccx, ccy)) < slack
            and all(abs(math.dist(p, (ccx, ccy)) - r) < 2e-6 for p in (arc["start"], arc["end"]))
            for ccx, ccy, cr in circles
        ), (to_text(node), arc)
    return rings, arcs


# --- SVG ---------------------------------------------------------------------------


def test_svg_document_units_and_layer():
    root, path = _svg(NOTCH)
    assert root.get("width") == "32mm" and root.get("height") == "32mm"
    assert root.get("viewBox") == "0 0 32 32"
    group = root.find(f"{SVG}g")
    assert group is not None and group.get("id") == "treesketch"
    assert group.get(f"{INKSCAPE}groupmode") == "layer"
    assert group.get(f"{INKSCAPE}label") == "TreeSketch"
    assert path in list(group)
    assert path.get("fill") == "#000000"


def test_svg_lone_circle_is_two_arcs():
    rings, arcs = _check_svg(LONE_CIRCLE)
    _, path = _svg(LONE_CIRCLE)
    assert len(rings) == 1 and len(arcs) == 2
    assert "L" not in path.get("d")
    assert all(arc["rx"] == 6 for arc in arcs)


def test_svg_hole_stays_a_hole():
    rings, arcs = _check_svg(HOLE)
    assert len(rings) == 2 and len(arcs) == 2
    assert all(arc["rx"] == 4 and arc["centre"][:2] == pytest.approx((16, 16)) for arc in arcs)


def test_svg_notch_has_one_arc_between_exact_corners():
    _, path = _svg(NOTCH)
    d = path.get("d")
    _, arcs = _check_svg(NOTCH)
    assert len(arcs) == 1 and arcs[0]["rx"] == 6
    for y in (16 - math.sqrt(20), 16 + math.sqrt(20)):  # circle (26, 16) r 6 meets x = 22
        assert f"22 {y:.6f}" in d, (y, d)


def test_svg_two_circles_meet_at_their_intersections():
    _, path = _svg(TWO_CIRCLES)
    rings, arcs = _check_svg(TWO_CIRCLES)
    assert len(rings) == 1 and len(arcs) >= 2
    h = math.sqrt(8**2 - 4**2)  # centres (12, 16), (20, 16), radius 8: meet at x = 16
    numbers = [float(v) for v in re.findall(r"-?\d+\.?\d*", path.get("d"))]
    assert 16 in numbers and round(16 - h, 6) in numbers and round(16 + h, 6) in numbers
    assert sorted({round(arc["centre"][0]) for arc in arcs}) == [12, 20]


def test_svg_rotated_quad_has_no_arcs():
    rings, arcs = _check_svg(ROTATED_QUAD)
    assert len(rings) == 1 and len(rings[0]) == 4 and arcs == []


@pytest.mark.parametrize("node", EMPTY, ids=to_text)
def test_svg_of_an_empty_shape(node):
    root, path = _svg(node)
    assert path.get("d") == "" and root.get("width") == "32mm"


@pytest.mark.parametrize("node", RANDOM, ids=to_text)
def test_svg_of_random_programs(node):
    _check_svg(node)


def test_svg_of_refset_programs_and_nested_holes(refset_dir):
    for node in [RINGS_AND_HOLES, *_refset_programs(refset_dir, 16)]:
        _check_svg(node)


# --- DXF ---------------------------------------------------------------------------


def _dxf(node: Node):
    doc = ezdxf.read(io.StringIO(exports.to_dxf(node)))
    assert doc.dxfversion == "AC1024"  # R2010
    auditor = doc.audit()
    assert not auditor.has_errors and not auditor.has_fixes, auditor.errors + auditor.fixes
    assert doc.header["$INSUNITS"] == 4 and doc.units == 4  # millimetres
    assert "TREESKETCH" in doc.layers
    entities = list(doc.modelspace())
    assert all(e.dxf.layer == "TREESKETCH" for e in entities)
    assert {e.dxftype() for e in entities} <= {"CIRCLE", "LWPOLYLINE"}
    return doc, entities


def _mirror(geom):
    """y -> 32 - y (DXF is y up, the canvas y down)."""
    return affinity.scale(geom, 1.0, -1.0, origin=(0.0, 16.0))


def _check_dxf(node: Node) -> list:
    """Read the DXF back, check region, radii and centres against the program; return entities."""
    _, entities = _dxf(node)
    circles = {(cx, 32.0 - cy, r) for cx, cy, r in _circles(node)}  # y up
    rings = []
    for e in entities:
        if e.dxftype() == "CIRCLE":
            (cx, cy, _), r = e.dxf.center, e.dxf.radius
            assert (cx, cy, r) in circles, (to_text(node), (cx, cy, r))
        else:
            assert e.closed
            points = list(e.get_points("xyb"))
            assert len(points) < 64, "a polygonized circle"
            for (x0, y0, b), (x1, y1, _) in zip(points, points[1:] + points[:1], strict=True):
                if b:
                    centre, _, _, r = bulge_to_arc((x0, y0), (x1, y1), b)
                    assert abs(b) <= 1 + 1e-12
                    assert any(
                        abs(r - cr) < 1e-9 and math.dist(centre, (cx, cy)) < 1e-9
                        for cx, cy, cr in circles
                    ), (to_text(node), centre, r)
        flat = list(dxf_path.make_path(e).flattening(distance=1e-5))
        rings.append(np.array([(v.x, v.y) for v in flat]))
    _assert_region(_mirror(_evenodd(rings)), node)
    return entities


def test_dxf_lone_circle_is_a_circle_entity():
    entities = _check_dxf(LONE_CIRCLE)
    assert [e.dxftype() for e in entities] == ["CIRCLE"]
    assert entities[0].dxf.radius == 6.0
    assert tuple(entities[0].dxf.center) == (16.0, 16.0, 0.0)


def test_dxf_hole_is_a_circle_inside_a_polyline():
    entities = _check_dxf(HOLE)
    assert sorted(e.dxftype() for e in entities) == ["CIRCLE", "LWPOLYLINE"]
    plate = next(e for e in entities if e.dxftype() == "LWPOLYLINE")
    assert len(plate) == 4 and all(b == 0 for *_, b in plate.get_points("xyb"))


def test_dxf_notch_is_a_bulge():
    entities = _check_dxf(NOTCH)
    assert [e.dxftype() for e in entities] == ["LWPOLYLINE"]
    points = list(entities[0].get_points("xyb"))
    bulged = [(x, y, b) for x, y, b in points if b]
    assert len(bulged) == 1
    x, y, b = bulged[0]
    # the arc from (22, 16 - √20) up to (22, 16 + √20) bends left, away from the centre
    # (26, 16): clockwise in y-up, so a negative bulge of tan(θ/4)
    theta = 2 * math.asin(math.sqrt(20) / 6)
    assert (x, y) == pytest.approx((22, 16 - math.sqrt(20)), abs=1e-12)
    assert b == pytest.approx(-math.tan(theta / 4), abs=1e-12)


def test_dxf_two_circles_are_two_bulges():
    entities = _check_dxf(TWO_CIRCLES)
    assert [e.dxftype() for e in entities] == ["LWPOLYLINE"]
    points = list(entities[0].get_points("xyb"))
    assert all(b for *_, b in points)  # only arcs: no straight segment
    h = math.sqrt(48)
    xy = {(round(x, 9), round(y, 9)) for x, y, _ in points}
    assert {(16.0, round(16 - h, 9)), (16.0, round(16 + h, 9))} <= xy


def test_dxf_rotated_quad_is_four_lines():
    entities = _check_dxf(ROTATED_QUAD)
    assert [e.dxftype() for e in entities] == ["LWPOLYLINE"]
    assert len(entities[0]) == 4 and not any(b for *_, b in entities[0].get_points("xyb"))


@pytest.mark.parametrize("node", EMPTY, ids=to_text)
def test_dxf_of_an_empty_shape(node):
    _, entities = _dxf(node)
    assert entities == []


def test_dxf_extents_cover_the_arcs():
    doc, _ = _dxf(parse("(+ (Circle 3 8 8) (Quad 8 8 1 1 0))"))
    assert tuple(doc.header["$EXTMIN"])[:2] == pytest.approx((10, 10))
    assert tuple(doc.header["$EXTMAX"])[:2] == pytest.approx((22, 22))


@pytest.mark.parametrize("node", RANDOM, ids=to_text)
def test_dxf_of_random_programs(node):
    _check_dxf(node)


def test_dxf_of_refset_programs_and_nested_holes(refset_dir):
    for node in [RINGS_AND_HOLES, *_refset_programs(refset_dir, 16)]:
        _check_dxf(node)


def test_named_cases_are_all_covered():
    assert all(_circles(n) for n in (LONE_CIRCLE, HOLE, NOTCH, TWO_CIRCLES))
    assert not _circles(ROTATED_QUAD)
    assert sum(1 for n in RANDOM if _circles(n)) > 30
