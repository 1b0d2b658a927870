"""Model inputs: program-aligned token features, image planes, target masks and batches."""

import json

import numpy as np
import pytest
from PIL import Image

from inference.lang.syntax import parse
from inference.lang.tree import circle, positions, replace_at
from inference.model.model_batches import encode_batch, encode_training_batch, image_planes
from inference.model.token_features import FEATURE_DIM, FEATURE_NAMES, token_features
from inference.model.tokens import EDIT, EOS, PAD, POS_BASE, encode_example, encode_program, pos_id
from inference.noise.random_programs import random_shape
from inference.noise.training_examples import make_example
from inference.render.raster import rasterizer, render, render_packed
from inference.render.shape_walk import shape_contexts
from inference.targets.sketch import simulate_sketch
from inference.targets.target_images import IMAGE_SIZE, sketch_fill, target_mask

F = {name: i for i, name in enumerate(FEATURE_NAMES)}
FULL = circle(15, 8, 8)  # radius 30 around the canvas centre: covers every pixel
EMPTY = circle(0, 3, 3)


def feature(program, target_program, name, token):
    feats = token_features(parse(program), render(parse(target_program), IMAGE_SIZE))
    return feats[token, F[name]]


def random_programs(seed, count, low=1, high=8):
    rng = np.random.default_rng(seed)
    return [random_shape(rng, int(rng.integers(low, high + 1))) for _ in range(count)]


def test_feature_table():
    assert FEATURE_DIM == len(FEATURE_NAMES) <= 24


def test_features_are_deterministic_and_finite():
    for program, target in zip(random_programs(0, 20), random_programs(1, 20), strict=True):
        a = token_features(program, render(target, 64))
        b = token_features(program, render_packed(target, 64))  # packed target, same result
        assert a.shape == (program.size, FEATURE_DIM) and a.dtype == np.float32
        assert np.array_equal(a, b) and np.isfinite(a).all()


def test_forced_outputs_match_brute_force():
    full = rasterizer(64).full
    assert render_packed(FULL, 64) == full and render_packed(EMPTY, 64) == 0
    for program in random_programs(2, 25, 2, 8):
        contexts = shape_contexts(program, 64)
        assert len(contexts) == 2 * program.sigma - 1
        output = render_packed(program, 64)
        for c in contexts:
            assert c.subtree == render_packed(c.node, 64)
            assert c.full == render_packed(replace_at(program, c.pos, FULL), 64)
            assert c.empty == render_packed(replace_at(program, c.pos, EMPTY), 64)
            assert output == (c.subtree & c.full) | ((full ^ c.subtree) & c.empty)


def test_deletion_gain_flags_the_wrong_primitive():
    # The quad lies outside the target circle: deleting it helps; deleting the circle hurts.
    program = "(+ (Circle 5 8 8) (Quad 13 13 2 2 0))"
    target = "(Circle 5 8 8)"
    for token in range(2, 8):  # ( Circle 5 8 8 )
        assert feature(program, target, "del_gain", token) < 0
        assert feature(program, target, "bad", token) == 0
    for token in range(8, 16):  # ( Quad 13 13 2 2 A0 )
        assert feature(program, target, "del_gain", token) > 0
        assert feature(program, target, "bad", token) == 1
        assert feature(program, target, "inside", token) == 0


def test_subtracted_primitives_remove_ink():
    program = "(- (Circle 6 8 8) (- (Circle 3 8 8) (Circle 1 8 8)))"
    signs = token_features(parse(program), render(parse(program), 64))[:, F["sign"]]
    starts = {2: 1, 8: -1, 10: -1, 16: 1}  # outer circle, inner binop, middle circle, innermost
    for token, sign in starts.items():
        assert signs[token] == sign


@pytest.mark.parametrize(("x", "y", "dx", "dy"), [(9, 8, 1, 0), (5, 8, -1, 0), (7, 10, 0, 1)])
def test_bad_centroid_points_away_from_the_target(x, y, dx, dy):
    # Target (Circle 4 7 8); the program's circle is shifted by (dx, dy): its bad pixels lie on
    # the shifted side and the missing pixels it could grow into on the other side.
    program, target = f"(Circle 4 {x} {y})", "(Circle 4 7 8)"
    for axis, d in (("dx", dx), ("dy", dy)):
        bad = feature(program, target, f"bad_{axis}", 0)
        want = feature(program, target, f"want_{axis}", 0)
        if d:
            assert np.sign(bad) == d and np.sign(want) == -d
        else:
            assert abs(bad) < 0.01 and abs(want) < 0.01


def test_tokens_inherit_their_shape_node():
    program = parse("(+ (Circle 5 8 8) (Quad 4 4 3 3 45))")
    feats = token_features(program, render(parse("(Circle 4 8 8)"), 64))
    node_part = feats[:, : F["start"]]
    for token in (1, 16):  # the operator and the closing parenthesis belong to the binop
        assert np.array_equal(node_part[token], node_part[0])
    for token in range(2, 8):
        assert np.array_equal(node_part[token], node_part[2])
    assert not np.array_equal(node_part[2], node_part[0])
    starts = np.flatnonzero(feats[:, F["start"]])
    assert starts.tolist() == positions(program)
    assert feats[[0, 1, 2, 4, 15, 16], F["depth"]].tolist() == [0, 0.125, 0.125, 0.25, 0.125, 0]


