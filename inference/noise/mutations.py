"""Noise: random small mutations of a program in any language (DESIGN.md §2, "Noise: one mutation").

σ here is the small-subtree count of :mod:`inference.noise.small_subtrees`: CSG2D's
σ, and for TinySVG the number of ``Rectangle``, ``Ellipse`` and ``Move`` nodes.
One mutation:

1. takes the nodes with σ ≤ 2 (:data:`SMALL_SIGMA`), leaves included (σ = 0);
2. picks a σ value uniformly among those present, then a node uniformly among
   the nodes with that σ (the root may be picked);
3. replaces it by a random subtree of the same nonterminal that differs from
   it.  A value or operator slot gets a uniform *other* value.  Any other slot
   gets a random subtree whose σ is uniform among the counts the slot allows in
   0..2 (:func:`inference.noise.small_subtrees.small_counts`), redrawn (count
   too) until it differs: a CSG2D shape 1 or 2 primitives
   (:func:`inference.noise.random_programs.random_shape`); a TinySVG drawing σ 1
   (a rectangle or an ellipse, 1/2 each) or σ 2 (a ``Move`` of one or an
   ``Arrange`` of two, 1/2 each; :func:`inference.lang.random_trees.random_tree`).

The language is the tree's (its kinds are registered to one grammar), so no
caller names it.  Noising applies ``s`` mutations; the caller draws ``s`` with
:func:`random_steps`.
"""

from __future__ import annotations

import numpy as np

from inference.lang.edits import Edit
from inference.lang.grammar import CSG2D, FIRST_OFFSET, GRAMMAR_OF, GRAMMARS
from inference.lang.random_trees import random_tree
from inference.lang.tree import BINOP, Node
from inference.noise.random_programs import random_leaf, random_shape, uniform_index
from inference.noise.small_subtrees import (
    SMALL_SIGMA,
    counting_grammar,
    small_counts,
    small_groups,
)

MAX_STEPS = 5
"""Noising draws its number of mutations uniformly in ``1..MAX_STEPS``."""


def mutable_nodes(tree: Node) -> list[list[tuple[int, Node]]]:
    """``(position, node)`` of the nodes with σ ≤ 2, grouped by σ (index 0, 1, 2).

    Within a group the order is fixed (token order except for CSG2D).
    """
    if GRAMMAR_OF[tree.kind] is not CSG2D:
        return small_groups(tree)
    binops, prims = _skeleton(tree)
    return [_leaves(tree, binops, prims), prims, [(p, b) for p, b in binops if b.sigma == 2]]


def _skeleton(tree: Node) -> tuple[list[tuple[int, Node]], list[tuple[int, Node]]]:
    """``(position, node)`` of every binop and every primitive."""
    binops: list[tuple[int, Node]] = []
    prims: list[tuple[int, Node]] = []
    stack = [(0, tree)] if not tree.is_leaf else []
    while stack:
        pos, node = stack.pop()
        if node.kind == BINOP:
            binops.append((pos, node))
            left = node.children[1]
            stack += [(pos + 2 + left.size, node.children[2]), (pos + 2, left)]
        else:
            prims.append((pos, node))
    return binops, prims


def _leaves(tree: Node, binops: list, prims: list) -> list[tuple[int, Node]]:
    """Every leaf: each binop's operator and each primitive's values."""
    if tree.is_leaf:
        return [(0, tree)]
    leaves = [(pos + 1, node.children[0]) for pos, node in binops]
    for pos, node in prims:
        leaves += [(pos + 2 + i, child) for i, child in enumerate(node.children)]
    return leaves


def random_replacement(rng: np.random.Generator, node: Node) -> Node:
    """A random subtree of ``node``'s nonterminal with σ 0–2 that differs from it (step 3)."""
    if node.is_leaf:
        return random_leaf(rng, node.nonterminal, exclude=node.value)
    grammar = GRAMMAR_OF[node.kind]
    if grammar is CSG2D:
        while True:
            new = random_shape(rng, 1 + uniform_index(rng, SMALL_SIGMA))
            if new != node:
                return new
    counts = sorted(small_counts(grammar)[node.nonterminal])
    counting = counting_grammar(grammar)
    while True:
        sigma = counts[uniform_index(rng, len(counts))]
        new = random_tree(counting, rng, sigma, node.nonterminal)
        if new != node:
            return new


def mutate(tree: Node, rng: np.random.Generator) -> Edit:
    """One random mutation of ``tree``, as an edit (the caller applies it).

    Equivalent to drawing from :func:`mutable_nodes` (for CSG2D only the chosen σ
    group is listed).
    """
    if GRAMMAR_OF[tree.kind] is not CSG2D:
        groups = small_groups(tree)
        present = [group for group in groups if group]
        group = present[uniform_index(rng, len(present))]
        pos, node = group[uniform_index(rng, len(group))]
        return Edit(pos, random_replacement(rng, node))
    binops, prims = _skeleton(tree)
    pairs = [(p, b) for p, b in binops if b.sigma == 2]
    present = [0, 1, 2] if pairs else [0, 1] if prims else [0]
    sigma = present[uniform_index(rng, len(present))]
    group = pairs if sigma == 2 else prims if sigma == 1 else _leaves(tree, binops, prims)
    pos, node = group[uniform_index(rng, len(group))]
    return Edit(pos, random_replacement(rng, node))


def noise(tree: Node, rng: np.random.Generator, steps: int) -> Node:
    """``tree`` after ``steps`` successive mutations."""
    for _ in range(steps):
        edit = mutate(tree, rng)
        tree = replace_node(tree, edit.pos, edit.replacement)
    return tree


def replace_node(tree: Node, pos: int, new: Node) -> Node:
    """``tree`` with the node whose first token is ``pos`` replaced by ``new``.

    The same tree as :func:`inference.lang.tree.replace_at` (and ``Edit(pos, new).apply(tree)``)
    but nothing is checked: ``pos`` must be a node start of ``tree`` and ``new`` of that
    slot's nonterminal, as in the edits this module and :mod:`inference.noise.paths` make.
    It descends by subtree sizes alone, several times faster on training-sized programs.
    Any language.
    """
    if pos == 0:
        return new
    kids = tree.children
    kind = tree.kind
    if kind in _FLAT:  # a primitive's value leaf
        i = pos - 2
        return Node(kind, None, (*kids[:i], new, *kids[i + 1 :]))
    if kind != BINOP:
        off = FIRST_OFFSET[kind]
        for i, child in enumerate(kids):
            if pos < off + child.size:
                if off != pos:
                    new = replace_node(child, pos - off, new)
                return Node(kind, None, (*kids[:i], new, *kids[i + 1 :]))
            off += child.size
        raise KeyError(f"no node starts at token {pos}")
    operator, left, right = kids
    if pos == 1:
        return Node(BINOP, None, (new, left, right))
    if pos < 2 + left.size:
        return Node(BINOP, None, (operator, replace_node(left, pos - 2, new), right))
    return Node(BINOP, None, (operator, left, replace_node(right, pos - 2 - left.size, new)))


_FLAT = frozenset(
    p.kind
    for grammar in GRAMMARS.values()
    for p in grammar.productions
    if p.keyword is not None and all(grammar.is_leaf(nt) for nt in p.children)
)
"""Kinds with a keyword and only leaf children (CSG2D's and TinySVG's primitives):
the leaf at ``pos`` is child ``pos - 2``."""


def random_steps(rng: np.random.Generator) -> int:
    """A number of noising steps, uniform in ``1..MAX_STEPS``."""
    return 1 + uniform_index(rng, MAX_STEPS)
