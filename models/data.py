"""Training data: an endless, seeded stream of encoded batches from DataLoader workers.

Each example follows DESIGN.md §2 (:mod:`inference.noise.training_examples`): a random target, a
start (a fresh random program with probability ρ, else the target after s mutations), the tree
path from start to target, and a uniform point on it.  :func:`draw_example` builds it from the
public pieces because :func:`inference.noise.training_examples.make_example` has no parameter for
the number of mutations, which the curriculum needs.  Batches are encoded with
:func:`inference.model.model_batches.encode_training_batch`, exactly as the runtime decoder encodes
its inputs.

**Modalities.**  ``"filled"``: the target plane is the target's binary render.  ``"sketch"``:
it is ``simulate_sketch(target, rng, size)`` kept as float ink coverage in [0, 1] (1 = ink,
not thresholded, as a drawn sketch is at runtime); the |target − current| plane uses it as is,
and the token features use :func:`inference.targets.target_images.sketch_fill` of it.
``"mixed"``: each example is a sketch with probability ``sketch_fraction``, else filled, so one
network learns both (a batch may hold both kinds; the encoder tells them apart by dtype).  With
``drawn_fraction`` > 0, that share of the filled examples shows a simulated *hand drawing* of
the target instead of its exact render (:func:`inference.targets.sketch.simulate_drawing` at
0.5, still a binary mask): wobbly, and half a pen width too big, as shapes drawn on the sketch
pad are.
With ``parts_fraction`` > 0, that share of the edit examples has a CAD-like part as its target
(:func:`inference.noise.cad_parts.make_part`: plates with holes, washers, brackets, houses, slots,
flanges, pairs) instead of a random program, noised and walked back the same way; the parts
come from the training stream's own generator, so the part benchmarks' seeds are not seen.

**Languages.**  ``language`` (``"CSG2D"`` by default, or ``"TinySVG"``) picks the grammar,
the curriculum (:data:`CURRICULA`) and the renderer: a TinySVG example is
``make_example(..., grammar=TINYSVG)`` with RGB renders at the model size
(:func:`inference.render.svg_scene.render`), redrawn while its program or its edit is longer than
TinySVG's vocabulary allows.  TinySVG has filled targets only (no sketches, hand drawings,
parts or write task).  CSG2D's stream is drawn exactly as before the language existed.

**Reproducibility.**  Worker ``w`` of a loader draws from
``np.random.default_rng([seed, stage, w, shard])`` (an in-process loader is worker 0; in a
distributed run, rank r > 0 appends ``[RANK_WORD, r]``, see :func:`stream_seed`), and a
DataLoader takes batches from its workers in turn, so a stream is fixed by (seed, stage,
num_workers, shard, rank).  A trainer that restarts a stream passes a new ``shard`` (e.g. its
step) so that it does not replay old batches.  Held-out examples use ``[seed, HELDOUT_STAGE,
stage]``: their second word is never a training stage, so the two seed spaces are disjoint.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from inference.lang.grammar import TINYSVG
from inference.model.model_batches import encode_training_batch
from inference.model.tokens import (
    MAX_REPLACEMENT_TOKENS,
    MAX_TOKENS,
    Vocabulary,
    vocabulary_for,
)
from inference.noise.cad_parts import KINDS as PART_KINDS
from inference.noise.cad_parts import make_part
from inference.noise.training_examples import (
    TrainingExample,
    example_for,
    make_example,
    write_example,
)
from inference.render import svg_scene
from inference.render.raster import render
from inference.targets.sketch import simulate_drawing, simulate_sketch
from inference.targets.target_images import IMAGE_SIZE

MODALITIES = ("filled", "sketch", "mixed")
TASKS = ("edit", "write")
PART_KINDS_ORDER = tuple(PART_KINDS)
"""The part kinds in a fixed order (a part example draws its kind's index)."""
HELDOUT_STAGE = 2**32 - 1
"""Second seed word of held-out examples; no training stage has this index."""
RANK_WORD = 2**32 - 2
"""Fifth seed word of a stream of rank > 0 in a distributed run (its rank follows)."""


@dataclass(frozen=True)
class Stage:
    """The example distribution of one curriculum stage (ranges are inclusive)."""

    target_primitives: tuple[int, int]
    mutation_steps: tuple[int, int]
    rho: float
    start_primitives: tuple[int, int]


CURRICULUM: tuple[Stage, ...] = (
    Stage(target_primitives=(1, 3), mutation_steps=(1, 2), rho=0.1, start_primitives=(1, 3)),
    Stage(target_primitives=(2, 5), mutation_steps=(1, 3), rho=0.15, start_primitives=(2, 5)),
    Stage(target_primitives=(2, 8), mutation_steps=(1, 5), rho=0.2, start_primitives=(2, 7)),
)
"""Easy to hard; the last stage is DESIGN.md §2's distribution."""

SVG_CURRICULUM: tuple[Stage, ...] = (
    Stage(target_primitives=(2, 3), mutation_steps=(1, 2), rho=0.1, start_primitives=(2, 3)),
    Stage(target_primitives=(2, 4), mutation_steps=(1, 3), rho=0.15, start_primitives=(2, 3)),
    Stage(target_primitives=(2, 5), mutation_steps=(1, 5), rho=0.2, start_primitives=(2, 4)),
)
"""TinySVG's stages; the last is the noise layer's default distribution (docs/TINYSVG.md:
targets of 2-5 primitives, fresh starts of 2-4).  As many stages as CSG2D's, so the presets'
stage schedules serve both languages."""

CURRICULA: dict[str, tuple[Stage, ...]] = {"CSG2D": CURRICULUM, "TinySVG": SVG_CURRICULUM}
"""Each language's curriculum, by language name."""


@dataclass(frozen=True)
class DataConfig:
    """What the stream draws; the defaults are the language's last curriculum stage.

    Attributes:
        seed: run seed.
        image_size: model image side S.
        target_primitives: range of a target's primitive count.
        mutation_steps: range of the number of mutations of a noised start.
        rho: probability of a fresh random start.
        start_primitives: range of a fresh start's primitive count.
        modality: ``"filled"``, ``"sketch"`` or ``"mixed"`` (see the module doc).
        sketch_fraction: in the ``"mixed"`` modality, the probability of a sketch example.
        drawn_fraction: the probability that a filled example's target is a simulated hand
            drawing (see the module doc).
        parts_fraction: the probability that an edit example's target is a CAD-like part
            (:mod:`inference.noise.cad_parts`, a kind drawn uniformly) instead of a random program.
        task: ``"edit"`` (tree diffusion, DESIGN.md §2) or ``"write"``: the autoregressive
            baseline's examples (:func:`inference.noise.training_examples.write_example`), whole
            targets written from a fixed start; the mutation and start ranges are unused.
        batch_size: examples per batch.
        stage: curriculum stage index (part of the seed; :meth:`for_stage` sets the ranges).
        language: ``"CSG2D"`` or ``"TinySVG"`` (any case; stored as the language's name).
            The range fields and ``rho`` left out (``None``) are the language's last stage.
    """

    seed: int = 0
    image_size: int = IMAGE_SIZE
    target_primitives: tuple[int, int] | None = None
    mutation_steps: tuple[int, int] | None = None
    rho: float | None = None
    start_primitives: tuple[int, int] | None = None
    modality: str = "filled"
    sketch_fraction: float = 0.1
    drawn_fraction: float = 0.0
    parts_fraction: float = 0.0
    task: str = "edit"
    batch_size: int = 64
    stage: int = len(CURRICULUM) - 1
    language: str = "CSG2D"

    def __post_init__(self):
        language = vocabulary_for(self.language).language  # KeyError for an unknown one
        object.__setattr__(self, "language", language)
        last = dataclasses.asdict(CURRICULA[language][-1])
        for name, value in last.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if language != "CSG2D":
            plain = ("filled", "edit", 0.0, 0.0)
            if (self.modality, self.task, self.drawn_fraction, self.parts_fraction) != plain:
                raise ValueError(
                    f"{language} data has filled targets and the edit task only "
                    "(no sketches, hand drawings, parts or write examples)"
                )
        if self.modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, not {self.modality!r}")
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, not {self.task!r}")
        for name in ("sketch_fraction", "drawn_fraction", "parts_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], not {getattr(self, name)}")
        if not 0 <= self.stage < len(self.curriculum):
            raise ValueError(f"stage must be in 0..{len(self.curriculum) - 1}, not {self.stage}")
        for name in ("target_primitives", "mutation_steps", "start_primitives"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                raise ValueError(f"{name} must be a range 1 <= low <= high, not {(low, high)}")

    @property
    def curriculum(self) -> tuple[Stage, ...]:
        """The language's curriculum (:data:`CURRICULA`)."""
        return CURRICULA[self.language]

    @property
    def vocabulary(self) -> Vocabulary:
        """The language's vocabulary (its length limits bound the examples)."""
        return vocabulary_for(self.language)

    def for_stage(self, stage: int) -> DataConfig:
        """This config with curriculum stage ``stage``'s distribution (of its language)."""
        stages = self.curriculum
        if not 0 <= stage < len(stages):
            raise ValueError(f"stage must be in 0..{len(stages) - 1}, not {stage}")
        return dataclasses.replace(self, stage=stage, **dataclasses.asdict(stages[stage]))

    def to_dict(self) -> dict:
        """JSON-ready fields (for checkpoints and model metadata)."""
        return dataclasses.asdict(self)


def draw_example(rng: np.random.Generator, config: DataConfig) -> TrainingExample:
    """One training example from ``config``'s distribution (see the module doc).

    Examples whose current program is longer than ``MAX_TOKENS`` are redrawn.  In the sketch
    modality (and for the sketch share of the mixed one) ``target_image`` is the float sketch
    instead of the binary render.
    """
    size = config.image_size
    if config.language != "CSG2D":
        return _draw_other_language(rng, config)
    while config.task == "write":
        ex = write_example(rng, render, size, config.target_primitives)
        if ex.target.size + 2 + ex.current.size <= MAX_TOKENS:  # the edit fits
            return _as_modality(ex, rng, config)
    while config.parts_fraction and rng.random() < config.parts_fraction:
        target = make_part(PART_KINDS_ORDER[rng.integers(len(PART_KINDS_ORDER))], rng)
        ex = example_for(
            rng, render, target, render(target, size), size, config.rho,
            config.start_primitives, config.mutation_steps,
        )  # fmt: skip
        if ex.current.size <= MAX_TOKENS:
            return _as_modality(ex, rng, config)
    while True:
        ex = make_example(
            rng, render, size, config.rho, config.target_primitives,
            config.start_primitives, config.mutation_steps,
        )  # fmt: skip
        if ex.current.size <= MAX_TOKENS:
            break
    return _as_modality(ex, rng, config)


def _draw_other_language(rng: np.random.Generator, config: DataConfig) -> TrainingExample:
    """A TinySVG example (the only other language): ``make_example`` with the language's
    grammar and RGB renders at the model size, redrawn while the current program has more
    tokens than the vocabulary's ``max_tokens`` or the edit's replacement more than its
    ``max_replacement_tokens``."""
    vocab = config.vocabulary
    while True:
        ex = make_example(
            rng, svg_scene.render, config.image_size, config.rho, config.target_primitives,
            config.start_primitives, config.mutation_steps, grammar=TINYSVG,
        )  # fmt: skip
        if _fits(ex, vocab):
            return ex


def _fits(ex: TrainingExample, vocab: Vocabulary) -> bool:
    """Whether ``ex``'s program and edit are within ``vocab``'s length limits."""
    replacement = ex.edit.replacement
    return ex.current.size <= vocab.max_tokens and (
        replacement.size <= vocab.max_replacement_tokens
    )


def _as_modality(ex: TrainingExample, rng: np.random.Generator, config: DataConfig):
    """``ex`` with a sketch or drawn target image where ``config`` asks for one."""
    size = config.image_size
    mixed_sketch = config.modality == "mixed" and rng.random() < config.sketch_fraction
    if config.modality == "sketch" or mixed_sketch:
        return dataclasses.replace(ex, target_image=simulate_sketch(ex.target, rng, size))
    if config.drawn_fraction and rng.random() < config.drawn_fraction:
        drawing = simulate_drawing(ex.target, rng, size) >= 0.5
        return dataclasses.replace(ex, target_image=drawing)
    return ex


def replacement_limit(config: DataConfig) -> int:
    """The longest edit the decoder allows for ``config``'s task and language (its training
    masks)."""
    if config.language != "CSG2D":
        return config.vocabulary.max_replacement_tokens
    return MAX_TOKENS if config.task == "write" else MAX_REPLACEMENT_TOKENS


def heldout_examples(seed: int, n: int, config: DataConfig) -> list[TrainingExample]:
    """``n`` fixed held-out examples of ``config``'s distribution (its own seed is unused).

    Drawn from ``[seed, HELDOUT_STAGE, config.stage]``, disjoint from every training stream;
    the first k of n are the same for any n ≥ k.
    """
    rng = np.random.default_rng([seed, HELDOUT_STAGE, config.stage])
    return [draw_example(rng, config) for _ in range(n)]


def to_tensors(batch: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """A numpy batch as CPU tensors (no copy)."""
    return {key: torch.from_numpy(value) for key, value in batch.items()}


class ExampleStream(IterableDataset):
    """Endless collated batches (dicts of tensors from ``encode_training_batch``).

    Each DataLoader worker draws its own stream, seeded as in the module doc.
    """

    def __init__(self, config: DataConfig, shard: int = 0, rank: int = 0):
        super().__init__()
        self.config = config
        self.shard = shard
        self.rank = rank

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        info = get_worker_info()
        worker = info.id if info is not None else 0
        cfg = self.config
        rng = np.random.default_rng(stream_seed(cfg, worker, self.shard, self.rank))
        while True:
            examples = [draw_example(rng, cfg) for _ in range(cfg.batch_size)]
            yield to_tensors(encode_training_batch(examples, replacement_limit(cfg)))


def _init_worker(worker_id: int) -> None:
    torch.set_num_threads(1)  # workers run numpy; leave the cores to them and the trainer


def stream_seed(config: DataConfig, worker: int, shard: int, rank: int = 0) -> list[int]:
    """The seed words of one worker's stream (module doc): rank 0 of a distributed run
    draws what a one-process run draws; rank r > 0 adds ``[RANK_WORD, r]``, so no two
    ranks, workers, stages or restarts share a stream."""
    words = [config.seed, config.stage, worker, shard]
    return words + [RANK_WORD, rank] if rank else words


def make_loader(
    config: DataConfig,
    num_workers: int = 0,
    stage: int | None = None,
    shard: int = 0,
    pin_memory: bool = False,
    rank: int = 0,
) -> DataLoader:
    """A DataLoader over :class:`ExampleStream`; ``stage`` (if given) selects the curriculum
    stage via :meth:`DataConfig.for_stage`.  ``num_workers=0`` runs in-process; ``rank`` is
    the process's rank in a distributed run (its own streams)."""
    if stage is not None:
        config = config.for_stage(stage)
    workers = {"prefetch_factor": 4, "persistent_workers": True} if num_workers else {}
    return DataLoader(
        ExampleStream(config, shard, rank),
        batch_size=None,
        num_workers=num_workers,
        worker_init_fn=_init_worker,
        pin_memory=pin_memory,
        **workers,
    )
