"""TinySVG's syntax tree: names, constructors and parsing (issue 17).

TinySVG (:data:`~inference.lang.grammar.TINYSVG`) draws coloured rectangles and
ellipses, arranged side by side or one above the other, and moved:

=============== =========== ===============================================
kind            nonterminal tokens (children in token order)
=============== =========== ===============================================
``RECTANGLE``   ``DRAWING`` ``( Rectangle w h fill stroke sw )``
``ELLIPSE``     ``DRAWING`` ``( Ellipse w h fill stroke sw )``
``ARRANGE``     ``DRAWING`` ``( Arrange dir A B gap )``
``MOVE``        ``DRAWING`` ``( Move A x y negx negy )``
``DIGIT_LEAF``  ``DIGIT``   ``w h sw gap x y``: a value ``0..9``
``COLOUR_LEAF`` ``COLOUR``  ``fill stroke``: one of :data:`COLOURS`
``DIR_LEAF``    ``DIR``     ``dir``: ``"h"`` (side by side) or ``"v"``
``FLAG_LEAF``   ``FLAG``    ``negx negy``: ``False`` or ``True`` (``false``, ``true``)
=============== =========== ===============================================

The nodes are :class:`~inference.lang.tree.Node` objects like CSG2D's, with the
same positions (token ``k`` of :func:`~inference.lang.tree.token_strings` is the
node at position ``k``), :func:`~inference.lang.tree.walk`,
:func:`~inference.lang.tree.node_at` and :func:`~inference.lang.tree.replace_at`.
σ counts rectangles and ellipses.  What a drawing looks like is docs/TINYSVG.md's.
"""

from __future__ import annotations

from inference.lang.grammar import SVG_COLOURS, TINYSVG
from inference.lang.syntax import parse
from inference.lang.tree import Node, leaf, make

__all__ = [
    "ARRANGE", "COLOUR", "COLOURS", "COLOUR_LEAF", "DIGIT", "DIGIT_LEAF", "DIGIT_VALUES", "DIR",
    "DIRS", "DIR_LEAF", "DRAWING", "ELLIPSE", "FLAG", "FLAG_LEAF", "MOVE", "RECTANGLE",
    "TINYSVG", "arrange", "colour", "digit", "direction", "ellipse", "flag", "move",
    "parse_tinysvg", "rectangle",
]  # fmt: skip

# Nonterminals.
DRAWING = "drawing"
DIGIT = "digit"
COLOUR = "colour"
DIR = "dir"
FLAG = "flag"

# Kinds.
RECTANGLE = "Rectangle"
ELLIPSE = "Ellipse"
ARRANGE = "Arrange"
MOVE = "Move"
DIGIT_LEAF = "Digit"
COLOUR_LEAF = "Colour"
DIR_LEAF = "Dir"
FLAG_LEAF = "Flag"

DIGIT_VALUES: tuple[int, ...] = TINYSVG.domain(DIGIT).values
COLOURS: tuple[str, ...] = SVG_COLOURS
DIRS: tuple[str, ...] = TINYSVG.domain(DIR).values


def digit(v: int) -> Node:
    """A number leaf, 0..9."""
    return leaf(DIGIT, v)


def colour(c: str) -> Node:
    """A colour leaf, one of :data:`COLOURS` (``"none"``: no paint)."""
    return leaf(COLOUR, c)


def direction(d: str) -> Node:
    """A direction leaf: ``"h"`` (side by side) or ``"v"`` (one above the other)."""
    return leaf(DIR, d)


def flag(b: bool) -> Node:
    """A flag leaf, ``True`` or ``False`` (printed ``true``/``false``)."""
    return leaf(FLAG, b)


def rectangle(w: int, h: int, fill: str, stroke: str = "none", sw: int = 0) -> Node:
    """``(Rectangle w h fill stroke sw)``."""
    return make(RECTANGLE, digit(w), digit(h), colour(fill), colour(stroke), digit(sw))


def ellipse(w: int, h: int, fill: str, stroke: str = "none", sw: int = 0) -> Node:
    """``(Ellipse w h fill stroke sw)``."""
    return make(ELLIPSE, digit(w), digit(h), colour(fill), colour(stroke), digit(sw))


def arrange(d: str, first: Node, second: Node, gap: int = 0) -> Node:
    """``(Arrange d first second gap)``: ``d`` is ``"h"`` or ``"v"``."""
    return make(ARRANGE, direction(d), first, second, digit(gap))


def move(child: Node, x: int, y: int, negx: bool = False, negy: bool = False) -> Node:
    """``(Move child x y negx negy)``: ``child`` shifted by (±x, ±y) units."""
    return make(MOVE, child, digit(x), digit(y), flag(negx), flag(negy))


def parse_tinysvg(text: str) -> Node:
    """Parse a TinySVG program (canonical syntax); see :func:`inference.lang.syntax.parse`.

    Raises:
        ParseError: with line, column and what was expected.
    """
    return parse(text, grammar=TINYSVG)
