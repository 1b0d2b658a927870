"""Tree edit paths from a start program to a target (DESIGN.md §2, "Training target").

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
  random shape with exactly 2 primitives, first moved toward the target with
  σ = 0 changes only: walked against the target subtree like above, every
  mismatched leaf takes the target's value; mismatched shapes stay random.
  This happens inside the one edit (as in the original code); later rounds
  finish the job.

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
so after ``height(target) + 1`` rounds none are left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.lang.edits import Edit
from inference.lang.tree import Node
from inference.noise.mutations import SMALL_SIGMA, replace_node
from inference.noise.random_programs import random_shape


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
    # height(target) + 1 rounds suffice (module docstring); target.size bounds that cheaply.
    for _ in range(target.size):
        if current == target:
            return rounds
        found: list[tuple[int, int, Node]] = []
        after = _diff(current, target, 0, rng, found)
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


def _diff(src: Node, tgt: Node, pos: int, rng: np.random.Generator, out: list) -> Node:
    """Collect one round's edits below ``src`` into ``out``; return ``src`` with them applied.

    Edits are ``(position, tokens replaced, replacement)``, found in token order.
    """
    if src == tgt:
        return src
    if src.same_production(tgt):  # an inner node: equal leaves were caught above
        offsets = src.child_offsets()
        kids = [
            _diff(s, t, pos + off, rng, out)
            for off, s, t in zip(offsets, src.children, tgt.children, strict=True)
        ]
        return Node(src.kind, None, tuple(kids))
    if tgt.sigma <= SMALL_SIGMA:
        new = tgt
    else:
        new = approach(random_shape(rng, SMALL_SIGMA), tgt)
    out.append((pos, src.size, new))
    return new


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
