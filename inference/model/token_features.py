"""The program-aligned token features of the policy/value model's inputs (numpy only).

A batch is ``images`` (B, 3, S, S), ``tokens`` (B, T), ``feats`` (B, T, F) and ``prefix_len``
(B,) (DESIGN.md §3).  Training and decoding both build it with
:func:`inference.model.model_batches.encode_batch`, so the model sees identical inputs in both;
this module computes ``feats``, and :mod:`inference.targets.target_images` the target images.

**Program-aligned features** (DESIGN.md §2b). For every SHAPE node (primitive or binop) the
renderer gives, as bit-packed masks: its subtree mask S, and the program's output G1 when
the subtree is forced full and G0 when it is forced empty (one bottom-up and one top-down
pass, :func:`inference.render.shape_walk.shape_contexts`). The output is O = (S & G1) | (~S
& G0) for every node, so D = G1 ^ G0 is where the node *decides* the output. With the target
T and the error E = O ^ T, the node's pixels split into ``good`` = S & D & ~E and ``bad`` =
S & D & E (the pixels that emptying the subtree would fix); ``want`` = R & D & E are the
errors near S that growing the subtree would fix, where the ring R is the node's bounding
box grown by ``RING_UNITS`` canvas units, minus S (a primitive's box is analytic; a union's
is the box of its operands' boxes, a difference's is its left operand's). Counts are over
pixels; N = S² (image pixels); a ratio with an empty denominator is 0.

Every token carries its innermost enclosing SHAPE node's features (value leaves and the head
→ their primitive; a binop's parentheses and operator → the binop), :data:`FEATURE_NAMES`:

 0 ``area``      |S| / N
 1 ``cx``        centroid column of S, as a fraction of the canvas (0.5 when S is empty)
 2 ``cy``        centroid row of S, likewise
 3 ``inside``    |S & T| / |S|
 4 ``visible``   |S & D| / |S|
 5 ``good``      |good| / |S|
 6 ``bad``       |bad| / |S|
 7 ``good_img``  |good| / N
 8 ``bad_img``   |bad| / N
 9 ``want``      |want| / |R|
10 ``want_img``  |want| / N
11 ``del_gain``  score change if the subtree were emptied, as sign(x)·sqrt(|x|) (exact, from
                 counts: emptying flips exactly S & D)
12 ``sign``      +1 if the subtree adds ink, −1 if it removes ink (odd number of enclosing
                 ``-`` right operands)
13 ``sigma``     σ / 8
14 ``bad_dx``    centroid(bad) − centroid(S), column, in canvas units / 32 (0 if no bad pixel);
15 ``bad_dy``    row, likewise.  A circle too far right has ``bad_dx`` > 0: move it left.
16 ``want_dx``   centroid(want) − centroid(S), column, likewise: the side to grow towards
17 ``want_dy``   row, likewise
 token-local:
18 ``start``     1 if the token is a node's first token (a ``<POS k>`` target), else 0
19 ``depth``     tree depth of the token's node / 8 (a leaf is one deeper than its parent)
 global (the same on every token of a program):
20 ``score``     the goal score of O against T
21 ``recall``    |O & T| / |T|
22 ``precision`` |O & T| / |O|
23 ``target``    |T| / N

**Targets.**  A ``bool`` target is a filled mask.  A float target is a sketch (ink coverage in
[0, 1], 1 = ink, see :mod:`inference.targets.sketch`); its image plane is the ink itself and the
features use :func:`~inference.targets.target_images.sketch_fill`, the region the strokes enclose.

**TinySVG** (:mod:`inference.model.svg_features`, which says how pixels are read).  The same
width F and the same columns, computed analogously from the layout at pixel centres: for
every DRAWING node (rectangle, ellipse, arrange, move) S is the pixels its subtree paints, D
those whose output colour comes from it (its primitives are the topmost painters there), O
the output's colour class, Tc the target's, T = Tc ≠ 0 (not white), and the error E = O ≠ Tc
(a class mismatch, background included).  ``good`` = S & D & ~E, ``bad`` = S & D & E, the
ring R is the subtree's painted box grown by 1/16 of the canvas, minus S, and ``want`` =
R & E & T where the subtree would be on top (no later primitive paints there).  Tokens take
their innermost enclosing DRAWING node's features, as in CSG2D.

 0 ``area``      |S| / N
 1 ``cx``        centroid column of S (0.5 when empty)
 2 ``cy``        centroid row of S
 3 ``inside``    colour agreement: the fraction of S where the subtree's own paint (its
                 primitives composited alone) has the target's class
 4 ``visible``   |S & D| / |S|
 5 ``good``      |good| / |S|;  6 ``bad`` |bad| / |S|;  7 ``good_img``, 8 ``bad_img``: / N
 9 ``want``      |want| / |R|;  10 ``want_img`` |want| / N
11 ``del_gain``  change of ``score`` if the subtree were removed (its decided pixels show
                 what was painted before it), as sign(x)·sqrt(|x|), exact at pixel centres
12 ``sign``      +1 if the subtree paints a colour other than white, −1 if it paints only
                 white, 0 if it paints nothing
13 ``sigma``     σ / 8 (rectangles and ellipses)
14–17            ``bad_dx``, ``bad_dy``, ``want_dx``, ``want_dy``: centroid offsets from S's,
                 canvas fractions, as in CSG2D
18 ``start``     1 if the token is a node's first token, else 0
19 ``depth``     tree depth / 8, as in CSG2D (parentheses and keywords at the node's depth)
20 ``score``     colour IoU of O against Tc: pixels where both are the same non-white class
                 over pixels where either is non-white (1 when neither is)
21 ``recall``    |same class & T| / |T|;  22 ``precision`` the same / |O ≠ 0|
23 ``target``    |T| / N

Nothing is zero for lack of an analogue.  The image planes are 9: target RGB, current
render RGB (:func:`inference.render.svg_scene.render` at S, anti-aliased) and
|target − current|, float in [0, 1] (:data:`inference.model.svg_features.PLANES`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from inference.lang.tree import Node
from inference.model.svg_features import svg_features, target_rgb
from inference.model.tokens import (
    CIRCLE_ID,
    CSG2D_VOCAB,
    LPAREN,
    QUAD_ID,
    RPAREN,
    encode_program,
    vocabulary_for,
)
from inference.render.raster import rasterizer
from inference.render.shape_walk import ShapeWalk
from inference.targets.score import score_from_counts
from inference.targets.target_images import IMAGE_SIZE, sketch_fill

FEATURE_VERSION = "tokfeat-1"
"""Bump whenever a feature's meaning or order changes; models carry it in their metadata."""
FEATURE_NAMES: tuple[str, ...] = (
    "area", "cx", "cy", "inside", "visible", "good", "bad", "good_img", "bad_img", "want",
    "want_img", "del_gain", "sign", "sigma", "bad_dx", "bad_dy", "want_dx", "want_dy",
    "start", "depth", "score", "recall", "precision", "target",
)  # fmt: skip
FEATURE_DIM = len(FEATURE_NAMES)
COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}
"""Each feature's column, by name (the order above is the model contract)."""
_NODE_DIM = COLUMN["start"]
"""Columns before ``start`` are per node; the rest per token and per program."""


