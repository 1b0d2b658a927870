"""A program's SHAPE nodes with their masks: what each node decides in the picture.

For every SHAPE node (primitive or binop), in pre-order: its subtree mask S, and the
program's output G1 when the subtree is forced full and G0 when it is forced empty (one
bottom-up and one top-down pass over packed masks, :mod:`inference.render.raster`).  Any
variant of a node with mask m renders as ``(m & G1) | (~m & G0)``, so one render of the
variant's own subtree scores it.  :func:`inference.search.refine.refine` climbs values with
it, and the model's token features (:mod:`inference.model.token_features`) are computed from
it, with each node's bounding box grown by :data:`RING_UNITS`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from inference.lang.tree import BINOP, CIRCLE, Node
from inference.render.raster import Rasterizer, rasterizer

RING_UNITS = 2.0
"""How far a node's near-box reaches past its bounding box, canvas units (one value step):
the token features' ``want`` ring."""
_SQRT_HALF = math.sqrt(0.5)


@dataclass(frozen=True, slots=True)
class ShapeContext:
    """One SHAPE node of a program and its masks (packed, see :mod:`inference.render.raster`).

    Attributes:
        pos: the node's position (first token).
        node: the node.
        sign: +1 if it adds ink to the output, −1 if it removes ink.
        subtree: S, the subtree's own mask.
        full: G1, the program's output with this subtree forced full.
        empty: G0, the program's output with this subtree forced empty.
    """

    pos: int
    node: Node
    sign: int
    subtree: int
    full: int
    empty: int


def shape_contexts(program: Node, size: int) -> list[ShapeContext]:
    """Every SHAPE node in pre-order with S, G1 and G0; any variant of a node with mask m
    renders as ``(m & G1) | (~m & G0)``."""
    walk = ShapeWalk(program, rasterizer(size))
    g1, g0 = walk.forced()
    return [
        ShapeContext(*fields)
        for fields in zip(walk.pos, walk.nodes, walk.sign, walk.masks, g1, g0, strict=True)
    ]


class ShapeWalk:
    """One pass over a program: pre-order lists of its SHAPE nodes with their subtree masks
    (bottom-up), near-boxes (:func:`_near_box`), signs and children, and where each binop's
    ``)`` is; :meth:`forced` gives G1 and G0 (the module doc)."""

    def __init__(self, program: Node, raster: Rasterizer):
        self.raster, self.size = raster, raster.size
        self.nodes: list[Node] = []
        self.pos: list[int] = []
        self.sign: list[int] = []
        self.masks: list[int] = []
        self.boxes: list[tuple[int, int, int, int] | None] = []
        self.kids: list[tuple[int, int, bool] | None] = []
        self.closing: list[tuple[int, int]] = []  # (token of a binop's ')', node index)
        self._visit(program, 0, 1)

    def _visit(self, node: Node, pos: int, sign: int) -> int:
        i = len(self.nodes)
        self.nodes.append(node)
        self.pos.append(pos)
        self.sign.append(sign)
        if node.kind != BINOP:
            self.kids.append(None)
            self.boxes.append(_near_box(node, self.size))
            mask = self.raster.packed(node)
            self.masks.append(mask)
            return mask
        operator, left, right = node.children
        plus = operator.value == "+"
        self.kids.append(None)
        self.boxes.append(None)
        self.masks.append(0)
        a = self._visit(left, pos + 2, sign)
        j = len(self.nodes)
        b = self._visit(right, pos + 2 + left.size, sign if plus else -sign)
        self.closing.append((pos + node.size - 1, i))
        self.kids[i] = (i + 1, j, plus)
        self.boxes[i] = _box_union(self.boxes[i + 1], self.boxes[j]) if plus else self.boxes[i + 1]
        self.masks[i] = mask = a | b if plus else a ^ (a & b)
        return mask

    def forced(self) -> tuple[list[int], list[int]]:
        """G1 and G0 of every node (top-down); ``sel(m, x, y) = y ^ ((x ^ y) & m)``."""
        n, masks = len(self.nodes), self.masks
        g1, g0 = [0] * n, [0] * n
        g1[0] = self.raster.full
        for i, kids in enumerate(self.kids):
            if kids is None:
                continue
            a, b, plus = kids
            hi, lo = g1[i], g0[i]
            swing = hi ^ lo
            if plus:  # A full → all; A empty → B ? hi : lo (and symmetrically)
                g1[a], g0[a] = hi, lo ^ (swing & masks[b])
                g1[b], g0[b] = hi, lo ^ (swing & masks[a])
            else:  # A full → B ? lo : hi; A empty → none; B full → none; B empty → A ? hi : lo
                g1[a], g0[a] = hi ^ (swing & masks[b]), lo
                g1[b], g0[b] = lo, lo ^ (swing & masks[a])
        return g1, g0


def _near_box(node: Node, size: int) -> tuple[int, int, int, int] | None:
    """Pixel rows r0..r1 and columns c0..c1 of a primitive's bounding box grown by
    ``RING_UNITS``, clipped to the image; ``None`` for an empty primitive."""
    ch = node.children
    if node.kind == CIRCLE:
        half_x = half_y = 2 * ch[0].value
        x, y = ch[1].value, ch[2].value
    else:
        x, y, w, h, a = ch[0].value, ch[1].value, ch[2].value, ch[3].value, ch[4].value
        if w == 0 or h == 0:
            return None
        if a % 90:
            half_x = half_y = (w + h) * _SQRT_HALF
        else:
            half_x, half_y = (w, h) if a % 180 == 0 else (h, w)
    if half_x == 0:
        return None
    return (*_near_span(y, half_y, size), *_near_span(x, half_x, size))


@functools.lru_cache(maxsize=4096)
def _near_span(centre: int, half, size: int) -> tuple[int, int]:
    """Pixel indices first..last along one axis of [2·centre − half, 2·centre + half] grown
    by ``RING_UNITS`` canvas units (pixel centres), clipped to the image."""
    k = size / 32
    mid, reach = 2 * centre * k - 0.5, (half + RING_UNITS) * k
    return max(0, math.ceil(mid - reach)), min(size - 1, math.floor(mid + reach))


def _box_union(a, b):
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])
