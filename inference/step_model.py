"""The cached decoding step: a second ONNX graph that continues edits after program prefixes.

Program tokens never attend to the edit that follows them (DESIGN.md §3), so their keys and
values are the same for every edit of a program.  A policy file may therefore also output
that cache (``CACHE_OUTPUTS``: per-layer self-attention and image keys/values, the input
embeddings, the pointer keys and the global image vector) for its ``program + <EDIT>`` rows,
and ship ``<name>.step.onnx`` beside it (:func:`step_model_path`): a graph that takes the cache
and the edit tokens so far and returns their next-token logits, computing only the edit
tokens.  The two files carry the same ``policy_id``; a step file that is missing, unreadable
or from another export is not used, and decoding falls back to full forwards.

Step inputs (``STEP_INPUTS``): ``edit_tokens`` int64 (B, M, N), the new ids of M edits of
each of the B cached rows, padded at the end; ``prev_len`` int64 (B, M), how many ids each
edit had before, and ``prev_kv`` float (L, B, M, E, 2d), their keys/values from earlier
steps (padded; E ≥ 1); ``prefix_len`` int64 (B,); and the cache.  Outputs:
``token_logits`` (B, M, N, POS_BASE), ``pos_logits`` (B, M, N, P), where P is the cached
rows' padded length, and ``new_kv`` (L, B, M, N, 2d), the new ids' keys/values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

CACHE_OUTPUTS = ("self_kv", "img_kv", "x0", "ptr_keys", "glob")
"""Extra outputs of a policy graph that can be decoded with a step graph."""
STEP_INPUTS = ("edit_tokens", "prev_len", "prev_kv", "prefix_len", *CACHE_OUTPUTS)
STEP_OUTPUTS = ("token_logits", "pos_logits", "new_kv")
STEP_FORMAT_TAG = "policy-step-v2"
"""The ``treesketch_format`` metadata value of a step graph."""


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
    policy_path: Path, policy_id: str | None, make_session: Callable[[Path, bytes], object]
) -> tuple[StepModel | None, str]:
    """The step graph beside ``policy_path`` and a one-line status.

    Returns ``(None, why)`` when there is none or it does not belong to that policy
    (``policy_id`` differs) or does not have the step signature; never raises for a bad file.
    """
    path = step_model_path(policy_path)
    if not policy_id:
        return None, "the policy file has no id to match a step graph"
    if not path.is_file():
        return None, f"no {path.name}: decoding runs full forwards"
    try:
        session = make_session(path, path.read_bytes())
    except Exception as e:  # a corrupt or unreadable file: decode without it
        return None, f"{path.name} not used ({str(e).strip().splitlines()[0][:120]})"
    meta = dict(session.get_modelmeta().custom_metadata_map)
    if meta.get("treesketch_format") != STEP_FORMAT_TAG:
        return None, f"{path.name} not used (format {meta.get('treesketch_format')!r})"
    if meta.get("policy_id") != policy_id:
        return None, f"{path.name} not used (it belongs to another export)"
    inputs = {a.name for a in session.get_inputs()}
    outputs = {a.name for a in session.get_outputs()}
    if inputs != set(STEP_INPUTS) or outputs != set(STEP_OUTPUTS):
        return None, f"{path.name} not used (its inputs or outputs differ)"
    return StepModel(path, session), f"cached decoding with {path.name}"