def token_features(program: Node, target, size: int = IMAGE_SIZE) -> np.ndarray:
    """Program-aligned features, float32 (program.size, FEATURE_DIM); see the module doc.

    For CSG2D ``target`` is a packed mask (``int``), a ``bool`` (size, size) mask, or a float
    sketch, and ``size`` a multiple of 8 up to 64; for TinySVG an RGB image (any size,
    ``uint8`` or float in [0, 1]).  :func:`encode_batch` computes many at once (faster per
    program).
    """
    vocab = vocabulary_for(program)
    if vocab is not CSG2D_VOCAB:
        target = target_rgb(target, size)
        return svg_features(program, vocab.encode_program(program), target, size)
    ids = [encode_program(program)]
    return _batch_features([program], ids, [target_bits(target, size)], size)[0]


def _batch_features(programs: Sequence[Node], ids: Sequence[np.ndarray], targets, size: int):
    """Token features of several programs (with their token ids and packed targets),
    concatenated in order (ΣL, F), and the programs' packed outputs.

    The tree passes run per program in Python; the rest once for the batch in numpy.
    """
    raster, npix = rasterizer(size), size * size
    walks = [ShapeWalk(p, raster) for p in programs]
    masks, swings, boxes, outputs, errors, stats = [], [], [], [], [], []
    for walk, target in zip(walks, targets, strict=True):
        g1, g0 = walk.forced()
        masks += walk.masks
        swings += [a ^ b for a, b in zip(g1, g0, strict=True)]
        boxes += walk.boxes
        out = walk.masks[0]
        outputs.append(out)
        errors.append(out ^ target)
        inter, n_out, n_tgt = (out & target).bit_count(), out.bit_count(), target.bit_count()
        stats.append((inter, n_out + n_tgt - inter, n_out, n_tgt))
    m, n_items = len(masks), len(walks)
    rows = _rows([*masks, *swings, *errors, *targets], size)
    item = np.repeat(np.arange(n_items), [len(w.nodes) for w in walks])
    inter, union, n_out, n_tgt = np.asarray(stats, dtype=np.float64).T
    scores = score_from_counts(inter, union, npix)
    node = _node_features(
        rows[:m],
        rows[m : 2 * m],
        rows[2 * m : 2 * m + n_items][item],
        rows[2 * m + n_items :][item],
        _box_rows(boxes, size),
        (inter[item], union[item], scores[item]),
        size,
    )
    node[:, COLUMN["sign"]] = [s for w in walks for s in w.sign]
    node[:, COLUMN["sigma"]] = [x.sigma for w in walks for x in w.nodes]
    node[:, COLUMN["sigma"]] *= 0.125
    tokens = np.concatenate(ids)
    opens = np.cumsum(tokens == LPAREN)
    depth = opens - np.cumsum(tokens == RPAREN)  # open parentheses, this token included
    heads = (tokens == LPAREN) | (tokens == CIRCLE_ID) | (tokens == QUAD_ID)
    owner = opens - 1  # the last '(' (pre-order node index), except at a binop's ')'
    starts = np.cumsum([0] + [p.size for p in programs[:-1]])
    firsts = np.cumsum([0] + [len(w.nodes) for w in walks[:-1]])
    for walk, start, first in zip(walks, starts, firsts, strict=True):
        for token, index in walk.closing:
            owner[start + token] = first + index
    out = np.empty((len(tokens), FEATURE_DIM), dtype=np.float32)
    out[:, :_NODE_DIM] = node[owner]
    out[:, COLUMN["start"]] = (tokens != CIRCLE_ID) & (tokens != QUAD_ID) & (tokens != RPAREN)
    out[:, COLUMN["depth"]] = (depth - heads) * 0.125
    glob = np.stack([scores, inter / np.maximum(n_tgt, 1), inter / np.maximum(n_out, 1)], axis=1)
    glob = np.concatenate([glob, n_tgt[:, None] / npix], axis=1)
    out[:, COLUMN["score"] :] = np.repeat(glob, [p.size for p in programs], axis=0)
    return out, outputs


