"""Regenerate the application icon: ``python resources/make_icon.py`` (from the repository root).

The icon is itself a CSG2D program (:data:`ICON_PROGRAM`), drawn with the
exact outlines of ``inference.render.geometry`` on a rounded tile; ``icon.svg`` is
the source and ``icon.png`` (256 px) its raster for platforms without SVG icons.
"""

from pathlib import Path

from PySide6.QtCore import QRectF
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from inference.files.exports import svg_path_data
from inference.lang.syntax import parse
from inference.render.geometry import outline_rings

HERE = Path(__file__).resolve().parent
ICON_PROGRAM = "(- (+ (Circle 5 6 7) (Quad 11 11 5 5 45)) (Circle 2 6 7))"
# the canvas is 32 units; the tile adds a margin of 2 units on each side
TEMPLATE = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 36 36" width="256" height="256">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#2d5fb8"/>
      <stop offset="1" stop-color="#1b3a78"/>
    </linearGradient>
  </defs>
  <rect x="-2" y="-2" width="36" height="36" rx="7" fill="url(#bg)"/>
  <path d="{path}" fill="#f4f6fb" fill-rule="evenodd" stroke="#ff9f1c" stroke-width="0.9"
        stroke-linejoin="round" transform="translate(2 2) scale(0.875)"/>
</svg>
"""


def main() -> None:
    """Write icon.svg and icon.png next to this script."""
    svg = TEMPLATE.format(path=svg_path_data(outline_rings(parse(ICON_PROGRAM))))
    (HERE / "icon.svg").write_text(svg)
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - needed by QPainter
    image = QImage(256, 256, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(svg.encode()).render(painter, QRectF(0, 0, 256, 256))
    painter.end()
    image.save(str(HERE / "icon.png"))


if __name__ == "__main__":
    main()
