"""What a search tries to match: a filled mask or a sketch, at 128×128."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from inference.lang.grammar import CSG2D, Grammar
from inference.lang.tree import Node
from inference.render.raster import rasterizer
from inference.targets.drawn_score import TolerantScore, tolerance_pixels
from inference.targets.edge_fit import EdgeMatch
from inference.targets.outline_fit import INK_LEVEL, SOLVE_FIT, MaskBits, OutlineFit
from inference.targets.score import (
    SCORE_SIZE,
    SOLVE_THRESHOLD,
    ExactScore,
    PackedScorer,
    goal_scores_packed,
)
from inference.targets.shape_match import Mismatch, ShapeMatch, StrokeMatch
from inference.targets.sketch_rings import MATCH_LIMIT, RingFit
from inference.targets.target_images import sketch_region

DRAWN_WEIGHT = 0.25
"""Weight of the drawing as drawn next to :attr:`Target.precise_mask` in
:meth:`Target.precise_scores_packed`."""
EDGE_TOLERANCE = 0.5
"""A drawn target with at least this edge tolerance (canvas units) also compares edges
(:mod:`inference.targets.edge_fit`): a hand drawing.  Below it (shapes drawn with the snapping
tools) the tolerant score alone holds edges to the tolerance."""
FINE_TOLERANCES: tuple[float, ...] = tuple(k / 4 for k in range(1, 9))
"""Tolerances (canvas units) of a sketch's fine outline fit (:meth:`Target.precise_scores_packed`):
every pixel from 1 to 8 at 128×128, so that the fit keeps rising as an outline closes in on
the strokes, where the solve fit (1 and 2 units) is already 1."""
VIEW_OFFSET = 0.5
"""How far (canvas units) :meth:`Target.model_views` erodes and dilates a drawn target:
half the sketch pad's default pen width."""


