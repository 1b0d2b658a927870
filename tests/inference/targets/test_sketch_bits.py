"""Simulated sketches and drawings are pinned bit for bit (issue 15).

Speed-ups of :mod:`inference.targets.sketch` must not change a single pixel nor how the
numpy Generator is consumed.  The digests below were recorded from the code before the
speed-up: sha256 over each output's dtype, shape and bytes and the Generator's state after
each call, for random programs, CAD-like parts and a few edge cases (empty shape, shapes
flush with the canvas border), at 64 and 128 pixels, with pen widths on both sides of the
joint thresholds (round joints above 4 px, gap triangles above 8 px) and several jitters.
"""

import hashlib

import numpy as np
import pytest

from inference.lang.tree import binop, circle, quad
from inference.noise.cad_parts import KINDS, make_part
from inference.noise.random_programs import random_program
from inference.targets.sketch import simulate_drawing, simulate_sketch


def _programs():
    """About 40 programs: random ones, two parts of each kind and edge cases."""
    rng = np.random.default_rng(1515)
    programs = [random_program(rng, (1, 8)) for _ in range(20)]
    programs += [make_part(kind, rng) for kind in KINDS for _ in range(2)]
    c = circle(5, 8, 8)
    programs += [
        binop("-", c, c),  # empty
        circle(15, 8, 8),  # the whole canvas
        binop("-", quad(7, 7, 15, 15, 0), circle(3, 8, 8)),  # flush with two borders
        circle(7, 8, 8),
        quad(8, 8, 5, 10, 45),
    ]
    return programs


PROGRAMS = _programs()

CASES = {  # name: (function, size, keyword arguments)
    "sketch-64": (simulate_sketch, 64, {}),
    "sketch-128": (simulate_sketch, 128, {}),
    "sketch-32": (simulate_sketch, 32, {}),
    "drawing-64": (simulate_drawing, 64, {}),
    "drawing-128": (simulate_drawing, 128, {}),
    "drawing-64-pen0": (simulate_drawing, 64, dict(pen_width=0.0)),
    "drawing-64-thin": (simulate_drawing, 64, dict(pen_width=0.1, jitter=0.3)),
    "drawing-64-pen0.6": (simulate_drawing, 64, dict(pen_width=0.6, jitter=0.0)),
    "drawing-64-pen1.3": (simulate_drawing, 64, dict(pen_width=1.3, jitter=2.0)),
    "drawing-128-pen0.3": (simulate_drawing, 128, dict(pen_width=0.3, jitter=0.5)),
    "drawing-128-pen2.5": (simulate_drawing, 128, dict(pen_width=2.5)),
    "drawing-32": (simulate_drawing, 32, dict(jitter=0.0)),
}


def digest(name: str) -> str:
    """sha256 of every output of case ``name`` over :data:`PROGRAMS` and the Generator states."""
    function, size, kwargs = CASES[name]
    rng = np.random.default_rng([15, len(name)] + [ord(c) for c in name])
    h = hashlib.sha256()
    for program in PROGRAMS:
        out = function(program, rng, size, **kwargs)
        h.update(f"{out.dtype}{out.shape}".encode())
        h.update(np.ascontiguousarray(out).tobytes())
        h.update(repr(rng.bit_generator.state).encode())
    return h.hexdigest()


EXPECTED = {  # recorded before the speed-up
    "sketch-64": "20f70c15363305bf18a2876e3a31858d12a9f37c6ffe40d242f43070e414ca20",
    "sketch-128": "f471caacbe7fc89ed2e4faf6add1ff64be8a37dabd84fe6413c5ea77f996491c",
    "sketch-32": "0f407a4c67c5efa6f709c8f7b28ee913ea13f753150d128427086dc17b6873b4",
    "drawing-64": "696ba7a406e48f28bdfa082c79fba0871947ca431b74dc9797bc83aa05813261",
    "drawing-128": "fec5bc2f1cb5d20048a4d77cc6c0586a4b6e0e7a70c22c3386aebda6c599cea7",
    "drawing-64-pen0": "d9c43afe524a5b2e545225e7da84d0f6aa5b748e328005e45179e676f336a7ca",
    "drawing-64-thin": "121622e4f5de623627eea868afcda72693619ba24e69bc49196b72064298878d",
    "drawing-64-pen0.6": "f78cf8c7c0ca368bb46ed76d76112b18f58d2362f1737cd2ef7e83363fc145fc",
    "drawing-64-pen1.3": "0f92f07a70d28cff78ed97acdebe6abb086b3f171232636b388faf7d6f3e4a58",
    "drawing-128-pen0.3": "4c17c6751033ef80a4bec2a4b7ee86090a323924db4f360a2836e92b99c698de",
    "drawing-128-pen2.5": "d15b5857e90793315c299b6897b1cb19e3a8ed0a1fa64ae71c1423e8b8a42591",
    "drawing-32": "ca72bbccaffafaccbbf4625fd3bf70311ce0bb0a71b835005437b8ee36b3cad3",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sketches_and_drawings_are_pinned(name):
    assert digest(name) == EXPECTED[name]
