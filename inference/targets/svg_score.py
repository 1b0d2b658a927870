"""TinySVG's goal score and a colour-aware IoU (docs/TINYSVG.md).

**Goal score** (the original's).  Both images are read as values in [0, 1]
(``uint8`` data divided by 255; floating-point data as it is).  The score is
the mean, over every pixel and channel, of the log-density of the difference d
under N(0, σ²) with σ = 0.1::

    log_density = L0 − mean(d²) / (2σ²),   L0 = −log(σ·√(2π)) ≈ 1.3836

L0 is the score of identical images, and it is positive (a density above 1 at
0), so "above 0.99 × L0" is a real bar: the goal is reached when
``mean(d²) < 2σ²·0.01·L0 ≈ 2.767e-4``, an RMS difference below 0.0166 (4.2 of
255).  At 224×224 that is a total squared difference below 41.66 full-scale
channel values: 41 channel values flipped from 0 to 1 pass, 42 do not.

**Colour IoU** (for reading numbers; not the goal).  Every pixel is read as
one palette colour painted over white with some coverage (the colour whose
white-to-colour mix is nearest in RGB, ties to the earlier entry of
:data:`PALETTE`); it is foreground of that colour when the coverage is at least
½, else background.  White paint is background.  ``colour_iou = |pixels where
both are foreground of the same colour| / |pixels where either is
foreground|``, and 1.0 when neither has any foreground.
"""

from __future__ import annotations

import math

import numpy as np

from inference.render.svg_scene import COLOURS

SIGMA = 0.1
"""Standard deviation of the per-value normal density."""
GOAL_FRACTION = 0.99
"""The goal is reached when the score exceeds this fraction of the identical-image score."""
IDENTICAL_LOG_DENSITY = -math.log(SIGMA * math.sqrt(2 * math.pi))
"""L0, the score of two identical images (≈ 1.3836)."""
GOAL_LOG_DENSITY = GOAL_FRACTION * IDENTICAL_LOG_DENSITY
"""The bar a score must exceed (≈ 1.3698)."""

PALETTE: tuple[str, ...] = ("white",) + tuple(
    name for name, rgb in COLOURS.items() if rgb is not None and name != "white"
)
"""Colour classes of :func:`colour_iou`; class 0, white, is the background."""
_PALETTE_RGB = np.array([COLOURS[name] for name in PALETTE], dtype=np.int32)
_CHUNK_VALUES = 1 << 22


def _unit(image: np.ndarray) -> np.ndarray:
    """The image as float64 values in [0, 1]: ``uint8`` / 255, floating point as it is."""
    if image.dtype == np.uint8:
        return image / 255.0
    if np.issubdtype(image.dtype, np.floating):
        return image.astype(np.float64)
    raise TypeError(f"expected uint8 (0..255) or float (0..1) images, got {image.dtype}")


def _stack(images, shape: tuple[int, ...]) -> np.ndarray:
    """``images`` as one (N, *shape) array; refuses other shapes."""
    if isinstance(images, np.ndarray):
        stacked = images
    else:
        stacked = (
            np.stack([np.asarray(im) for im in images]) if len(images) else np.zeros((0, *shape))
        )
    if stacked.shape[1:] != shape:
        raise ValueError(f"image shape {stacked.shape[1:]} differs from the target's {shape}")
    return stacked


def _chunk_msd(chunk: np.ndarray, target: np.ndarray) -> np.ndarray:
    if chunk.dtype == np.uint8 and target.dtype == np.uint8:
        # Whole numbers below 2**53: the squares and their sums are exact.
        d = chunk.reshape(len(chunk), -1).astype(np.float64) - target.reshape(1, -1)
        return np.einsum("ij,ij->i", d, d) / (255.0**2 * target.size)
    d = _unit(chunk).reshape(len(chunk), -1) - _unit(target).reshape(1, -1)
    return np.einsum("ij,ij->i", d, d) / target.size


def mean_squared_differences(images, target: np.ndarray) -> np.ndarray:
    """Mean squared difference (on the [0, 1] scale) of each image to the target.

    ``images`` is an (N, *target.shape) array or a sequence of images shaped like
    ``target``.  When both are ``uint8`` the sums are exact.
    """
    target = np.asarray(target)
    images = _stack(images, target.shape)
    out = np.empty(len(images))
    step = max(1, _CHUNK_VALUES // max(target.size, 1))
    for start in range(0, len(images), step):
        out[start : start + step] = _chunk_msd(images[start : start + step], target)
    return out


def goal_log_density_many(images, target: np.ndarray) -> np.ndarray:
    """The goal score of each image against one target, as an (N,) float64 array."""
    return IDENTICAL_LOG_DENSITY - mean_squared_differences(images, target) / (2 * SIGMA**2)


def score_of_total(total: int, values: int) -> float:
    """The goal score as a fraction of identical images' (1 at most) of a sum of squared
    ``uint8`` differences ``total`` over ``values`` channel values."""
    msd = float(total) / (255.0**2 * values)
    return (IDENTICAL_LOG_DENSITY - msd / (2 * SIGMA**2)) / IDENTICAL_LOG_DENSITY


def goal_log_density(image: np.ndarray, target: np.ndarray) -> float:
    """Mean log N(d; 0, σ²) over all pixels and channels, d = image − target in [0, 1]."""
    return float(goal_log_density_many(np.asarray(image)[None], target)[0])


def goal_reached(image: np.ndarray, target: np.ndarray) -> bool:
    """True when the goal score exceeds 0.99 × the identical-image score."""
    return goal_log_density(image, target) > GOAL_LOG_DENSITY


def goal_reached_many(images, target: np.ndarray) -> np.ndarray:
    """:func:`goal_reached` for each image, as an (N,) bool array."""
    return goal_log_density_many(images, target) > GOAL_LOG_DENSITY


def palette_classes(image: np.ndarray) -> np.ndarray:
    """Each pixel's colour class, an (H, W) array of indices into :data:`PALETTE`.

    A pixel p is read as a colour k painted over white with coverage c:
    c = clip((p − white)·(k − white) / |k − white|², 0, 1).  Its class is the
    colour whose mix (1 − c)·white + c·k is nearest to p (ties: the earlier
    colour), or 0 (background) when that coverage is below ½.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
    w = _unit(image) * 255.0 - 255.0  # (H, W, 3), offset from white
    v = _PALETTE_RGB[1:] - 255.0  # (K, 3)
    dot = w @ v.T  # (H, W, K)
    cover = np.clip(dot / (v * v).sum(axis=1), 0.0, 1.0)
    residual = (w * w).sum(axis=-1, keepdims=True) - 2 * cover * dot + cover**2 * (v * v).sum(1)
    best = np.argmin(residual, axis=-1)
    best_cover = np.take_along_axis(cover, best[..., None], axis=-1)[..., 0]
    return np.where(best_cover >= 0.5, best + 1, 0)


def colour_iou(image: np.ndarray, target: np.ndarray) -> float:
    """Foreground IoU where a pixel matches only when both images have the same colour there."""
    a, b = palette_classes(image), palette_classes(target)
    if a.shape != b.shape:
        raise ValueError(f"image shapes differ: {a.shape} vs {b.shape}")
    fg_a, fg_b = a != 0, b != 0
    union = np.count_nonzero(fg_a | fg_b)
    if union == 0:
        return 1.0
    return np.count_nonzero(fg_a & (a == b)) / union
