"""Constrained batched decoding of edits with a real (fake-weight) ONNX policy."""

import numpy as np
import pytest
from PIL import Image

from inference.lang.edits import Edit
from inference.lang.syntax import parse, to_text
from inference.lang.tree import circle, node_at, num, walk
from inference.model import model_batches
from inference.model.decoding import (
    evaluate_values,
    greedy_edit,
    masked_log_softmax,
    sample_edits,
    top_edits,
)
from inference.model.grammar_constraint import EditConstraint
from inference.model.onnx_model import PolicyModel
from inference.model.tokens import MAX_REPLACEMENT_TOKENS, VOCAB_SIZE, encode_edit
from inference.noise.random_programs import random_shape
from inference.render.raster import render
from inference.targets import target_images
from tests.fake_policy import build_fake_policy


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> PolicyModel:
    path = tmp_path_factory.mktemp("model") / "fake.onnx"
    build_fake_policy(path, seed=3)
    return PolicyModel.load(path, intra_op_threads=1)


def _problem(seed: int, n_programs: int, size: int):
    rng = np.random.default_rng(seed)
    target = render(random_shape(rng, 4), size)
    programs = [random_shape(rng, int(rng.integers(1, 9))) for _ in range(n_programs)]
    return target, programs


def _random_locks(program, rng) -> list[int]:
    nodes = [p for p, _ in walk(program)]
    return sorted(int(p) for p in rng.choice(nodes, size=min(2, len(nodes)), replace=False))


def _teacher_forced(model, target, program, edit, locked=(), forbid_noop=True) -> float:
    """The edit's log-probability from ONE forward over the whole sequence (the oracle)."""
    ids = encode_edit(edit.pos, edit.replacement)
    inputs = model_batches.encode_batch([(target, program, ids)])
    tok, pos, _ = model.run(inputs)
    start = int(inputs["prefix_len"][0]) - 1
    state = EditConstraint(program, locked, forbid_noop=forbid_noop).start()
    total = 0.0
    for j, t in enumerate(ids):
        full = np.concatenate([tok[0, start + j], pos[0, start + j]])[:VOCAB_SIZE]
        full = np.pad(full, (0, VOCAB_SIZE - len(full)), constant_values=-np.inf)
        total += masked_log_softmax(full, state.mask())[t]
        state.advance(t)
    return total


def _spans_overlap(a_pos, a_node, b_pos, b_node) -> bool:
    return a_pos < b_pos + b_node.size and b_pos < a_pos + a_node.size


def test_thousands_of_samples_are_valid_edits_that_respect_locks(model):
    target, programs = _problem(0, 60, model.image_size)
    rng = np.random.default_rng(1)
    locked = [_random_locks(p, rng) for p in programs]
    results = sample_edits(model, target, programs, 40, rng, locked=locked, dedupe=False)
    values = evaluate_values(model, target, programs).values
    count = 0
    for program, locks, proposals, value in zip(programs, locked, results, values, strict=True):
        nodes = dict(walk(program))
        assert len(proposals) == (40 if EditConstraint(program, locks).positions else 0)
        for prop in proposals:
            old = prop.edit.old_node(program)
            prop.edit.apply(program)  # raises if invalid
            assert old.nonterminal == prop.edit.replacement.nonterminal
            assert old != prop.edit.replacement  # forbid_noop
            assert prop.edit.replacement.size <= MAX_REPLACEMENT_TOKENS
            assert not any(_spans_overlap(prop.edit.pos, old, q, nodes[q]) for q in locks)
            assert np.isfinite(prop.logprob) and prop.logprob <= 0.0
            assert prop.value == pytest.approx(float(value), rel=1e-5)
            count += 1
    assert count >= 2000


def test_sampling_is_deterministic_per_seed(model):
    target, programs = _problem(2, 12, model.image_size)
    a = sample_edits(model, target, programs, 5, np.random.default_rng(7))
    b = sample_edits(model, target, programs, 5, np.random.default_rng(7))
    c = sample_edits(model, target, programs, 5, np.random.default_rng(8))
    assert a == b
    assert a != c


