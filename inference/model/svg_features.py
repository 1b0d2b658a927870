"""TinySVG's image planes and program-aligned token features (numpy only).

The network code is shared with CSG2D, so a TinySVG batch has the same inputs and the same
feature width F; only the image planes (9 instead of 3) and the meaning of each feature
column differ.  The feature table is in :mod:`inference.model.token_features`'s doc; this
module computes it.

**Pixels.**  Everything is read at pixel centres of the model size S (pixel (i, j) at canvas
((j + ½)·224/S, (i + ½)·224/S), docs/TINYSVG.md), from :func:`inference.render.svg_scene.layout`:
a primitive *paints* its fill region (the closed box or inscribed ellipse, when the fill is
not ``none``) and its stroke band (the shape grown by half the stroke width, closed, minus
the shape shrunk by it, open, when the stroke is not ``none`` and its width > 0); a
zero-sized primitive paints nothing, as in the renderer.  Each painted pixel gets the
primitive's colour class (the stroke's in the band, else the fill's; classes index
:data:`inference.targets.svg_score.PALETTE`, white = 0 = background); painter's order decides
the output class O of a pixel (0 where nothing paints).  The target's classes Tc are
:func:`~inference.targets.svg_score.palette_classes` of the target image, T = Tc ≠ 0.

**How it is computed** (issue 17: the same numbers, several times faster than the plain
per-node code kept in tests/inference/model/svg_features_reference.py).  All masks are
bit-packed (64 pixels a word).  A batch's distinct placed primitives are painted once, all
together (:class:`_Paints`: the painted pixels and one mask per colour class).  A program's
output is composed from those class masks in painter's order (:class:`_Program`), keeping
for every primitive q what was painted before it and what is painted from q on.  A node's
primitives are a run a..b−1 of its program's, so S is the OR of their painted masks, D is
"painted from a on but not from b on", and removing the node shows the output before a; the
masks, popcounts and coordinate sums of every node of the batch are then computed at once.
Every count and sum is an integer, so the features are exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference.lang.tree import Node
from inference.model.tokens import TINYSVG_VOCAB
from inference.render.svg_scene import CANVAS, layout, render, render_scene
from inference.targets.svg_score import PALETTE, palette_classes

PLANES = 9
"""Image planes of a TinySVG model: target RGB, current render RGB, |target − current|."""
RING_PX = CANVAS / 16
"""How far (canvas px) beyond a node's painted box the ``want`` ring reaches: 1/16 of the
canvas, the same share as CSG2D's 2 of 32 units."""

_CLASS = {name: i for i, name in enumerate(PALETTE)}
_INK_CLASSES = np.arange(1, len(PALETTE), dtype=np.int8)[:, None, None]
"""The colour classes but white, as (K − 1, 1, 1) for comparing with (S, S) class images."""
_NO_PAINT = ("none",)
_GRAMMAR = TINYSVG_VOCAB.grammar
_DRAWINGS = frozenset(p.kind for p in _GRAMMAR.productions_of(_GRAMMAR.start))
_PRIMITIVES = _GRAMMAR.primitive_kinds


def target_rgb(image: np.ndarray, size: int) -> np.ndarray:
    """A TinySVG target as the model reads it: float32 (size, size, 3) in [0, 1].

    ``image`` is an (H, W, 3) RGB image, ``uint8`` (0..255) or float in [0, 1], any size;
    another size is area-averaged (an exact multiple averages whole blocks).
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"a TinySVG target is an (H, W, 3) RGB image, got shape {image.shape}")
    if np.issubdtype(image.dtype, np.integer):
        image = image / 255.0
    if image.shape[:2] == (size, size):
        return np.asarray(image, dtype=np.float32)
    from inference.targets.target_images import downsample

    return np.stack([downsample(image[:, :, c], size) for c in range(3)], axis=2)


def render_unit(program: Node, size: int) -> np.ndarray:
    """The program's render as float32 (size, size, 3) in [0, 1]."""
    return np.multiply(render(program, size), np.float32(1 / 255), dtype=np.float32)


