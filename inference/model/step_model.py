"""The cached decoding step: a second ONNX graph that continues edits after program prefixes.

Program tokens never attend to the edit that follows them (DESIGN.md §3), so their keys and
values are the same for every edit of a program.  A policy file may therefore also output
that cache (``CACHE_OUTPUTS``: per-layer self-attention and image keys/values, the input
embeddings, the pointer keys and the global image vector) for its ``program + <EDIT>`` rows,
and ship ``<name>.step.onnx`` beside it (:func:`step_model_path`): a graph that takes the cache
and the edit tokens so far and returns their next-token logits, computing only the edit
tokens.  The two files carry the same ``policy_id``; a step file that is missing, unreadable
or from another export is not used, and decoding falls back to full forwards.  So is one
whose inputs do not fit the policy's cache outputs (layers, width, image tokens), or whose
logits on a test row are not the policy's (:func:`load_step`): an id can be copied.

Step inputs (``STEP_INPUTS``): ``edit_tokens`` int64 (B, M, N), the new ids of M edits of
each of the B cached rows, padded at the end; ``prev_len`` int64 (B, M), how many ids each
edit had before, and ``prev_kv`` float (L, B, M, E, 2d), their keys/values from earlier
steps (padded; E ≥ 1); ``prefix_len`` int64 (B,); and the cache.  Outputs:
``token_logits`` (B, M, N, POS_BASE), ``pos_logits`` (B, M, N, P), where P is the cached
rows' padded length, and ``new_kv`` (L, B, M, N, 2d), the new ids' keys/values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from inference.model.model_contract import (
    CACHE_OUTPUTS,
    STEP_FORMAT_TAG,
    STEP_INPUTS,
    STEP_OUTPUTS,
)
from inference.model.model_contract import STEP_SIGNATURE as _SIGNATURE
from inference.model.tokens import POS_BASE
from inference.util.excerpt import excerpt, one_line

log = logging.getLogger("treesketch.model")


def step_model_path(policy_path: str | Path) -> Path:
    """Where the step graph of ``policy_path`` lives: ``policy.onnx`` → ``policy.step.onnx``."""
    policy_path = Path(policy_path)
    return policy_path.with_name(policy_path.stem + ".step.onnx")


class StepModel:
    """A loaded step graph (use :func:`load_step`)."""

    def __init__(self, path: Path, session):
        self.path = path
        self.session = session

    def run(
        self,
        edit_tokens: np.ndarray,
        prev_len: np.ndarray,
        prev_kv: np.ndarray,
        prefix_len: np.ndarray,
        cache: dict[str, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(token_logits, pos_logits, new_kv)`` for new ``edit_tokens`` (B, M, N)."""
        feed = {k: np.ascontiguousarray(cache[k], np.float32) for k in CACHE_OUTPUTS}
        feed["edit_tokens"] = np.ascontiguousarray(edit_tokens, np.int64)
        feed["prev_len"] = np.ascontiguousarray(prev_len, np.int64)
        feed["prev_kv"] = np.ascontiguousarray(prev_kv, np.float32)
        feed["prefix_len"] = np.ascontiguousarray(prefix_len, np.int64)
        token_logits, pos_logits, new_kv = self.session.run(list(STEP_OUTPUTS), feed)
        return token_logits, pos_logits, new_kv