_CHUNK = 32
"""Programs per numpy pass: larger batches spill the caches (measured fastest at 16–32 on 64×64)."""


def program_features(programs, ids, targets, size: int):
    """:func:`_batch_features` in chunks of :data:`_CHUNK` programs."""
    parts = [
        _batch_features(
            programs[i : i + _CHUNK], ids[i : i + _CHUNK], targets[i : i + _CHUNK], size
        )
        for i in range(0, len(programs), _CHUNK)
    ]
    return np.concatenate([f for f, _ in parts]), [o for _, outs in parts for o in outs]


def _count_matrix(rows: list[dict[int, int]]) -> np.ndarray:
    """A (len(rows), 9) matrix of linear combinations of the count rows below."""
    out = np.zeros((len(rows), 9), dtype=np.float32)
    for i, row in enumerate(rows):
        for j, value in row.items():
            out[i, j] = value
    return out


# Count rows (see _node_features): 0 |S|, 1 |bad|, 2 |want|, 3 |S&T|, 4 |S&D|, 5 |S&D&T|,
# 6 |bad&T|, 7 |ring|, 8 N.  Ratio features = (_NUM @ counts) / max(_DEN @ counts, 1) for
# features _RATIO_COLUMNS (area, inside, visible, good, bad, good_img, bad_img, want,
# want_img); _NUM's last two rows are the changes of |O & T| and |O | T| when the node is
# emptied (its bad pixels become right, its good ones wrong).
_RATIO_COLUMNS = [COLUMN[name] for name in (
    "area", "inside", "visible", "good", "bad", "good_img", "bad_img", "want", "want_img",
)]  # fmt: skip
_NUM = _count_matrix(
    [{0: 1}, {3: 1}, {4: 1}, {4: 1, 1: -1}, {1: 1}, {4: 1, 1: -1}, {1: 1}, {2: 1}, {2: 1}]
    + [{6: 2, 5: -1}, {4: 1, 1: -2, 5: -1, 6: 2}]
)
_DEN = _count_matrix([{8: 1}, {0: 1}, {0: 1}, {0: 1}, {0: 1}, {8: 1}, {8: 1}, {7: 1}, {8: 1}])


