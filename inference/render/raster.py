"""Fast CSG2D rasterizer on bit-packed masks.

Conventions (DESIGN.md §1): an S×S image maps pixel (row i, column j) to the
canvas square [j·32/S, (j+1)·32/S) × [i·32/S, (i+1)·32/S).  A binary render
tests each pixel *centre*; a soft render is the area coverage estimated by
supersampling.

**Boundary convention.**  Primitives are closed sets: a pixel centre exactly
on a circle's rim or a quad's edge is inside.  All tests are exact: the
renderer works in integer coordinates scaled by S (a pixel centre is
16·(2j+1), a circle centre 2x·S, a radius 2r·S), and the irrational edges of
45° quads never pass exactly through a pixel centre.  For S a power of two
≥ 32 no pixel centre ever lies exactly on a boundary, so the choice only
matters for odd sizes such as 16.

**Packed form.**  A mask is a Python ``int`` whose bit ``i·S + j`` is pixel
(i, j).  Union is ``a | b`` and difference is ``a & ~b``; ``int.bit_count``
counts pixels.  :func:`render_packed` returns this form, :func:`pack` and
:func:`unpack` convert to and from ``bool`` arrays.  Each :class:`Rasterizer`
keeps a bounded cache of primitive masks keyed by the (structurally hashed)
primitive node.  It is safe to share between threads.
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
from collections.abc import Sequence

import numpy as np

from inference.lang.tree import BINOP, CIRCLE, QUAD, Node

CACHE_BYTES = 32 * 2**20
"""Bytes of primitive masks each :class:`Rasterizer` keeps (bounded cache)."""

_DIAG_TABLE_MAX = 256
_SQRT2 = math.sqrt(2.0)


def _to_int(mask: np.ndarray) -> int:
    """Pack a bool array (row-major) into an int, bit k = element k."""
    return int.from_bytes(np.packbits(mask, axis=None, bitorder="little").tobytes(), "little")


class Rasterizer:
    """Renders programs at one image size; see the module docstring.

    Args:
        size: image side S in pixels.
        cache_bytes: memory budget of the primitive-mask cache.
        diag_tables: precompute diagonal band tables for 45° quads (fast, but
            2·S masks each); ``None`` chooses them for S ≤ 256.
    """

    def __init__(self, size: int, cache_bytes: int = CACHE_BYTES, diag_tables: bool | None = None):
        if size < 1:
            raise ValueError(f"image size must be positive, got {size}")
        self.size = size
        self.npix = size * size
        self.nbytes = (self.npix + 7) // 8
        self.full = (1 << self.npix) - 1
        # One bit at the start of every row: multiplying a row pattern by it
        # repeats the pattern on all rows.
        self._rep = self.full // ((1 << size) - 1)
        # Squared distances (scaled by S, see module doc) from every pixel
        # centre to every possible circle centre coordinate 2v, v = 0..15.
        dtype = np.int32 if size <= 1024 else np.int64
        centres = 16 * (2 * np.arange(size, dtype=dtype) + 1)
        self._sq = [(centres - 2 * v * size) ** 2 for v in range(16)]
        self._max_entries = max(256, cache_bytes // max(self.nbytes, 1))
        self._cache: dict[Node, int] = {}
        self._lock = threading.Lock()
        use_tables = size <= _DIAG_TABLE_MAX if diag_tables is None else diag_tables
        self._diag_sum, self._diag_dif = self._diag_prefixes() if use_tables else (None, None)

    # ----- public -----------------------------------------------------------

    def packed(self, node: Node) -> int:
        """The packed mask of a shape node (bit i·S + j is pixel (i, j))."""
        if node.kind == BINOP:
            operator, left, right = node.children
            a = self.packed(left)
            if operator.value == "+":
                return a | self.packed(right)
            return a ^ (a & self.packed(right)) if a else 0  # a & ~b on non-negative ints
        mask = self._cache.get(node)
        if mask is None:
            mask = self._primitive(node)
            self._remember(node, mask)
        return mask

    def render(self, node: Node) -> np.ndarray:
        """Binary render, ``bool`` array (S, S)."""
        return self.unpack(self.packed(node))

    def render_batch(self, nodes: Sequence[Node]) -> np.ndarray:
        """Binary renders of many programs, ``bool`` array (N, S, S)."""
        return self.unpack_many([self.packed(n) for n in nodes])

    def unpack(self, bits: int) -> np.ndarray:
        """A packed mask as a ``bool`` array (S, S)."""
        raw = np.frombuffer(bits.to_bytes(self.nbytes, "little"), dtype=np.uint8)
        flat = np.unpackbits(raw, count=self.npix, bitorder="little")
        return flat.view(np.bool_).reshape(self.size, self.size)

    def unpack_many(self, masks: Sequence[int]) -> np.ndarray:
        """Packed masks as a ``bool`` array (N, S, S)."""
        nb = self.nbytes
        raw = np.frombuffer(b"".join(m.to_bytes(nb, "little") for m in masks), dtype=np.uint8)
        flat = np.unpackbits(raw.reshape(len(masks), nb), axis=1, bitorder="little")
        return flat[:, : self.npix].view(np.bool_).reshape(len(masks), self.size, self.size)

    def pack(self, mask: np.ndarray) -> int:
        """A ``bool`` array (S, S) as a packed mask."""
        mask = np.asarray(mask, dtype=np.bool_)
        if mask.shape != (self.size, self.size):
            raise ValueError(f"expected shape {(self.size, self.size)}, got {mask.shape}")
        return _to_int(mask)

    def clear_cache(self) -> None:
        """Forget all cached primitive masks."""
        with self._lock:
            self._cache = {}

    # ----- primitives -------------------------------------------------------

    def _remember(self, node: Node, mask: int) -> None:
        with self._lock:
            cache = self._cache
            if len(cache) >= self._max_entries:  # keep the newer half
                cache = dict(itertools.islice(cache.items(), len(cache) // 2, None))
                self._cache = cache
            cache[node] = mask

    def _primitive(self, node: Node) -> int:
        if node.kind == CIRCLE:
            return self._circle(*(c.value for c in node.children))
        if node.kind == QUAD:
            return self._quad(*(c.value for c in node.children))
        raise ValueError(f"not a shape node: {node.kind}")

    def _circle(self, r: int, x: int, y: int) -> int:
        if r == 0:
            return 0
        sq = self._sq
        return _to_int(sq[y][:, None] + sq[x][None, :] <= (2 * r * self.size) ** 2)

    def _quad(self, x: int, y: int, w: int, h: int, a: int) -> int:
        if w == 0 or h == 0:
            return 0
        if a % 90 == 0:
            hw, hh = (w, h) if a % 180 == 0 else (h, w)
            return self._rows(*self._span(y, hh)) & self._cols(*self._span(x, hw))
        # 45°/225°: |dx+dy| ≤ w√2, |dy−dx| ≤ h√2; 135°/315° swap w and h.
        su, sv = (w, h) if a % 180 == 45 else (h, w)
        return self._diamond(x, y, su, sv)

    def _span(self, centre: int, half: int) -> tuple[int, int]:
        """Half-open pixel index range whose centres lie in [2c − half, 2c + half]."""
        s = self.size
        lo = -((16 - (2 * centre - half) * s) // 32)  # ceil division
        hi = ((2 * centre + half) * s - 16) // 32 + 1
        return max(lo, 0), min(hi, s)

    def _rows(self, i0: int, i1: int) -> int:
        if i1 <= i0:
            return 0
        s = self.size
        return ((1 << ((i1 - i0) * s)) - 1) << (i0 * s)

    def _cols(self, j0: int, j1: int) -> int:
        if j1 <= j0:
            return 0
        return ((1 << j1) - (1 << j0)) * self._rep

    def _diamond(self, x: int, y: int, su: int, sv: int) -> int:
        """Pixels with |dx+dy| ≤ su·√2 and |dy−dx| ≤ sv·√2 (canvas units)."""
        s = self.size
        # Pixel centres: x+y = 32(d+1)/S with d = i+j, and y−x = 32e/S with e = i−j.
        mid_sum, rad_sum = 2 * s * (x + y) / 32, su * s * _SQRT2 / 32
        mid_dif, rad_dif = 2 * s * (y - x) / 32, sv * s * _SQRT2 / 32
        d0, d1 = math.ceil(mid_sum - rad_sum) - 1, math.floor(mid_sum + rad_sum)
        e0, e1 = math.ceil(mid_dif - rad_dif), math.floor(mid_dif + rad_dif) + 1
        if self._diag_sum is None:
            i = np.arange(s)[:, None]
            j = np.arange(s)[None, :]
            dsum, ddif = i + j, i - j
            return _to_int((dsum >= d0) & (dsum < d1) & (ddif >= e0) & (ddif < e1))
        top = 2 * s - 1

        def band(table: list[int], lo: int, hi: int) -> int:
            lo, hi = min(max(lo, 0), top), min(max(hi, 0), top)
            return table[hi] ^ table[lo] if hi > lo else 0  # prefixes: table[lo] ⊆ table[hi]

        return band(self._diag_sum, d0, d1) & band(self._diag_dif, e0 + s - 1, e1 + s - 1)

    def _diag_prefixes(self) -> tuple[list[int], list[int]]:
        """Masks of i+j < k and of i−j < k−(S−1), for k in 0..2S−1."""
        s = self.size
        i = np.arange(s)[:, None]
        j = np.arange(s)[None, :]
        ks = np.arange(2 * s)[:, None, None]
        sums = np.packbits((i + j < ks).reshape(2 * s, -1), axis=1, bitorder="little")
        difs = np.packbits((i - j + s - 1 < ks).reshape(2 * s, -1), axis=1, bitorder="little")
        to_ints = [int.from_bytes(row.tobytes(), "little") for row in sums]
        return to_ints, [int.from_bytes(row.tobytes(), "little") for row in difs]


@functools.lru_cache(maxsize=8)
def rasterizer(size: int = 128) -> Rasterizer:
    """The shared :class:`Rasterizer` for ``size`` (one per size, cached)."""
    return Rasterizer(size)


def render(node: Node, size: int = 128) -> np.ndarray:
    """Binary render at pixel centres: ``bool`` array (size, size), True = inside."""
    return rasterizer(size).render(node)


def render_packed(node: Node, size: int = 128) -> int:
    """Binary render as a packed int (bit i·size + j is pixel (i, j)); see module doc."""
    return rasterizer(size).packed(node)


def render_batch(nodes: Sequence[Node], size: int = 128) -> np.ndarray:
    """Binary renders of ``nodes``: ``bool`` array (N, size, size)."""
    return rasterizer(size).render_batch(nodes)


def render_soft(node: Node, size: int = 128, supersample: int = 4) -> np.ndarray:
    """Area coverage in [0, 1], ``float32`` (size, size).

    Each pixel is the fraction of its ``supersample``² sub-pixel centres that
    are inside; this is the binary render at ``size * supersample`` averaged
    over blocks.
    """
    if supersample < 1:
        raise ValueError(f"supersample must be at least 1, got {supersample}")
    k = supersample
    fine = rasterizer(size * k).render(node).reshape(size, k, size, k)
    return (fine.sum(axis=(1, 3), dtype=np.int32) / (k * k)).astype(np.float32)


def pack(mask: np.ndarray) -> int:
    """A square ``bool`` mask as a packed int (inverse of :func:`unpack`)."""
    return rasterizer(np.asarray(mask).shape[0]).pack(mask)


def unpack(bits: int, size: int = 128) -> np.ndarray:
    """A packed int as a ``bool`` array (size, size)."""
    return rasterizer(size).unpack(bits)
