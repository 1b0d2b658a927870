"""Edit proposers for the search: the neural policy and random mutations (the baseline)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from inference.decoding import Proposal, evaluate_values, sample_edits
from inference.mutations import mutate
from inference.target import Target
from inference.tree import Node, node_at


class Proposer(Protocol):
    """Anything that proposes edits for a batch of programs."""

    def propose(
        self,
        target: Target,
        programs: Sequence[Node],
        n: int,
        rng: np.random.Generator,
        locked: Sequence[frozenset[int]],
    ) -> list[list[Proposal]]:
        """Up to ``n`` edits per program, never touching its ``locked`` positions."""
        ...

    def values(self, target: Target, programs: Sequence[Node]) -> np.ndarray | None:
        """Estimated edits left per program, or ``None`` without a value model."""
        ...


class RandomMutationProposer:
    """The no-learning baseline: random grammar mutations (DESIGN.md §2 noise)."""

    def propose(self, target, programs, n, rng, locked):
        """Up to ``n`` random mutations per program whose spans avoid every locked span."""
        out = []
        for program, lock in zip(programs, locked, strict=True):
            spans = [(p, p + node_at(program, p).size) for p in lock]
            edits: list[Proposal] = []
            for _ in range(4 * n):
                if len(edits) == n:
                    break
                e = mutate(program, rng)
                end = e.pos + node_at(program, e.pos).size
                if all(end <= a or e.pos >= b for a, b in spans):
                    edits.append(Proposal(e))
            out.append(edits)
        return out

    def values(self, target, programs):
        """No value model: ``None``."""
        return None


_KEPT_INPUTS = 4
"""Model inputs a :class:`PolicyProposer` keeps (one per view of a drawn target)."""


class PolicyProposer:
    """Edits sampled from the neural policy, ranked by its value head."""

    uses_image = True
    """The proposals depend on the target's ``model_image`` (see ``search.view_search``)."""

    def __init__(self, model, temperature: float = 1.0):
        self.model = model
        self.temperature = temperature
        self._inputs: list[tuple[Target, np.ndarray]] = []

    def _input(self, target: Target) -> np.ndarray:
        for known, image in self._inputs:
            if known is target:
                return image
        kind = "sketch" if target.is_sketch else "filled"
        image = self.model.target_input(target.model_image, kind)
        self._inputs = [*self._inputs[-(_KEPT_INPUTS - 1) :], (target, image)]
        return image

    def propose(self, target, programs, n, rng, locked):
        """``n`` sampled edits per program (duplicates dropped), respecting locks."""
        return sample_edits(
            self.model,
            self._input(target),
            programs,
            n,
            rng,
            self.temperature,
            locked=[sorted(lock) for lock in locked],
        )

    def values(self, target, programs):
        """The value head's estimate of edits left, per program."""
        return evaluate_values(self.model, self._input(target), programs).values