def _node_features(subtree, swing, error, t, box, base, size: int):
    """Per-node feature columns (``sign`` and ``sigma`` are filled by the caller) from row
    words: S, D, and each node's program's error and target; ``base`` = (inter, union,
    score) per node."""
    n, npix = len(subtree), size * size
    decided = subtree & swing
    wrong = swing & error
    bad = subtree & wrong
    ring = box ^ (box & subtree)
    want = ring & wrong
    masks = np.concatenate([subtree, bad, want, subtree & t, decided, decided & t, bad & t, ring])
    count, row_sum, col_sum = _moments(masks, 3 * n, size)
    counts = np.empty((9, n), dtype=np.float32)
    counts[:8] = count.reshape(8, n)
    counts[8] = npix
    mixed = _NUM @ counts
    out = np.empty((n, _NODE_DIM), dtype=np.float32)
    out[:, _RATIO_COLUMNS] = (mixed[:9] / np.maximum(_DEN @ counts, 1)).T
    # Emptying the subtree flips S & D: bad pixels become right, good ones wrong.
    inter, union, score = base
    gain = score_from_counts(inter + mixed[9], union + mixed[10], npix) - score
    out[:, COLUMN["del_gain"]] = np.sign(gain) * np.sqrt(np.abs(gain))
    # Centroids (pixel centres, canvas fractions) of S, bad and want; offsets from S's.
    sums = np.stack([col_sum, row_sum], axis=1).reshape(3, n, 2)
    num = counts[:3, :, None]
    centre = (sums / np.maximum(num, 1) + 0.5) / size
    centre[0] = np.where(num[0] > 0, centre[0], 0.5)
    out[:, COLUMN["cx"] : COLUMN["cy"] + 1] = centre[0]
    offsets = np.where(num[1:] > 0, centre[1:] - centre[0], 0)  # (2, n, 2)
    out[:, COLUMN["bad_dx"] : COLUMN["want_dy"] + 1] = offsets.transpose(1, 0, 2).reshape(n, 4)
    return out


# ----- row words: a size ≤ 64 mask as one uint64 per row (bit j = column j) -----------------


def _rows(masks: list[int], size: int) -> np.ndarray:
    """Packed masks as uint64 row words, shape (len(masks), size)."""
    if size % 8 or not 8 <= size <= 64:
        raise ValueError(f"features need a size that is a multiple of 8 up to 64, not {size}")
    nbytes = size * size // 8
    raw = np.frombuffer(b"".join([m.to_bytes(nbytes, "little") for m in masks]), np.uint8)
    if size == 64:
        return raw.view("<u8").reshape(len(masks), size)
    padded = np.zeros((len(masks), size, 8), dtype=np.uint8)
    padded[:, :, : size // 8] = raw.reshape(len(masks), size, size // 8)
    return padded.view("<u8").reshape(len(masks), size)


def _box_rows(boxes: list, size: int) -> np.ndarray:
    """Row words of rectangles (r0, r1, c0, c1) (inclusive; ``None`` is empty), (n, size)."""
    spans = [b or (1, 0, 0, 0) for b in boxes]  # empty: no rows
    r0 = np.fromiter([s[0] for s in spans], np.int64, len(spans))
    r1 = np.fromiter([s[1] for s in spans], np.int64, len(spans))
    cols = np.fromiter([(2 << s[3]) - (1 << s[2]) for s in spans], np.uint64, len(spans))
    index = np.arange(size)
    inside = (index >= r0[:, None]) & (index <= r1[:, None])
    return np.where(inside, cols[:, None], np.uint64(0))


@functools.cache
def _bit_tables(size: int) -> tuple[list[np.uint64], np.ndarray]:
    """Column-bit planes (bit b of the column index) and (size, 2) [1, row] weights."""
    planes = [np.uint64(sum(1 << j for j in range(size) if j >> b & 1)) for b in range(6)]
    return planes, np.stack([np.ones(size), np.arange(size)], axis=1).astype(np.float32)


def _moments(rows: np.ndarray, with_columns: int, size: int):
    """Pixel count and Σ row index of every mask, and Σ column index of the first
    ``with_columns``; float32 arrays (all exact: sums stay below 2²⁴)."""
    planes, count_row = _bit_tables(size)
    per_row = np.bitwise_count(rows).astype(np.float32) @ count_row  # (m, 2)
    part = rows[:with_columns]
    col_sum = np.zeros(part.shape, dtype=np.uint16)  # Σ over bits b of 2^b · popcount
    for b, plane in enumerate(planes):
        col_sum += np.bitwise_count(part & plane).astype(np.uint16) << b
    return per_row[:, 0], per_row[:with_columns, 1], col_sum.astype(np.float32) @ count_row[:, 0]


# ----- targets and images ---------------------------------------------------------------------


def target_bits(target, size: int) -> int:
    """A target as a packed mask at ``size``: a packed ``int`` as is, a ``bool`` mask packed,
    a float sketch through :func:`~inference.targets.target_images.sketch_fill`."""
    if isinstance(target, int):
        return target
    target = np.asarray(target)
    if target.shape != (size, size):
        raise ValueError(f"expected a ({size}, {size}) target, got {target.shape}")
    if target.dtype != np.bool_:
        target = sketch_fill(target)
    return rasterizer(size).pack(target)