def planes(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """float32 (9, S, S): target RGB, current RGB, |target − current| (inputs (S, S, 3))."""
    out = np.empty((PLANES, *target.shape[:2]), dtype=np.float32)
    out[0:3] = target.transpose(2, 0, 1)
    out[3:6] = current.transpose(2, 0, 1)
    np.subtract(out[0:3], out[3:6], out=out[6:9])
    np.abs(out[6:9], out=out[6:9])
    return out


# ----- bit-packed masks ----------------------------------------------------------------------
# Node masks are bit-packed, flat: row i of an (S, S) mask is the W = ⌈S/64⌉ uint64 words
# i·W .. i·W + W − 1, pixel (i, j) bit j % 64 of word i·W + j // 64 (bits past S are 0, so a
# complement must be ANDed with a packed mask).  The per-node work is then on S·W words
# instead of S² bytes.

_BIT_PLANES = [
    np.uint64(sum(1 << j for j in range(64) if j >> k & 1)) for k in range(6)
]  # fmt: skip
"""Word k holds the bits whose index has bit k set: Σ_j j·bit_j = Σ_k 2^k·popcount(x & word k)."""


def _pack(masks: np.ndarray) -> np.ndarray:
    """uint64 (..., S·W): bool (..., S, S) masks bit-packed as above."""
    size = masks.shape[-1]
    width = -(-size // 64) * 64
    if width != size:
        pad = np.zeros((*masks.shape[:-1], width - size), dtype=bool)
        masks = np.concatenate([masks, pad], axis=-1)
    words = np.packbits(masks.ravel(), bitorder="little").view("<u8")  # rows end on words
    return words.reshape(*masks.shape[:-2], -1)


def _count(words: np.ndarray) -> np.ndarray:
    """int64 (...,): the pixels set in packed (..., S·W) masks."""
    return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)


def _centroids(words: np.ndarray, counts: np.ndarray, size: int):
    """(column, row) centroids of packed (n, S·W) masks with ``counts`` pixels, as canvas
    fractions ``(Σ index / count + ½) / S``, float64 (n,) each; meaningless where a count is 0.
    The index sums are integers, so exact."""
    per_row = words.shape[1] // size
    word = np.arange(words.shape[1])
    popcount = np.bitwise_count(words)
    rows = popcount @ (word // per_row)
    cols = popcount @ (64 * (word % per_row))
    for k, plane in enumerate(_BIT_PLANES):
        cols += np.bitwise_count(words & plane).sum(axis=1, dtype=np.int64) << k
    n = np.maximum(counts, 1)
    return (cols / n + 0.5) / size, (rows / n + 0.5) / size


def _runs(values: np.ndarray, first: np.ndarray, end: np.ndarray, reduce) -> np.ndarray:
    """``reduce`` over each run values[first:end] (all runs non-empty, end < len(values))."""
    return reduce.reduceat(values, np.stack([first, end], axis=1).ravel())[::2]


def _run_or(rows: np.ndarray, first: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The OR of each run rows[first:end] of packed masks (all runs non-empty)."""
    out = rows[first]
    length = end - first
    for d in range(1, int(length.max())):
        longer = np.flatnonzero(length > d)
        out[longer] |= rows[first[longer] + d]
    return out


# ----- painted pixels ------------------------------------------------------------------------


def _inside(kind: str, geometry, grow: np.ndarray, closed: bool, centres: np.ndarray):
    """bool (n, S, S): the pixel centres inside each of n shapes of one ``kind`` (``"rect"`` or
    ``"ellipse"``, boxes ``geometry`` = x0, y0, x1, y1 (n,) each) grown by ``grow`` (n,),
    closed or open; nothing where a grown shape has no extent."""
    x0, y0, x1, y1 = geometry
    a, b = (x1 - x0) / 2 + grow, (y1 - y0) / 2 + grow
    real = (a > 0) & (b > 0)
    dx = (centres - ((x0 + x1) / 2)[:, None]) / np.where(real, a, 1.0)[:, None]
    dy = (centres - ((y0 + y1) / 2)[:, None]) / np.where(real, b, 1.0)[:, None]
    if kind == "rect":
        cols = np.abs(dx) <= 1 if closed else np.abs(dx) < 1
        rows = np.abs(dy) <= 1 if closed else np.abs(dy) < 1
        inside = rows[:, :, None] & cols[:, None, :]
    else:
        r = dy[:, :, None] ** 2 + dx[:, None, :] ** 2
        inside = r <= 1 if closed else r < 1
    inside &= real[:, None, None]
    return inside


class _Paints:
    """The paint of a batch's distinct placed primitives at size S, n of them, in arrays.

    ``packed`` (n, S·W): the pixels each paints, bit-packed; ``planes`` (n, K − 1, S·W): those
    it paints with colour class k = 1..K−1 (the stroke's in the band, else the fill's);
    ``ink`` (n,): it paints a colour other than white; ``box`` (n, 4): the first and last
    row and column it paints (r0, r1, c0, c1), or (S, −1, S, −1) when it paints nothing.
    """

    def __init__(self, placed: list, size: int):
        n = len(placed)
        centres = (np.arange(size) + 0.5) * (CANVAS / size)
        geometry = np.array([(p.x0, p.y0, p.x1, p.y1) for p in placed]).reshape(n, 4).T
        half = np.array([p.stroke_px for p in placed]) / 2
        sized = (geometry[2] > geometry[0]) & (geometry[3] > geometry[1])
        filled = sized & np.array([p.fill not in _NO_PAINT for p in placed])
        stroked = sized & np.array([p.stroke not in _NO_PAINT for p in placed]) & (half > 0)
        fill = np.zeros((n, size, size), dtype=bool)
        band = np.zeros((n, size, size), dtype=bool)
        for kind in ("rect", "ellipse"):
            of_kind = np.array([p.kind == kind for p in placed], dtype=bool)
            k = np.flatnonzero(filled & of_kind)
            if len(k):
                fill[k] = _inside(kind, geometry[:, k], np.zeros(len(k)), True, centres)
            k = np.flatnonzero(stroked & of_kind)
            if len(k):  # the shape grown by half the width, closed, minus it shrunk, open
                band[k] = _inside(kind, geometry[:, k], half[k], True, centres)
                band[k] &= ~_inside(kind, geometry[:, k], -half[k], False, centres)
        painted = fill | band
        fill &= ~band
        packed = _pack(np.stack([painted, fill, band]))
        self.packed = packed[0]
        self.planes = np.zeros((n, len(PALETTE) - 1, self.packed.shape[1]), dtype=np.uint64)
        for colour, on, rows in (("fill", filled, packed[1]), ("stroke", stroked, packed[2])):
            k = np.array([_CLASS.get(getattr(p, colour), 0) for p in placed], dtype=np.intp)
            ink = on & (k > 0)
            self.planes[np.flatnonzero(ink), k[ink] - 1] |= rows[ink]
        fill_ink = filled & np.array([p.fill != "white" for p in placed], dtype=bool)
        stroke_ink = stroked & np.array([p.stroke != "white" for p in placed], dtype=bool)
        lines = painted.any(axis=2), painted.any(axis=1)  # rows, columns
        self.ink = (fill_ink | stroke_ink & band.any(axis=(1, 2))) & lines[0].any(axis=1)
        box = []
        for x in lines:
            box.append(np.where(x.any(axis=1), np.argmax(x, axis=1), size))
            box.append(np.where(x.any(axis=1), size - 1 - np.argmax(x[:, ::-1], axis=1), -1))
        self.box = np.stack(box, axis=1)


class _Target:
    """A target's classes Tc bit-packed: ``planes`` (K − 1, S·W), Tc = k for k = 1..K−1;
    ``white`` (Tc = 0), ``ink`` (T = Tc ≠ 0) and ``pixels`` (every pixel), (S·W,) each."""

    def __init__(self, image: np.ndarray):
        tc = palette_classes(image).astype(np.int8)
        self.planes = _pack(tc == _INK_CLASSES)
        self.white, self.ink = _pack(tc == 0), _pack(tc != 0)
        self.pixels = self.white | self.ink


class _Program:
    """One program's masks against its target, bit-packed, computed from its primitives'.

    With P primitives in painter's order, ``masks`` (6(P + 1) + 3, S·W) holds six blocks of
    P + 1 rows, row q of block ``k`` at ``k·(P + 1) + q``: ``PAINTED``, the pixels primitive q
    paints (row P empty); ``ABOVE``, those some primitive ≥ q paints (the topmost painter is
    in a..b−1 on ABOVE[a] & ~ABOVE[b]); ``RIGHT``, where the output of primitives 0..q−1
    has the target's class (for a node ending at b, inside S that is its own composite);
    ``GONE_HIT`` and ``GONE_UNION``, the output's match with the target (both not white and
    the same class) and its union (either not white) if primitives q.. were not painted;
    ``WANTABLE``, the errors E & T where no primitive ≥ q paints.  Then the three rows from
    ``PIXELS``: E, hit (matched) and union.
    """

    PAINTED, ABOVE, RIGHT, GONE_HIT, GONE_UNION, WANTABLE, PIXELS = range(7)

    def __init__(self, paints: _Paints, rows: list[int], target: _Target):
        self.rows = rows  # the program's primitives, as rows of ``paints``
        n = len(rows)
        painted = np.zeros((n + 1, *target.white.shape), dtype=np.uint64)
        painted[:n] = paints.packed[rows]
        planes = paints.planes[rows]
        colour = np.zeros((n + 1, *target.planes.shape), dtype=np.uint64)  # per class 1..K−1
        for q in range(n):  # colour[q]: the output of primitives 0..q−1
            np.bitwise_and(colour[q], ~painted[q], out=colour[q + 1])
            colour[q + 1] |= planes[q]
        above = np.bitwise_or.accumulate(painted[::-1])[::-1]
        shown = np.bitwise_or.reduce(colour, axis=1)  # not white, were primitives q.. gone
        gone_hit = np.bitwise_or.reduce(colour & target.planes, axis=1)
        right = gone_hit | ~shown & target.white
        gone_union = shown | target.ink
        error = ~right[n] & target.pixels
        wantable = ~above & error & target.ink
        hit, union = gone_hit[n], gone_union[n]
        self.masks = np.concatenate(
            [painted, above, right, gone_hit, gone_union, wantable, [error, hit, union]]
        )
        self.matched, self.union = int(_count(hit)), int(_count(union))
        self.n_t, self.n_o = int(_count(target.ink)), int(_count(shown[n]))
        self.iou = self.matched / self.union if self.union else 1.0


def _drawing_nodes(program: Node) -> list[tuple[int, Node]]:
    """``(position, node)`` of every DRAWING node, in pre-order (painter's order)."""
    found = []
    stack = [(0, program)]
    while stack:
        pos, node = stack.pop()
        found.append((pos, node))
        p = pos + node.size - 1  # the children end right before the node's ")"
        for child in reversed(node.children):
            p -= child.size
            if child.kind in _DRAWINGS:
                stack.append((p, child))
    return found


# ----- features ------------------------------------------------------------------------------


def svg_features(program: Node, ids: np.ndarray, target: np.ndarray, size: int) -> np.ndarray:
    """The token features of one TinySVG program, float32 (len(ids), F); ``target`` is the
    model's (size, size, 3) float target.  See :mod:`inference.model.token_features`."""
    return svg_batch_features([program], [ids], [target], size)


def svg_batch_features(
    programs: Sequence[Node], ids: Sequence[np.ndarray], targets: Sequence[np.ndarray], size: int
) -> np.ndarray:
    """Token features of several TinySVG programs, concatenated in order (ΣL, F).

    A batch's rows usually share a target object and many placed primitives (a beam's
    programs are edits of each other): each target's classes and each placed primitive's
    paint are computed once per call, and the per-node work runs for the whole batch at once.
    """
    return _batch_features(programs, [layout(p) for p in programs], ids, targets, size)


def svg_batch_inputs(
    programs: Sequence[Node], ids: Sequence[np.ndarray], targets: Sequence[np.ndarray], size: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`svg_batch_features` and the image planes, float32 (B, 9, S, S), each row's
    :func:`planes` of its target and :func:`render_unit` of its program (one layout each)."""
    placed = [layout(p) for p in programs]
    feats = _batch_features(programs, placed, ids, targets, size)
    images = np.empty((len(programs), PLANES, size, size), dtype=np.float32)
    for image, scene, target in zip(images, placed, targets, strict=True):
        image[0:3] = target.transpose(2, 0, 1)
        current = image[3:6].transpose(1, 2, 0)
        np.multiply(render_scene(scene, size), np.float32(1 / 255), out=current, dtype=np.float32)
    np.subtract(images[:, 0:3], images[:, 3:6], out=images[:, 6:9])
    np.abs(images[:, 6:9], out=images[:, 6:9])
    return feats, images


def _batch_features(programs, placed, ids, targets, size: int) -> np.ndarray:
    """:func:`svg_batch_features` given the programs' layouts."""
    from inference.model.token_features import COLUMN, FEATURE_DIM

    if not len(programs):
        return np.zeros((0, FEATURE_DIM), np.float32)
    rows: dict = {}  # each distinct placed primitive's row in ``paints``
    for scene in placed:
        for p in scene:
            rows.setdefault(p, len(rows))
    paints = _Paints(list(rows), size)
    packed: dict[int, _Target] = {}
    scenes = []
    for scene, target in zip(placed, targets, strict=True):
        if id(target) not in packed:
            packed[id(target)] = _Target(target)
        scenes.append(_Program(paints, [rows[p] for p in scene], packed[id(target)]))
    nodes = [_drawing_nodes(p) for p in programs]
    feats = _node_features(paints, scenes, nodes, size, COLUMN, FEATURE_DIM)
    return _token_features(scenes, nodes, ids, feats, size, COLUMN)


def _node_features(paints: _Paints, scenes: list[_Program], nodes, size: int, column, dim):
    """float32 (nodes, F): every node's columns up to ``start``, all programs' nodes in order."""
    rows = np.concatenate([scene.masks for scene in scenes])
    base = np.cumsum([0] + [len(scene.masks) for scene in scenes])
    prims = np.cumsum([0] + [len(scene.rows) for scene in scenes])
    order = np.concatenate([scene.rows for scene in scenes])  # every program's primitives
    # per node: its program, and its primitives a..b−1 (program-local)
    prog, first, end, sigma = [], [], [], []
    for i, found in enumerate(nodes):
        k = 0  # the first primitive of the next node, in painter's (pre-)order
        for _, node in found:
            prog.append(i)
            first.append(k)
            end.append(k + node.sigma)
            sigma.append(node.sigma)
            k += node.kind in _PRIMITIVES
    prog, first, end = np.array(prog), np.array(first), np.array(end)
    block = np.diff(prims)[prog] + 1  # P + 1

    def at(kind, q):  # rows of ``rows``: row q of block ``kind`` of each node's program
        return base[prog] + kind * block + q

    s = _run_or(rows, at(_Program.PAINTED, first), at(_Program.PAINTED, end))
    decided = rows[at(_Program.ABOVE, first)] & ~rows[at(_Program.ABOVE, end)]
    error = rows[at(_Program.PIXELS, 0)]
    good, bad = decided & ~error, decided & error
    # S's box is its primitives' boxes' union; the ring is that box grown by RING_PX (clipped
    # to the image) minus S, where the subtree would be on top where nothing from a on paints
    boxes = np.concatenate([paints.box[order], [(0,) * 4]])
    a, b = prims[prog] + first, prims[prog] + end
    lo, hi = (_runs(boxes, a, b, np.minimum), _runs(boxes, a, b, np.maximum))
    ring = int(np.ceil(RING_PX * size / CANVAS))
    lines = np.arange(size)
    in_rows = (lines >= lo[:, 0:1] - ring) & (lines <= hi[:, 1:2] + ring) & (hi[:, 1:2] >= 0)
    in_cols = (lines >= lo[:, 2:3] - ring) & (lines <= hi[:, 3:4] + ring)
    per_row = rows.shape[1] // size  # W
    grown = np.where(
        np.repeat(in_rows, per_row, axis=1), np.tile(_pack(in_cols[:, None, :]), size), np.uint64(0)
    )
    around = grown & ~s
    want = around & rows[at(_Program.WANTABLE, first)]
    n_s, n_d, n_good, n_bad, n_ring, n_want = map(_count, (s, decided, good, bad, around, want))
    n_inside = _count(s & rows[at(_Program.RIGHT, end)])
    gone_hit = _count(decided & rows[at(_Program.GONE_HIT, first)])
    hit = _count(decided & rows[at(_Program.PIXELS, 1)])
    gone_union = _count(decided & rows[at(_Program.GONE_UNION, first)])
    union = _count(decided & rows[at(_Program.PIXELS, 2)])
    npix = size * size
    per_s = np.maximum(n_s, 1)
    feats = np.zeros((len(prog), dim), dtype=np.float32)
    feats[:, column["area"]] = n_s / npix
    masks, counts = np.concatenate([s, bad, want]), np.concatenate([n_s, n_bad, n_want])
    (cx, bx, wx), (cy, by, wy) = (c.reshape(3, -1) for c in _centroids(masks, counts, size))
    feats[:, column["cx"]] = np.where(n_s > 0, cx, 0.5)
    feats[:, column["cy"]] = np.where(n_s > 0, cy, 0.5)
    feats[:, column["inside"]] = n_inside / per_s
    feats[:, column["visible"]] = n_d / per_s  # D lies in S
    feats[:, column["good"]] = n_good / per_s
    feats[:, column["bad"]] = n_bad / per_s
    feats[:, column["good_img"]] = n_good / npix
    feats[:, column["bad_img"]] = n_bad / npix
    feats[:, column["want"]] = n_want / np.maximum(n_ring, 1)
    feats[:, column["want_img"]] = n_want / npix
    for name, n, x, y in (("bad", n_bad, bx, by), ("want", n_want, wx, wy)):
        feats[:, column[f"{name}_dx"]] = np.where(n > 0, x - cx, 0.0)  # in S or its ring
        feats[:, column[f"{name}_dy"]] = np.where(n > 0, y - cy, 0.0)
    # removing the subtree: its decided pixels show what was painted before primitive a
    matched = np.array([scene.matched for scene in scenes])[prog]
    new_union = np.array([scene.union for scene in scenes])[prog] + gone_union - union
    score = np.where(new_union > 0, (matched + gone_hit - hit) / np.maximum(new_union, 1), 1.0)
    gain = score - np.array([scene.iou for scene in scenes])[prog]
    feats[:, column["del_gain"]] = np.sign(gain) * np.sqrt(np.abs(gain))
    inked = np.concatenate([[0], np.cumsum(paints.ink[order])])
    painting = np.concatenate([[0], np.cumsum(paints.box[order, 1] >= 0)])
    feats[:, column["sign"]] = np.where(
        inked[b] > inked[a], 1.0, np.where(painting[b] > painting[a], -1.0, 0.0)
    )
    feats[:, column["sigma"]] = np.array(sigma) * 0.125
    return feats


def _token_features(scenes, nodes, ids, feats, size, column) -> np.ndarray:
    """(ΣL, F): each token's node columns, its own and its program's (all programs at once)."""
    vocab = TINYSVG_VOCAB
    tokens = np.concatenate([np.asarray(t) for t in ids])
    lengths = [len(t) for t in ids]
    starts = np.cumsum([0] + lengths[:-1])
    owner = np.zeros(len(tokens), dtype=np.intp)
    node, offset = 0, 0
    for found, length in zip(nodes, lengths, strict=True):
        for pos, n in found:
            owner[offset + pos : offset + pos + n.size] = node
            node += 1
        offset += length
    out = np.zeros((len(tokens), feats.shape[1]), dtype=np.float32)
    start = column["start"]
    out[:, :start] = feats[owner, :start]
    out[:, start] = vocab.node_start[tokens]
    opens = np.cumsum(tokens == vocab.lparen) - np.cumsum(tokens == vocab.rparen)
    opens -= np.repeat(np.concatenate([[0], opens])[starts], lengths)  # each program's own
    heads = (tokens == vocab.lparen) | ~vocab.node_start[tokens] & (tokens != vocab.rparen)
    out[:, column["depth"]] = (opens - heads) * 0.125

    def each(values):
        return np.repeat(np.array(values, dtype=np.float64), lengths)

    npix = size * size
    out[:, column["score"]] = each([scene.iou for scene in scenes])
    out[:, column["recall"]] = each([s.matched / max(s.n_t, 1) for s in scenes])
    out[:, column["precision"]] = each([s.matched / max(s.n_o, 1) for s in scenes])
    out[:, column["target"]] = each([s.n_t / npix for s in scenes])
    return out
