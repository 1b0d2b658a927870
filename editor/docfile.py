"""Reading and writing editor documents (no Qt).

Two file types:

* ``.csg`` (and ``.json`` exports, read only): the program alone, as canonical
  text.  Opening one gives an empty target.
* ``.tsk``, the TreeSketch document: program *and* sketch travel together.
  It is UTF-8 JSON::

      {
        "format": "treesketch-document",
        "version": 1,
        "program": "(- (Circle 6 8 8) (Quad 8 8 4 4 45))",
        "modality": "filled",            # or "sketch"
        "exact_shapes": true,            # optional: drawn with the snapping shape tools only
        "locked": [7],                   # token positions of locked nodes
        "target_png": "iVBORw0KGgo...",  # base64 8-bit grey PNG, 255 = ink
        "origin": "/home/me/a.tsk"       # autosave files only: the document's own path
      }

  The target PNG is written at :data:`TARGET_SIZE`; any square-able image is
  accepted on reading (it is scaled to fit).

Writes are atomic (``inference.files.fileio``).  Every reading problem is one
:class:`ProgramFileError` line naming the file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.files.fileio import (
    ProgramFileError,
    atomic_write_bytes,
    atomic_write_text,
    parse_json,
    read_program,
    read_text,
)
from inference.files.images import ImageError, load_target, png_bytes
from inference.lang.grammar import CSG2D
from inference.lang.locks import valid_locks
from inference.lang.syntax import ParseError, parse, to_text
from inference.lang.tree import Node
from inference.util.excerpt import excerpt

TARGET_SIZE = 256
"""Side of the document's target raster (pixels over the 32-unit canvas)."""
DOC_SUFFIX = ".tsk"
DOC_FORMAT = "treesketch-document"
DOC_VERSION = 1
MODALITIES = ("filled", "sketch")
OPEN_SUFFIXES = (DOC_SUFFIX, ".csg", ".json")
SAVE_SUFFIXES = (DOC_SUFFIX, ".csg")


def blank_target() -> np.ndarray:
    """An empty target (no ink), float32 (TARGET_SIZE, TARGET_SIZE)."""
    return np.zeros((TARGET_SIZE, TARGET_SIZE), np.float32)


@dataclass
class DocumentData:
    """What a document file holds."""

    program: Node
    target: np.ndarray = field(default_factory=blank_target)
    modality: str = "filled"
    locked: frozenset[int] = frozenset()
    origin: str | None = None
    exact_shapes: bool = False
    """The target was drawn with the snapping shape tools only (see ``Document``)."""


def to_json(data: DocumentData) -> str:
    """The ``.tsk`` text of ``data``."""
    record = {
        "format": DOC_FORMAT,
        "version": DOC_VERSION,
        "program": to_text(data.program),
        "modality": data.modality,
        "locked": sorted(data.locked),
        "target_png": base64.b64encode(png_bytes(data.target)).decode("ascii"),
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
    try:
        program = parse(program_text)
    except ParseError as e:
        raise ProgramFileError(f"{name}: program: {e}") from None
    modality = record.get("modality", "filled")
    if not isinstance(modality, str) or modality not in MODALITIES:
        raise ProgramFileError(f"{name}: unknown modality {_shown(modality)}")
    locked = record.get("locked", [])
    if not isinstance(locked, list) or not all(type(p) is int for p in locked):
        raise ProgramFileError(f"{name}: 'locked' must be a list of token positions")
    target = _target_from(record.get("target_png"), name)
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


def _target_from(encoded: object, name: str) -> np.ndarray:
    if encoded is None or encoded == "":
        return blank_target()
    if not isinstance(encoded, str):
        raise ProgramFileError(f"{name}: the sketch image is unreadable (not base64 text)")
    try:
        data = base64.b64decode(encoded, validate=True)
        return load_target(data, TARGET_SIZE, ink="white")
    except (binascii.Error, ValueError) as e:
        detail = e.reason if isinstance(e, ImageError) else "bad base64"
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
    """Open a ``.tsk`` document, or a ``.csg``/``.json`` program with an empty target.

    The editor edits CSG2D programs; a TinySVG one (``.tsvg``, or its text or JSON under
    another name) is refused in one line, "a TinySVG program, not CSG2D"."""
    name = os.fspath(path)
    if Path(name).suffix.lower() != DOC_SUFFIX:
        return DocumentData(read_program(name, CSG2D))
    if not os.path.isfile(name):
        raise ProgramFileError(f"{name}: no such file")
    return from_json(read_text(name), name)


def write_document(path: str | os.PathLike, data: DocumentData) -> None:
    """Save atomically: ``.tsk`` keeps everything, ``.csg`` only the program text.

    Raises:
        ValueError: another suffix.
        OSError: the file cannot be written (the old file is left as it was).
    """
    suffix = Path(path).suffix.lower()
    if suffix == DOC_SUFFIX:
        atomic_write_bytes(path, to_json(data).encode("utf-8"))
    elif suffix == ".csg":
        atomic_write_text(path, to_text(data.program) + "\n")
    else:
        raise ValueError(f"cannot save as '{suffix}' (use .tsk or .csg)")
