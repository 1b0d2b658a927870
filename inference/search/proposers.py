"""Edit proposers for the search: the neural policy and random mutations (the baseline).

Both keep every lock (:mod:`inference.lang.lock_rules`): an edit never replaces a
locked node, anything inside it, an ancestor of it or an ancestor's operator,
so a locked shape keeps its subtree and its chain of operators and sides.

Both take an optional ``cancel`` callback, which the search passes on
(:func:`takes_cancel`): the policy asks it before every network batch and stops
with :class:`inference.util.cancellation.Cancelled` when it returns True.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

import numpy as np

from inference.lang.lock_rules import protected_positions
from inference.lang.tree import Node
from inference.model.decoding import Proposal, evaluate_values, longest_program, sample_edits
from inference.model.model_contract import target_kind
from inference.noise.mutations import mutate
from inference.targets.target import Target
from inference.util.cancellation import CancelFn


class Proposer(Protocol):
    """Anything that proposes edits for a batch of programs.

    Either method may also take a keyword ``cancel`` (a callback; see the module doc);
    the search passes its own to a method that does (:func:`takes_cancel`), so that
    long network work stops soon after a cancel.
    """

    def propose(
        self,
        target: Target,
        programs: Sequence[Node],
        n: int,
        rng: np.random.Generator,
        locked: Sequence[frozenset[int]],
    ) -> list[list[Proposal]]:
        """Up to ``n`` edits per program that keep its ``locked`` nodes (their
        subtrees and chains, :mod:`inference.lang.lock_rules`)."""
        ...

    def values(self, target: Target, programs: Sequence[Node]) -> np.ndarray | None:
        """Estimated edits left per program, or ``None`` without a value model."""
        ...


def takes_cancel(method: Callable) -> bool:
    """True when the proposer method ``method`` takes a keyword ``cancel``."""
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):  # no signature to read (a builtin, say)
        return False
    return "cancel" in parameters


def passing_cancel(method: Callable, cancel: Callable[[], bool] | None) -> Callable:
    """The proposer ``method`` with ``cancel`` passed on, when there is one and the method
    takes it (:func:`takes_cancel`); otherwise ``method`` itself."""
    if cancel is None or not takes_cancel(method):
        return method
    return partial(method, cancel=cancel)


class RandomMutationProposer:
    """The no-learning baseline: random grammar mutations (DESIGN.md §2 noise)."""

    def propose(self, target, programs, n, rng, locked, cancel: CancelFn | None = None):
        """Up to ``n`` random mutations per program, none at a position a lock
        protects (:func:`inference.lang.lock_rules.protected_positions`); quick, so
        ``cancel`` is not asked."""
        out = []
        for program, lock in zip(programs, locked, strict=True):
            protected = protected_positions(program, lock)
            edits: list[Proposal] = []
            for _ in range(4 * n):
                if len(edits) == n:
                    break
                e = mutate(program, rng)
                if e.pos not in protected:
                    edits.append(Proposal(e))
            out.append(edits)
        return out

    def values(self, target, programs, cancel: CancelFn | None = None):
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
        kind = target_kind(target.is_sketch)
        image = self.model.target_input(target.model_image, kind)
        self._inputs = [*self._inputs[-(_KEPT_INPUTS - 1) :], (target, image)]
        return image

    def _readable(self, programs) -> list[int]:
        """The indices of ``programs`` the network can read (at most its vocabulary's
        ``max_tokens``: a fitted start, e.g. TinySVG's REPL-style drawing, may be longer)."""
        limit = longest_program(self.model)
        return [i for i, p in enumerate(programs) if p.size <= limit]

    def propose(self, target, programs, n, rng, locked, cancel: CancelFn | None = None):
        """``n`` sampled edits per program (duplicates dropped), respecting locks; none for
        a program longer than the network reads.

        ``cancel`` is asked before every network batch; when it returns True this
        raises :class:`inference.util.cancellation.Cancelled`."""
        keep = self._readable(programs)
        out: list[list] = [[] for _ in programs]
        if not keep:
            return out
        found = sample_edits(
            self.model,
            self._input(target),
            [programs[i] for i in keep],
            n,
            rng,
            self.temperature,
            locked=[sorted(locked[i]) for i in keep],
            cancel=cancel,
        )
        for i, edits in zip(keep, found, strict=True):
            out[i] = edits
        return out

    def values(self, target, programs, cancel: CancelFn | None = None):
        """The value head's estimate of edits left, per program (``cancel`` as for
        :meth:`propose`); infinite for a program longer than the network reads."""
        keep = self._readable(programs)
        values = np.full(len(programs), np.inf)
        if keep:
            image = self._input(target)
            read = [programs[i] for i in keep]
            values[keep] = evaluate_values(self.model, image, read, cancel=cancel).values
        return values
