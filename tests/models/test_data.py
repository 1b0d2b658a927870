"""The training-data stream: curriculum, seeding, held-out examples and batch contents."""

import dataclasses
import itertools

import numpy as np
import pytest
import torch

from inference.model.token_features import FEATURE_DIM
from inference.render.raster import render
from models.data import (
    CURRICULUM,
    HELDOUT_STAGE,
    DataConfig,
    draw_example,
    heldout_examples,
    make_loader,
)

SMALL = DataConfig(seed=7, batch_size=6)


def first_batches(loader, n=2):
    return list(itertools.islice(iter(loader), n))


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_batch_contents():
    (batch,) = first_batches(make_loader(SMALL, 0), 1)
    b, t = batch["tokens"].shape
    assert b == 6
    assert batch["images"].shape == (6, 3, 64, 64) and batch["images"].dtype == torch.float32
    assert batch["feats"].shape == (6, t, FEATURE_DIM) and batch["feats"].dtype == torch.float32
    assert batch["tokens"].dtype == batch["prefix_len"].dtype == batch["targets"].dtype
    assert batch["targets"].shape == (6, t) and batch["targets"].dtype == torch.int64
    assert batch["value_targets"].dtype == torch.float32 and (batch["value_targets"] >= 1).all()
    assert set(batch["images"].unique().tolist()) <= {0.0, 1.0}  # filled: binary planes


def test_same_seed_same_batches_and_other_seeds_differ():
    a = first_batches(make_loader(SMALL, 0))
    b = first_batches(make_loader(SMALL, 0))
    c = first_batches(make_loader(DataConfig(seed=8, batch_size=6), 0))
    d = first_batches(make_loader(SMALL, 0, shard=1))
    assert all(same(x, y) for x, y in zip(a, b, strict=True))
    assert not same(a[0], c[0]) and not same(a[0], d[0]) and not same(a[0], a[1])


def test_workers_are_seeded_by_id():
    # Two workers alternate; worker 0 draws the same stream as an in-process loader.
    inproc = first_batches(make_loader(SMALL, 0), 1)
    twice = [first_batches(make_loader(SMALL, 2), 2) for _ in range(2)]
    assert all(same(x, y) for x, y in zip(*twice, strict=True))
    assert same(twice[0][0], inproc[0]) and not same(twice[0][0], twice[0][1])


def test_curriculum_stages():
    easy = SMALL.for_stage(0)
    assert easy.stage == 0 and easy.target_primitives == CURRICULUM[0].target_primitives
    assert DataConfig() == DataConfig().for_stage(len(CURRICULUM) - 1)
    rng = np.random.default_rng(0)
    low, high = easy.target_primitives
    assert all(low <= draw_example(rng, easy).target.sigma <= high for _ in range(30))
    with pytest.raises(ValueError):
        SMALL.for_stage(len(CURRICULUM))
    with pytest.raises(ValueError):
        DataConfig(modality="photo")


def test_heldout_examples_are_fixed_and_disjoint():
    first = heldout_examples(3, 8, SMALL)
    again = heldout_examples(3, 4, DataConfig(seed=99, batch_size=6))
    assert [(e.target, e.current, e.edit) for e in first[:4]] == [
        (e.target, e.current, e.edit) for e in again
    ]
    other = heldout_examples(4, 8, SMALL)
    assert {e.target for e in first}.isdisjoint({e.target for e in other})
    # The training stream of the same seed draws other targets.
    train = np.random.default_rng([3, SMALL.stage, 0, 0])
    trained = {draw_example(train, SMALL).target for _ in range(40)}
    assert trained.isdisjoint({e.target for e in first})
    assert HELDOUT_STAGE >= len(CURRICULUM)


