"""What a search tries to match in TinySVG: a colour image (docs/TINYSVG.md).

A :class:`DrawingTarget` holds the target as the renderer draws at 224×224, and scores
programs with TinySVG's goal score (:mod:`inference.targets.svg_score`), as a fraction of
the score of identical images: ``score = log_density / L0``, at most 1, and the goal is
reached (the target *solved*) when it is above :data:`~inference.targets.svg_score.GOAL_FRACTION`
(0.99), the original's bar.  The colour IoU is reported beside it, so that numbers can be
read.  A picture drawn by hand can be given an edge tolerance: the tolerant goal score of
:mod:`inference.targets.svg_tolerance` then forgives near-edge differences.  Every program
scored is one renderer call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference.lang.grammar import TINYSVG
from inference.lang.tree import Node
from inference.render.svg_scene import CANVAS, render
from inference.targets.svg_score import (
    GOAL_FRACTION,
    IDENTICAL_LOG_DENSITY,
    colour_iou,
    goal_log_density_many,
    score_of_total,
)
from inference.targets.svg_tolerance import TolerantDifferences, tolerance_pixels


class DrawingTarget:
    """A TinySVG target image, scored at the canvas size.

    Args:
        image: RGB ``uint8`` (224, 224, 3), or float in [0, 1].
        tolerance: for a picture drawn by hand (pen, fill): forgive disagreements within
            this many units (6 px) of an edge (:mod:`inference.targets.svg_tolerance`);
            0, the default, is the exact goal score.

    Attributes:
        image: the target as ``uint8`` (224, 224, 3); with a tolerance, read as palette
            colours (a pen's blended edge pixels become the colour they are nearest to).
        tolerance: the edge tolerance in units (0: exact).
        forgiving: the :class:`~inference.targets.svg_tolerance.TolerantDifferences` that
            score with a tolerance, or ``None``.
        grammar: the language, :data:`~inference.lang.grammar.TINYSVG`.
    """

    grammar = TINYSVG
    is_sketch = False
    threshold = GOAL_FRACTION
    """A score strictly above this solves the target."""

    def __init__(self, image: np.ndarray, tolerance: float = 0.0):
        image = np.asarray(image)
        if image.shape != (CANVAS, CANVAS, 3):
            raise ValueError(f"a drawing target is {CANVAS}×{CANVAS} RGB, got {image.shape}")
        if np.issubdtype(image.dtype, np.floating):
            image = np.rint(np.clip(image, 0.0, 1.0) * 255)
        elif not np.issubdtype(image.dtype, np.integer) or image.min() < 0 or image.max() > 255:
            raise ValueError("a drawing target is uint8 0..255 or float in [0, 1]")
        self.image = image.astype(np.uint8)
        self.tolerance = float(tolerance)
        self.forgiving = None
        if tolerance:
            self.forgiving = TolerantDifferences(self.image, tolerance_pixels(tolerance))
            self.image = self.forgiving.target

    @classmethod
    def of(cls, program: Node) -> DrawingTarget:
        """The target a program draws (for benchmarks and tests)."""
        return cls(render(program, CANVAS))

    def solves(self, score: float) -> bool:
        """True when ``score`` solves this target."""
        return score > self.threshold

    def is_capped(self, score: float) -> bool:
        """Never: a TinySVG score is not capped for a wrong shape."""
        return False

    def scores_of_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Scores of rendered (224, 224, 3) images, ``float64`` (N,)."""
        if not len(images):
            return np.zeros(0)
        if self.forgiving is not None:
            values = self.image.size
            return np.array([score_of_total(self.forgiving.d2(im).sum(), values) for im in images])
        return goal_log_density_many(images, self.image) / IDENTICAL_LOG_DENSITY

    def score_many(self, programs: Sequence[Node]) -> np.ndarray:
        """Scores of several programs (one renderer call each)."""
        return self.scores_of_images([render(p, CANVAS) for p in programs])

    def score(self, program: Node) -> float:
        """Score of ``program`` (one renderer call): at most 1, solved above 0.99."""
        return float(self.score_many([program])[0])

    def colour_iou(self, program: Node) -> float:
        """The colour-aware IoU of ``program``'s render with the target (for reading)."""
        return colour_iou(render(program, CANVAS), self.image)

    def model_views(self) -> list[DrawingTarget]:
        """Just this target: a TinySVG target is exact, with no views of a drawn edge
        (``Target.model_views``)."""
        return [self]

    @property
    def model_image(self) -> np.ndarray:
        """The image a policy model sees: the target itself, RGB ``uint8``; the model's
        ``target_input`` brings it to its own size."""
        return self.image
