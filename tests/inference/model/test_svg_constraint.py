"""Constrained decoding of TinySVG edits, driven by random allowed choices (no network)."""

from types import SimpleNamespace

import numpy as np
import pytest

from inference.lang.edits import Edit
from inference.lang.grammar import TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.tinysvg import DRAWING, arrange, ellipse, move, rectangle
from inference.lang.tree import node_at, replace_at, walk
from inference.model.grammar_constraint import EditConstraint, automaton, random_constrained_edit
from inference.model.model_batches import allowed_masks, encode_training_batch
from inference.model.tokens import TINYSVG_VOCAB as V

SMALL = TINYSVG.small_subtree_kinds  # Rectangle, Ellipse, Move


def small_count(node) -> int:
    return sum(n.kind in SMALL for _, n in walk(node))


def programs(seed: int, count: int):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        p = random_tree(TINYSVG, rng, int(rng.integers(1, 7)))
        if p.size <= V.max_tokens - V.max_replacement_tokens:
            out.append(p)
    return out


def test_automaton_tables():
    a = automaton(V)
    drawing = a.open_symbol[DRAWING]
    assert a.min_len[drawing] == 8  # a rectangle or an ellipse
    extras = [e for e, _ in a.head_masks[drawing + 1]]
    assert extras == [13, 7, 0]  # arrange, move, the primitives


@pytest.mark.parametrize("seed", range(4))
def test_random_edits_are_valid_small_and_not_noops(seed):
    rng = np.random.default_rng(100 + seed)
    kinds = set()
    for program in programs(seed, 25):
        for _ in range(8):
            pos, replacement = random_constrained_edit(program, rng)
            slot = node_at(program, pos)
            assert replacement.nonterminal == slot.nonterminal
            assert replacement != slot
            assert replacement.size <= V.max_replacement_tokens
            assert small_count(replacement) <= 2
            edited = replace_at(program, pos, replacement)
            assert V.decode_program(V.encode_program(edited)) == edited
            kinds.add(replacement.kind)
    assert {"Rectangle", "Ellipse", "Arrange", "Move", "Digit", "Colour", "Dir", "Flag"} <= kinds


def test_pos_only_at_node_starts_and_eos_only_when_complete():
    program = arrange("v", move(rectangle(2, 3, "red"), 1, 1), ellipse(4, 4, "blue"), 2)
    c = EditConstraint(program)
    mask = c.start().mask()
    starts = {p for p, _ in walk(program)}
    assert set(np.flatnonzero(mask) - V.pos_base) == starts == set(c.positions)
    rng = np.random.default_rng(0)
    for _ in range(200):
        state = c.start()
        while not state.done:
            allowed = state.allowed_ids()
            if state.pos is not None and len(state.ids) > 1:
                # <EOS> comes exactly when the ids so far make a whole replacement
                try:
                    V.decode_edit([*state.ids, V.eos])
                    complete = True
                except ValueError:
                    complete = False
                assert (V.eos in allowed) == complete
                if complete:
                    assert list(allowed) == [V.eos]
            state.advance(int(allowed[rng.integers(len(allowed))]))
        assert state.edit()[0] in starts


def test_budget_and_locks():
    program = arrange("h", rectangle(2, 3, "red"), ellipse(4, 4, "blue"), 1)
    ell = next(p for p, n in walk(program) if n.kind == "Ellipse")
    c = EditConstraint(program, [ell])
    assert ell not in c.positions and 0 not in c.positions  # the lock and its ancestor
    assert ell + 2 not in c.positions  # inside the locked node
    assert 1 + 2 in c.positions  # the rectangle
    tight = EditConstraint(program, max_replacement_tokens=8)
    rng = np.random.default_rng(1)
    for _ in range(100):
        pos, rep = tight.random_edit(rng)
        assert rep.size <= 8 and rep.kind not in ("Arrange", "Move")
    full = EditConstraint(program, max_program_tokens=program.size)
    for _ in range(100):
        pos, rep = full.random_edit(rng)
        assert replace_at(program, pos, rep).size <= program.size


def test_training_masks_allow_exactly_the_decoders_choices():
    rng = np.random.default_rng(5)
    examples = []
    for program in programs(9, 6):
        pos, rep = random_constrained_edit(program, rng)
        image = rng.random((64, 64, 3)).astype(np.float32)
        examples.append(
            SimpleNamespace(target_image=image, current=program, edit=Edit(pos, rep), remaining=2)
        )
    batch = encode_training_batch(examples)
    assert batch["images"].shape[1] == 9
    allowed, targets = batch["allowed"], batch["targets"]
    t = targets.shape[1]
    assert allowed.shape == (len(examples), t, V.pos_base + t)
    for b, ex in enumerate(examples):
        state = EditConstraint(ex.current, forbid_noop=True).start()
        for row in np.flatnonzero(targets[b] >= 0):
            want = state.mask()
            assert np.array_equal(allowed[b, row, : V.pos_base], want[: V.pos_base])
            assert np.array_equal(allowed[b, row, V.pos_base :], want[V.pos_base : V.pos_base + t])
            assert allowed[b, row, targets[b, row]]
            state.advance(int(targets[b, row]))
        assert state.done
    with pytest.raises(ValueError):
        bad = SimpleNamespace(**{**vars(examples[0]), "edit": Edit(0, examples[0].current)})
        allowed_masks([bad], [V.encode_example(bad.current, 0, bad.current)], t)
