"""Tree edit paths from a start program to a target, in any language (DESIGN.md §2,
"Training target").

σ below is the small-subtree count of :mod:`inference.noise.small_subtrees`
(CSG2D's σ; for TinySVG rectangles, ellipses and Moves).

:func:`tree_path` works in rounds.  Each round walks the current program and
the target top-down together:

* Two nodes *match* when they use the same production
  (:meth:`inference.lang.tree.Node.same_production`: same kind, hence the same
  arity, and for a leaf the same value).  Matching nodes are descended into,
  child by child, so a wrong number, angle or operator becomes a one-leaf
  (σ = 0) edit.
* At a mismatch whose target subtree has σ ≤ 2, the edit replaces the whole
  current subtree by the target subtree.
* At a mismatch whose target subtree has σ > 2, the edit's replacement is a
  random subtree of that slot with exactly σ = 2 and the target's production at
  its root, first moved toward the target with σ = 0 changes only: walked
  against the target subtree like above, every mismatched leaf takes the
  target's value; mismatched shapes stay random.  This happens inside the one
  edit (as in the original code); later rounds finish the job.  For CSG2D it is
  a random 2-primitive shape, always a binop as the target is
  (:func:`inference.noise.random_programs.random_shape`).  For TinySVG the
  target is a ``Move`` or an ``Arrange``, and σ-2 drawings are drawn
  (:func:`inference.lang.random_trees.random_tree`) until one has its kind: a
  ``Move`` of a rectangle or ellipse, or an ``Arrange`` of two.  (A production
  that cannot have σ = 2 exactly, in some other grammar, gets the target
  subtree inserted whole.)

A round's edits are applied largest first, by (tokens replaced + tokens
inserted), ties in random order.  The edits of a round sit in disjoint
subtrees, so applying one at position ``p`` that changes the length by
``delta`` moves every later-starting pending edit by ``delta`` and leaves the
earlier-starting ones alone; the pending positions are updated that way.
The walk also builds the round's resulting program directly, so only
:func:`state_at` (one intermediate program, for a training example) replays
edits one by one.

Termination: after a round, every place where the walk stopped either equals
its target subtree (σ ≤ 2) or has the target's production at its root (a
σ > 2 target is a binop, the random 2-primitive shape is a binop and its
operator was set to the target's).  Nothing above those places changes, so the
next round's mismatches are strictly deeper.  Mismatches sit at target nodes,
so after ``height(target) + 1`` rounds none are left.  The same holds in any
language, since the inserted subtree always has the target's production.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.lang.edits import Edit
from inference.lang.grammar import CSG2D, GRAMMAR_OF
from inference.lang.random_trees import random_tree
from inference.lang.tree import Node
from inference.noise.mutations import SMALL_SIGMA, replace_node
from inference.noise.random_programs import random_shape
from inference.noise.small_subtrees import counting_grammar, small_counts, small_sigma


@dataclass(frozen=True, slots=True)
class PathRound:
    """One round of a tree path: the program it starts from and its edits, in order."""

    start: Node
    edits: tuple[Edit, ...]


def tree_path(source: Node, target: Node, rng: np.random.Generator) -> list[Edit]:
    """Edits that, applied in order to ``source``, give exactly ``target``.

    The path is empty when the trees are equal.  ``rng`` draws the random
    2-primitive shapes and orders tied edits.
    """
    return [edit for r in path_rounds(source, target, rng) for edit in r.edits]


def path_rounds(source: Node, target: Node, rng: np.random.Generator) -> list[PathRound]:
    """:func:`tree_path` split into its rounds, each with the program it starts from."""
    if source.nonterminal != target.nonterminal:
        raise ValueError(f"cannot turn a {source.nonterminal} into a {target.nonterminal}")
    rounds: list[PathRound] = []
    current = source
    rules = _CSG_RULES if GRAMMAR_OF[target.kind] is CSG2D else _GENERIC_RULES
    # height(target) + 1 rounds suffice (module docstring); target.size bounds that cheaply.
    for _ in range(target.size):
        if current == target:
            return rounds
        found: list[tuple[int, int, Node]] = []
        after = _diff(current, target, 0, rng, found, rules)
        rounds.append(PathRound(current, _ordered(found, rng)))
        current = after
    if current != target:  # unreachable by the argument in the module docstring
        raise RuntimeError("tree_path did not converge")
    return rounds


def state_at(rounds: list[PathRound], i: int) -> tuple[Node, Edit]:
    """The program after the first ``i`` edits of the path, and edit ``i`` itself."""
    for r in rounds:
        if i < len(r.edits):
            current = r.start
            for edit in r.edits[:i]:
                current = replace_node(current, edit.pos, edit.replacement)
            return current, r.edits[i]
        i -= len(r.edits)
    raise IndexError("edit index beyond the end of the path")


def height(node: Node) -> int:
    """Edges on the longest root-to-leaf path (0 for a leaf)."""
    if not node.children:
        return 0
    return 1 + max(height(child) for child in node.children)


def _diff(
    src: Node, tgt: Node, pos: int, rng: np.random.Generator, out: list, rules: tuple
) -> Node:
    """Collect one round's edits below ``src`` into ``out``; return ``src`` with them applied.

    Edits are ``(position, tokens replaced, replacement)``, found in token order.
    ``rules`` is ``(whole, grown)``: whether a target subtree is inserted whole, and
    the σ-2 subtree moved toward a larger one (:data:`_CSG_RULES`, :data:`_GENERIC_RULES`).
    """
    if src == tgt:
        return src
    if src.same_production(tgt):  # an inner node: equal leaves were caught above
        offsets = src.child_offsets()
        kids = [
            _diff(s, t, pos + off, rng, out, rules)
            for off, s, t in zip(offsets, src.children, tgt.children, strict=True)
        ]
        return Node(src.kind, None, tuple(kids))
    whole, grown = rules
    new = tgt if whole(tgt) else grown(rng, tgt)
    out.append((pos, src.size, new))
    return new


def _csg_whole(target: Node) -> bool:
    return target.sigma <= SMALL_SIGMA


def _csg_grown(rng: np.random.Generator, target: Node) -> Node:
    return approach(random_shape(rng, SMALL_SIGMA), target)


def _generic_whole(target: Node) -> bool:
    return small_sigma(target) <= SMALL_SIGMA


def _generic_grown(rng: np.random.Generator, target: Node) -> Node:
    grammar = GRAMMAR_OF[target.kind]
    if SMALL_SIGMA not in small_counts(grammar)[target.kind]:
        return target
    counting = counting_grammar(grammar)
    while True:
        new = random_tree(counting, rng, SMALL_SIGMA, target.nonterminal)
        if new.kind == target.kind:
            return approach(new, target)


_CSG_RULES = (_csg_whole, _csg_grown)
_GENERIC_RULES = (_generic_whole, _generic_grown)


def approach(node: Node, target: Node) -> Node:
    """``node`` moved toward ``target`` with σ = 0 changes only.

    Where the two match (same production) the walk descends; a mismatched
    leaf takes the target's leaf; a mismatched shape is kept.
    """
    if node.same_production(target):
        if not node.children:
            return node
        kids = tuple(approach(n, t) for n, t in zip(node.children, target.children, strict=True))
        return Node(node.kind, None, kids)
    return target if target.sigma == 0 else node


def _ordered(found: list[tuple[int, int, Node]], rng: np.random.Generator) -> tuple[Edit, ...]:
    """A round's edits largest first (ties random), positions valid in application order.

    The edits sit in disjoint subtrees, so applying one at ``p`` that changes
    the length by ``delta`` shifts exactly the pending edits starting after ``p``.
    """
    if len(found) > 1:
        rng.shuffle(found)  # the same draws and order as ``rng.permutation(len(found))``
        found.sort(key=lambda e: e[1] + e[2].size, reverse=True)  # stable: ties stay shuffled
    positions = [pos for pos, _, _ in found]
    for k, (_, old_size, new) in enumerate(found):
        delta = new.size - old_size
        if delta:
            p = positions[k]
            for j in range(k + 1, len(found)):
                if positions[j] > p:
                    positions[j] += delta
    return tuple(Edit(p, new) for p, (_, _, new) in zip(positions, found, strict=True))
