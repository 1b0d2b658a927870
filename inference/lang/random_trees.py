"""Random programs of any grammar with an exact primitive count.

:func:`random_tree` expands a nonterminal at random so that the subtree has
exactly ``n`` primitives (σ = n): at each inner node it picks a production
uniformly among those that can reach the count, splits the count that is left
uniformly among the inner children (every split they allow being equally
likely), and draws every leaf uniformly from its domain.  For CSG2D that is the
distribution of :func:`inference.noise.random_programs.random_shape` (a primitive
when ``n == 1``, else a binop with the left operand's count uniform in
``1..n-1``); for TinySVG a one-primitive drawing is a rectangle, an ellipse or a
moved drawing with probability 1/3 each, a larger one an ``Arrange`` or a ``Move``
with probability 1/2 each.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from inference.lang.grammar import Grammar, Production
from inference.lang.tree import Node, interned


def random_tree(
    grammar: Grammar, rng: np.random.Generator, primitives: int, nonterminal: str | None = None
) -> Node:
    """A random subtree of ``nonterminal`` (the start by default) with ``primitives`` primitives.

    Raises ``ValueError`` when no subtree of that nonterminal has that many
    (a leaf has none; a TinySVG or CSG2D drawing has at least one).
    """
    nonterminal = grammar.start if nonterminal is None else nonterminal
    low, high = _bounds(grammar)[nonterminal]
    if not low <= primitives <= high:
        raise ValueError(
            f"a {nonterminal} has {low}..{high} primitives in {grammar.name}, not {primitives}"
        )
    return _expand(grammar, rng, nonterminal, primitives)


def _expand(grammar: Grammar, rng: np.random.Generator, nonterminal: str, n: int) -> Node:
    if grammar.is_leaf(nonterminal):
        domain = grammar.domain(nonterminal)
        return interned(domain.kind)[domain.values[int(rng.random() * len(domain.values))]]
    bounds = _bounds(grammar)
    fits = [p for p in grammar.productions_of(nonterminal) if _reaches(grammar, p, n)]
    production = fits[int(rng.random() * len(fits))]
    inner = [i for i, nt in enumerate(production.children) if not grammar.is_leaf(nt)]
    counts = _split(rng, n - production.primitive, [bounds[production.children[i]] for i in inner])
    given = dict(zip(inner, counts, strict=True))
    children = tuple(
        _expand(grammar, rng, nt, given.get(i, 0)) for i, nt in enumerate(production.children)
    )
    return Node(production.kind, None, children)


def _reaches(grammar: Grammar, production: Production, n: int) -> bool:
    """Whether ``production`` has a subtree with exactly ``n`` primitives."""
    bounds = _bounds(grammar)
    low = high = int(production.primitive)
    for nt in production.children:
        lo, hi = bounds[nt]
        low, high = low + lo, high + hi
    return low <= n <= high


def _split(rng: np.random.Generator, total: int, bounds: list[tuple[int, float]]) -> list[int]:
    """``total`` split into one count a bound, uniform among the splits the bounds allow."""
    if not bounds:
        return []
    spare = total - sum(lo for lo, _ in bounds)
    k = len(bounds)
    while True:  # uniform over compositions by stars and bars; reject those over a bound
        cuts = sorted(rng.choice(spare + k - 1, size=k - 1, replace=False).tolist())
        edges = [-1, *cuts, spare + k - 1]
        extra = [edges[i + 1] - edges[i] - 1 for i in range(k)]
        if all(lo + e <= hi for (lo, hi), e in zip(bounds, extra, strict=True)):
            return [lo + e for (lo, _), e in zip(bounds, extra, strict=True)]


@functools.cache
def _bounds(grammar: Grammar) -> dict[str, tuple[int, float]]:
    """The fewest and most primitives (``math.inf``: no limit) of each nonterminal.

    A nonterminal that can derive itself is taken to have no limit, as in both
    built-in grammars (a grammar whose only recursion adds no primitive, such
    as ``S := (Wrap S) | Leaf``, is not supported).
    """
    bounds: dict[str, tuple[int, float]] = {d.nonterminal: (0, 0) for d in grammar.leaves}
    inner = [nt for nt in grammar.nonterminals if not grammar.is_leaf(nt)]
    low = dict.fromkeys(inner, math.inf)
    changed = True
    while changed:  # fewest: a fixpoint from above
        changed = False
        for p in grammar.productions:
            n = p.primitive + sum(bounds[c][0] if c in bounds else low[c] for c in p.children)
            if n < low[p.nonterminal]:
                low[p.nonterminal], changed = n, True
    below = {nt: {c for p in grammar.productions_of(nt) for c in p.children} for nt in inner}
    for nt in inner:  # what each nonterminal derives, directly or not
        stack = list(below[nt])
        while stack:
            c = stack.pop()
            for d in below.get(c, ()):
                if d not in below[nt]:
                    below[nt].add(d)
                    stack.append(d)

    @functools.cache
    def high(nt: str) -> float:
        if nt in bounds:
            return bounds[nt][1]
        if nt in below[nt]:
            return math.inf
        return max(
            p.primitive + sum(high(c) for c in p.children) for p in grammar.productions_of(nt)
        )

    for nt in inner:
        bounds[nt] = (low[nt], high(nt))
    return bounds
