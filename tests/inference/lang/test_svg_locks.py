"""What a lock keeps in TinySVG: its values and its place within every arrangement and
move above it (the directions, gaps and offsets of its ancestors are protected)."""

import numpy as np
import pytest

from inference.lang.grammar import TINYSVG
from inference.lang.lock_rules import chain, follow, hand_edit_conflicts, protected_positions
from inference.lang.locks import shift_for_edit
from inference.lang.random_trees import random_tree
from inference.lang.syntax import parse, to_text
from inference.lang.tree import node_at, replace_at, walk
from inference.search.proposers import RandomMutationProposer
from inference.targets.drawing_target import DrawingTarget

PROGRAM = (
    "(Arrange h (Rectangle 4 4 blue none 0) (Move (Ellipse 3 3 red none 0) 2 1 false false) 3)"
)


def _pos(program, text):
    [pos] = [p for p, node in walk(program) if to_text(node) == text]
    return pos


def _texts(program, positions):
    return sorted(to_text(node_at(program, p)) for p in positions)


def test_a_locked_shape_protects_the_values_of_the_operations_above_it():
    program = parse(PROGRAM, grammar=TINYSVG)
    ellipse = _pos(program, "(Ellipse 3 3 red none 0)")
    move = _pos(program, "(Move (Ellipse 3 3 red none 0) 2 1 false false)")
    guarded = protected_positions(program, [ellipse])
    arrange_leaves = {program.child_offsets()[0], program.child_offsets()[-1]}  # "h", gap 3
    move_leaves = {move + o for o in node_at(program, move).child_offsets()[1:]}
    assert arrange_leaves | move_leaves <= guarded
    assert _texts(program, move_leaves) == ["1", "2", "false", "false"]
    # the other shape stays editable, and so do the locked shape's own values (they
    # are inside it: protected for automatic edits, the user's for hand edits)
    rectangle = _pos(program, "(Rectangle 4 4 blue none 0)")
    assert not any(rectangle <= p < rectangle + node_at(program, rectangle).size for p in guarded)
    assert chain(program, ellipse) == (("Arrange h 3", 2), ("Move 2 1 false false", 0))


@pytest.mark.parametrize(
    ("leaf", "value", "conflict"),
    [
        ("gap", 5, True),  # the Arrange above the locked ellipse
        ("dir", "v", True),
        ("move-x", 7, True),  # the Move above it
        ("rect-fill", "green", False),  # another shape
        ("ellipse-fill", "green", False),  # the locked shape itself: the user's to edit
    ],
)
def test_hand_edits_above_a_locked_shape_are_refused(leaf, value, conflict):
    program = parse(PROGRAM, grammar=TINYSVG)
    ellipse = _pos(program, "(Ellipse 3 3 red none 0)")
    move = _pos(program, "(Move (Ellipse 3 3 red none 0) 2 1 false false)")
    rectangle = _pos(program, "(Rectangle 4 4 blue none 0)")
    pos = {
        "gap": program.child_offsets()[-1],
        "dir": program.child_offsets()[0],
        "move-x": move + node_at(program, move).child_offsets()[1],
        "rect-fill": rectangle + node_at(program, rectangle).child_offsets()[2],
        "ellipse-fill": ellipse + node_at(program, ellipse).child_offsets()[2],
    }[leaf]
    old = node_at(program, pos)
    after = replace_at(program, pos, type(old)(old.kind, value))
    assert to_text(after) != to_text(program)
    assert bool(hand_edit_conflicts(program, [ellipse], pos, after)) is conflict


def test_random_mutations_keep_every_tinysvg_lock():
    rng = np.random.default_rng(17)
    proposer = RandomMutationProposer()
    checked = 0
    for _ in range(60):
        program = random_tree(TINYSVG, rng, int(rng.integers(2, 5)))
        shapes = [p for p, n in walk(program) if n.kind in ("Rectangle", "Ellipse")]
        lock = int(rng.choice(shapes))
        target = DrawingTarget.of(random_tree(TINYSVG, rng, 2))
        [proposals] = proposer.propose(target, [program], 6, rng, [frozenset([lock])])
        for prop in proposals:
            after = prop.edit.apply(program)
            old_size = node_at(program, prop.edit.pos).size
            [moved] = shift_for_edit(frozenset([lock]), prop.edit, old_size)
            assert follow(program, lock, after) == moved
            checked += 1
    assert checked > 200
