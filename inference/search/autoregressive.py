"""The autoregressive (CSGNet-style) baseline: write whole programs, token by token.

The same network and decoder as tree diffusion, asked a different question: the current
program is always the fixed :data:`WRITE_START`, and the edit is always ``<POS 0>`` followed
by a whole program, decoded under the grammar constraint (its training examples:
:func:`inference.noise.training_examples.write_example`).  So a "write" model
(``task = "write"`` in its metadata; trained with ``python -m models.train --task write``)
is a conditional program generator that sees only the target image, like CSGNet.

:func:`write_search` is rejection sampling: draw programs in batches, render each distinct
one (one renderer call), keep the best, stop when one solves the target or the budget is
spent.  It yields :class:`~inference.search.search_run.SearchEvent` like the other methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from inference.lang.tree import Node
from inference.model.decoding import sample_edits
from inference.model.model_contract import target_kind
from inference.model.tokens import MAX_TOKENS
from inference.noise.training_examples import WRITE_START
from inference.search.search_run import Candidate, SearchEvent, SearchRun
from inference.targets.target import Target
from inference.util.cancellation import Cancelled

WRITE_BATCH = 64
"""Programs sampled per decoder call."""


def write_search(
    target: Target,
    model,
    rng: np.random.Generator,
    budget: int,
    cancel: Callable[[], bool] | None = None,
    temperature: float = 1.0,
) -> Iterator[SearchEvent]:
    """Rejection sampling from a write model; yields each new best and a final event.

    Every distinct program drawn costs one renderer call; a program drawn again is not
    rendered again.  Stops at the first program that solves ``target``, when ``budget``
    calls are spent, or when ``cancel()`` returns True: it is asked between batches and,
    by the decoder, before every network batch within one, as in the tree search.
    """
    if getattr(model, "task", "write") != "write":
        raise ValueError(f"{model.path.name} is an edit model; the baseline needs a write model")
    run = SearchRun(target, budget, cancel)
    kind = target_kind(target.is_sketch)
    image = model.target_input(target.model_image, kind)
    seen: set[Node] = set()
    run.improve(Candidate(WRITE_START, -np.inf))  # replaced by the first program written
    run.depth, draws = 1, 0
    while run.left > 0 and not run.solved and not run.cancelled():
        n = min(WRITE_BATCH, run.left)
        try:
            (proposals,) = sample_edits(
                model,
                image,
                [WRITE_START],
                n,
                rng,
                temperature,
                forbid_noop=False,
                max_replacement_tokens=MAX_TOKENS,
                cancel=cancel,
            )
        except Cancelled:  # heard inside the decoder's network work: end as between batches
            break
        draws += n
        for p in proposals:
            program = p.edit.replacement
            if p.edit.pos != 0 or program in seen or run.left <= 0:
                continue  # not a whole program (the model should never do that), or seen
            seen.add(program)
            run.spend(1)
            if run.improve(Candidate(program, target.score(program))):
                yield run.event()
                if run.solved:
                    break
        if not proposals or draws > 50 * budget:  # the model keeps repeating itself
            break
    run.best.score = max(run.best.score, 0.0)
    yield run.event(finished=True)
