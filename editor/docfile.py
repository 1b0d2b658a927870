"""Reading and writing editor documents (no Qt).

A document is in one language, CSG2D or TinySVG (``inference.lang.grammar``); its
target depends on it: CSG2D's is a grey ink image, float32 (:data:`TARGET_SIZE`,
:data:`TARGET_SIZE`) in [0, 1] with 1 = ink; TinySVG's an RGB picture, float32
(:data:`SVG_TARGET_SIZE`, :data:`SVG_TARGET_SIZE`, 3) in [0, 1], white (all 1.0) where
nothing is drawn, always "filled" (:func:`blank_target`).

File types:

* ``.csg`` / ``.tsvg`` (and ``.json`` exports, read only): the program alone, as
  canonical text.  The language is the one the text names (``Circle``: CSG2D,
  ``Rectangle``: TinySVG; ``inference.files.fileio.language_of``).  Opening one gives
  an empty target.
* ``.tsk``, the TreeSketch document: program *and* target travel together.
  It is UTF-8 JSON::

      {
        "format": "treesketch-document",
        "version": 1,
        "language": "CSG2D",             # or "TinySVG"; a file without it is CSG2D
        "program": "(- (Circle 6 8 8) (Quad 8 8 4 4 45))",
        "modality": "filled",            # or "sketch" (CSG2D only)
        "exact_shapes": true,            # optional: drawn with the snapping shape tools only
        "locked": [7],                   # token positions of locked nodes
        "target_png": "iVBORw0KGgo...",  # base64 PNG: CSG2D 8-bit grey, 255 = ink;
                                         #   TinySVG 8-bit RGB as drawn
        "origin": "/home/me/a.tsk"       # autosave files only: the document's own path
      }

  The target PNG is written at the language's target size; any square-able image is
  accepted on reading (it is scaled to fit).

Writes are atomic (``inference.files.fileio``).  Every reading problem is one
:class:`ProgramFileError` line naming the file.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from inference.files.fileio import (
    ProgramFileError,
    atomic_write_bytes,
    atomic_write_text,
    parse_json,
    read_program,
    read_text,
)
from inference.files.images import MAX_PIXELS, MAX_SIDE, ImageError, load_target, png_bytes
from inference.lang.grammar import CSG2D, TINYSVG, Grammar, grammar_named
from inference.lang.locks import valid_locks
from inference.lang.syntax import ParseError, parse, to_text
from inference.lang.tree import Node
from inference.render.svg_scene import CANVAS as SVG_CANVAS
from inference.util.excerpt import excerpt

TARGET_SIZE = 256
"""Side of a CSG2D document's target raster (pixels over the 32-unit canvas)."""
SVG_TARGET_SIZE = SVG_CANVAS
"""Side of a TinySVG document's target picture: the 224-pixel canvas (docs/TINYSVG.md)."""
DOC_SUFFIX = ".tsk"
DOC_FORMAT = "treesketch-document"
DOC_VERSION = 1
MODALITIES = ("filled", "sketch")
OPEN_SUFFIXES = (DOC_SUFFIX, ".csg", ".tsvg", ".json")
SAVE_SUFFIXES = (DOC_SUFFIX, ".csg", ".tsvg")
PROGRAM_SUFFIX = {CSG2D.name: ".csg", TINYSVG.name: ".tsvg"}
"""The program-text suffix of each language (saving the program alone)."""


def target_shape(grammar: Grammar = CSG2D) -> tuple[int, ...]:
    """The shape of a ``grammar`` document's target array."""
    if grammar is TINYSVG:
        return (SVG_TARGET_SIZE, SVG_TARGET_SIZE, 3)
    return (TARGET_SIZE, TARGET_SIZE)


def blank_target(grammar: Grammar = CSG2D) -> np.ndarray:
    """An empty target: for CSG2D no ink, float32 (TARGET_SIZE, TARGET_SIZE) of 0; for
    TinySVG white paper, float32 (SVG_TARGET_SIZE, SVG_TARGET_SIZE, 3) of 1."""
    if grammar is TINYSVG:
        return np.ones(target_shape(grammar), np.float32)
    return np.zeros(target_shape(grammar), np.float32)