def test_sketch_modality():
    config = DataConfig(seed=1, batch_size=3, modality="sketch")
    (batch,) = first_batches(make_loader(config, 0), 1)
    ink = batch["images"][:, 0]
    assert ((ink > 0) & (ink < 1)).any()  # anti-aliased strokes, kept as float
    assert torch.allclose(batch["images"][:, 2], (ink - batch["images"][:, 1]).abs())
    example = draw_example(np.random.default_rng(2), config)
    assert example.target_image.dtype == np.float32
    assert np.array_equal(example.current_image, render(example.current, 64))


def test_mixed_modality_draws_both_kinds_in_the_given_share():
    config = DataConfig(seed=1, modality="mixed", sketch_fraction=0.3, stage=0).for_stage(0)
    rng = np.random.default_rng(5)
    kinds = [draw_example(rng, config).target_image.dtype for _ in range(200)]
    sketches = sum(k == np.float32 for k in kinds)
    assert set(kinds) == {np.dtype(bool), np.dtype(np.float32)}
    assert 35 <= sketches <= 85  # 60 expected
    (batch,) = first_batches(make_loader(dataclasses.replace(config, batch_size=8), 0), 1)
    assert batch["images"].shape == (8, 3, 64, 64)  # one batch can hold both kinds


def test_sketch_and_drawn_fractions_are_checked():
    with pytest.raises(ValueError, match="sketch_fraction"):
        DataConfig(modality="mixed", sketch_fraction=1.5)
    with pytest.raises(ValueError, match="drawn_fraction"):
        DataConfig(drawn_fraction=-0.1)


def test_drawn_examples_show_a_wobbly_binary_drawing_of_the_target():
    config = DataConfig(seed=1, drawn_fraction=0.5, stage=0).for_stage(0)
    rng = np.random.default_rng(6)
    examples = [draw_example(rng, config) for _ in range(120)]
    drawn = [e for e in examples if not np.array_equal(e.target_image, render(e.target, 64))]
    assert all(e.target_image.dtype == bool for e in examples)  # filled masks, not sketches
    assert 35 <= len(drawn) <= 85  # 60 expected (a few drawings may land exactly)
    for e in drawn:
        exact = render(e.target, 64)
        inter = (e.target_image & exact).sum()
        union = (e.target_image | exact).sum()
        assert union == 0 or inter / union > 0.3  # near the target, not another shape
    from models.train import heldout_batches

    held = heldout_batches(0, 8, dataclasses.replace(config, drawn_fraction=0.2))
    assert set(held) == {"heldout", "heldout_drawn"}  # exact targets, and drawn ones


def test_part_examples_have_cad_like_targets():
    from inference.noise.cad_parts import make_part
    from inference.noise.training_examples import make_example
    from models.data import PART_KINDS_ORDER

    config = DataConfig(seed=2, parts_fraction=1.0)
    for seed in range(6):
        ex = draw_example(np.random.default_rng(seed), config)
        replay = np.random.default_rng(seed)
        assert replay.random() < 1.0  # the coin, then the kind, then the part
        kind = PART_KINDS_ORDER[replay.integers(len(PART_KINDS_ORDER))]
        assert ex.target == make_part(kind, replay)
        assert np.array_equal(ex.target_image, render(ex.target, 64))  # no drawn share asked
        assert ex.remaining >= 1 and ex.current != ex.target
    # without parts the stream is the random-program stream it always was (no coin drawn)
    plain = DataConfig(seed=2)
    ex = draw_example(np.random.default_rng(4), plain)
    again = make_example(
        np.random.default_rng(4), render, 64, plain.rho, plain.target_primitives,
        plain.start_primitives, plain.mutation_steps,
    )  # fmt: skip
    assert ex.target == again.target and ex.current == again.current
    with pytest.raises(ValueError, match="parts_fraction"):
        DataConfig(parts_fraction=2.0)
    from models.train import heldout_batches

    held = heldout_batches(0, 8, dataclasses.replace(config, drawn_fraction=0.2))
    assert set(held) == {"heldout", "heldout_drawn", "heldout_parts"}
