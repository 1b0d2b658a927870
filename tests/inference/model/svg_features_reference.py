"""The reference TinySVG token features: the straightforward per-node code that
:mod:`inference.model.svg_features` had before it was vectorised (issue 17), kept as the
golden test's oracle.  Pixel by pixel it is the module doc's definition; do not speed it up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inference.lang.tree import Node, walk
from inference.model.tokens import TINYSVG_VOCAB
from inference.render.svg_scene import CANVAS, layout, render
from inference.targets.svg_score import PALETTE, palette_classes

RING_PX = CANVAS / 16  # the want ring's reach, as inference.model.svg_features.RING_PX
_CLASS = {name: i for i, name in enumerate(PALETTE)}
_NO_PAINT = ("none",)
_DRAWING = TINYSVG_VOCAB.grammar.start
_PRIMITIVES = TINYSVG_VOCAB.grammar.primitive_kinds


def render_unit(program: Node, size: int) -> np.ndarray:
    """The program's render as float32 (size, size, 3) in [0, 1]."""
    return render(program, size).astype(np.float32) * np.float32(1 / 255)


def planes(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """float32 (9, S, S): target RGB, current RGB, |target − current| (inputs (S, S, 3))."""
    out = np.empty((9, *target.shape[:2]), dtype=np.float32)
    out[0:3] = np.moveaxis(target, 2, 0)
    out[3:6] = np.moveaxis(current, 2, 0)
    np.abs(out[0:3] - out[3:6], out=out[6:9])
    return out


def _inside(kind: str, box, grow: float, closed: bool, centres: np.ndarray) -> np.ndarray:
    """bool (S, S): the pixel centres inside the shape grown by ``grow`` (closed or open)."""
    x0, y0, x1, y1 = box
    a, b = (x1 - x0) / 2 + grow, (y1 - y0) / 2 + grow
    n = len(centres)
    if a <= 0 or b <= 0:
        return np.zeros((n, n), dtype=bool)
    dx = (centres - (x0 + x1) / 2) / a
    dy = (centres - (y0 + y1) / 2) / b
    if kind == "rect":
        cols = np.abs(dx) <= 1 if closed else np.abs(dx) < 1
        rows = np.abs(dy) <= 1 if closed else np.abs(dy) < 1
        return rows[:, None] & cols[None, :]
    r = dy[:, None] ** 2 + dx[None, :] ** 2
    return r <= 1 if closed else r < 1


def _paint(p, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """A placed primitive's painted pixels, their classes (int8) and whether it paints ink
    (a colour other than white)."""
    n = len(centres)
    painted = np.zeros((n, n), dtype=bool)
    classes = np.zeros((n, n), dtype=np.int8)
    if p.x1 <= p.x0 or p.y1 <= p.y0:
        return painted, classes, False
    box, half = (p.x0, p.y0, p.x1, p.y1), p.stroke_px / 2
    ink = False
    if p.fill not in _NO_PAINT:
        painted |= _inside(p.kind, box, 0.0, True, centres)
        classes[painted] = _CLASS[p.fill]
        ink = p.fill != "white"
    if p.stroke not in _NO_PAINT and half > 0:
        band = _inside(p.kind, box, half, True, centres)
        band &= ~_inside(p.kind, box, -half, False, centres)
        painted |= band
        classes[band] = _CLASS[p.stroke]
        ink = ink or (p.stroke != "white" and band.any())
    return painted, classes, ink and painted.any()


class _Scene:
    """One program's painted pixels at size S: per primitive, and the output's classes."""

    def __init__(self, program: Node, size: int):
        centres = (np.arange(size) + 0.5) * (CANVAS / size)
        placed = layout(program)
        self.placed = placed
        paints = [_paint(p, centres) for p in placed]
        n = len(paints)
        self.painted = np.stack([m for m, _, _ in paints]) if n else np.zeros((0, size, size), bool)
        self.classes = np.stack([c for _, c, _ in paints]) if n else np.zeros((0, size, size))
        self.ink = [k for _, _, k in paints]
        out = np.zeros((size, size), dtype=np.int8)
        top = np.full((size, size), -1, dtype=np.int16)
        self.before: list[np.ndarray] = []  # the output classes before primitive k
        for k in range(n):
            self.before.append(out.copy())
            m = self.painted[k]
            out[m] = self.classes[k][m]
            top[m] = k
        self.out, self.top = out, top


def svg_batch_features(
    programs: Sequence[Node], ids: Sequence[np.ndarray], targets: Sequence[np.ndarray], size: int
) -> np.ndarray:
    """Token features of several TinySVG programs, concatenated in order (ΣL, F)."""
    from inference.model.token_features import COLUMN, FEATURE_DIM

    classes: dict[int, np.ndarray] = {}  # a batch's items usually share one target
    parts = []
    for program, tokens, target in zip(programs, ids, targets, strict=True):
        key = id(target)
        if key not in classes:
            classes[key] = palette_classes(target).astype(np.int8)
        parts.append(_program_features(program, tokens, classes[key], size, COLUMN, FEATURE_DIM))
    return np.concatenate(parts) if parts else np.zeros((0, FEATURE_DIM), np.float32)


def _program_features(program, tokens, tc, size, column, dim) -> np.ndarray:
    scene = _Scene(program, size)
    npix = size * size
    t = tc != 0
    o = scene.out
    fg = o != 0
    error = o != tc
    matched = int(np.count_nonzero(fg & ~error))
    union = int(np.count_nonzero(fg | t))
    n_t, n_o = int(np.count_nonzero(t)), int(np.count_nonzero(fg))
    iou = matched / union if union else 1.0
    nodes = [(p, n) for p, n in walk(program) if n.nonterminal == _DRAWING]
    feats = np.zeros((len(nodes), dim), dtype=np.float32)
    owner = np.zeros(len(tokens), dtype=np.intp)
    index = np.arange(size, dtype=np.float64)
    ring = int(np.ceil(RING_PX * size / CANVAS))
    k = 0  # the first primitive of the next node, in painter's (pre-)order
    for i, (pos, node) in enumerate(nodes):
        owner[pos : pos + node.size] = i
        a, b = k, k + node.sigma
        if node.kind in _PRIMITIVES:
            k += 1
        s = scene.painted[a:b].any(axis=0)
        own = np.zeros((size, size), dtype=np.int8)  # the subtree's own composite
        for q in range(a, b):
            m = scene.painted[q]
            own[m] = scene.classes[q][m]
        decided = (scene.top >= a) & (scene.top < b)
        n_s = int(np.count_nonzero(s))
        good = s & decided & ~error
        bad = s & decided & error
        n_good, n_bad = int(np.count_nonzero(good)), int(np.count_nonzero(bad))
        if n_s:
            rows, cols = np.flatnonzero(s.any(axis=1)), np.flatnonzero(s.any(axis=0))
            grown = np.zeros((size, size), dtype=bool)
            grown[
                max(rows[0] - ring, 0) : rows[-1] + ring + 1,
                max(cols[0] - ring, 0) : cols[-1] + ring + 1,
            ] = True
            around = grown & ~s
        else:
            around = np.zeros((size, size), dtype=bool)
        want = around & (scene.top < b) & error & t
        n_ring, n_want = int(np.count_nonzero(around)), int(np.count_nonzero(want))
        f = feats[i]
        f[column["area"]] = n_s / npix
        cs = _centroid(s, index, size)
        f[column["cx"]], f[column["cy"]] = cs if cs is not None else (0.5, 0.5)
        f[column["inside"]] = np.count_nonzero(s & (own == tc)) / max(n_s, 1)
        f[column["visible"]] = np.count_nonzero(s & decided) / max(n_s, 1)
        f[column["good"]] = n_good / max(n_s, 1)
        f[column["bad"]] = n_bad / max(n_s, 1)
        f[column["good_img"]] = n_good / npix
        f[column["bad_img"]] = n_bad / npix
        f[column["want"]] = n_want / max(n_ring, 1)
        f[column["want_img"]] = n_want / npix
        if b > a:  # emptying the subtree: its decided pixels show what was painted before it
            after = scene.before[a][decided]
            was = o[decided]
            right = tc[decided]
            d_match = np.count_nonzero((after != 0) & (after == right)) - np.count_nonzero(
                (was != 0) & (was == right)
            )
            d_union = np.count_nonzero((after != 0) | (right != 0)) - np.count_nonzero(
                (was != 0) | (right != 0)
            )
            new_union = union + d_union
            gain = ((matched + d_match) / new_union if new_union else 1.0) - iou
            f[column["del_gain"]] = np.sign(gain) * np.sqrt(abs(gain))
        painted_any = any(scene.painted[q].any() for q in range(a, b))
        f[column["sign"]] = 1.0 if any(scene.ink[a:b]) else -1.0 if painted_any else 0.0
        f[column["sigma"]] = node.sigma * 0.125
        for name, mask in (("bad", bad), ("want", want)):
            c = _centroid(mask, index, size)
            if c is not None and cs is not None:
                f[column[f"{name}_dx"]], f[column[f"{name}_dy"]] = c[0] - cs[0], c[1] - cs[1]
    vocab = TINYSVG_VOCAB
    tokens = np.asarray(tokens)
    out = np.zeros((len(tokens), dim), dtype=np.float32)
    start = column["start"]
    out[:, :start] = feats[owner, :start]
    out[:, start] = vocab.node_start[tokens]
    opens = np.cumsum(tokens == vocab.lparen) - np.cumsum(tokens == vocab.rparen)
    heads = (tokens == vocab.lparen) | ~vocab.node_start[tokens] & (tokens != vocab.rparen)
    out[:, column["depth"]] = (opens - heads) * 0.125
    out[:, column["score"]] = iou
    out[:, column["recall"]] = matched / max(n_t, 1)
    out[:, column["precision"]] = matched / max(n_o, 1)
    out[:, column["target"]] = n_t / npix
    return out


def _centroid(mask: np.ndarray, index: np.ndarray, size: int) -> tuple[float, float] | None:
    """(column, row) centroid of ``mask``'s pixel centres as canvas fractions; ``None`` if empty."""
    n = np.count_nonzero(mask)
    if not n:
        return None
    cx = (mask.sum(axis=0) @ index / n + 0.5) / size
    cy = (mask.sum(axis=1) @ index / n + 0.5) / size
    return float(cx), float(cy)
