"""Tests for the goal score and for loading target images."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from inference.files.images import ImageError, load_target, png_bytes, save_png
from inference.targets.score import (
    SOLVE_THRESHOLD,
    goal_score,
    goal_score_packed,
    goal_scores,
    goal_scores_packed,
    is_solved,
)


def _refset_png(refset_dir, index=0):
    return refset_dir / f"ref1000_{index:04d}.png"


# ----- goal score -------------------------------------------------------------


def test_hand_computed_example():
    a = np.array([[1, 1], [0, 0]], dtype=bool)
    b = np.array([[1, 0], [0, 0]], dtype=bool)
    # foreground IoU 1/2, background IoU 2/3
    assert goal_score(a, b) == pytest.approx((1 / 2 + 2 / 3) / 2, abs=1e-15)
    assert goal_score_packed(0b0011, 0b0001, 4) == pytest.approx((1 / 2 + 2 / 3) / 2, abs=1e-15)


def test_identical_and_empty_and_full():
    rng = np.random.default_rng(1)
    mask = rng.random((32, 32)) < 0.3
    assert goal_score(mask, mask) == 1.0
    empty = np.zeros((16, 16), bool)
    assert goal_score(empty, empty) == 1.0
    assert goal_score(~empty, ~empty) == 1.0


def test_complement_scores_zero_and_inverted_target_is_not_a_match(refset_dir):
    rng = np.random.default_rng(2)
    mask = rng.random((32, 32)) < 0.5
    assert goal_score(mask, ~mask) == 0.0
    target = np.asarray(Image.open(_refset_png(refset_dir)))
    inverted = 255 - target
    assert goal_score(inverted, target) == 0.0
    assert not is_solved(goal_score(inverted, target))


def test_binarization_scales():
    floats = np.array([[0.49, 0.5]], dtype=np.float32)
    bytes_ = np.array([[127, 128]], dtype=np.uint8)
    expected = np.array([[False, True]])
    assert goal_score(floats, expected) == 1.0
    assert goal_score(bytes_, expected) == 1.0


def test_threshold_is_strict():
    assert SOLVE_THRESHOLD == 0.98
    assert not is_solved(0.98) and is_solved(0.9800001)


def test_batched_scores_match_single_scores():
    rng = np.random.default_rng(3)
    target = rng.random((24, 24)) < 0.4
    batch = rng.random((7, 24, 24)) < 0.4
    batch[0] = target
    batch[1] = False
    expected = [goal_score(img, target) for img in batch]
    assert np.allclose(goal_scores(batch, target), expected, atol=1e-12)
    assert goal_scores(batch, target)[0] == 1.0
    packed = [int.from_bytes(np.packbits(m, bitorder="little").tobytes(), "little") for m in batch]
    tbits = int.from_bytes(np.packbits(target, bitorder="little").tobytes(), "little")
    assert np.allclose(goal_scores_packed(packed, tbits, target.size), expected, atol=1e-12)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError):
        goal_score(np.zeros((4, 4), bool), np.zeros((5, 5), bool))


# ----- images -----------------------------------------------------------------


def test_refset_png_round_trips(refset_dir, tmp_path):
    path = _refset_png(refset_dir, 3)
    raw = np.asarray(Image.open(path))
    target = load_target(path, 128)
    assert target.dtype == np.float32 and target.shape == (128, 128)
    assert np.array_equal(target, raw / np.float32(255))
    save_png(target >= 0.5, tmp_path / "out.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png")), raw)
    assert png_bytes(target) == (tmp_path / "out.png").read_bytes()


def test_black_ink_and_transparency(refset_dir):
    raw = np.asarray(Image.open(_refset_png(refset_dir, 1)))
    sketch = Image.fromarray(255 - raw)  # black ink on white paper
    buf = io.BytesIO()
    sketch.save(buf, format="PNG")
    assert goal_score(load_target(buf.getvalue(), 128, ink="black"), raw) == 1.0
    # Ink drawn on a fully transparent canvas: transparency is background.
    rgba = np.zeros((128, 128, 4), np.uint8)
    rgba[..., 3] = raw
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    assert goal_score(load_target(buf.getvalue(), 128, ink="black"), raw) == 1.0


def test_large_image_is_downscaled_and_non_square_is_centred(refset_dir):
    raw = np.asarray(Image.open(_refset_png(refset_dir, 2)))
    big = np.kron(raw, np.ones((16, 16), np.uint8))  # 2048 x 2048
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format="PNG")
    assert goal_score(load_target(buf.getvalue(), 128), raw) > 0.99
    wide = np.zeros((64, 128), np.uint8)
    wide[:, 64:] = 255  # right half of a 2:1 image
    buf = io.BytesIO()
    Image.fromarray(wide).save(buf, format="PNG")
    square = load_target(buf.getvalue(), 64) >= 0.5
    assert not square[:16].any() and not square[48:].any()
    assert square[16:48, 32:].all() and not square[16:48, :32].any()


def _png_header_only(width, height):
    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def test_bad_files_raise_image_error(refset_dir, tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image at all")
    (tmp_path / "cut.png").write_bytes(_refset_png(refset_dir).read_bytes()[:400])
    for name in ("empty.png", "text.png", "cut.png", "missing.png"):
        with pytest.raises(ImageError):
            load_target(tmp_path / name)
    with pytest.raises(ImageError, match="pixels"):
        load_target(_png_header_only(8_000, 8_000))
    with pytest.raises(ValueError):
        load_target(_refset_png(refset_dir), ink="red")
