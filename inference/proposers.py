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


class PolicyProposer:
    """Edits sampled from the neural policy, ranked by its value head."""

    def __init__(self, model, temperature: float = 1.0):
        self.model = model
        self.temperature = temperature
        self._target: tuple[Target, np.ndarray] | None = None

    def _input(self, target: Target) -> np.ndarray:
        if self._target is None or self._target[0] is not target:
            kind = "sketch" if target.is_sketch else "filled"
            self._target = (target, self.model.target_input(target.model_image, kind))
        return self._target[1]

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
