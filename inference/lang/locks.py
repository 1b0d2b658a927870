"""Locked positions and how they move when the program is edited (no Qt).

A lock is the token position of a node that keeps its place in the picture
(:mod:`inference.lang.lock_rules`): no automatic edit changes the node, anything
inside it, an ancestor of it or the operator of an ancestor, so a locked hole
stays a hole.  The user may still edit a locked node by hand, but not what
lies above it (the tree panel refuses such an edit and asks to unlock first).
Positions are first-token indices, so every edit moves the locks behind it:

* an edit at ``pos`` replacing a node of ``old_size`` tokens by one of
  ``new_size`` shifts every lock after ``pos + old_size`` by
  ``new_size - old_size``;
* locks strictly inside the replaced span are gone with the old subtree,
  unless the edit says where that part of the old subtree moved (``moved``:
  wrap and duplicate move the whole node two tokens right, delete moves the
  surviving sibling up to its parent's position);
* a lock at ``pos`` itself stays (the slot stays locked).

:func:`diff_edit` turns two programs into the single smallest edit between
them, and :func:`relocate_locks` carries locks across it by finding the
locked subtrees again, at the same chain (path from the root) first; the
editor uses both to record a search result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from inference.lang.edits import Edit
from inference.lang.lock_rules import follow
from inference.lang.tree import Node, node_at, walk

Moved = tuple[int, int, int]
"""``(lo, hi, new_lo)``: old positions in ``[lo, hi)`` now start at ``p - lo + new_lo``."""


def shift_locks(
    locked: Iterable[int],
    pos: int,
    old_size: int,
    new_size: int,
    moved: Sequence[Moved] = (),
) -> frozenset[int]:
    """Lock positions after replacing the ``old_size``-token node at ``pos``."""
    end = pos + old_size
    out = set()
    for p in locked:
        target = next((p - lo + new_lo for lo, hi, new_lo in moved if lo <= p < hi), None)
        if target is not None:
            out.add(target)
        elif p < pos or p == pos:
            out.add(p)
        elif p >= end:
            out.add(p + new_size - old_size)
    return frozenset(out)


def shift_for_edit(locked: Iterable[int], edit: Edit, old_size: int) -> frozenset[int]:
    """:func:`shift_locks` for ``edit``, which replaced a node of ``old_size`` tokens (an
    automatic edit never touches a locked node, so every lock keeps its node)."""
    return shift_locks(locked, edit.pos, old_size, edit.replacement.size)


def valid_locks(program: Node, locked: Iterable[int]) -> frozenset[int]:
    """The subset of ``locked`` that are node starts of ``program``."""
    starts = {p for p, _ in walk(program)}
    return frozenset(p for p in locked if p in starts)


def diff_edit(old: Node, new: Node) -> Edit | None:
    """The smallest single edit turning ``old`` into ``new``; ``None`` when equal.

    Walks both trees together while they use the same production and differ
    in exactly one child; the first node where that fails is replaced whole.
    """
    if old == new:
        return None
    pos = 0
    while old.children and old.same_production(new):
        pairs = zip(old.children, new.children, strict=True)
        differ = [i for i, (a, b) in enumerate(pairs) if a != b]
        if len(differ) != 1:
            break
        # the children before i are equal, so child i starts at the same token in both
        i = differ[0]
        pos += old.child_offsets()[i]
        old, new = old.children[i], new.children[i]
    return Edit(pos, new)


def relocate_locks(program: Node, locked: Iterable[int], edit: Edit) -> frozenset[int]:
    """Locks after ``edit`` when its replacement still contains the locked subtrees.

    Locks outside the replaced span move as in :func:`shift_locks`.  Each
    locked node inside the span is looked up in the edited program: first at
    its old chain (:func:`inference.lang.lock_rules.follow`: the same path, the same
    operators and an equal subtree, which is where a search result that kept
    its locks has it, even when a copy of it turned up elsewhere); failing that
    (a program typed by hand), the first equal subtree of the replacement in
    token order not taken yet.  One that is no longer there is dropped.
    """
    old = node_at(program, edit.pos)
    end = edit.pos + old.size
    inner = sorted(p for p in locked if edit.pos <= p < end)
    outer = [p for p in locked if not edit.pos <= p < end]
    result = set(shift_locks(outer, edit.pos, old.size, edit.replacement.size))
    after = edit.apply(program)
    lost = []
    for p in inner:
        q = follow(program, p, after)
        if q is not None and edit.pos <= q < edit.pos + edit.replacement.size:
            result.add(q)
        else:
            lost.append(p)
    candidates = [(q, n) for q, n in walk(edit.replacement, edit.pos) if q not in result]
    start = 0
    for p in lost:
        wanted = node_at(program, p)
        for j in range(start, len(candidates)):
            q, node = candidates[j]
            if node == wanted:
                result.add(q)
                start = j + 1
                break
    return frozenset(result)
