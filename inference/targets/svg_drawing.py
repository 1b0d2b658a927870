"""Simulated hand drawings of TinySVG programs: what a person paints with the pen and the fill.

Each primitive the program paints (:func:`inference.render.svg_scene.layout`, in painting
order) is drawn as a person draws it on the pad: its centre moved and its half-sizes
changed by up to ``jitter`` px, its outline wobbling in and out by up to ``wobble`` of its
size (a smooth wave, two to four bumps around), filled with its fill colour; a stroke is a
band of its stroke colour as wide as the program's, wobbling with the outline.  One pixel
outside the outline is a pen's blend of the colour with what is under it.
"""

from __future__ import annotations

import math

import numpy as np

from inference.lang.tree import Node
from inference.render.svg_scene import CANVAS, COLOURS, layout

JITTER_PX = 2.0
"""The most a drawn primitive's centre and half-sizes are off the program's, in pixels."""
WOBBLE = 0.06
"""The most a drawn outline wobbles in or out, as a share of the primitive's size."""


def simulate_svg_drawing(
    program: Node,
    rng: np.random.Generator,
    jitter: float = JITTER_PX,
    wobble: float = WOBBLE,
) -> np.ndarray:
    """A hand drawing of ``program``: RGB ``uint8`` (224, 224, 3) on white."""
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS].astype(float) + 0.5
    out = np.full((CANVAS, CANVAS, 3), 255.0)
    for p in layout(program):
        rx, ry = (p.x1 - p.x0) / 2, (p.y1 - p.y0) / 2
        stroke = COLOURS[p.stroke] if p.stroke_px > 0 else None
        if min(rx, ry) <= 0 or (COLOURS[p.fill] is None and stroke is None):
            continue
        cx, cy = (p.x0 + p.x1) / 2 + rng.uniform(-jitter, jitter), (p.y0 + p.y1) / 2
        cy += rng.uniform(-jitter, jitter)
        rx, ry = (
            max(1.0, rx + rng.uniform(-jitter, jitter)),
            max(1.0, ry + rng.uniform(-jitter, jitter)),
        )
        bumps, phase = int(rng.integers(2, 5)), rng.uniform(0, 2 * math.pi)
        wave = 1 + wobble * rng.uniform(0.3, 1.0) * np.sin(
            bumps * np.arctan2(yy - cy, xx - cx) + phase
        )
        dx, dy = (xx - cx) / rx, (yy - cy) / ry
        if p.kind == "ellipse":
            norm = np.maximum(np.hypot(dx, dy), 1e-9)
            scale = norm / np.maximum(np.hypot(dx / rx, dy / ry), 1e-9)
        else:
            norm = np.maximum(abs(dx), abs(dy))
            scale = np.where(abs(dx) >= abs(dy), rx, ry)
        inside = (norm / wave - 1) * scale  # about the distance to the drawn outline, px
        if COLOURS[p.fill] is not None:
            _paint(out, inside <= 1, inside <= 0, COLOURS[p.fill])
        if stroke is not None:
            half = p.stroke_px / 2
            _paint(out, abs(inside) <= half + 1, abs(inside) <= half, stroke)
    return np.rint(out).astype(np.uint8)


def _paint(out: np.ndarray, rim: np.ndarray, inside: np.ndarray, rgb) -> None:
    """Paint ``inside`` with ``rgb`` and the rest of ``rim`` half way to it."""
    edge = rim & ~inside
    out[edge] = (out[edge] + np.array(rgb)) / 2
    out[inside] = rgb