def load_step(
    policy_path: Path,
    policy_id: str | None,
    make_session: Callable[[Path, bytes], object],
    cache_shapes: dict[str, Sequence] | None = None,
    probe: Callable[[StepModel], str | None] | None = None,
    pos_base: int = POS_BASE,
) -> tuple[StepModel | None, str]:
    """The step graph beside ``policy_path`` and a one-line status.

    Returns ``(None, why)`` when there is none, or when it does not belong to that policy:
    ``policy_id`` differs, it does not have the step signature, its cache inputs do not
    have the shapes of the policy's cache outputs (``cache_shapes``, by name: layers,
    positions, width), or ``probe(step)`` (run last) says why its results are not the
    policy's.  Never raises for a bad file; a step file that is there but not used is
    reported once as a warning on the ``treesketch.model`` logger.
    """
    path = step_model_path(policy_path)
    if not policy_id:
        return None, "the policy file has no id to match a step graph"
    if not path.is_file():
        return None, f"no {path.name}: decoding runs full forwards"
    step, why = _open(path, policy_id, make_session, cache_shapes, probe, pos_base)
    if step is None:
        status = f"{path.name} not used ({why}): decoding runs full forwards"
        log.warning("%s", status)
        return None, status
    return step, f"cached decoding with {path.name}"


def _open(
    path, policy_id, make_session, cache_shapes, probe, pos_base: int = POS_BASE
) -> tuple[StepModel | None, str]:
    try:
        session = make_session(path, path.read_bytes())
    except Exception as e:  # a corrupt or unreadable file: decode without it
        return None, _first_line(e)
    try:
        meta = dict(session.get_modelmeta().custom_metadata_map)
    except UnicodeDecodeError:  # metadata that is not text: not one of ours
        return None, "its metadata is not valid UTF-8"
    if meta.get("treesketch_format") != STEP_FORMAT_TAG:
        return None, f"format {excerpt(str(meta.get('treesketch_format')))}"
    if meta.get("policy_id") != policy_id:
        return None, "it belongs to another export"
    why = signature_mismatch(session, cache_shapes, pos_base)
    if why:
        return None, why
    step = StepModel(path, session)
    if probe is not None:
        try:
            why = probe(step)
        except Exception as e:  # a graph that loads but cannot run on the policy's cache
            why = f"it does not run on the policy's cache: {_first_line(e)}"
        if why:
            return None, why
    return step, ""


def signature_mismatch(
    session, cache_shapes: dict[str, Sequence] | None = None, pos_base: int = POS_BASE
) -> str | None:
    """Why the step graph ``session`` cannot decode from a policy's cache, or ``None``.

    Checks the names, element types and ranks of the inputs and outputs (module doc) and,
    given the policy's ``cache_shapes`` (its cache outputs' shapes by name), that every
    axis both fix agrees, and that ``prev_kv`` and ``new_kv`` have the layers and width
    of ``self_kv``.
    """
    inputs = {a.name: a for a in session.get_inputs()}
    outputs = {a.name: a for a in session.get_outputs()}
    if set(inputs) != set(STEP_INPUTS) or set(outputs) != set(STEP_OUTPUTS):
        return "its inputs or outputs differ"
    args = {**inputs, **outputs}
    for name, (dtype, rank) in _SIGNATURE.items():
        arg = args[name]
        if arg.type != dtype or len(arg.shape) != rank:
            kind = "input" if name in inputs else "output"
            found = f"{arg.type} of rank {len(arg.shape)}"
            return f"{kind} {name!r} is {found}, not {dtype} of rank {rank}"
    fixed = {"token_logits": {3: pos_base}}
    if cache_shapes is not None:
        for name in CACHE_OUTPUTS:
            want = list(cache_shapes[name])
            if len(want) != _SIGNATURE[name][1]:
                return f"the policy's {name!r} has rank {len(want)}"
            fixed[name] = dict(enumerate(want))
        layers, width = cache_shapes["self_kv"][0], cache_shapes["self_kv"][-1]
        fixed["prev_kv"] = fixed["new_kv"] = {0: layers, 4: width}
    for name, axes in fixed.items():
        for axis, want in axes.items():
            got = args[name].shape[axis]
            if isinstance(got, int) and isinstance(want, int) and got != want:
                kind = "input" if name in inputs else "output"
                return f"{kind} {name!r} axis {axis} is {got}, the policy's is {want}"
    return None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return one_line(text.splitlines()[0], 120) if text else type(error).__name__
