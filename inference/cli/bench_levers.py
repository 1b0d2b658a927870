"""``bench --levers``: issue 13's ablation in one run.

Every lever of the search is switched, one at a time, away from what ships, and each
variant runs as a method of its own beside the shipped search and the baselines, on the
same problems, seeds and budget, so one table and one solved-against-calls plot hold
them all.  The variants (their names are the methods' names in the table):

* ``tree-diffusion``: the search as shipped (the given ``SearchConfig``);
* ``no fit``: no structure-first start (``fit=False``);
* ``no residual``: near misses are not fixed by their residual (``residual=False``);
* ``rank by score``: the beam ranked by the goal score, not the value head;
* ``restarts``: a stalled beam starts again from its best (``restarts``; see
  :class:`~inference.search.beam.SearchConfig`), or ``no restarts`` when that is on;
* ``tree-diffusion+refine``: one-value refinement of every new best (the hybrid);
* ``model NAME``: another policy file in the same search (``--compare-model``, e.g. the
  float export beside the shipped int8 copy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from inference.search.beam import SearchConfig

LEVER_RESTARTS = 8
"""Restarts of the ``restarts`` variant when the shipped search has none."""


def lever_configs(config: SearchConfig) -> dict[str, tuple[str, SearchConfig]]:
    """``name → (method, config)`` of the shipped search and of each one-lever variant."""
    restarts = (
        ("no restarts", replace(config, restarts=0))
        if config.restarts
        else ("restarts", replace(config, restarts=LEVER_RESTARTS))
    )
    other_rank = "score" if config.rank != "score" else "value"
    return {
        "tree-diffusion": ("tree-diffusion", config),
        ("no fit" if config.fit else "fit"): (
            "tree-diffusion",
            replace(config, fit=not config.fit),
        ),
        ("no residual" if config.residual else "residual"): (
            "tree-diffusion",
            replace(config, residual=not config.residual),
        ),
        f"rank by {other_rank}": ("tree-diffusion", replace(config, rank=other_rank)),
        restarts[0]: ("tree-diffusion", restarts[1]),
        "tree-diffusion+refine": ("tree-diffusion+refine", config),
    }


def lever_runners(
    config: SearchConfig,
    model,
    make_runner: Callable,
    compare: dict[str, object] | None = None,
) -> dict:
    """Runners (``make_runner(method, model, config)``) for every variant of
    :func:`lever_configs` with the policy ``model``, and one per ``compare`` model
    (``name → model``) in the shipped search."""
    runners = {
        name: make_runner(method, model, cfg)
        for name, (method, cfg) in lever_configs(config).items()
    }
    for name, other in (compare or {}).items():
        runners[f"model {name}"] = make_runner("tree-diffusion", other, config)
    return runners
