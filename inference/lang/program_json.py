"""The program as a versioned JSON document: ``.json`` export, and read back.

``{"format": "treesketch-csg2d", "version": 1, "program": "<canonical text>",
"tree": {...}}``; the ``tree`` is nested plain objects with the language's own
values (:func:`tree_dict`).  :func:`from_json` reads what :func:`to_json` writes,
within bounded time and memory (:func:`inference.util.bounded_json.parse_json`).
"""

from __future__ import annotations

import json

from inference.lang.syntax import MAX_DEPTH, parse, to_text
from inference.lang.tree import CIRCLE, FIELDS, QUAD, Node, binop, circle, quad, values
from inference.util.bounded_json import parse_json

JSON_FORMAT = "treesketch-csg2d"
JSON_VERSION = 1


def tree_dict(node: Node) -> dict:
    """The program as nested plain dicts, with the language's values (0..15, degrees).

    ``{"type": "circle", "r", "x", "y"}``, ``{"type": "quad", "x", "y", "w",
    "h", "angle"}`` and ``{"type": "union" | "difference", "left", "right"}``.
    """
    if node.kind in FIELDS:
        kind = "circle" if node.kind == CIRCLE else "quad"
        return {"type": kind, **dict(zip(FIELDS[node.kind], values(node), strict=True))}
    operator, left, right = node.children
    kind = "union" if operator.value == "+" else "difference"
    return {"type": kind, "left": tree_dict(left), "right": tree_dict(right)}


def to_json(node: Node) -> str:
    """The versioned JSON document (see the module docstring), indented, newline-terminated."""
    doc = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "program": to_text(node),
        "tree": tree_dict(node),
    }
    return json.dumps(doc, indent=2) + "\n"


def from_json(text: str) -> Node:
    """Read a document written by :func:`to_json`.

    The ``tree`` is authoritative; when ``program`` is present too it must
    describe the same program.  A document with only ``program`` is accepted.

    Raises:
        ValueError: one line saying what is wrong (not JSON, wrong format,
            unsupported version, bad tree).
    """
    doc = parse_json(text)  # bounded: depth, digits and values, in its own words
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise ValueError(f'not a TreeSketch program (expected "format": "{JSON_FORMAT}")')
    version = doc.get("version")
    if type(version) is not int:
        raise ValueError('missing or non-integer "version"')
    if version != JSON_VERSION:
        raise ValueError(f"unsupported version {version} (this TreeSketch reads {JSON_VERSION})")
    program = doc.get("program")
    if "tree" not in doc and program is None:  # a null program is no program
        raise ValueError('no "tree" or "program" in the document')
    if program is not None and not isinstance(program, str):
        raise ValueError('"program" must be a string')
    try:
        from_program = parse(program) if program is not None else None
    except ValueError as e:
        raise ValueError(f'"program": {e}') from None
    if "tree" not in doc:
        return from_program
    node = _node_from_dict(doc["tree"], "tree", 0)
    if from_program is not None and from_program != node:
        raise ValueError('"program" and "tree" describe different programs')
    return node


_FIELDS = {"circle": FIELDS[CIRCLE], "quad": FIELDS[QUAD]}


def _node_from_dict(d: object, where: str, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected an object")
    kind = d.get("type")
    if kind in ("union", "difference"):
        left = _node_from_dict(d.get("left"), f"{where}.left", depth + 1)
        right = _node_from_dict(d.get("right"), f"{where}.right", depth + 1)
        return binop("+" if kind == "union" else "-", left, right)
    if kind not in _FIELDS:
        raise ValueError(f"{where}: unknown type {kind!r} (circle, quad, union, difference)")
    values = []
    for key in _FIELDS[kind]:
        v = d.get(key)
        if type(v) is not int:
            raise ValueError(f"{where}.{key}: expected an integer")
        values.append(v)
    try:
        return circle(*values) if kind == "circle" else quad(*values)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