@dataclass
class DocumentData:
    """What a document file holds.  ``target`` defaults to the blank target of the
    program's language; a target of the wrong shape for it is a ``ValueError``."""

    program: Node
    target: np.ndarray | None = None
    modality: str = "filled"
    locked: frozenset[int] = frozenset()
    origin: str | None = None
    exact_shapes: bool = False
    """The target was drawn with the snapping shape tools only (see ``Document``)."""

    def __post_init__(self) -> None:
        if self.target is None:
            self.target = blank_target(self.grammar)
        elif np.shape(self.target) != target_shape(self.grammar):
            raise ValueError(
                f"a {self.grammar.name} target is {target_shape(self.grammar)}, "
                f"got {np.shape(self.target)}"
            )

    @property
    def grammar(self) -> Grammar:
        """The document's language: its program's."""
        return self.program.grammar


def to_json(data: DocumentData) -> str:
    """The ``.tsk`` text of ``data``."""
    record = {
        "format": DOC_FORMAT,
        "version": DOC_VERSION,
        "language": data.grammar.name,
        "program": to_text(data.program),
        "modality": data.modality,
        "locked": sorted(data.locked),
        "target_png": base64.b64encode(_target_png(data.target)).decode("ascii"),
    }
    if data.origin:
        record["origin"] = data.origin
    if data.exact_shapes:
        record["exact_shapes"] = True
    return json.dumps(record, indent=2) + "\n"


def from_json(text: str, name: str = "document") -> DocumentData:
    """Parse ``.tsk`` text; :class:`ProgramFileError` (one line naming ``name``) on anything
    wrong: not JSON, nested too deeply, numbers too long, a field of the wrong type or value.

    Every field is checked for its type before it is used, so a damaged or hand-edited file
    can only ever give that one error (never a ``TypeError`` or ``KeyError`` from deeper in
    the editor).
    """
    record = _json_record(text, name)
    if record.get("format") != DOC_FORMAT:
        raise ProgramFileError(f"{name}: not a TreeSketch document (no format '{DOC_FORMAT}')")
    version = record.get("version")
    if type(version) is not int or version != DOC_VERSION:
        raise ProgramFileError(f"{name}: document version {_shown(version)} is unknown")
    if "program" not in record:
        raise ProgramFileError(f"{name}: the document has no program")
    program_text = record["program"]
    if not isinstance(program_text, str):
        raise ProgramFileError(
            f"{name}: program: expected program text, found {_shown(program_text)}"
        )
    grammar = _language_from(record.get("language"), name)
    try:
        program = parse(program_text, grammar=grammar)
    except ParseError as e:
        raise ProgramFileError(f"{name}: program: {e}") from None
    modality = record.get("modality", "filled")
    if not isinstance(modality, str) or modality not in MODALITIES:
        raise ProgramFileError(f"{name}: unknown modality {_shown(modality)}")
    if grammar is TINYSVG and modality != "filled":
        raise ProgramFileError(f"{name}: a TinySVG target is always 'filled', not '{modality}'")
    locked = record.get("locked", [])
    if not isinstance(locked, list) or not all(type(p) is int for p in locked):
        raise ProgramFileError(f"{name}: 'locked' must be a list of token positions")
    target = _target_from(record.get("target_png"), name, grammar)
    origin = _origin_from(record.get("origin"), name)
    exact = record.get("exact_shapes", False)
    if type(exact) is not bool:
        raise ProgramFileError(f"{name}: 'exact_shapes' must be true or false")
    locks = valid_locks(program, locked)
    return DocumentData(program, target, modality, locks, origin, exact)


def _json_record(text: str, name: str) -> dict:
    """The top-level JSON object of ``text``; one :class:`ProgramFileError` otherwise."""
    if not text.strip():
        raise ProgramFileError(f"{name}: the file is empty")
    try:
        record = parse_json(text)  # bounded: depth, number length, count of values
    except ValueError as e:
        raise ProgramFileError(f"{name}: not a TreeSketch document: {e}") from None
    if not isinstance(record, dict):
        raise ProgramFileError(
            f"{name}: not a TreeSketch document (a JSON {type(record).__name__}, not an object)"
        )
    return record


def _shown(value: object) -> str:
    """A short, safe description of a JSON value for an error message."""
    if isinstance(value, str):
        return f"'{excerpt(value)}'"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10**12 else "a very large number"
    if isinstance(value, float):
        return repr(value)
    return f"a JSON {'array' if isinstance(value, list) else 'object'}"


def _language_from(language: object, name: str) -> Grammar:
    """The ``language`` field: absent (CSG2D) or the name of a known language."""
    if language is None:
        return CSG2D
    if not isinstance(language, str):
        raise ProgramFileError(
            f"{name}: 'language' must be a language name, found {_shown(language)}"
        )
    try:
        return grammar_named(language)
    except KeyError:
        known = ", ".join(PROGRAM_SUFFIX)
        raise ProgramFileError(
            f"{name}: unknown language {_shown(language)} (known: {known})"
        ) from None


