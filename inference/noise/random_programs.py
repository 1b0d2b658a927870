"""Random programs with an exact primitive count, and each language's target filter.

**CSG2D.** Distribution (DESIGN.md §2, "Random programs"): a shape with ``n`` primitives
is a primitive when ``n == 1``; otherwise a binop whose operator is ``+`` or
``-`` with probability 1/2 each and whose left operand gets ``k`` primitives,
``k`` uniform in ``1..n-1`` (the right one gets ``n - k``).  A primitive is a
circle or a quad with probability 1/2 each; every number is uniform in
``0..15`` and every angle uniform in ``0, 45, ..., 315``.  Zero radii and
sizes are not avoided: they are legal and empty, and the image filter below
rejects targets that come out blank.

The filter (:func:`is_visually_complex`) is the one refset-dev was generated
with: foreground between 2 % and 90 % of the pixels, and the LZ4-compressed
packed image at least 3 % of the packed size.

**TinySVG** (and any other registered grammar): programs are
:func:`inference.lang.random_trees.random_tree`'s (see there for the
distribution), their primitive count (rectangles and ellipses) uniform in
:data:`TARGET_PRIMITIVES` (2..5 for TinySVG: docs/TINYSVG.md, "Noise and training
data", says why), and targets pass :func:`inference.noise.svg_targets.accept_drawing`:
enough ink, and every primitive visible.  CSG2D keeps its own generator: the
same distribution as ``random_tree``'s, but it draws the Generator differently,
and CSG2D's training data must stay bit for bit what it was.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import lz4.frame
import numpy as np

from inference.lang.grammar import CSG2D, GRAMMARS, Grammar
from inference.lang.random_trees import random_tree
from inference.lang.tree import (
    ANGLE,
    ANGLE_VALUES,
    BINOP,
    CIRCLE,
    NUM,
    NUM_VALUES,
    OP,
    OP_VALUES,
    QUAD,
    SHAPE,
    Node,
    angle,
    leaf,
    num,
    op,
)
from inference.noise.svg_targets import accept_drawing, all_paint

_NUMS = tuple(num(v) for v in NUM_VALUES)
_ANGLES = tuple(angle(a) for a in ANGLE_VALUES)
_OPS = tuple(op(o) for o in OP_VALUES)
_LEAF_VALUES = {NUM: NUM_VALUES, ANGLE: ANGLE_VALUES, OP: OP_VALUES}

MIN_FOREGROUND = 0.02
"""Targets with a smaller inside fraction are rejected as nearly empty."""
MAX_FOREGROUND = 0.90
"""Targets with a larger inside fraction are rejected as nearly full."""
MIN_COMPRESSION_RATIO = 0.03
"""Targets whose LZ4 size is below this fraction of the packed size are trivial."""
FILTER_SIZE = 128
"""Resolution the compression threshold is calibrated at (refset-dev's)."""

TARGET_PRIMITIVES: dict[str, tuple[int, int]] = {"CSG2D": (2, 8), "TinySVG": (2, 5)}
"""Each language's inclusive range of a target's primitive count (by grammar name);
a grammar not listed uses CSG2D's."""


def random_shape(rng: np.random.Generator, n_primitives: int) -> Node:
    """A random SHAPE subtree with exactly ``n_primitives`` (≥ 1) primitives."""
    if n_primitives < 1:
        raise ValueError(f"a shape needs at least one primitive, not {n_primitives}")
    # One batch of uniforms in [0, 1): at most 6 per primitive and 2 per binop.
    return _shape(iter(rng.random(8 * n_primitives).tolist()), n_primitives)


def _shape(u: Iterator[float], n: int) -> Node:
    if n == 1:
        if next(u) < 0.5:
            r, x, y = _NUMS[int(next(u) * 16)], _NUMS[int(next(u) * 16)], _NUMS[int(next(u) * 16)]
            return Node(CIRCLE, None, (r, x, y))
        x, y = _NUMS[int(next(u) * 16)], _NUMS[int(next(u) * 16)]
        w, h = _NUMS[int(next(u) * 16)], _NUMS[int(next(u) * 16)]
        return Node(QUAD, None, (x, y, w, h, _ANGLES[int(next(u) * 8)]))
    k = 1 + int(next(u) * (n - 1))  # left operand's primitives, uniform in 1..n-1
    return Node(BINOP, None, (_OPS[int(next(u) * 2)], _shape(u, k), _shape(u, n - k)))


def uniform_index(rng: np.random.Generator, n: int) -> int:
    """An integer uniform in ``0..n-1`` (one float draw: faster than ``rng.integers``)."""
    return int(rng.random() * n)


def random_leaf(rng: np.random.Generator, nonterminal: str, exclude=None) -> Node:
    """A uniform leaf of any language's leaf nonterminal (CSG2D's ``NUM``, ``ANGLE``, ``OP``,
    TinySVG's ``digit``, ``colour``, ``dir``, ``flag``); with ``exclude``, uniform among
    the other values."""
    values = _LEAF_VALUES.get(nonterminal) or _leaf_values(nonterminal)
    if exclude is None:
        return leaf(nonterminal, values[uniform_index(rng, len(values))])
    i = uniform_index(rng, len(values) - 1)
    j = values.index(exclude)
    return leaf(nonterminal, values[i + (i >= j)])


def _leaf_values(nonterminal: str) -> tuple:
    for grammar in GRAMMARS.values():
        if grammar.is_leaf(nonterminal):
            return grammar.domain(nonterminal).values
    raise ValueError(f"unknown leaf nonterminal {nonterminal!r}")


def grammar_of_nonterminal(nonterminal: str) -> Grammar:
    """The registered grammar that has ``nonterminal``; ``ValueError`` when none has."""
    for grammar in GRAMMARS.values():
        if nonterminal in grammar.nonterminals:
            return grammar
    raise ValueError(f"unknown nonterminal {nonterminal!r}")


def random_subtree(rng: np.random.Generator, nonterminal: str, n_primitives: int) -> Node:
    """A random subtree of any language's ``nonterminal`` with exactly ``n_primitives`` primitives.

    Leaves (``NUM``, ``ANGLE``, ``OP``, TinySVG's values) have 0 primitives; shapes
    and drawings have at least 1.  CSG2D's shapes are :func:`random_shape`'s, the
    others :func:`inference.lang.random_trees.random_tree`'s.
    """
    if nonterminal == SHAPE:
        return random_shape(rng, n_primitives)
    grammar = grammar_of_nonterminal(nonterminal)
    if grammar.is_leaf(nonterminal):
        if n_primitives != 0:
            raise ValueError(f"a {nonterminal} leaf has 0 primitives, not {n_primitives}")
        return random_leaf(rng, nonterminal)
    return random_tree(grammar, rng, n_primitives, nonterminal)


def random_program(
    rng: np.random.Generator, n_range: tuple[int, int] = (2, 8), grammar: Grammar = CSG2D
) -> Node:
    """A random program of ``grammar``, its primitive count uniform in ``n_range`` (inclusive)."""
    low, high = n_range
    n = int(rng.integers(low, high + 1))
    if grammar is CSG2D:
        return random_shape(rng, n)
    return random_tree(grammar, rng, n)


def target_range(grammar: Grammar) -> tuple[int, int]:
    """``grammar``'s range of target primitive counts (:data:`TARGET_PRIMITIVES`)."""
    return TARGET_PRIMITIVES.get(grammar.name, TARGET_PRIMITIVES[CSG2D.name])


def passes_filter(
    program: Node, image: np.ndarray, render: Callable[[Node], np.ndarray], grammar: Grammar
) -> bool:
    """Whether ``program`` (drawn as ``image`` by ``render``) is a fit target of ``grammar``.

    CSG2D: :func:`is_visually_complex` of the image; TinySVG:
    :func:`inference.noise.svg_targets.accept_drawing`.  ``KeyError`` for a
    language without a filter.
    """
    if grammar is CSG2D:
        return is_visually_complex(image)
    return _filter(grammar)[1](program, image, render)


def _filter(grammar: Grammar) -> tuple[Callable, Callable]:
    """``(precheck(program), accept(program, image, render))`` of a language but CSG2D."""
    try:
        return _FILTERS[grammar.name]
    except KeyError:
        raise KeyError(f"no target filter for {grammar.name}") from None


_FILTERS = {"TinySVG": (all_paint, accept_drawing)}


def is_visually_complex(image: np.ndarray) -> bool:
    """True when ``image`` is neither nearly empty, nearly full, nor visually trivial.

    ``image`` is a square binary image (``bool``; integer images count pixels
    > 127 as inside, float images pixels ≥ 0.5).  It is rejected when the
    inside fraction is under 2 % or over 90 %, or when it compresses too well:
    the image is first brought to 128×128 by repeating pixels (for sizes that
    divide 128, e.g. 64×64; other sizes are used as they are), packed to one
    bit per pixel with ``numpy.packbits`` (row-major, so the *raw size* is
    128·128/8 = 2048 bytes), and compressed with ``lz4.frame.compress`` at its
    default settings.  A compressed size under 3 % of the raw size is trivial.
    The repetition keeps the threshold calibrated: LZ4's fixed frame overhead
    alone is over 3 % of a 64×64 image's 512 packed bytes.
    """
    image = _as_bool(image)
    foreground = np.count_nonzero(image) / image.size
    if not MIN_FOREGROUND <= foreground <= MAX_FOREGROUND:
        return False
    return compression_ratio(image) >= MIN_COMPRESSION_RATIO


def compression_ratio(image: np.ndarray) -> float:
    """LZ4-compressed size over raw packed size, as :func:`is_visually_complex` uses it."""
    image = _as_bool(image)
    size = image.shape[0]
    factor = FILTER_SIZE // size if FILTER_SIZE % size == 0 else 1
    if factor > 1 and size % 8 == 0:  # repeat bits by table lookup, then repeat rows
        rows = _bit_repeat_table(factor).take(np.packbits(image, axis=1), axis=0)
        rows = rows.reshape(size, -1)
        packed = np.repeat(rows, factor, axis=0).tobytes()
    else:
        if factor > 1:
            image = np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)
        packed = np.packbits(image).tobytes()
    return len(lz4.frame.compress(packed)) / len(packed)


