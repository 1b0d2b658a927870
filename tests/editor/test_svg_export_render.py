"""The SVG export drawn by Qt's own SVG renderer matches the exact render (issue 14).

A second reader besides the path parser of tests/inference/files/test_export_readback.py:
QtSvg draws the exported file (arcs, even-odd fill, the layer group) at 256×256, and
its pixels must match :func:`inference.render.raster.render` except along the outline.
"""

import numpy as np
import pytest
from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from inference.files import exports
from inference.lang.syntax import parse, to_text
from inference.noise.random_programs import random_shape
from inference.render.raster import render

SIZE = 256
PROGRAMS = [
    parse("(Circle 3 8 8)"),
    parse("(- (Quad 8 8 6 6 0) (Circle 2 8 8))"),
    parse("(- (Quad 8 8 6 6 0) (Circle 3 13 8))"),
    parse("(+ (Circle 4 6 8) (Circle 4 10 8))"),
    parse("(Quad 8 8 4 2 45)"),
    parse("(+ (- (Circle 7 8 8) (Circle 3 8 8)) (- (Quad 4 12 2 3 135) (Circle 1 4 12)))"),
]
_rng = np.random.default_rng(20261203)
PROGRAMS += [random_shape(_rng, int(_rng.integers(2, 9))) for _ in range(12)]


def _qt_render(svg: str) -> np.ndarray:
    """Inside (True) where QtSvg paints the shape darker than mid-grey."""
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    assert renderer.isValid()
    image = QImage(SIZE, SIZE, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    renderer.render(painter, QRectF(0, 0, SIZE, SIZE))
    painter.end()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(SIZE, image.bytesPerLine())
    return pixels[:, :SIZE] < 128


def _outline_band(mask: np.ndarray) -> np.ndarray:
    """Pixels within one pixel of a change between inside and outside."""
    band = np.zeros_like(mask)
    for axis in (0, 1):
        edge = np.diff(mask, axis=axis)
        if axis == 0:
            band[:-1] |= edge
            band[1:] |= edge
        else:
            band[:, :-1] |= edge
            band[:, 1:] |= edge
    return band


@pytest.mark.parametrize("node", PROGRAMS, ids=to_text)
def test_qt_draws_the_exported_svg_as_the_render(qapp, node):
    drawn = _qt_render(exports.to_svg(node))
    exact = render(node, SIZE)
    wrong = (drawn != exact) & ~_outline_band(exact)
    assert wrong.sum() == 0, (to_text(node), int(wrong.sum()), int((drawn != exact).sum()))
