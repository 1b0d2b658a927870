"""Program synthesis from images: the methods, target loading and one record per image.

Methods (all count renderer calls against the same budget):

=========================  ===================================================================
``tree-diffusion``         beam search (64 × 3, depth 30) with edits from the policy model,
                           children ranked by its value head
``tree-diffusion+refine``  the same, plus one-value hill climbing on every new best (hybrid)
``rollouts``               policy-only rollouts, no beam selection
``random``                 the same beam search with random grammar mutations (no learning)
``random+refine``          random mutations plus hill climbing
``repl``                   REPL-style constructive search, no learning
                           (:mod:`inference.search.repl_baseline`; for TinySVG
                           :mod:`inference.search.svg_repl`)
``autoregressive``         CSGNet-style: a write model samples whole programs, one renderer
                           call each (:mod:`inference.search.autoregressive`; ``bench`` only)
=========================  ===================================================================

Targets (:func:`load_image_target`): a *filled* image is scored with the goal
score; a *sketch* (``sketch=True``) with the outline fit of
:mod:`inference.targets.outline_fit`.  Either is read the way it was drawn: the colour
filling most of the image's border is the paper and the rest is ink
(``ink="auto"``, :func:`inference.files.images.ink_from_paper`); ``ink="white"`` or
``"black"`` overrides that.  Images of any size are brought to
128×128 (:func:`inference.files.images.load_target` refuses files over 50 million
pixels or 16,384 pixels a side from their header and box-reduces large ones a
band of rows at a time, a PNG straight from the file, so memory stays bounded);
blank images are refused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from inference.files.images import INK_AUTO, INK_BLACK, INK_WHITE, ImageError, load_target
from inference.lang.grammar import CSG2D
from inference.lang.syntax import to_text
from inference.model.model_contract import target_kind
from inference.search.autoregressive import write_search
from inference.search.beam import SearchConfig, deep_enough, rollouts, view_search
from inference.search.methods import AR_METHOD, METHODS, MODEL_METHODS
from inference.search.proposers import PolicyProposer, RandomMutationProposer
from inference.search.repl_baseline import ReplConfig, repl_search
from inference.search.search_run import SearchEvent
from inference.search.svg_repl import SvgReplConfig, svg_repl_search
from inference.search.tidy import tidy
from inference.targets.outline_fit import INK_LEVEL
from inference.targets.target import SCORE_SIZE, Target
from inference.util.cancellation import with_deadline

DEFAULT_BUDGET = 5000
UNLIMITED_CALLS = 10**9
"""The call budget of a search limited by the clock alone (renders are cheap: about 15,000
a second here, so the network, not the renders, fills the time)."""
MAX_SKETCH_INK = 0.5
"""A sketch with more of its pixels inked than this is refused (not an outline)."""


@dataclass(frozen=True)
class SynthesisResult:
    """One image's result (the CLI prints it as one JSON record).

    Attributes:
        file: the image file.
        method: the method's name.
        program: the best program, canonical text.
        score: its score (goal score, or outline fit for a sketch).
        solved: whether it solves the target.
        calls: renderer calls used.
        seconds: wall time of the search.
        target: ``"filled"`` or ``"sketch"``.
        budget: the call budget.
        time_limit: the wall-clock limit in seconds, or ``None``.
        seed: the search's seed (every image of a run uses the same one, so an
            image gives the same result alone or in a batch).
    """

    file: str
    method: str
    program: str
    score: float
    solved: bool
    calls: int
    seconds: float
    target: str
    budget: int
    seed: int
    time_limit: float | None = None

    def record(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self) | {"score": round(self.score, 6), "seconds": round(self.seconds, 3)}


GENERIC_METHODS = ("random", "random+refine", "repl")
"""The methods that run on any language without a model (the REPL-style search has a form
for each language; the hybrid's one-value climb is :mod:`inference.search.value_refine`
outside CSG2D)."""
POLICY_METHODS_ANY_LANGUAGE = ("tree-diffusion", "tree-diffusion+refine")
"""The model methods that run on any language, given a model of that language (rollouts
are CSG2D's)."""


def language_methods(model, grammar) -> tuple[str, ...]:
    """The methods that can run on ``grammar``'s targets with ``model`` (or none)."""
    if grammar is CSG2D:
        return METHODS
    fits = model is not None and getattr(model, "grammar", CSG2D) is grammar
    return GENERIC_METHODS + (POLICY_METHODS_ANY_LANGUAGE if fits else ())


def needs_model(method: str) -> bool:
    """True when ``method`` uses a policy model."""
    _check_method(method)
    return method in MODEL_METHODS or method == AR_METHOD


def _check_method(method: str) -> None:
    if method not in METHODS and method != AR_METHOD:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def run_method(
    method: str,
    target: Target,
    rng: np.random.Generator,
    budget: int = DEFAULT_BUDGET,
    model=None,
    cancel: Callable[[], bool] | None = None,
    config: SearchConfig | None = None,
) -> Iterator[SearchEvent]:
    """The event stream of ``method`` on ``target`` (see the module table).

    Args:
        model: a :class:`inference.model.onnx_model.PolicyModel`, needed by the model methods.
        config: search parameters for the beam methods (``budget`` and ``refine``
            are set from ``budget`` and the method).
    """
    _check_method(method)
    grammar = target.grammar
    if grammar is not CSG2D and method not in language_methods(model, grammar):
        known = ", ".join(language_methods(model, grammar))
        raise ValueError(
            f"method {method!r} works on CSG2D programs only; for {grammar.name} use {known}"
        )
    if method == "repl" and grammar is CSG2D:
        return repl_search(target, ReplConfig(budget=budget), cancel)
    if method == "repl":
        return svg_repl_search(target, SvgReplConfig(budget=budget), cancel)
    if needs_model(method) and model is None:
        raise ValueError(f"method {method!r} needs a policy model")
    if method == AR_METHOD:
        return write_search(target, model, rng, budget, cancel)
    base = config or SearchConfig()
    cfg = SearchConfig(**{**vars(base), "budget": budget, "refine": method.endswith("+refine")})
    if method != "rollouts":  # a rollout's max_depth is each chain's length
        cfg = deep_enough(cfg)  # a budget in seconds is spent, not cut at 30 steps
    proposer = RandomMutationProposer() if method.startswith("random") else PolicyProposer(model)
    strategy = rollouts if method == "rollouts" else view_search
    return strategy(target, proposer, rng, cfg, cancel=cancel)


def final_event(events: Iterator[SearchEvent], on_event=None) -> SearchEvent:
    """Drain an event stream (calling ``on_event`` on each) and return its last event."""
    last = None
    for last in events:
        if on_event is not None:
            on_event(last)
    if last is None:
        raise RuntimeError("the search yielded no event")
    return last


def load_image_target(
    path: str | os.PathLike, sketch: bool = False, ink: str | None = None, tolerance: float = 0.0
):
    """Read an image file as a :class:`Target` (128×128).

    Args:
        sketch: an outline sketch (scored by outline fit) instead of a filled shape.
        tolerance: for a filled shape, the edge tolerance in canvas units (0 = exact goal
            score; a hand drawing wants :data:`inference.targets.drawn_score.DEFAULT_TOLERANCE`).
        ink: ``"auto"`` (the default: the border's colour is the paper, the rest
            ink), ``"white"`` (bright = inside/ink) or ``"black"``.

    Raises:
        ImageError: unreadable, not an image, too large, or blank.
    """
    ink = ink or INK_AUTO
    image = load_target(path, SCORE_SIZE, ink=ink)
    what = "ink" if ink == INK_AUTO else f"{ink} ink"
    if ink == INK_AUTO:
        hint = " (the image is all one colour)"
    else:
        hint = f" (try --ink {INK_BLACK if ink == INK_WHITE else INK_WHITE})"
    if sketch:
        strokes = float(np.mean(image >= INK_LEVEL))
        if strokes == 0:
            raise ImageError(f"{path}: the sketch is blank (no {what} strokes found){hint}")
        if strokes > MAX_SKETCH_INK:
            raise ImageError(
                f"{path}: {strokes:.0%} of the image is {what}, too much for an outline "
                f"sketch (a filled shape? then leave out --sketch)"
            )
        return Target.from_sketch(image)
    mask = image >= 0.5
    if not mask.any():
        raise ImageError(f"{path}: the image is blank (no {what} shape){hint}")
    if mask.all():
        raise ImageError(f"{path}: the image is all {what}, no background{hint}")
    return Target(mask, tolerance=tolerance)


def synthesize(
    target: Target,
    method: str,
    seed: int = 0,
    budget: int = DEFAULT_BUDGET,
    model=None,
    file: str = "",
    cancel: Callable[[], bool] | None = None,
    config: SearchConfig | None = None,
    seconds: float | None = None,
) -> SynthesisResult:
    """Run ``method`` on ``target`` to the end, tidy the result (:mod:`inference.search.tidy`, with
    what is left of the budget) and return it (``config``: see :func:`run_method`).

    ``seconds`` is a wall-clock limit: the search ends when it passes (within one network
    batch), as on a cancel, and the best program so far is tidied and returned; it may
    use as many renderer calls as fit, up to ``budget``."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    stop = with_deadline(cancel, seconds)
    last = final_event(run_method(method, target, rng, budget, model, stop, config))
    left = budget - last.calls
    program, tidy_calls = tidy(last.program, target, score=last.score, max_calls=left)
    score = target.score(program)
    return SynthesisResult(
        file=file,
        method=method,
        program=to_text(program),
        score=float(score),
        solved=bool(target.solves(score)),
        calls=int(last.calls + tidy_calls),
        seconds=time.perf_counter() - t0,
        target=target_kind(target.is_sketch),
        budget=budget,
        seed=seed,
        time_limit=seconds,
    )


def output_stems(paths: list[str]) -> list[str]:
    """Output file stems of the images; raises ``ValueError`` when two would collide."""
    stems = [Path(p).stem for p in paths]
    seen: set[str] = set()
    for stem in stems:
        if stem.lower() in seen:
            raise ValueError(f"two images would both be written to {stem}.csg")
        seen.add(stem.lower())
    return stems