@dataclass(eq=False)
class Target:
    """What a search tries to match, at 128×128.

    A filled target is ``Target(mask)`` (1 = inside; scored with the goal score,
    solved above 0.98).  ``Target(mask, tolerance=t)`` is a hand-drawn filled
    target, scored with the tolerant score of :mod:`inference.targets.drawn_score`
    (edges within ``t`` canvas units are forgiven), also solved above 0.98.
    A sketch target is :meth:`from_sketch` (scored with the outline fit of
    :mod:`inference.targets.outline_fit`, solved above its ``SOLVE_FIT``); its ``mask`` is
    then the region the strokes enclose.

    A drawn target (and any target made with ``check_shape=True``) also compares
    parts and holes (:mod:`inference.targets.shape_match`): every feature one grid step
    across that the program misses, adds, joins or splits caps the score at the
    solve threshold, so a wrong shape is never solved, however few pixels it
    gets wrong.  A hand drawing (tolerance at least :data:`EDGE_TOLERANCE`)
    compares edges too (:mod:`inference.targets.edge_fit`): an outline of the program
    that stays off the drawing's once the drawing's offset, size and turn are
    allowed for caps the score the same way (a disc where a careful drawing
    has a pointed roof).  A sketch compares its lines with the program's
    edges the same way, and then how likely a hand drew the sketch from the program
    (:mod:`inference.targets.sketch_rings`: each ring of the outline moved onto the
    strokes); a cost over its ``MATCH_LIMIT`` caps the score too.  An exact target
    (tolerance 0) keeps the paper's goal score unless asked.

    Attributes:
        mask: the filled mask, ``bool`` (128, 128).
        sketch: the sketch ink, float (128, 128) in [0, 1], or ``None``.
        packed: ``mask`` bit-packed (see :mod:`inference.render.raster`).
        tolerance: edge tolerance of a filled target, canvas units (0 = exact).
        check_shape: compare parts and holes; ``None`` means "for a drawn target".
    """

    grammar: ClassVar[Grammar] = CSG2D
    """The language of the programs that match it."""
    mask: np.ndarray
    sketch: np.ndarray | None = None
    tolerance: float = 0.0
    check_shape: bool | None = None
    packed: int = field(init=False)
    size: int = field(init=False, default=SCORE_SIZE)

    def __post_init__(self):
        self.mask = np.asarray(self.mask) >= 0.5
        if self.mask.shape != (SCORE_SIZE, SCORE_SIZE):
            raise ValueError(f"target must be {SCORE_SIZE}×{SCORE_SIZE}, got {self.mask.shape}")
        self.packed = rasterizer(SCORE_SIZE).pack(self.mask)
        self._fit: PackedScorer = ExactScore(self.packed, SCORE_SIZE)
        self._view: np.ndarray | None = None
        self._precise: np.ndarray | None = None
        self._eroded_packed: int | None = None
        self._fine: OutlineFit | None = None
        self._rings: RingFit | None = None
        if self.sketch is not None:
            self.sketch = np.asarray(self.sketch, dtype=np.float32)
            if self.sketch.shape != self.mask.shape:
                raise ValueError(f"sketch must be {SCORE_SIZE}×{SCORE_SIZE}")
            self._fit = OutlineFit(self.sketch)
        elif self.tolerance:
            radius = tolerance_pixels(self.tolerance, SCORE_SIZE)
            if radius:
                self._fit = TolerantScore(self.packed, SCORE_SIZE, radius)
        if self.check_shape is None:
            self.check_shape = bool(self.tolerance) or self.sketch is not None
        self._shape: ShapeMatch | StrokeMatch | None = None
        if self.check_shape and self.sketch is not None:
            self._shape = StrokeMatch(
                rasterizer(SCORE_SIZE).pack(self.sketch >= INK_LEVEL), SCORE_SIZE
            )
        elif self.check_shape:
            self._shape = ShapeMatch(self.packed, SCORE_SIZE, tolerance=self.tolerance)
        self._edges: EdgeMatch | None = None
        if self.check_shape and self.sketch is None and self.tolerance >= EDGE_TOLERANCE:
            self._edges = EdgeMatch(self.mask, self.tolerance)

    @classmethod
    def from_sketch(cls, ink: np.ndarray) -> Target:
        """A sketch target from ink coverage (float (128, 128), 1 = ink); its ``mask`` is the
        region the strokes enclose (:func:`inference.targets.target_images.sketch_region`)."""
        ink = np.asarray(ink, dtype=np.float32)
        return cls(sketch_region(ink), ink)

    @property
    def is_sketch(self) -> bool:
        """True for a sketch (outline) target."""
        return self.sketch is not None

    @property
    def threshold(self) -> float:
        """A score strictly above this solves the target."""
        return SOLVE_FIT if self.is_sketch else SOLVE_THRESHOLD

    @property
    def model_image(self) -> np.ndarray:
        """The image a policy model sees: the sketch ink, or the filled mask (or a view's)."""
        if self._view is not None:
            return self._view
        return self.sketch if self.sketch is not None else self.mask

    def model_views(self) -> list[Target]:
        """This target, plus, for a hand-drawn filled one, views for the policy model.

        A drawn outline that was filled is too big by half the pen's width (a
        hole too small), and the policy, trained on exact renders, is thrown
        off by edges half a unit away from where programs put them.  So a
        target with a tolerance also comes as its mask eroded and dilated by
        :data:`VIEW_OFFSET` units.  The views score exactly as this target
        does; only :attr:`model_image` differs (see
        :func:`inference.search.beam.view_search`).
        """
        if self.is_sketch or not self.tolerance:
            return [self]
        radius = tolerance_pixels(VIEW_OFFSET, SCORE_SIZE)
        r = rasterizer(SCORE_SIZE)
        bits = MaskBits(SCORE_SIZE)
        grown = bits.dilations(self.packed, [radius])[0]
        shrunk = self._eroded()
        views = [self]
        for packed in (shrunk, grown):
            view = copy.copy(self)
            view._view = r.unpack(packed)
            views.append(view)
        return views

    @property
    def precise_mask(self) -> np.ndarray:
        """The mask to fit edges to: a drawn target's mask eroded by :data:`VIEW_OFFSET`
        (an outline drawn with a pen and filled is half the pen too big), else the mask."""
        if self.is_sketch or not self.tolerance:
            return self.mask
        if self._precise is None:
            self._precise = rasterizer(SCORE_SIZE).unpack(self._eroded())
        return self._precise

    def _eroded(self) -> int:
        """The packed mask eroded by :data:`VIEW_OFFSET` (computed once)."""
        if self._eroded_packed is None:
            r, radius = rasterizer(SCORE_SIZE), tolerance_pixels(VIEW_OFFSET, SCORE_SIZE)
            grown = MaskBits(SCORE_SIZE).dilations(r.full & ~self.packed, [radius])[0]
            self._eroded_packed = r.full & ~grown
        return self._eroded_packed

    def precise_scores_packed(self, masks: Sequence[int]) -> np.ndarray:
        """How closely packed program masks follow the target's edges, for choosing among
        programs that all fit within the tolerance.

        A drawn target: the exact goal score against :attr:`precise_mask`, with a fifth of
        the weight on the mask as drawn (so edges drawn without a pen, e.g. with the shape
        tools, are not pulled half a unit in).  A sketch: the outline fit at every tolerance
        from a quarter unit to two (:data:`FINE_TOLERANCES`), which still tells apart
        outlines that all lie within the solve fit's unit of the strokes.  An exact
        target: the goal score.
        """
        if self.is_sketch:
            if self._fine is None:
                self._fine = OutlineFit(self.sketch, FINE_TOLERANCES)
            return self._fine.scores_packed(masks)
        npix = SCORE_SIZE * SCORE_SIZE
        drawn = goal_scores_packed(masks, self.packed, npix)
        if not self.tolerance:
            return drawn
        precise = goal_scores_packed(masks, self._eroded(), npix)
        return (precise + DRAWN_WEIGHT * drawn) / (1 + DRAWN_WEIGHT)

    def ring_costs_packed(self, masks: Sequence[int]) -> np.ndarray:
        """How unlikely a sketch is of each packed program mask, each ring of its outline
        moved onto the strokes as a hand moves it (:mod:`inference.targets.sketch_rings`;
        lower is more likely).  A program above
        :data:`~inference.targets.sketch_rings.MATCH_LIMIT` does not match the sketch.

        Raises:
            ValueError: this is not a sketch target.
        """
        if not self.is_sketch:
            raise ValueError("ring costs are for sketch targets")
        return self._ring_fit().costs_packed(masks)

    def solves(self, score: float) -> bool:
        """True when ``score`` solves this target."""
        return score > self.threshold

    def is_capped(self, score: float) -> bool:
        """True when ``score`` is a cap: the program fits within the tolerance but has the
        wrong shape (see :meth:`scores_packed`), so it may be a value or two from right."""
        return (self._shape is not None or self._edges is not None) and score == self.threshold

    def scores_packed(self, masks: Sequence[int]) -> np.ndarray:
        """Scores of packed 128×128 program masks, ``float64`` (N,)."""
        scores = self._fit.scores_packed(masks)
        if self._shape is not None:
            # a cap, not a penalty: below the threshold the pixel score ranks programs as
            # before, so a plate still missing its hole stays a good step on the way
            for i in np.flatnonzero(scores > self.threshold):
                if self._mismatches(masks[i]):
                    scores[i] = self.threshold
        return scores

    def _mismatches(self, mask: int) -> list[Mismatch]:
        """Parts, holes and material first; edges, or a sketch's rings (the costlier
        checks), only when those agree."""
        found = self._shape.mismatches(mask) if self._shape is not None else []
        if not found and self._edges is not None:
            found = self._edges.mismatches(mask)
        if not found and self._shape is not None and self.is_sketch:
            cost, where = self._ring_fit().judge(mask)
            if cost > MATCH_LIMIT:
                found = [Mismatch("off", "outline", where, distance=cost)]
        return found

    def _ring_fit(self) -> RingFit:
        """The sketch's :class:`~inference.targets.sketch_rings.RingFit` (made on first use)."""
        if self._rings is None:
            self._rings = RingFit(self.sketch)
        return self._rings

    def shape_mismatches(self, program: Node) -> list[Mismatch]:
        """How ``program``'s parts and holes differ from the target's (empty when they agree
        or when this target does not compare shapes)."""
        return self._mismatches(rasterizer(SCORE_SIZE).packed(program))

    def score(self, program: Node) -> float:
        """Score of ``program`` against this target (one renderer call)."""
        return float(self.scores_packed([rasterizer(SCORE_SIZE).packed(program)])[0])

    def score_many(self, programs: Sequence[Node]) -> np.ndarray:
        """Scores of several programs (one renderer call each)."""
        r = rasterizer(SCORE_SIZE)
        return self.scores_packed([r.packed(p) for p in programs])