def test_reported_logprob_equals_the_teacher_forced_logprob(model):
    target, programs = _problem(3, 6, model.image_size)
    rng = np.random.default_rng(4)
    locked = [_random_locks(p, rng) for p in programs]
    results = sample_edits(model, target, programs, 4, rng, temperature=2.0, locked=locked)
    checked = 0
    for program, locks, proposals in zip(programs, locked, results, strict=True):
        for prop in proposals:
            expected = _teacher_forced(model, target, program, prop.edit, locks)
            assert prop.logprob == pytest.approx(expected, abs=1e-4)
            checked += 1
    assert checked >= 10


def test_dedupe_returns_distinct_edits(model):
    target, programs = _problem(5, 4, model.image_size)
    results = sample_edits(model, target, programs, 30, np.random.default_rng(0))
    for proposals in results:
        edits = [p.edit for p in proposals]
        assert len(set(edits)) == len(edits)
        assert 1 <= len(edits) <= 30


def test_tiny_temperature_and_greedy_agree_with_greedy_edit(model):
    target, programs = _problem(6, 5, model.image_size)
    greedy = sample_edits(model, target, programs, 3, np.random.default_rng(0), greedy=True)
    cold = sample_edits(model, target, programs, 3, np.random.default_rng(0), temperature=1e-4)
    for program, g, c in zip(programs, greedy, cold, strict=True):
        single = greedy_edit(model, target, program)
        assert [p.edit for p in g] == [single.edit]  # three identical samples, deduplicated
        assert {p.edit for p in c} == {single.edit}
        assert g[0].logprob == pytest.approx(single.logprob, abs=1e-9)


def test_batch_of_one_and_batch_of_many_agree(model):
    target, programs = _problem(7, 20, model.image_size)
    together = sample_edits(model, target, programs, 1, np.random.default_rng(0), greedy=True)
    for program, batched in zip(programs[:5], together[:5], strict=True):
        alone = sample_edits(model, target, [program], 1, np.random.default_rng(0), greedy=True)
        assert alone[0][0].edit == batched[0].edit
        assert alone[0][0].logprob == pytest.approx(batched[0].logprob, abs=1e-4)
        assert alone[0][0].value == pytest.approx(batched[0].value, abs=1e-5)


def test_prefix_evaluation_values_and_pointer_logprobs(model):
    target, programs = _problem(8, 7, model.image_size)
    ev = evaluate_values(model, target, programs)
    assert ev.values.shape == (7,) and np.isfinite(ev.values).all()
    for program, lp in zip(programs, ev.pos_logprobs, strict=True):
        starts = {p for p, _ in walk(program)}
        assert lp.shape == (program.size,)
        assert {int(k) for k in np.flatnonzero(np.isfinite(lp))} == starts
        assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-9)
    again = sample_edits(model, target, programs, 4, np.random.default_rng(3), prefix=ev)
    assert again == sample_edits(model, target, programs, 4, np.random.default_rng(3))
    assert top_edits(
        model, target, programs[0], 3, prefix=evaluate_values(model, target, programs[:1])
    ) == top_edits(model, target, programs[0], 3)
    with pytest.raises(ValueError, match="other programs"):
        sample_edits(model, target, programs[1:], 4, np.random.default_rng(3), prefix=ev)


def test_top_edits_are_distinct_sorted_and_valid(model):
    target, programs = _problem(9, 4, model.image_size)
    for program in programs:
        props = top_edits(model, target, program, 8)
        assert len(props) == 8
        assert len({p.edit for p in props}) == 8
        scores = [p.logprob for p in props]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] >= greedy_edit(model, target, program).logprob - 1e-9
        for prop in props:
            prop.edit.apply(program)
            expected = _teacher_forced(model, target, program, prop.edit)
            assert prop.logprob == pytest.approx(expected, abs=1e-4)


def test_top_edits_is_exact_when_all_edits_can_be_listed(model):
    # Locking the radius leaves only x and y editable: 2 × 15 one-value edits.
    program = circle(3, 4, 5)
    target = render(circle(6, 8, 8), model.image_size)
    every = [Edit(p, num(v)) for p in (3, 4) for v in range(16) if num(v) != node_at(program, p)]
    assert len(every) == 30
    scored = sorted(every, key=lambda e: -_teacher_forced(model, target, program, e, [2]))
    props = top_edits(model, target, program, 6, locked=[2])
    assert [p.edit for p in props] == scored[:6]
    assert len(top_edits(model, target, program, 100, locked=[2])) == 30


