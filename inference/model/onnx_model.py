"""Loading the policy/value ONNX model and checking its contract (DESIGN.md §3).

A model file carries its contract in ONNX ``metadata_props`` (see
``docs/MODEL_CONTRACT.md``): format tag, language, grammar version, vocabulary,
image size and planes, feature version and width, modality, training facts.  A
file that names no language is a CSG2D model.  :meth:`PolicyModel.load`
refuses any file that does not match this runtime with a :class:`ModelError`
whose one-line message names the file and what differs, so the editor can
show it and stay usable for manual editing.

Only ``onnxruntime`` and ``numpy`` are used here (never ``onnx`` or torch).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from inference.lang.tinysvg import arrange, ellipse, rectangle
from inference.lang.tree import Node, binop, circle, quad
from inference.model import model_batches, svg_features
from inference.model import token_features as model_inputs
from inference.model.model_contract import (
    CACHE_OUTPUTS,
    FORMAT_TAG,
    IMAGE_PLANES_KEY,
    INPUTS,
    LANGUAGE_PLANES,
    MODALITIES,
    MODEL_MODALITIES,
    OUTPUTS,
    SIGNATURE,
    TASKS,
    language_mismatch,
    model_language,
)
from inference.model.step_model import StepModel, load_step
from inference.model.tokens import CSG2D_VOCAB, Vocabulary, vocabulary_for
from inference.targets import target_images
from inference.util.bounded_json import parse_json
from inference.util.excerpt import excerpt, one_line

STEP_TOLERANCE = 1e-3
"""How far (absolute and relative) a step graph's logits may be from the policy's full forward
on the load-time test row (they agree to about 1e-5; another network's are off by units)."""

WEIGHTS_KEY = "weights"
"""Metadata key of a policy whose weights are not the export's floats: ``"int8"`` for a
dynamically quantized copy (:mod:`models.quantize`)."""

INT8_STEP_TOLERANCE = 0.25
""":data:`STEP_TOLERANCE` for an int8 policy: its activations are quantized on the fly,
by each call's own range, so the step graph and the full forward differ by quantization
noise (about 0.07 on the shipped policy's test row, whose logits reach 3.5)."""

INT_FIELD_CHARS = 12
"""Longest integer metadata value (``image_size``, ``feature_dim``) read as a number."""

_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
_INPUTS = {name: SIGNATURE[name] for name in INPUTS}
_OUTPUTS = {name: SIGNATURE[name] for name in OUTPUTS}
_INPUT_DTYPES = {
    name: np.int64 if SIGNATURE[name][0] == "tensor(int64)" else np.float32 for name in INPUTS
}


class ModelError(RuntimeError):
    """A model file that cannot be used; the message is one user-facing line."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


def default_model_path(modality: str = "filled", models_dir: Path | None = None) -> Path:
    """The shipped model for ``modality`` ("filled" or "sketch").

    ``models/policy_<modality>.onnx`` when that file exists, else ``models/policy.onnx``,
    the one network for both kinds.  The file may not exist (no model trained yet);
    :meth:`PolicyModel.load` then raises :class:`ModelError`.
    """
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
    folder = _MODELS_DIR if models_dir is None else Path(models_dir)
    own = folder / f"policy_{modality}.onnx"
    return own if own.exists() else folder / "policy.onnx"


SVG_MODEL_NAME = "policy_tinysvg.onnx"
"""The shipped TinySVG model's file name, beside the CSG2D ones in ``models/``."""


def default_svg_model_path(models_dir: Path | None = None) -> Path:
    """The shipped TinySVG model, ``models/policy_tinysvg.onnx`` (it may not exist)."""
    return (_MODELS_DIR if models_dir is None else Path(models_dir)) / SVG_MODEL_NAME


class PolicyModel:
    """A loaded, contract-checked policy/value network (use :meth:`load`).

    Attributes:
        path: the file it was loaded from.
        metadata: all ``metadata_props`` as strings.
        language: the language it edits (``"CSG2D"``, ``"TinySVG"``).
        vocabulary: that language's :class:`~inference.model.tokens.Vocabulary`.
        grammar: that language's grammar.
        image_planes: C of the ``images`` input (3 for CSG2D, 9 for TinySVG).
        image_size: side S of the ``images`` input.
        modality: "filled", "sketch" or "both".
        feature_dim: width F of the ``feats`` input.
        training_examples: examples seen in training (``None`` if not recorded).
        dev_metrics: dev-set scores recorded at export (``{}`` if not recorded).
        config: the network config recorded at export (``{}`` if not recorded).
        task: "edit" (a tree-diffusion policy) or "write" (the autoregressive baseline,
            :mod:`inference.search.autoregressive`).
        step: the cached-decoding step graph (:mod:`inference.model.step_model`) or ``None``.
        step_status: one line on whether decoding is cached, and why not.
        int8: an int8 copy (``weights`` = ``int8``, :mod:`models.quantize`).
    """

    step: StepModel | None = None
    step_status = "the policy graph has no key/value cache outputs"

    def __init__(self, path: Path, session: ort.InferenceSession, metadata: dict[str, str]):
        self.path = path
        self.session = session
        self.metadata = dict(metadata)
        self.vocabulary: Vocabulary = vocabulary_for(model_language(metadata))
        self.language = self.vocabulary.language
        self.grammar = self.vocabulary.grammar
        self.image_planes = LANGUAGE_PLANES[self.language]
        self.image_size = int(metadata["image_size"])
        self.modality = metadata["modality"]
        self.feature_dim = int(metadata["feature_dim"])
        self.training_examples = _optional_int(metadata.get("training_examples"))
        self.dev_metrics = _optional_json(metadata.get("dev_metrics"))
        self.config = _optional_json(metadata.get("config"))
        self.task = metadata.get("task", "edit")
        self.int8 = metadata.get(WEIGHTS_KEY) == "int8"

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        *,
        intra_op_threads: int = 0,
        modality: str | None = None,
        task: str | None = "edit",
        language: str | None = None,
    ) -> PolicyModel:
        """Open ``path`` with onnxruntime (CPU) and check it against the contract.

        Args:
            path: the ``.onnx`` file.
            intra_op_threads: onnxruntime intra-op threads; 0 lets it choose.
            modality: if given, the model must handle this kind of target.
            task: the model must have been trained for this task (:data:`TASKS`): "edit",
                the default, for the search and the editor; "write" for the
                autoregressive baseline; ``None`` takes either.
            language: if given, the document's language (``"CSG2D"``, ``"TinySVG"``): a
                model for another language is refused ("this model is for TinySVG; the
                document is CSG2D").

        Raises:
            ModelError: the file is missing, unreadable, not an ONNX model, its
                metadata, inputs or outputs differ from this runtime's contract,
                it is a model of another language, task or modality, or it fails a
                one-batch self-test (two tiny programs).
        """
        path = Path(path)
        data = _read_bytes(path)
        session = _session(path, data, intra_op_threads)
        metadata = _metadata(path, session)
        if language is not None:
            _check_language(path, metadata, language)
        check_metadata(path, metadata)
        if modality is not None and metadata["modality"] not in (modality, "both"):
            raise ModelError(path, f"is a {metadata['modality']!r} model, need {modality!r}")
        _check_task(path, metadata.get("task", "edit"), task)
        _check_signature(path, session, metadata)
        model = cls(path, session, metadata)
        model._self_test()
        outputs = {o.name: o.shape for o in session.get_outputs()}
        if set(outputs) >= set(CACHE_OUTPUTS):
            model.step, model.step_status = load_step(
                path,
                metadata.get("policy_id"),
                lambda p, data: _session(p, data, intra_op_threads),
                {k: outputs[k] for k in CACHE_OUTPUTS},
                model._step_mismatch,
                model.vocabulary.pos_base,
            )
        return model

    def run_with_cache(self, inputs: dict[str, np.ndarray]):
        """:meth:`run` plus the key/value cache for :attr:`step` (a dict by output name)."""
        feed = {k: np.ascontiguousarray(inputs[k], dtype=t) for k, t in _INPUT_DTYPES.items()}
        outs = self.session.run([*OUTPUTS, *CACHE_OUTPUTS], feed)
        token_logits, pos_logits, value = outs[:3]
        return token_logits, pos_logits, value, dict(zip(CACHE_OUTPUTS, outs[3:], strict=True))

    def run(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One forward pass.

        Args:
            inputs: ``images`` [B,3,S,S], ``tokens`` [B,T], ``feats`` [B,T,F],
                ``prefix_len`` [B] (converted to the contract's dtypes).

        Returns:
            ``(token_logits [B,T,pos_base], pos_logits [B,T,T], value [B])``, float32
            (``pos_base`` of :attr:`vocabulary`).
        """
        feed = {k: np.ascontiguousarray(inputs[k], dtype=t) for k, t in _INPUT_DTYPES.items()}
        outs = self.session.run(list(OUTPUTS), feed)
        token_logits, pos_logits, value = (np.asarray(o, dtype=np.float32) for o in outs)
        return token_logits, pos_logits, value

    def check_language(self, language: str | Node) -> None:
        """:class:`ModelError` unless this model is for ``language`` (a name or a program):
        "this model is for TinySVG; the document is CSG2D"."""
        if isinstance(language, Node):
            language = language.grammar.name
        why = language_mismatch(self.language, language)
        if why:
            raise ModelError(self.path, why)

    def handles(self, modality: str) -> bool:
        """True when this model was trained for ``modality`` targets."""
        return self.modality in (modality, "both")

    def target_input(self, image: np.ndarray, kind: str | None = None) -> np.ndarray:
        """A target image as this model's input expects it, at :attr:`image_size`.

        For a filled target the input is a ``bool`` mask: any other image
        (``bool``, 8-bit or float in [0, 1], 1 = inside, any size) goes through
        ``target_images.target_mask``.  For a sketch it is float ink in [0, 1]
        (1 = ink; 8-bit is scaled); another size is area-averaged.  ``kind``
        ("filled" or "sketch") says which the image is; by default the model's
        own modality, and for a "both" model a ``bool`` image is filled and any
        other a sketch.  A TinySVG model's target is an (H, W, 3) RGB image (8-bit or
        float in [0, 1], any size), read as float (S, S, 3) in [0, 1].
        """
        image = np.asarray(image)
        size = self.image_size
        if self.vocabulary is not CSG2D_VOCAB:  # an RGB image, float in [0, 1] at S
            return svg_features.target_rgb(image, size)
        if image.ndim != 2:
            raise ValueError(f"a target is a 2-D image, got shape {image.shape}")
        if kind is None:
            kind = self.modality
            if kind == "both":
                kind = "filled" if image.dtype == np.bool_ else "sketch"
        if kind == "filled":
            if image.dtype == np.bool_ and image.shape == (size, size):
                return image
            return target_images.target_mask(image, size)
        if np.issubdtype(image.dtype, np.integer):
            image = image / 255.0
        if image.shape != (size, size):
            return target_images.downsample(image, size)
        return image.astype(np.float32)

    def _test_inputs(self):
        """A blank target, a small and a bigger program of the language, and an edit of
        the bigger one (``<POS 2>``, a number 3)."""
        vocab = self.vocabulary
        if vocab is CSG2D_VOCAB:
            target = self.target_input(np.zeros((self.image_size, self.image_size), bool))
            small, big = circle(4, 8, 8), binop("-", circle(4, 8, 8), quad(8, 8, 4, 4, 45))
            number = vocab.leaf_range["num"].start + 3
        else:
            target = self.target_input(np.ones((self.image_size, self.image_size, 3)))
            small = rectangle(4, 3, "red")
            big = arrange("h", rectangle(4, 3, "red"), ellipse(2, 5, "blue", "black", 2), 1)
            number = vocab.leaf_range["digit"].start + 3
        return target, small, big, [vocab.pos_base + 2, number]

    def _self_test(self) -> None:
        """Run two tiny programs through ``encode_batch`` and the network; check the outputs."""
        target, small, big, edit = self._test_inputs()
        items = [(target, small, []), (target, big, edit)]
        try:
            inputs = model_batches.encode_batch(items)
            outputs = self.run(inputs)
        except Exception as e:  # a graph that loads but cannot run these inputs
            detail = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
            raise ModelError(
                self.path, f"does not run on this version's inputs ({detail})"
            ) from None
        b, t = inputs["tokens"].shape
        want = ((b, t, self.vocabulary.pos_base), (b, t, t), (b,))
        for name, out, shape in zip(OUTPUTS, outputs, want, strict=True):
            if out.shape != shape:
                raise ModelError(self.path, f"output {name!r} has shape {out.shape}, not {shape}")
            if not np.isfinite(out).all():
                raise ModelError(self.path, f"output {name!r} is not finite on a test input")

    def _step_mismatch(self, step: StepModel) -> str | None:
        """Why ``step`` does not continue this policy's forwards, or ``None`` when it does.

        Its logits after one and two edit ids of a test program must be the full forward's
        (within :data:`STEP_TOLERANCE`; :data:`INT8_STEP_TOLERANCE` for an int8 policy).
        """
        target, _, program, edit = self._test_inputs()
        tok, pos, _ = self.run(model_batches.encode_batch([(target, program, edit)]))
        prefix = model_batches.encode_batch([(target, program, [])])
        cache = self.run_with_cache(prefix)[3]
        n, (layers, width) = int(prefix["prefix_len"][0]), cache["self_kv"].shape[::3]
        got_tok, got_pos, _ = step.run(
            np.array([[edit]]),
            np.zeros((1, 1)),
            np.zeros((layers, 1, 1, 1, width)),
            prefix["prefix_len"],
            cache,
        )
        pairs = ((tok[0, n : n + 2], got_tok[0, 0]), (pos[0, n : n + 2, :n], got_pos[0, 0, :, :n]))
        tol = INT8_STEP_TOLERANCE if self.int8 else STEP_TOLERANCE
        for want, got in pairs:
            if got.shape != want.shape or not np.allclose(got, want, tol, tol):
                return "its logits are not the policy's on a test row"
        return None

    def __repr__(self) -> str:
        return (
            f"PolicyModel({self.path.name!r}, language={self.language!r}, "
            f"modality={self.modality!r}, S={self.image_size})"
        )


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ModelError(path, f"model file not found: {path}")
    if not path.is_file():
        raise ModelError(path, f"not a file: {path}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelError(path, f"cannot read the model file ({e.strerror or e})") from None
    if not data:
        raise ModelError(path, "not a valid ONNX model (the file is empty)")
    return data


def _session(path: Path, data: bytes, intra_op_threads: int) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = max(0, int(intra_op_threads))
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises plain Exception subclasses
        raise ModelError(path, f"not a valid ONNX model ({_first_line(e)})") from None


def _first_line(error: Exception) -> str:
    """The first line of onnxruntime's message, escaped and shortened (it may quote the file)."""
    text = str(error).strip()
    return one_line(text.split("\n", 1)[0], 160) if text else type(error).__name__


def _metadata(path: Path, session: ort.InferenceSession) -> dict[str, str]:
    try:
        return dict(session.get_modelmeta().custom_metadata_map)
    except UnicodeDecodeError:  # onnxruntime decodes every key and value as UTF-8
        raise ModelError(path, "metadata is not valid UTF-8 (not a TreeSketch model?)") from None


def _quoted(value: object) -> str:
    """A metadata value quoted in a message: escaped, at most :data:`EXCERPT_CHARS` of it."""
    return f"'{excerpt(value if isinstance(value, str) else repr(value))}'"


def _metadata_json(path, key: str, text: str) -> object:
    """A metadata value's JSON, read by :func:`inference.util.bounded_json.parse_json` (bounded)."""
    try:
        return parse_json(text)
    except ValueError as e:
        why = str(e)
        if why.startswith("not valid JSON"):
            raise ModelError(path, f"metadata {key!r} is {why}") from None
        raise ModelError(path, f"metadata {key!r} is not usable JSON ({why})") from None


def check_metadata(path: str | os.PathLike, metadata: dict[str, str]) -> None:
    """Check the contract keys of a model's metadata; :class:`ModelError` on a mismatch."""

    def need(key: str) -> str:
        if key not in metadata:
            raise ModelError(path, f"metadata key {key!r} is missing (not a TreeSketch model?)")
        return metadata[key]

    fmt = need("treesketch_format")
    if fmt != FORMAT_TAG:
        raise ModelError(path, f"model format is {_quoted(fmt)}, this version reads {FORMAT_TAG!r}")
    vocab = _vocabulary(path, metadata)
    grammar = need("grammar_version")
    if grammar != vocab.version:
        raise ModelError(
            path, f"grammar version is {_quoted(grammar)}, this version needs {vocab.version!r}"
        )
    _check_vocab(path, need("vocab"), vocab)
    planes = metadata.get(IMAGE_PLANES_KEY)
    want_planes = LANGUAGE_PLANES[vocab.language]
    if planes is not None and _int_field(path, IMAGE_PLANES_KEY, planes) != want_planes:
        raise ModelError(
            path,
            f"image planes are {_quoted(planes)}, a {vocab.language} model reads {want_planes}",
        )
    feature_version = need("feature_version")
    if feature_version != str(model_inputs.FEATURE_VERSION):
        raise ModelError(
            path,
            f"feature version is {_quoted(feature_version)}, "
            f"this version computes {model_inputs.FEATURE_VERSION!r}",
        )
    dim = _int_field(path, "feature_dim", need("feature_dim"))
    if dim != model_inputs.FEATURE_DIM:
        raise ModelError(
            path, f"feature dim is {dim}, this version computes {model_inputs.FEATURE_DIM}"
        )
    size = _int_field(path, "image_size", need("image_size"))
    if size < 8:
        raise ModelError(path, f"image size {size} is too small")
    modality = need("modality")
    if modality not in MODEL_MODALITIES:
        raise ModelError(
            path, f"unknown modality {_quoted(modality)} (expected one of {MODEL_MODALITIES})"
        )


def _vocabulary(path, metadata: dict[str, str]) -> Vocabulary:
    """The vocabulary of the language the metadata names; :class:`ModelError` if unknown."""
    name = model_language(metadata)
    try:
        return vocabulary_for(name)
    except KeyError:
        known = ", ".join(LANGUAGE_PLANES)
        raise ModelError(path, f"unknown language {_quoted(name)} (expected {known})") from None


def _check_language(path, metadata: dict[str, str], language: str) -> None:
    """:class:`ModelError` unless the model's language is the document's ``language``."""
    why = language_mismatch(_vocabulary(path, metadata).language, language)
    if why:
        raise ModelError(path, why)


def _check_task(path, found: str, wanted: str | None) -> None:
    """:class:`ModelError` unless a model of task ``found`` may be used where ``wanted`` is."""
    if found not in TASKS:
        raise ModelError(
            path, f"unknown task {_quoted(found)} (expected one of {', '.join(TASKS)})"
        )
    if wanted is None or found == wanted:
        return
    if found == "write":
        raise ModelError(
            path,
            "is a write model (the autoregressive baseline), not a tree-edit policy; "
            "it runs only as bench's autoregressive method (--ar-model)",
        )
    raise ModelError(path, "is a tree-edit policy; the autoregressive baseline needs a write model")


def _check_vocab(path, text: str, expected: Vocabulary = CSG2D_VOCAB) -> None:
    vocab = _metadata_json(path, "vocab", text)
    tokens = expected.tokens
    if not isinstance(vocab, list):
        raise ModelError(path, "metadata 'vocab' is not a JSON list")
    if len(vocab) != len(tokens):
        raise ModelError(
            path, f"vocabulary has {len(vocab)} tokens, this version has {len(tokens)}"
        )
    for i, (a, b) in enumerate(zip(vocab, tokens, strict=True)):
        if a != b:
            raise ModelError(path, f"vocabulary differs at id {i}: {_quoted(a)} instead of {b!r}")


def _int_field(path, key: str, text: str) -> int:
    try:
        if len(text) > INT_FIELD_CHARS:  # int() of thousands of digits is Python's own error
            raise ValueError
        return int(text)
    except ValueError:
        raise ModelError(path, f"metadata {key!r} is not an integer: {_quoted(text)}") from None


def _check_signature(path: Path, session: ort.InferenceSession, metadata: dict[str, str]) -> None:
    size, dim = int(metadata["image_size"]), int(metadata["feature_dim"])
    vocab = vocabulary_for(model_language(metadata))
    planes = LANGUAGE_PLANES[vocab.language]
    fixed = {
        "images": {1: planes, 2: size, 3: size},
        "feats": {2: dim},
        "token_logits": {2: vocab.pos_base},
    }
    dynamic = {"images": (0,), "tokens": (0, 1), "feats": (0, 1), "prefix_len": (0,)}
    dynamic |= {"token_logits": (0, 1), "pos_logits": (0, 1, 2), "value": (0,)}
    for kind, args, spec in (
        ("input", session.get_inputs(), _INPUTS),
        ("output", session.get_outputs(), _OUTPUTS),
    ):
        found = {a.name: a for a in args}
        if kind == "output" and set(found) == set(spec) | set(CACHE_OUTPUTS):
            found = {k: v for k, v in found.items() if k in spec}  # a graph with a cache
        if set(found) != set(spec):
            raise ModelError(
                path,
                f"{kind}s are {excerpt(str(sorted(found)), 200)}, "
                f"the contract needs {sorted(spec)}",
            )
        for name, (dtype, rank) in spec.items():
            arg = found[name]
            if arg.type != dtype or len(arg.shape) != rank:
                raise ModelError(
                    path,
                    f"{kind} {name!r} is {arg.type} of rank {len(arg.shape)}, "
                    f"the contract needs {dtype} of rank {rank}",
                )
            _check_dims(path, kind, name, arg.shape, fixed.get(name, {}), dynamic[name])


def _check_dims(path, kind: str, name: str, shape, fixed: dict, dynamic: tuple) -> None:
    for axis, want in fixed.items():
        got = shape[axis]
        if isinstance(got, int) and got != want:
            raise ModelError(path, f"{kind} {name!r} axis {axis} is {got}, expected {want}")
    for axis in dynamic:
        if isinstance(shape[axis], int):
            raise ModelError(
                path, f"{kind} {name!r} axis {axis} is fixed to {shape[axis]}, must be dynamic"
            )


def _optional_int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _optional_json(text: str | None) -> dict:
    try:
        value = parse_json(text) if text else {}
    except ValueError:  # parse_json's refusals (bounded): too deep, too long, not JSON
        return {}
    return value if isinstance(value, dict) else {}