def _target_png(target: np.ndarray) -> bytes:
    """The PNG of a target: 8-bit grey (255 = ink) or, for an RGB picture, 8-bit RGB."""
    arr = np.asarray(target)
    if arr.ndim == 2:
        return png_bytes(arr)
    rgb = np.rint(np.clip(arr, 0.0, 1.0) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="PNG")
    return buf.getvalue()


_PNG_ERRORS = (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError)
"""What Pillow may raise on a damaged image."""


def _rgb_target(data: bytes) -> np.ndarray:
    """Decode an image as a TinySVG target: RGB float32 in [0, 1] at SVG_TARGET_SIZE
    (transparent pixels are white paper); ``ValueError`` with a plain reason otherwise."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            too_large = width * height > MAX_PIXELS or max(width, height) > MAX_SIDE
            rgba = None if too_large else im.convert("RGBA")
    except Image.DecompressionBombError:
        raise ValueError("the image is too large") from None
    except _PNG_ERRORS:
        raise ValueError("not an image") from None
    if rgba is None:
        raise ValueError(f"the image is too large ({width}×{height})")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(paper, rgba).convert("RGB")
    if rgb.size != (SVG_TARGET_SIZE, SVG_TARGET_SIZE):
        rgb = rgb.resize((SVG_TARGET_SIZE, SVG_TARGET_SIZE), Image.Resampling.BOX)
    return np.asarray(rgb, dtype=np.float32) / np.float32(255.0)


def _target_from(encoded: object, name: str, grammar: Grammar = CSG2D) -> np.ndarray:
    if encoded is None or encoded == "":
        return blank_target(grammar)
    if not isinstance(encoded, str):
        raise ProgramFileError(f"{name}: the sketch image is unreadable (not base64 text)")
    try:
        data = base64.b64decode(encoded, validate=True)
        if grammar is TINYSVG:
            return _rgb_target(data)
        return load_target(data, TARGET_SIZE, ink="white")
    except (binascii.Error, ValueError) as e:
        if isinstance(e, ImageError):
            detail = e.reason
        elif isinstance(e, binascii.Error):
            detail = "bad base64"
        else:
            detail = str(e)
        raise ProgramFileError(f"{name}: the sketch image is unreadable ({detail})") from None


def _origin_from(origin: object, name: str) -> str | None:
    """The ``origin`` field: absent, or the absolute path of a file the document came from."""
    if origin is None or origin == "":
        return None
    if not isinstance(origin, str):
        raise ProgramFileError(f"{name}: 'origin' must be a file path, found {_shown(origin)}")
    try:
        usable = "\0" not in origin and bool(os.fsencode(origin)) and os.path.isabs(origin)
    except UnicodeError:
        usable = False
    if not usable:
        raise ProgramFileError(f"{name}: 'origin' is not a usable file path: {_shown(origin)}")
    return origin


def read_document(path: str | os.PathLike) -> DocumentData:
    """Open a ``.tsk`` document, or a ``.csg``/``.tsvg``/``.json`` program with an empty
    target of its language (the language its contents name, whatever the suffix)."""
    name = os.fspath(path)
    if Path(name).suffix.lower() != DOC_SUFFIX:
        return DocumentData(read_program(name))
    if not os.path.isfile(name):
        raise ProgramFileError(f"{name}: no such file")
    return from_json(read_text(name), name)


def write_document(path: str | os.PathLike, data: DocumentData) -> None:
    """Save atomically: ``.tsk`` keeps everything, ``.csg`` (CSG2D) or ``.tsvg`` (TinySVG)
    only the program text.

    Raises:
        ValueError: another suffix, or the program text suffix of another language.
        OSError: the file cannot be written (the old file is left as it was).
    """
    suffix = Path(path).suffix.lower()
    own = PROGRAM_SUFFIX[data.grammar.name]
    if suffix == DOC_SUFFIX:
        atomic_write_bytes(path, to_json(data).encode("utf-8"))
    elif suffix == own:
        atomic_write_text(path, to_text(data.program) + "\n")
    elif suffix in PROGRAM_SUFFIX.values():
        raise ValueError(
            f"a {data.grammar.name} program cannot be saved as '{suffix}' (use .tsk or {own})"
        )
    else:
        raise ValueError(f"cannot save as '{suffix}' (use .tsk or {own})")