def test_global_features():
    program, target = parse("(Circle 5 8 8)"), parse("(Circle 5 8 8)")
    feats = token_features(program, render(target, 64))
    assert np.allclose(feats[:, F["score"] :], [[1, 1, 1, feats[0, F["area"]]]])


def test_target_mask_agrees_with_render_on_refset(refset_dir):
    problems = [json.loads(line) for line in (refset_dir / "problems.jsonl").open()]
    for problem in problems[:40]:
        image = np.asarray(Image.open(refset_dir / problem["png"]).convert("L"))
        mask = target_mask(image, 64)
        assert mask.shape == (64, 64) and mask.dtype == bool
        assert np.mean(mask == render(parse(problem["program"]), 64)) >= 0.97


def test_target_mask_area_averages():
    image = np.zeros((6, 6))
    image[:, :3] = 1.0
    image[0, 3] = 1.0  # one of nine pixels of the top-right output cell: below half
    assert target_mask(image, 2).tolist() == [[True, False], [True, False]]
    assert target_mask(np.full((5, 7), 255, dtype=np.uint8), 4).all()


def test_image_planes():
    target = render(parse("(Circle 5 8 8)"), 64)
    planes = image_planes(target, parse("(Circle 5 9 8)"), 64)
    assert planes.shape == (3, 64, 64) and planes.dtype == np.float32
    assert np.array_equal(planes[0], target)
    assert np.array_equal(planes[1], render(parse("(Circle 5 9 8)"), 64))
    assert np.array_equal(planes[2], target != planes[1].astype(bool))


def test_sketch_fill_recovers_simulated_sketches():
    for text in ("(Circle 5 8 8)", "(+ (Circle 3 6 6) (Quad 10 10 3 3 45))"):
        program, rng = parse(text), np.random.default_rng(3)
        truth = render(program, 64)
        for _ in range(4):
            filled = sketch_fill(simulate_sketch(program, rng, 64))
            assert (filled & truth).sum() / (filled | truth).sum() > 0.6
    program = parse("(Circle 5 8 8)")
    feats = token_features(program, simulate_sketch(program, rng, 64))  # float: a sketch
    assert feats[0, F["score"]] > 0.8


def test_sketch_fill_keeps_holes_empty():
    # Two closed concentric square outlines: the band between them is inside, the middle not.
    yy, xx = np.mgrid[:64, :64]
    ring = np.maximum(abs(yy - 31.5), abs(xx - 31.5))
    sketch = ((abs(ring - 20) < 1) | (abs(ring - 8) < 1)).astype(np.float32)
    filled = sketch_fill(sketch)
    assert filled[31, 31 - 14] and filled[31 - 14, 31]  # in the band
    assert not filled[31, 31] and not filled[2, 2]  # the hole and the outside


def test_encode_batch_layout():
    programs = [parse("(Circle 5 8 8)"), parse("(+ (Circle 5 8 8) (Quad 4 4 3 3 45))")]
    target = render(parse("(Circle 4 8 8)"), 64)
    edits = [[pos_id(2), 9 + 3], []]
    batch = encode_batch([(target, p, e) for p, e in zip(programs, edits, strict=True)])
    assert batch["images"].shape == (2, 3, 64, 64) and batch["images"].dtype == np.float32
    assert batch["tokens"].dtype == batch["prefix_len"].dtype == np.int64
    assert batch["feats"].shape == (2, 18, FEATURE_DIM) and batch["feats"].dtype == np.float32
    assert batch["prefix_len"].tolist() == [7, 18]
    first = batch["tokens"][0]
    assert first[:6].tolist() == encode_program(programs[0]).tolist()
    assert first[6:9].tolist() == [EDIT, pos_id(2), 12] and (first[9:] == PAD).all()
    assert batch["tokens"][1, 17] == EDIT
    for b, program in enumerate(programs):
        length = program.size
        assert np.array_equal(batch["feats"][b, :length], token_features(program, target))
        assert not batch["feats"][b, length:].any()
        assert np.array_equal(batch["images"][b], image_planes(target, program))


def test_encode_batch_refuses_pointers_past_the_program():
    with pytest.raises(ValueError, match="POS"):
        encode_batch([(render(parse("(Circle 5 8 8)"), 64), parse("(Circle 5 8 8)"), [pos_id(6)])])


def test_training_targets_mark_exactly_the_edit():
    rng = np.random.default_rng(4)
    examples = [make_example(rng, render) for _ in range(12)]
    batch = encode_training_batch(examples)
    width = batch["tokens"].shape[1]
    assert batch["targets"].shape == (12, width) and batch["targets"].dtype == np.int64
    assert batch["value_targets"].tolist() == [ex.remaining for ex in examples]
    for b, ex in enumerate(examples):
        ids, start = encode_example(ex.current, ex.edit.pos, ex.edit.replacement)
        tokens, targets = batch["tokens"][b], batch["targets"][b]
        assert batch["prefix_len"][b] == start
        assert np.array_equal(tokens[: len(ids) - 1], ids[:-1])  # the final <EOS> is not fed
        labelled = np.flatnonzero(targets != -100)
        assert labelled.tolist() == list(range(start - 1, len(ids) - 1))
        assert np.array_equal(targets[labelled], ids[start:])
        assert targets[start - 1] == POS_BASE + ex.edit.pos and targets[len(ids) - 2] == EOS
