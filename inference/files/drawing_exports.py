"""Exports of a TinySVG drawing (docs/TINYSVG.md): SVG of real shapes, and a colour PNG.

``.svg`` is a 224×224 document (one user unit a canvas pixel) with a white
background and, in painting order, one ``<rect>`` or ``<ellipse>`` per painted
primitive of :func:`inference.render.svg_scene.layout`, with the palette's colours
as ``#rrggbb``, ``fill="none"`` or ``stroke="none"`` for the colour ``none``, and
``stroke-width`` sw/2: SVG centres a stroke on the edge and paints it over the
fill, as the renderer does.  A primitive of zero width or height paints nothing
and is left out.  ``.png`` is the renderer's RGB image at a chosen size.  The
program text (``.tsvg``) and JSON (``.json``) exports are the same as CSG2D's
(:mod:`inference.files.exports`).
"""

from __future__ import annotations

from inference.lang.tree import Node
from inference.render.svg_scene import CANVAS, COLOURS, Placed, layout, render

SVG_DECIMALS = 4
"""Decimals of SVG coordinates (canvas pixels)."""


def _num(v: float) -> str:
    text = f"{v:.{SVG_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _paint(name: str) -> str:
    rgb = COLOURS[name]
    return "none" if rgb is None else "#{:02x}{:02x}{:02x}".format(*rgb)


def _element(p: Placed) -> str | None:
    """One primitive as an SVG element, or ``None`` when it paints nothing."""
    w, h = p.x1 - p.x0, p.y1 - p.y0
    if w <= 0 or h <= 0:
        return None
    stroke = _paint(p.stroke) if p.stroke_px > 0 else "none"
    paint = f'fill="{_paint(p.fill)}" stroke="{stroke}"'
    if stroke != "none":
        paint += f' stroke-width="{_num(p.stroke_px)}"'
    if p.kind == "rect":
        box = f'x="{_num(p.x0)}" y="{_num(p.y0)}" width="{_num(w)}" height="{_num(h)}"'
        return f"  <rect {box} {paint}/>"
    cx, cy = (p.x0 + p.x1) / 2, (p.y0 + p.y1) / 2
    box = f'cx="{_num(cx)}" cy="{_num(cy)}" rx="{_num(w / 2)}" ry="{_num(h / 2)}"'
    return f"  <ellipse {box} {paint}/>"


def drawing_svg(node: Node) -> str:
    """The drawing as an SVG document of ``<rect>`` and ``<ellipse>`` elements."""
    side = _num(CANVAS)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
        f'viewBox="0 0 {side} {side}">',
        f'  <rect x="0" y="0" width="{side}" height="{side}" fill="#ffffff"/>',
    ]
    lines += [e for e in map(_element, layout(node)) if e is not None]
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def drawing_png(node: Node, size: int) -> bytes:
    """The drawing rendered at ``size``×``size`` as an 8-bit RGB PNG."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(render(node, size), "RGB").save(buf, format="PNG")
    return buf.getvalue()
