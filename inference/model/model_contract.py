"""The ONNX model contract, defined once: format tags, graph inputs and outputs, modalities.

``models/export.py`` writes files to it, :mod:`inference.model.onnx_model` and
:mod:`inference.model.step_model` check and read them, and ``tests/fake_policy.py`` builds
conforming fakes; all four import these names (``docs/MODEL_CONTRACT.md`` explains them).

A policy graph takes ``images`` (B, C, S, S) float (C image planes: 3 for CSG2D, 9 for
TinySVG), ``tokens`` (B, T) int64, ``feats``
(B, T, F) float and ``prefix_len`` (B,) int64, and returns ``token_logits`` (B, T,
POS_BASE), ``pos_logits`` (B, T, T) and ``value`` (B,); one that can be decoded step by
step also returns its key/value cache (:data:`CACHE_OUTPUTS`), which a step graph beside
it reads (:data:`STEP_INPUTS` → :data:`STEP_OUTPUTS`).
"""

from __future__ import annotations

FORMAT_TAG = "policy-v1"
"""The ``treesketch_format`` metadata value of a policy graph."""
STEP_FORMAT_TAG = "policy-step-v2"
"""The ``treesketch_format`` metadata value of a step graph."""

INT, FLOAT = "tensor(int64)", "tensor(float)"
"""ONNX Runtime's names of the two element types the contract uses."""

INPUTS = ("images", "tokens", "feats", "prefix_len")
"""A policy graph's inputs, in order."""
OUTPUTS = ("token_logits", "pos_logits", "value")
"""A policy graph's outputs, in order (the cache, when present, follows)."""
SIGNATURE = {
    "images": (FLOAT, 4), "tokens": (INT, 2), "feats": (FLOAT, 3), "prefix_len": (INT, 1),
    "token_logits": (FLOAT, 3), "pos_logits": (FLOAT, 3), "value": (FLOAT, 1),
}  # fmt: skip
"""Element type and rank of every policy input and output."""

CACHE_OUTPUTS = ("self_kv", "img_kv", "x0", "ptr_keys", "glob")
"""Extra outputs of a policy graph that can be decoded with a step graph."""
STEP_INPUTS = ("edit_tokens", "prev_len", "prev_kv", "prefix_len", *CACHE_OUTPUTS)
"""A step graph's inputs, in order."""
STEP_OUTPUTS = ("token_logits", "pos_logits", "new_kv")
"""A step graph's outputs, in order."""
STEP_SIGNATURE = {
    "edit_tokens": (INT, 3), "prev_len": (INT, 2), "prev_kv": (FLOAT, 5),
    "prefix_len": (INT, 1), "self_kv": (FLOAT, 4), "img_kv": (FLOAT, 4),
    "x0": (FLOAT, 3), "ptr_keys": (FLOAT, 3), "glob": (FLOAT, 2),
    "token_logits": (FLOAT, 4), "pos_logits": (FLOAT, 4), "new_kv": (FLOAT, 5),
}  # fmt: skip
"""Element type and rank of every step input and output."""

MODALITIES = ("filled", "sketch")
"""The kinds of target."""
MODEL_MODALITIES = (*MODALITIES, "both")
"""What a model file may declare: one kind of target, or both (one network for both)."""
TASKS = ("edit", "write")
"""What a network was trained to do (metadata ``task``, "edit" when absent): propose edits
(the tree-diffusion policy) or write whole programs (the autoregressive baseline)."""


LANGUAGE_KEY = "language"
"""The metadata key naming a model's language (``"CSG2D"``, ``"TinySVG"``)."""
DEFAULT_LANGUAGE = "CSG2D"
"""The language of a model whose metadata names none (every model before issue 17)."""
IMAGE_PLANES_KEY = "image_planes"
"""The metadata key holding the number of image planes C (absent: the language's own)."""
LANGUAGE_PLANES = {"CSG2D": 3, "TinySVG": 9}
"""The image planes of each language: CSG2D's target, render and |difference|, and
TinySVG's the same as RGB."""


def model_language(metadata: dict[str, str]) -> str:
    """The language a model's metadata names (:data:`DEFAULT_LANGUAGE` when it names none)."""
    return metadata.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)


def language_mismatch(model_lang: str, document_lang: str) -> str | None:
    """The one-line refusal of a ``model_lang`` model for a ``document_lang`` document, or
    ``None`` when they are the same language (names compare without case)."""
    if model_lang.lower() == document_lang.lower():
        return None
    return f"this model is for {model_lang}; the document is {document_lang}"


def target_kind(is_sketch: bool) -> str:
    """The modality name of a target: ``"sketch"`` or ``"filled"``."""
    return "sketch" if is_sketch else "filled"


def model_modality(training_modality: str) -> str:
    """What a model trained on ``training_modality`` declares: a ``"mixed"`` run serves
    ``"both"``; the others their own."""
    return "both" if training_modality == "mixed" else training_modality
