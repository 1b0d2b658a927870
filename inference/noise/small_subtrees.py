"""The small-subtree count of any language: what the noise rules call σ.

DESIGN.md §2's noise rules ("Noise: one mutation", "Training target") work on
subtrees with σ ≤ 2, where σ counts a grammar's *small-subtree kinds*
(:attr:`inference.lang.grammar.Grammar.small_subtree_kinds`) in a subtree:

* CSG2D: ``Circle`` and ``Quad``, its primitives, so this σ is
  :attr:`Node.sigma <inference.lang.tree.Node.sigma>` itself.
* TinySVG: ``Rectangle``, ``Ellipse`` and ``Move`` (issue 17).  A ``Move``
  counts one besides what it moves, so the σ classes are:

  - σ 0: every value leaf (``w h fill stroke sw``, ``dir gap``, ``x y negx negy``);
  - σ 1: a bare ``Rectangle`` or ``Ellipse``;
  - σ 2: a ``Move`` of a bare rectangle or ellipse, or an ``Arrange`` of two;
  - anything else is σ ≥ 3 (a ``Move`` of a ``Move``, an ``Arrange`` holding a
    ``Move``, ...): never replaced whole, only its small parts are.

  ``Node.sigma`` (rectangles and ellipses only) is not used here: with it a
  chain of Moves would be free, and one mutation could rebuild a deep subtree.

:func:`counting_grammar` is the grammar with exactly the small-subtree kinds
marked primitive, so :func:`inference.lang.random_trees.random_tree` over it
draws subtrees with an exact small-subtree count.
"""

from __future__ import annotations

import dataclasses
import functools

from inference.lang.grammar import GRAMMAR_OF, Grammar
from inference.lang.tree import Node, walk

SMALL_SIGMA = 2
"""Largest σ a mutation touches and a path edit inserts whole."""


def small_sigma(node: Node) -> int:
    """σ of ``node``'s subtree: how many nodes of its grammar's small-subtree kinds it holds."""
    grammar = GRAMMAR_OF[node.kind]
    kinds = grammar.small_subtree_kinds
    if kinds == grammar.primitive_kinds:
        return node.sigma
    count = 0
    stack = [node]
    while stack:
        n = stack.pop()
        if n.kind in kinds:
            count += 1
        stack += n.children
    return count


def small_groups(tree: Node) -> list[list[tuple[int, Node]]]:
    """``(position, node)`` of every node with σ ≤ 2, grouped by σ (index 0, 1, 2), in token order.

    σ as :func:`small_sigma` counts it, for any grammar.
    """
    kinds = GRAMMAR_OF[tree.kind].small_subtree_kinds
    nodes = list(walk(tree))
    sigma: dict[int, int] = {}  # by id: a shared subtree (an interned leaf) has one σ
    for _, node in reversed(nodes):  # children before their parent
        s = node.kind in kinds
        for child in node.children:
            s += sigma[id(child)]
        sigma[id(node)] = s
    groups: list[list[tuple[int, Node]]] = [[] for _ in range(SMALL_SIGMA + 1)]
    for pos, node in nodes:
        s = sigma[id(node)]
        if s <= SMALL_SIGMA:
            groups[s].append((pos, node))
    return groups


@functools.cache
def counting_grammar(grammar: Grammar) -> Grammar:
    """``grammar`` with its small-subtree kinds as the primitives (``grammar`` itself for CSG2D).

    The copy is not registered: its kinds stay ``grammar``'s, and it serves only to draw
    subtrees with :func:`inference.lang.random_trees.random_tree` by small-subtree count.
    """
    small = grammar.small_subtree_kinds
    if small == grammar.primitive_kinds:
        return grammar
    productions = tuple(
        dataclasses.replace(p, primitive=p.kind in small) for p in grammar.productions
    )
    return Grammar(
        f"{grammar.name} (small subtrees)",
        grammar.start,
        productions,
        grammar.leaves,
        grammar.syntaxes,
        small,
    )


@functools.cache
def small_counts(grammar: Grammar) -> dict[str, frozenset[int]]:
    """The σ values 0..2 each nonterminal and each inner kind can have, exactly.

    For TinySVG: a value slot ``{0}``; a drawing, ``{1, 2}``; ``Rectangle`` and
    ``Ellipse`` ``{1}``, ``Move`` and ``Arrange`` ``{2}``.
    """
    small = grammar.small_subtree_kinds
    reach: dict[str, set[int]] = {nt: set() for nt in grammar.nonterminals}
    for domain in grammar.leaves:
        reach[domain.nonterminal].add(0)
    by_kind: dict[str, set[int]] = {p.kind: set() for p in grammar.productions}
    changed = True
    while changed:  # a fixpoint over sums capped at SMALL_SIGMA
        changed = False
        for p in grammar.productions:
            sums = {int(p.kind in small)}
            for child in p.children:
                sums = {a + b for a in sums for b in reach[child] if a + b <= SMALL_SIGMA}
            if sums - by_kind[p.kind]:
                by_kind[p.kind] |= sums
                reach[p.nonterminal] |= sums
                changed = True
    return {name: frozenset(s) for name, s in (reach | by_kind).items()}