def test_nothing_editable_gives_no_proposals(model):
    program = circle(3, 4, 5)
    target = render(program, model.image_size)
    rng = np.random.default_rng(0)
    assert sample_edits(model, target, [program], 3, rng, locked=[[0]]) == [[]]
    assert top_edits(model, target, program, 3, locked=[0]) == []
    assert greedy_edit(model, target, program, locked=[0]) is None


def test_bad_arguments_are_refused(model):
    program = circle(3, 4, 5)
    target = render(program, model.image_size)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="temperature"):
        sample_edits(model, target, [program], 1, rng, temperature=0.0)
    with pytest.raises(ValueError, match="2-D"):
        sample_edits(model, np.zeros((2, 64, 64), bool), [program], 1, rng)
    with pytest.raises(ValueError, match="locked"):
        sample_edits(model, target, [program], 1, rng, locked=[[], []])


def test_targets_of_any_size_are_brought_to_the_model_size(model, refset_dir):
    big = render(circle(6, 8, 8), 128)
    program = circle(3, 4, 5)
    direct = top_edits(model, target_images.target_mask(big, model.image_size), program, 3)
    assert top_edits(model, big, program, 3) == direct
    png = np.asarray(Image.open(refset_dir / "ref1000_0000.png"))  # 8-bit, 255 = inside
    assert png.dtype == np.uint8 and png.shape != (model.image_size,) * 2
    proposals = sample_edits(model, png, [program], 4, np.random.default_rng(0))[0]
    small = target_images.target_mask(png, model.image_size)
    assert proposals == sample_edits(model, small, [program], 4, np.random.default_rng(0))[0]
    children = [p.edit.apply(program) for p in proposals]
    assert proposals and len({p.edit for p in proposals}) == len(proposals)  # up to 4, distinct
    assert program not in children  # every edit changes the program
    assert all(parse(to_text(child)) == child for child in children)  # well-formed programs


def test_masked_log_softmax_is_safe_with_extreme_and_missing_logits():
    logits = np.array(
        [
            [1e30, -1e30, 3.0, np.nan, np.inf, 0.0],
            [np.nan, np.nan, -np.inf, 5.0, 1.0, 2.0],
            [1e4, 1e4 - 1, -1e4, 0.0, 0.0, 0.0],
        ]
    )
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0]], bool)
    lp = masked_log_softmax(logits, mask)
    assert not np.isnan(lp).any()
    assert np.all(lp[~mask] == -np.inf)
    assert np.allclose(np.exp(lp).sum(axis=1), 1.0)
    assert lp[0, 0] == 0.0  # 1e30 dominates
    assert np.allclose(np.exp(lp[1, :3]), 1 / 3)  # nothing finite allowed: uniform
    assert lp[2, 1] == pytest.approx(-1 - np.log1p(np.exp(-1)))


def test_huge_logits_still_give_finite_logprobs(tmp_path):
    build_fake_policy(tmp_path / "hot.onnx", seed=5, scale=1e4)
    model = PolicyModel.load(tmp_path / "hot.onnx")
    target, programs = _problem(10, 8, model.image_size)
    results = sample_edits(model, target, programs, 5, np.random.default_rng(0))
    logprobs = [p.logprob for props in results for p in props]
    assert logprobs and all(np.isfinite(x) and x <= 0.0 for x in logprobs)


def test_one_edit_at_batch_one_is_one_legal_edit(model):
    """Propose's call (its speed is measured by inference.benchmarks.proposal_latency)."""
    target, programs = _problem(11, 1, model.image_size)
    (proposals,) = sample_edits(model, target, programs, 1, np.random.default_rng(0))
    assert len(proposals) == 1
    edited = proposals[0].edit.apply(programs[0])
    assert edited != programs[0] and parse(to_text(edited)) == edited
