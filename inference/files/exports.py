"""Export a program to files other tools read.

=======  =====================================================================
suffix   content
=======  =====================================================================
``.csg``   canonical program text and a newline (read back by the editor and CLI)
``.json``  ``{"format": "treesketch-csg2d", "version": 1, "program": ..., "tree": ...}``
``.svg``   the boolean result as one ``<path fill-rule="evenodd">`` of lines and
           arcs (``L``, ``A``) in a layer group (``<g id="treesketch">``,
           ``inkscape:label="TreeSketch"``)
``.scad``  OpenSCAD 2D: ``union``/``difference`` of ``circle`` and ``square``
``.dxf``   AutoCAD R2010 drawing on layer ``TREESKETCH``, units mm: a ``CIRCLE``
           per whole circle, a closed ``LWPOLYLINE`` with bulges (arcs) per other
           outline
``.png``   8-bit grey binary render, 255 = inside, at a chosen size
=======  =====================================================================

A TinySVG drawing (docs/TINYSVG.md) exports to ``.tsvg`` (its program text),
``.json`` (``"format": "treesketch-tinysvg"``), ``.svg`` (real ``<rect>`` and
``<ellipse>`` elements with their colours) and ``.png`` (the RGB render); see
:mod:`inference.files.drawing_exports`.  OpenSCAD and DXF are CAD formats for
CSG2D's shapes and are refused for a drawing.

Physical scale: **one canvas unit is one millimetre**, so the 32×32-unit canvas
is a 32 mm square and a program value v is 2v mm.  The SVG keeps the canvas'
y-down axis (SVG's own); OpenSCAD and DXF are y-up, so they mirror y
(``y' = 32 − y``) and the drawing looks the same as the render.  SVG and DXF
outlines come from :func:`inference.render.arcs.outlines`: clipped to the canvas,
straight where the shape is straight, and true arcs of the program's circles
(exact centre and radius) where it is round, so cutting and CAM tools get
circles, not polygons.  The OpenSCAD file keeps the program's own tree and
primitives, intersected with the canvas square.

Any program the parser accepts (``inference.lang.syntax.MAX_PRIMITIVES``) exports in
well under a second; one built in code with 16,384 primitives takes about 2 s
(``python -m inference.benchmarks.export_bench``).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from inference.files.drawing_exports import drawing_png, drawing_svg
from inference.files.fileio import atomic_write_bytes
from inference.lang.grammar import TINYSVG
from inference.lang.program_json import to_json
from inference.lang.syntax import to_text
from inference.lang.tree import BINOP, CIRCLE, Node, values
from inference.render.arcs import Outline, Piece, bounds, outlines
from inference.render.geometry import CANVAS

MM_PER_UNIT = 1.0
"""Physical size of one canvas unit in the SVG and DXF exports."""
SCAD_FN = 128
"""OpenSCAD ``$fn`` (segments per circle)."""
DEFAULT_PNG_SIZE = 128
SVG_DECIMALS = 6
"""Decimals of the coordinates in SVG path data (1 nm at 1 unit = 1 mm)."""
SVG_FILL = "#000000"
"""Fill colour of the shape in the SVG."""
LAYER = "TREESKETCH"
"""DXF layer of every entity."""


def to_csg(node: Node) -> str:
    """Canonical program text with a trailing newline."""
    return to_text(node) + "\n"


# --- SVG --------------------------------------------------------------------


def _num(v: float, decimals: int = 4) -> str:
    """Short decimal text for a coordinate: up to ``decimals`` decimals, no trailing zeros."""
    s = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def svg_path_data(rings: list[np.ndarray]) -> str:
    """SVG path data, one closed ``M … L … Z`` subpath per polygon ring (closing vertex dropped)."""
    parts = []
    for ring in rings:
        pts = [f"{_num(x)} {_num(y)}" for x, y in _open_ring(ring)]
        parts.append(f"M {pts[0]} L {' '.join(pts[1:])} Z")
    return " ".join(parts)


def _open_ring(ring: np.ndarray) -> np.ndarray:
    """The ring without its repeated closing vertex."""
    return ring[:-1] if len(ring) > 1 and np.array_equal(ring[0], ring[-1]) else ring


def arc_parts(piece: Piece, max_sweep: float = math.pi) -> list[tuple[tuple[float, float], float]]:
    """An arc split into equal parts of at most ``max_sweep``: ``(end point, sweep)`` each.

    The last part ends exactly at ``piece.end`` (a whole circle: at its start).
    """
    count = max(1, math.ceil(abs(piece.sweep) / max_sweep - 1e-9))
    (cx, cy), r = piece.centre, piece.radius
    start = math.atan2(piece.start[1] - cy, piece.start[0] - cx)
    step = piece.sweep / count
    parts = []
    for i in range(1, count):
        t = start + i * step
        parts.append(((cx + r * math.cos(t), cy + r * math.sin(t)), step))
    parts.append((piece.end, step))
    return parts


def svg_arc_path_data(rings: list[Outline]) -> str:
    """SVG path data for outlines: per ring ``M``, then ``L`` for lines and ``A`` for arcs, ``Z``.

    Arcs are written in parts of at most 180° (a whole circle as two), with the
    large-arc flag 0 and the sweep flag 1 for a positive sweep (clockwise on
    screen, SVG's positive-angle direction).  The straight piece that closes a
    ring is left to ``Z``.
    """

    def pt(p: tuple[float, float]) -> str:
        return f"{_num(p[0], SVG_DECIMALS)} {_num(p[1], SVG_DECIMALS)}"

    parts = []
    for ring in rings:
        words = [f"M {pt(ring.pieces[0].start)}"]
        last = len(ring.pieces) - 1
        for i, piece in enumerate(ring.pieces):
            if not piece.is_arc:
                if i != last:
                    words.append(f"L {pt(piece.end)}")
                continue
            r = _num(piece.radius, SVG_DECIMALS)
            for end, sweep in arc_parts(piece):
                words.append(f"A {r} {r} 0 0 {1 if sweep > 0 else 0} {pt(end)}")
        parts.append(" ".join(words) + " Z")
    return " ".join(parts)


def to_svg(node: Node) -> str:
    """An SVG document: the canvas as a 32 mm square, the shape as one even-odd path
    of lines and circular arcs, in a group that Inkscape shows as layer "TreeSketch"."""
    side = _num(CANVAS * MM_PER_UNIT)
    d = svg_arc_path_data(outlines(node))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        f'width="{side}mm" height="{side}mm" viewBox="0 0 {_num(CANVAS)} {_num(CANVAS)}">\n'
        f"  <title>{escape(to_text(node))}</title>\n"
        '  <g id="treesketch" inkscape:groupmode="layer" inkscape:label="TreeSketch">\n'
        f'    <path id="shape" fill="{SVG_FILL}" fill-rule="evenodd" stroke="none" '
        f"d={quoteattr(d)}/>\n"
        "  </g>\n"
        "</svg>\n"
    )


# --- OpenSCAD ---------------------------------------------------------------


def _scad_shape(node: Node, indent: str) -> list[str]:
    """OpenSCAD statements for a shape, y mirrored (y' = 32 − y)."""
    if node.kind == BINOP:
        operator, left, right = node.children
        word = "union" if operator.value == "+" else "difference"
        inner = indent + "  "
        body = _scad_shape(left, inner) + _scad_shape(right, inner)
        return [f"{indent}{word}() {{", *body, f"{indent}}}"]
    if node.kind == CIRCLE:
        r, x, y = values(node)
        place = f"translate([{2 * x}, {_num(CANVAS - 2 * y)}])"
        return [f"{indent}{place} circle(r={2 * r}, $fn={SCAD_FN});"]
    x, y, w, h, a = values(node)
    place = f"translate([{2 * x}, {_num(CANVAS - 2 * y)}])"
    # Mirroring y turns the canvas' clockwise-on-screen angle a into -a (counter-clockwise).
    turn = f" rotate({-a})" if a else ""
    return [f"{indent}{place}{turn} square([{2 * w}, {2 * h}], center=true);"]


def to_scad(node: Node) -> str:
    """An OpenSCAD 2D program that draws the same shape (units mm, y up).

    The program's own tree becomes nested ``union()``/``difference()`` blocks;
    the whole is intersected with the 32 mm canvas square, as the render is.
    """
    side = _num(CANVAS)
    lines = [
        f"// TreeSketch CSG2D program: {to_text(node)}",
        f"// Units: mm (1 canvas unit = 1 mm); canvas {side} x {side}, y mirrored to point up.",
        "intersection() {",
        f"  square([{side}, {side}]);",
        *_scad_shape(node, "  "),
        "}",
    ]
    return "\n".join(lines) + "\n"


# --- DXF --------------------------------------------------------------------


def _dxf_xy(p: tuple[float, float]) -> tuple[float, float]:
    """Canvas point to DXF millimetres, y mirrored to point up."""
    return (p[0] * MM_PER_UNIT, (CANVAS - p[1]) * MM_PER_UNIT)


def dxf_vertices(ring: Outline) -> list[tuple[float, float, float]]:
    """``(x, y, bulge)`` vertices of a closed LWPOLYLINE for ``ring`` (DXF mm, y up).

    The bulge of a vertex describes the segment to the next vertex: 0 for a
    line, tan(θ/4) for an arc of sweep θ counter-clockwise in the DXF frame
    (mirroring y turns the canvas' sweep θ into −θ).  Arcs are split into parts
    of at most 180°, so every |bulge| ≤ 1.
    """
    vertices = []
    for piece in ring.pieces:
        if not piece.is_arc:
            vertices.append((*_dxf_xy(piece.start), 0.0))
            continue
        at = piece.start
        for end, sweep in arc_parts(piece):
            vertices.append((*_dxf_xy(at), -math.tan(sweep / 4)))
            at = end
    return vertices


def to_dxf(node: Node) -> str:
    """An AutoCAD R2010 DXF, units mm, y up, every entity on layer :data:`LAYER`.

    A ring that is one whole circle is a ``CIRCLE``; every other ring is a closed
    ``LWPOLYLINE`` whose arcs are bulges.  The drawing limits and the initial
    view are the 32 mm canvas; the extents are the outlines' exact bounds.  The
    file carries ezdxf's creation time and GUIDs, so two exports differ in those.
    """
    import ezdxf  # lazy: only this export needs it
    from ezdxf import units, zoom

    doc = ezdxf.new("R2010", units=units.MM)
    doc.header["$MEASUREMENT"] = 1  # metric
    doc.layers.add(LAYER, color=7)
    msp = doc.modelspace()
    attribs = {"layer": LAYER}
    rings = outlines(node)
    for ring in rings:
        circle_of = ring.full_circle
        if circle_of is not None:
            cx, cy, r = circle_of
            msp.add_circle(_dxf_xy((cx, cy)), r * MM_PER_UNIT, dxfattribs=attribs)
        else:
            msp.add_lwpolyline(dxf_vertices(ring), format="xyb", close=True, dxfattribs=attribs)
    extent = bounds(rings)
    if extent is not None:
        x0, y0, x1, y1 = extent
        msp.dxf.extmin = (*_dxf_xy((x0, y1)), 0.0)
        msp.dxf.extmax = (*_dxf_xy((x1, y0)), 0.0)
    side = CANVAS * MM_PER_UNIT
    msp.dxf.limmin, msp.dxf.limmax = (0.0, 0.0), (side, side)
    zoom.window(msp, (0.0, 0.0), (side, side))
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue()


# --- PNG and dispatch ---------------------------------------------------------


def to_png(node: Node, size: int = DEFAULT_PNG_SIZE) -> bytes:
    """A ``size``×``size`` binary render as PNG (8-bit grey, 255 = inside)."""
    from inference.files.images import png_bytes
    from inference.render.raster import render

    return png_bytes(render(node, size))


EXPORT_FORMATS: dict[str, Callable[[Node, int], str | bytes]] = {
    ".csg": lambda node, size: to_csg(node),
    ".json": lambda node, size: to_json(node),
    ".svg": lambda node, size: to_svg(node),
    ".scad": lambda node, size: to_scad(node),
    ".dxf": lambda node, size: to_dxf(node),
    ".png": to_png,
}
"""Export functions by file suffix; each takes ``(node, size)`` (size only matters for PNG)."""

DRAWING_FORMATS: dict[str, Callable[[Node, int], str | bytes]] = {
    ".tsvg": lambda node, size: to_csg(node),
    ".json": lambda node, size: to_json(node),
    ".svg": lambda node, size: drawing_svg(node),
    ".png": drawing_png,
}
"""The same for a TinySVG drawing."""

ALL_SUFFIXES = tuple(dict.fromkeys((*EXPORT_FORMATS, *DRAWING_FORMATS)))
"""Every export suffix of any language."""


def formats_for(node: Node) -> dict[str, Callable[[Node, int], str | bytes]]:
    """The export functions that apply to ``node``'s language."""
    return DRAWING_FORMATS if node.grammar is TINYSVG else EXPORT_FORMATS


def export_content(node: Node, suffix: str, size: int = DEFAULT_PNG_SIZE) -> bytes:
    """The bytes of the export for ``suffix`` (".svg", ...); ``ValueError`` if unknown, or
    not for this program's language (OpenSCAD of a TinySVG drawing)."""
    formats = formats_for(node)
    maker = formats.get(suffix.lower())
    if maker is None:
        known = ", ".join(formats)
        if suffix.lower() in ALL_SUFFIXES:
            raise ValueError(
                f"a {node.grammar.name} program cannot be exported as '{suffix}' "
                f"(choose one of {known})"
            )
        raise ValueError(f"unknown export format '{suffix}' (choose one of {known})")
    content = maker(node, size)
    return content.encode("utf-8") if isinstance(content, str) else content


def export(node: Node, path: str | os.PathLike, size: int = DEFAULT_PNG_SIZE) -> None:
    """Write ``node`` to ``path`` in the format its suffix names, atomically.

    Raises:
        ValueError: unknown suffix (nothing is written).
        OSError: the file cannot be written (nothing is left behind).
    """
    atomic_write_bytes(path, export_content(node, Path(path).suffix, size))
