"""A TinySVG drawing's SVG export, drawn by Qt's own SVG renderer, matches the renderer's
image (issue 17): a second reader of the ``<rect>``/``<ellipse>`` elements, colours and
stroke widths, so that the export says what the renderer draws."""

import numpy as np
import pytest
from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from inference.files.exports import export_content
from inference.lang.grammar import TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.syntax import to_text
from inference.lang.tinysvg import parse_tinysvg
from inference.render.svg_scene import CANVAS, render

PROGRAMS = [
    parse_tinysvg("(Rectangle 5 3 red none 0)"),
    parse_tinysvg("(Ellipse 6 4 blue black 4)"),
    parse_tinysvg(
        "(Arrange h (Rectangle 3 4 red black 2) (Move (Ellipse 2 2 blue none 0) 0 1 false true) 1)"
    ),
    parse_tinysvg("(Arrange v (Rectangle 9 2 green purple 3) (Ellipse 4 3 yellow orange 6) 2)"),
]  # fmt: skip
_rng = np.random.default_rng(20261202)
PROGRAMS += [random_tree(TINYSVG, _rng, int(_rng.integers(1, 6))) for _ in range(10)]


def _qt_render(svg: str) -> np.ndarray:
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    assert renderer.isValid()
    image = QImage(CANVAS, CANVAS, QImage.Format.Format_RGB888)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    renderer.render(painter, QRectF(0, 0, CANVAS, CANVAS))
    painter.end()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(CANVAS, image.bytesPerLine())
    return rows[:, : 3 * CANVAS].reshape(CANVAS, CANVAS, 3).copy()  # before the image goes


@pytest.mark.parametrize("node", PROGRAMS, ids=to_text)
def test_qt_draws_the_svg_as_the_renderer_does(node):
    ours = render(node, CANVAS).astype(int)
    theirs = _qt_render(export_content(node, ".svg").decode()).astype(int)
    differ = np.abs(ours - theirs).max(axis=-1) > 64
    # anti-aliased edges may differ by a pixel: compare away from every colour change
    edge = np.zeros(differ.shape, bool)
    change = np.abs(np.diff(ours, axis=0)).max(axis=-1) > 0
    edge[:-1] |= change
    edge[1:] |= change
    change = np.abs(np.diff(ours, axis=1)).max(axis=-1) > 0
    edge[:, :-1] |= change
    edge[:, 1:] |= change
    grown = edge.copy()
    grown[1:] |= edge[:-1]
    grown[:-1] |= edge[1:]
    grown[:, 1:] |= edge[:, :-1]
    grown[:, :-1] |= edge[:, 1:]
    assert not (differ & ~grown).any(), f"{int((differ & ~grown).sum())} pixels differ"
