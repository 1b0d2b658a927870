"""TinySVG's target filter: a drawing that is clearly there, with every primitive visible.

A random TinySVG program becomes a training or benchmark target only when its
image (any size; 64×64 in training) passes both checks, in this order:

1. **Ink** (:func:`is_clear_drawing`): the fraction of *ink* pixels, those with
   some channel below 128 (every colour but white has a 0 channel, so that is
   paint of at least about half coverage), is between 2 % and 90 %.  Nearly
   blank drawings and drawings nearly all painted are rejected.  White paint
   is not ink: it cannot be told from the canvas.
2. **Every primitive visible** (:func:`hidden_primitive`): for each rectangle
   and ellipse, the drawing with that primitive's paint taken away (fill and
   stroke set to ``none``, so the layout stays as it was) must *not* reach
   TinySVG's goal against the full drawing: its mean squared difference (values
   in [0, 1], over pixels and channels) must be at least :data:`GOAL_MSD`, the
   bar of the goal score (docs/TINYSVG.md, "Goal score").  So a primitive that
   is empty (w or h 0), paints nothing (no fill and no stroke), is off the
   canvas, is covered by later paint, or is too faint to matter for the goal is
   invisible, and its drawing is rejected.  Primitives that paint nothing by
   their values alone are caught without rendering.

With every primitive visible, a drawing of n ≥ 2 primitives always shows at
least two parts: no target is one blob.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from inference.lang.tree import Node, leaf, make, replace_at, walk

MIN_INK = 0.01
"""Drawings with a smaller ink fraction are rejected as nearly blank."""
MAX_INK = 0.90
"""Drawings with a larger ink fraction are rejected as nearly all one paint."""
INK_LEVEL = 128
"""A pixel is ink when one of its channels is below this."""
GOAL_MSD = 2 * 0.1**2 * 0.01 * -math.log(0.1 * math.sqrt(2 * math.pi))
"""Mean squared difference under which two TinySVG images reach the goal (≈ 2.767e-4):
``inference.targets.svg_score``'s bar, 2σ²·(1 − 0.99)·L0 with σ = 0.1."""

_PRIMITIVES = ("Rectangle", "Ellipse")


def ink_fraction(image: np.ndarray) -> float:
    """The fraction of pixels of an (S, S, 3) ``uint8`` image with a channel below 128."""
    image = np.asarray(image)
    inked = np.count_nonzero(image.min(axis=2) < INK_LEVEL)
    return float(inked) / (image.shape[0] * image.shape[1])


def is_clear_drawing(image: np.ndarray) -> bool:
    """True when the ink fraction of ``image`` is within 2 %..90 % (check 1 of the module doc)."""
    return MIN_INK <= ink_fraction(image) <= MAX_INK


def hidden_primitive(
    program: Node, image: np.ndarray, render: Callable[[Node], np.ndarray]
) -> int | None:
    """The position of the first invisible primitive of ``program``, or ``None`` (check 2).

    ``image`` is ``render(program)``; ``render`` draws a program at that size.
    """
    found = [(pos, node) for pos, node in walk(program) if node.kind in _PRIMITIVES]
    for pos, node in found:  # the ones that paint nothing, without rendering
        if not paints(node):
            return pos
    full = np.asarray(image, dtype=np.float32)
    for pos, node in found:
        w, h, _, _, sw = node.children
        none = _none_colour(node)
        bare = replace_at(program, pos, make(node.kind, w, h, none, none, sw))
        diff = (np.asarray(render(bare), dtype=np.float32) - full) / 255.0
        if float(np.mean(diff * diff)) < GOAL_MSD:
            return pos
    return None


def accept_drawing(program: Node, image: np.ndarray, render: Callable[[Node], np.ndarray]) -> bool:
    """True when a TinySVG target passes both checks of the module doc."""
    return is_clear_drawing(image) and hidden_primitive(program, image, render) is None


def all_paint(program: Node) -> bool:
    """True when every primitive of ``program`` paints something by its values: w and h
    not 0, and a fill or a stroke (a colour and ``sw`` > 0).  A cheap first test,
    without rendering: a drawing that fails it fails :func:`hidden_primitive`."""
    return all(paints(node) for _, node in walk(program) if node.kind in _PRIMITIVES)


def paints(node: Node) -> bool:
    """True when the rectangle or ellipse ``node`` paints something by its values."""
    w, h, fill, stroke, sw = (c.value for c in node.children)
    if w == 0 or h == 0:
        return False
    return fill != "none" or (stroke != "none" and sw > 0)


def _none_colour(node: Node) -> Node:
    return leaf(node.children[2].nonterminal, "none")
