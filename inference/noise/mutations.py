"""Noise: random small mutations of a program (DESIGN.md §2, "Noise: one mutation").

One mutation:

1. takes the nodes with σ ≤ 2 (:data:`SMALL_SIGMA`), leaves included (σ = 0);
2. picks a σ value uniformly among those present, then a node uniformly among
   the nodes with that σ (the root may be picked);
3. replaces it by a random subtree of the same nonterminal that differs from
   it.  A value or operator slot gets a uniform *other* value; a shape slot
   gets a random shape (:func:`inference.noise.random_programs.random_shape`) with
   1 or 2 primitives, uniformly, redrawn (count too) until it differs.

Noising applies ``s`` mutations; the caller draws ``s`` with :func:`random_steps`.
"""

from __future__ import annotations

import numpy as np

from inference.lang.edits import Edit
from inference.lang.tree import BINOP, Node
from inference.noise.random_programs import random_leaf, random_shape, uniform_index

SMALL_SIGMA = 2
"""Largest σ a mutation touches and a path edit inserts whole."""
MAX_STEPS = 5
"""Noising draws its number of mutations uniformly in ``1..MAX_STEPS``."""


def mutable_nodes(tree: Node) -> list[list[tuple[int, Node]]]:
    """``(position, node)`` of the nodes with σ ≤ 2, grouped by σ (index 0, 1, 2).

    Within a group the order is fixed but not token order.
    """
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
    """A random subtree of ``node``'s nonterminal with 0–2 primitives that differs from it."""
    if node.is_leaf:
        return random_leaf(rng, node.nonterminal, exclude=node.value)
    while True:
        new = random_shape(rng, 1 + uniform_index(rng, SMALL_SIGMA))
        if new != node:
            return new


def mutate(tree: Node, rng: np.random.Generator) -> Edit:
    """One random mutation of ``tree``, as an edit (the caller applies it).

    Equivalent to drawing from :func:`mutable_nodes`, but only the chosen σ
    group is listed.
    """
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
    """
    if pos == 0:
        return new
    kids = tree.children
    if tree.kind != BINOP:  # a primitive's value leaf
        i = pos - 2
        return Node(tree.kind, None, (*kids[:i], new, *kids[i + 1 :]))
    operator, left, right = kids
    if pos == 1:
        return Node(BINOP, None, (new, left, right))
    if pos < 2 + left.size:
        return Node(BINOP, None, (operator, replace_node(left, pos - 2, new), right))
    return Node(BINOP, None, (operator, left, replace_node(right, pos - 2 - left.size, new)))


def random_steps(rng: np.random.Generator) -> int:
    """A number of noising steps, uniform in ``1..MAX_STEPS``."""
    return 1 + uniform_index(rng, MAX_STEPS)