@functools.cache
def _bit_repeat_table(factor: int) -> np.ndarray:
    """(256, factor) uint8: byte ``b`` with each bit repeated ``factor`` times."""
    bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)
    return np.packbits(np.repeat(bits, factor, axis=1), axis=1)


def _as_bool(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype == bool:
        return image
    if np.issubdtype(image.dtype, np.integer):
        return image > 127
    return image >= 0.5


def random_target(
    rng: np.random.Generator,
    render: Callable[[Node], np.ndarray],
    n_range: tuple[int, int] | None = None,
    max_tries: int = 1000,
    grammar: Grammar = CSG2D,
) -> tuple[Node, np.ndarray]:
    """A random program of ``grammar`` passing its filter (:func:`passes_filter`), and its image.

    The primitive count ``n`` is drawn once, uniform in ``n_range`` (inclusive;
    by default the language's :data:`TARGET_PRIMITIVES`), so accepted targets keep
    that distribution; programs with ``n`` primitives are drawn until
    ``render(program)`` passes the filter.  ``render`` draws a program at the
    size the filter sees (a bool image for CSG2D, RGB for TinySVG).

    Raises:
        RuntimeError: when ``max_tries`` programs in a row fail the filter.
    """
    low, high = target_range(grammar) if n_range is None else n_range
    n = int(rng.integers(low, high + 1))
    precheck, accept = (None, None) if grammar is CSG2D else _filter(grammar)
    for _ in range(max_tries):
        if grammar is CSG2D:
            program = random_shape(rng, n)
            image = render(program)
            if is_visually_complex(image):
                return program, image
            continue
        program = random_tree(grammar, rng, n)
        if not precheck(program):  # rejected without rendering
            continue
        image = render(program)
        if accept(program, image, render):
            return program, image
    raise RuntimeError(f"no {n}-primitive program passed the image filter in {max_tries} tries")
