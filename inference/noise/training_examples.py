"""Training examples for the edit policy and the value network (DESIGN.md §2).

One example (:func:`make_example`), in any language (``grammar``; CSG2D by default):

1. a target x₀ from :func:`inference.noise.random_programs.random_target`:
   2–8 primitives for CSG2D (2–5 for TinySVG), filtered by the language's
   target filter;
2. a start x_s: with probability ρ = 0.2 a fresh random program with 2–7
   primitives (2–4 for TinySVG: one fewer than the most a target has), else x₀
   after ``s`` mutations, ``s`` uniform in 1..5;
3. the tree path from x_s to x₀ (:func:`inference.noise.paths.tree_path`); when it
   is empty (x_s == x₀) a new start is drawn for the same target;
4. ``i`` uniform in ``0..len(path)-1``: the input is x_s after ``i`` edits,
   the policy label is edit ``i`` and the value label is the number of edits
   left, ``len(path) - i`` (at least 1).

Rendering is injected (``render(node, size) -> image``: for CSG2D a bool image,
e.g. ``inference.render.raster.render``; for TinySVG an (S, S, 3) ``uint8`` RGB
image, ``inference.render.svg_scene.render``), so this module depends on no
renderer and no torch.  Only the language's target filter reads the images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from inference.lang.edits import Edit
from inference.lang.grammar import CSG2D, GRAMMAR_OF, Grammar
from inference.lang.tree import Node, circle
from inference.noise.mutations import noise
from inference.noise.paths import PathRound, path_rounds, state_at
from inference.noise.random_programs import (
    random_program,
    random_target,
    target_range,
    uniform_index,
)

RHO = 0.2
"""Probability that the start is a fresh random program rather than noise."""
TARGET_PRIMITIVES = (2, 8)
"""Inclusive range of a CSG2D target's primitive count (any language's:
:func:`inference.noise.random_programs.target_range`)."""
START_PRIMITIVES = (2, 7)
"""Inclusive range of a fresh random CSG2D start's primitive count (any language's:
:func:`start_range`)."""
MUTATION_STEPS = (1, 5)
"""Inclusive range of the number of mutations s of a noised start."""

Renderer = Callable[[Node, int], np.ndarray]


def start_range(grammar: Grammar) -> tuple[int, int]:
    """A fresh start's primitive counts: 2 up to one fewer than a target's most (2..7 for CSG2D)."""
    return (2, max(2, target_range(grammar)[1] - 1))


@dataclass(frozen=True, slots=True)
class TrainingExample:
    """One (input, label) pair.

    Attributes:
        target: the target program x₀.
        current: the program the model sees (the start after ``i`` path edits).
        edit: the label: the next edit on the path (applies to ``current``).
        remaining: edits left on the path, this one included (the value label).
        target_image: ``render(target, size)``.
        current_image: ``render(current, size)``.
    """

    target: Node
    current: Node
    edit: Edit
    remaining: int
    target_image: np.ndarray
    current_image: np.ndarray


def make_example(
    rng: np.random.Generator,
    render: Renderer,
    size: int = 64,
    rho: float = RHO,
    target_primitives: tuple[int, int] | None = None,
    start_primitives: tuple[int, int] | None = None,
    mutation_steps: tuple[int, int] = MUTATION_STEPS,
    grammar: Grammar = CSG2D,
) -> TrainingExample:
    """Draw one training example of ``grammar``; all randomness comes from ``rng``.

    ``render`` must draw that language.  The primitive ranges default to the
    language's (:func:`inference.noise.random_programs.target_range`, :func:`start_range`).
    """
    if start_primitives is None:
        start_primitives = start_range(grammar)
    target, target_image = random_target(
        rng, lambda node: render(node, size), target_primitives, grammar=grammar
    )
    return example_for(
        rng, render, target, target_image, size, rho, start_primitives, mutation_steps
    )


def example_for(
    rng: np.random.Generator,
    render: Renderer,
    target: Node,
    target_image: np.ndarray,
    size: int = 64,
    rho: float = RHO,
    start_primitives: tuple[int, int] | None = None,
    mutation_steps: tuple[int, int] = MUTATION_STEPS,
) -> TrainingExample:
    """Steps 2–4 of the module doc for a given ``target`` (rendered as ``target_image``):
    a start, its tree path, and a uniform point on it.  The language is the target's."""
    rounds = start_and_path(rng, target, rho, start_primitives, mutation_steps)
    length = sum(len(r.edits) for r in rounds)
    i = uniform_index(rng, length)
    current, edit = state_at(rounds, i)
    return TrainingExample(
        target=target,
        current=current,
        edit=edit,
        remaining=length - i,
        target_image=target_image,
        current_image=render(current, size),
    )


def start_program(
    rng: np.random.Generator,
    target: Node,
    rho: float = RHO,
    start_primitives: tuple[int, int] | None = None,
    mutation_steps: tuple[int, int] = MUTATION_STEPS,
) -> Node:
    """A start x_s for ``target``: fresh with probability ``rho``, else noised ``target``.

    A fresh start is of the target's language, with ``start_primitives``
    primitives (by default :func:`start_range`).
    """
    if rng.random() < rho:
        grammar = GRAMMAR_OF[target.kind]
        if start_primitives is None:
            start_primitives = start_range(grammar)
        return random_program(rng, start_primitives, grammar)
    low, high = mutation_steps
    return noise(target, rng, low + uniform_index(rng, high - low + 1))


def start_and_path(
    rng: np.random.Generator,
    target: Node,
    rho: float = RHO,
    start_primitives: tuple[int, int] | None = None,
    mutation_steps: tuple[int, int] = MUTATION_STEPS,
) -> list[PathRound]:
    """A non-empty tree path to ``target`` from a random start, in rounds.

    The first round starts from the start program; starts equal to ``target``
    are redrawn.
    """
    while True:
        start = start_program(rng, target, rho, start_primitives, mutation_steps)
        rounds = path_rounds(start, target, rng)
        if rounds:
            return rounds


# ----- the autoregressive baseline's examples (inference.search.autoregressive) ---------------

WRITE_START: Node = circle(0, 0, 1)
"""The program a write model starts from; its edit replaces all of it."""


def write_example(
    rng: np.random.Generator,
    render: Renderer,
    size: int,
    target_primitives: tuple[int, int],
) -> TrainingExample:
    """A training example of the write task: from :data:`WRITE_START`, write ``target``."""
    target, target_image = random_target(rng, lambda node: render(node, size), target_primitives)
    return TrainingExample(
        target=target,
        current=WRITE_START,
        edit=Edit(0, target),
        remaining=1,
        target_image=target_image,
        current_image=render(WRITE_START, size),
    )
